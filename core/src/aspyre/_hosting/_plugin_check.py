"""What a builder checks about the installed plugins, all at once: for ``aspyre plugins`` (``--check``) and
:func:`aspyre.plugins.check_plugins` (plugin authors' tests).

Problems found (each one is what a builder would refuse, raise when the name is used, or warn about):

* ``load``: the entry point cannot be imported, or its distribution declares aspyre versions that do not
  include this one;
* ``hooks``: a hook plugin does not fit the hook specifications (unknown hook, wrong argument name, a
  function named like a hook without the marker);
* ``conflict``: two distributions provide the same builder method or publisher, or resource methods of the
  same name for the same resource type, or a plugin method has the name of one of aspyre's own;
* ``declaration``: a resource method that does not declare the resource types it applies to;
* ``publisher``: a publisher entry point that is not a publisher;
* ``configure`` (when a builder is created): an ``aspyre_configure_builder`` hook raised.

Plugins the selection switches off are not loaded (status ``off``).
"""

from __future__ import annotations

import inspect
from typing import Any

import attrs

from aspyre._plugin_declarations import APPLIES_TO_ATTR, applies_to_all
from aspyre._plugin_selection import PluginSelection
from aspyre._plugins import (
    GROUP_BUILDER_METHODS,
    GROUP_HOOKS,
    GROUP_PUBLISHERS,
    GROUP_RESOURCE_METHODS,
    PluginEntry,
    PluginLoadError,
    PluginValidationError,
    conflict_message,
    normalize_distribution,
    registry,
)

from .._public import present as _present
from ._extensions import core_conflict_message, public_names
from ._hook_plugins import hook_problems

__all__ = ["PluginProblem", "PluginReport", "check_plugins", "inspect_plugins"]

#: The groups in the order they are checked (and shown).
ORDER = (GROUP_BUILDER_METHODS, GROUP_RESOURCE_METHODS, GROUP_PUBLISHERS, GROUP_HOOKS)


@attrs.frozen
class PluginProblem:
    """One problem with the installed plugins: its ``kind`` (``load``, ``hooks``, ``conflict``, ``declaration``,
    ``publisher``, ``configure``), the message a builder would give, and the distributions and entry points
    (``group:name``) involved."""

    kind: str
    message: str
    distributions: tuple[str, ...] = ()
    entry_points: tuple[str, ...] = ()


@attrs.define
class PluginReport:
    """The result of :func:`inspect_plugins`: the problems, and each entry's status and loaded object."""

    selection: PluginSelection
    problems: list[PluginProblem] = attrs.field(factory=list)
    #: ``id(entry)`` -> ``ok``, ``failed``, ``invalid``, ``conflict`` or ``off``.
    status: dict[int, str] = attrs.field(factory=dict)
    #: ``id(entry)`` -> the object its entry point names (loaded entries only).
    loaded: dict[int, Any] = attrs.field(factory=dict)

    def add(self, kind: str, entries: list[PluginEntry], message: str, status: str | None = None) -> None:
        self.problems.append(
            PluginProblem(
                kind,
                message,
                tuple(sorted({e.distribution for e in entries})),
                tuple(f"{e.group}:{e.name}" for e in entries),
            )
        )
        if status is not None:
            for e in entries:
                self.status[id(e)] = status


def _conflicts(report: PluginReport, used: list[PluginEntry]) -> None:
    from ._builder import DistributedApplicationBuilder
    from ._resource_builder import ResourceBuilder

    by_name: dict[tuple[str, str], list[PluginEntry]] = {}
    for e in used:
        by_name.setdefault((e.group, e.name), []).append(e)
    core = {
        GROUP_BUILDER_METHODS: ("builder", set(public_names(DistributedApplicationBuilder))),
        GROUP_RESOURCE_METHODS: ("resource_builder", set(public_names(ResourceBuilder))),
    }
    for (group, name), entries in sorted(by_name.items()):
        if group in core and name in core[group][1]:
            report.add("conflict", entries, core_conflict_message(core[group][0], name, entries), "conflict")
        if len({normalize_distribution(e.distribution) for e in entries}) < 2:
            continue
        if group == GROUP_BUILDER_METHODS:
            report.add("conflict", entries, conflict_message(f"builder.{name}()", entries), "conflict")
        elif group == GROUP_PUBLISHERS:
            report.add("conflict", entries, conflict_message(f"the publisher {name!r}", entries), "conflict")
        elif group == GROUP_RESOURCE_METHODS:
            types: dict[type, list[PluginEntry]] = {}
            for e in entries:
                for t in _declared_types(report.loaded.get(id(e))):
                    types.setdefault(t, []).append(e)
            for t, clash in types.items():
                if len({normalize_distribution(e.distribution) for e in clash}) > 1:
                    report.add("conflict", clash, conflict_message(f"{name}() for {t.__name__}", clash), "conflict")


