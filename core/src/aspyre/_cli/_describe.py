"""``aspyre describe``: the app model as a tree (or JSON), without starting anything."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import anyio

from aspyre._model._annotations import (
    HealthCheckAnnotation,
    KnownRelationshipTypes,
    ManifestPublishingCallbackAnnotation,
)
from aspyre._model._container_annotations import ContainerMountAnnotation
from aspyre._model._dependencies import (
    ExplicitStartAnnotation,
    ReferenceAnnotation,
    ResourceRelationshipAnnotation,
    WaitAnnotation,
)
from aspyre._model._endpoints import EndpointAnnotation
from aspyre._model._environment import compute_arguments, compute_environment, is_secret_value
from aspyre._model._graph import parents_of
from aspyre._model._python import PythonAppResource
from aspyre._model._resources import (
    ContainerResource,
    ExecutableResource,
    GenerateParameterDefault,
    IResourceWithArgs,
    IResourceWithConnectionString,
    IResourceWithEnvironment,
    ParameterResource,
    capability_names,
    resource_type_name,
)
from aspyre._model._values import manifest_expression

from ._names import public_path
from ._run import resource_order

if TYPE_CHECKING:
    from rich.console import Console
    from rich.tree import Tree

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._resources import IResource

__all__ = ["describe_command", "describe_model"]

#: Version of the ``--json`` document (bumped on incompatible changes).
DESCRIBE_FORMAT = 1


def _expression(value: object) -> str:
    """A value as its manifest expression: placeholders for deferred values, never a secret."""
    try:
        return manifest_expression(value)
    except Exception:  # a value that cannot be published: name its type, not its contents
        return f"<{type(value).__name__}>"


def _value_entry(name: str | None, value: object) -> dict[str, Any]:
    entry: dict[str, Any] = {} if name is None else {"name": name}
    entry["value"] = _expression(value)
    entry["secret"] = is_secret_value(value)
    return entry


async def _describe_resource(app: DistributedApplication, r: IResource, children: list[str]) -> dict[str, Any]:
    ctx = app.execution_context
    parents = parents_of(r)
    d: dict[str, Any] = {
        "name": r.name,
        "type": resource_type_name(r),
        "class": public_path(type(r)),
        "capabilities": capability_names(r),
        "parent": parents[0].name if parents else None,
        "children": children,
    }
    if isinstance(r, ContainerResource):
        d["image"] = r.image.full_name if r.image is not None else None
        d["entrypoint"] = r.entrypoint
        d["lifetime"] = r.lifetime.value
        d["mounts"] = [
            {"type": m.type.value, "source": m.source, "target": m.target, "read_only": m.read_only}
            for m in r.annotations.all(ContainerMountAnnotation)
        ]
    if isinstance(r, ExecutableResource):
        d["command"] = r.command
        d["working_dir"] = str(r.working_dir)
    if isinstance(r, PythonAppResource):
        d["script"] = str(r.script_path) if r.script_path is not None else None
        d["module"] = r.module
        d["executable"] = r.executable
        d["virtual_environment"] = str(r.virtual_environment) if r.virtual_environment is not None else None
    if isinstance(r, ParameterResource):
        default = r.default
        d["secret"] = r.secret
        d["configuration_key"] = r.configuration_key
        if isinstance(default, GenerateParameterDefault):
            d["default"] = "<generated>"
        elif default is not None:
            d["default"] = "<secret>" if r.secret else default
        else:
            d["default"] = None
        d["value_in_code"] = r.value_in_code is not None
        d["description"] = r.description
    if isinstance(r, IResourceWithConnectionString):
        try:
            d["connection_string"] = _expression(r.connection_string_expression)
        except Exception as exc:  # a custom resource with a broken expression
            d["connection_string"] = f"<error: {exc}>"
    d["endpoints"] = [
        {
            "name": ep.name,
            "scheme": ep.scheme,
            "protocol": ep.protocol.value,
            "transport": ep.transport,
            "port": ep.port,
            "target_port": ep.target_port,
            "external": ep.is_external,
            "env": ep.env,
        }
        for ep in r.annotations.all(EndpointAnnotation)
    ]
    d["references"] = [
        {
            "resource": ref.source.name,
            "connection_name": ref.connection_name,
            "endpoint": ref.endpoint_name,
            "optional": ref.optional,
        }
        for ref in r.annotations.all(ReferenceAnnotation)
    ]
    d["waits"] = [
        {
            "resource": w.resource.name,
            "until": w.wait_type.value,
            "exit_code": w.exit_code if w.wait_type.value == "completion" else None,
            "behavior": w.behavior.value if w.behavior is not None else None,
        }
        for w in r.annotations.all(WaitAnnotation)
    ]
    d["relationships"] = [
        {"resource": rel.resource.name, "type": rel.type}
        for rel in r.annotations.all(ResourceRelationshipAnnotation)
        if rel.type != KnownRelationshipTypes.PARENT
    ]
    d["explicit_start"] = r.annotations.has(ExplicitStartAnnotation)
    d["health_checks"] = [h.key for h in r.annotations.all(HealthCheckAnnotation)]
    publishing = r.annotations.last(ManifestPublishingCallbackAnnotation)
    d["in_manifest"] = publishing is None or publishing.callback is not None
    if isinstance(r, IResourceWithEnvironment):
        try:
            env = await compute_environment(r, ctx)
            d["environment"] = [_value_entry(k, v) for k, v in env.items()]
        except Exception as exc:
            d["environment"] = []
            d["environment_error"] = f"{type(exc).__name__}: {exc}"
    if isinstance(r, IResourceWithArgs):
        try:
            args = await compute_arguments(r, ctx)
            d["args"] = [_value_entry(None, a) for a in args]
        except Exception as exc:
            d["args"] = []
            d["args_error"] = f"{type(exc).__name__}: {exc}"
    return d


async def describe_model(app: DistributedApplication) -> dict[str, Any]:
    """The app model as plain data (what ``aspyre describe --json`` prints).

    Nothing starts: environment and arguments are computed from the annotations (callbacks
    run) and shown as manifest expressions, so parameter values and secrets never appear;
    values made from a secret parameter are flagged ``"secret": true``.
    """
    order = resource_order(app)
    children: dict[str, list[str]] = {}
    for r, _ in order:
        parents = parents_of(r)
        if parents:
            children.setdefault(parents[0].name, []).append(r.name)
    resources = [await _describe_resource(app, r, children.get(r.name, [])) for r, _ in order]
    return {
        "format": DESCRIBE_FORMAT,
        "app_host": str(app.app_host_path),
        "operation": app.execution_context.operation.value,
        "resources": resources,
    }


def _label(d: dict[str, Any]) -> str:
    from rich.markup import escape

    what = ""
    if d.get("image"):
        what = f" [dim]{escape(d['image'])}[/]"
    elif d.get("script"):
        what = f" [dim]{escape(os.path.relpath(d['script']))}[/]"
    elif d.get("module"):
        what = f" [dim]-m {escape(d['module'])}[/]"
    elif d.get("command"):
        what = f" [dim]{escape(d['command'])}[/]"
    flags = []
    if d.get("secret"):
        flags.append("secret")
    if d.get("explicit_start"):
        flags.append("explicit start")
    if d.get("lifetime") == "persistent":
        flags.append("persistent")
    if not d.get("in_manifest", True):
        flags.append("not in manifest")
    extra = f" [yellow]({', '.join(flags)})[/]" if flags else ""
    return f"[bold cyan]{escape(d['name'])}[/] [magenta]{escape(d['type'])}[/]{what}{extra}"


def _value_text(entry: dict[str, Any]) -> str:
    from rich.markup import escape

    text = escape(entry["value"])
    return text + (" [yellow](secret)[/]" if entry.get("secret") else "")


def _add_details(node: Tree, d: dict[str, Any]) -> None:
    from rich.markup import escape

    if d["type"] == "Parameter":
        source = f"from {d['configuration_key']}"
        if d.get("value_in_code"):
            source = "set in code"
        elif d.get("default") is not None:
            source += f", default {escape(str(d['default']))}"
        node.add(f"[dim]value:[/] {escape(source)}")
    if d.get("connection_string") is not None:
        node.add(f"[dim]connection string:[/] {escape(d['connection_string'])}")
    if d["endpoints"]:
        eps = node.add("[dim]endpoints[/]")
        for ep in d["endpoints"]:
            ports = f"port {ep['port'] or 'auto'} → target {ep['target_port'] or 'auto'}"
            env = f", env {ep['env']}" if ep.get("env") else ""
            external = " [yellow](external)[/]" if ep["external"] else ""
            eps.add(f"{escape(ep['name'])}: {escape(ep['scheme'])} {ports}{escape(env)}{external}")
    if d["references"]:
        refs = node.add("[dim]references[/]")
        for ref in d["references"]:
            detail = f" (endpoint {ref['endpoint']})" if ref.get("endpoint") else ""
            refs.add(f"{escape(ref['resource'])}{escape(detail)}")
    if d["waits"]:
        waits = node.add("[dim]waits for[/]")
        for w in d["waits"]:
            what = {"healthy": "healthy", "started": "started", "completion": f"completed (exit code {w['exit_code']})"}
            waits.add(f"{escape(w['resource'])}: {what.get(w['until'], w['until'])}")
    referenced = {r["resource"] for r in d["references"]}
    waited = {w["resource"] for w in d["waits"]}
    shown = [
        rel
        for rel in d["relationships"]
        if not (rel["type"] == KnownRelationshipTypes.REFERENCE and rel["resource"] in referenced)
        and not (rel["type"] == KnownRelationshipTypes.WAIT_FOR and rel["resource"] in waited)
    ]
    if shown:
        rels = node.add("[dim]relationships[/]")
        for rel in shown:
            rels.add(f"{escape(rel['type'])}: {escape(rel['resource'])}")
    if d.get("mounts"):
        mounts = node.add("[dim]mounts[/]")
        for m in d["mounts"]:
            ro = " (read-only)" if m["read_only"] else ""
            mounts.add(f"{escape(m['type'])} {escape(str(m['source'] or '<anonymous>'))} → {escape(m['target'])}{ro}")
    if d.get("health_checks"):
        node.add(f"[dim]health checks:[/] {escape(', '.join(d['health_checks']))}")
    if d.get("args"):
        node.add(f"[dim]args:[/] {' '.join(_value_text(a) for a in d['args'])}")
    if d.get("args_error"):
        node.add(f"[red]args could not be computed: {escape(d['args_error'])}[/]")
    if d.get("environment"):
        env_node = node.add("[dim]environment[/]")
        for e in d["environment"]:
            env_node.add(f"{escape(e['name'])}={_value_text(e)}")
    if d.get("environment_error"):
        node.add(f"[red]environment could not be computed: {escape(d['environment_error'])}[/]")


def render_tree(description: dict[str, Any]) -> Tree:
    """The description as a rich tree: resources under their parents, details under each."""
    from rich.markup import escape
    from rich.tree import Tree

    try:
        title = os.path.relpath(description["app_host"])
    except ValueError:  # pragma: no cover - another drive on Windows
        title = description["app_host"]
    root = Tree(f"[bold]{escape(title)}[/] [dim]({len(description['resources'])} resources)[/]")
    nodes: dict[str, Tree] = {}
    for d in description["resources"]:
        parent = nodes.get(d["parent"]) if d["parent"] else None
        node = (parent or root).add(_label(d))
        nodes[d["name"]] = node
        _add_details(node, d)
    return root


def describe_command(app: DistributedApplication, console: Console, *, as_json: bool) -> int:
    """Print the description of ``app``; returns the exit code."""
    description = anyio.run(describe_model, app)
    if as_json:
        print(json.dumps(description, indent=2), flush=True)
    else:
        console.print(render_tree(description), soft_wrap=True)
    return 0
