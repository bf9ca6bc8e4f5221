"""What a new user meets first (issue 19): hints name options that exist."""

from __future__ import annotations

import inspect
import re

import pytest

import enjo

from conftest import TOKEN


def test_the_insecure_http_hint_names_a_keyword_the_client_has() -> None:
    with pytest.raises(enjo.InvalidArgumentError) as caught:
        enjo.Enjo(token=TOKEN, base_url="http://enjo.invalid")
    found = re.search(r"set (\w+) explicitly", str(caught.value))
    assert found, str(caught.value)
    option = found.group(1)
    for cls in (enjo.Enjo, enjo.AsyncEnjo):
        assert option in inspect.signature(cls.__init__).parameters, (cls, option)
    # And the keyword it names is all it takes.
    enjo.Enjo(token=TOKEN, base_url="http://enjo.invalid", **{option: True}).close()
