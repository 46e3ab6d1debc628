"""Where the engine is: the address and TLS settings the docker SDK's ``docker.from_env`` would use.

In order: the address given to the runtime (``DOCKER_HOST`` of the app host's options), else the environment's
``DOCKER_HOST``, else the Docker CLI's current context (``DOCKER_CONTEXT``, else ``currentContext`` in
``~/.docker/config.json`` or ``$DOCKER_CONFIG/config.json``; its endpoint's host and TLS files), else the default
socket ``unix:///var/run/docker.sock``. TLS comes from ``DOCKER_TLS_VERIFY`` / ``DOCKER_CERT_PATH`` (as the
docker CLI reads them: ``DOCKER_CERT_PATH`` alone enables TLS without verifying the engine's certificate), else
from the context.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from urllib.parse import urlsplit

import attrs

__all__ = ["DEFAULT_SOCKET", "EngineAddress", "TLSSettings", "resolve_address"]

#: The engine's socket when nothing says otherwise.
DEFAULT_SOCKET = "/var/run/docker.sock"


@attrs.frozen
class TLSSettings:
    """TLS to a ``tcp://`` engine: *verify* the engine's certificate against *ca_cert* (else the system's CAs),
    and present *client_cert* (certificate, key) when given."""

    ca_cert: str | None = None
    client_cert: tuple[str, str] | None = None
    verify: bool = True


@attrs.frozen
class EngineAddress:
    """A parsed engine address: ``scheme`` is ``unix``, ``tcp`` or ``ssh``."""

    scheme: str
    #: The socket path (``unix``).
    path: str = ""
    host: str = ""
    port: int = 0
    #: ``ssh``: the user name, if any.
    user: str = ""
    tls: TLSSettings | None = None
    #: The address as given, for messages.
    text: str = ""


def parse_address(text: str, tls: TLSSettings | None = None) -> EngineAddress:
    """Parse ``unix:///path``, ``tcp://host:port`` (``http://`` / ``https://`` too) or ``ssh://[user@]host[:port]``.

    Raises :class:`ValueError` naming what is wrong.
    """
    given = text.strip()
    if not given or given == "unix://":
        return EngineAddress("unix", path=DEFAULT_SOCKET, text=given or f"unix://{DEFAULT_SOCKET}")
    parts = urlsplit(given if "://" in given else f"tcp://{given}")
    scheme = parts.scheme
    if scheme in {"http", "https"}:
        if scheme == "https" and tls is None:
            tls = TLSSettings()  # the system's CAs
        scheme = "tcp"
    elif scheme == "http+unix":
        scheme = "unix"
    if scheme == "unix":
        path = f"{parts.netloc}/{parts.path.lstrip('/')}" if parts.netloc else parts.path  # unix://path too
        if not path.startswith("/"):
            path = "/" + path
        return EngineAddress("unix", path=path.rstrip("/") or DEFAULT_SOCKET, text=given)
    if scheme not in {"tcp", "ssh"}:
        raise ValueError(f"unsupported engine address {given!r}: use unix://, tcp:// or ssh://")
    if parts.query or parts.fragment or parts.password:
        raise ValueError(f"invalid engine address {given!r}")
    try:
        port = parts.port or 0
    except ValueError:
        raise ValueError(f"invalid port in the engine address {given!r}") from None
    if scheme == "ssh":
        if parts.path not in {"", "/"}:
            raise ValueError(f"invalid engine address {given!r}: no path allowed for ssh://")
        return EngineAddress("ssh", host=parts.hostname or "", port=port or 22, user=parts.username or "", text=given)
    if not parts.netloc:
        raise ValueError(f"invalid engine address {given!r}: no host")
    if port <= 0:
        raise ValueError(f"invalid engine address {given!r}: a port is required")
    return EngineAddress("tcp", host=parts.hostname or "127.0.0.1", port=port, tls=tls, text=given)


def resolve_address(docker_host: str | None = None, environ: Mapping[str, str] | None = None) -> EngineAddress:
    """The engine's address: *docker_host*, else ``DOCKER_HOST``, else the CLI context, else the default socket."""
    env = os.environ if environ is None else environ
    tls = _tls_from_env(env)
    host = docker_host or env.get("DOCKER_HOST")
    if host:
        return parse_address(host, tls)
    context_host, context_tls = _from_context(env)
    if context_host:
        return parse_address(context_host, tls or context_tls)
    return parse_address("", tls)


def _tls_from_env(env: Mapping[str, str]) -> TLSSettings | None:
    cert_path = env.get("DOCKER_CERT_PATH") or None
    verify_value = env.get("DOCKER_TLS_VERIFY")
    verify = verify_value is not None and verify_value != ""  # set, even to 0, means verify (as docker-py reads it)
    if not (cert_path or verify):
        return None
    cert_path = cert_path or os.path.join(os.path.expanduser("~"), ".docker")
    cert, key = os.path.join(cert_path, "cert.pem"), os.path.join(cert_path, "key.pem")
    client_cert = (cert, key) if os.path.isfile(cert) and os.path.isfile(key) else None
    return TLSSettings(ca_cert=os.path.join(cert_path, "ca.pem"), client_cert=client_cert, verify=verify)


def _config_file() -> str | None:
    """The Docker CLI's configuration file, as docker-py finds it."""
    candidates = []
    if os.environ.get("DOCKER_CONFIG"):
        candidates.append(os.path.join(os.environ["DOCKER_CONFIG"], "config.json"))
    home = os.path.expanduser("~")
    candidates += [os.path.join(home, ".docker", "config.json"), os.path.join(home, ".dockercfg")]
    return next((path for path in candidates if os.path.exists(path)), None)


def _from_context(env: Mapping[str, str]) -> tuple[str | None, TLSSettings | None]:
    """The current Docker CLI context's engine host and TLS settings (``None``: the default context)."""
    config = _config_file()
    name = env.get("DOCKER_CONTEXT")
    if not name and config:
        try:
            with open(config, encoding="utf-8") as f:
                name = json.load(f).get("currentContext")
        except (OSError, ValueError, AttributeError):
            name = None
    if not name or name == "default":
        return None, None
    contexts = os.path.join(os.path.dirname(config or ""), "contexts")
    context_id = hashlib.sha256(name.encode()).hexdigest()
    try:
        with open(os.path.join(contexts, "meta", context_id, "meta.json"), encoding="utf-8") as f:
            endpoint = (json.load(f).get("Endpoints") or {}).get("docker") or {}
    except (OSError, ValueError, AttributeError):
        return None, None
    host = endpoint.get("Host") or None
    tls_dir = os.path.join(contexts, "tls", context_id, "docker")
    files: dict[str, str] = {}
    if os.path.isdir(tls_dir):
        for filename in sorted(os.listdir(tls_dir)):
            for kind in ("ca", "cert", "key"):
                if filename.startswith(kind):
                    files[kind] = os.path.join(tls_dir, filename)
    tls = None
    if len(files) == 3:
        tls = TLSSettings(
            ca_cert=files["ca"],
            client_cert=(files["cert"], files["key"]),
            verify=not endpoint.get("SkipTLSVerify", False),
        )
    return host, tls
