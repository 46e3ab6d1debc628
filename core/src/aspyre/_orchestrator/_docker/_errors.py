"""What can go wrong talking to the engine, and how to say it in one line."""

from __future__ import annotations

from ..._errors import DistributedApplicationException

__all__ = [
    "HINT",
    "ContainerExitUnknown",
    "ContainerImageUnavailable",
    "ContainerRuntimeUnavailable",
    "ContainerStartError",
    "connect_problem",
    "connection_problem",
    "engine_lost",
    "explain",
]

#: What to do when no engine answers.
HINT = (
    "Start Docker (Docker Desktop, or `sudo systemctl start docker`), or set DOCKER_HOST to a running "
    "engine's socket; for Podman run `podman system service --time=0 unix:///run/podman/podman.sock` "
    "and set DOCKER_HOST=unix:///run/podman/podman.sock."
)


class ContainerRuntimeUnavailable(DistributedApplicationException, RuntimeError):
    """No container engine could be reached (or it went away). The message says what to do."""


class ContainerImageUnavailable(DistributedApplicationException, RuntimeError):
    """A container's image is not present locally and could not (or may not) be pulled."""

    def __init__(self, message: str, *, image: str) -> None:
        super().__init__(message)
        #: The image reference that is unavailable.
        self.image = image


class ContainerStartError(DistributedApplicationException, RuntimeError):
    """The engine refused to create or start a container (port in use, bad mount, name conflict...)."""


class ContainerExitUnknown(DistributedApplicationException, RuntimeError):
    """:meth:`ContainerRuntime.wait` cannot tell an exit code: aspyre stopped following the container
    while it still runs (a persistent container detached at app stop, or the runtime was closed), or the
    container was removed outside aspyre."""


def explain(exc: BaseException) -> str:
    """The engine's own explanation of a failed request (the SDK's message repeats the URL)."""
    import docker.errors

    if isinstance(exc, docker.errors.APIError):
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        return str(explanation or exc)
    return f"{type(exc).__name__}: {exc}"


def connect_problem(exc: BaseException) -> str:
    """A short reason for a failed connection (the SDK wraps the socket error in a long message)."""
    text = str(exc)
    if "FileNotFoundError" in text or "No such file or directory" in text:
        return "the socket does not exist (is the engine running?)"
    if "PermissionError" in text or "Permission denied" in text:
        return "permission denied on the socket (add your user to the 'docker' group, or use rootless Docker / Podman)"
    if "ConnectionRefused" in text or "Connection refused" in text:
        return "connection refused"
    if "timed out" in text.lower():
        return "no answer (timed out)"
    return explain(exc)


def engine_lost(exc: BaseException) -> bool:
    """Whether *exc* says the engine cannot be reached any more (refused, dropped, silent)."""
    import requests.exceptions

    return isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout)


def connection_problem(exc: BaseException) -> str:
    """What happened to the connection, in a few words (never the SDK's nested message)."""
    import requests.exceptions

    if isinstance(exc, requests.exceptions.Timeout):
        return "the engine stopped answering"
    text = str(exc)
    if "Connection refused" in text or "ConnectionRefused" in text:
        return "connection refused"
    if "FileNotFoundError" in text or "No such file or directory" in text:
        return "its socket is gone"
    if "Permission denied" in text or "PermissionError" in text:
        return "permission denied on its socket"
    return "the connection was dropped"
