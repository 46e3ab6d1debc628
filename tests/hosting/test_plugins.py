"""Extension methods from entry points, the plugin registry, and pluggy hooks.

Tests that install throwaway distributions run a fresh interpreter with those distributions on
``PYTHONPATH``, so the process-wide registry of this test process is never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import aspyre
import aspyre_postgres
import aspyre_redis
from aspyre._plugins import GROUP_BUILDER_METHODS, GROUP_RESOURCE_METHODS

PYTHON = sys.executable


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


def make_dist(
    root: Path,
    name: str,
    entry_points: dict[str, dict[str, str]],
    modules: dict[str, str] | None = None,
    version: str = "1.0",
) -> None:
    """Install a distribution by hand: ``<name>-<version>.dist-info`` with METADATA and entry_points.txt."""
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines: list[str] = []
    for group, eps in entry_points.items():
        lines.append(f"[{group}]")
        lines.extend(f"{k} = {v}" for k, v in eps.items())
        lines.append("")
    (info / "entry_points.txt").write_text("\n".join(lines))
    for filename, source in (modules or {}).items():
        (root / filename).write_text(textwrap.dedent(source))


def run(code: str, *paths: Path, cwd: Path | None = None, extra_env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter with ``paths`` on PYTHONPATH; it prints one JSON document."""
    env = {**os.environ, **(extra_env or {})}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in paths)
    env["PYTHONWARNINGS"] = "default"
    proc = subprocess.run(
        [PYTHON, "-c", textwrap.dedent(code)], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- in this process


def test_builder_extension_method(builder: aspyre.DistributedApplicationBuilder) -> None:
    cache = builder.add_redis("cache")
    assert isinstance(cache, aspyre.ResourceBuilder)
    assert isinstance(cache.resource, aspyre_redis.RedisResource)
    assert builder.resources[-1] is cache.resource
    # The same function, imported directly (for static typing).
    direct = aspyre_redis.add_redis(builder, "cache2")
    assert type(direct.resource) is type(cache.resource)


def test_resource_builder_extension_method(builder: aspyre.DistributedApplicationBuilder) -> None:
    pg = builder.add_postgres("pg")
    db = pg.add_database("appdb")
    assert isinstance(db.resource, aspyre_postgres.PostgresDatabaseResource)
    assert db.resource.parent is pg.resource
    direct = aspyre_postgres.add_database(pg, "other")
    assert direct.resource.parent is pg.resource
    # add_database declares what it applies to; elsewhere it is missing, with the reason.
    container = builder.add_container("c", "redis")
    with pytest.raises(AttributeError) as info:
        container.add_database("x")
    assert str(info.value) == (
        "add_database() (from aspyre-postgres) applies to PostgresServerResource; resource 'c' is a ContainerResource."
    )
    assert not hasattr(container, "add_database")


def test_missing_builder_method_lists_close_matches(builder: aspyre.DistributedApplicationBuilder) -> None:
    with pytest.raises(AttributeError) as info:
        builder.add_rediss("x")
    assert str(info.value) == "DistributedApplicationBuilder has no method 'add_rediss'; did you mean add_redis()?"
    with pytest.raises(AttributeError, match=r"did you mean add_container\(\)"):
        builder.add_containr("x", "y")
    with pytest.raises(AttributeError, match=r"^DistributedApplicationBuilder has no method 'zzz'$"):
        builder.zzz()
    with pytest.raises(AttributeError):
        builder._private  # noqa: B018


def test_missing_resource_method_lists_close_matches(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python")
    with pytest.raises(AttributeError) as info:
        api.with_enviroment("A", "1")
    assert "ResourceBuilder for 'api' (ExecutableResource) has no method 'with_enviroment'" in str(info.value)
    assert "did you mean with_environment()" in str(info.value)


def test_known_integration_that_is_not_installed() -> None:
    empty = aspyre.plugins.PluginRegistry(entries=[])
    assert empty.suggestions("add_redis", GROUP_BUILDER_METHODS, []) == (
        "add_redis() comes from the aspyre-redis distribution: pip install aspyre-redis"
    )
    hint = empty.suggestions("with_pgadmin", GROUP_RESOURCE_METHODS, [])
    assert hint.startswith("with_pgadmin() comes from the aspyre-postgres distribution: pip install aspyre-postgres")
    assert empty.scan_count == 0  # given entries: nothing scanned


def test_registry_entries_are_aspyre_groups_only() -> None:
    reg = aspyre.plugins.registry()
    entries = reg.entries()
    assert {e.group for e in entries} <= {
        "aspyre.builder_methods",
        "aspyre.resource_methods",
        "aspyre.hooks",
        "aspyre.publishers",
    }
    names = reg.names(GROUP_BUILDER_METHODS)
    assert {"add_redis", "add_postgres", "add_talking_clock"} <= set(names)
    (redis_entry,) = reg.find(GROUP_BUILDER_METHODS, "add_redis")
    assert (redis_entry.distribution, redis_entry.value) == ("aspyre-redis", "aspyre_redis:add_redis")


def test_resource_extension_decorator() -> None:
    with pytest.raises(TypeError, match="needs one or more resource types"):
        aspyre.plugins.resource_extension()
    for bad in ("ContainerResource", "module:", ":Name", "a module:Name", 3):
        with pytest.raises(TypeError, match="needs one or more resource types"):
            aspyre.plugins.resource_extension(bad)  # type: ignore[arg-type]


LAZY_MODULE = """
import attrs
import aspyre


@attrs.define(eq=False, repr=False)
class Dial(aspyre.ContainerResource):
    pass
"""


def test_a_resource_type_named_by_a_string_is_resolved_once_its_module_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aspyre_plugins: aspyre.testing.PluginTester
) -> None:
    module = f"lazy_dial_{os.getpid()}_{time.monotonic_ns()}"
    (tmp_path / f"{module}.py").write_text(LAZY_MODULE, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))

    @aspyre.plugins.resource_extension(aspyre.ParameterResource, f"{module}.Sub:Nope", f"{module}:Dial")
    def with_volume_knob(builder: aspyre.ResourceBuilder[Any], level: int) -> aspyre.ResourceBuilder[Any]:
        builder.resource.annotations.add(aspyre.annotations.EnvironmentAnnotation("LEVEL", str(level)))
        return builder

    aspyre_plugins.register("aspyre-knob", resource_methods={"with_volume_knob": with_volume_knob})
    builder = aspyre_plugins.create_builder()
    builder.add_parameter("p", "1").with_volume_knob(1)
    with pytest.raises(AttributeError) as raised:
        builder.add_container("c", "nginx").with_volume_knob(2)
    assert str(raised.value) == (
        "with_volume_knob() (from aspyre-knob) applies to Dial, Nope, ParameterResource; resource 'c' is a "
        "ContainerResource."
    )
    # Neither the lookup nor the error imported the module: no Dial can exist before it is imported.
    assert module not in sys.modules
    import importlib

    dial = importlib.import_module(module).Dial
    knob = builder.add_resource(dial("d")).with_volume_knob(3)
    assert knob.resource.annotations.last(aspyre.annotations.EnvironmentAnnotation).value == "3"
    # A name that cannot be imported is a problem for `aspyre plugins --check` (the lookup above never needed it).
    (problem,) = aspyre_plugins.check()
    assert problem.kind == "declaration"
    assert f"'{module}.Sub:Nope', which cannot be imported" in problem.message


