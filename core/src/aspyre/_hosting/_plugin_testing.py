"""Testing a plugin without installing it, as pytest's ``pytester`` lets a pytest plugin be tested.

:class:`PluginTester` registers entry points for a while (a test), as if a distribution declaring them
were installed: given as objects, as ``"module:attr"`` strings (loaded lazily, exactly as installed entry
points are), or read from a ``pyproject.toml``. They replace the installed entries of the same distribution
meanwhile, so a plugin under development that is also installed (editable) is seen once. The pytest
fixture ``aspyre_plugins`` (:mod:`aspyre.pytest_plugin`) gives one per test and undoes it afterwards.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

from aspyre._plugin_versions import aspyre_requirement
from aspyre._plugins import (
    GROUP_BUILDER_METHODS,
    GROUP_HOOKS,
    GROUP_PUBLISHERS,
    GROUP_RESOURCE_METHODS,
    GROUPS,
    PluginEntry,
    normalize_distribution,
    registry,
)

from ._builder import DistributedApplicationBuilder
from ._plugin_check import PluginProblem, check_plugins

__all__ = ["PluginTester"]

EntryTargets = Mapping[str, object] | None


class PluginTester:
    """Entry points registered until :meth:`close` (or the end of a ``with`` block, or of a test).

    ::

        with aspyre.testing.PluginTester() as plugins:
            plugins.register("aspyre-greeter", builder_methods={"add_greeter": add_greeter})
            builder = plugins.create_builder()
            builder.add_greeter("hello")

    ``app_host_directory`` anchors the builders :meth:`create_builder` makes (default: the current directory).
    """

    def __init__(self, app_host_directory: str | os.PathLike[str] | None = None) -> None:
        self._stack = contextlib.ExitStack()
        self._directory = Path(app_host_directory) if app_host_directory is not None else None
        #: The distributions registered so far (as given).
        self.distributions: list[str] = []
        #: Every entry registered so far.
        self.entries: list[PluginEntry] = []

    def __enter__(self) -> PluginTester:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Unregister everything (the installed entries it replaced come back) and restore ``sys.path``."""
        self._stack.close()

    # -- registering --------------------------------------------------------------------------------------
    def register(
        self,
        distribution: str,
        *,
        builder_methods: EntryTargets = None,
        resource_methods: EntryTargets = None,
        hooks: EntryTargets = None,
        publishers: EntryTargets = None,
        version: str = "0.0.0",
        requires: str | None = None,
    ) -> list[PluginEntry]:
        """Register entry points of ``distribution`` as if it were installed; returns the entries.

        Each mapping goes from the entry-point name to the object (a function, a hooks module or object, a
        publisher class) or to its ``"module:attr"`` reference. ``requires`` is the distribution's
        requirement on aspyre (``">=0.1,<0.3"``), checked as for an installed plugin.
        """
        groups = (
            (GROUP_BUILDER_METHODS, builder_methods),
            (GROUP_RESOURCE_METHODS, resource_methods),
            (GROUP_HOOKS, hooks),
            (GROUP_PUBLISHERS, publishers),
        )
        entries: list[PluginEntry] = []
        for group, targets in groups:
            for name, target in (targets or {}).items():
                if isinstance(target, str):
                    entries.append(PluginEntry(group, name, target, distribution, version, requires=requires))
                else:
                    entries.append(PluginEntry.of(group, name, target, distribution=distribution, version=version))
        if not entries:
            raise ValueError(f"register({distribution!r}) needs at least one entry point")
        same = [
            e for e in self.entries if normalize_distribution(e.distribution) == normalize_distribution(distribution)
        ]
        self._stack.enter_context(registry().overlay([*same, *entries]))
        self.entries.extend(entries)
        if distribution not in self.distributions:
            self.distributions.append(distribution)
        return entries

    def from_pyproject(self, path: str | os.PathLike[str] = "pyproject.toml") -> list[PluginEntry]:
        """Register the entry points a ``pyproject.toml`` declares (aspyre's groups), with its name, version and
        requirement on aspyre. When its modules are not importable (the project is not installed), its ``src``
        directory (or its own directory) goes on ``sys.path`` until :meth:`close`."""
        import tomllib

        file = Path(path).resolve()
        with file.open("rb") as f:
            project = tomllib.load(f).get("project", {})
        name = project.get("name")
        if not name:
            raise ValueError(f"{file} has no [project] name")
        declared = project.get("entry-points", {})
        targets = {group: dict(declared.get(group, {})) for group in GROUPS}
        if not any(targets.values()):
            raise ValueError(f"{file} declares no entry point in aspyre's groups ({', '.join(GROUPS)})")
        self._importable(file.parent, [v for group in targets.values() for v in group.values()])
        return self.register(
            name,
            builder_methods=targets[GROUP_BUILDER_METHODS],
            resource_methods=targets[GROUP_RESOURCE_METHODS],
            hooks=targets[GROUP_HOOKS],
            publishers=targets[GROUP_PUBLISHERS],
            version=str(project.get("version", "0.0.0")),
            requires=aspyre_requirement(project.get("dependencies", [])),
        )

    def _importable(self, root: Path, values: Sequence[str]) -> None:
        modules = {v.split(":", 1)[0].strip().split(".")[0] for v in values}
        missing = [m for m in modules if importlib.util.find_spec(m) is None]
        if not missing:
            return
        for candidate in (root / "src", root):
            if all((candidate / m).is_dir() or (candidate / f"{m}.py").is_file() for m in missing):
                entry = str(candidate)
                sys.path.insert(0, entry)
                self._stack.callback(_remove_path, entry)
                importlib.invalidate_caches()
                return

    # -- using them ---------------------------------------------------------------------------------------
    def create_builder(
        self, args: Sequence[str] = (), *, app_host_path: str | os.PathLike[str] | None = None
    ) -> DistributedApplicationBuilder:
        """A builder that sees the registered plugins (its hook plugins registered, its configure hooks run).

        ``app_host_path`` defaults to ``apphost.py`` in ``app_host_directory``.
        """
        path = Path(app_host_path) if app_host_path is not None else (self._directory or Path.cwd()) / "apphost.py"
        return DistributedApplicationBuilder(list(args), app_host_path=path)

    def check(self, distribution: str | None = None) -> list[PluginProblem]:
        """The problems ``aspyre plugins --check`` would report that involve ``distribution`` (default: the
        distributions registered here), and those of creating a builder. ``[]``: the plugin is fine."""
        wanted = [distribution] if distribution is not None else self.distributions
        problems = check_plugins()
        keep = {normalize_distribution(d) for d in wanted}
        return [
            p for p in problems if not p.distributions or keep & {normalize_distribution(d) for d in p.distributions}
        ]


def _remove_path(entry: str) -> None:
    with contextlib.suppress(ValueError):
        sys.path.remove(entry)
