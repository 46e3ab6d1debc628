"""Builder methods for images built from a Dockerfile and for external services (Aspire's ``AddDockerfile``,
``AddExternalService``), and what an external service does when the app starts."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, TypeVar

from aspyre._model._annotations import ContainerImageAnnotation, ManifestPublishingCallbackAnnotation
from aspyre._model._known import CustomResourceKnownProperties, KnownResourceStates, StateStyle
from aspyre._model._names import validate_name
from aspyre._model._resources import ContainerResource, ParameterResource

if TYPE_CHECKING:
    from aspyre._eventing._bus import DistributedApplicationEventing
    from aspyre._eventing._progress_events import InitializeResourceEvent
    from aspyre._model._external import ExternalServiceResource
    from aspyre._model._resources import IResource
    from aspyre._model._snapshot import ResourceSnapshot

    from ._resource_builder import ResourceBuilder

    _R = TypeVar("_R", bound=IResource)

__all__ = ["ResourceKindsMixin"]


class ResourceKindsMixin:
    """``add_dockerfile`` and ``add_external_service`` of :class:`~aspyre.DistributedApplicationBuilder`."""

    __slots__ = ()

    if TYPE_CHECKING:  # provided by DistributedApplicationBuilder
        eventing: DistributedApplicationEventing

        def add_resource(self, resource: _R) -> ResourceBuilder[_R]: ...

    def add_dockerfile(
        self,
        name: str,
        context: str | os.PathLike[str],
        dockerfile: str | os.PathLike[str] = "Dockerfile",
        stage: str | None = None,
    ) -> ResourceBuilder[ContainerResource]:
        """A container whose image is built from a Dockerfile (Aspire's ``AddDockerfile``).

        ``context`` is taken from the app host's directory, ``dockerfile`` from ``context``. In run mode the
        image is built before the container first starts (state ``Building``, the build output in the resource's
        log), tagged ``{name}:{hash of the build}``, and built again only when the context, the Dockerfile, the
        stage or a build argument changed. Publish mode writes ``container.v1`` with ``build``.
        """
        validate_name("Resource", name)
        resource = ContainerResource(name)
        resource.annotations.add(ContainerImageAnnotation(name.lower(), "latest"))
        return self.add_resource(resource).with_dockerfile(context, dockerfile, stage)

    def add_external_service(
        self, name: str, url: str | ParameterResource | Any
    ) -> ResourceBuilder[ExternalServiceResource]:
        """A service the app uses but does not run (Aspire's ``AddExternalService``): ``url`` is a str or a
        parameter (a resource builder of one works too) holding the URL.

        The URL is absolute, its path ends with ``/``, and it has no query or fragment. ``with_reference`` hands
        it over (``{NAME}`` and ``services__{name}__{scheme}__0``; from a parameter ``{NAME}_{SCHEME}``),
        ``with_environment(var, service)`` as one variable, and ``with_http_health_check(path)`` polls it so that
        ``wait_for`` waits until it answers. It is left out of the manifest.
        """
        from aspyre._eventing._progress_events import InitializeResourceEvent
        from aspyre._model._external import ExternalServiceResource, external_url_problem
        from aspyre._model._snapshot import ResourceSnapshotAnnotation

        validate_name("Resource", name)
        target = getattr(url, "resource", url)
        if isinstance(target, ParameterResource):
            resource = ExternalServiceResource(name, url_parameter=target)
        elif isinstance(target, str):
            problem = external_url_problem(target)
            if problem is not None:
                raise ValueError(f"add_external_service() on resource {name!r}: {problem}")
            resource = ExternalServiceResource(name, url=target)
        else:
            raise TypeError(
                f"add_external_service() on resource {name!r}: url must be a str or a parameter, not "
                f"{type(url).__name__}"
            )
        from aspyre._model._snapshot import ResourceSnapshot  # not at the top: the builder seldom needs it

        initial = ResourceSnapshot(ExternalServiceResource.resource_type).with_state(KnownResourceStates.WAITING)
        builder = self.add_resource(resource)
        builder.with_annotation(ResourceSnapshotAnnotation(initial))
        builder.with_annotation(ManifestPublishingCallbackAnnotation.ignore())
        if resource.url_parameter is not None:
            builder._relate_values(resource.url_parameter)
        self.eventing.subscribe(InitializeResourceEvent, _on_initialize, resource=resource)
        return builder


def _with_url(url: str, host: str, s: ResourceSnapshot) -> ResourceSnapshot:
    from aspyre._model._snapshot import UrlSnapshot

    urls = s.urls if any(u.url == url for u in s.urls) else (*s.urls, UrlSnapshot(None, url))
    s = s.with_property(CustomResourceKnownProperties.SOURCE, host)
    return s.with_state(KnownResourceStates.RUNNING, StateStyle.SUCCESS).evolve(urls=urls)


async def _on_initialize(event: InitializeResourceEvent) -> None:
    """When the app starts: check the URL, then Running with it (the health checks follow Running)."""
    import functools
    import urllib.parse

    from aspyre._eventing._progress_events import BeforeResourceStartedEvent
    from aspyre._model._external import ExternalServiceResource

    resource = event.resource
    assert isinstance(resource, ExternalServiceResource)
    app = event.app
    notifications = app.resource_notifications
    try:
        url = resource.resolve_url()
    except Exception as exc:
        app.resource_loggers.get_logger(resource).error("%s", exc)
        notifications.publish_update(
            resource, lambda s: s.with_state(KnownResourceStates.FAILED_TO_START, StateStyle.ERROR)
        )
        return
    await app.eventing.publish(BeforeResourceStartedEvent(resource, app=app))
    host = urllib.parse.urlsplit(url).hostname or url
    notifications.publish_update(resource, functools.partial(_with_url, url, host))
