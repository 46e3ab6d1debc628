"""The stub ``aspyre stubs`` writes, as text: real signatures of the plugin functions, the builder argument as
``self``, resource methods as overloads on builders of the types they declare, what cannot be typed as ``Any`` with
a note, what conflicts left out with a note. (``test_fresh_venv.py`` runs both type checkers on real stubs.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from aspyre._cli._stub_render import render_stub_module
from aspyre._cli._stubs import write_stub_package
from aspyre.plugins import registry
from aspyre.testing import PluginTester

from . import stub_plugin

MODULE = stub_plugin.__name__


@pytest.fixture
def rendered(aspyre_plugins: PluginTester) -> tuple[str, list[str]]:
    aspyre_plugins.register(
        "aspyre-stub-test",
        builder_methods={
            name: getattr(stub_plugin, name)
            for name in ("add_widget", "add_untyped", "add_precise", "add_either", "add_later", "add_generic")
        }
        | {"add_container": stub_plugin.add_untyped},
        resource_methods={
            name: getattr(stub_plugin, name)
            for name in ("with_label", "with_note", "with_shadowing", "with_undeclared", "with_lazy", "with_missing_type")
        },
    )
    aspyre_plugins.register("aspyre-stub-other", builder_methods={"add_either": stub_plugin.add_untyped})
    aspyre_plugins.register("aspyre-broken-stub", builder_methods={"add_broken": "no_such_module_anywhere:add"})
    return render_stub_module(registry(), "# header")


def method(text: str, name: str) -> list[str]:
    """The ``def`` lines of method ``name``."""
    return [
        line.strip() for line in text.splitlines() if line.strip().startswith((f"def {name}(", f"async def {name}("))
    ]


def test_builder_methods_keep_their_signatures(rendered: tuple[str, list[str]]) -> None:
    text, _ = rendered
    ast.parse(text)  # valid Python
    assert text.startswith("# header\n")
    (widget,) = method(text, "add_widget")
    assert widget == (
        "def add_widget(self, name: str, /, size: int = ..., *tags: str, mode: typing.Literal['a', 'b'] = ..., "
        f"speed: {MODULE}.Speed = ..., on_ready: collections.abc.Callable[[aspyre.ResourceBuilder[aspyre.ContainerResource]], "
        "None] | None = ..., **extra: object) -> aspyre.ResourceBuilder[aspyre.ContainerResource]:"
    )
    assert '"""Add a widget.\n\n        With a second paragraph, and a \\"\\"\\"' not in text
    assert 'With a second paragraph, and a "quoted" word and a \\\\ backslash.' in text
    assert method(text, "add_untyped") == [
        "def add_untyped(self, name: typing.Any, count: typing.Any = ...) -> typing.Any: ..."
    ]
    assert method(text, "add_later") == ["async def add_later(self, name: str) -> tuple[int, ...]: ..."]
    (generic,) = method(text, "add_generic")
    assert generic.startswith("def add_generic(self, value: _T") and "-> list[_T" in generic


def test_overloads_are_kept(rendered: tuple[str, list[str]], aspyre_plugins: PluginTester) -> None:
    aspyre_plugins.close()
    with PluginTester() as plugins:
        plugins.register("aspyre-overloads", builder_methods={"add_either": stub_plugin.add_either})
        text, _ = render_stub_module(registry(), "")
    assert method(text, "add_either") == [
        "def add_either(self, name: str) -> str: ...",
        "def add_either(self, name: str, count: int) -> int: ...",
    ]
    assert text.count("@typing.overload\n    def add_either(") == 2


def test_what_cannot_be_typed_or_conflicts_is_noted(rendered: tuple[str, list[str]]) -> None:
    text, notes = rendered
    assert method(text, "add_precise") == ["def add_precise(self, amount: typing.Any) -> None:"]
    assert any(n.startswith("builder.add_precise(): the annotation 'Decimal' could not be evaluated") for n in notes)
    assert method(text, "add_either") == []
    assert (
        "builder.add_either(): left out: several distributions provide it (aspyre-stub-other, aspyre-stub-test"
        in "\n".join(notes)
    )
    assert method(text, "add_container") == []
    assert "builder.add_container(): left out: a method of aspyre itself has that name" in "\n".join(notes)
    assert method(text, "add_broken") == []
    assert any("add_broken" in n and "No module named 'no_such_module_anywhere'" in n for n in notes)
    assert method(text, "with_undeclared") == []
    assert any("does not declare the resource types it applies to" in n for n in notes)


