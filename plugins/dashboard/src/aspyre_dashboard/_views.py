"""What the pages show of a resource, as JSON: secrets masked, commands with their current state.

Nothing here does I/O: it turns the model and the live snapshots into plain dicts. Sensitive
environment variables and properties are sent without their value (``"masked": true``), and any
other text that happens to contain a secret value has it replaced by :data:`MASK`; the value itself
is only given by :meth:`ResourceViews.reveal`, a separate authenticated request.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aspyre

__all__ = ["MASK", "ResourceViews", "resource_kind"]

MASK = "••••••••"
S = aspyre.KnownResourceStates

#: States in which a process or a container can be started (again).
STOPPED_STATES = frozenset({S.NOT_STARTED, S.FINISHED, S.EXITED, S.FAILED_TO_START, S.RUNTIME_UNHEALTHY})
#: Secrets shorter than this are not searched for in other text (too many false matches).
MIN_SECRET_LENGTH = 4


def resource_kind(resource: aspyre.IResource) -> str:
    """``container``, ``process``, ``parameter``, ``connection-string`` or ``custom``."""
    if isinstance(resource, aspyre.ContainerResource):
        return "container"
    if isinstance(resource, aspyre.ExecutableResource):
        return "process"
    if isinstance(resource, aspyre.ParameterResource):
        return "parameter"
    if isinstance(resource, aspyre.ConnectionStringResource):
        return "connection-string"
    return "custom"


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _plain(value: object) -> Any:
    """A JSON-friendly form of a property value."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def _parent(resource: aspyre.IResource) -> aspyre.IResource | None:
    if isinstance(resource, aspyre.IResourceWithParent):
        return resource.parent
    for rel in resource.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation):
        if rel.type == aspyre.KnownRelationshipTypes.PARENT:
            return rel.resource
    return None


def _model_relationships(model: aspyre.model.DistributedApplicationModel, r: aspyre.IResource) -> list[tuple[str, str]]:
    """``(other, type)`` edges from the model: parent, waits, references, declared relationships."""
    out: list[tuple[str, str]] = []

    def add(other: aspyre.IResource, kind: str) -> None:
        if other is not r and (other.name, kind) not in out:
            out.append((other.name, kind))

    parent = _parent(r)
    if parent is not None:
        add(parent, aspyre.KnownRelationshipTypes.PARENT)
    for wait in r.annotations.all(aspyre.annotations.WaitAnnotation):
        add(wait.resource, aspyre.KnownRelationshipTypes.WAIT_FOR)
    for ref in r.annotations.all(aspyre.annotations.ReferenceAnnotation):
        add(ref.source, aspyre.KnownRelationshipTypes.REFERENCE)
    for rel in r.annotations.all(aspyre.annotations.ResourceRelationshipAnnotation):
        add(rel.resource, rel.type)
    known = {name for name, _ in out}
    for dep in model.dependencies(r):
        if dep.name not in known:
            add(dep, aspyre.KnownRelationshipTypes.REFERENCE)
    return out


def _source(resource: aspyre.IResource, snapshot: aspyre.ResourceSnapshot | None, app_dir: Path) -> str | None:
    if snapshot is not None:
        custom = snapshot.property_value("resource.source")
        if custom is not None:
            return str(custom)
    if isinstance(resource, aspyre.ContainerResource):
        image = resource.image
        return image.full_name if image is not None else None
    if isinstance(resource, aspyre.PythonAppResource):
        if resource.module is not None:
            return f"-m {resource.module}"
        if resource.script_path is not None:
            return _relative(Path(resource.script_path), app_dir)
    if isinstance(resource, aspyre.ExecutableResource):
        args = snapshot.property_value("executable.args") if snapshot is not None else None
        words = [Path(resource.command).name, *(str(a) for a in args)] if isinstance(args, list) else [Path(resource.command).name]
        return " ".join(w if w and not any(c.isspace() for c in w) else json.dumps(w) for w in words)
    return None


def _static(model: aspyre.model.DistributedApplicationModel, r: aspyre.IResource) -> dict[str, Any]:
    """What never changes while the app runs (computed once)."""
    parent = _parent(r)
    mounts = [
        {"source": m.source, "target": m.target, "type": m.type.value, "readOnly": m.read_only}
        for m in r.annotations.all(aspyre.annotations.ContainerMountAnnotation)
    ]
    info: dict[str, Any] = {
        "name": r.name,
        "type": str(getattr(type(r), "resource_type", type(r).__name__)),
        "kind": resource_kind(r),
        "parent": parent.name if parent is not None else None,
        "explicitStart": r.annotations.has(aspyre.annotations.ExplicitStartAnnotation),
        "mounts": mounts,
        "waits": [
            {
                "resource": w.resource.name,
                "until": {
                    aspyre.annotations.WaitType.WAIT_UNTIL_HEALTHY: "healthy",
                    aspyre.annotations.WaitType.WAIT_UNTIL_STARTED: "started",
                }.get(w.wait_type, "completion"),
            }
            for w in r.annotations.all(aspyre.annotations.WaitAnnotation)
        ],
    }
    if isinstance(r, aspyre.ParameterResource):
        info["secret"] = r.secret
        info["description"] = r.description
        info["configurationKey"] = r.configuration_key
    return info


