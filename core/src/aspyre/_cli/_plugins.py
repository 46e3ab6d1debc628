"""``aspyre plugins``: every entry point of aspyre's plugin groups, loaded to check it works."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aspyre import __version__
from aspyre._plugins import (
    APPLIES_TO_ATTR,
    GROUP_BUILDER_METHODS,
    GROUP_HOOKS,
    GROUP_PUBLISHERS,
    GROUP_RESOURCE_METHODS,
    PluginEntry,
    PluginLoadError,
    registry,
)

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["collect_plugins", "plugins_command"]

#: The groups in the order they are shown, with their headings.
GROUPS: tuple[tuple[str, str], ...] = (
    (GROUP_BUILDER_METHODS, "Builder methods"),
    (GROUP_RESOURCE_METHODS, "Resource methods"),
    (GROUP_PUBLISHERS, "Publishers"),
    (GROUP_HOOKS, "Hook plugins"),
)

_HOOKIMPL_ATTR = "aspyre_impl"  # the attribute pluggy's HookimplMarker("aspyre") sets


def _details(entry: PluginEntry, obj: Any) -> str:
    if entry.group == GROUP_RESOURCE_METHODS:
        types = getattr(obj, APPLIES_TO_ATTR, None)
        if types:
            return "applies to " + ", ".join(t.__name__ for t in types)
        return "does not declare the resource types it applies to (@aspyre.plugins.resource_extension)"
    if entry.group == GROUP_HOOKS:
        hooks = sorted(
            name
            for name in dir(obj)
            if not name.startswith("_") and getattr(getattr(obj, name, None), _HOOKIMPL_ATTR, None) is not None
        )
        return "implements " + ", ".join(hooks) if hooks else "implements no aspyre hook"
    return ""


def collect_plugins() -> dict[str, Any]:
    """Every plugin entry point, loaded, as plain data (what ``aspyre plugins --json`` prints)."""
    reg = registry()
    groups: list[dict[str, Any]] = []
    for group, _ in GROUPS:
        plugins: list[dict[str, Any]] = []
        for entry in sorted(reg.entries(group), key=lambda e: (e.name, e.distribution)):
            item: dict[str, Any] = {
                "name": entry.name,
                "value": entry.value,
                "distribution": entry.distribution,
                "version": entry.version,
            }
            try:
                obj = entry.load()
            except PluginLoadError as exc:
                item["status"] = "failed"
                item["error"] = f"{type(exc.error).__name__}: {exc.error}"
            else:
                item["status"] = "ok"
                item["details"] = _details(entry, obj)
            plugins.append(item)
        groups.append({"group": group, "plugins": plugins})
    failed = [
        {"group": g["group"], **{k: p[k] for k in ("name", "value", "distribution", "version", "error")}}
        for g in groups
        for p in g["plugins"]
        if p["status"] == "failed"
    ]
    return {"aspyre": __version__, "groups": groups, "failed": failed}


def plugins_command(console: Console, *, as_json: bool, verbose: bool = False) -> int:
    """Print the plugins; the exit code is 1 when one failed to load."""
    data = collect_plugins()
    if as_json:
        print(json.dumps(data, indent=2), flush=True)
        return 1 if data["failed"] else 0

    from rich.markup import escape
    from rich.table import Table

    console.print(f"[bold]aspyre[/] {__version__}")
    headings = dict(GROUPS)
    for g in data["groups"]:
        console.print()
        console.print(f"[bold]{escape(headings[g['group']])}[/] [dim]({g['group']})[/]")
        if not g["plugins"]:
            console.print("  [dim]none installed[/]")
            continue
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 1, 0, 2))
        table.add_column("Name", style="bold cyan", no_wrap=True)
        table.add_column("Distribution", no_wrap=True)
        table.add_column("Status", no_wrap=True)
        table.add_column("Details", style="dim", overflow="fold")
        for p in g["plugins"]:
            status = "[green]ok[/]" if p["status"] == "ok" else "[bold red]failed[/]"
            details = p.get("details") or ""
            if verbose:
                details = f"{p['value']}" + (f"; {details}" if details else "")
            table.add_row(
                escape(p["name"]), f"{escape(p['distribution'])} {escape(p['version'])}", status, escape(details)
            )
        console.print(table)
    if data["failed"]:
        console.print()
        console.print(f"[bold red]{len(data['failed'])} plugin(s) failed to load:[/]")
        for f in data["failed"]:
            console.print(
                f"  [bold]{escape(f['name'])}[/] ({escape(f['group'])}) from {escape(f['distribution'])} "
                f"{escape(f['version'])}: {escape(f['error'])}",
                soft_wrap=True,
            )
            console.print(
                f"    reinstall or upgrade {escape(f['distribution'])}, or uninstall it if you do not use it",
                style="dim",
                soft_wrap=True,
            )
        return 1
    return 0
