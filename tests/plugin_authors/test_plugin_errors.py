"""Plugin errors are loud and precise: hook plugins that do not fit the hooks fail builder creation with a "did you
mean"; two distributions (or a plugin and aspyre itself) claiming one name raise when the name is used; a plugin
made for another aspyre is refused before it is imported. ``aspyre plugins`` (``--check``) reports all of it."""

from __future__ import annotations

import json
from pathlib import Path

from .helpers import aspyre, make_dist, run

TYPO_HOOKS = """
import aspyre

@aspyre.plugins.hookimpl
def aspyre_configure_buildr(builder):
    pass

@aspyre.plugins.hookimpl
def aspyre_before_start(evnt):
    pass

def aspyre_resource_ready(event):  # named like a hook, never marked: never called
    pass

@aspyre.plugins.hookimpl(specname="aspyre_after_publish")
def renamed(event, extra):
    pass
"""

GOOD_HOOKS = """
import aspyre

@aspyre.plugins.hookimpl
def aspyre_configure_builder(builder):
    builder.add_parameter("from-good-hooks", "yes")

@aspyre.plugins.hookimpl(optionalhook=True)
def aspyre_some_future_hook(event):
    pass
"""


def test_a_hook_plugin_that_does_not_fit_the_hooks_fails_builder_creation_naming_everything(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site", "typo-hooks", {"aspyre.hooks": {"typo": "typo_hooks"}}, {"typo_hooks.py": TYPO_HOOKS}
    )
    later = make_dist(
        tmp_path / "later",
        "other-typo",
        {"aspyre.hooks": {"other": "other_typo"}},
        {"other_typo.py": TYPO_HOOKS},
        "2.0",
    )
    result = run(
        """
        import json
        import aspyre
        try:
            aspyre.DistributedApplication.create_builder([])
        except aspyre.plugins.PluginValidationError as exc:
            print(json.dumps({"message": str(exc), "problems": exc.problems, "dist": exc.entry.distribution,
                              "is_load_error": isinstance(exc, aspyre.plugins.PluginLoadError)}))
        """,
        site,
        later,
        cwd=tmp_path,
    )
    lines = result["message"].splitlines()
    assert lines[0] == (
        "Plugin 'typo' (entry point typo = 'typo_hooks' in group 'aspyre.hooks') from distribution typo-hooks 1.0 "
        "does not fit aspyre's hooks:"
    )
    assert result["problems"] == [
        "typo_hooks.aspyre_before_start(): argument 'evnt' is not one the hook aspyre_before_start passes (it passes: "
        "event); did you mean 'event'?",
        "typo_hooks.aspyre_configure_buildr(): there is no hook named 'aspyre_configure_buildr'; did you mean "
        "'aspyre_configure_builder'?",
        "typo_hooks.aspyre_resource_ready() is named like the hook aspyre_resource_ready but is not marked with "
        "@aspyre.plugins.hookimpl, so it is never called",
        "typo_hooks.renamed(): argument 'extra' is not one the hook aspyre_after_publish passes (it passes: event)",
    ]
    assert "switch it off for one run with -p no:typo-hooks (or ASPYRE_DISABLE_PLUGINS=typo-hooks)" in lines[-2]
    assert lines[-1] == "Other invalid hook plugins: other-typo:other ('aspyre plugins --check' lists everything)."
    assert result["is_load_error"] is True


def test_aspyre_plugins_reports_invalid_hook_plugins_and_check_exits_1(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site", "typo-hooks", {"aspyre.hooks": {"typo": "typo_hooks"}}, {"typo_hooks.py": TYPO_HOOKS}
    )
    listing = aspyre("plugins", cwd=tmp_path, paths=(site,))
    assert listing.returncode == 1
    row = next(line for line in listing.stdout.splitlines() if line.startswith("typo "))
    assert row.split()[3] == "invalid"
    assert "hooks: Plugin 'typo'" in listing.stdout
    assert "did you mean 'aspyre_configure_builder'?" in listing.stdout

    check = aspyre("plugins", "--check", cwd=tmp_path, paths=(site,))
    assert check.returncode == 1
    assert "Builder methods" not in check.stdout  # problems only
    assert "1 problem(s):" in check.stdout
    data = json.loads(aspyre("plugins", "--check", "--json", cwd=tmp_path, paths=(site,)).stdout)
    assert [(p["kind"], p["distributions"]) for p in data["problems"]] == [("hooks", ["typo-hooks"])]

    off = aspyre("plugins", "--check", "-p", "no:typo-hooks", cwd=tmp_path, paths=(site,))
    assert off.returncode == 0, off.stdout + off.stderr
    assert "no problems" in off.stdout


