"""The ``aspyre`` command: run, publish, describe an app host; list plugins.

The console script calls :func:`main`. Importing this package is cheap: the terminal UI (rich)
is imported only when a command runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from ._loader import AppHostNotFoundError, load_app_host

__all__ = ["AppHostNotFoundError", "load_app_host", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``aspyre`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code."""
    from ._main import main as _main

    return _main(argv)
