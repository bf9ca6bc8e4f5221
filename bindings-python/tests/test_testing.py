"""The testing kit (`enjo.testing`, `python -m enjo.mock`): the mock server in-process, as a
user's tests would use it, and a user's own test file run by pytest outside this repository."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

import enjo
from enjo.testing import MockServer

from conftest import REPO, assert_vendor_shape


def test_mock_server_serves_records_and_stops() -> None:
    with MockServer() as mock:
        assert mock.url == f"http://127.0.0.1:{mock.port}"
        assert mock.token == "enjo-mock-token"
        with mock.client() as client:
            reply = client.send_message("support-bot", "Please open a ticket: SSO login fails")
            assert reply.ticket is not None and reply.ticket.case_number
            follow = client.send_message("support-bot", "thanks", conversation_id=reply.conversation_id)
            assert follow.conversation_id == reply.conversation_id
        first, second = mock.requests()
        assert first["text"] == "Please open a ticket: SSO login fails"
        assert_vendor_shape(first["body"], with_conversation=False)
        assert_vendor_shape(second["body"], with_conversation=True)
        assert second["conversation_id"] == reply.conversation_id
        assert "enjo-mock-token" not in str(mock.requests())
        (ticket,) = mock.tickets()
        assert ticket["platform"] == "salesforce"
        assert ticket["ticket"]["CaseNumber"] == reply.ticket.case_number
        assert mock.requests(bot_id="faq-bot") == []
        mock.reset()
        assert mock.requests() == [] and mock.tickets() == []
        url = mock.url
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url + "/_mock/health", timeout=5)
    mock.stop()  # idempotent


def test_fault_bots_and_queued_faults_give_typed_errors() -> None:
    with MockServer(fault_bots={"down-bot": "500", "gone-bot": "status=404"}) as mock:
        client = mock.client(max_retries=0)
        with pytest.raises(enjo.ServerError) as server_error:
            client.send_message("down-bot", "hello")
        assert server_error.value.status == 500
        with pytest.raises(enjo.NotFoundError):
            client.send_message("gone-bot", "hello")
        mock.add_fault("429;retry-after=7", bot_id="echo-bot", times=1)
        with pytest.raises(enjo.RateLimitError) as limited:
            client.send_message("echo-bot", "hello")
        assert limited.value.retry_after == 7
        assert client.send_message("faq-bot", "What does it cost?").answers
        with pytest.raises(enjo.InvalidArgumentError, match="fault"):
            mock.add_fault("explode")


def test_scaled_limits_hold_with_a_matching_client() -> None:
    with MockServer(rate_limit=[(3, 0.3)]) as mock:
        client = mock.client(max_retries=0)
        for i in range(7):
            client.send_message("echo-bot", f"m{i}")
        statuses = [r["status"] for r in mock.requests()]
        assert statuses == [200] * 7
    # The same server refuses a client without limits: the limit is real.
    with MockServer(rate_limit=[(2, 60.0)]) as mock:
        client = mock.client(rate_limit=False, max_retries=0)
        client.send_message("echo-bot", "a")
        client.send_message("echo-bot", "b")
        with pytest.raises(enjo.RateLimitError):
            client.send_message("echo-bot", "c")


def test_options_are_checked(tmp_path: Path) -> None:
    with pytest.raises(enjo.InvalidArgumentError, match="fault bot"):
        MockServer(fault_bots={"x": "explode"})
    with pytest.raises(enjo.InvalidArgumentError, match="print-config"):
        MockServer(bots_file=tmp_path / "missing.toml")
    with pytest.raises(TypeError, match="pairs"):
        MockServer(rate_limit="20/60s")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        MockServer(rate_limit=[(1.5, 1.0)])
    bots = tmp_path / "bots.toml"
    bots.write_text(textwrap.dedent("""
        [[bots]]
        id = "my-bot"
        echo = true
    """))
    with MockServer(bots_file=bots, token="secret-test-token") as mock:
        assert mock.token == "secret-test-token"
        assert "secret-test-token" not in repr(mock)
        assert mock.client().send_message("my-bot", "hi").answers == "hi"
        with pytest.raises(enjo.InvalidRequestError):
            mock.client(max_retries=0).send_message("support-bot", "hi")


def test_the_pytest_fixture_points_the_environment_at_the_mock(enjo_mock: MockServer) -> None:
    client = enjo.Enjo(rate_limit=False)  # token and base URL from the environment
    assert client.base_url == enjo_mock.url
    assert client.send_message("echo-bot", "from env").answers == "from env"
    assert [r["text"] for r in enjo_mock.requests()] == ["from env"]


async def _async_send(mock: MockServer) -> str:
    async with mock.async_client() as client:
        reply = await client.send_message("echo-bot", "async hello")
        return reply.answers


def test_async_client() -> None:
    import asyncio

    with MockServer() as mock:
        assert asyncio.run(_async_send(mock)) == "async hello"


def test_python_m_enjo_mock_runs_standalone() -> None:
    help_out = subprocess.run([sys.executable, "-m", "enjo.mock", "--help"],
                              capture_output=True, text=True, timeout=60)
    assert help_out.returncode == 0 and "--rate-limit" in help_out.stdout
    bad = subprocess.run([sys.executable, "-m", "enjo.mock", "--rate-limit", "fast"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "rate limit" in bad.stderr
    proc = subprocess.Popen(
        [sys.executable, "-m", "enjo.mock", "--port", "0", "--exit-on-stdin-close", "--quiet",
         "--rate-limit", "off"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert proc.stdout is not None and proc.stdin is not None
        line = proc.stdout.readline().decode()
        assert line.startswith("LISTENING "), line
        port = int(line.split()[1])
        client = enjo.Enjo(token="enjo-mock-token", base_url=f"http://127.0.0.1:{port}",
                           rate_limit=False)
        assert client.send_message("echo-bot", "standalone").answers == "standalone"
    finally:
        if proc.stdin:
            proc.stdin.close()
        assert proc.wait(timeout=30) == 0


USER_TEST = '''
"""A user's own tests: only `enjo` and `enjo.testing`, no repository, no Rust."""
import pytest

