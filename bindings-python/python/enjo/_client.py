"""``Enjo`` (blocking) and ``AsyncEnjo`` (asyncio): thin wrappers over the native client.

Everything that matters (HTTP, JSON, retries, rate limiting, validation, error mapping) runs in
the Rust core; this module only shapes the Python API: keyword-only options, context managers,
coroutines, conversations.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from types import TracebackType
from typing import Any, Callable, Mapping, Optional, Sequence, Tuple, Type, Union

from . import _enjo
from ._enjo import CallOptions, Completions, MessageResponse, Task
from ._logging import level as _log_level

__all__ = ["Enjo", "AsyncEnjo", "Conversation", "AsyncConversation", "RateLimit", "Headers"]

#: ``True`` (Enjo's documented limits, the default), ``False`` (off), or your own quotas as
#: ``(requests, window_seconds)`` pairs (tuples, lists: any 2-item sequence of numbers), all
#: enforced at once.
RateLimit = Union[bool, Sequence[Sequence[float]]]

#: Extra headers of one call: a mapping of names to values, or ``(name, value)`` pairs (in
#: order; a name may repeat).
Headers = Union[Mapping[str, str], Sequence[Tuple[str, str]]]


def _overrides(**options: Any) -> Optional[CallOptions]:
    """The per-call options given, checked by the core (``None`` when none was given)."""
    if all(value is None for value in options.values()):
        return None
    return CallOptions(**options)


class _Base:
    """What both clients share: options, the native client, ``close()``, ``repr``.

    Options are checked when the client is built: a value of the wrong type (``timeout="3"``,
    ``rate_limit="20/60s"``) raises ``TypeError``; a value of the right type that is not
    acceptable (``timeout=0``, ``max_retries=-1``, ``retry_policy="sometimes"``, an empty
    quota list, a base URL that is not https (or http to loopback), no token) raises
    :class:`InvalidArgumentError` (also a ``ValueError``).
    """

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
        deadline: Optional[float] = None,
        user_agent: Optional[str] = None,
        proxy: Optional[str] = None,
        root_certificate_pem: Optional[str] = None,
        allow_insecure_http: bool = False,
        max_response_bytes: Optional[int] = None,
        rate_limit_store: Optional[str] = None,
        rate_limit_key: Optional[str] = None,
        rate_limit_store_fallback: bool = False,
    ) -> None:
        self._native = _enjo.Client(
            token=token,
            base_url=base_url,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            retry_policy=retry_policy,
            rate_limit=rate_limit,
            rate_limit_max_wait=rate_limit_max_wait,
            deadline=deadline,
            user_agent=user_agent,
            proxy=proxy,
            root_certificate_pem=root_certificate_pem,
            allow_insecure_http=allow_insecure_http,
            max_response_bytes=max_response_bytes,
            rate_limit_store=rate_limit_store,
            rate_limit_key=rate_limit_key,
            rate_limit_store_fallback=rate_limit_store_fallback,
        )
        self._base_url: str = self._native.base_url
        # The settings as the native client was built with them (the core's defaults for what
        # was not given), never the token.
        settings = self._native.settings
        self._settings = ", ".join(
            f"{name}={settings[name]!r}"
            for name in ("timeout", "connect_timeout", "max_retries", "retry_policy", "rate_limit")
        )

    @property
    def base_url(self) -> str:
        """The base URL requests go to (normalised, without a trailing slash)."""
        return self._base_url

    @property
    def closed(self) -> bool:
        """Whether ``close()`` was called."""
        return self._native.closed

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
    of the process that talks to the same host. ``deadline`` (seconds) bounds each whole call,
    retries and waits included (none by default); ``proxy`` is a proxy URL for every request;
    ``root_certificate_pem`` adds trusted root certificates (PEM text);
    ``allow_insecure_http=True`` permits a plain-http base URL that is not loopback;
    ``max_response_bytes`` caps a reply's body. ``rate_limit_store`` shares the rate limit with
    other processes: ``"file:/path"`` (this machine) or ``"redis://host:port/db"`` (every host),
    default ``ENJO_RATE_LIMIT_STORE``, else ``"memory"`` (this process); ``rate_limit_key``
    names the shared log, ``rate_limit_store_fallback=True`` uses this process's limiter while
    the store is unreachable instead of raising :class:`RateLimitStoreError`.

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
        retry_policy: Optional[str] = None,
        deadline: Optional[float] = None,
        headers: Optional[Headers] = None,
    ) -> MessageResponse:
        """Sends ``text`` to the bot ``bot_id`` and returns its reply.

        Waits for the client-side rate limiter, retries what is safe to retry, and raises an
        :class:`enjo.EnjoError` subclass on failure. ``conversation_id`` continues a
        conversation; ``timeout`` (seconds, per attempt), ``max_retries``, ``retry_policy``
        and ``deadline`` (seconds, the whole call) override the client's for this call;
        ``headers`` are sent with every attempt of it.
        """
        options = _overrides(
            conversation_id=conversation_id, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, deadline=deadline, headers=headers,
        )
        return self._native.send(bot_id, text, options, _log_level())

    def conversation(self, bot_id: str, *, conversation_id: Optional[str] = None) -> Conversation:
        """A conversation with ``bot_id``: each ``send`` continues it (pass
        ``conversation_id`` to resume an earlier one)."""
        return Conversation(self._native.conversation(bot_id, conversation_id))

    def close(self) -> None:
        """Closes the client and releases its connections (once requests already running
        end); later calls, on it or its conversations, raise ``InvalidArgumentError``.
        Idempotent."""
        self._native.close()

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

    def __init__(self, native: _enjo.Conversation) -> None:
        self._native = native

    @property
    def bot_id(self) -> str:
        """The bot this conversation talks to."""
        return self._native.bot_id

    @property
    def conversation_id(self) -> Optional[str]:
        """The conversation id, once a reply has given one (or when resumed)."""
        return self._native.conversation_id

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(bot_id={self.bot_id!r}, "
            f"conversation_id={self.conversation_id!r})"
        )


class Conversation(_ConversationBase):
    """A conversation with one bot (from ``Enjo.conversation``): each ``send`` passes the
    conversation id of the previous reply, so the bot keeps the context."""

    def send(
        self,
        text: str,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_policy: Optional[str] = None,
        deadline: Optional[float] = None,
        headers: Optional[Headers] = None,
    ) -> MessageResponse:
        """Sends ``text`` in this conversation and returns the reply (the per-call options
        are those of :meth:`Enjo.send_message`)."""
        options = _overrides(
            timeout=timeout, max_retries=max_retries, retry_policy=retry_policy,
            deadline=deadline, headers=headers,
        )
        return self._native.send(text, options, _log_level())


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


async def _await(start: Callable[..., Task], *args: Any) -> MessageResponse:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[MessageResponse] = loop.create_future()
    task = start(_completions(loop), future, *args)
    try:
        return await future
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
        retry_policy: Optional[str] = None,
        deadline: Optional[float] = None,
        headers: Optional[Headers] = None,
    ) -> MessageResponse:
        """Sends ``text`` to the bot ``bot_id`` and returns its reply (see
        :meth:`Enjo.send_message`)."""
        options = _overrides(
            conversation_id=conversation_id, timeout=timeout, max_retries=max_retries,
            retry_policy=retry_policy, deadline=deadline, headers=headers,
        )
        return await _await(self._native.start, bot_id, text, options, _log_level())

    def conversation(
        self, bot_id: str, *, conversation_id: Optional[str] = None
    ) -> AsyncConversation:
        """A conversation with ``bot_id``; ``await conversation.send(text)`` continues it."""
        return AsyncConversation(self._native.conversation(bot_id, conversation_id))

    async def close(self) -> None:
        """Closes the client and releases its connections (once requests already running
        end); later calls, on it or its conversations, raise ``InvalidArgumentError``.
        Idempotent."""
        self._native.close()

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
        self,
        text: str,
        *,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_policy: Optional[str] = None,
        deadline: Optional[float] = None,
        headers: Optional[Headers] = None,
    ) -> MessageResponse:
        """Sends ``text`` in this conversation and returns the reply (see
        :meth:`Conversation.send`)."""
        options = _overrides(
            timeout=timeout, max_retries=max_retries, retry_policy=retry_policy,
            deadline=deadline, headers=headers,
        )
        return await _await(self._native.start, text, options, _log_level())
