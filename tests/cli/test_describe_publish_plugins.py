"""``aspyre describe``, ``aspyre publish`` and ``aspyre plugins`` in a subprocess."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .helpers import aspyre, write_app_host

MODEL = """
password = builder.add_parameter("db-password", secret=True, default=aspyre.GenerateParameterDefault())
flavour = builder.add_parameter("flavour", default="vanilla")
db = builder.add_container("db", "postgres", "15").with_environment("POSTGRES_PASSWORD", password).with_endpoint(
    target_port=5432, name="tcp", scheme="tcp"
)
api = (
    builder.add_executable("api", sys.executable, "-m", "http.server")
    .with_http_endpoint(env="PORT")
    .with_environment("FLAVOUR", flavour)
    .with_environment("DB_URL", aspyre.ReferenceExpression.format("postgres://app:{}@{}", password, db.get_endpoint("tcp")))
    .wait_for(db)
)
builder.add_executable("worker", sys.executable, "-c", "pass").with_reference(api).wait_for_completion(
    builder.add_executable("migrate", sys.executable, "-c", "pass")
)
builder.build().run()
"""


def test_describe_json_has_the_model_without_secrets(tmp_path: Path) -> None:
    write_app_host(tmp_path, MODEL)
    secrets = tmp_path / "secrets"
    result = aspyre("describe", "--json", cwd=tmp_path, env={"ASPYRE_SECRETS_DIR": str(secrets)})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    by_name = {r["name"]: r for r in data["resources"]}
    assert list(by_name) == ["db-password", "flavour", "db", "api", "worker", "migrate"]
    assert data["operation"] == "run"
    assert Path(data["app_host"]) == tmp_path / "apphost.py"

    api = by_name["api"]
    assert api["type"] == "Executable"
    env = {e["name"]: e for e in api["environment"]}
    assert env["FLAVOUR"] == {"name": "FLAVOUR", "value": "{flavour.value}", "secret": False}
    assert env["DB_URL"]["value"] == "postgres://app:{db-password.value}@{db.bindings.tcp.url}"
    assert env["DB_URL"]["secret"] is True
    assert env["PORT"]["value"] == "{api.bindings.http.targetPort}"
    assert api["waits"] == [{"resource": "db", "until": "healthy", "exit_code": None, "behavior": None}]
    assert [ep["name"] for ep in api["endpoints"]] == ["http"]

    worker = by_name["worker"]
    assert worker["references"][0]["resource"] == "api"
    assert worker["waits"] == [{"resource": "migrate", "until": "completion", "exit_code": 0, "behavior": None}]
    assert "services__api__http__0" in {e["name"] for e in worker["environment"]}

    assert by_name["db"]["image"] == "postgres:15"
    assert by_name["db-password"]["secret"] is True
    assert by_name["db-password"]["default"] == "<generated>"
    # nothing ran: no secret was generated, and no value appears anywhere
    assert not secrets.exists() or not any(secrets.iterdir())
    assert "vanilla" not in json.dumps(by_name["api"])


def test_describe_tree(tmp_path: Path) -> None:
    write_app_host(tmp_path, MODEL)
    result = aspyre("describe", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.splitlines()[0] == "apphost.py (6 resources)"
    assert "DB_URL=postgres://app:{db-password.value}@{db.bindings.tcp.url} (secret)" in out
    assert "db: healthy" in out
    assert "migrate: completed (exit code 0)" in out
    assert "\x1b[" not in out  # no colours into a pipe


def test_describe_shows_children_under_their_parent(tmp_path: Path) -> None:
    write_app_host(
        tmp_path,
        """
        parent = builder.add_executable("parent", "true")
        builder.add_executable("child", "true").with_parent_relationship(parent)
        builder.build().run()
        """,
    )
    data = json.loads(aspyre("describe", "--json", cwd=tmp_path).stdout)
    by_name = {r["name"]: r for r in data["resources"]}
    assert by_name["parent"]["children"] == ["child"]
    assert by_name["child"]["parent"] == "parent"
    tree = aspyre("describe", cwd=tmp_path).stdout.splitlines()
    assert tree[1].startswith("└── parent")
    assert tree[2].strip().startswith("└── child")


def test_publish_writes_the_manifest(tmp_path: Path) -> None:
    write_app_host(tmp_path, MODEL)
    result = aspyre("publish", "-o", "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    manifest_path = tmp_path / "out" / "aspire-manifest.json"
    assert f"to {manifest_path}" in result.stdout
    manifest = json.loads(manifest_path.read_text())
    assert set(manifest["resources"]) == {"db-password", "flavour", "db", "api", "worker", "migrate"}
    assert manifest["resources"]["db"]["env"]["POSTGRES_PASSWORD"] == "{db-password.value}"


def test_publish_is_the_same_as_python_apphost_py(tmp_path: Path) -> None:
    import subprocess

    write_app_host(tmp_path, MODEL)
    assert aspyre("publish", "--output-path", "a", cwd=tmp_path).returncode == 0
    subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "manifest", "--output-path", "b"], cwd=tmp_path, check=True
    )
    assert (tmp_path / "a" / "aspire-manifest.json").read_text() == (
        tmp_path / "b" / "aspire-manifest.json"
    ).read_text()


def test_publish_with_an_unknown_publisher_fails_with_the_installed_ones(tmp_path: Path) -> None:
    write_app_host(tmp_path, MODEL)
    result = aspyre("publish", "--publisher", "nope", "-o", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert "No publisher named 'nope'" in result.stderr
    assert "manifest (aspyre" in result.stderr
    assert not (tmp_path / "out").exists()


def _broken_distribution(site: Path) -> None:
    """A distribution (as pip would install it) whose builder method cannot be imported."""
    info = site / "aspyre_broken-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: aspyre-broken\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text("[aspyre.builder_methods]\nadd_broken = aspyre_broken:add_broken\n")
    (site / "aspyre_broken.py").write_text("raise ImportError('libbroken.so is missing')\n")


def test_plugins_lists_installed_plugins(tmp_path: Path) -> None:
    result = aspyre("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    groups = {g["group"]: {p["name"]: p for p in g["plugins"]} for g in data["groups"]}
    assert set(groups) == {"aspyre.builder_methods", "aspyre.resource_methods", "aspyre.publishers", "aspyre.hooks"}
    redis = groups["aspyre.builder_methods"]["add_redis"]
    assert redis["distribution"] == "aspyre-redis"
    assert redis["status"] == "ok"
    assert groups["aspyre.publishers"]["manifest"]["distribution"] == "aspyre"
    assert data["failed"] == []

    text = aspyre("plugins", cwd=tmp_path)
    assert text.returncode == 0
    assert "add_redis" in text.stdout
    assert "aspyre-redis" in text.stdout


def test_plugins_reports_a_plugin_that_fails_to_load(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _broken_distribution(site)
    env = {"PYTHONPATH": str(site)}
    result = aspyre("plugins", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 1
    failed = json.loads(result.stdout)["failed"]
    assert failed == [
        {
            "group": "aspyre.builder_methods",
            "name": "add_broken",
            "value": "aspyre_broken:add_broken",
            "distribution": "aspyre-broken",
            "version": "1.2.3",
            "error": "ImportError: libbroken.so is missing",
        }
    ]
    text = aspyre("plugins", cwd=tmp_path, env=env)
    assert text.returncode == 1
    assert "1 problem(s):" in text.stdout
    assert (
        "load: Plugin 'add_broken' (entry point add_broken = 'aspyre_broken:add_broken' in group "
        "'aspyre.builder_methods') from distribution aspyre-broken 1.2.3 failed to load: ImportError: libbroken.so "
        "is missing. Reinstall or upgrade aspyre-broken" in text.stdout
    )
    assert next(line for line in text.stdout.splitlines() if line.startswith("add_broken ")).split()[3] == "failed"


def test_help_shows_examples(tmp_path: Path) -> None:
    for command in ("run", "publish", "describe", "plugins"):
        result = aspyre(command, "--help", cwd=tmp_path)
        assert result.returncode == 0
        assert "examples:" in result.stdout
        assert f"aspyre {command}" in result.stdout


def test_describe_json_names_classes_by_their_public_path(tmp_path: Path) -> None:
    write_app_host(tmp_path, MODEL.replace("builder.build().run()", 'builder.add_redis("cache")\nbuilder.build().run()'))
    result = aspyre("describe", "--json", cwd=tmp_path, env={"ASPYRE_SECRETS_DIR": str(tmp_path / "s")})
    assert result.returncode == 0, result.stderr
    classes = {r["name"]: r["class"] for r in json.loads(result.stdout)["resources"]}
    assert classes["api"] == "aspyre.ExecutableResource"
    assert classes["db-password"] == "aspyre.ParameterResource"
    assert classes["db"] == "aspyre.ContainerResource"
    assert classes["cache"] == "aspyre_redis.RedisResource"  # the plugin's re-export, not aspyre_redis._resources
    assert not [c for c in classes.values() if "._" in c]
