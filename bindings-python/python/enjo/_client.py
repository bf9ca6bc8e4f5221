"""``Enjo`` (blocking) and ``AsyncEnjo`` (asyncio): thin wrappers over the native client.

Everything that matters (HTTP, JSON, retries, rate limiting, validation, error mapping) runs in
the Rust core; this module only shapes the Python API: keyword-only options, context managers,
coroutines, conversations.
"""

from __future__ import annotations

import asyncio
import os
import platform
import threading
import weakref
from types import TracebackType
from typing import Any, Optional, Sequence, Tuple, Type, TypeVar, Union

from . import _enjo
from ._enjo import Completions, MessageResponse
from ._exceptions import InvalidArgumentError
from ._logging import level as _log_level

__all__ = ["Enjo", "AsyncEnjo", "Conversation", "AsyncConversation", "RateLimit"]

#: ``True`` (Enjo's documented limits, the default), ``False`` (off), or your own quotas as
#: ``(requests, window_seconds)`` pairs (tuples, lists: any 2-item sequence of numbers), all
#: enforced at once.
RateLimit = Union[bool, Sequence[Sequence[float]]]

_PYTHON = f"python/{platform.python_version()}"

_C = TypeVar("_C", bound="_ConversationBase")


def _user_agent(suffix: Optional[str]) -> str:
    return f"{_PYTHON} {suffix}" if suffix else _PYTHON


def _raise_closed(*_args: Any, **_kwargs: Any) -> Any:
    # A ValueError, as Python's own "I/O operation on closed file" is.
    raise InvalidArgumentError("this enjo client is closed; create a new one")


class _Closed:
    """Stands in for the native client once ``close()`` was called (the native client, and
    with it the connection pool, is then released)."""

    send = start = conversation = staticmethod(_raise_closed)


_CLOSED = _Closed()


class _ClosedConversation:
    """Stands in for a native conversation once its client was closed: its state stays
    readable, sending raises."""

    send = start = staticmethod(_raise_closed)

    def __init__(self, bot_id: str, conversation_id: Optional[str]) -> None:
        self.bot_id = bot_id
        self.conversation_id = conversation_id


def _native_client(
    token: Optional[str],
    base_url: Optional[str],
    timeout: Optional[float],
    connect_timeout: Optional[float],
    max_retries: Optional[int],
    retry_policy: str,
    rate_limit: RateLimit,
    rate_limit_max_wait: Optional[float],
    user_agent: Optional[str],
) -> Any:
    if not isinstance(retry_policy, str):
        raise TypeError(
            'retry_policy must be "safe" or "at_least_once" '
            f"(got a {type(retry_policy).__name__})"
        )
    return _enjo.Client(
        token=token,
        base_url=base_url,
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_retries=max_retries,
        retry_policy=retry_policy,
        rate_limit=rate_limit,
        rate_limit_max_wait=rate_limit_max_wait,
        user_agent=_user_agent(user_agent),
    )