def test_one_plugin_manager_per_builder(tmp_path: Path) -> None:
    a = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "a.py")
    b = aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "b.py")
    assert a.plugin_manager is not b.plugin_manager
    assert a.plugin_manager.project_name == "aspyre"
    assert a.eventing.plugin_manager is a.plugin_manager
    assert hasattr(a.plugin_manager.hook, "aspyre_configure_builder")
    for name in dir(aspyre.plugins.HookSpecs):
        if name.startswith("aspyre_"):
            assert getattr(aspyre.plugins.HookSpecs, name).__doc__, f"hookspec {name} has no docstring"


# --------------------------------------------------------------------------- fresh interpreters


SCANNED_ONCE = """
        import json, os, sys
        listed = []
        real = os.listdir
        def counting(path="."):
            listed.append(path)
            return real(path)
        os.listdir = counting

        import aspyre
        reg = aspyre.plugins.registry()
        b1 = aspyre.DistributedApplication.create_builder([])
        loaded_after_builder = sorted(m for m in ("aspyre_redis", "aspyre_postgres") if m in sys.modules)
        b1.add_redis("cache")
        after_redis = sorted(m for m in ("aspyre_redis", "aspyre_postgres") if m in sys.modules)
        pg = b1.add_postgres("pg")
        pg.add_database("db")
        b2 = aspyre.DistributedApplication.create_builder([])
        b2.add_redis("cache")
        try:
            b2.add_nothing
        except AttributeError:
            pass
        print(json.dumps({
            "site_listings": sum(1 for p in listed if "site-packages" in str(p)),
            "scan_count": reg.scan_count,
            "loaded_after_builder": loaded_after_builder,
            "after_redis": after_redis,
            "metadata_imported": "importlib.metadata" in sys.modules,
        }))
        """


