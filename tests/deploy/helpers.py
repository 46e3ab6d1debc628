"""Helpers for the deployment publishers' tests: publishing a copied app host, golden trees, engines."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GOLDEN_DIR = HERE / "golden"
UPDATE_GOLDEN = os.environ.get("ASPYRE_UPDATE_GOLDEN") == "1"
NO_DOCKER = {"DOCKER_HOST": "unix:///nonexistent/aspyre-test/docker.sock"}
ASPYRE = [sys.executable, "-m", "aspyre._cli"]

#: Files that hold the parameters' values (generated secrets): never compared with golden files.
VALUE_FILES = {".env", "secrets.env"}

#: The app hosts with golden outputs: name -> (app host file, the directories it needs beside it).
APPS = {
    "demo": (REPO_ROOT / "examples" / "apphost.py", ["demo"]),
    "redis": (REPO_ROOT / "examples" / "redis" / "apphost.py", ["counter.py", "requirements.txt"]),
    "postgres": (
        REPO_ROOT / "examples" / "postgres" / "apphost.py",
        ["migrate.py", "report.py", "requirements.txt"],
    ),
    "stack": (HERE / "stack" / "apphost.py", ["app"]),
}


def copy_app(name: str, dest: Path) -> Path:
    """Copy app ``name`` into ``dest/<name>`` (so relative paths in the output do not depend on the checkout)."""
    script, extras = APPS[name]
    target = dest / name
    target.mkdir(parents=True)
    shutil.copy(script, target / "apphost.py")
    for extra in extras:
        src = script.parent / extra
        if src.is_dir():
            shutil.copytree(src, target / extra, ignore=shutil.ignore_patterns("__pycache__", "wheels", ".venv"))
        else:
            shutil.copy(src, target / extra)
    return target / "apphost.py"


def publish(
    app_host: Path,
    publisher: str,
    output: str = "out",
    args: Sequence[str] = (),
    env: dict[str, str] | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """``aspyre publish APP -p PUBLISHER -o OUTPUT [args]`` in the app host's directory (no Docker reachable)."""
    full_env = dict(os.environ)
    full_env.update(NO_DOCKER)
    full_env.update(env or {})
    proc = subprocess.run(
        [*ASPYRE, "publish", str(app_host), "-p", publisher, "-o", output, *args],
        cwd=app_host.parent,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


_HASH = re.compile(r"-[0-9a-f]{10}-")


def tree(directory: Path) -> dict[str, str]:
    """Every file under ``directory`` (but the value files) by relative path, volume-name hashes normalised."""
    out: dict[str, str] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file() and path.name not in VALUE_FILES:
            out[path.relative_to(directory).as_posix()] = _HASH.sub("-HASH-", path.read_text(encoding="utf-8"))
    return out


def assert_golden_tree(name: str, directory: Path) -> None:
    """Compare the files under ``directory`` with ``golden/<name>/`` (rewritten under ASPYRE_UPDATE_GOLDEN=1)."""
    actual = tree(directory)
    golden = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        if golden.exists():
            shutil.rmtree(golden)
        for rel, text in actual.items():
            (golden / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden / rel).write_text(text, encoding="utf-8", newline="\n")
    assert golden.is_dir(), f"golden files {golden} are missing: run with ASPYRE_UPDATE_GOLDEN=1 and review them"
    expected = tree(golden)
    assert sorted(actual) == sorted(expected), f"the files differ from {golden} (ASPYRE_UPDATE_GOLDEN=1 rewrites them)"
    for rel, text in actual.items():
        assert text == expected[rel], f"{rel} differs from {golden / rel} (ASPYRE_UPDATE_GOLDEN=1 rewrites it)"


def env_values(text: str) -> dict[str, str]:
    """``KEY=value`` lines of an env file (comments skipped, values as written)."""
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#") and "=" in line)


# --------------------------------------------------------------------------- wheelhouse


def system_python() -> str:
    """Debian's Python (the python stand-in image's interpreter), which builds wheels for the image."""
    for candidate in ("/usr/bin/python3.11", "/usr/bin/python3"):
        if Path(candidate).exists():
            return candidate
    return sys.executable


def build_wheelhouse(requirements: Path, wheels: Path) -> None:
    """``pip wheel -r requirements -w wheels`` with the system Python (fails the test if pip cannot)."""
    proc = subprocess.run(
        [system_python(), "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "-w", str(wheels), "-r",
         str(requirements)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, f"could not build the wheelhouse: {proc.stderr[-2000:]}"


# --------------------------------------------------------------------------- docker-compose


def compose_command() -> list[str] | None:
    """``docker-compose`` (v1, Debian's), else ``docker compose`` (v2) when present, else ``None``."""
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    return None


def require_compose() -> list[str]:
    """The compose command; skips without it (fails under ASPYRE_REQUIRE_DOCKER=1: CI installs it)."""
    command = compose_command()
    if command is None:
        msg = "docker-compose is not installed (apt-get install docker-compose)"
        if os.environ.get("ASPYRE_REQUIRE_DOCKER") == "1":
            pytest.fail(f"ASPYRE_REQUIRE_DOCKER=1 but {msg}")
        pytest.skip(msg)
    return command


# --------------------------------------------------------------------------- kubectl


def require_kubectl() -> str:
    """The kubectl client; skips with a clear reason without it."""
    path = shutil.which("kubectl")
    if path is None:
        pytest.skip("kubectl is not installed: the kubectl checks of the Kubernetes output are skipped")
    return path


def _resource(name: str, kind: str, namespaced: bool = True) -> dict[str, object]:
    return {
        "name": name,
        "singularName": kind.lower(),
        "namespaced": namespaced,
        "kind": kind,
        "verbs": ["create", "delete", "get", "list", "patch", "update", "watch"],
    }


#: API discovery of an empty cluster for the kinds the publisher writes (what kubectl asks before a dry run).
DISCOVERY: dict[str, object] = {
    "/api": {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []},
    "/apis": {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": group,
                "versions": [{"groupVersion": f"{group}/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": f"{group}/v1", "version": "v1"},
            }
            for group in ("apps", "batch")
        ],
    },
    "/api/v1": {
        "kind": "APIResourceList",
        "groupVersion": "v1",
        "resources": [
            _resource("configmaps", "ConfigMap"),
            _resource("secrets", "Secret"),
            _resource("services", "Service"),
            _resource("persistentvolumeclaims", "PersistentVolumeClaim"),
            _resource("namespaces", "Namespace", namespaced=False),
        ],
    },
    "/apis/apps/v1": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "apps/v1",
        "resources": [_resource("deployments", "Deployment"), _resource("statefulsets", "StatefulSet")],
    },
    "/apis/batch/v1": {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": "batch/v1",
        "resources": [_resource("jobs", "Job")],
    },
}


class _Discovery(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        doc = DISCOVERY.get(self.path.split("?", 1)[0])
        code = 200 if doc is not None else 404
        if doc is None:  # no object exists in an empty cluster
            doc = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}
        body = json.dumps(doc).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def empty_cluster(tmp_path: Path) -> Iterator[dict[str, str]]:
    """An environment for kubectl whose cluster is a loopback server answering API discovery only.

    ``kubectl apply --dry-run=client`` maps each object's kind to a resource through the server's
    discovery, and looks the object up (not found: it would be created); nothing else is asked.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"clusters: [{{name: empty, cluster: {{server: 'http://127.0.0.1:{server.server_address[1]}'}}}}]\n"
        "contexts: [{name: empty, context: {cluster: empty, namespace: default}}]\n"
        "current-context: empty\nusers: [{name: nobody, user: {}}]\n",
        encoding="utf-8",
    )
    env = dict(os.environ)
    env["KUBECONFIG"] = str(kubeconfig)
    env["HOME"] = str(tmp_path)  # kubectl's discovery cache goes there
    try:
        yield env
    finally:
        server.shutdown()
        server.server_close()
