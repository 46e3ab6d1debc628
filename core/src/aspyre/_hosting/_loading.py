"""Load an app host (a file or a module) up to ``builder.build()``, without running it.

:func:`load_app_host` executes the file inside a :class:`_Loading` held by a context variable.
While it is set, ``builder.build()`` asks :func:`current_loading` for it: ``configure(builder)``
runs just before the model's one validation, and each app built is recorded. The first call to
``run()``, ``run_async()``, ``start()`` or ``publish_async()`` of such an app raises
:class:`AppHostLoaded` instead of running: the file stops there (as Aspire's testing builder stops
the app host at ``Build()``) and :func:`load_app_host` returns the app. The ``aspyre`` command and
the pytest plugin load app hosts through here.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .._errors import DistributedApplicationException
from ._paths import resolve_path

if TYPE_CHECKING:
    from ._app import DistributedApplication
    from ._builder import DistributedApplicationBuilder

__all__ = [
    "AppHostLoaded",
    "AppHostNotFoundError",
    "AppHostSource",
    "current_loading",
    "load_app_host",
    "resolve_app_host",
    "stop_if_loaded",
]

#: The app host looked for in the current directory when none is named.
DEFAULT_APP_HOST = "apphost.py"


class AppHostNotFoundError(DistributedApplicationException, FileNotFoundError):
    """The app host named (or ``apphost.py`` in the current directory) is neither a file nor a module."""


class AppHostSource:
    """Where an app host comes from: a ``.py`` file, or an importable module (``mypkg.apphost``)."""

    def __init__(self, *, path: Path | None = None, module: str | None = None) -> None:
        if (path is None) == (module is None):
            raise ValueError("an app host is a path or a module, not both or neither")
        self.path = path
        self.module = module

    @property
    def display_name(self) -> str:
        """How to name the app host in messages (the path relative to the current directory)."""
        if self.module is not None:
            return self.module
        assert self.path is not None
        try:
            return os.path.relpath(self.path)
        except ValueError:  # pragma: no cover - another drive on Windows
            return str(self.path)

    def __repr__(self) -> str:
        return f"AppHostSource({self.display_name!r})"


class AppHostLoaded(BaseException):
    """Raised by ``run()``/``start()`` of an app built while :func:`aspyre.load_app_host` loads its file.

    A ``BaseException``, so ``except Exception`` in an app host does not swallow it.
    """

    def __init__(self, app: DistributedApplication) -> None:
        super().__init__(f"app host {app.app_host_path} loaded (stopped before running)")
        self.app = app


class _Loading:
    """One ``load_app_host()`` call: the optional ``configure(builder)`` and the apps built."""

    def __init__(self, configure: Callable[[DistributedApplicationBuilder], object] | None = None) -> None:
        self._configure = configure
        self.apps: list[DistributedApplication] = []

    def before_validation(self, builder: DistributedApplicationBuilder) -> None:
        """Called by ``build()`` before it validates: ``configure`` changes the model (once per load)."""
        configure, self._configure = self._configure, None
        if configure is not None:
            configure(builder)

    def built(self, app: DistributedApplication) -> None:
        """Called by ``build()`` with the app it made."""
        self.apps.append(app)

    def stops(self, app: DistributedApplication) -> bool:
        """Whether ``app`` was built by this load (its ``run()`` must stop the file)."""
        return any(a is app for a in self.apps)


_LOADING: contextvars.ContextVar[_Loading | None] = contextvars.ContextVar("aspyre_app_host_loading", default=None)


def current_loading() -> _Loading | None:
    """The ``load_app_host()`` in progress in this context, if any."""
    return _LOADING.get()


def stop_if_loaded(app: DistributedApplication) -> None:
    """Raise :class:`AppHostLoaded` if ``app`` was built by the ``load_app_host()`` in progress."""
    loading = _LOADING.get()
    if loading is not None and loading.stops(app):
        raise AppHostLoaded(app)


def _looks_like_module(text: str) -> bool:
    return all(part.isidentifier() for part in text.split("."))


def resolve_app_host(app_host: str | os.PathLike[str] | None = None, *, base: Path | None = None) -> AppHostSource:
    """Find the app host: a file (a directory means its ``apphost.py``), else a module name.

    ``None`` means ``apphost.py`` in ``base`` (default: the current directory). Relative paths
    are taken from ``base``.
    """
    base = Path.cwd() if base is None else base
    if app_host is None:
        candidate = base / DEFAULT_APP_HOST
        if candidate.is_file():
            return AppHostSource(path=candidate.resolve())
        raise AppHostNotFoundError(
            f"There is no {DEFAULT_APP_HOST} in {base}: name the app host, e.g. 'aspyre run path/to/apphost.py' "
            "or 'aspyre run mypackage.apphost'."
        )
    text = os.fspath(app_host)
    path = resolve_path(text, base)
    if path.is_dir():
        path = path / DEFAULT_APP_HOST
        if not path.is_file():
            raise AppHostNotFoundError(f"The directory {text!r} has no {DEFAULT_APP_HOST}.")
    if path.is_file():
        return AppHostSource(path=path.resolve())
    if not text.endswith(".py") and _looks_like_module(text):
        try:
            with _sys_path_first(str(base)):
                import importlib.util

                spec = importlib.util.find_spec(text)
        except (ImportError, ValueError):
            spec = None
        if spec is not None:
            return AppHostSource(module=text)
        raise AppHostNotFoundError(
            f"{text!r} is neither a file nor an importable module (looked for the file {path} and for the "
            f"module {text} on sys.path)."
        )
    raise AppHostNotFoundError(f"The app host file {text!r} does not exist (looked for {path}).")


@contextmanager
def _sys_path_first(entry: str) -> Iterator[None]:
    added = entry not in sys.path
    if added:
        sys.path.insert(0, entry)
    try:
        yield
    finally:
        if added:
            try:
                sys.path.remove(entry)
            except ValueError:  # pragma: no cover - the app host removed it itself
                pass


def _find_loaded(group: BaseExceptionGroup[BaseException]) -> AppHostLoaded | None:
    for exc in group.exceptions:
        if isinstance(exc, AppHostLoaded):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _find_loaded(exc)
            if found is not None:
                return found
    return None


def load_app_host(
    app_host: str | os.PathLike[str] | AppHostSource | None = None,
    args: Sequence[str] = (),
    *,
    configure: Callable[[DistributedApplicationBuilder], object] | None = None,
    restore: bool = True,
) -> DistributedApplication:
    """Execute an app host up to ``builder.build()`` and return the app, not started.

    ``app_host`` is a ``.py`` file (default ``apphost.py`` in the current directory), a
    directory holding one, or a module name (``mypkg.apphost``). The file runs as
    ``__main__`` with ``sys.argv = [file, *args]`` (so ``--publisher``... reach
    ``create_builder()``) and its directory first on ``sys.path``, as ``python apphost.py``
    would. Its ``builder.build().run()`` (or ``start()``, ``run_async()``, ``async with app``)
    does not run: the file stops there and the built app is returned. A file that only builds
    gives its last built app.

    ``configure(builder)``, if given, runs just before the app is made: it may add resources
    and change existing ones. With ``restore=True`` (the default) ``sys.argv`` and ``sys.path``
    are put back afterwards. Exceptions from the file propagate unchanged (``SystemExit`` too).
    """
    source = app_host if isinstance(app_host, AppHostSource) else resolve_app_host(app_host)
    loading = _Loading(configure)
    token = _LOADING.set(loading)
    saved_path, saved_argv = sys.path[:], sys.argv[:]
    try:
        if source.path is not None:
            sys.argv[:] = [str(source.path), *args]
            sys.path.insert(0, str(source.path.parent))
            import runpy

            module_globals = runpy.run_path(str(source.path), run_name="__main__")
        else:
            assert source.module is not None
            sys.argv[:] = [source.module, *args]
            sys.path.insert(0, os.getcwd())
            import runpy

            module_globals = runpy.run_module(source.module, run_name="__main__", alter_sys=True)
    except AppHostLoaded as exc:
        return _keep_globals(exc.app, exc)
    except BaseExceptionGroup as group:  # stopped inside a task group (anyio.run + async with app)
        found = _find_loaded(group)
        if found is None:
            raise
        return _keep_globals(found.app, group)
    finally:
        _LOADING.reset(token)
        if restore:
            sys.path[:] = saved_path
            sys.argv[:] = saved_argv
    if not loading.apps:
        raise RuntimeError(
            f"The app host {source.display_name} finished without calling builder.build(): end it with "
            "'builder.build().run()'."
        )
    app = loading.apps[-1]
    app._app_host_globals = module_globals
    return app


def _keep_globals(app: DistributedApplication, stopped: BaseException) -> DistributedApplication:
    """Tie the globals of the app host's module to ``app``, so that they live as long as it does.

    ``python apphost.py`` keeps its module (``__main__``) until the process ends; a loaded file's module
    would be dropped once it stopped, finalising what it holds (a ``TemporaryDirectory``, a socket)
    before the resources start. The module is the outermost ``<module>`` frame the stop went through.
    """
    tb = stopped.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") == "__main__":
            app._app_host_globals = frame.f_globals
            break
        tb = tb.tb_next
    return app
