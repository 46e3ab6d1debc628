"""What an app host's builder imports: the modules of build(), run and publish stay off its path until used.

A structural guard, not a timed test (``bench/bench_import.py`` measures the time): an import added at the top of
a module on the builder's path that brings one of these back fails here, naming the module and who imported it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import attrs
import pytest

#: Modules an app host's builder with Redis, Postgres and a database does not need: the graph checks and the
#: snapshots (build() and run mode), run mode, publish mode, the CLI, the libraries they use, and what the
#: integrations' health checks do when they run.
NOT_ON_THE_BUILDER_PATH = [
    "aspyre._model._graph",
    "aspyre._model._validation",
    "aspyre._model._snapshot",
    "aspyre._model._container_files",
    "aspyre._model._runargs",
    "aspyre._model._otlp",
    "aspyre._model._external",
    "aspyre._model._urls",
    "aspyre._model._exec_limits",
    # Annotations and resources only some app hosts use, and the callbacks' contexts (run and publish mode).
    "aspyre._model._container_annotations",
    "aspyre._model._callback_contexts",
    "aspyre._model._connection_strings",
    "aspyre._model._dependencies",
    "aspyre._model._endpoint_runtime",
    "aspyre._model._deployment_extras",
    "aspyre._model._commands",
    "aspyre._model._value_context",
    "aspyre._model._python",
    "aspyre._model._environment",
    # The events that report how a run or a publish progresses (published there).
    "aspyre._eventing._progress_events",
    # Loading an app host (aspyre run, the pytest plugin): the app's start and run look it up when they need it.
    "aspyre._hosting._loading",
    "aspyre._orchestrator._orchestrator",
    "aspyre._orchestrator._executor",
    "aspyre._publishing",
    "aspyre._cli",
    "aspyre.publishing",
    "aspyre.testing",
    "anyio",
    "asyncio",
    "logging",
    "json",
    "importlib.metadata",
    "docker",
    "cattrs",
    # The integrations' health checks run in run mode: registering one imports only its class.
    "aspyre_redis._connection",
    "aspyre_postgres._checks",
    # A standard module only formatting a template needs.
    "string",
    # attrs imports platform only to ask whether it runs on PyPy: aspyre's code cache answers for CPython.
    "platform",
    # pathlib, and the urllib.parse and ipaddress it imports: the builder keeps the app host's path as a str until
    # something asks for it as a Path; URLs are parsed where a method needs it (with_url, an HTTP health check).
    "pathlib",
    "urllib.parse",
    "ipaddress",
    # The start-up caches check their files with binascii's CRC-32 (zlib's, without loading zlib).
    "zlib",
    # The plugin loader's Ctrl-C guard uses the built-in _signal (signal builds three enums when imported).
    "signal",
    # The integrations' optional parts, imported when an app host uses them: Redis Commander and Redis Insight,
    # Redis persistence (and datetime, which its interval may be), pgAdmin and pgweb. The methods that also apply to
    # their resources name those types by strings (resource_extension).
    "aspyre_redis._helpers",
    "aspyre_redis._persistence",
    "aspyre_postgres._tools",
    "aspyre_postgres._creation_script",
    "datetime",
]

CODE = textwrap.dedent(
    """
    import sys

    importers = {}

    class Recorder:
        @classmethod
        def find_spec(cls, name, path=None, target=None):
            frame = sys._getframe(1)
            while frame is not None and frame.f_globals.get("__name__", "").startswith(("importlib", "_frozen")):
                frame = frame.f_back
            importers.setdefault(name, frame.f_globals.get("__name__", "?") if frame else "?")
            return None

    sys.meta_path.insert(0, Recorder)
    import re._compiler

    compiled_by = []  # the modules that compiled a regular expression (~0.1-0.2 ms apiece)
    compile_pattern = re._compiler.compile

    def recording_compile(pattern, flags=0):
        frame = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(("re", "importlib", "_frozen")):
            frame = frame.f_back
        compiled_by.append(frame.f_globals.get("__name__", "?") if frame else "?")
        return compile_pattern(pattern, flags)

    re._compiler.compile = recording_compile
    import aspyre

    builder = aspyre.DistributedApplication.create_builder([])
    builder.add_redis("cache")
    builder.add_postgres("pg").add_database("db")
    after_builder = {name: importers.get(name, "?") for name in sys.modules}
    re._compiler.compile = compile_pattern
    builder.build()
    import json

    print(json.dumps({"builder": after_builder, "built": sorted(sys.modules), "compiled_by": compiled_by}))
    """
)


def test_the_builder_with_redis_postgres_and_a_database_leaves_build_run_and_publish_modules_alone() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    brought = {
        name: f"imported by {loaded['builder'][name]}" for name in NOT_ON_THE_BUILDER_PATH if name in loaded["builder"]
    }
    assert brought == {}
    # aspyre and its integrations check names, images, entry points and requirements with string operations on this
    # path: no regular expression is compiled for them (the standard library's own are not counted).
    assert [m for m in loaded["compiled_by"] if m.startswith("aspyre")] == []
    # The guard is not vacuous: build() does bring in the graph checks.
    assert {"aspyre._model._graph", "aspyre._model._validation"} <= set(loaded["built"])


#: Private value types written as plain slotted classes (attrs builds each class it decorates when the module is
#: imported, ~0.2 ms apiece on the builder path): what attrs gave them stays (repr, equality, hash, immutability).
PLAIN_VALUE_TYPES = [
    ("aspyre._model._values", "_Slot", ("value", "format"), ("x", None), ("x", "uri")),
    (
        "aspyre._model._container_names",
        "ImageReference",
        ("registry", "image", "tag", "sha256"),
        (None, "redis", "8.6", None),
        ("localhost:5000", "redis", None, "0" * 64),
    ),
]


@pytest.mark.parametrize(("module", "name", "fields", "one", "other"), PLAIN_VALUE_TYPES)
def test_private_value_types_are_plain_classes_that_behave_as_frozen_attrs_classes(
    module: str, name: str, fields: tuple[str, ...], one: tuple[object, ...], other: tuple[object, ...]
) -> None:
    import copy
    import importlib
    import pickle

    cls = getattr(importlib.import_module(module), name)
    assert not attrs.has(cls)
    a, b, c = cls(*one), cls(*one), cls(*other)
    shown = ", ".join(f"{f}={v!r}" for f, v in zip(fields, one, strict=True))
    assert repr(a) == f"{name}({shown})"
    assert a == b and hash(a) == hash(b) and a != c and a != one
    assert {a, b, c} == {a, c}
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(a, fields[0], "changed")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        delattr(a, fields[0])
    assert not hasattr(a, "__dict__")
    assert pickle.loads(pickle.dumps(a)) == a and copy.deepcopy(a) == a


def test_parsed_args_is_a_plain_class_that_behaves_as_a_frozen_attrs_class() -> None:
    from aspyre._hosting._config import ParsedArgs, parse_args

    assert not attrs.has(ParsedArgs)
    a, b, c = parse_args(["--publisher", "manifest"]), parse_args(["--publisher", "manifest"]), parse_args(["x"])
    assert a == b and hash(a) == hash(b) and a != c
    assert repr(c) == f"ParsedArgs(execution_context={c.execution_context!r}, remaining=('x',))"
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        a.remaining = ()
