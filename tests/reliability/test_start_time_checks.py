"""What can only be known when a resource starts fails it with one clear line naming the variable:
``None`` from a callback (as ``None`` at a builder call does), and arguments or environment larger than
the operating system starts a process with ("Argument list too long" never reaches the user bare)."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.anyio, pytest.mark.reliability]

PY = sys.executable


def make_builder(tmp_path: Path, *args: str) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplication.create_builder(list(args), app_host_path=tmp_path / "apphost.py")


async def failure_of(app: aspyre.DistributedApplication, name: str) -> str:
    """Start ``app`` and return the log of resource ``name`` once it failed to start."""
    async with app:
        with anyio.fail_after(60):
            await app.resource_notifications.wait_for_resource(name, S.FAILED_TO_START)
    return "\n".join(line.content for line in app.resource_loggers.backlog(name))


@pytest.mark.parametrize(
    "configure",
    [
        pytest.param(lambda b: b.with_environment("TOKEN", lambda: None), id="with_environment(name, callable)"),
        pytest.param(
            lambda b: b.with_environment(lambda ctx: ctx.environment.__setitem__("TOKEN", None)),
            id="environment callback",
        ),
    ],
)
async def test_none_for_an_environment_variable_fails_the_same_way_from_either_callback(
    tmp_path: Path, configure: object
) -> None:
    b = make_builder(tmp_path)
    job = b.add_executable("job", PY, "-c", "import os; print('TOKEN=' + repr(os.environ.get('TOKEN')))")
    configure(job)  # type: ignore[operator]
    log = await failure_of(b.build(), "job")
    assert "Resource 'job': environment variable 'TOKEN' is None" in log or (
        "Resource 'job': the value of environment variable 'TOKEN' is None" in log
    ), log
    assert "del context.environment[name]" in log
    assert "TOKEN=''" not in log  # it never ran with an empty value


async def test_none_from_an_arguments_callback_fails_naming_the_argument(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "pass").with_args(lambda ctx: ctx.args.append(None))
    log = await failure_of(b.build(), "job")
    assert "Resource 'job': argument 3 is None" in log


async def test_deleting_a_variable_in_a_callback_leaves_it_out(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    job = b.add_executable("job", PY, "-c", "import os; print('GONE' in os.environ, os.environ['KEPT'])")
    job.with_environment("GONE", "x").with_environment("KEPT", "y")
    job.with_environment(lambda ctx: ctx.environment.pop("GONE"))
    app = b.build()
    async with app:
        await app.resource_notifications.wait_for_resource("job", S.FINISHED)
    assert [line.content for line in app.resource_loggers.backlog("job")] == ["False y"]


async def test_a_variable_too_large_for_the_os_fails_the_process_naming_it(tmp_path: Path) -> None:
    """Known only at start (a callback): Linux refuses one NAME=value over 128 KiB with E2BIG."""
    b = make_builder(tmp_path)
    b.add_executable("job", PY, "-c", "pass").with_environment("BLOB", lambda: "x" * 200_000)
    log = await failure_of(b.build(), "job")
    assert "Resource 'job': environment variable 'BLOB' is 200,006 bytes" in log, log
    assert "file" in log
    assert "Errno" not in log
    assert "xxxx" not in log  # the value itself is never printed


async def test_a_container_environment_too_large_fails_before_the_engine_is_asked(tmp_path: Path) -> None:
    b = make_builder(tmp_path)
    b.add_container("box", "docker.io/library/redis:8.6").with_environment("BLOB", lambda: "x" * 200_000)
    app = b.build()
    async with app:
        with anyio.fail_after(60):
            snap = await app.resource_notifications.wait_for_resource(
                "box", lambda s: s.state_text in (S.FAILED_TO_START, S.RUNTIME_UNHEALTHY)
            )
    log = "\n".join(line.content for line in app.resource_loggers.backlog("box"))
    if snap.state_text == S.RUNTIME_UNHEALTHY:
        pytest.skip(f"no container engine: {log}")
    assert "Resource 'box': environment variable 'BLOB' is 200,006 bytes" in log, log
    assert "a Linux container" in log


async def test_the_manifest_of_a_none_variable_names_the_resource(tmp_path: Path) -> None:
    b = make_builder(tmp_path, "--publisher", "manifest", "--output-path", str(tmp_path / "out"))
    b.add_executable("job", PY).with_environment(lambda ctx: ctx.environment.update(TOKEN=None))
    with pytest.raises(TypeError, match="Resource 'job': environment variable 'TOKEN' is None"):
        await b.build().publish_async()
