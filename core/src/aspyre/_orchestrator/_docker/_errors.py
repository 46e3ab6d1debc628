"""What can go wrong talking to the engine, and how to say it in one line.

Two vocabularies: what the orchestrator raises to its callers (:class:`ContainerRuntimeUnavailable`,
:class:`ContainerStartError`...), and what one Engine API request can raise inside the runtime
(:class:`EngineError`: :class:`APIError` and its kinds for an answer with an error status, with the engine's own
message; :class:`EngineUnreachable` for no answer). The engine client (:mod:`._client`) and the docker SDK
where it is still used (:mod:`._sdk`) both raise the latter, nothing else.
"""

from __future__ import annotations

import sys

from ..._errors import DistributedApplicationException

__all__ = [
    "HINT",
    "APIError",
    "Conflict",
    "EngineError",
    "EngineUnreachable",
    "ImageNotFound",
    "NotFound",
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


class EngineError(Exception):
    """One Engine API request failed (inside the runtime; callers see the classes above)."""


class APIError(EngineError):
    """The engine answered with an error status; :attr:`explanation` is its own message."""

    def __init__(self, status_code: int, explanation: str, *, request: str = "") -> None:
        super().__init__(f"{explanation} (HTTP {status_code}{' on ' + request if request else ''})")
        #: The HTTP status (404 missing, 409 conflict, 500 the engine failed...).
        self.status_code = status_code
        #: What the engine said (its ``message``), never the URL.
        self.explanation = explanation
        #: ``METHOD /path`` of the request.
        self.request = request


class NotFound(APIError):
    """404: no such container, network, volume (or image: :class:`ImageNotFound`)."""


class ImageNotFound(NotFound):
    """404 about an image: not present locally (or, for a pull, not in the registry)."""


class Conflict(APIError):
    """409: a name in use, a container that is not running, a network in use..."""


class EngineUnreachable(EngineError):
    """No answer: the socket is missing or refuses, the connection dropped, or the engine went silent.

    :attr:`problem` says which in a few words (``refused``, ``missing``, ``permission``, ``timeout``, ``dropped``).
    """

    def __init__(self, message: str, *, problem: str) -> None:
        super().__init__(message)
        self.problem = problem


def api_error(status: int, explanation: str, request: str = "") -> APIError:
    """The :class:`APIError` of its kind for an answer with *status* (404 about an image: :class:`ImageNotFound`)."""
    if status == 404:
        lowered = explanation.lower()
        image = (
            "no such image" in lowered
            or "repository does not exist" in lowered
            or "does not exist or no pull access" in lowered
            or request.startswith(("GET /images/", "DELETE /images/"))
        )
        return (ImageNotFound if image else NotFound)(status, explanation, request=request)
    if status == 409:
        return Conflict(status, explanation, request=request)
    return APIError(status, explanation, request=request)


def explain(exc: BaseException) -> str:
    """The engine's own explanation of a failed request (no URL, no status)."""
    if isinstance(exc, APIError):
        return exc.explanation or str(exc)
    return f"{type(exc).__name__}: {exc}"


_CONNECT_PROBLEMS = {
    "missing": "the socket does not exist (is the engine running?)",
    "permission": "permission denied on the socket (add your user to the 'docker' group, or use rootless Docker / Podman)",
    "refused": "connection refused",
    "timeout": "no answer (timed out)",
}


#: How an error that is not an :class:`EngineUnreachable` (one from another library) says what went wrong.
_TEXT_SIGNS = (
    ("missing", ("FileNotFoundError", "No such file or directory")),
    ("permission", ("PermissionError", "Permission denied")),
    ("refused", ("ConnectionRefused", "Connection refused")),
)


def _problem(exc: BaseException, known: dict[str, str], *, timeout: bool) -> str | None:
    """The *known* entry for what went wrong (``timeout``: also told by "timed out" in the text), else ``None``."""
    if isinstance(exc, EngineUnreachable) and exc.problem in known:
        return known[exc.problem]
    text = str(exc)
    for problem, signs in _TEXT_SIGNS:
        if any(sign in text for sign in signs):
            return known[problem]
    if timeout and "timed out" in text.lower():
        return known["timeout"]
    return None


def connect_problem(exc: BaseException) -> str:
    """A short reason for a failed connection."""
    return _problem(exc, _CONNECT_PROBLEMS, timeout=True) or explain(exc)


def engine_lost(exc: BaseException) -> bool:
    """Whether *exc* says the engine cannot be reached any more (refused, dropped, silent)."""
    if isinstance(exc, EngineUnreachable):
        return True
    requests_errors = sys.modules.get("requests.exceptions")  # the SDK's, should one slip through untranslated
    if requests_errors is None:
        return False
    lost: tuple[type[BaseException], ...] = (requests_errors.ConnectionError, requests_errors.Timeout)
    return isinstance(exc, lost)


_LOST_PROBLEMS = {
    "timeout": "the engine stopped answering",
    "refused": "connection refused",
    "missing": "its socket is gone",
    "permission": "permission denied on its socket",
    "dropped": "the connection was dropped",
}


def connection_problem(exc: BaseException) -> str:
    """What happened to the connection, in a few words (never a nested message)."""
    return _problem(exc, _LOST_PROBLEMS, timeout=False) or _LOST_PROBLEMS["dropped"]
