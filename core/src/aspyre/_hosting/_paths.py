"""Paths on the app host's machine: one rule for every path a user gives, and where the app host is
(the file-system look-ups the model must not do; a Python app's interpreter is in ``_python_env``)."""

from __future__ import annotations

import inspect
import os
from pathlib import Path

__all__ = ["caller_file", "resolve_path"]


def resolve_path(path: str | os.PathLike[str], base: Path) -> Path:
    """``path`` made absolute and normal: ``~`` expanded, a relative path taken from ``base``.

    Normalising is lexical (``a/./b/../c`` becomes ``a/c``), as Aspire's ``Path.GetFullPath``:
    symbolic links are kept, so a virtual environment's ``bin/python`` stays the environment's
    interpreter. ``base`` must be absolute (the app host's directory).
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise TypeError(f"a path must be a str or an os.PathLike of str, not {type(path).__name__}")
    try:
        expanded = Path(text).expanduser()
    except RuntimeError as exc:  # ~user that does not exist, or no home directory
        raise ValueError(f"Cannot expand '~' in the path {text!r}: {exc}") from None
    return Path(os.path.normpath(base / expanded))


def caller_file() -> Path | None:
    """The file of the code that called into aspyre (the app host), or ``None``.

    Walks up the stack past every frame of the ``aspyre`` package, so the answer is the same
    whether the builder was made directly or through ``create_builder``. ``None`` when that code
    has no file (``python -c``, a REPL).
    """
    frame = inspect.currentframe()
    try:
        frame = frame.f_back if frame is not None else None
        while frame is not None:
            module = str(frame.f_globals.get("__name__", ""))
            if module != "aspyre" and not module.startswith("aspyre."):
                break
            frame = frame.f_back
        if frame is None:
            return None
        f = frame.f_globals.get("__file__")
        return Path(f).resolve() if f else None
    finally:
        del frame
