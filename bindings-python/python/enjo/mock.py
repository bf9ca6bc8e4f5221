"""``python -m enjo.mock``: the Enjo-compatible mock server as a command, with the flags of
``enjo mock`` (``--port``, ``--rate-limit``, ``--config``, ``--token``, ``--quiet``...; see
``python -m enjo.mock --help``). The first line on stdout is ``LISTENING <port>``; it runs until
Ctrl-C / SIGTERM (or end of stdin with ``--exit-on-stdin-close``)."""

from __future__ import annotations

import sys
from typing import List, Optional

from ._enjo import _mock_main

__all__ = ["main"]


def main(argv: Optional[List[str]] = None) -> int:
    """Runs the server with ``argv`` (default: the command line); returns the exit status."""
    return _mock_main("python -m enjo.mock", list(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
