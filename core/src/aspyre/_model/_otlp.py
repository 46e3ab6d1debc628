"""Which resources send OpenTelemetry data, and how (Aspire's ``OtlpExporterAnnotation``).

Pure data: the rule here says *whether* a resource exports and with which protocol; the run mode
(``_orchestrator/_otlp.py``) turns that into ``OTEL_*`` variables when the app has somewhere to send
the data (``app.options.otlp_endpoint_url``).
"""

from __future__ import annotations

from typing import Any

import attrs

from aspyre._public import present as _present

from ._annotations import ResourceAnnotation
from ._container_annotations import ContainerLifetime
from ._resources import ContainerResource, ExecutableResource, IResource

__all__ = ["OTLP_PROTOCOLS", "OtlpExporterAnnotation", "otlp_exporter"]

#: The values of ``OTEL_EXPORTER_OTLP_PROTOCOL``.
OTLP_PROTOCOLS = ("grpc", "http/protobuf", "http/json")


def _protocol(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in OTLP_PROTOCOLS:
        raise ValueError(f"the OTLP protocol must be one of {', '.join(OTLP_PROTOCOLS)} (or None), not {value!r}")


@attrs.frozen
class OtlpExporterAnnotation(ResourceAnnotation):
    """The resource sends traces, logs and metrics over OTLP (``with_otlp_exporter()``).

    ``enabled=False`` opts a resource out (``with_otlp_exporter(enabled=False)``). ``protocol``:
    ``"grpc"``, ``"http/protobuf"`` or ``"http/json"`` when the resource's SDK needs one (``None``:
    OTLP/HTTP with protobuf, which every OpenTelemetry SDK speaks).

    Processes and session containers export without it; persistent containers only with it (their
    environment would change every run, and a persistent container is recreated when it does).
    """

    enabled: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    protocol: str | None = attrs.field(default=None, validator=_protocol)


def otlp_exporter(resource: IResource) -> OtlpExporterAnnotation | None:
    """How ``resource`` exports telemetry, or ``None`` if it does not.

    The last :class:`OtlpExporterAnnotation` decides; without one, executables (Python apps included)
    and containers of the session's lifetime export with the defaults.
    """
    found = resource.annotations.last(OtlpExporterAnnotation)
    if found is not None:
        return found if found.enabled else None
    if isinstance(resource, ExecutableResource):
        return OtlpExporterAnnotation()
    if isinstance(resource, ContainerResource) and resource.lifetime is ContainerLifetime.SESSION:
        return OtlpExporterAnnotation()
    return None


_present(globals(), "aspyre.annotations", names=["OtlpExporterAnnotation"])  # aspyre.annotations' _LAZY names
