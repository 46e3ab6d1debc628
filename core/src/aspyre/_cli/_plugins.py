"""``aspyre plugins``: every entry point of aspyre's plugin groups, loaded and checked as a builder would
(:mod:`aspyre._hosting._plugin_check`), shown as tables, as problems only (``--check``), or as JSON."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aspyre._hosting._plugin_check import ORDER, inspect_plugins
from aspyre._plugin_declarations import APPLIES_TO_ATTR, declared_type_name
from aspyre._plugin_selection import PluginSelection
from aspyre._plugins import (
    GROUP_HOOKS,
    GROUP_RESOURCE_METHODS,
    PluginEntry,
    registry,
)
from aspyre._version import API_VERSION, __version__

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["collect_plugins", "plugins_command"]

#: The headings of the groups.
HEADINGS = {
    "aspyre.builder_methods": "Builder methods",
    "aspyre.resource_methods": "Resource methods",
    "aspyre.publishers": "Publishers",
    "aspyre.hooks": "Hook plugins",
}

_HOOKIMPL_ATTR = "aspyre_impl"  # the attribute pluggy's HookimplMarker("aspyre") sets


def _details(entry: PluginEntry, obj: Any) -> str:
    if entry.group == GROUP_RESOURCE_METHODS:
        types = getattr(obj, APPLIES_TO_ATTR, None)
        if types:
            return "applies to " + ", ".join(declared_type_name(t) for t in types)
        return "does not declare the resource types it applies to (@aspyre.plugins.resource_extension)"
    if entry.group == GROUP_HOOKS:
        hooks = sorted(
            name
            for name in dir(obj)
            if not name.startswith("_") and getattr(getattr(obj, name, None), _HOOKIMPL_ATTR, None) is not None
        )
        return "implements " + ", ".join(hooks) if hooks else "implements no aspyre hook"
    return ""


def collect_plugins(selection: PluginSelection | None = None, *, create_builder: bool = False) -> dict[str, Any]:
    """Every plugin entry point, loaded and checked, as plain data (what ``aspyre plugins --json`` prints)."""
    reg = registry()
    report = inspect_plugins(selection, create_builder=create_builder)
    sel = report.selection
    groups: list[dict[str, Any]] = []
    for group in ORDER:
        plugins: list[dict[str, Any]] = []
        for entry in sorted(reg.entries(group), key=lambda e: (e.name, e.distribution)):
            status = report.status.get(id(entry), "ok")
            item: dict[str, Any] = {
                "name": entry.name,
                "value": entry.value,
                "distribution": entry.distribution,
                "version": entry.version,
                "status": status,
            }
            if status == "failed" and entry.error is not None:
                item["error"] = f"{type(entry.error).__name__}: {entry.error}"
            elif status == "off":
                item["details"] = sel.reason(entry)
            elif id(entry) in report.loaded:
                item["details"] = _details(entry, report.loaded[id(entry)])
            plugins.append(item)
        groups.append({"group": group, "plugins": plugins})
    failed = [
        {"group": g["group"], **{k: p[k] for k in ("name", "value", "distribution", "version", "error")}}
        for g in groups
        for p in g["plugins"]
        if p["status"] == "failed"
    ]
    stubs, where = reg.stubs_status()
    return {
        "aspyre": __version__,
        "plugin_api": API_VERSION,
        "groups": groups,
        "failed": failed,
        "problems": [
            {
                "kind": p.kind,
                "distributions": list(p.distributions),
                "entry_points": list(p.entry_points),
                "message": p.message,
            }
            for p in report.problems
        ],
        "stubs": {"status": stubs, "where": where},
        "selection": {"disabled": sorted(sel.disabled), "enabled": sorted(sel.enabled), "autoload": sel.autoload},
    }


_STATUS = {
    "ok": "[green]ok[/]",
    "failed": "[bold red]failed[/]",
    "invalid": "[bold red]invalid[/]",
    "conflict": "[bold red]conflict[/]",
    "off": "[dim]off[/]",
}


def _stubs_line(data: dict[str, Any]) -> str:
    from rich.markup import escape

    status, where = data["stubs"]["status"], escape(str(data["stubs"]["where"]))
    if status == "current":
        return f"Type stubs: up to date ({where})"
    if status == "stale":
        return f"Type stubs: [yellow]out of date[/] ({where}): run 'aspyre stubs'"
    return "Type stubs: none ('aspyre stubs' makes the extension methods known to mypy and pyright)"


def plugins_command(console: Console, *, as_json: bool, verbose: bool = False, check: bool = False) -> int:
    """Print the plugins (or, with ``check``, only their problems); the exit code is 1 when there is one."""
    data = collect_plugins(create_builder=check)
    code = 1 if data["problems"] else 0
    if as_json:
        print(json.dumps(data, indent=2), flush=True)
        return code

    from rich.markup import escape
    from rich.table import Table

    if check:
        if not data["problems"]:
            used = sum(1 for g in data["groups"] for p in g["plugins"] if p["status"] != "off")
            console.print(f"aspyre {__version__}: {used} plugin entry point(s) checked, no problems.")
            if data["stubs"]["status"] == "stale":
                console.print(_stubs_line(data), soft_wrap=True)
            return 0
    else:
        console.print(f"[bold]aspyre[/] {__version__} [dim](plugin API {API_VERSION})[/]")
        for g in data["groups"]:
            console.print()
            console.print(f"[bold]{escape(HEADINGS[g['group']])}[/] [dim]({g['group']})[/]")
            if not g["plugins"]:
                console.print("  [dim]none installed[/]")
                continue
            table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 2))
            table.add_column("Name", style="bold cyan", no_wrap=True)
            table.add_column("Distribution", no_wrap=True)
            table.add_column("Status", no_wrap=True)
            table.add_column("Details", style="dim", overflow="fold")
            for p in g["plugins"]:
                details = p.get("details") or ""
                if verbose:
                    details = f"{p['value']}" + (f"; {details}" if details else "")
                table.add_row(
                    escape(p["name"]),
                    f"{escape(p['distribution'])} {escape(p['version'])}",
                    _STATUS.get(p["status"], p["status"]),
                    escape(details),
                )
            console.print(table)
        console.print()
        console.print(_stubs_line(data), soft_wrap=True)
    if data["problems"]:
        console.print()
        console.print(f"[bold red]{len(data['problems'])} problem(s):[/]")
        for problem in data["problems"]:
            first, *rest = problem["message"].splitlines()
            console.print(f"  [bold]{escape(problem['kind'])}:[/] {escape(first)}", soft_wrap=True)
            for line in rest:
                console.print(f"    {escape(line)}", soft_wrap=True)
    return code