import enjo
from enjo.testing import MockServer


def test_send(enjo_mock):
    client = enjo.Enjo(rate_limit=False)
    reply = client.send_message("faq-bot", "Is there a free trial?")
    assert reply.answers and reply.conversation_id
    assert enjo_mock.requests()[0]["text"] == "Is there a free trial?"


def test_conversation(enjo_mock):
    conversation = enjo.Enjo(rate_limit=False).conversation("support-bot")
    first = conversation.send("How do I reset my password?")
    second = conversation.send("It still fails")
    assert second.conversation_id == first.conversation_id == conversation.conversation_id
    # The follow-up carried the id the first reply gave.
    assert [r["conversation_id"] for r in enjo_mock.requests()] == [None, first.conversation_id]


def test_ticket(enjo_mock):
    reply = enjo.Enjo(rate_limit=False).send_message("jira-bot", "CI is down, open a ticket")
    assert reply.ticket is not None and reply.ticket.status
    (ticket,) = enjo_mock.tickets()
    assert ticket["platform"] == "jira" and ticket["conversation_id"] == reply.conversation_id


def test_fault_bot_typed_error():
    with MockServer(fault_bots={"broken-bot": "500"}) as mock:
        with pytest.raises(enjo.ServerError):
            mock.client(max_retries=0).send_message("broken-bot", "hello")


def test_scaled_rate_limit_without_429s():
    quotas = [(2, 0.2), (4, 1.0)]
    with MockServer(rate_limit=quotas) as mock:
        client = enjo.Enjo(token=mock.token, base_url=mock.url, rate_limit=quotas, max_retries=0)
        for i in range(6):
            client.send_message("echo-bot", f"message {i}")
        assert [r["status"] for r in mock.requests()] == [200] * 6
'''


def readme_testing_example() -> str:
    """The Python block of the README's "Testing your code" section, as a user copies it."""
    readme = (REPO / "bindings-python" / "README.md").read_text()
    section = readme.split("## Testing your code", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_a_users_own_test_file_outside_the_repository(tmp_path: Path) -> None:
    (tmp_path / "test_users_code.py").write_text(USER_TEST)
    (tmp_path / "test_readme.py").write_text(readme_testing_example())
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_users_code.py",
         "test_readme.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in __import__("os").environ.items() if not k.startswith("ENJO_")},
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "7 passed" in out.stdout, out.stdout
