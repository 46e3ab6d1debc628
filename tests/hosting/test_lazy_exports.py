"""``aspyre.plugins.lazy_exports``: a package's names imported on first use (PEP 562), as aspyre-redis and
aspyre-postgres export theirs; read by attribute access, ``dir()``, ``from ... import *``, entry points and
``aspyre stubs``; unknown names and broken mappings fail naming the module and the name."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

import aspyre_postgres
import aspyre_redis
from aspyre._cli._stub_render import render_stub_module
from aspyre.plugins import lazy_exports, registry
from aspyre.testing import PluginTester

INIT = '''
"""A package exporting some names on first use."""
from typing import TYPE_CHECKING

from aspyre.plugins import lazy_exports

EAGER = "eager"

__all__ = ["EAGER", "Gauge", "LATER", "missing", "renamed", "with_gauge"]

if TYPE_CHECKING:
    from ._gauge import LATER, Gauge, with_gauge

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "Gauge": "._gauge",
        "LATER": "._gauge",
        "with_gauge": "{package}._gauge",
        "missing": "._gauge",
        "renamed": "._no_such_module",
    },
)
'''

GAUGE = '''
"""The slow part, imported on first use."""
import aspyre

LATER = 42


class Gauge(aspyre.ContainerResource):
    """A gauge."""


@aspyre.plugins.resource_extension(aspyre.ContainerResource)
def with_gauge(builder: aspyre.ResourceBuilder[aspyre.ContainerResource], level: int) -> aspyre.ResourceBuilder[aspyre.ContainerResource]:
    """Set the gauge's level."""
    return builder.with_environment("LEVEL", str(level))
'''


@pytest.fixture
def package(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The name of a fresh package written with :data:`INIT`, importable, and forgotten afterwards."""
    name = f"lazy_pkg_{request.node.name.replace('[', '_').replace(']', '_').replace('-', '_')}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text(textwrap.dedent(INIT).replace("{package}", name), encoding="utf-8")
    (root / "_gauge.py").write_text(textwrap.dedent(GAUGE), encoding="utf-8")
    (root / "plain.py").write_text(
        "from aspyre.plugins import lazy_exports\n"
        '__getattr__, __dir__ = lazy_exports(__name__, {"LATER": "._gauge"})\n',
        encoding="utf-8",
    )
    sys.path.insert(0, str(tmp_path))
    importlib.invalidate_caches()
    try:
        yield name
    finally:
        sys.path.remove(str(tmp_path))
        for module in [m for m in sys.modules if m == name or m.startswith(f"{name}.")]:
            del sys.modules[module]


def test_names_are_imported_on_first_use_and_kept(package: str) -> None:
    pkg = importlib.import_module(package)
    assert f"{package}._gauge" not in sys.modules
    assert pkg.EAGER == "eager"
    assert f"{package}._gauge" not in sys.modules
    gauge = pkg.Gauge
    assert f"{package}._gauge" in sys.modules
    assert gauge is sys.modules[f"{package}._gauge"].Gauge
    assert vars(pkg)["Gauge"] is gauge  # kept: the next read does not go through __getattr__
    assert pkg.with_gauge is sys.modules[f"{package}._gauge"].with_gauge  # an absolute module name works too
    assert pkg.LATER == 42


def test_dir_lists_defined_exported_and_lazy_names(package: str) -> None:
    pkg = importlib.import_module(package)
    names = dir(pkg)
    assert names == sorted(names)
    assert {"EAGER", "Gauge", "LATER", "with_gauge", "missing", "renamed", "__all__"} <= set(names)
    assert f"{package}._gauge" not in sys.modules  # listing imports nothing


def test_star_import_follows_all(package: str) -> None:
    namespace: dict[str, object] = {}
    pkg = importlib.import_module(package)
    pkg.__all__ = ["EAGER", "Gauge", "LATER"]
    exec(f"from {package} import *", namespace)
    assert {k for k in namespace if not k.startswith("__")} == {"EAGER", "Gauge", "LATER"}
    assert namespace["LATER"] == 42


def test_an_unknown_name_is_an_attribute_error_naming_the_module(package: str) -> None:
    pkg = importlib.import_module(package)
    with pytest.raises(AttributeError, match=rf"^module '{package}' has no attribute 'Gauges'$") as info:
        pkg.Gauges  # noqa: B018
    assert info.value.name == "Gauges" and info.value.obj is pkg
    assert not hasattr(pkg, "nope")
    assert getattr(pkg, "nope", "default") == "default"


def test_a_name_its_module_does_not_define_names_both(package: str) -> None:
    pkg = importlib.import_module(package)
    message = (
        f"module '{package}' has no attribute 'missing': it exports it from '{package}._gauge' on first use, "
        "which does not define it"
    )
    with pytest.raises(AttributeError) as info:
        pkg.missing  # noqa: B018
    assert str(info.value) == message
    assert "missing" not in vars(pkg)


def test_an_import_error_propagates_with_a_note_naming_the_name(package: str) -> None:
    pkg = importlib.import_module(package)
    with pytest.raises(ModuleNotFoundError, match=rf"No module named '{package}._no_such_module'") as info:
        pkg.renamed  # noqa: B018
    assert info.value.__notes__ == [
        f"(importing '._no_such_module' for {package}.renamed, which it exports on first use)"
    ]


def test_a_module_that_is_not_a_package_resolves_relative_names_in_its_package(package: str) -> None:
    plain = importlib.import_module(f"{package}.plain")
    assert plain.LATER == 42


def test_it_must_be_called_from_the_module_it_serves() -> None:
    with pytest.raises(ValueError, match=r"lazy_exports\('not_imported_anywhere', \.\.\.\): no module"):
        lazy_exports("not_imported_anywhere", {})


def test_entry_points_and_stubs_resolve_lazy_names(package: str) -> None:
    with PluginTester() as plugins:
        plugins.register("aspyre-lazy-gauge", resource_methods={"with_gauge": f"{package}:with_gauge"})
        assert f"{package}._gauge" not in sys.modules
        builder = plugins.create_builder()
        rb = builder.add_container("g", "gauge").with_gauge(3)  # type: ignore[attr-defined]
        assert rb.resource.name == "g"
        text, notes = render_stub_module(registry(), "")
    assert any(line.strip().startswith("def with_gauge(") and "level: int" in line for line in text.splitlines()), (
        text,
        notes,
    )


@pytest.mark.parametrize("plugin", [aspyre_redis, aspyre_postgres], ids=lambda m: m.__name__)
def test_the_integrations_export_every_name_of_their_all(plugin: types.ModuleType) -> None:
    assert set(plugin.__all__) <= set(dir(plugin))
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None
    with pytest.raises(AttributeError, match=rf"^module '{plugin.__name__}' has no attribute 'nope'$"):
        plugin.nope  # noqa: B018


def test_importing_an_integration_imports_no_lazy_module() -> None:
    code = textwrap.dedent(
        """
        import sys
        import aspyre_redis, aspyre_postgres
        lazy = {"aspyre_redis._connection", "aspyre_redis._helpers", "aspyre_redis._persistence",
                "aspyre_postgres._checks", "aspyre_postgres._tools", "aspyre_postgres._creation_script"}
        print(sorted(lazy & set(sys.modules)))
        aspyre_redis.with_redis_commander
        print("aspyre_redis._helpers" in sys.modules)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["[]", "True"]
