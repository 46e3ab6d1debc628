"""Immutable values the resource builders of one app builder share rather than make again.

A model where each resource refers to a few others would otherwise hold one relationship, one reference annotation
and one endpoint reference per use: shared, it holds one per resource used (fewer objects to make, and for the
cyclic garbage collector to scan while the app host describes its model). Each is immutable and compares by value,
so sharing shows only to ``is``. The caches hold the resources they are keyed on (through the values), so an
``id`` stays its own while cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aspyre._model._endpoints import EndpointReference
from aspyre._model._on_first_use import reference_annotation, relationship_annotation
from aspyre._model._resources import IResource

if TYPE_CHECKING:  # imported on first use (off an app host's builder path until then)
    from aspyre._model._dependencies import ReferenceAnnotation, ResourceRelationshipAnnotation

__all__ = ["SharedValues"]


class SharedValues:
    """One app builder's shared values, by kind or name, then by the ``id`` of the resource they are about."""

    __slots__ = ("_endpoints", "_references", "_relationships")

    def __init__(self) -> None:
        self._relationships: dict[str, dict[int, ResourceRelationshipAnnotation]] = {}
        self._references: dict[int, ReferenceAnnotation] = {}
        self._endpoints: dict[str, dict[int, EndpointReference]] = {}

    def relationship(self, other: IResource, kind: str) -> ResourceRelationshipAnnotation:
        """``ResourceRelationshipAnnotation(other, kind)``."""
        if type(kind) is not str:
            return relationship_annotation()(other, kind)
        by_target = self._relationships.get(kind)
        if by_target is None:
            by_target = self._relationships[kind] = {}
        rel = by_target.get(id(other))
        if rel is None:
            rel = by_target[id(other)] = relationship_annotation()(other, kind)
        return rel

    def reference(self, target: IResource, use_connection_string: bool, use_service_discovery: bool) -> ReferenceAnnotation:
        """``ReferenceAnnotation(target, use_connection_string=..., use_service_discovery=...)``, its other fields at
        their defaults."""
        ann = self._references.get(id(target))
        if (
            ann is None
            or ann.use_connection_string is not use_connection_string
            or ann.use_service_discovery is not use_service_discovery
        ):
            ann = self._references[id(target)] = reference_annotation()(
                target, use_connection_string=use_connection_string, use_service_discovery=use_service_discovery
            )
        return ann

    def endpoint(self, resource: IResource, name: str) -> EndpointReference:
        """``EndpointReference(resource, name)``."""
        if type(name) is not str:
            return EndpointReference(resource, name)
        by_resource = self._endpoints.get(name)
        if by_resource is None:
            by_resource = self._endpoints[name] = {}
        ref = by_resource.get(id(resource))
        if ref is None:
            ref = by_resource[id(resource)] = EndpointReference(resource, name)
        return ref