def _relative(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base)) or "."
    except ValueError:
        return str(path)


def _endpoints(r: aspyre.IResource) -> list[dict[str, Any]]:
    out = []
    for ep in r.annotations.all(aspyre.annotations.EndpointAnnotation):
        alloc = ep.allocation()
        out.append(
            {
                "name": ep.name,
                "scheme": ep.scheme,
                "port": alloc.port if alloc is not None else ep.port,
                "targetPort": ep.target_port,
                "url": alloc.url if alloc is not None else None,
                "external": ep.is_external,
            }
        )
    return out


class ResourceViews:
    """Turns snapshots into the JSON the pages get, caching each resource's last view by version."""

    def __init__(self, app: aspyre.events.App) -> None:
        self.app = app
        self.model = app.model
        self._app_dir = Path(app.app_host_path).parent
        self._static = {r.name: _static(self.model, r) for r in self.model}
        self._edges = {r.name: _model_relationships(self.model, r) for r in self.model}
        self._cache: dict[str, tuple[int, str]] = {}
        # Every secret value seen in a snapshot, by resource: masked wherever else it shows up.
        self._secrets_by_resource: dict[str, frozenset[str]] = {}
        self._secrets: tuple[str, ...] = ()
        self._observed: dict[str, int] = {}

    # -- secrets --------------------------------------------------------------------------------------
    def refresh_secrets(self) -> None:
        """Learn the secret values of every snapshot that changed (before views are made: a secret of
        one resource may show up in another's text)."""
        notifications = self.app.resource_notifications
        for r in self.model:
            snapshot = notifications.get_snapshot(r)
            if snapshot is not None and self._observed.get(r.name) != snapshot.version:
                self._observed[r.name] = snapshot.version
                self.observe(r, snapshot)

    def observe(self, resource: aspyre.IResource, snapshot: aspyre.ResourceSnapshot) -> None:
        """Remember the secret values of a snapshot."""
        values = {
            str(e.value)
            for e in snapshot.environment_variables
            if e.is_sensitive and e.value and len(e.value) >= MIN_SECRET_LENGTH
        }
        values |= {
            str(p.value)
            for p in snapshot.properties
            if p.is_sensitive and p.value is not None and len(str(p.value)) >= MIN_SECRET_LENGTH
        }
        frozen = frozenset(values)
        if self._secrets_by_resource.get(resource.name) != frozen:
            self._secrets_by_resource[resource.name] = frozen
            merged = set().union(*self._secrets_by_resource.values())
            # Longest first: a secret containing another is masked whole.
            self._secrets = tuple(sorted(merged, key=len, reverse=True))
            self._cache.clear()

    def mask(self, value: Any) -> Any:
        """``value`` (a str, or lists and dicts of them) with every known secret value replaced by :data:`MASK`.

        For text that did not come from a snapshot (telemetry): call :meth:`refresh_secrets` first.
        """
        return self._mask(value) if self._secrets else value

    def _mask(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._secrets:
                if secret in value:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, list):
            return [self._mask(v) for v in value]
        if isinstance(value, dict):
            return {k: self._mask(v) for k, v in value.items()}
        return value

    def _secret_or_value(self, value: object, sensitive: bool) -> dict[str, Any]:
        """A sensitive value is sent without its value; one that contains a secret, with it masked.

        Both can be revealed. ``masked`` tells the page which.
        """
        if sensitive:
            return {"value": None, "masked": True}
        plain = _plain(value)
        masked = self._mask(plain)
        return {"value": masked, "masked": masked != plain}

    # -- views ----------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return [r.name for r in self.model]

    def view_json(self, resource: aspyre.IResource, snapshot: aspyre.ResourceSnapshot | None) -> str:
        """The resource's view as JSON text, reused while its snapshot does not change."""
        version = snapshot.version if snapshot is not None else -1
        cached = self._cache.get(resource.name)
        if cached is not None and cached[0] == version:
            return cached[1]
        text = json.dumps(self.view(resource, snapshot), separators=(",", ":"), ensure_ascii=False)
        self._cache[resource.name] = (version, text)
        return text

    def view(self, resource: aspyre.IResource, snapshot: aspyre.ResourceSnapshot | None) -> dict[str, Any]:
        """Everything the Resources, Graph and details views show of one resource."""
        out = dict(self._static[resource.name])
        edges = list(self._edges[resource.name])
        out["endpoints"] = _endpoints(resource)
        out["source"] = self._mask(_source(resource, snapshot, self._app_dir))
        if snapshot is None:
            out.update(
                state=None, stateStyle=None, health=None, exitCode=None, hidden=False, version=0, urls=[],
                environment=[], properties=[], healthReports=[], commands=self._commands(resource, None),
                createdAt=None, startedAt=None, stoppedAt=None,
            )  # fmt: skip
            out["relationships"] = [{"resource": n, "type": t} for n, t in edges]
            return out
        for rel in snapshot.relationships:
            if (rel.resource_name, rel.type) not in edges:
                edges.append((rel.resource_name, rel.type))
        health = snapshot.health_status
        out.update(
            state=snapshot.state_text,
            stateStyle=snapshot.state.style if snapshot.state is not None else None,
            health=health.value if health is not None else None,
            exitCode=snapshot.exit_code,
            hidden=snapshot.is_hidden,
            version=snapshot.version,
            createdAt=_iso(snapshot.creation_time_stamp),
            startedAt=_iso(snapshot.start_time_stamp),
            stoppedAt=_iso(snapshot.stop_time_stamp),
            urls=[
                {"name": u.name, "url": self._mask(u.url), "displayText": self._mask(u.display_text)}
                for u in snapshot.urls
                if not u.is_internal
            ],
            environment=[
                {"name": e.name, **self._secret_or_value(e.value, e.is_sensitive), "fromSpec": e.is_from_spec}
                for e in snapshot.environment_variables
            ],
            properties=[{"name": p.name, **self._secret_or_value(p.value, p.is_sensitive)} for p in snapshot.properties],
            healthReports=[
                {
                    "name": h.name,
                    "status": h.status.value if h.status is not None else None,
                    "description": self._mask(h.description),
                    "error": self._mask(h.exception_text),
                    "lastRunAt": _iso(h.last_run_at),
                }
                for h in snapshot.health_reports
            ],
            relationships=[{"resource": n, "type": t} for n, t in edges],
            commands=self._commands(resource, snapshot),
        )
        if isinstance(resource, aspyre.ParameterResource):
            out["valueSource"] = resource.value_source
        return out

    # -- commands -------------------------------------------------------------------------------------
    def _commands(self, r: aspyre.IResource, snapshot: aspyre.ResourceSnapshot | None) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        seen: set[str] = set()
        for c in r.annotations.all(aspyre.annotations.ResourceCommandAnnotation):
            state = "enabled"
            if c.update_state is not None and snapshot is not None:
                try:
                    state = str(c.update_state(snapshot)).lower()
                except Exception:  # a broken callback disables its command, never the page
                    state = "disabled"
            if state == "hidden":
                seen.add(c.name)
                continue
            seen.add(c.name)
            out.append(
                {
                    "name": c.name,
                    "displayName": c.display_name,
                    "description": c.description,
                    "state": "enabled" if state == "enabled" else "disabled",
                    "confirmation": c.confirmation_message,
                    "highlighted": c.is_highlighted,
                }
            )
        kind = resource_kind(r)
        if kind in ("container", "process"):
            state_text = snapshot.state_text if snapshot is not None else None
            stopped = state_text in STOPPED_STATES or state_text is None
            waiting = state_text == S.WAITING
            busy = state_text in (S.STARTING, S.STOPPING, S.INSTALLING, S.BUILDING)
            builtins = [
                ("start", "Start", "Start the resource" if not waiting else "Start now, without waiting", stopped or waiting),
                ("stop", "Stop", "Stop the resource", not stopped and state_text != S.STOPPING),
                ("restart", "Restart", "Stop, then start the resource", not (stopped or busy or waiting)),
            ]  # fmt: skip
            for name, label, description, enabled in builtins:
                if name not in seen:
                    out.append(
                        {
                            "name": name,
                            "displayName": label,
                            "description": description,
                            "state": "enabled" if enabled else "disabled",
                            "confirmation": None,
                            "highlighted": True,
                        }
                    )
        return out

    def command_state(self, r: aspyre.IResource, name: str) -> str | None:
        """``enabled``/``disabled`` for a command shown now; ``None`` if the resource has no such command."""
        snapshot = self.app.resource_notifications.get_snapshot(r)
        for c in self._commands(r, snapshot):
            if c["name"] == name:
                return str(c["state"])
        return None

    # -- reveal ---------------------------------------------------------------------------------------
    def reveal(self, r: aspyre.IResource, kind: str, name: str) -> str | None:
        """The value of one environment variable (``kind="env"``) or property (``"property"``), unmasked.

        Raises :class:`LookupError` when the resource has no such value right now.
        """
        snapshot = self.app.resource_notifications.get_snapshot(r)
        if snapshot is None:
            raise LookupError(f"{r.name!r} has no values yet")
        items: Iterable[tuple[str, object]]
        if kind == "env":
            items = ((e.name, e.value) for e in snapshot.environment_variables)
        elif kind == "property":
            items = ((p.name, p.value) for p in snapshot.properties)
        else:
            raise LookupError(f"nothing of kind {kind!r} can be revealed (env or property)")
        for key, value in items:
            if key == name:
                if value is None or isinstance(value, str):
                    return value
                return json.dumps(_plain(value))
        raise LookupError(f"{r.name!r} has no {'environment variable' if kind == 'env' else 'property'} {name!r}")
