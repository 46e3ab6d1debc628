"""aspyre-state-log: an example lifecycle extension, shipped as a pluggy hook plugin.

Install it next to an app host (``pip install aspyre-state-log``) and set ``ASPYRE_STATE_LOG`` to
a file path: every run of every app host then

* appends one line per resource state change to that file
  (``2026-05-01T12:00:00.000Z api: Starting -> Running``), and
* gives every container and process an environment variable ``ASPYRE_RESOURCE_NAME`` holding
  its own resource name.

Nothing is written in the app host: the distribution declares this module in the
``aspyre.hooks`` entry-point group, and aspyre registers its ``@aspyre.plugins.hookimpl`` functions with
the plugin manager of every builder. Without ``ASPYRE_STATE_LOG`` the hooks do nothing.
"""

from __future__ import annotations

import os

import aspyre

__all__ = [
    "ENV_RESOURCE_NAME",
    "ENV_STATE_LOG",
    "aspyre_before_resource_started",
    "aspyre_before_start",
    "aspyre_resource_snapshot_changed",
    "format_line",
]

#: The file to append state changes to. Unset or empty: the extension is off.
ENV_STATE_LOG = "ASPYRE_STATE_LOG"
#: The variable given to every container and process: its resource name.
ENV_RESOURCE_NAME = "ASPYRE_RESOURCE_NAME"


def _log_path() -> str | None:
    # Read at every call, not at import: the app host's environment decides. A str (no pathlib): every builder
    # loads this plugin, few runs log states.
    return os.environ.get(ENV_STATE_LOG) or None


def _append(path: str, line: str) -> None:
    # One short append per state change: cheap enough to do on the event loop.
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _now() -> str:
    import datetime as dt  # on the first state change: every builder loads this plugin, few runs log states

    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def format_line(resource_name: str, previous: str | None, state: str | None, exit_code: int | None = None) -> str:
    """One line of the state log (without the newline)."""
    line = f"{_now()} {resource_name}: {previous or '-'} -> {state or '-'}"
    if exit_code is not None:
        line += f" (exit code {exit_code})"
    return line


@aspyre.plugins.hookimpl
def aspyre_before_start(event: aspyre.events.BeforeStartEvent) -> None:
    """Mark the start of a run (or a publish) in the log."""
    path = _log_path()
    if path is None:
        return
    mode = "publish" if event.app.execution_context.is_publish_mode else "run"
    _append(path, f"{_now()} --- {event.app.app_host_path} ({mode}, {len(event.app.model)} resources)")


@aspyre.plugins.hookimpl
def aspyre_resource_snapshot_changed(event: aspyre.events.ResourceSnapshotChangedEvent) -> None:
    """Append a line when a resource's state text changes (other snapshot changes are skipped).

    Called for every snapshot change, in order, from a background task; what it raises is
    logged by aspyre and never reaches the app.
    """
    path = _log_path()
    if path is None:
        return
    state = event.snapshot.state_text
    previous = event.previous.state_text if event.previous is not None else None
    if state == previous:
        return
    _append(path, format_line(event.resource.name, previous, state, event.snapshot.exit_code))


@aspyre.plugins.hookimpl
def aspyre_before_resource_started(event: aspyre.events.BeforeResourceStartedEvent) -> None:
    """Give a container or process ``ASPYRE_RESOURCE_NAME`` (once, even if it restarts).

    Environment variables are computed after this event, so an annotation added here counts.
    """
    if _log_path() is None:
        return
    resource = event.resource
    if not isinstance(resource, aspyre.IResourceWithEnvironment):
        return
    if any(a.name == ENV_RESOURCE_NAME for a in resource.annotations.all(aspyre.annotations.EnvironmentAnnotation)):
        return
    resource.annotations.add(aspyre.annotations.EnvironmentAnnotation(ENV_RESOURCE_NAME, resource.name))