def test_a_good_hook_plugin_passes_the_check_and_a_failing_configure_hook_does_not(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site", "good-hooks", {"aspyre.hooks": {"good": "good_hooks"}}, {"good_hooks.py": GOOD_HOOKS}
    )
    ok = aspyre("plugins", "--check", cwd=tmp_path, paths=(site,))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith("aspyre 0.1.0: ") and "no problems" in ok.stdout

    make_dist(
        site,
        "angry-hooks",
        {"aspyre.hooks": {"angry": "angry_hooks"}},
        {
            "angry_hooks.py": "import aspyre\n@aspyre.plugins.hookimpl\ndef aspyre_configure_builder(builder):\n    raise KeyError('x')\n"
        },
    )
    assert aspyre("plugins", cwd=tmp_path, paths=(site,)).returncode == 0  # listing does not create a builder
    check = aspyre("plugins", "--check", "--json", cwd=tmp_path, paths=(site,))
    assert check.returncode == 1
    (problem,) = json.loads(check.stdout)["problems"]
    assert problem["kind"] == "configure"
    assert "The aspyre_configure_builder hook of plugin 'angry-hooks:angry' failed: KeyError: 'x'" in problem["message"]


SCRATCH = """
import aspyre, aspyre_redis

@aspyre.plugins.resource_extension(aspyre_redis.RedisResource)
def with_scratch(builder):
    return "{dist}"

def add_cache(builder, name):
    return "{dist}"

class Publisher:
    async def publish(self, context):
        return None
"""


def test_two_distributions_with_the_same_names_raise_when_used_naming_both(tmp_path: Path) -> None:
    site = tmp_path / "site"
    for dist, module in (("cache-a", "cache_a"), ("cache-b", "cache_b")):
        make_dist(
            site,
            dist,
            {
                "aspyre.builder_methods": {"add_cache": f"{module}:add_cache"},
                "aspyre.resource_methods": {"with_scratch": f"{module}:with_scratch"},
                "aspyre.publishers": {"pub": f"{module}:Publisher"},
            },
            {f"{module}.py": SCRATCH.replace("{dist}", dist)},
        )
    result = run(
        """
        import json
        import aspyre
        b = aspyre.DistributedApplication.create_builder([])
        out = {"hasattr": hasattr(b, "add_cache")}
        try:
            b.add_cache("x")
        except aspyre.plugins.PluginConflictError as exc:
            out["builder"] = str(exc)
            out["entries"] = sorted(e.distribution for e in exc.entries)
        try:
            b.add_redis("r").with_scratch()
        except AttributeError as exc:
            out["resource"] = [type(exc).__name__, str(exc)]
        b2 = aspyre.DistributedApplication.create_builder([])
        b2.disable_plugin("cache-b")
        out["after_disable"] = [b2.add_cache("x"), b2.add_redis("r").with_scratch()]
        print(json.dumps(out))
        """,
        site,
        cwd=tmp_path,
    )
    assert result["hasattr"] is False
    assert result["builder"].startswith(
        "builder.add_cache() is provided by 2 distributions, and aspyre will not guess which one you mean: cache-a "
        "1.0 (entry point add_cache = 'cache_a:add_cache' in group 'aspyre.builder_methods'); cache-b 1.0 (entry "
        "point add_cache = 'cache_b:add_cache' in group 'aspyre.builder_methods'). Uninstall all but one"
    )
    assert result["entries"] == ["cache-a", "cache-b"]
    kind, message = result["resource"]
    assert kind == "PluginConflictError"
    assert message.startswith("with_scratch() for a RedisResource is provided by 2 distributions")
    assert result["after_disable"] == ["cache-a", "cache-a"]

    data = json.loads(aspyre("plugins", "--json", cwd=tmp_path, paths=(site,)).stdout)
    conflicts = sorted(p["message"].split(" is provided")[0] for p in data["problems"] if p["kind"] == "conflict")
    assert conflicts == ["builder.add_cache()", "the publisher 'pub'", "with_scratch() for RedisResource"]
    assert all(p["distributions"] == ["cache-a", "cache-b"] for p in data["problems"])
    off = json.loads(aspyre("plugins", "--json", "-p", "no:cache-b", cwd=tmp_path, paths=(site,)).stdout)
    assert off["problems"] == []
    statuses = {(p["name"], p["distribution"]): p["status"] for g in off["groups"] for p in g["plugins"]}
    assert statuses[("add_cache", "cache-b")] == "off"
    assert statuses[("add_cache", "cache-a")] == "ok"


SHADOW = """
import aspyre

def add_container(builder, name, image):
    return "plugin"

@aspyre.plugins.resource_extension(aspyre.ContainerResource)
def with_environment(builder, name, value):
    return "plugin"
"""


