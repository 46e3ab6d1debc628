"""aspyre-dashboard: the web dashboard of a running aspyre app.

Installed next to aspyre, it serves every run of every app host (``aspyre run``,
``python apphost.py``) from the app host's own process, and prints where, once::

    Dashboard: http://127.0.0.1:16502/login?t=...

Pages: Resources (table with nested children, graph, parameters; Start/Stop/Restart and custom
commands), resource details (secrets masked until revealed), console logs of one resource or of
all of them, all live. Settings come from the environment:

``ASPYRE_DASHBOARD_URL``
    ``http://HOST:PORT`` to listen on (default: 127.0.0.1 and a port stable per app host when free).
``ASPYRE_DASHBOARD_UNSECURED_ALLOW_ANONYMOUS``
    ``true``: no token (refused unless the address is a loopback one).

The dashboard also receives the app's OpenTelemetry data (``get_telemetry(app)``; Structured logs,
Traces and Metrics pages; see docs/telemetry.md). ``ASPYRE_DISABLE_PLUGINS=telemetry`` keeps the
dashboard without it.

``--no-dashboard`` (``aspyre run --no-dashboard``, ``python apphost.py --no-dashboard``) or
``ASPYRE_DISABLE_PLUGINS=dashboard`` switch it off; the pytest plugin leaves it off unless asked.
See docs/dashboard.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._hooks import NO_DASHBOARD_FLAG, PLUGIN_NAME, get_dashboard
from ._telemetry._hooks import get_telemetry

if TYPE_CHECKING:
    from ._dashboard import Dashboard, Page
    from ._live import LiveConnection, Topic
    from ._options import ENV_UNSECURED, ENV_URL, DashboardConfigError, DashboardOptions
    from ._telemetry._options import TelemetryOptions
    from ._telemetry._service import Telemetry
    from ._telemetry._store import TelemetryStore

__all__ = [
    "ENV_UNSECURED",
    "ENV_URL",
    "NO_DASHBOARD_FLAG",
    "PLUGIN_NAME",
    "Dashboard",
    "DashboardConfigError",
    "DashboardOptions",
    "LiveConnection",
    "Page",
    "Telemetry",
    "TelemetryOptions",
    "TelemetryStore",
    "Topic",
    "get_dashboard",
    "get_telemetry",
]

# Imported on first use: every app host imports this package (it is a hook plugin), few use these.
_LAZY = {
    "Dashboard": "._dashboard",
    "DashboardConfigError": "._options",
    "DashboardOptions": "._options",
    "ENV_UNSECURED": "._options",
    "ENV_URL": "._options",
    "LiveConnection": "._live",
    "Page": "._dashboard",
    "Telemetry": "._telemetry._service",
    "TelemetryOptions": "._telemetry._options",
    "TelemetryStore": "._telemetry._store",
    "Topic": "._live",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aspyre_dashboard' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
