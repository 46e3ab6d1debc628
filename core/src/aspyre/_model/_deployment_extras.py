"""The deployment annotations only some resources carry: an HTTP endpoint probe and the files a deployed container
needs (see :mod:`aspyre._model._deployment`). Imported on first use (``with_http_health_check``, an integration that
ships an init script, the publishers that read them), not by every app host's builder.
"""

from __future__ import annotations

import posixpath

import attrs

from aspyre._public import present as _present

from ._annotations import ResourceAnnotation
from ._deployment import ProbeAnnotation

__all__ = ["DeploymentFileAnnotation", "EndpointProbeAnnotation"]


@attrs.frozen(kw_only=True)
class EndpointProbeAnnotation(ProbeAnnotation):
    """Healthy when ``GET <endpoint><path>`` answers 2xx/3xx (Aspire's ``EndpointProbeAnnotation``)."""

    endpoint_name: str
    path: str = "/"

    def __attrs_post_init__(self) -> None:
        if not self.path.startswith("/"):
            raise ValueError(f"probe path must start with '/', got {self.path!r}")


@attrs.frozen
class DeploymentFileAnnotation(ResourceAnnotation):
    """A file the deployed container gets at ``path`` (absolute, inside the container), read-only.

    Deployment publishers write ``content`` into their output (Compose bind-mounts it, Kubernetes
    puts it in a ConfigMap). It must hold no secret: read secrets from the container's environment.
    Run mode ignores it (integrations do the same work live, e.g. Postgres creates its databases
    when the server is ready).
    """

    path: str
    content: str
    #: File mode, for scripts the container executes (``0o755``); Kubernetes applies it to the ConfigMap item.
    mode: int = 0o644

    def __attrs_post_init__(self) -> None:
        if not posixpath.isabs(self.path) or self.path.endswith("/") or posixpath.normpath(self.path) != self.path:
            raise ValueError(f"a deployment file needs a normalised absolute path in the container, got {self.path!r}")


_present(globals(), "aspyre.annotations")
