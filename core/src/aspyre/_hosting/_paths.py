"""Paths on the app host's machine: one rule for every path a user gives, and where the app host is
(the file-system look-ups the model must not do; a Python app's interpreter is in ``_python_env``).

:mod:`pathlib` is imported when a path is resolved, not before: an app host's builder with its integrations needs
none (pathlib brings ``urllib.parse`` and ``ipaddress``), so the builder keeps the app host's path as a string
(:func:`real_path`) until something asks for it as a :class:`~pathlib.Path`.
"""

from __future__ import annotations

import errno
import inspect
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["AppHostPaths", "caller_file", "real_path", "resolve_path"]


def resolve_path(path: str | os.PathLike[str], base: Path) -> Path:
    """``path`` made absolute and normal: ``~`` expanded, a relative path taken from ``base``.

    Normalising is lexical (``a/./b/../c`` becomes ``a/c``), as Aspire's ``Path.GetFullPath``:
    symbolic links are kept, so a virtual environment's ``bin/python`` stays the environment's
    interpreter. ``base`` must be absolute (the app host's directory).
    """
    text = os.fspath(path) if isinstance(path, (str, os.PathLike)) else None
    if not isinstance(text, str):
        raise TypeError(f"a path must be a str or an os.PathLike of str, not {type(path).__name__}")
    from pathlib import Path

    try:
        expanded = Path(text).expanduser()
    except RuntimeError as exc:  # ~user that does not exist, or no home directory
        raise ValueError(f"Cannot expand '~' in the path {text!r}: {exc}") from None
    return Path(os.path.normpath(base / expanded))


def real_path(path: str | os.PathLike[str]) -> str:
    """``str(Path(path).resolve())`` without :mod:`pathlib`: absolute, symbolic links resolved, normalised.

    As :meth:`pathlib.Path.resolve`: a path that does not exist is fine, a symbolic link loop is a
    ``RuntimeError``, and a path must be a ``str`` (or an ``os.PathLike`` of one).
    """
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"argument should be a str or an os.PathLike object returning str, not {type(text)!r}")
    resolved = os.path.realpath(text)
    try:
        os.stat(resolved)
    except OSError as exc:  # realpath() does not report a loop when it is not strict: Path.resolve() checks
        if exc.errno == errno.ELOOP:
            raise RuntimeError(f"Symlink loop from {exc.filename!r}") from None
    return resolved


def caller_file() -> str | None:
    """The file of the code that called into aspyre (the app host), resolved (:func:`real_path`), or ``None``.

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
        return real_path(f) if f else None
    finally:
        del frame


class AppHostPaths:
    """The builder's paths: the app host file, its directory, and the rule for every path a user gives.

    The app host file is kept as a ``str`` (:func:`real_path`) until :attr:`app_host_path` is asked for.
    """

    _app_host_file: str
    _app_host_path: Path | None
    _directory_of: tuple[Path, Path] | None

    @property
    def app_host_path(self) -> Path:
        """The app host file: absolute, symbolic links resolved (it names the app host's secrets and volumes)."""
        path = self._app_host_path
        if path is None:
            from pathlib import Path

            path = self._app_host_path = Path(self._app_host_file)
        return path

    @app_host_path.setter
    def app_host_path(self, path: Path) -> None:
        self._app_host_path = path

    @property
    def app_host_directory(self) -> Path:
        """The directory of the app host file: relative paths are resolved against it."""
        cached = self._directory_of
        if cached is None or cached[0] is not self.app_host_path:  # computed again if the path was replaced
            cached = self._directory_of = (self.app_host_path, self.app_host_path.parent)
        return cached[1]

    def resolve_path(self, path: str | os.PathLike[str]) -> Path:
        """The absolute path a user means by ``path``: the one rule for every path given to a builder.

        ``~`` is expanded, a relative path is taken from the app host's directory, and the result is
        normalised lexically (``..`` and ``.`` removed; symbolic links are kept). Integrations use it
        for paths of their own.
        """
        return resolve_path(path, self.app_host_directory)

    def python_interpreter(
        self,
        app_directory: str | os.PathLike[str] | None = None,
        *,
        interpreter: str | os.PathLike[str] | None = None,
        venv: str | os.PathLike[str] | None = None,
    ) -> str:
        """The Python interpreter ``add_python_app`` would run an app in ``app_directory`` with.

        ``interpreter`` if given (a path is resolved with :meth:`resolve_path`; a bare name such as
        ``python3.12`` is kept for ``PATH``), else ``venv``'s, else ``<app_directory>/.venv``'s, else the
        interpreter running the app host. ``app_directory`` defaults to the app host's directory.
        Integrations that run Python code use it, so they honour the same choices.
        """
        from ._python_env import choose_python_interpreter

        app_dir = self.app_host_directory if app_directory is None else self.resolve_path(app_directory)
        return choose_python_interpreter(
            app_dir,
            interpreter=None if interpreter is None else os.fspath(interpreter),
            venv=None if venv is None else self.resolve_path(venv),
            resolve=self.resolve_path,
        )

    def _path_arg(self, name: str, method: str, param: str, path: str | os.PathLike[str] | None) -> Path | None:
        """``resolve_path(path)`` (``None`` stays ``None``), or an error naming the resource and the parameter."""
        if path is None:
            return None
        try:
            return self.resolve_path(path)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"{method}() on resource {name!r}: {param}: {exc}") from None
