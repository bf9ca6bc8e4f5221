"""The fault matrix (issue 21, item 4) for Python: every row of spec/fault-matrix.json against
a real enjo-mock, with `Enjo` and `AsyncEnjo`. Each row's outcome goes to
$ENJO_FAULT_MATRIX_RESULTS (default target/fault-matrix/) for scripts/fault-matrix.py; a row
whose outcome differs from the data file fails the test."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Union

import pytest

import enjo
from conftest import REPO, TOKEN, Mock

SPEC: Dict[str, Any] = json.loads((REPO / "spec" / "fault-matrix.json").read_text("utf-8"))
#: The class each kind of the taxonomy must arrive as.
CLASSES = {
    "server": enjo.ServerError,
    "decode": enjo.ResponseDecodeError,
    "timeout": enjo.APITimeoutError,
    "connection": enjo.APIConnectionError,
    "rate_limited": enjo.RateLimitError,
    "api": enjo.APIError,
    "invalid_request": enjo.InvalidRequestError,
    "authentication": enjo.AuthenticationError,
    "not_found": enjo.NotFoundError,
}
#: Far past every row's own timeout: a hang fails the row instead of the whole run.
HANG_GUARD = 120.0

Outcome = Union[enjo.MessageResponse, enjo.EnjoError]


@pytest.fixture(scope="module")
def matrix_mock() -> Iterator[Mock]:
    """The matrix's own mock: its 429 rows hold back only this origin."""
    server = Mock("--rate-limit", "off")
    yield server
    server.stop()


def options(row: Dict[str, Any]) -> Dict[str, Any]:
    merged = dict(SPEC["defaults"])
    merged.update(row.get("options", {}))
    return merged


def observed(result: Outcome) -> Dict[str, Any]:
    if isinstance(result, enjo.EnjoError):
        seen: Dict[str, Any] = {
            "outcome": result.kind,
            "status": result.status,
            "code": result.code,
            "retry_after": result.retry_after,
        }
        cls = CLASSES.get(result.kind)
        if cls is None or not isinstance(result, cls):
            seen["class"] = type(result).__name__
        return seen
    answers = result.answers
    return {
        "outcome": "ok",
        "answers": answers,
        "answers_length": None if answers is None else len(answers),
        "conversation_id": result.conversation_id,
        "sources": len(result.sources),
    }


def mismatches(expect: Dict[str, Any], seen: Dict[str, Any]) -> List[str]:
    out = []
    if "class" in seen:
        out.append(f"class {seen['class']} does not match kind {seen['outcome']}")
    for key, want in expect.items():
        got = seen.get(key)
        same = (
            abs(want - got) < 1e-9
            if isinstance(want, (int, float)) and isinstance(got, (int, float))
            else want == got
        )
        if not same:
            out.append(f"{key}: expected {str(want)[:80]!r}, got {str(got)[:80]!r}")
    return out


def run_matrix(binding: str, mock: Mock, call: Callable[[Dict[str, Any]], Outcome]) -> None:
    bot = SPEC["bot"]
    results = []
    failures = []
    for row in SPEC["rows"]:
        mock.reset()
        if row["fault"] is not None:
            mock.fault(bot, row["fault"], row.get("times"))
        seen = observed(call(options(row)))
        seen["requests"] = len(mock.requests(bot))
        problems = mismatches(row["expect"], seen)
        known = row.get("known_failures", {}).get(binding)
        if problems and not known:
            failures.append(f"{row['id']}: {'; '.join(problems)}")
        results.append({"binding": binding, "fault": row["id"], "outcome": seen["outcome"],
                        "requests": seen["requests"], "pass": not problems,
                        "detail": "; ".join(problems)})
    directory = Path(os.environ.get("ENJO_FAULT_MATRIX_RESULTS") or REPO / "target" / "fault-matrix")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{binding}.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    assert not failures, f"{binding}: rows differ from spec/fault-matrix.json:\n" + "\n".join(failures)


def test_fault_matrix_sync(matrix_mock: Mock) -> None:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def call(opts: Dict[str, Any]) -> Outcome:
        def send() -> Outcome:
            with enjo.Enjo(token=TOKEN, base_url=matrix_mock.url, rate_limit=False, **opts) as c:
                try:
                    return c.send_message(SPEC["bot"], SPEC["text"])
                except enjo.EnjoError as e:
                    return e

        return pool.submit(send).result(timeout=HANG_GUARD)

    try:
        run_matrix("python", matrix_mock, call)
    finally:
        pool.shutdown(wait=False)


def test_fault_matrix_async(matrix_mock: Mock) -> None:
    async def send(opts: Dict[str, Any]) -> Outcome:
        async with enjo.AsyncEnjo(
            token=TOKEN, base_url=matrix_mock.url, rate_limit=False, **opts
        ) as client:
            try:
                return await asyncio.wait_for(
                    client.send_message(SPEC["bot"], SPEC["text"]), HANG_GUARD
                )
            except enjo.EnjoError as e:
                return e

    run_matrix("python-async", matrix_mock, lambda opts: asyncio.run(send(opts)))
