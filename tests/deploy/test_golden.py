"""Golden outputs of both deployment publishers for the demo, Redis and Postgres apps; same input, same bytes;
no secret in any file but the values file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from .helpers import APPS, assert_golden_tree, copy_app, env_values, publish, tree

PUBLISHERS = ["docker-compose", "kubernetes"]
VALUES_FILE = {"docker-compose": ".env", "kubernetes": "secrets.env"}


@pytest.mark.parametrize("publisher", PUBLISHERS)
@pytest.mark.parametrize("app", ["demo", "redis", "postgres", "stack"])
def test_golden(tmp_path: Path, app: str, publisher: str) -> None:
    app_host = copy_app(app, tmp_path)
    publish(app_host, publisher, args=["--parameter", "api-key=golden-api-key"] if app == "stack" else [])
    assert_golden_tree(f"{app}-{publisher}", app_host.parent / "out")


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_same_input_same_bytes(tmp_path: Path, publisher: str) -> None:
    """Publishing twice gives the same files, the values file included (generated secrets are kept)."""
    app_host = copy_app("stack", tmp_path)
    out = app_host.parent / "out"
    publish(app_host, publisher, args=["--parameter", "api-key=abc"])
    first = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    publish(app_host, publisher, args=["--parameter", "api-key=abc"])
    second = {p.relative_to(out): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert first == second
    # ... and the same app host elsewhere gives the same files, except the generated secrets
    other = copy_app("stack", tmp_path / "elsewhere")
    publish(other, publisher, args=["--parameter", "api-key=abc"])
    assert tree(out) == tree(other.parent / "out")


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_secrets_only_in_the_private_values_file(tmp_path: Path, publisher: str) -> None:
    app_host = copy_app("stack", tmp_path)
    proc = publish(app_host, publisher, args=["--parameter", "api-key=Sup3r-Secret-Key"])
    out = app_host.parent / "out"
    values_path = out / VALUES_FILE[publisher]
    values = env_values(values_path.read_text(encoding="utf-8"))
    assert stat.S_IMODE(values_path.stat().st_mode) == 0o600
    secrets = [values["API_KEY"], values["CACHE_PASSWORD"], values["PG_PASSWORD"]]
    assert secrets[0] == "Sup3r-Secret-Key" and all(len(s) == 22 for s in secrets[1:])
    for path in out.rglob("*"):
        if path.is_file() and path != values_path:
            text = path.read_text(encoding="utf-8")
            for secret in secrets:
                assert secret not in text, f"a secret value is in {path.relative_to(out)}"
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr
    example = env_values((out / f"{VALUES_FILE[publisher]}.example").read_text(encoding="utf-8")
                         if publisher == "kubernetes" else (out / ".env.example").read_text(encoding="utf-8"))
    assert example["API_KEY"] == "" and example["PG_PASSWORD"] == ""
    assert VALUES_FILE[publisher] in (out / ".gitignore").read_text(encoding="utf-8")


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_values_from_the_environment_and_kept_values(tmp_path: Path, publisher: str) -> None:
    app_host = copy_app("stack", tmp_path)
    out = app_host.parent / "out"
    values_file = out / VALUES_FILE[publisher]
    publish(app_host, publisher, env={"Parameters__api-key": "from-env"})
    first = env_values(values_file.read_text(encoding="utf-8"))
    assert first["API_KEY"] == "from-env"
    # a value set by hand is kept; --parameter wins over it
    values_file.write_text(values_file.read_text(encoding="utf-8").replace("API_KEY=from-env", "API_KEY=by-hand"))
    publish(app_host, publisher)
    second = env_values(values_file.read_text(encoding="utf-8"))
    assert second["API_KEY"] == "by-hand"
    assert second["PG_PASSWORD"] == first["PG_PASSWORD"]
    publish(app_host, publisher, args=["--parameter", "api-key=given"])
    assert env_values(values_file.read_text(encoding="utf-8"))["API_KEY"] == "given"


@pytest.mark.parametrize("publisher", PUBLISHERS)
def test_a_parameter_without_value_is_reported_not_printed(tmp_path: Path, publisher: str) -> None:
    app_host = copy_app("stack", tmp_path)
    proc = publish(app_host, publisher)
    assert "Parameter 'api-key' has no value: set API_KEY in" in proc.stderr
    assert "--parameter api-key=..." in proc.stderr


def test_the_golden_apps_exist() -> None:
    for script, extras in APPS.values():
        assert script.is_file()
        for extra in extras:
            assert (script.parent / extra).exists(), script.parent / extra
