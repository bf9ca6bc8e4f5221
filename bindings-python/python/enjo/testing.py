"""A testing kit: the Enjo-compatible mock server, in-process, for your own tests.

Your tests run offline, with no Enjo account and no Rust toolchain: the server is the SDK's own
``enjo-mock`` (real HTTP on a free loopback port, on a thread of its own; nothing in the client
is patched), so your code is tested the way it talks to the real API.

>>> from enjo.testing import MockServer
>>> with MockServer() as mock:                                    # doctest: +SKIP
...     client = mock.client()
...     reply = client.send_message("support-bot", "I need a ticket: VPN is down")
...     assert reply.ticket is not None
...     assert mock.requests()[0]["text"] == "I need a ticket: VPN is down"

With pytest, the fixture ``enjo_mock`` (registered as a pytest plugin when ``enjo`` is
installed) gives a fresh server per test and points ``ENJO_BASE_URL`` / ``ENJO_API_TOKEN`` at
it, so code that builds ``enjo.Enjo()`` from the environment talks to the mock.
"""

from __future__ import annotations

import json
import os
from types import TracebackType
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Type, Union

from ._client import AsyncEnjo, Enjo
from ._enjo import Mock as _Mock

__all__ = ["MockServer", "enjo_mock"]

#: What ``rate_limit=`` takes: ``False`` (no limit, the default), ``True`` (the real API's
#: 20 per minute and 10 per 5 seconds), or quotas as ``(requests, window_seconds)`` pairs.
RateLimitSpec = Union[bool, Sequence[Tuple[int, float]]]


def _rate_limit_spec(rate_limit: RateLimitSpec) -> str:
    if rate_limit is True:
        return "documented"
    if rate_limit is False:
        return "off"
    if isinstance(rate_limit, (str, bytes)) or not isinstance(rate_limit, Sequence):
        raise TypeError(
            "rate_limit must be True, False or a list of (requests, window_seconds) pairs, "
            f"e.g. [(5, 0.2), (10, 1.0)]; got {type(rate_limit).__name__}"
        )
    parts = []
    for pair in rate_limit:
        try:
            requests, window = pair
        except (TypeError, ValueError):
            raise TypeError(
                f"rate_limit entries are (requests, window_seconds) pairs, e.g. (5, 0.2); got {pair!r}"
            ) from None
        if isinstance(requests, bool) or not isinstance(requests, int):
            raise TypeError(f"rate_limit requests must be an int; got {requests!r}")
        if isinstance(window, bool) or not isinstance(window, (int, float)):
            raise TypeError(f"rate_limit window must be a number of seconds; got {window!r}")
        parts.append(f"{requests}/{float(window)!r}s")
    return ",".join(parts)


class MockServer:
    """The Enjo-compatible mock server, started in-process on ``127.0.0.1`` and a free port.

    Use it as a context manager (or call :meth:`stop`). Options are those of ``enjo mock``:

    - ``rate_limit``: ``False`` (default: no limit), ``True`` (the real API's limits), or
      scaled quotas such as ``[(5, 0.2), (10, 1.0)]`` (requests per window in seconds);
    - ``fault_bots``: extra bots that fail every request, e.g. ``{"down-bot": "500"}`` (the
      fault specs of the mock's README: ``500``, ``429``, ``status=404``, ``malformed-json``,
      ``delay=200``...);
    - ``bots_file``: bots from a TOML file instead of the built-in ones (``support-bot``,
      ``jira-bot``, ``servicenow-bot``, ``faq-bot``, ``echo-bot``);
    - ``token``: the accepted token (default ``enjo-mock-token``).
    """

    def __init__(
        self,
        *,
        rate_limit: RateLimitSpec = False,
        fault_bots: Optional[Mapping[str, str]] = None,
        bots_file: Union[str, "os.PathLike[str]", None] = None,
        token: Optional[str] = None,
    ) -> None:
        self._rate_limit = rate_limit
        self._mock = _Mock(
            rate_limit=_rate_limit_spec(rate_limit),
            bots_file=os.fspath(bots_file) if bots_file is not None else None,
            fault_bots=list(fault_bots.items()) if fault_bots else None,
            token=token,
        )

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``: the ``base_url`` for a client."""
        return self._mock.url

    @property
    def token(self) -> str:
        """The token the server accepts."""
        return self._mock.token

    @property
    def port(self) -> int:
        """The port it listens on."""
        return self._mock.port

    def client(self, **options: Any) -> Enjo:
        """An :class:`enjo.Enjo` pointed at this server. Its client-side rate limit matches the
        server's (off when the server has none) unless ``rate_limit=`` is given."""
        return Enjo(**self._client_options(options))

    def async_client(self, **options: Any) -> AsyncEnjo:
        """An :class:`enjo.AsyncEnjo` pointed at this server (same defaults as :meth:`client`)."""
        return AsyncEnjo(**self._client_options(options))

    def _client_options(self, options: Dict[str, Any]) -> Dict[str, Any]:
        merged: Dict[str, Any] = {"token": self.token, "base_url": self.url}
        if self._rate_limit is False:
            merged["rate_limit"] = False
        elif self._rate_limit is not True:
            merged["rate_limit"] = list(self._rate_limit)
        merged.update(options)
        return merged

    def requests(self, bot_id: Optional[str] = None) -> List[Dict[str, Any]]:
        """The requests received, oldest first (optionally only those to ``bot_id``): dicts with
        ``seq``, ``method``, ``path``, ``bot_id``, ``conversation_id``, ``text``, ``body`` (the
        JSON as received), ``status``, ``fault``, ``authorized``, ``user_agent``, ``headers``
        (the ``authorization`` value redacted)."""
        log: List[Dict[str, Any]] = json.loads(self._mock.requests_json())
        return [r for r in log if bot_id is None or r.get("bot_id") == bot_id]

    def tickets(self) -> List[Dict[str, Any]]:
        """The tickets created: dicts with ``bot_id``, ``platform``, ``conversation_id`` and
        ``ticket`` (the platform's own JSON, as sent in ``ticketDetails``)."""
        tickets: List[Dict[str, Any]] = json.loads(self._mock.tickets_json())
        return tickets

    def add_fault(
        self, fault: str, *, bot_id: Optional[str] = None, times: Optional[int] = None
    ) -> None:
        """Makes the next ``times`` requests (every one when ``None``) to ``bot_id`` (any bot
        when ``None``) fail with ``fault``, e.g. ``add_fault("500", times=1)``."""
        self._mock.add_fault(fault, bot_id, times)

    def reset(self) -> None:
        """Forgets requests, tickets, conversations, queued faults and rate-limit windows."""
        self._mock.reset()

    def stop(self) -> None:
        """Stops the server; idempotent."""
        self._mock.stop()

    close = stop

    def __enter__(self) -> "MockServer":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"MockServer(url={self.url!r})"


try:
    import pytest
except ImportError:  # pragma: no cover - the fixture exists only where pytest does
    pass
else:

    @pytest.fixture
    def enjo_mock(monkeypatch: pytest.MonkeyPatch) -> Iterator[MockServer]:
        """A fresh :class:`MockServer` per test (no rate limit), with ``ENJO_BASE_URL`` and
        ``ENJO_API_TOKEN`` pointing at it for the test's duration."""
        with MockServer() as server:
            monkeypatch.setenv("ENJO_BASE_URL", server.url)
            monkeypatch.setenv("ENJO_API_TOKEN", server.token)
            yield server
