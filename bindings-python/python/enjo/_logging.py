"""Records of the ``enjo`` logger: one per attempt (DEBUG), per retry and per rate-limit
wait (INFO). The token is never part of them.

``ENJO_LOG=debug`` (or ``info``) in the environment turns them on without code: the ``enjo``
logger gets that level and a handler writing to stderr.
"""

from __future__ import annotations

import logging
import os
from typing import Optional

logger = logging.getLogger("enjo")

_ENV = "ENJO_LOG"


def setup_from_env() -> None:
    """Applies ``ENJO_LOG`` (``debug`` or ``info``), once, at import."""
    level = os.environ.get(_ENV, "").strip().lower()
    if level not in ("debug", "info"):
        return
    logger.setLevel(logging.DEBUG if level == "debug" else logging.INFO)
    if not any(getattr(h, "_enjo_env", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(
            logging.Formatter("[%(asctime)s - %(name)s:%(lineno)d - %(levelname)s] %(message)s")
        )
        setattr(handler, "_enjo_env", True)  # noqa: B010 - marks ours, for idempotence
        logger.addHandler(handler)


def enabled() -> bool:
    """Whether a call should report its events (checked on the caller's thread, per call)."""
    return logger.isEnabledFor(logging.INFO)


def emit(
    kind: str,
    bot_id: Optional[str],
    attempt: int,
    max_attempts: int,
    seconds: Optional[float],
    reason: Optional[str],
) -> None:
    """Called by the native module for each core event of a call made with logging on."""
    if kind == "attempt":
        logger.debug(
            "POST /v1/bots/%s/message: attempt %d of %d", bot_id, attempt, max_attempts
        )
    elif kind == "retry":
        logger.info(
            "POST /v1/bots/%s/message: attempt %d failed (%s); retrying in %.3fs",
            bot_id,
            attempt,
            reason,
            seconds or 0.0,
        )
    elif kind == "wait":
        logger.info(
            "POST /v1/bots/%s/message: client-side rate limit, waiting %.3fs",
            bot_id,
            seconds or 0.0,
        )
