"""The SDK's exceptions: one class per kind of the core's error taxonomy.

Every error the SDK raises is an :class:`EnjoError`. Errors that come from an HTTP response
derive from :class:`APIError` and carry ``status``, ``code``, ``message``, ``body`` and, for
429s, ``retry_after`` (seconds). ``str(error)`` says what happened and what to do next; it
never contains the token.
"""

from __future__ import annotations

from typing import Optional

__all__ = [
    "EnjoError",
    "InvalidArgumentError",
    "APIError",
    "InvalidRequestError",
    "AuthenticationError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "APITimeoutError",
    "APIConnectionError",
    "ResponseDecodeError",
    "InternalError",
    "RateLimitStoreError",
]


class EnjoError(Exception):
    """Base class of every error the SDK raises.

    Attributes:
        message: the message alone (the server's, e.g. ``"botId not found"``, or the SDK's).
        kind: the error's kind in the taxonomy every enjo binding shares (``"rate_limited"``,
            ``"timeout"``, ...).
        status: the HTTP status, for errors that come from a response.
        code: the server's error code (e.g. ``"rate_limit_error"``).
        body: the raw response body (cut at 64 KiB).
        retry_after: seconds to wait before trying again (``Retry-After``, or the client-side
            rate limiter's estimate).
        request_id: the call's request id (sent as X-Request-Id), to quote to Enjo's support.
        server_request_id: the server's own request id, when a reply came with one.
        may_have_been_sent: ``False`` when the request provably never reached the server
            (sending it again cannot create a duplicate ticket).
    """

    #: The kind of the class's errors (instances carry theirs in ``kind``).
    default_kind = "internal"

    message: str
    kind: str
    status: Optional[int]
    code: Optional[str]
    body: Optional[str]
    retry_after: Optional[float]
    request_id: Optional[str]
    server_request_id: Optional[str]
    may_have_been_sent: bool

    def __init__(
        self,
        text: str,
        *,
        message: Optional[str] = None,
        kind: Optional[str] = None,
        status: Optional[int] = None,
        code: Optional[str] = None,
        body: Optional[str] = None,
        retry_after: Optional[float] = None,
        request_id: Optional[str] = None,
        server_request_id: Optional[str] = None,
        may_have_been_sent: bool = False,
    ) -> None:
        super().__init__(text)
        self.message = text if message is None else message
        self.kind = self.default_kind if kind is None else kind
        self.status = status
        self.code = code
        self.body = body
        self.retry_after = retry_after
        self.request_id = request_id
        self.server_request_id = server_request_id
        self.may_have_been_sent = may_have_been_sent

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else self.message

    def __repr__(self) -> str:
        fields = [repr(str(self))]
        for name in ("status", "code", "retry_after", "request_id"):
            value = getattr(self, name, None)
            if value is not None:
                fields.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(fields)})"


class InvalidArgumentError(EnjoError, ValueError):
    """Rejected before anything was sent: empty bot id or text, bad option, missing token."""

    default_kind = "invalid_argument"


class APIError(EnjoError):
    """An error status from the API (a redirect that is not followed included), or a reply saying
    ``"success": false``."""

    default_kind = "api"


class InvalidRequestError(APIError):
    """HTTP 400, e.g. ``botId not found``."""

    default_kind = "invalid_request"


class AuthenticationError(APIError):
    """HTTP 401: the token is missing, wrong or revoked."""

    default_kind = "authentication"


class NotFoundError(APIError):
    """HTTP 404: usually a wrong base URL."""

    default_kind = "not_found"


class RateLimitError(APIError):
    """HTTP 429, or the client-side limiter would wait longer than ``rate_limit_max_wait``
    (then nothing was sent and ``status`` is ``None``). ``retry_after`` says how long to wait."""

    default_kind = "rate_limited"


class ServerError(APIError):
    """HTTP 5xx. The request may have been processed (a ticket may exist)."""

    default_kind = "server"


class APITimeoutError(EnjoError, TimeoutError):
    """No full answer within the timeout. The request may have been processed."""

    default_kind = "timeout"


class APIConnectionError(EnjoError):
    """DNS failure, connection refused or reset, TLS failure."""

    default_kind = "connection"


class ResponseDecodeError(EnjoError):
    """A 2xx reply whose body is not the documented JSON (or is over the size cap)."""

    default_kind = "decode"


class InternalError(EnjoError):
    """A bug in enjo (a caught panic): never your fault. ``str(error)`` says where to report
    it; quote ``request_id`` if there is one."""

    default_kind = "internal"


class RateLimitStoreError(EnjoError):
    """The shared rate-limit store (a state file, Redis) could not be used: nothing was sent.
    The message says which store and why."""

    default_kind = "rate_limit_store"