def test_entry_points_are_scanned_once_and_loaded_lazily(tmp_path: Path) -> None:
    result = run(SCANNED_ONCE, cwd=tmp_path, extra_env={"ASPYRE_PLUGIN_CACHE": "0"})
    assert result == {
        "site_listings": 1,  # the installed distributions were listed once, for both builders
        "scan_count": 1,
        "loaded_after_builder": [],
        "after_redis": ["aspyre_redis"],
        "metadata_imported": False,  # read without importlib.metadata (and its email parser)
    }


def test_a_later_process_reads_the_scan_from_the_cache(tmp_path: Path) -> None:
    """The installed distributions are not listed at all once a process kept the scan (docs/plugin-api.md)."""
    env = {"ASPYRE_PLUGIN_CACHE": "1", "XDG_CACHE_HOME": str(tmp_path / "cache")}
    # A directory changed in the last two seconds is not trusted (read every time): wait for site-packages to
    # settle if an install just touched it.
    site = [Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir()]
    newest = max(p.stat().st_mtime for d in site for p in [d, *d.glob("*.dist-info")])
    time.sleep(max(0.0, newest + 2.1 - time.time()))
    first = run(SCANNED_ONCE, cwd=tmp_path, extra_env=env)
    assert list((tmp_path / "cache" / "aspyre").glob("entry-points-*.bin"))
    second = run(SCANNED_ONCE, cwd=tmp_path, extra_env=env)
    assert first["site_listings"] >= 1
    assert second == {**first, "site_listings": 0}


def test_known_integration_hint_when_it_is_not_installed(tmp_path: Path) -> None:
    result = run(
        """
        import json
        import aspyre
        reg = aspyre.plugins.registry()
        for entry in reg.entries():  # as if aspyre-redis were not installed
            if entry.distribution == "aspyre-redis":
                reg.remove(entry)
        b = aspyre.DistributedApplication.create_builder([])
        try:
            b.add_redis("cache")
        except AttributeError as exc:
            print(json.dumps(str(exc)))
        """,
        cwd=tmp_path,
    )
    assert result == (
        "DistributedApplicationBuilder has no method 'add_redis'; add_redis() comes from the aspyre-redis "
        "distribution: pip install aspyre-redis"
    )


