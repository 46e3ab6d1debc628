"""The Kubernetes output checked offline: every object against the Kubernetes 1.30 and 1.33 schemas
(kubernetes-validate, strict), ``kubectl kustomize`` renders the kustomization, and ``kubectl apply
--dry-run=client`` accepts the files and the kustomization."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from .helpers import copy_app, empty_cluster, publish, require_kubectl

VERSIONS = ["1.30.0", "1.33.0"]
APPS = ["demo", "redis", "postgres", "stack"]


def published(tmp_path: Path, app: str) -> Path:
    app_host = copy_app(app, tmp_path)
    publish(app_host, "kubernetes", args=["--parameter", "api-key=k"] if app == "stack" else [])
    return app_host.parent / "out"


def documents(text: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(text) if d]


def validate(doc: dict[str, Any]) -> list[str]:
    import kubernetes_validate

    errors = []
    for version in VERSIONS:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except Exception as exc:  # ValidationError, or an unknown kind/version
            name = doc.get("metadata", {}).get("name")
            errors.append(f"{version} {doc.get('kind')}/{name}: {type(exc).__name__}: {str(exc)[:500]}")
    return errors


@pytest.mark.parametrize("app", APPS)
def test_every_object_validates_against_the_schemas(tmp_path: Path, app: str) -> None:
    out = published(tmp_path, app)
    docs = [d for p in sorted((out / "resources").glob("*.yaml")) for d in documents(p.read_text(encoding="utf-8"))]
    assert any(d["kind"] == "Deployment" for d in docs)
    errors = [e for d in docs for e in validate(d)]
    assert errors == []


def test_the_validator_rejects_a_wrong_object() -> None:
    """The schema check can fail: an unknown field in a Deployment's spec."""
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicaz": 1}}
    assert validate(doc)


@pytest.mark.parametrize("app", APPS)
def test_kustomize_renders_and_the_rendered_objects_validate(tmp_path: Path, app: str) -> None:
    kubectl = require_kubectl()
    out = published(tmp_path, app)
    proc = subprocess.run([kubectl, "kustomize", str(out)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    docs = documents(proc.stdout)
    kinds = {d["kind"] for d in docs}
    assert {"Deployment", "Service", "Secret"} <= kinds
    secret = next(d for d in docs if d["kind"] == "Secret")
    assert secret["metadata"]["name"] == "aspyre-secrets"  # the name the Deployments refer to (no hash suffix)
    assert [e for d in docs for e in validate(d)] == []


@pytest.mark.parametrize("app", APPS)
def test_kubectl_apply_dry_run_accepts_the_files(tmp_path: Path, app: str) -> None:
    kubectl = require_kubectl()
    out = published(tmp_path, app)
    with empty_cluster(tmp_path) as env:
        for target in (["-f", str(out / "resources")], ["-k", str(out)]):
            proc = subprocess.run(
                [kubectl, "apply", "--dry-run=client", "--validate=false", *target],
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
                check=False,
            )
            assert proc.returncode == 0, proc.stderr
            assert "deployment.apps/" in proc.stdout and "(dry run)" in proc.stdout
        assert "secret/aspyre-secrets created (dry run)" in proc.stdout


def test_kubectl_apply_dry_run_rejects_an_unknown_kind(tmp_path: Path) -> None:
    """The kubectl check can fail: a kind the cluster does not serve."""
    kubectl = require_kubectl()
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: apps/v1\nkind: Deploymnt\nmetadata:\n  name: x\n", encoding="utf-8")
    with empty_cluster(tmp_path) as env:
        proc = subprocess.run(
            [kubectl, "apply", "--dry-run=client", "--validate=false", "-f", str(bad)],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
    assert proc.returncode != 0
    assert "Deploymnt" in proc.stderr
