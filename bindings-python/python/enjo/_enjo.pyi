# Type stubs of the native module (src/lib.rs). The public classes are re-exported by `enjo`.
# Replies are immutable: `raw`, `sources` and `to_dict()` give new objects on each access, and
# they pickle (a multiprocessing worker can return them).
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union, final

__all__ = [
    "__version__",
    "ERROR_KINDS",
    "Client",
    "Conversation",
    "CallOptions",
    "Completions",
    "Task",
    "MessageResponse",
    "Source",
    "Ticket",
    "_test_panic",
    "_in_flight",
    "Mock",
    "_mock_main",
]

__version__: str
#: The core's error kinds: (class name, kind, whether it comes from an HTTP response).
ERROR_KINDS: List[Tuple[str, str, bool]]

@final
class Source:
    """One source the bot used for its answer."""

    @property
    def type(self) -> Optional[str]:
        """The source's type, e.g. ``"jira"`` or ``"knowledge base"``."""
    @property
    def name(self) -> Optional[str]:
        """Name or title of the source."""
    @property
    def score(self) -> Optional[float]:
        """Relevance score, usually in ``[0, 1]``."""
    @property
    def url(self) -> Optional[str]:
        """Link to the source."""
    def to_dict(self) -> Dict[str, Any]:
        """``{"type", "name", "score", "url"}``."""
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Ticket:
    """A ticket the bot created (Salesforce, Jira, ServiceNow, ...). Common fields are read
    whatever the platform's casing; ``raw`` is the platform's whole record."""

    @property
    def id(self) -> Optional[str]: ...
    @property
    def url(self) -> Optional[str]: ...
    @property
    def type(self) -> Optional[str]: ...
    @property
    def status(self) -> Optional[str]: ...
    @property
    def priority(self) -> Optional[str]: ...
    @property
    def description(self) -> Optional[str]: ...
    @property
    def created_date(self) -> Optional[str]: ...
    @property
    def last_modified_date(self) -> Optional[str]: ...
    @property
    def case_number(self) -> Optional[str]:
        """Salesforce ``CaseNumber``, ServiceNow ``number``, Jira ``key``."""
    @property
    def raw(self) -> Dict[str, Any]:
        """The ticket exactly as the server sent it (a new dict on each access)."""
    def to_dict(self) -> Dict[str, Any]: ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class MessageResponse:
    """A bot's reply."""

    @property
    def answers(self) -> Optional[str]:
        """The bot's answer."""
    @property
    def sources(self) -> List[Source]:
        """The sources the bot used (a new list on each access; empty when none)."""
    @property
    def conversation_id(self) -> Optional[str]:
        """Pass it back to continue the conversation."""
    @property
    def ticket(self) -> Optional[Ticket]:
        """The ticket the bot created, when its bot is wired to ticketing."""
    @property
    def request_id(self) -> Optional[str]:
        """The call's request id (sent as ``X-Request-Id`` on each attempt)."""
    @property
    def server_request_id(self) -> Optional[str]:
        """The server's own request id, when its reply carried one."""
    @property
    def raw(self) -> Dict[str, Any]:
        """The whole response body, unknown fields included (a new dict on each access)."""
    def to_dict(self) -> Dict[str, Any]:
        """Every field as plain dicts and lists (``raw`` included)."""
    def __reduce__(self) -> Tuple[Any, ...]: ...

@final
class Task:
    def cancel(self) -> None: ...

@final
class Completions:
    def __new__(cls, loop_ref: Optional[Callable[[], Any]] = None) -> Completions: ...
    def fileno(self) -> int: ...
    def drain(self) -> None: ...

@final
class CallOptions:
    """Per-call overrides, checked when made."""

    def __new__(
        cls,
        *,
        conversation_id: Optional[str] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_policy: Optional[str] = None,
        deadline: Optional[float] = None,
        headers: Union[Mapping[str, str], Sequence[Tuple[str, str]], None] = None,
    ) -> CallOptions: ...

@final
class Conversation:
    @property
    def bot_id(self) -> str: ...
    @property
    def conversation_id(self) -> Optional[str]: ...
    def send(
        self, text: str, options: Optional[CallOptions] = None, log: int = 0
    ) -> MessageResponse: ...
    def start(
        self,
        completions: Completions,
        future: Any,
        text: str,
        options: Optional[CallOptions] = None,
        log: int = 0,
    ) -> Task: ...

@final
class Client:
    def __new__(
        cls,
        *,
        token: Optional[str] = None,
        base_url: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        retry_policy: Optional[str] = None,
        rate_limit: Any = None,
        rate_limit_max_wait: Optional[float] = None,
        deadline: Optional[float] = None,
        user_agent: Optional[str] = None,
        proxy: Optional[str] = None,
        root_certificate_pem: Optional[str] = None,
        allow_insecure_http: Optional[bool] = None,
        max_response_bytes: Optional[int] = None,
        rate_limit_store: Optional[str] = None,
        rate_limit_key: Optional[str] = None,
        rate_limit_store_fallback: Optional[bool] = None,
    ) -> Client: ...
    @property
    def base_url(self) -> str: ...
    @property
    def closed(self) -> bool: ...
    @property
    def settings(self) -> Dict[str, Any]: ...
    def close(self) -> None: ...
    def describe(self) -> str: ...
    def send(
        self, bot_id: str, text: str, options: Optional[CallOptions] = None, log: int = 0
    ) -> MessageResponse: ...
    def start(
        self,
        completions: Completions,
        future: Any,
        bot_id: str,
        text: str,
        options: Optional[CallOptions] = None,
        log: int = 0,
    ) -> Task: ...
    def conversation(self, bot_id: str, conversation_id: Optional[str] = None) -> Conversation: ...

def _test_panic(
    mode: str, completions: Optional[Completions] = None, future: Any = None
) -> Optional[Task]: ...
def _in_flight() -> int: ...

@final
class Mock:
    """The mock server in-process (``enjo.testing.MockServer`` wraps it)."""

    def __new__(
        cls,
        *,
        rate_limit: Optional[str] = None,
        bots_file: Optional[str] = None,
        fault_bots: Optional[Sequence[Tuple[str, str]]] = None,
        token: Optional[str] = None,
    ) -> Mock: ...
    @property
    def url(self) -> str: ...
    @property
    def token(self) -> str: ...
    @property
    def port(self) -> int: ...
    def requests_json(self) -> str: ...
    def tickets_json(self) -> str: ...
    def add_fault(
        self, fault: str, bot_id: Optional[str] = None, times: Optional[int] = None
    ) -> None: ...
    def reset(self) -> None: ...
    def stop(self) -> None: ...

def _mock_main(name: str, args: Sequence[str]) -> int: ...