class _Base:
    """What both clients share: options, the native client, ``close()``, ``repr``.

    Options are checked when the client is built: a value of the wrong type (``timeout="3"``,
    ``rate_limit="20/60s"``) raises ``TypeError``; a value of the right type that is not
    acceptable (``timeout=0``, ``max_retries=-1``, ``retry_policy="sometimes"``, an empty
    quota list, a base URL that is not https (or http to loopback), no token) raises
    :class:`InvalidArgumentError` (also a ``ValueError``).
    """

    _native: Any

    def __init__(
        self,
        *,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_policy: str = "safe",
        rate_limit: RateLimit = True,
        rate_limit_max_wait: Optional[float] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        self._native = _native_client(
            token,
            base_url,
            timeout,
            connect_timeout,
            max_retries,
            retry_policy,
            rate_limit,
            rate_limit_max_wait,
            user_agent,
        )
        self._base_url: str = self._native.base_url
        # The settings as the native client was built with them (the core's defaults for what
        # was not given), never the token.
        settings = self._native.settings
        self._settings = ", ".join(
            f"{name}={settings[name]!r}"
            for name in ("timeout", "connect_timeout", "max_retries", "retry_policy", "rate_limit")
        )
        self._conversations: "weakref.WeakSet[_ConversationBase]" = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        """The base URL requests go to (normalised, without a trailing slash)."""
        return self._base_url

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._native is _CLOSED

    def _close(self) -> None:
        # Drops every reference to the native client (this object's and its conversations'),
        # which releases it and its connection pool once requests already running end. Later
        # calls raise.
        with self._lock:
            self._native = _CLOSED
            conversations = list(self._conversations)
        for conversation in conversations:
            conversation._detach()

    def _track(self, conversation: _C) -> _C:
        with self._lock:
            self._conversations.add(conversation)
            closed = self.closed  # closed meanwhile, by another thread
        if closed:
            conversation._detach()
        return conversation

    def __repr__(self) -> str:
        state = ", closed" if self.closed else ""
        return f"{type(self).__name__}(base_url={self._base_url!r}, {self._settings}{state})"


class Enjo(_Base):
    """The blocking Enjo client. Safe to share between threads; the GIL is released while a
    request waits. Works in a child process after ``os.fork()``.

    Options are keyword-only; unset ones take their defaults: the token from
    ``ENJO_API_TOKEN``, the base URL from ``ENJO_BASE_URL`` (else ``https://api.enjo.ai``),
    ``timeout`` 60 s per attempt, ``connect_timeout`` 10 s, ``max_retries`` 2 (of what is safe
    to retry: see ``retry_policy``), and Enjo's documented rate limits, shared by every client
    of the process that talks to the same host.

    >>> client = Enjo()                                   # doctest: +SKIP
    >>> client.send_message("support-bot", "How do I reset my password?").answers  # doctest: +SKIP
    """

    def send_message(
        self,
        bot_id: str,
        text: str,
        *,
        conversation_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> MessageResponse:
        """Sends ``text`` to the bot ``bot_id`` and returns its reply.

        Waits for the client-side rate limiter, retries what is safe to retry, and raises an
        :class:`enjo.EnjoError` subclass on failure. ``conversation_id`` continues a
        conversation; ``timeout`` (seconds) and ``max_retries`` override the client's for
        this call.
        """
        return self._native.send(  # type: ignore[no-any-return]
            bot_id, text, conversation_id, timeout, max_retries, _log_level()
        )

    def conversation(self, bot_id: str, *, conversation_id: Optional[str] = None) -> Conversation:
        """A conversation with ``bot_id``: each ``send`` continues it (pass
        ``conversation_id`` to resume an earlier one)."""
        return self._track(Conversation(self, self._native.conversation(bot_id, conversation_id)))

    def close(self) -> None:
        """Closes the client and releases its connections (once requests already running
        end); later calls, on it or its conversations, raise ``InvalidArgumentError``.
        Idempotent."""
        self._close()

    def __enter__(self) -> Enjo:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


class _ConversationBase:
    """What both conversation classes share: the native handle and its read-only state."""

    def __init__(self, client: _Base, native: Any) -> None:
        self._client = client
        self._native = native

    @property
    def bot_id(self) -> str:
        """The bot this conversation talks to."""
        return self._native.bot_id  # type: ignore[no-any-return]

    @property
    def conversation_id(self) -> Optional[str]:
        """The conversation id, once a reply has given one (or when resumed)."""
        return self._native.conversation_id  # type: ignore[no-any-return]

    def _detach(self) -> None:
        # The client was closed: let go of the native conversation (and its client).
        native = self._native
        if not isinstance(native, _ClosedConversation):
            self._native = _ClosedConversation(native.bot_id, native.conversation_id)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bot_id={self.bot_id!r}, "
            f"conversation_id={self.conversation_id!r})"
        )


class Conversation(_ConversationBase):
    """A conversation with one bot (from ``Enjo.conversation``): each ``send`` passes the
    conversation id of the previous reply, so the bot keeps the context."""

    def send(
        self, text: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> MessageResponse:
        """Sends ``text`` in this conversation and returns the reply."""
        return self._native.send(  # type: ignore[no-any-return]
            text, timeout, max_retries, _log_level()
        )


# ---------------------------------------------------------------------------------------------
# asyncio
# ---------------------------------------------------------------------------------------------

_queues: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Completions]" = (
    weakref.WeakKeyDictionary()
)
_last: Tuple[Optional["weakref.ReferenceType[asyncio.AbstractEventLoop]"], Optional[Completions]] = (
    None,
    None,
)


