"""A resource's parents: the one it starts after and stops with, and those it is shown under.

Apart from the graph checks (:mod:`aspyre._model._graph`): the builder's methods need them at the call.
"""

from __future__ import annotations

from ._annotations import KnownRelationshipTypes
from ._resources import IResource, IResourceWithParent

__all__ = ["lifecycle_parent", "parents_of"]


def lifecycle_parent(resource: IResource) -> IResource | None:
    """The parent a child resource starts after and stops with (``IResourceWithParent.parent``)."""
    if isinstance(resource, IResourceWithParent):
        return resource.parent
    return None


def parents_of(resource: IResource) -> list[IResource]:
    """Every distinct parent declared for ``resource``: its lifecycle parent and any ``Parent``
    relationship (``with_parent_relationship``). A valid model has at most one."""
    from ._dependencies import ResourceRelationshipAnnotation
    found: list[IResource] = []
    parent = lifecycle_parent(resource)
    if parent is not None:
        found.append(parent)
    for rel in resource.annotations.all(ResourceRelationshipAnnotation):
        if rel.type == KnownRelationshipTypes.PARENT and all(rel.resource is not p for p in found):
            found.append(rel.resource)
    return found
