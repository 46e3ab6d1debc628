"""The hook plugin (entry point ``telemetry`` in ``aspyre.hooks``): the dashboard receives telemetry.

Runs after the dashboard's own before-start hook (``trylast``), and only where a dashboard serves
the app: it binds the OTLP receiver, sets ``app.options.otlp_endpoint_url`` and the API key (so the
core injects ``OTEL_*`` into every exporting resource), and adds the Structured logs, Traces and
Metrics pages. ``ASPYRE_DISABLE_PLUGINS=telemetry`` switches it off alone (the dashboard stays).
Imports nothing heavy: protobuf and the receivers load in worker threads once the app runs.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import aspyre

if TYPE_CHECKING:
    from ._service import Telemetry

__all__ = ["PLUGIN_NAME", "aspyre_before_start", "get_telemetry"]

#: The entry-point name: ``ASPYRE_DISABLE_PLUGINS=telemetry`` switches the receiver and its pages off.
PLUGIN_NAME = "telemetry"

_telemetry: weakref.WeakKeyDictionary[Any, Telemetry] = weakref.WeakKeyDictionary()


def get_telemetry(app: aspyre.events.App) -> Telemetry | None:
    """The telemetry the dashboard receives for ``app``, once it started (``None`` if it receives none)."""
    return _telemetry.get(app)


@aspyre.plugins.hookimpl(trylast=True)
def aspyre_before_start(event: aspyre.events.BeforeStartEvent) -> None:
    """Run mode, with a dashboard: listen for OTLP, say where it goes, add the pages."""
    app = event.app
    if app.execution_context.is_publish_mode:
        return
    from .._hooks import get_dashboard

    dashboard = get_dashboard(app)
    if dashboard is None:
        return
    from ._options import TelemetryConfigError, TelemetryOptions
    from ._service import Telemetry, TelemetryUnavailable

    try:
        telemetry = Telemetry(app, dashboard, TelemetryOptions.from_environment())
        telemetry.open()
    except (TelemetryUnavailable, TelemetryConfigError) as exc:
        app.announce(f"Telemetry: not shown: {exc}")
        return
    telemetry.add_pages()
    try:
        app.start_background_task(telemetry.serve, name="aspyre-dashboard-telemetry")
    except RuntimeError:  # published by hand, outside a run
        telemetry.close()
        return
    _telemetry[app] = telemetry
