"""The Compose file as typed data, and its YAML (deterministic, with comments naming the resources)."""

from __future__ import annotations

from typing import Any

import attrs
import yaml

__all__ = ["ComposeBuild", "ComposeFile", "ComposeHealthcheck", "ComposeService", "render_compose_file"]


@attrs.define
class ComposeBuild:
    """``build:``: the context (relative to the Compose file) and the Dockerfile (relative to the context)."""

    context: str
    dockerfile: str | None = None
    target: str | None = None
    args: dict[str, str] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"context": self.context}
        if self.dockerfile is not None:
            out["dockerfile"] = self.dockerfile
        if self.target is not None:
            out["target"] = self.target
        if self.args:
            out["args"] = dict(self.args)
        return out


@attrs.define
class ComposeHealthcheck:
    """``healthcheck:``: ``test`` in exec form (``["CMD", ...]``) and the timings, in seconds."""

    test: list[str]
    interval: float = 5.0
    timeout: float = 3.0
    retries: int = 10
    start_period: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "test": list(self.test),
            "interval": _duration(self.interval),
            "timeout": _duration(self.timeout),
            "retries": self.retries,
        }
        if self.start_period:
            out["start_period"] = _duration(self.start_period)
        return out


def _duration(seconds: float) -> str:
    if seconds == int(seconds):
        return f"{int(seconds)}s"
    return f"{round(seconds * 1000)}ms"


@attrs.define
class ComposeService:
    """One service of the Compose file, as aspyre generated it for a resource.

    ``publish_as_docker_compose_service(fn)`` callbacks receive it and may change any field;
    ``extra`` holds any other Compose key (``deploy``, ``labels``, ``user``...), written as given
    after the others. Values are written as they are: a literal ``$`` must be ``$$``, and
    ``${VAR}`` reads ``VAR`` from ``.env``.
    """

    name: str
    #: What produced it, for the comment above the service (``Container cache``).
    comment: str = ""
    image: str | None = None
    build: ComposeBuild | None = None
    entrypoint: list[str] | None = None
    command: list[str] | None = None
    environment: dict[str, str] = attrs.field(factory=dict)
    ports: list[str] = attrs.field(factory=list)
    expose: list[str] = attrs.field(factory=list)
    volumes: list[str] = attrs.field(factory=list)
    depends_on: dict[str, str] = attrs.field(factory=dict)
    healthcheck: ComposeHealthcheck | None = None
    restart: str | None = None
    networks: list[str] = attrs.field(factory=list)
    extra: dict[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The service's mapping, keys in a fixed order (``depends_on`` with conditions)."""
        out: dict[str, Any] = {}
        if self.image is not None:
            out["image"] = self.image
        if self.build is not None:
            out["build"] = self.build.to_dict()
        if self.entrypoint is not None:
            out["entrypoint"] = list(self.entrypoint)
        if self.command is not None:
            out["command"] = list(self.command)
        if self.environment:
            out["environment"] = {k: str(v) for k, v in self.environment.items()}
        if self.expose:
            out["expose"] = list(self.expose)
        if self.ports:
            out["ports"] = list(self.ports)
        if self.volumes:
            out["volumes"] = list(self.volumes)
        if self.depends_on:
            out["depends_on"] = {k: {"condition": v} for k, v in self.depends_on.items()}
        if self.healthcheck is not None:
            out["healthcheck"] = self.healthcheck.to_dict()
        if self.restart is not None:
            out["restart"] = self.restart
        if self.networks:
            out["networks"] = list(self.networks)
        out.update(self.extra)
        return out


@attrs.define
class ComposeFile:
    """The whole file: services in model order, named volumes, networks, and a header comment."""

    services: dict[str, ComposeService] = attrs.field(factory=dict)
    volumes: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    networks: dict[str, dict[str, Any]] = attrs.field(factory=dict)
    header: list[str] = attrs.field(factory=list)


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value.rstrip("\n"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096, allow_unicode=False)


def _indented(text: str, spaces: int) -> str:
    pad = " " * spaces
    return "".join(pad + line if line.strip() else line for line in text.splitlines(keepends=True))


def render_compose_file(compose: ComposeFile) -> str:
    """The YAML of ``compose``: the same data gives the same bytes; a comment above each service."""
    out: list[str] = [f"# {line}\n" if line else "#\n" for line in compose.header]
    out.append("services:\n")
    for name, service in compose.services.items():
        if service.comment:
            out.append(f"  # {service.comment}\n")
        out.append(_indented(_dump({name: service.to_dict()}), 2))
    if compose.volumes:
        out.append("volumes:\n")
        out.append(_indented(_dump({k: v or None for k, v in compose.volumes.items()}), 2))
    if compose.networks:
        out.append("networks:\n")
        out.append(_indented(_dump({k: v or None for k, v in compose.networks.items()}), 2))
    return "".join(out)