def test_resource_methods_are_typed_by_the_resource_types_they_declare(rendered: tuple[str, list[str]]) -> None:
    text, _ = rendered
    labels = method(text, "with_label")
    assert len(labels) == 2 and text.count("@typing.overload\n    def with_label(") == 2
    for line, resource in zip(labels, ("aspyre.ExecutableResource", "aspyre.ContainerResource"), strict=False):
        self_type = line.split("self: ")[1].split(",")[0]
        assert f"{self_type} = typing.TypeVar('{self_type}', bound=ResourceBuilderExtensionMethods[{resource}])" in text
        assert line.endswith(f"-> {self_type}:")  # a chain keeps the caller's builder type
        assert f"check: collections.abc.Callable[[{resource}], bool] | None = ..." in line
    assert method(text, "with_note") == [
        "def with_note(self: ResourceBuilderExtensionMethods[aspyre.ParameterResource], note: str) -> aspyre.ResourceBuilder[typing.Any]: ..."
    ]
    assert method(text, "with_shadowing") == [
        "def with_shadowing(self: ResourceBuilderExtensionMethods[aspyre.PythonAppResource], **settings: int) -> None: ..."
    ]


def test_resource_types_named_by_a_string_are_imported_and_typed(rendered: tuple[str, list[str]]) -> None:
    text, notes = rendered
    lazy = f"{MODULE.rpartition('.')[0]}.stub_lazy.LazyResource"
    assert sorted(method(text, "with_lazy")) == sorted(
        [
            f"def with_lazy(self: ResourceBuilderExtensionMethods[{resource}], level: int) -> None: ..."
            for resource in ("aspyre.ParameterResource", lazy)
        ]
    )
    # A name that cannot be imported leaves the method out, with a note saying why.
    assert method(text, "with_missing_type") == []
    assert any(
        "with_missing_type" in n and "'no_such_module_anywhere:Thing', which cannot be imported" in n for n in notes
    )


def test_the_package_is_partial_and_pip_can_uninstall_it(tmp_path: Path) -> None:
    module = write_stub_package(tmp_path, "# Generated by 'aspyre stubs' for: x\n", "abc123")
    assert module == tmp_path / "aspyre-stubs" / "_hosting" / "_typed_extensions.pyi"
    assert (tmp_path / "aspyre-stubs" / "py.typed").read_text() == "partial\n"
    info = tmp_path / "aspyre_stubs-0.1.0.dist-info"
    assert (info / "entry_points.txt").read_text() == "[aspyre.stubs]\nfingerprint = abc123\n"
    record = (info / "RECORD").read_text().splitlines()
    assert sorted(line.split(",")[0] for line in record) == sorted(
        [
            "aspyre-stubs/py.typed",
            "aspyre-stubs/_hosting/_typed_extensions.pyi",
            "aspyre_stubs-0.1.0.dist-info/METADATA",
            "aspyre_stubs-0.1.0.dist-info/INSTALLER",
            "aspyre_stubs-0.1.0.dist-info/entry_points.txt",
            "aspyre_stubs-0.1.0.dist-info/RECORD",
        ]
    )
    write_stub_package(tmp_path, "# Generated by 'aspyre stubs' for: y\n", "def456")  # replaces its own output
    assert "fingerprint = def456" in (info / "entry_points.txt").read_text()
    (tmp_path / "aspyre-stubs" / "_hosting" / "_typed_extensions.pyi").write_text("# someone else's\n")
    with pytest.raises(FileExistsError, match="was not written by 'aspyre stubs'"):
        write_stub_package(tmp_path, "# Generated by 'aspyre stubs'\n", "x")


def test_a_class_a_package_exports_on_first_use_is_named_by_the_package() -> None:
    """aspyre-redis and aspyre-postgres import their web UIs' modules on first use (a module ``__getattr__``): the
    stubs still name those classes by the package, not by the private module that defines them."""
    import importlib
    import sys

    from aspyre._cli._stub_render import StubRenderer

    for package, name in (("aspyre_redis", "RedisInsightResource"), ("aspyre_postgres", "PgWebContainerResource")):
        module = importlib.import_module(f"{package}.{'_helpers' if package == 'aspyre_redis' else '_tools'}")
        cls = getattr(module, name)
        vars(sys.modules[package]).pop(name, None)  # as before the package's first lookup of the name
        assert StubRenderer().class_path(cls) == f"{package}.{name}"
