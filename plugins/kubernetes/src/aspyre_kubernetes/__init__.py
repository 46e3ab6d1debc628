"""Deploy an aspyre app to Kubernetes (``aspyre-kubernetes``).

::

    aspyre publish apphost.py -p kubernetes -o k8s/
    kubectl apply -k k8s/

writes a Deployment (with its Service, PersistentVolumeClaims and ConfigMap of files) per
container and Python app in ``resources/``, the ConfigMap of non-secret parameters, the values of
the Secret in ``secrets.env`` (mode 0600; ``kustomization.yaml`` generates the Secret from it),
and a Dockerfile for each Python app without one. Options go on an environment resource,
``builder.add_kubernetes_environment("k8s", image_registry="registry.example.com/team")``;
``resource.publish_as_kubernetes_service(fn)`` changes the objects of one resource. See
``docs/deploy.md``.
"""

from __future__ import annotations

from ._environment import (
    KubernetesEnvironmentResource,
    KubernetesServiceCustomizationAnnotation,
    add_kubernetes_environment,
    publish_as_kubernetes_service,
)
from ._objects import KubernetesResource, dns_label
from ._publisher import KUSTOMIZATION_FILE_NAME, SECRETS_FILE_NAME, KubernetesPublisher, KubernetesPublishingError

__all__ = [
    "KUSTOMIZATION_FILE_NAME",
    "SECRETS_FILE_NAME",
    "KubernetesEnvironmentResource",
    "KubernetesPublisher",
    "KubernetesPublishingError",
    "KubernetesResource",
    "KubernetesServiceCustomizationAnnotation",
    "add_kubernetes_environment",
    "dns_label",
    "publish_as_kubernetes_service",
]
