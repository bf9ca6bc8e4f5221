"""enjo — the Python SDK for the Enjo API, on the SDK's Rust core.

>>> import enjo
>>> client = enjo.Enjo()  # token from ENJO_API_TOKEN            # doctest: +SKIP
>>> reply = client.send_message("support-bot", "VPN is down, I need a ticket")  # doctest: +SKIP
>>> reply.answers, reply.ticket and reply.ticket.case_number     # doctest: +SKIP
"""

from ._enjo import MessageResponse, Source, Ticket, __version__
from ._exceptions import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    EnjoError,
    InternalError,
    InvalidArgumentError,
    InvalidRequestError,
    NotFoundError,
    RateLimitError,
    RateLimitStoreError,
    ResponseDecodeError,
    ServerError,
)
from ._client import AsyncConversation, AsyncEnjo, Conversation, Enjo, Headers, RateLimit
from ._logging import setup_from_env as _setup_logging

__all__ = [
    "Enjo",
    "AsyncEnjo",
    "Conversation",
    "AsyncConversation",
    "MessageResponse",
    "Source",
    "Ticket",
    "RateLimit",
    "Headers",
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
    "__version__",
]

_setup_logging()
