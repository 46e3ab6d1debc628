"""What an app host's builder imports: the modules of build(), run and publish stay off its path until used.

A structural guard, not a timed test (``bench/bench_import.py`` measures the time): an import added at the top of
a module on the builder's path that brings one of these back fails here, naming the module and who imported it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

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
    # The start-up caches check their files with binascii's CRC-32 (zlib's, without loading zlib).
    "zlib",
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
    import aspyre

    builder = aspyre.DistributedApplication.create_builder([])
    builder.add_redis("cache")
    builder.add_postgres("pg").add_database("db")
    after_builder = {name: importers.get(name, "?") for name in sys.modules}
    builder.build()
    import json

    print(json.dumps({"builder": after_builder, "built": sorted(sys.modules)}))
    """
)


def test_the_builder_with_redis_postgres_and_a_database_leaves_build_run_and_publish_modules_alone() -> None:
    out = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    brought = {
        name: f"imported by {loaded['builder'][name]}"
        for name in NOT_ON_THE_BUILDER_PATH
        if name in loaded["builder"]
    }
    assert brought == {}
    # The guard is not vacuous: build() does bring in the graph checks.
    assert {"aspyre._model._graph", "aspyre._model._validation"} <= set(loaded["built"])
