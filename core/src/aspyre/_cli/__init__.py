"""The ``aspyre`` command: run, publish, describe an app host; list plugins.

The console script calls :func:`main`. Importing this package is cheap: the terminal UI (rich)
is imported only when a command runs.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aspyre`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    from ._main import main as _main

    return _main(argv)