def _check_publisher(report: PluginReport, entry: PluginEntry, obj: object) -> None:
    from aspyre._publishing._contract import Publisher

    try:
        instance = obj() if inspect.isclass(obj) else obj
    except Exception as exc:
        report.add("publisher", [entry], str(PluginLoadError(entry, exc, stage="could not be created")), "invalid")
        return
    if isinstance(instance, Publisher) and inspect.iscoroutinefunction(getattr(instance, "publish", None)):
        return
    if inspect.iscoroutinefunction(instance):
        return
    report.add(
        "publisher",
        [entry],
        f"Publisher {entry.name!r} ({entry.describe()}) from {entry.distribution} is not a publisher: it must be a "
        "class (or object) with an 'async def publish(self, context)' method, or an async function taking the context",
        "invalid",
    )


def _check_builder(report: PluginReport) -> None:
    """Create a builder, as an app host would: ``aspyre_configure_builder`` hooks run."""
    import tempfile
    import warnings
    from pathlib import Path

    from ._builder import DistributedApplicationBuilder

    with tempfile.TemporaryDirectory(prefix="aspyre-plugins-check-") as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # what the warnings say is reported already
        try:
            DistributedApplicationBuilder([], app_host_path=Path(tmp) / "apphost.py")
        except PluginValidationError:
            pass  # reported with the hook plugin
        except Exception as exc:
            report.add("configure", [], f"Creating a builder failed: {type(exc).__name__}: {exc}")


def inspect_plugins(selection: PluginSelection | None = None, *, create_builder: bool = False) -> PluginReport:
    """Load every entry point ``selection`` allows (default: the process's) and check all of it.

    With ``create_builder``, also create a builder (``aspyre_configure_builder`` hooks run).
    """
    reg = registry()
    report = PluginReport(reg.selection() if selection is None else selection)
    used: list[PluginEntry] = []
    for group in ORDER:
        for entry in reg.entries(group):
            if not report.selection.allows(entry):
                report.status[id(entry)] = "off"
                continue
            used.append(entry)
            try:
                obj = entry.load()
            except PluginLoadError as exc:
                report.status[id(entry)] = "failed"
                report.add("load", [entry], str(exc))
                continue
            report.loaded[id(entry)] = obj
            report.status[id(entry)] = "ok"
            if group == GROUP_HOOKS:
                problems = hook_problems(obj)
                if problems:
                    report.add("hooks", [entry], str(PluginValidationError(entry, problems)), "invalid")
            elif group == GROUP_RESOURCE_METHODS:
                _check_declaration(report, entry, obj)
            elif group == GROUP_PUBLISHERS:
                _check_publisher(report, entry, obj)
    _conflicts(report, used)
    if create_builder:
        _check_builder(report)
    return report


def _declared_types(fn: object) -> tuple[type, ...]:
    try:
        return applies_to_all(fn) or ()
    except TypeError:  # reported by _check_declaration
        return ()


def _check_declaration(report: PluginReport, entry: PluginEntry, obj: object) -> None:
    """A resource method declares the types it applies to, and those it names as strings can be imported."""
    if not getattr(obj, APPLIES_TO_ATTR, None):
        report.add(
            "declaration",
            [entry],
            f"Resource method {entry.name!r} ({entry.describe()}) from {entry.distribution} does not declare "
            "the resource types it applies to: decorate it with @aspyre.plugins.resource_extension(...)",
            "invalid",
        )
        return
    try:
        applies_to_all(obj)
    except TypeError as exc:
        report.add(
            "declaration",
            [entry],
            f"Resource method {entry.name!r} ({entry.describe()}) from {entry.distribution}: {exc}; name the "
            "module that defines the class, as 'package.module:ClassName'",
            "invalid",
        )


def check_plugins(distribution: str | None = None, *, selection: PluginSelection | None = None) -> list[PluginProblem]:
    """What ``aspyre plugins --check`` reports, as data: the problems a builder would raise or warn about.

    ``distribution`` keeps only the problems that involve it (a plugin's own tests: ``assert
    check_plugins("aspyre-minio") == []``), plus those of creating a builder. Every entry point is loaded.
    """
    problems = inspect_plugins(selection, create_builder=True).problems
    if distribution is None:
        return problems
    wanted = normalize_distribution(distribution)
    return [
        p for p in problems if not p.distributions or wanted in {normalize_distribution(d) for d in p.distributions}
    ]


# aspyre.plugins imports this module on first use only: its public names report that module however they are reached.
_present(
    {"__all__": ["PluginProblem", "check_plugins"], "PluginProblem": PluginProblem, "check_plugins": check_plugins},
    "aspyre.plugins",
)
