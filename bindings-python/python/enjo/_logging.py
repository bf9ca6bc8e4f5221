"""Records of the ``enjo`` logger: one per attempt with its outcome (DEBUG), one per retry and
per rate-limit wait (INFO), and one when a call fails for good (INFO: the error is raised to the
caller anyway; WARNING would reach stderr wherever logging is not configured). Each names the
request by its path (``POST /v1/bots/<bot>/message``, after any base URL prefix), never the
host or the token.

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


def level() -> int:
    """The lowest level of record a call should report (checked on the caller's thread, per
    call): ``logging.DEBUG``, ``logging.INFO``, or 0 when the ``enjo`` logger is off. The native
    side builds only the records this lets through."""
    if logger.isEnabledFor(logging.DEBUG):
        return logging.DEBUG
    if logger.isEnabledFor(logging.INFO):
        return logging.INFO
    return 0


def emit(
    kind: str,
    level: int,
    path: str,
    text: str,
    attempt: int,
    status: Optional[int],
    seconds: Optional[float],
    error: Optional[str],
) -> None:
    """Called by the native module for each record of a call made with logging on: on the
    caller's thread for blocking calls, on the event loop's thread for async ones. ``text`` is
    the core's log line of the event (the same in every binding).

    Every record carries ``enjo_event`` (``attempt``, ``retry``, ``wait`` or ``failed``),
    ``enjo_path``, ``enjo_attempt``, ``enjo_status``, ``enjo_seconds`` and ``enjo_error`` (the
    error kind) as attributes, for filters and structured handlers.
    """
    extra = {
        "enjo_event": kind,
        "enjo_path": path,
        "enjo_attempt": attempt,
        "enjo_status": status,
        "enjo_seconds": seconds,
        "enjo_error": error,
    }
    logger.log(level, "POST %s: %s", path, text, extra=extra)
