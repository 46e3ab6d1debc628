"""Plugins from entry points: scanned once per process, loaded one name at a time, failures isolated.

A utility below every room (it imports nothing from aspyre): the builder resolves extension methods
with it, publishing finds publishers, the CLI lists everything.

Entry-point groups:

``aspyre.builder_methods``
    ``name = "pkg.module:function"``: ``builder.<name>(...)`` calls ``function(builder, ...)``.
``aspyre.resource_methods``
    ``name = "pkg.module:function"``: ``resource_builder.<name>(...)`` calls
    ``function(resource_builder, ...)``; the function declares the resource types it applies to
    with :func:`resource_extension`. Several distributions may use the same name for different
    resource types (``with_data_volume``).
``aspyre.hooks``
    a module or object with ``@aspyre.plugins.hookimpl`` functions, registered with the plugin manager.
``aspyre.publishers``
    ``name = "pkg.module:PublisherClass"``: ``--publisher name``.

Which of the installed plugins a builder uses is a :class:`PluginSelection`: all of them, minus those
switched off (``ASPYRE_DISABLE_PLUGINS``, ``-p no:NAME``), or, with autoloading off
(``ASPYRE_DISABLE_PLUGIN_AUTOLOAD``), only those asked for (``ASPYRE_PLUGINS``, ``-p NAME``).
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

import attrs

from ._errors import DistributedApplicationException
from ._plugin_declarations import resource_extension
from ._plugin_scan import normalize_distribution
from ._version import API_VERSION, __version__

if TYPE_CHECKING:
    import importlib.metadata
    from typing import Protocol

    from ._plugin_selection import PluginSelection

    class _Signals(Protocol):  # making a Protocol class costs ~0.1 ms: type checkers alone need it
        """What :func:`_interrupts_noted` uses of the built-in ``_signal`` module (typeshed has no stub for it)."""

        SIGINT: int

        def getsignal(self, signalnum: int, /) -> object: ...

        def signal(self, signalnum: int, handler: Any, /) -> object: ...


# importlib.metadata, difflib, the selection and the version checks are imported where they are needed:
# "import aspyre" stays cheap for code that never looks at the installed plugins.

#: Plugins to switch off: distribution or entry-point names (``dist:entry`` too), separated by commas.
DISABLE_PLUGINS_ENV = "ASPYRE_DISABLE_PLUGINS"
#: Any value but ``""``/``0``/``false``/``no``: load only the plugins named explicitly (``-p NAME``, ``ASPYRE_PLUGINS``).
DISABLE_AUTOLOAD_ENV = "ASPYRE_DISABLE_PLUGIN_AUTOLOAD"
#: The plugins to load when autoloading is off, as :data:`DISABLE_PLUGINS_ENV` names them.
PLUGINS_ENV = "ASPYRE_PLUGINS"
#: The distribution of the core: never a plugin that can be switched off.
CORE_DISTRIBUTION = "aspyre"


__all__ = [
    "DISABLE_AUTOLOAD_ENV",
    "DISABLE_PLUGINS_ENV",
    "GROUP_BUILDER_METHODS",
    "GROUP_HOOKS",
    "GROUP_PUBLISHERS",
    "GROUP_RESOURCE_METHODS",
    "GROUP_STUBS",
    "STUBS_PACKAGE",
    "KNOWN_INTEGRATIONS",
    "PLUGINS_ENV",
    "PluginConflictError",
    "PluginEntry",
    "PluginHookError",
    "PluginLoadError",
    "PluginRegistry",
    "PluginValidationError",
    "normalize_distribution",
    "registry",
    "resource_extension",
]

GROUP_BUILDER_METHODS = "aspyre.builder_methods"
GROUP_RESOURCE_METHODS = "aspyre.resource_methods"
GROUP_HOOKS = "aspyre.hooks"
GROUP_PUBLISHERS = "aspyre.publishers"
GROUPS = (GROUP_BUILDER_METHODS, GROUP_RESOURCE_METHODS, GROUP_HOOKS, GROUP_PUBLISHERS)
#: Written by ``aspyre stubs`` in the generated stub distribution: the fingerprint of the plugins it describes.
GROUP_STUBS = "aspyre.stubs"
#: The stub package ``aspyre stubs`` writes (next to its ``.dist-info``).
STUBS_PACKAGE = "aspyre-stubs"


#: Methods of the integrations we know about, and the distribution that provides each.
KNOWN_INTEGRATIONS: dict[str, str] = {
    "add_redis": "aspyre-redis",
    "with_redis_commander": "aspyre-redis",
    "with_redis_insight": "aspyre-redis",
    "with_persistence": "aspyre-redis",
    "with_creation_script": "aspyre-postgres",
    "with_init_files": "aspyre-postgres",
    "add_postgres": "aspyre-postgres",
    "add_database": "aspyre-postgres",
    "with_pgadmin": "aspyre-postgres",
    "with_pgweb": "aspyre-postgres",
    "add_talking_clock": "aspyre-talking-clock",
    "add_docker_compose_environment": "aspyre-docker-compose",
    "publish_as_docker_compose_service": "aspyre-docker-compose",
    "add_kubernetes_environment": "aspyre-kubernetes",
    "publish_as_kubernetes_service": "aspyre-kubernetes",
}

def _switch_off_advice(entry: PluginEntry) -> str:
    dist = normalize_distribution(entry.distribution)
    return f"switch it off for one run with -p no:{dist} (or {DISABLE_PLUGINS_ENV}={dist})"


class PluginLoadError(DistributedApplicationException, ImportError):
    """A plugin's entry point could not be loaded (or registered). Names the distribution and the entry point.

    ``entry`` is the :class:`PluginEntry`, ``error`` the original exception.
    """

    def __init__(
        self, entry: PluginEntry, error: BaseException, stage: str = "failed to load", *, message: str | None = None
    ) -> None:
        self.entry = entry
        self.error = error
        if message is None:
            message = (
                f"Plugin {entry.name!r} ({entry.describe()}) from distribution {entry.distribution} {entry.version} "
                f"{stage}: {type(error).__name__}: {error}. Reinstall or upgrade {entry.distribution}, or uninstall "
                "it if you do not use it."
            )
        super().__init__(message)


class PluginValidationError(PluginLoadError):
    """A hook plugin's implementations do not fit aspyre's hooks: an unknown hook name, an argument the hook
    does not have, a function named like a hook but not marked with ``@aspyre.plugins.hookimpl``.

    Raised when a builder is created (as pytest fails on such a plugin, instead of dropping it quietly).
    ``problems`` lists each one, naming the function; ``aspyre plugins --check`` reports them too.
    """

    def __init__(self, entry: PluginEntry, problems: Iterable[str], *, others: Iterable[str] = ()) -> None:
        self.problems = list(problems)
        lines = [
            f"Plugin {entry.name!r} ({entry.describe()}) from distribution {entry.distribution} {entry.version} "
            "does not fit aspyre's hooks:",
            *(f"  - {p}" for p in self.problems),
            f"Fix the plugin (the hooks are documented in aspyre.plugins.HookSpecs), uninstall {entry.distribution}, "
            f"or {_switch_off_advice(entry)}.",
        ]
        more = list(others)
        if more:
            lines.append(f"Other invalid hook plugins: {', '.join(more)} ('aspyre plugins --check' lists everything).")
        super().__init__(entry, ValueError("; ".join(self.problems)), message="\n".join(lines))


class PluginConflictError(DistributedApplicationException, AttributeError):
    """Two distributions provide the same extension method, or a plugin's method has the name of one of
    aspyre's own: aspyre will not guess. Raised when the name is used; names every distribution involved.

    ``entries`` are the :class:`PluginEntry` objects involved (the core's method is not one).
    """

    def __init__(self, message: str, *, name: str, entries: Iterable[PluginEntry] = ()) -> None:
        super().__init__(message, name=name)
        self.entries = list(entries)


class PluginHookError(DistributedApplicationException, RuntimeError):
    """A plugin's hook implementation raised; the message names the hook and the plugin (``__cause__``: the error)."""


@attrs.define(eq=False)
class PluginEntry:
    """One entry point of one of aspyre's groups, loaded on first use."""

    group: str
    name: str
    value: str
    distribution: str
    version: str
    _ep: importlib.metadata.EntryPoint | None = attrs.field(default=None, repr=False)
    #: The distribution's requirement on aspyre (``">=0.1,<0.3"``; ``""``: any version; ``None``: none declared).
    requires: str | None = attrs.field(default=None, kw_only=True, repr=False)
    _loaded: Any = attrs.field(default=None, init=False, repr=False)
    _state: str = attrs.field(default="unloaded", init=False)
    error: BaseException | None = attrs.field(default=None, init=False, repr=False)

    @classmethod
    def of(cls, group: str, name: str, obj: object, *, distribution: str, version: str = "0.0.0") -> PluginEntry:
        """An entry whose object is given instead of imported (:mod:`aspyre.testing` registers such entries)."""
        module = getattr(obj, "__module__", None) or getattr(obj, "__name__", "")
        qualname = getattr(obj, "__qualname__", None)
        value = f"{module}:{qualname}" if qualname and module and "<" not in qualname else str(module or repr(obj))
        entry = cls(group, name, value, distribution, version)
        entry._loaded = obj
        entry._state = "loaded"
        return entry

    def describe(self) -> str:
        """``entry point NAME = 'VALUE' in group 'GROUP'``: where the entry is declared."""
        return f"entry point {self.name} = {self.value!r} in group {self.group!r}"

    @property
    def is_loaded(self) -> bool:
        """Whether the object was imported."""
        return self._state == "loaded"

    @property
    def failed(self) -> bool:
        """Whether importing the object failed (:attr:`error` says why)."""
        return self._state == "failed"

    def compatibility_problem(self) -> str | None:
        """Why this aspyre does not satisfy the distribution's requirement on aspyre (``None``: it does)."""
        if not self.requires:
            return None
        from ._plugin_versions import requirement_problem

        problem = requirement_problem(self.requires, __version__)
        if problem is None:
            return None
        return f"{problem}, and this is aspyre {__version__} (plugin API {API_VERSION})"

    def load(self) -> Any:
        """Import the object (once). Raises :class:`PluginLoadError` if it cannot be imported, or if the
        distribution declares that it does not support this version of aspyre (checked before the import)."""
        if self._state == "loaded":
            return self._loaded
        if self._state == "failed":
            assert self.error is not None
            if isinstance(self.error, _IncompatibleError):
                raise self.error.load_error
            raise PluginLoadError(self, self.error)
        problem = self.compatibility_problem()
        if problem is not None:
            error = _IncompatibleError(problem)
            error.load_error = PluginLoadError(
                self,
                error,
                message=(
                    f"Plugin {self.name!r} ({self.describe()}) from distribution {self.distribution} {self.version} "
                    f"was not loaded: {problem}. Install a version of {self.distribution} made for aspyre "
                    f"{API_VERSION} (or an aspyre it supports), or uninstall it if you do not use it."
                ),
            )
            self._state = "failed"
            self.error = error
            raise error.load_error
        interrupted: Callable[[], bool] = _always
        try:
            from ._loading_gc import loading

            with _interrupts_noted() as interrupted, loading():  # the plugin's modules live as long as the process
                obj = self._ep.load() if self._ep is not None else load_object(self.value)
        except BaseException as exc:
            # A plugin's SystemExit or KeyboardInterrupt at import is that plugin's failure, not a
            # reason to end the app host; only a real Ctrl-C (a SIGINT during the import) goes on.
            if isinstance(exc, KeyboardInterrupt) and interrupted():
                raise
            if not isinstance(exc, Exception | SystemExit | KeyboardInterrupt):
                raise
            self._state = "failed"
            self.error = exc
            raise PluginLoadError(self, exc) from exc
        self._loaded = obj
        self._state = "loaded"
        return obj


#: An entry point's value, as ``importlib.metadata.EntryPoint`` reads it (compiled only for a value with spaces or
#: extras: the usual ``module:attr`` is split without it).
_OBJECT_REFERENCE = r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$"


def _dotted(text: str) -> bool:
    # [\w.]+  (\w: what str.isalnum() accepts, and "_")
    return bool(text) and all(c.isalnum() or c in "._" for c in text)


def load_object(value: str) -> Any:
    """Import what an entry point's value names (``package.module:attr.sub``), as ``EntryPoint.load`` does."""
    module, colon, attrs_path = value.partition(":")
    if not (_dotted(module) and (not colon or _dotted(attrs_path))):
        match = re.match(_OBJECT_REFERENCE, value)
        if match is None:
            raise ValueError(f"{value!r} is not an object reference (module or module:attribute)")
        module, attrs_path = match["module"], match["attr"] or ""
    import importlib

    obj: Any = importlib.import_module(module)
    for attr in filter(None, attrs_path.split(".")):
        obj = getattr(obj, attr)
    return obj


class _IncompatibleError(RuntimeError):
    """The distribution declares aspyre versions that do not include this one."""

    load_error: PluginLoadError


def _always() -> bool:
    return True


def _signals() -> _Signals:
    # The built-in module under ``signal``: ``signal`` itself builds three enums when first imported (~0.5 ms on
    # an app host's builder path); the guard needs none of them (SIG_DFL and SIG_IGN come back as plain ints and
    # are restored as they are).
    import importlib

    return cast("_Signals", importlib.import_module("_signal"))


@contextlib.contextmanager
def _interrupts_noted() -> Iterator[Callable[[], bool]]:
    """Note whether SIGINT arrives meanwhile (main thread only; elsewhere every interrupt counts as real)."""
    signal = _signals()

    if threading.current_thread() is not threading.main_thread():
        yield _always
        return
    received = False
    previous = signal.getsignal(signal.SIGINT)

    def note(signum: int, frame: object) -> None:
        nonlocal received
        received = True
        if callable(previous):
            previous(signum, frame)
        else:
            raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGINT, note)
    except ValueError:  # pragma: no cover - not the main interpreter
        yield _always
        return
    try:
        yield lambda: received
    finally:
        signal.signal(signal.SIGINT, previous)


