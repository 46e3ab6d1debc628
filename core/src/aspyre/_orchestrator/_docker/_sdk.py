"""The docker SDK, for what aspyre's own client does not do: pulling images (registry authentication,
credential helpers), building them (the context archive, ``.dockerignore``), saving and loading them.

None of that is on the common path, so ``docker`` is imported here only, on first use. The SDK's client talks to
the engine :mod:`._client` found (same address, TLS and API version), and its errors become ours
(:func:`translated`), so the rest of the runtime has one error vocabulary.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ._address import EngineAddress
from ._errors import EngineUnreachable, api_error

__all__ = ["sdk_client", "translated"]


def sdk_client(address: EngineAddress, api_version: str, timeout: float) -> Any:
    """A docker SDK ``APIClient`` for *address* (blocking: imports ``docker``, ~150 ms)."""
    import docker
    import docker.tls

    with translated():
        if address.scheme == "unix":
            return docker.APIClient(base_url=f"unix://{address.path}", version=api_version, timeout=int(timeout))
        if address.scheme == "ssh":
            return docker.APIClient(
                base_url=f"ssh://{address.user + '@' if address.user else ''}{address.host}:{address.port}",
                version=api_version,
                timeout=int(timeout),
                use_ssh_client=True,
            )
        tls: Any = False
        if address.tls is not None:
            settings = address.tls
            tls = docker.tls.TLSConfig(
                client_cert=settings.client_cert,
                ca_cert=settings.ca_cert,
                verify=settings.ca_cert if settings.verify and settings.ca_cert else settings.verify,
            )
        return docker.APIClient(
            base_url=f"tcp://{address.host}:{address.port}", version=api_version, timeout=int(timeout), tls=tls
        )


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """The docker SDK's errors as :class:`._errors.APIError` (by status) and :class:`._errors.EngineUnreachable`."""
    import docker.errors
    import requests.exceptions

    try:
        yield
    except docker.errors.APIError as exc:
        explanation = exc.explanation
        if isinstance(explanation, bytes):
            explanation = explanation.decode("utf-8", "replace")
        status = exc.status_code or 500
        raise api_error(status, str(explanation or exc)) from exc
    except requests.exceptions.Timeout as exc:
        raise EngineUnreachable(f"{type(exc).__name__}: {exc}", problem="timeout") from exc
    except requests.exceptions.ConnectionError as exc:
        text = str(exc)
        problem = "dropped"
        if "Connection refused" in text or "ConnectionRefused" in text:
            problem = "refused"
        elif "FileNotFoundError" in text or "No such file or directory" in text:
            problem = "missing"
        elif "Permission denied" in text or "PermissionError" in text:
            problem = "permission"
        raise EngineUnreachable(f"{type(exc).__name__}: {exc}", problem=problem) from exc