@pytest.fixture(scope="module")
def broken_install(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``pip install`` a throwaway project whose entry points are broken, into a target directory."""
    root = tmp_path_factory.mktemp("broken")
    project = root / "project"
    (project / "src" / "broken_plugin").mkdir(parents=True)
    (project / "pyproject.toml").write_text(
        textwrap.dedent(
            """
            [build-system]
            requires = ["hatchling>=1.18"]
            build-backend = "hatchling.build"

            [project]
            name = "broken-plugin"
            version = "0.3.1"

            [project.entry-points."aspyre.builder_methods"]
            add_broken = "broken_plugin:add_broken"
            add_typo = "aspyre_redis:add_rediss"

            [project.entry-points."aspyre.resource_methods"]
            with_broken = "broken_plugin:with_broken"

            [project.entry-points."aspyre.hooks"]
            broken-hooks = "broken_plugin_hooks"

            [tool.hatch.build.targets.wheel]
            packages = ["src/broken_plugin", "src/broken_plugin_hooks"]
            """
        )
    )
    (project / "src" / "broken_plugin" / "__init__.py").write_text("import a_module_that_does_not_exist\n")
    (project / "src" / "broken_plugin_hooks").mkdir()
    (project / "src" / "broken_plugin_hooks" / "__init__.py").write_text("raise RuntimeError('hooks exploded')\n")
    target = root / "site"
    subprocess.run(
        [
            *(PYTHON, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"),
            *("--target", str(target), str(project)),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    assert (target / "broken_plugin-0.3.1.dist-info" / "entry_points.txt").exists()
    return target


def test_a_broken_plugin_does_not_break_the_others(broken_install: Path, tmp_path: Path) -> None:
    result = run(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import aspyre
            b = aspyre.DistributedApplication.create_builder([])
        out = {"warnings": [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]}
        out["hook_errors"] = [type(e.error).__name__ for e in b.plugin_load_errors]
        cache = b.add_redis("cache")                       # other plugins still work
        out["redis"] = type(cache.resource).__name__
        out["database"] = type(b.add_postgres("pg").add_database("db").resource).__name__
        # Asking whether a broken method is there answers "no", as for any missing attribute...
        out["hasattr"] = [hasattr(b, "add_broken"), hasattr(b, "add_typo"), hasattr(cache, "with_broken")]
        out["getattr_default"] = [getattr(b, "add_broken", "default"), getattr(cache, "with_broken", "default")]
        # ...and calling it says which plugin is broken, with the PluginLoadError as the cause.
        for name in ("add_broken", "add_typo"):
            try:
                getattr(b, name)()
            except AttributeError as exc:
                cause = exc.__cause__
                assert isinstance(cause, aspyre.plugins.PluginLoadError), repr(cause)
                out[name] = {"message": str(exc), "same_as_cause": str(exc) == str(cause),
                             "is_import_error": isinstance(cause, ImportError),
                             "dist": cause.entry.distribution, "cause": type(cause.error).__name__}
        try:
            cache.with_broken()
        except AttributeError as exc:
            out["with_broken"] = str(exc)
            out["with_broken_cause"] = type(exc.__cause__).__name__
        out["failures"] = sorted(e.name for e in aspyre.plugins.registry().failures)
        print(json.dumps(out))
        """,
        broken_install,
        cwd=tmp_path,
    )
    assert result["redis"] == "RedisResource"
    assert result["database"] == "PostgresDatabaseResource"
    # The hook plugin that fails to import is reported, not fatal.
    assert result["hook_errors"] == ["RuntimeError"]
    (warning,) = [w for w in result["warnings"] if "broken" in w]
    assert "Plugin 'broken-hooks' (entry point broken-hooks = 'broken_plugin_hooks' in group 'aspyre.hooks')" in warning
    assert "broken-plugin 0.3.1 failed to load: RuntimeError: hooks exploded" in warning
    # Using a broken name gives the clear error: distribution, entry point, cause, what to do.
    broken = result["add_broken"]
    assert broken["message"] == (
        "Plugin 'add_broken' (entry point add_broken = 'broken_plugin:add_broken' in group 'aspyre.builder_methods') "
        "from distribution broken-plugin 0.3.1 failed to load: ModuleNotFoundError: No module named "
        "'a_module_that_does_not_exist'. Reinstall or upgrade broken-plugin, or uninstall it if you do not use it."
    )
    assert broken["is_import_error"] is True
    assert broken["same_as_cause"] is True
    assert broken["dist"] == "broken-plugin"
    assert result["add_typo"]["cause"] == "AttributeError"
    assert "entry point add_typo = 'aspyre_redis:add_rediss'" in result["add_typo"]["message"]
    assert (
        "entry point with_broken = 'broken_plugin:with_broken' in group 'aspyre.resource_methods'"
        in result["with_broken"]
    )
    assert result["with_broken_cause"] == "PluginLoadError"
    assert result["hasattr"] == [False, False, False]
    assert result["getattr_default"] == ["default", "default"]
    assert {"add_broken", "add_typo", "broken-hooks", "with_broken"} <= set(result["failures"])


HOOKS_MODULE = """
import aspyre

@aspyre.plugins.hookimpl
def aspyre_configure_builder(builder):
    builder.add_parameter("from-hook", "configured")
"""


def test_configure_builder_hook_runs_for_each_builder(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "good-hooks", {"aspyre.hooks": {"good": "good_hooks"}}, {"good_hooks.py": HOOKS_MODULE})
    result = run(
        """
        import json, warnings
        import aspyre
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b1 = aspyre.DistributedApplication.create_builder([])
            b2 = aspyre.DistributedApplication.create_builder([])
        print(json.dumps({
            "resources": [[r.name for r in b.resources] for b in (b1, b2)],
            "value": b1.resources[0].value,
            "plugins": sorted(n for n, _ in b1.plugin_manager.list_name_plugin()),
            "separate": b1.plugin_manager is not b2.plugin_manager,
            "warnings": [str(w.message) for w in caught],
        }))
        """,
        site,
        cwd=tmp_path,
    )
    assert result["resources"] == [["from-hook"], ["from-hook"]]
    assert result["value"] == "configured"
    assert "good-hooks:good" in result["plugins"]
    assert result["separate"] is True
    assert result["warnings"] == []


