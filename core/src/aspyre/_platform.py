"""Facts about this machine that every room needs (below all rooms, like ``_plugins.py``):

* whether a path's file system ignores case, and so the app host hash that names what belongs to an
  app host (the model room computes :func:`aspyre._model._names.app_host_hash` from a path and a flag
  without looking at the disk; this module looks and passes the flag);
* how large the arguments and environment of a new process may be (:func:`host_exec_limits`).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from ._model._names import APP_HOST_HASH_CONTAINER, app_host_hash

if TYPE_CHECKING:
    from ._model._exec_limits import ExecLimits

__all__ = ["app_host_hash_of", "host_exec_limits", "ignores_case"]

#: The most Linux gives arguments and environment together: a quarter of the stack limit, but never more
#: than 3/4 of ``_STK_LIM`` (8 MiB), whatever ``ulimit -s`` says.
_LINUX_ARG_MAX_CAP = 6 * 1024 * 1024

#: Where nothing on the path can be checked: the platforms whose default file systems ignore case.
_DEFAULT_IGNORES_CASE = sys.platform in ("darwin", "win32")


def ignores_case(path: str | os.PathLike[str]) -> bool:
    """Whether the file system that holds ``path`` ignores case, judged on the path itself.

    The nearest existing entry of ``path`` (itself, else its closest existing parent) whose name has
    letters is looked up with the case of those letters swapped: the file system ignores case when
    that names the same entry (``/x/App/apphost.py`` and ``/x/APP/APPHOST.PY`` on macOS's default APFS
    or on Windows), and respects it when it names another entry or none (Linux's ext4). Without such
    an entry the platform's default answers (case ignored on macOS and Windows).
    """
    from pathlib import Path

    p = Path(os.path.abspath(os.fspath(path)))
    for candidate in (p, *p.parents):
        name = candidate.name
        if name == name.swapcase():  # no letters with a case (or the root)
            continue
        try:
            found = os.stat(candidate)
        except OSError:
            continue
        try:
            swapped = os.stat(candidate.with_name(name.swapcase()))
        except OSError:
            return False
        return os.path.samestat(found, swapped)
    return _DEFAULT_IGNORES_CASE


def app_host_hash_of(app_host_path: str | os.PathLike[str], length: int = APP_HOST_HASH_CONTAINER) -> str:
    """The app host hash of the app host at ``app_host_path`` (absolute): case folded only where the file
    system ignores case, so two app hosts whose paths differ only in case never share names on Linux, and
    one app host reached through different cases keeps its names on macOS and Windows."""
    return app_host_hash(app_host_path, length, fold_case=ignores_case(app_host_path))


def host_exec_limits() -> ExecLimits:
    """The limits of this machine on a new process's arguments and environment.

    Linux: ``sysconf(ARG_MAX)`` (a quarter of the stack limit, at most 6 MiB) in all and 128 KiB per
    string; macOS and other POSIX systems: ``ARG_MAX`` in all; elsewhere none known.
    """
    from ._model._exec_limits import LINUX_MAX_ARG_STRLEN, ExecLimits  # build() and run mode: not at import

    total: int | None = None
    try:
        total = os.sysconf("SC_ARG_MAX")
    except (AttributeError, ValueError, OSError):
        total = None
    if total is not None and total <= 0:
        total = None
    if sys.platform.startswith("linux"):
        return ExecLimits(min(total or 2 * 1024 * 1024, _LINUX_ARG_MAX_CAP), LINUX_MAX_ARG_STRLEN, "Linux")
    return ExecLimits(total, None, "this machine")
