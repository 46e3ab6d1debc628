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
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from ._errors import DistributedApplicationException

if TYPE_CHECKING:
    import importlib.metadata

# importlib.metadata, difflib and traceback are imported where they are needed: "import aspyre"
# stays cheap for code that never looks at the installed plugins.

__all__ = [
    "GROUP_BUILDER_METHODS",
    "GROUP_HOOKS",
    "GROUP_PUBLISHERS",
    "GROUP_RESOURCE_METHODS",
    "KNOWN_INTEGRATIONS",
    "PluginEntry",
    "PluginHookError",
    "PluginLoadError",
    "PluginRegistry",
    "registry",
    "resource_extension",
]

GROUP_BUILDER_METHODS = "aspyre.builder_methods"
GROUP_RESOURCE_METHODS = "aspyre.resource_methods"
GROUP_HOOKS = "aspyre.hooks"
GROUP_PUBLISHERS = "aspyre.publishers"
GROUPS = (GROUP_BUILDER_METHODS, GROUP_RESOURCE_METHODS, GROUP_HOOKS, GROUP_PUBLISHERS)

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

F = TypeVar("F", bound=Callable[..., Any])

APPLIES_TO_ATTR = "__aspyre_applies_to__"


def resource_extension(*resource_types: type) -> Callable[[F], F]:
    """Declare which resource types a resource-builder extension method applies to::

    @aspyre.plugins.resource_extension(RedisResource)
    def with_persistence(builder, interval=60, keys_changed_threshold=1): ...
    """
    if not resource_types or not all(isinstance(t, type) for t in resource_types):
        raise TypeError("resource_extension() needs one or more resource types")

    def mark(fn: F) -> F:
        setattr(fn, APPLIES_TO_ATTR, tuple(resource_types))
        return fn

    return mark


class PluginLoadError(DistributedApplicationException, ImportError):
    """A plugin's entry point could not be loaded (or registered). Names the distribution and the entry point.

    ``entry`` is the :class:`PluginEntry`, ``error`` the original exception.
    """

    def __init__(self, entry: PluginEntry, error: BaseException, stage: str = "failed to load") -> None:
        self.entry = entry
        self.error = error
        super().__init__(
            f"Plugin {entry.name!r} (entry point {entry.name} = {entry.value!r} in group {entry.group!r}) from "
            f"distribution {entry.distribution} {entry.version} {stage}: {type(error).__name__}: {error}. "
            f"Reinstall or upgrade {entry.distribution}, or uninstall it if you do not use it."
        )


class PluginHookError(DistributedApplicationException, RuntimeError):
    """A plugin's hook implementation raised while the builder was being configured."""


@attrs.define(eq=False)
class PluginEntry:
    """One entry point of one of aspyre's groups, loaded on first use."""

    group: str
    name: str
    value: str
    distribution: str
    version: str
    _ep: importlib.metadata.EntryPoint | None = attrs.field(default=None, repr=False)
    _loaded: Any = attrs.field(default=None, init=False, repr=False)
    _state: str = attrs.field(default="unloaded", init=False)
    error: BaseException | None = attrs.field(default=None, init=False, repr=False)

    @property
    def is_loaded(self) -> bool:
        """Whether the object was imported."""
        return self._state == "loaded"

    @property
    def failed(self) -> bool:
        """Whether importing the object failed (:attr:`error` says why)."""
        return self._state == "failed"

    def load(self) -> Any:
        """Import the object (once). Raises :class:`PluginLoadError` if it cannot be imported."""
        if self._state == "loaded":
            return self._loaded
        if self._state == "failed":
            assert self.error is not None
            raise PluginLoadError(self, self.error)
        import importlib.metadata

        interrupted: Callable[[], bool] = _always
        try:
            if self._ep is None:
                self._ep = importlib.metadata.EntryPoint(name=self.name, value=self.value, group=self.group)
            with _interrupts_noted() as interrupted:
                obj = self._ep.load()
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


def _always() -> bool:
    return True


