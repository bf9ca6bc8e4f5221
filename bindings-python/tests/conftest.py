"""Fixtures: the `enjo-mock` server (docs/bindings.md), started once per session on a free
loopback port, and clients pointed at it. Tests talk real HTTP to it; nothing is mocked inside
the client."""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import subprocess
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest

import enjo

REPO = Path(__file__).resolve().parents[2]
TOKEN = "enjo-mock-token"
#: The scaled quotas of the rate-limit tests: the mock enforces the same ones.
SCALED_QUOTAS = [(5, 0.2), (10, 1.0)]


def _load_vendor_shape() -> Any:
    """spec/vendor_shape.py: the one Python structure check against the vendor's sample body
    (spec/vendor-request-body.json), shared with the spec's own tests."""
    spec = importlib.util.spec_from_file_location("vendor_shape", REPO / "spec" / "vendor_shape.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_vendor_shape = _load_vendor_shape()


def assert_vendor_shape(body: Any, with_conversation: bool) -> None:
    """`body` (what the server received, from the request log) has the structure of the
    vendor's sample body: same keys at the same places, same JSON types, no other key;
    `message.conversationId` present exactly when `with_conversation`."""
    _vendor_shape.assert_vendor_shape(body, with_conversation)


def mock_binary() -> str:
    path = os.environ.get("ENJO_MOCK_BIN") or str(REPO / "target" / "release" / "enjo-mock")
    if not Path(path).is_file():
        pytest.exit(
            f"enjo-mock not found at {path}: run `cargo build --release -p enjo-mock` "
            "or set ENJO_MOCK_BIN",
            returncode=2,
        )
    return path


class Mock:
    """One `enjo-mock` process and its `/_mock` admin API."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [mock_binary(), "--port", "0", "--exit-on-stdin-close", "--quiet", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode().strip()
        if not line.startswith("LISTENING "):
            self.stop()
            raise RuntimeError(f"enjo-mock did not start: {line!r}")
        self.port = int(line.split()[1])
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def _call(self, method: str, path: str, body: Optional[Dict[str, Any]] = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as resp:
            raw = resp.read()
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode()

    def requests(self, bot_id: Optional[str] = None) -> List[Dict[str, Any]]:
        query = f"?bot_id={bot_id}" if bot_id else ""
        return self._call("GET", "/_mock/requests" + query)  # type: ignore[no-any-return]

    def requests_with(self, text: str) -> List[Dict[str, Any]]:
        """The logged requests whose message text is `text` (tests use unique texts)."""
        return [r for r in self.requests() if r.get("text") == text]

    def tickets(self) -> List[Dict[str, Any]]:
        return self._call("GET", "/_mock/tickets")  # type: ignore[no-any-return]

    def fault(self, bot_id: Optional[str], fault: str, times: Optional[int] = 1) -> None:
        body: Dict[str, Any] = {"fault": fault}
        if bot_id is not None:
            body["bot_id"] = bot_id
        if times is not None:
            body["times"] = times
        self._call("POST", "/_mock/faults", body)

    def reset(self) -> None:
        self._call("POST", "/_mock/reset", {})


@pytest.fixture(scope="session")
def mock() -> Iterator[Mock]:
    server = Mock("--rate-limit", "off")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def limited_mock() -> Iterator[Mock]:
    """A mock enforcing the scaled quotas (5 per 200 ms and 10 per second)."""
    spec = ",".join(f"{n}/{int(w * 1000)}ms" for n, w in SCALED_QUOTAS)
    server = Mock("--rate-limit", spec)
    yield server
    server.stop()


@pytest.fixture
def own_mock() -> Iterator[Mock]:
    """A mock of the test's own (limits off): its own origin, hence its own shared limiter."""
    server = Mock("--rate-limit", "off")
    yield server
    server.stop()


@pytest.fixture
def client(mock: Mock) -> Iterator[enjo.Enjo]:
    with enjo.Enjo(token=TOKEN, base_url=mock.url, rate_limit=False) as c:
        yield c


@pytest.fixture
def aclient(mock: Mock) -> enjo.AsyncEnjo:
    return enjo.AsyncEnjo(token=TOKEN, base_url=mock.url, rate_limit=False)


_counter = itertools.count()


@pytest.fixture
def unique(request: pytest.FixtureRequest) -> Any:
    """`unique("what")` → a message text no other test sends (to count requests by text)."""

    def make(what: str = "msg") -> str:
        return f"{what} [{request.node.name} #{next(_counter)} pid {os.getpid()}]"

    return make