def _make_queue(loop: asyncio.AbstractEventLoop) -> Completions:
    completions = Completions()
    try:
        loop.add_reader(completions.fileno(), completions.drain)
    except (NotImplementedError, AttributeError):  # e.g. Windows' proactor loop
        # Woken through loop.call_soon_threadsafe; a weak reference, so that the queue (the
        # value of `_queues`, keyed weakly by the loop) never keeps its loop alive.
        completions = Completions(weakref.ref(loop))
    return completions


def _completions(loop: asyncio.AbstractEventLoop) -> Completions:
    """The loop's completion queue (see the native ``Completions``), made on first use."""
    global _last
    ref, queue = _last
    if ref is not None and ref() is loop and queue is not None:
        return queue
    queue = _queues.get(loop)
    if queue is None:
        queue = _make_queue(loop)
        _queues[loop] = queue
    _last = (weakref.ref(loop), queue)
    return queue


def _forget_queues() -> None:
    # A forked child must not share its parent's wake-up sockets.
    global _last
    _queues.clear()
    _last = (None, None)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_queues)


async def _await(start: Any, *args: Any) -> MessageResponse:
    loop = asyncio.get_running_loop()
    future = loop.create_future()
    task = start(_completions(loop), future, *args)
    try:
        return await future  # type: ignore[no-any-return]
    except BaseException:
        # Cancelled (or interrupted): abort the request; its connection closes, or it leaves
        # the rate limiter's queue. A no-op when it has already failed.
        task.cancel()
        raise


class AsyncEnjo(_Base):
    """The asyncio Enjo client: same options as :class:`Enjo`; ``send_message`` is a
    coroutine, usable with ``asyncio.gather``, ``asyncio.wait_for`` and cancellation
    (cancelling it aborts the request). Requests run on the SDK's own I/O thread; one client
    can serve many event loops and threads."""

    async def send_message(
        self,
        bot_id: str,
        text: str,
        *,
        conversation_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
    ) -> MessageResponse:
        """Sends ``text`` to the bot ``bot_id`` and returns its reply (see
        :meth:`Enjo.send_message`)."""
        return await _await(
            self._native.start, bot_id, text, conversation_id, timeout, max_retries, _log_level()
        )

    def conversation(
        self, bot_id: str, *, conversation_id: Optional[str] = None
    ) -> AsyncConversation:
        """A conversation with ``bot_id``; ``await conversation.send(text)`` continues it."""
        return self._track(
            AsyncConversation(self, self._native.conversation(bot_id, conversation_id))
        )

    async def close(self) -> None:
        """Closes the client and releases its connections (once requests already running
        end); later calls, on it or its conversations, raise ``InvalidArgumentError``.
        Idempotent."""
        self._close()

    async def __aenter__(self) -> AsyncEnjo:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        await self.close()


class AsyncConversation(_ConversationBase):
    """A conversation with one bot (from ``AsyncEnjo.conversation``)."""

    async def send(
        self, text: str, *, timeout: Optional[float] = None, max_retries: Optional[int] = None
    ) -> MessageResponse:
        """Sends ``text`` in this conversation and returns the reply."""
        return await _await(self._native.start, text, timeout, max_retries, _log_level())