def test_a_plugin_method_named_like_one_of_aspyres_raises_when_that_name_is_used(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site",
        "aspyre-shadow",
        {
            "aspyre.builder_methods": {"add_container": "shadow:add_container"},
            "aspyre.resource_methods": {"with_environment": "shadow:with_environment"},
        },
        {"shadow.py": SHADOW},
        version="0.4",
    )
    result = run(
        """
        import json
        import aspyre
        b = aspyre.DistributedApplication.create_builder([])
        out = {"parameter": b.add_parameter("p", "v").name}  # other names are fine
        try:
            b.add_container("c", "redis")
        except aspyre.plugins.PluginConflictError as exc:
            out["builder"] = str(exc)
        rb = b.add_executable("e", "true")
        out["type"] = type(rb).__name__
        out["isinstance"] = isinstance(rb, aspyre.ResourceBuilder)
        try:
            rb.with_environment("A", "1")
        except aspyre.plugins.PluginConflictError as exc:
            out["resource"] = str(exc)
        off = aspyre.DistributedApplication.create_builder([])
        off.disable_plugin("aspyre-shadow")
        out["after_disable"] = [
            type(off.add_container("c", "redis").resource).__name__,
            off.add_executable("e", "true").with_environment("A", "1").resource.name,
        ]
        print(json.dumps(out))
        """,
        site,
        cwd=tmp_path,
    )
    assert result["parameter"] == "p"
    assert result["builder"].startswith(
        "builder.add_container() is a method of aspyre itself, and a plugin provides a method of the same name, which "
        "could never be called: aspyre-shadow 0.4 (entry point add_container = 'shadow:add_container' in group "
        "'aspyre.builder_methods')."
    )
    assert "-p no:aspyre-shadow (or ASPYRE_DISABLE_PLUGINS=aspyre-shadow)" in result["builder"]
    assert (result["type"], result["isinstance"]) == ("ResourceBuilder", True)
    assert result["resource"].startswith("resource_builder.with_environment() is a method of aspyre itself")
    assert result["after_disable"] == ["ContainerResource", "e"]

    data = json.loads(aspyre("plugins", "--json", cwd=tmp_path, paths=(site,)).stdout)
    assert sorted(p["entry_points"][0] for p in data["problems"]) == [
        "aspyre.builder_methods:add_container",
        "aspyre.resource_methods:with_environment",
    ]


NEVER_IMPORT = """
import pathlib
pathlib.Path("imported").write_text("yes")

def add_future(builder, name):
    return name
"""


def test_a_plugin_made_for_another_aspyre_is_refused_before_it_is_imported(tmp_path: Path) -> None:
    site = make_dist(
        tmp_path / "site",
        "aspyre-future",
        {"aspyre.builder_methods": {"add_future": "future_plugin:add_future"}, "aspyre.hooks": {"f": "future_plugin"}},
        {"future_plugin.py": NEVER_IMPORT},
        version="3.0",
        requires=["aspyre>=9.0,<10", "redis>=5"],
    )
    make_dist(
        site,
        "aspyre-fits",
        {"aspyre.builder_methods": {"add_fits": "fits_plugin:add_fits"}},
        {"fits_plugin.py": "def add_fits(builder, name):\n    return name\n"},
        requires=["aspyre[redis] (>=0.1,<0.3)", 'aspyre>=99; extra == "never"'],
    )
    result = run(
        """
        import json, warnings
        import aspyre
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            b = aspyre.DistributedApplication.create_builder([])
        out = {"warnings": [str(w.message) for w in caught]}
        try:
            b.add_future("x")
        except AttributeError as exc:
            out["message"] = str(exc)
        out["fits"] = b.add_fits("ok")
        print(json.dumps(out))
        """,
        site,
        cwd=tmp_path,
    )
    assert not (tmp_path / "imported").exists()
    assert result["message"] == (
        "Plugin 'add_future' (entry point add_future = 'future_plugin:add_future' in group 'aspyre.builder_methods') "
        "from distribution aspyre-future 3.0 was not loaded: it requires aspyre>=9.0,<10, and this is aspyre 0.1.0 "
        "(plugin API 0.1). Install a version of aspyre-future made for aspyre 0.1 (or an aspyre it supports), or "
        "uninstall it if you do not use it."
    )
    (warning,) = [w for w in result["warnings"] if "aspyre-future" in w]
    assert "entry point f = 'future_plugin' in group 'aspyre.hooks'" in warning
    assert result["fits"] == "ok"
    listing = json.loads(aspyre("plugins", "--json", cwd=tmp_path, paths=(site,)).stdout)
    assert {p["name"] for p in listing["failed"]} == {"add_future", "f"}
    assert not (tmp_path / "imported").exists()