class PluginRegistry:
    """Every aspyre entry point of the installed distributions, read once per process."""

    def __init__(self, entries: Iterable[PluginEntry] | None = None) -> None:
        self._lock = threading.RLock()
        self._entries: list[PluginEntry] | None = list(entries) if entries is not None else None
        #: How many times the installed distributions were scanned (once per process, unless refreshed).
        self.scan_count = 0
        #: Distributions whose metadata could not be read during the scan (skipped).
        self.scan_errors: list[str] = []
        #: ``(where, fingerprint)`` of each stub distribution ``aspyre stubs`` wrote that the scan saw.
        self.stubs: list[tuple[str, str]] = []
        self._selection: PluginSelection | None = None
        self._installed: list[PluginEntry] = []

    def _scan(self) -> list[PluginEntry]:
        with self._lock:
            if self._entries is not None:
                return self._entries
            entries: list[PluginEntry] = []
            stubs: list[tuple[str, str]] = []
            from ._plugin_cache import cached_distribution_entries
            from ._plugin_versions import aspyre_requirement

            # One pass over the installed distributions (what entry_points() does on every call), or the
            # result of the last one, kept on disk while sys.path's directories did not change.
            for dist in cached_distribution_entries((*GROUPS, GROUP_STUBS), self.scan_errors):
                requires = aspyre_requirement(dist.requires)
                for group, name, value in dist.entry_points:
                    if group == GROUP_STUBS:
                        stubs.append((_stubs_location(dist.location), value))
                    else:
                        entries.append(PluginEntry(group, name, value, dist.name, dist.version, requires=requires))
            self.scan_count += 1
            self._entries = entries
            self._installed = list(entries)
            self.stubs = stubs
            return entries

    def refresh(self) -> None:
        """Forget the scan (the next lookup scans again): for tests that install plugins."""
        with self._lock:
            self._entries = None

    def add(self, entry: PluginEntry) -> None:
        """Register an entry as if it came from an installed distribution (tests, embedding)."""
        self._scan().append(entry)

    def remove(self, entry: PluginEntry) -> None:
        """Forget an entry (one :meth:`add` registered, or one the scan found)."""
        with self._lock:
            entries = self._scan()
            for i, e in enumerate(entries):
                if e is entry:
                    del entries[i]
                    return
        raise ValueError(f"{entry!r} is not registered")

    @contextlib.contextmanager
    def overlay(self, entries: Iterable[PluginEntry]) -> Iterator[list[PluginEntry]]:
        """Use ``entries`` as if they were installed, until the block ends.

        They replace the installed entries of the same distributions (a plugin under test that is
        also installed, editable, is seen once); those come back afterwards, in their places.
        Yields the entries that were hidden.
        """
        new = list(entries)
        dists = {normalize_distribution(e.distribution) for e in new}
        with self._lock:
            current = self._scan()
            before = list(current)
            hidden = [e for e in current if normalize_distribution(e.distribution) in dists]
            current[:] = [e for e in current if normalize_distribution(e.distribution) not in dists] + new
        try:
            yield hidden
        finally:
            with self._lock:
                current = self._scan()
                added_since = [e for e in current if e not in before and e not in new]
                current[:] = before + added_since

    def entries(self, group: str | None = None) -> list[PluginEntry]:
        """The entries of ``group`` (all of aspyre's groups when ``None``), in scan order."""
        return [e for e in self._scan() if group is None or e.group == group]

    def names(self, group: str) -> list[str]:
        """The entry-point names of ``group``, sorted."""
        return sorted({e.name for e in self.entries(group)})

    def find(self, group: str, name: str) -> list[PluginEntry]:
        """The entries of ``group`` called ``name`` (several distributions may provide one)."""
        return [e for e in self.entries(group) if e.name == name]

    # -- which plugins are used ------------------------------------------------------------------
    def selection(self) -> PluginSelection:
        """The plugins new builders use: what :meth:`select` set (the ``aspyre`` command does), else the
        environment variables, read now."""
        if self._selection is not None:
            return self._selection
        from ._plugin_selection import PluginSelection

        return PluginSelection.from_environment()

    def select(self, selection: PluginSelection | None) -> None:
        """Set the selection new builders of this process use (``None``: back to the environment variables)."""
        self._selection = selection

    # -- type stubs ------------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """A digest of the extension methods installed (names, entry points, distributions, versions) and of
        aspyre's version: what ``aspyre stubs`` records, to tell when its stubs are out of date.

        Only what the scan found counts: entries registered by :meth:`add` or :meth:`overlay` (tests) are not
        installed."""
        import hashlib

        self._scan()
        rows = sorted(
            f"{e.group} {e.name} {e.value} {normalize_distribution(e.distribution)} {e.version}"
            for e in self._installed
            if e.group in (GROUP_BUILDER_METHODS, GROUP_RESOURCE_METHODS)
        )
        digest = hashlib.sha256("\n".join([f"aspyre {__version__}", *rows]).encode()).hexdigest()
        return digest[:20]

    def stubs_status(self) -> tuple[str, str | None]:
        """``("missing", None)``, ``("current", where)`` or ``("stale", where)`` for the stubs ``aspyre stubs``
        wrote (the first one on ``sys.path``)."""
        self._scan()
        if not self.stubs:
            return ("missing", None)
        where, recorded = self.stubs[0]
        return ("current" if recorded == self.fingerprint() else "stale", where)

    @property
    def failures(self) -> list[PluginEntry]:
        """The entries that were tried and failed to load."""
        return [e for e in self._scan() if e.failed]

    # -- lookups used by the builders --------------------------------------------------------------
    def usable(self, group: str, name: str, selection: PluginSelection | None = None) -> list[PluginEntry]:
        """The entries of ``group`` called ``name`` that ``selection`` (default: :meth:`selection`) allows."""
        sel = self.selection() if selection is None else selection
        return [e for e in self.find(group, name) if sel.allows(e)]

    def builder_method(self, name: str, selection: PluginSelection | None = None) -> Callable[..., Any] | None:
        """The ``aspyre.builder_methods`` function called ``name``; ``None`` if no used plugin provides it.

        Raises :class:`PluginConflictError` when several distributions provide it, and
        :class:`PluginLoadError` when its plugin cannot be loaded.
        """
        candidates = self.usable(GROUP_BUILDER_METHODS, name, selection)
        if not candidates:
            return None
        if len({normalize_distribution(e.distribution) for e in candidates}) > 1:
            raise PluginConflictError(conflict_message(f"builder.{name}()", candidates), name=name, entries=candidates)
        fn = candidates[0].load()
        if not callable(fn):
            raise PluginLoadError(candidates[0], TypeError(f"{candidates[0].value} is not a function"))
        return fn  # type: ignore[no-any-return]

    def resource_methods(
        self, name: str, selection: PluginSelection | None = None
    ) -> list[tuple[PluginEntry, Callable[..., Any]]]:
        """Every loaded ``aspyre.resource_methods`` function called ``name`` that ``selection`` allows, with its
        entry. Raises the first :class:`PluginLoadError` when none of them loads."""
        out: list[tuple[PluginEntry, Callable[..., Any]]] = []
        errors: list[PluginLoadError] = []
        for entry in self.usable(GROUP_RESOURCE_METHODS, name, selection):
            try:
                out.append((entry, entry.load()))
            except PluginLoadError as exc:
                errors.append(exc)
        if not out and errors:
            raise errors[0]
        return out

    def suggestions(self, name: str, group: str, builtins: Iterable[str]) -> str:
        """A hint for a missing method: for a known integration, the distribution to install;
        otherwise the closest names among the built-in, installed and known methods."""
        dist = KNOWN_INTEGRATIONS.get(name)
        if dist is not None and not self.find(group, name):
            return f"{name}() comes from the {dist} distribution: pip install {dist}"
        pool = set(builtins) | set(self.names(group))
        if group == GROUP_BUILDER_METHODS:
            pool |= {k for k in KNOWN_INTEGRATIONS if k.startswith("add_") and k != "add_database"}
        else:
            pool |= {k for k in KNOWN_INTEGRATIONS if not k.startswith("add_") or k == "add_database"}
        pool.discard(name)
        import difflib

        close = difflib.get_close_matches(name, sorted(pool), n=3, cutoff=0.75)
        if not close:
            return ""
        return "did you mean " + ", ".join(f"{c}()" for c in close) + "?"


def _stubs_location(info: str) -> str:
    """Where the stub package of the stub distribution whose metadata is in ``info`` is (next to it)."""
    if not info:
        return "?"
    import os.path

    return os.path.join(os.path.dirname(info), STUBS_PACKAGE)


def conflict_message(what: str, entries: Iterable[PluginEntry]) -> str:
    """The message for ``what`` (``builder.add_x()``) provided by several distributions."""
    entries = list(entries)
    listed = "; ".join(f"{e.distribution} {e.version} ({e.describe()})" for e in entries)
    last = normalize_distribution(entries[-1].distribution)
    return (
        f"{what} is provided by {len(entries)} distributions, and aspyre will not guess which one you mean: {listed}. "
        f"Uninstall all but one, or switch the others off for one run with -p no:NAME (or "
        f"{DISABLE_PLUGINS_ENV}={last})."
    )


_registry = PluginRegistry()


def registry() -> PluginRegistry:
    """The process-wide plugin registry."""
    return _registry
