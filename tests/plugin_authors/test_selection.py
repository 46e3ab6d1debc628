"""Switching plugins off for one run, as pytest does: ``-p no:NAME`` on ``aspyre run/publish/describe``,
``ASPYRE_DISABLE_PLUGINS``, and autoloading off (``ASPYRE_DISABLE_PLUGIN_AUTOLOAD`` / ``--disable-plugin-autoload``)
with explicit ``-p NAME`` (``ASPYRE_PLUGINS``). A publisher that fails to import is one clean message."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import aspyre

from .helpers import ASPYRE, env_with, make_dist, run
from .helpers import aspyre as aspyre_command

BROKEN_HOOKS = "import aspyre\n@aspyre.plugins.hookimpl\ndef aspyre_before_strat(event):\n    pass\n"

APP_HOST = """\
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()
builder.add_executable("job", sys.executable, "-c", "print('job done')")
builder.build().run()
"""


@pytest.fixture
def broken_site(tmp_path: Path) -> Path:
    """A hook plugin that does not fit the hooks: every builder refuses to be created while it is on."""
    return make_dist(
        tmp_path / "site",
        "broken-hooks",
        {"aspyre.hooks": {"broken": "broken_hooks"}},
        {"broken_hooks.py": BROKEN_HOOKS},
    )


def test_the_environment_variable_switches_plugins_off_by_distribution_or_entry_point(
    tmp_path: Path, broken_site: Path
) -> None:
    code = """
        import json
        import aspyre
        out = {}
        try:
            b = aspyre.DistributedApplication.create_builder([])
        except aspyre.plugins.PluginValidationError:
            print(json.dumps("refused"))
            raise SystemExit
        out["postgres"] = type(b.add_postgres("pg").resource).__name__
        try:
            b.add_redis("cache")
        except AttributeError as exc:
            out["redis"] = str(exc)
        out["disabled"] = sorted(b.disabled_plugins)
        out["hooks"] = sorted(n for n, p in b.plugin_manager.list_name_plugin() if p is not None and "broken" in n)
        out["blocked"] = b.plugin_manager.is_blocked("broken-hooks:broken")
        print(json.dumps(out))
    """
    assert run(code, broken_site, cwd=tmp_path) == "refused"
    for names in ("broken-hooks,aspyre-redis", "broken, add_redis", "broken_hooks:broken,ASPYRE_REDIS"):
        result = run(code, broken_site, cwd=tmp_path, ASPYRE_DISABLE_PLUGINS=names)
        assert result["postgres"] == "PostgresServerResource"
        assert result["redis"].startswith(
            "builder.add_redis() comes from aspyre-redis, but aspyre-redis is switched off"
        )
        assert "ASPYRE_DISABLE_PLUGINS" in result["redis"]
        assert result["hooks"] == []
        assert result["blocked"] is True
        assert len(result["disabled"]) == 2


def test_autoload_off_uses_only_the_plugins_asked_for(tmp_path: Path, broken_site: Path) -> None:
    result = run(
        """
        import json, anyio
        import aspyre
        b = aspyre.DistributedApplication.create_builder(["--publisher", "manifest", "--output-path", "out"])
        out = {"postgres": type(b.add_postgres("pg").resource).__name__}
        try:
            b.add_redis("cache")
        except AttributeError as exc:
            out["redis"] = str(exc)
        out["manifest"] = anyio.run(b.build().publish_async).name  # the core's publisher is not a plugin
        print(json.dumps(out))
        """,
        broken_site,
        cwd=tmp_path,
        ASPYRE_DISABLE_PLUGIN_AUTOLOAD="1",
        ASPYRE_PLUGINS="aspyre-postgres",
    )
    assert result["postgres"] == "PostgresServerResource"
    assert result["redis"] == (
        "builder.add_redis() comes from aspyre-redis, but plugin autoloading is off (ASPYRE_DISABLE_PLUGIN_AUTOLOAD or "
        "--disable-plugin-autoload) and aspyre-redis was not asked for: add -p aspyre-redis (or "
        "ASPYRE_PLUGINS=aspyre-redis)"
    )
    assert result["manifest"] == "aspire-manifest.json"


def test_describe_and_publish_take_p_no_name_and_autoload_off(tmp_path: Path, broken_site: Path) -> None:
    (tmp_path / "apphost.py").write_text(
        APP_HOST.replace("builder.add_executable", 'builder.add_redis("cache")\nbuilder.add_executable')
    )
    refused = aspyre_command("describe", "--json", cwd=tmp_path, paths=(broken_site,))
    assert refused.returncode == 1
    assert "does not fit aspyre's hooks" in refused.stderr and "-p no:broken-hooks" in refused.stderr

    described = aspyre_command("describe", "--json", "-p", "no:broken-hooks", cwd=tmp_path, paths=(broken_site,))
    assert described.returncode == 0, described.stderr
    assert [r["name"] for r in json.loads(described.stdout)["resources"]] == ["cache-password", "cache", "job"]

    published = aspyre_command(
        "publish", "-p", "no:broken-hooks", "-o", "out", "--disable-plugin-autoload", "-p", "aspyre-redis",
        cwd=tmp_path, paths=(broken_site,),
    )  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert set(json.loads((tmp_path / "out" / "aspire-manifest.json").read_text())["resources"]) == {
        "cache", "cache-password", "job"
    }  # fmt: skip

    without_redis = aspyre_command(
        "publish", "-o", "out2", "--disable-plugin-autoload", cwd=tmp_path, paths=(broken_site,)
    )
    assert without_redis.returncode == 1
    assert "plugin autoloading is off" in without_redis.stderr and "add -p aspyre-redis" in without_redis.stderr


def test_run_takes_p_no_name(tmp_path: Path, broken_site: Path) -> None:
    (tmp_path / "apphost.py").write_text(APP_HOST)
    proc = subprocess.Popen(
        [str(ASPYRE), "run", "-p", "no:broken-hooks"],
        cwd=tmp_path,
        env=env_with(broken_site),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        seen: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line.rstrip())
            if "job done" in line:
                break
        assert any("job done" in line for line in seen), seen
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_unknown_names(tmp_path: Path) -> None:
    (tmp_path / "apphost.py").write_text(APP_HOST)
    unknown = aspyre_command("describe", "-p", "aspyre-nope", cwd=tmp_path)
    assert unknown.returncode == 2
    assert "-p aspyre-nope: no installed plugin has that name" in unknown.stderr
    assert "aspyre-redis" in unknown.stderr  # the installed ones are listed
    warned = aspyre_command("describe", "-p", "no:aspyre-nope", cwd=tmp_path)
    assert warned.returncode == 0, warned.stderr
    assert "warning: -p no:aspyre-nope: no installed plugin has that name" in warned.stderr


BROKEN_PUBLISHER = "import a_module_that_is_not_there\n"


def test_a_publisher_that_fails_to_import_is_one_clean_message_on_both_paths(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site", "aspyre-bad-publisher", {"aspyre.publishers": {"bad": "bad_publisher:Publisher"}},
        {"bad_publisher.py": BROKEN_PUBLISHER},
    )  # fmt: skip
    (tmp_path / "apphost.py").write_text(APP_HOST)
    cli = aspyre_command("publish", "-p", "bad", "-o", "out", cwd=tmp_path, paths=(site,))
    assert cli.returncode == 1
    assert "Traceback" not in cli.stderr and 'File "' not in cli.stderr
    message = (
        "Plugin 'bad' (entry point bad = 'bad_publisher:Publisher' in group 'aspyre.publishers') from distribution "
        "aspyre-bad-publisher 1.0 failed to load: ModuleNotFoundError: No module named 'a_module_that_is_not_there'. "
        "Reinstall or upgrade aspyre-bad-publisher, or uninstall it if you do not use it."
    )
    assert cli.stderr.strip() == f"error: {message}"
    direct = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "bad", "--output-path", "out"],
        cwd=tmp_path, env=env_with(site), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert direct.returncode == 1
    assert direct.stderr.strip() == f"aspyre: {message}"


def test_both_paths_print_the_same_published_line(tmp_path: Path) -> None:
    (tmp_path / "apphost.py").write_text(APP_HOST)
    cli = aspyre_command("publish", "-o", "out", cwd=tmp_path)
    direct = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "manifest", "--output-path", "out"],
        cwd=tmp_path, env=env_with(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    expected = f"Published (manifest) to {tmp_path / 'out' / 'aspire-manifest.json'}"
    assert cli.stdout.strip() == expected
    assert direct.stdout.strip() == expected


def test_disable_plugin_on_one_builder(tmp_path: Path) -> None:
    builder = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    assert builder.disable_plugin("state-log") is True  # a registered hook plugin (examples/lifecycle_extension)
    assert builder.disable_plugin("aspyre-redis") is False  # not a hook plugin: its methods go, nothing to unregister
    assert builder.disabled_plugins == frozenset({"state-log", "aspyre-redis"})
    assert builder.plugin_manager.is_blocked("aspyre-state-log:state-log")
    assert not [n for n, p in builder.plugin_manager.list_name_plugin() if p is not None and n.endswith(":state-log")]
    with pytest.raises(AttributeError, match="aspyre-redis is switched off"):
        builder.add_redis("cache")
    other = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")
    assert type(other.add_redis("cache").resource).__name__ == "RedisResource"  # only that builder
    with pytest.raises(ValueError, match="needs a plugin name"):
        builder.disable_plugin(" ")
    assert os.environ.get("ASPYRE_DISABLE_PLUGINS") is None
