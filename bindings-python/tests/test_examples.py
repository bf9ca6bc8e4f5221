"""examples/python/*.py run against the mock, as a user would run them (the tests that count
requests use the testing kit's `enjo_mock` fixture: an in-process server of their own)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, Union

import pytest
from enjo.testing import MockServer

from conftest import REPO, TOKEN, Mock, assert_vendor_shape

EXAMPLES = REPO / "examples" / "python"


def run(script: str, mock: Union[Mock, MockServer], **env: str) -> "subprocess.CompletedProcess[str]":
    full: Dict[str, str] = dict(os.environ, ENJO_BASE_URL=mock.url, ENJO_API_TOKEN=TOKEN, **env)
    full.pop("ENJO_LOG", None)
    return subprocess.run([sys.executable, str(EXAMPLES / script)], env=full,
                          capture_output=True, text=True, timeout=120)


def test_send_message_example(enjo_mock: MockServer) -> None:
    out = run("send_message.py", enjo_mock, ENJO_BOT_ID="support-bot")
    assert out.returncode == 0, out.stderr
    assert "conversation: " in out.stdout
    assert "ticket 000" in out.stdout  # the sample's text asks for a ticket
    # What the server received: the vendor's sample body (no id: a new conversation).
    (entry,) = enjo_mock.requests()
    assert entry["body"] == {"message": {"text": "Request for ticket generation"}}
    assert_vendor_shape(entry["body"], with_conversation=False)
    # Run again with that conversation's id: the vendor's body with `message.conversationId`,
    # and the server continues the conversation (and its one ticket).
    cid = out.stdout.split("conversation: ", 1)[1].split()[0]
    again = run("send_message.py", enjo_mock, ENJO_BOT_ID="support-bot", ENJO_CONVERSATION_ID=cid)
    assert again.returncode == 0, again.stderr
    assert f"conversation: {cid}" in again.stdout
    follow_up = enjo_mock.requests()[-1]
    assert_vendor_shape(follow_up["body"], with_conversation=True)
    assert follow_up["body"]["message"] == {"text": "Request for ticket generation", "conversationId": cid}
    assert follow_up["conversation_id"] == cid
    assert len(enjo_mock.tickets()) == 1


def test_send_message_example_runs_as_its_docstring_says(own_mock: Mock) -> None:
    # No ENJO_BOT_ID: the default bot exists in the mock.
    out = run("send_message.py", own_mock)
    assert out.returncode == 0, out.stderr
    assert "conversation: " in out.stdout
    # The install line names something that exists: not the unpublished `pip install enjo`.
    doc = (EXAMPLES / "send_message.py").read_text()
    for line in doc.splitlines():
        if "pip install" in line:
            target = line.split("pip install", 1)[1].split()[0]
            assert target.startswith("./"), line
            assert (REPO / target).is_dir(), line


def test_send_message_example_reports_errors(mock: Mock) -> None:
    out = run("send_message.py", mock, ENJO_BOT_ID="botId")  # the vendor's placeholder
    assert out.returncode == 1
    assert out.stderr.startswith("InvalidRequestError: HTTP 400")


def test_async_chat_example(enjo_mock: MockServer) -> None:
    out = run("async_chat.py", enjo_mock)
    assert out.returncode == 0, out.stderr
    assert sum(line.startswith("> ") for line in out.stdout.splitlines()) == 3
    assert "conversation id: " in out.stdout and "ticket " in out.stdout
    assert "(faq-bot, meanwhile:" in out.stdout
    # The conversation's messages reached the server with the vendor's body; every one after
    # the first carried the id inside `message`, and the server threaded them.
    cid = out.stdout.split("conversation id: ", 1)[1].split()[0]
    chat = enjo_mock.requests("support-bot")
    assert len(chat) == 3
    assert_vendor_shape(chat[0]["body"], with_conversation=False)
    for entry in chat[1:]:
        assert_vendor_shape(entry["body"], with_conversation=True)
        assert entry["body"]["message"]["conversationId"] == cid == entry["conversation_id"]
    for entry in enjo_mock.requests("faq-bot"):
        assert_vendor_shape(entry["body"], with_conversation=False)


@pytest.mark.parametrize("script", ["send_message.py", "async_chat.py"])
def test_examples_need_a_token(mock: Mock, script: str) -> None:
    env = dict(os.environ, ENJO_BASE_URL=mock.url)
    env.pop("ENJO_API_TOKEN", None)
    out = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "ENJO_API_TOKEN" in out.stderr
