"""The `http.client` contender of the Python benchmarks, shared by `benchmarks/python/bench.py`
and `benchmarks/report/clients/py_client.py`: the standard library's client on one kept-alive
connection, sending the documented request (serialized per call, as every contender does) and
parsing the JSON reply, which `check` inspects.
"""

from __future__ import annotations

import http.client
import json
from typing import Any, Callable, Dict
from urllib.parse import quote, urlsplit


def http_client_call(base: str, bot: str, text: str, headers: Dict[str, str],
                     check: Callable[[Any], None]) -> Callable[[], None]:
    """One caller with a connection of its own: `POST {base}/v1/bots/{bot}/message` (a path
    in `base` kept as a prefix); raises on a non-200 status or a reply `check` refuses."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port)
    path = f"{parts.path.rstrip('/')}/v1/bots/{quote(bot, safe='')}/message"
    payload = {"message": {"text": text}}

    def call() -> None:
        conn.request("POST", path, body=json.dumps(payload), headers=headers)
        r = conn.getresponse()
        body = r.read()
        if r.status != 200:
            raise RuntimeError(f"HTTP {r.status}")
        check(json.loads(body))

    return call
