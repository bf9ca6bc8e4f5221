"""examples/python/*.py run against the mock, as a user would run them."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict

import pytest

from conftest import REPO, TOKEN, Mock

EXAMPLES = REPO / "examples" / "python"


def run(script: str, mock: Mock, **env: str) -> "subprocess.CompletedProcess[str]":
    full: Dict[str, str] = dict(os.environ, ENJO_BASE_URL=mock.url, ENJO_API_TOKEN=TOKEN, **env)
    full.pop("ENJO_LOG", None)
    return subprocess.run([sys.executable, str(EXAMPLES / script)], env=full,
                          capture_output=True, text=True, timeout=120)


def test_send_message_example(mock: Mock) -> None:
    out = run("send_message.py", mock, ENJO_BOT_ID="support-bot")
    assert out.returncode == 0, out.stderr
    assert "conversation: " in out.stdout
    assert "ticket 000" in out.stdout  # the sample's text asks for a ticket


def test_send_message_example_reports_errors(mock: Mock) -> None:
    out = run("send_message.py", mock, ENJO_BOT_ID="botId")  # the vendor's placeholder
    assert out.returncode == 1
    assert out.stderr.startswith("InvalidRequestError: HTTP 400")


def test_async_chat_example(mock: Mock) -> None:
    out = run("async_chat.py", mock)
    assert out.returncode == 0, out.stderr
    assert sum(line.startswith("> ") for line in out.stdout.splitlines()) == 3
    assert "conversation id: " in out.stdout and "ticket " in out.stdout
    assert "(faq-bot, meanwhile:" in out.stdout


@pytest.mark.parametrize("script", ["send_message.py", "async_chat.py"])
def test_examples_need_a_token(mock: Mock, script: str) -> None:
    env = dict(os.environ, ENJO_BASE_URL=mock.url)
    env.pop("ENJO_API_TOKEN", None)
    out = subprocess.run([sys.executable, str(EXAMPLES / script)], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0 and "ENJO_API_TOKEN" in out.stderr
