"""The live topic ``telemetry``: tells every subscribed page that logs, traces or metrics changed.

No data travels this way, only version numbers and the error-log count of each resource (the badge in
Resources): a page that cares asks the JSON API for what it shows, with its own filters. Nothing is
queued per page: each connection is told the latest numbers at its next batch.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ._store import TelemetryStore

if TYPE_CHECKING:
    from .._live import LiveConnection

__all__ = ["TOPIC", "TelemetryTopic"]

TOPIC = "telemetry"


class TelemetryTopic:
    """Implements the dashboard's ``Topic`` protocol for the telemetry pages."""

    def __init__(self, store: TelemetryStore) -> None:
        self.store = store
        self._sent: dict[LiveConnection, str | None] = {}

    def subscribe(self, connection: LiveConnection, message: dict[str, Any]) -> None:
        self._sent[connection] = None
        connection.poke()

    def unsubscribe(self, connection: LiveConnection) -> None:
        self._sent.pop(connection, None)

    def changed(self, signal: str = "") -> None:
        """Something was stored (on the event loop): wake the subscribed connections."""
        for connection in list(self._sent):
            connection.poke()

    def state(self) -> dict[str, Any]:
        store = self.store
        with store.lock:
            return {
                "logs": store.log_version,
                "traces": store.trace_version,
                "metrics": store.metric_version,
                "errors": store.error_counts(),
                "resources": store.resource_names(),
            }

    def collect(self, connection: LiveConnection) -> list[str]:
        if connection not in self._sent:
            return []
        text = json.dumps({"t": TOPIC, **self.state()}, separators=(",", ":"))
        if self._sent[connection] == text:
            return []
        self._sent[connection] = text
        return [text]