def test_a_failing_configure_hook_names_the_plugin(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    make_dist(
        site,
        "angry-hooks",
        {"aspyre.hooks": {"angry": "angry_hooks"}},
        {
            "angry_hooks.py": "import aspyre\n@aspyre.plugins.hookimpl\ndef aspyre_configure_builder(builder):\n    raise KeyError('x')\n"
        },
    )
    result = run(
        """
        import json
        import aspyre
        try:
            aspyre.DistributedApplication.create_builder([])
        except aspyre.plugins.PluginHookError as exc:
            print(json.dumps([str(exc), type(exc.__cause__).__name__]))
        """,
        site,
        cwd=tmp_path,
    )
    assert result == [
        "The aspyre_configure_builder hook of plugin 'angry-hooks:angry' failed: KeyError: 'x'. Fix or uninstall "
        "that plugin.",
        "KeyError",
    ]


def test_resource_methods_dispatch_on_the_resource_type(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    make_dist(
        site,
        "generic-scratch",
        {"aspyre.resource_methods": {"with_scratch_space": "generic_scratch:with_scratch_space"}},
        {
            "generic_scratch.py": """
                import aspyre
                @aspyre.plugins.resource_extension(aspyre.ContainerResource)
                def with_scratch_space(builder):
                    return "generic"
            """
        },
    )
    make_dist(
        site,
        "redis-scratch",
        {
            "aspyre.resource_methods": {
                "with_scratch_space": "redis_scratch:with_scratch_space",
                "undeclared": "redis_scratch:undeclared",
            }
        },
        {
            "redis_scratch.py": """
                import aspyre, aspyre_redis
                @aspyre.plugins.resource_extension(aspyre_redis.RedisResource)
                def with_scratch_space(builder):
                    return "redis"
                def undeclared(builder):
                    return None
            """
        },
    )
    make_dist(
        site,
        "broken-scratch",
        {"aspyre.resource_methods": {"with_scratch_space": "no_such_module:with_scratch_space"}},
    )
    result = run(
        """
        import json
        import aspyre
        b = aspyre.DistributedApplication.create_builder([])
        out = [b.add_redis("cache").with_scratch_space(), b.add_container("c", "nginx").with_scratch_space()]
        try:
            b.add_executable("e", "python").with_scratch_space()
        except AttributeError as exc:  # the broken one might have applied: it is named
            assert isinstance(exc.__cause__, aspyre.plugins.PluginLoadError)
            out.append(str(exc))
        try:
            b.add_container("d", "x").undeclared()
        except TypeError as exc:
            out.append(str(exc))
        print(json.dumps(out))
        """,
        site,
        cwd=tmp_path,
    )
    assert result[:2] == ["redis", "generic"]  # the most specific declaration wins
    assert result[2].startswith(
        "Plugin 'with_scratch_space' (entry point with_scratch_space = 'no_such_module:with_scratch_space' in group "
        "'aspyre.resource_methods') from distribution broken-scratch 1.0 failed to load: ModuleNotFoundError"
    )
    assert "Extension method 'undeclared' from redis-scratch" in result[3]
    assert "@aspyre.plugins.resource_extension" in result[3]


def test_a_plugin_exiting_or_interrupting_at_import_is_reported_not_fatal(tmp_path: Path) -> None:
    """SystemExit / KeyboardInterrupt raised by a plugin's import are that plugin's failure (issue 12.11)."""
    make_dist(
        tmp_path,
        "exit-plugin",
        {"aspyre.hooks": {"exits": "exit_hooks"}, "aspyre.builder_methods": {"add_interrupting": "interrupting:add"}},
        {"exit_hooks.py": "raise SystemExit(3)\n", "interrupting.py": "raise KeyboardInterrupt\n"},
    )
    result = run(
        """
        import json, warnings
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            import aspyre
            b = aspyre.DistributedApplication.create_builder([])
        out = {"warnings": [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]}
        try:
            b.add_interrupting()
        except AttributeError as exc:  # a broken method is missing; the cause says why
            assert isinstance(exc.__cause__, aspyre.plugins.PluginLoadError)
            out["interrupting"] = str(exc)
        out["still_works"] = b.add_parameter("p", "v").name
        print(json.dumps(out))
        """,
        tmp_path,
        cwd=tmp_path,
    )
    (warning,) = [w for w in result["warnings"] if "exit-plugin" in w]
    assert "entry point exits = 'exit_hooks'" in warning and "SystemExit: 3" in warning
    assert "entry point add_interrupting = 'interrupting:add'" in result["interrupting"]
    assert "KeyboardInterrupt" in result["interrupting"]
    assert result["still_works"] == "p"

    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run(
        [str(Path(PYTHON).with_name("aspyre")), "plugins"], env=env, cwd=tmp_path, capture_output=True, text=True,
        timeout=120,
    )
    assert "exit-plugin" in proc.stdout + proc.stderr
    assert "SystemExit" in proc.stdout + proc.stderr
