"""The Kubernetes objects of one resource, names Kubernetes accepts, and their YAML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import attrs
import yaml

__all__ = ["KubernetesResource", "dns_label", "port_name", "render_documents"]

_NOT_DNS = re.compile(r"[^a-z0-9-]+")


def dns_label(name: str, what: str = "name") -> str:
    """``name`` as a DNS-1123 label (lower case, ``[a-z0-9-]``, at most 63 characters)."""
    label = _NOT_DNS.sub("-", name.lower()).strip("-")
    if not label or len(label) > 63:
        raise ValueError(f"{what} {name!r} cannot be a Kubernetes name (a DNS label of 1-63 characters)")
    return label


def port_name(endpoint: str) -> str:
    """An endpoint name as a port name (IANA service name: at most 15 characters, a letter in it)."""
    name = _NOT_DNS.sub("-", endpoint.lower()).strip("-")[:15].strip("-")
    return name if any(c.isalpha() for c in name) else f"p-{name}"[:15]


@attrs.define
class KubernetesResource:
    """The objects aspyre generated for one resource, in Kubernetes' own form (plain mappings).

    ``publish_as_kubernetes_service(fn)`` callbacks receive it and may change anything in place:
    ``container`` is the very mapping used in the pod (or in the init containers of the resources
    that wait for this one's completion), ``workload`` the Deployment (``None`` for such a
    one-shot resource), ``service`` the Service (``None`` without endpoints), ``objects`` the rest
    (PersistentVolumeClaims, the ConfigMap of its files). Objects appended to ``objects`` are
    written too.
    """

    name: str
    #: What produced it, for the comment at the top of its file.
    comment: str
    container: dict[str, Any]
    workload: dict[str, Any] | None = None
    service: dict[str, Any] | None = None
    objects: list[dict[str, Any]] = attrs.field(factory=list)
    #: The init containers that must run before ``container`` (its waits), in order.
    init_containers: list[dict[str, Any]] = attrs.field(factory=list)
    #: The pod volumes ``container`` mounts.
    volumes: list[dict[str, Any]] = attrs.field(factory=list)

    def documents(self) -> list[dict[str, Any]]:
        """Every object to write, in order: workload, service, then the others."""
        docs = [d for d in (self.workload, self.service) if d is not None]
        return docs + list(self.objects)


class _Dumper(yaml.SafeDumper):
    """Block style, lists indented under their key, no anchors (shared mappings are written out)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value.rstrip("\n"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(data: Any) -> str:
    """``data`` as block YAML (keys in insertion order)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, default_flow_style=False, width=4096, allow_unicode=False)


def render_documents(header: Sequence[str], documents: Sequence[tuple[str, dict[str, Any]]]) -> str:
    """A multi-document YAML file: ``header`` comment lines, then each document with its own comment."""
    out = [f"# {line}\n" for line in header]
    for i, (comment, doc) in enumerate(documents):
        if i:
            out.append("---\n")
        if comment:
            out.append(f"# {comment}\n")
        out.append(dump_yaml(doc))
    return "".join(out)
