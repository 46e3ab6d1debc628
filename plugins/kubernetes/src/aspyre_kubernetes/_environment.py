"""``builder.add_kubernetes_environment(...)`` and ``resource.publish_as_kubernetes_service(fn)``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import attrs

import aspyre

from ._objects import KubernetesResource

__all__ = [
    "KubernetesEnvironmentResource",
    "KubernetesServiceCustomizationAnnotation",
    "add_kubernetes_environment",
    "publish_as_kubernetes_service",
]

R = TypeVar("R", bound=aspyre.IResource)

_DNS_LABEL = re.compile(r"[a-z]([-a-z0-9]{0,38}[a-z0-9])?")
_QUANTITY = re.compile(r"[0-9]+(\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?")


@attrs.define(eq=False, repr=False)
class KubernetesEnvironmentResource(aspyre.Resource, aspyre.IResourceWithoutLifetime):
    """The Kubernetes deployment target (Aspire's ``KubernetesEnvironmentResource``).

    It only carries options for ``aspyre publish -p kubernetes``; it runs nothing and is not in the
    manifest. Publishing works without one (with the defaults).
    """

    resource_type: ClassVar[str] = "KubernetesEnvironment"

    #: ``app.kubernetes.io/instance`` of every object, and the prefix of the shared ConfigMap and Secret.
    instance: str = attrs.field(default="aspyre", kw_only=True)
    #: The namespace written in the kustomization (``None``: the one ``kubectl`` uses).
    namespace: str | None = attrs.field(default=None, kw_only=True)
    #: The size requested by each PersistentVolumeClaim (a named volume).
    storage_size: str = attrs.field(default="1Gi", kw_only=True)
    #: The StorageClass of the claims (``None``: the cluster's default).
    storage_class: str | None = attrs.field(default=None, kw_only=True)
    #: The image of the init containers that wait for a dependency (needs ``sh`` and ``nc``).
    wait_image: str = attrs.field(default="docker.io/library/busybox:1.36", kw_only=True)
    #: A wheelhouse inside each Python app's directory: dependencies are installed from it alone.
    wheelhouse: str | None = attrs.field(default=None, kw_only=True)
    #: The base image of the Dockerfiles generated for Python apps.
    python_image: str = attrs.field(default="python:3.11-slim", kw_only=True)
    #: The registry built images are pushed to (``registry.example.com/team``): the kustomization's ``images``.
    image_registry: str | None = attrs.field(default=None, kw_only=True)
    #: The tag of built images in the kustomization's ``images``.
    image_tag: str = attrs.field(default="latest", kw_only=True)


@attrs.frozen
class KubernetesServiceCustomizationAnnotation(aspyre.annotations.ResourceAnnotation):
    """``publish_as_kubernetes_service(fn)``: ``fn(resource, k8s)`` may change the generated objects."""

    callback: Callable[[Any, KubernetesResource], None]


def add_kubernetes_environment(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    *,
    instance: str | None = None,
    namespace: str | None = None,
    storage_size: str = "1Gi",
    storage_class: str | None = None,
    wait_image: str = "docker.io/library/busybox:1.36",
    wheelhouse: str | Path | None = None,
    python_image: str = "python:3.11-slim",
    image_registry: str | None = None,
    image_tag: str = "latest",
) -> aspyre.ResourceBuilder[KubernetesEnvironmentResource]:
    """Deploy this app to Kubernetes: the options of ``aspyre publish -p kubernetes``.

    * ``instance``: the ``app.kubernetes.io/instance`` label and the prefix of the shared
      ConfigMap (``<instance>-parameters``) and Secret (``<instance>-secrets``); default: ``name``;
    * ``namespace``: written in ``kustomization.yaml``;
    * ``storage_size``, ``storage_class``: of each PersistentVolumeClaim (one per named volume);
    * ``wait_image``: the image of the init containers that wait for dependencies (``sh`` + ``nc``);
    * ``wheelhouse``, ``python_image``: for the Dockerfiles generated for Python apps;
    * ``image_registry``, ``image_tag``: where built images are pushed (the kustomization's ``images``).

    The resource runs nothing and is left out of the manifest. One per app.
    """
    for existing in builder.resources:
        if isinstance(existing, KubernetesEnvironmentResource):
            raise aspyre.DuplicateResourceError(
                f"Cannot add Kubernetes environment {name!r}: the app already has one ({existing.name!r})"
            )
    instance = name.lower() if instance is None else instance
    if not _DNS_LABEL.fullmatch(instance):
        raise ValueError(
            f"Kubernetes environment {name!r}: instance {instance!r} must be a DNS label of at most 40 characters "
            "(lower-case letters, digits, '-')"
        )
    if namespace is not None and not _DNS_LABEL.fullmatch(namespace):
        raise ValueError(f"Kubernetes environment {name!r}: invalid namespace {namespace!r}")
    if not _QUANTITY.fullmatch(storage_size):
        raise ValueError(f"Kubernetes environment {name!r}: storage_size {storage_size!r} is not a quantity (1Gi)")
    resource = KubernetesEnvironmentResource(
        name,
        instance=instance,
        namespace=namespace,
        storage_size=storage_size,
        storage_class=storage_class,
        wait_image=wait_image,
        wheelhouse=None if wheelhouse is None else str(wheelhouse),
        python_image=python_image,
        image_registry=image_registry.rstrip("/") if image_registry else None,
        image_tag=image_tag,
    )
    rb = builder.add_resource(resource)
    rb.exclude_from_manifest()
    return rb


@aspyre.plugins.resource_extension(aspyre.ContainerResource, aspyre.ExecutableResource)
def publish_as_kubernetes_service(
    builder: aspyre.ResourceBuilder[R], configure: Callable[[R, KubernetesResource], None]
) -> aspyre.ResourceBuilder[R]:
    """Change the Kubernetes objects generated for this resource: ``configure(resource, k8s)``.

    ``k8s`` is a :class:`KubernetesResource`: ``container`` (the container spec), ``workload``
    (the Deployment; ``None`` for a resource that runs as an init container of those that wait for
    its completion), ``service``, ``objects`` (claims, ConfigMaps), each a plain mapping in
    Kubernetes' own form. Called once per publish, after aspyre filled them in.
    """
    if not callable(configure):
        raise TypeError(
            f"publish_as_kubernetes_service() of resource {builder.name!r} needs a function (resource, k8s) -> None"
        )
    return builder.with_annotation(KubernetesServiceCustomizationAnnotation(configure))