@contextlib.contextmanager
def _interrupts_noted() -> Iterator[Callable[[], bool]]:
    """Note whether SIGINT arrives meanwhile (main thread only; elsewhere every interrupt counts as real)."""
    import signal

    if threading.current_thread() is not threading.main_thread():
        yield _always
        return
    received = False
    previous = signal.getsignal(signal.SIGINT)

    def note(signum: int, frame: object) -> None:
        nonlocal received
        received = True
        if callable(previous):
            previous(signum, frame)  # type: ignore[arg-type]
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
        self._lock = threading.Lock()
        self._entries: list[PluginEntry] | None = list(entries) if entries is not None else None
        #: How many times the installed distributions were scanned (once per process, unless refreshed).
        self.scan_count = 0
        #: Distributions whose metadata could not be read during the scan (skipped).
        self.scan_errors: list[str] = []

    def _scan(self) -> list[PluginEntry]:
        with self._lock:
            if self._entries is not None:
                return self._entries
            entries: list[PluginEntry] = []
            seen_dists: set[str] = set()
            # One pass over the installed distributions (what entry_points() does on every call).
            import importlib.metadata

            for dist in importlib.metadata.distributions():
                try:
                    eps = [ep for ep in dist.entry_points if ep.group in GROUPS]
                    if not eps:
                        continue
                    dist_name = dist.metadata["Name"] or "<unknown>"
                except Exception as exc:  # unreadable metadata: not ours to fix, never fatal
                    self.scan_errors.append(f"{getattr(dist, '_path', dist)}: {type(exc).__name__}: {exc}")
                    continue
                key = dist_name.lower().replace("_", "-")
                if key in seen_dists:  # the same distribution twice on sys.path: the first wins
                    continue
                seen_dists.add(key)
                for ep in eps:
                    entries.append(PluginEntry(ep.group, ep.name, ep.value, dist_name, dist.version, ep))
            self.scan_count += 1
            self._entries = entries
            return entries

    def refresh(self) -> None:
        """Forget the scan (the next lookup scans again): for tests that install plugins."""
        with self._lock:
            self._entries = None

    def add(self, entry: PluginEntry) -> None:
        """Register an entry as if it came from an installed distribution (tests, embedding)."""
        self._scan().append(entry)

    def entries(self, group: str | None = None) -> list[PluginEntry]:
        """The entries of ``group`` (all of aspyre's groups when ``None``), in scan order."""
        return [e for e in self._scan() if group is None or e.group == group]

    def names(self, group: str) -> list[str]:
        """The entry-point names of ``group``, sorted."""
        return sorted({e.name for e in self.entries(group)})

    def find(self, group: str, name: str) -> list[PluginEntry]:
        """The entries of ``group`` called ``name`` (several distributions may provide one)."""
        return [e for e in self.entries(group) if e.name == name]

    @property
    def failures(self) -> list[PluginEntry]:
        """The entries that were tried and failed to load."""
        return [e for e in self._scan() if e.failed]

    # -- lookups used by the builders --------------------------------------------------------------
    def builder_method(self, name: str) -> Callable[..., Any] | None:
        """The ``aspyre.builder_methods`` function called ``name``; ``None`` if none is installed.

        If several distributions provide the name, the first that loads wins; if none loads,
        the error of the first is raised.
        """
        candidates = self.find(GROUP_BUILDER_METHODS, name)
        first_error: PluginLoadError | None = None
        for entry in candidates:
            try:
                fn = entry.load()
            except PluginLoadError as exc:
                first_error = first_error or exc
                continue
            if callable(fn):
                return fn  # type: ignore[no-any-return]
        if first_error is not None:
            raise first_error
        return None

    def resource_methods(self, name: str) -> list[tuple[PluginEntry, Callable[..., Any]]]:
        """Every loaded ``aspyre.resource_methods`` function called ``name`` with its entry."""
        out: list[tuple[PluginEntry, Callable[..., Any]]] = []
        errors: list[PluginLoadError] = []
        for entry in self.find(GROUP_RESOURCE_METHODS, name):
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


_registry = PluginRegistry()


def registry() -> PluginRegistry:
    """The process-wide plugin registry."""
    return _registry
