"""The hook plugin (entry point ``dashboard`` in ``aspyre.hooks``): serve the dashboard of every run.

Imported by every builder of an environment where aspyre-dashboard is installed, so it imports
nothing heavy: the web stack is loaded in a worker thread once the app runs.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

import aspyre

if TYPE_CHECKING:
    from ._dashboard import Dashboard

__all__ = ["PLUGIN_NAME", "aspyre_before_start", "aspyre_configure_builder", "get_dashboard"]

#: The plugin's entry-point name: ``ASPYRE_DISABLE_PLUGINS=dashboard``, ``app.disable_plugin("dashboard")``.
PLUGIN_NAME = "dashboard"
#: The app host flag that switches the dashboard off for one run (``aspyre run --no-dashboard``).
NO_DASHBOARD_FLAG = "--no-dashboard"

_dashboards: weakref.WeakKeyDictionary[Any, Dashboard] = weakref.WeakKeyDictionary()


def get_dashboard(app: aspyre.events.App) -> Dashboard | None:
    """The dashboard serving ``app``, once it started (``None`` if it does not serve this app)."""
    return _dashboards.get(app)


@aspyre.plugins.hookimpl
def aspyre_configure_builder(builder: aspyre.DistributedApplicationBuilder) -> None:
    """``--no-dashboard`` among the app host's arguments switches the dashboard off for this run."""
    if NO_DASHBOARD_FLAG in builder.args:
        builder.remaining_args = tuple(a for a in builder.remaining_args if a != NO_DASHBOARD_FLAG)
        builder.disable_plugin(PLUGIN_NAME)


@aspyre.plugins.hookimpl
def aspyre_before_start(event: aspyre.events.BeforeStartEvent) -> None:
    """Run mode: listen, print the sign-in link, and serve next to the resources.

    Settings that are unsafe or impossible (a non-loopback address without a token, a busy port
    that was asked for) leave the app running without a dashboard, and the line says why.
    """
    app = event.app
    if app.execution_context.is_publish_mode:
        return
    from ._dashboard import Dashboard
    from ._options import DashboardConfigError, DashboardOptions

    try:
        dashboard = Dashboard(app, DashboardOptions.from_environment())
        dashboard.open()
    except DashboardConfigError as exc:
        # Refused (an unsafe or impossible setting): the app runs, without its dashboard, and says why.
        app.announce(f"Dashboard: not started: {exc}")
        return
    try:
        app.start_background_task(dashboard.serve, name="aspyre-dashboard")
    except RuntimeError:  # the event was published by hand, outside a run: nothing to serve
        dashboard.close()
        return
    _dashboards[app] = dashboard
    app.announce(f"Dashboard: {dashboard.login_url}")
