"""The install step of the core (any resource with a PackageInstallAnnotation), with real commands and no network:
``Installing`` before the first start, output in the resource's log, skipped while nothing changed, again when an
input or the installed directory changes, ``FailedToStart`` with the installer's last lines when it fails."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import aspyre
from aspyre.annotations import InstallCommand, PackageInstallAnnotation
from aspyre.pytest_plugin import AspyreAppFactory

from .helpers import log_text, recorded_states

#: An "installer" that counts its runs in the file ``installs`` and prints two lines.
COUNTING = (
    "import pathlib, sys; p = pathlib.Path('installs'); "
    "p.write_text((p.read_text() if p.exists() else '') + 'x'); "
    "print('fetching packages'); print('to stderr', file=sys.stderr); print('installed')"
)
#: An installer that prints 20 numbered lines and fails.
FAILING = "import sys\nfor i in range(20): print(f'line {i}')\nsys.exit(3)"


def install_step(app_dir: Path, code: str = COUNTING, fingerprint: str = "") -> PackageInstallAnnotation:
    return PackageInstallAnnotation(
        installer="counter",
        working_dir=app_dir,
        plan=lambda: [InstallCommand(sys.executable, ("-c", code))],
        inputs=("deps.txt",),
        state_dir=app_dir / "env",
        fingerprint=fingerprint,
    )


def app_builder(
    factory: AspyreAppFactory, app_dir: Path, *names: str, code: str = COUNTING
) -> aspyre.DistributedApplicationBuilder:
    builder = factory.create_builder()
    for name in names or ("app",):
        builder.add_executable(name, sys.executable, "-c", "print('app ran')", working_dir=app_dir).with_annotation(
            install_step(app_dir, code)
        )
    return builder


@pytest.fixture
def app_dir(tmp_path: Path) -> Path:
    (tmp_path / "deps.txt").write_text("one\n", encoding="utf-8")
    return tmp_path


async def run_once(factory: AspyreAppFactory, app_dir: Path) -> tuple[list[str], str]:
    """Run the one-resource app until the app finished; its states and its log."""
    app = await factory(app_builder(factory, app_dir), start=False)
    async with recorded_states(app, "app") as states:
        await factory.start(app)
        await app.resource_notifications.wait_for_resource("app", aspyre.KnownResourceStates.FINISHED)
        text = log_text(app, "app")
        await app.stop()
    return states, text


def installs(app_dir: Path) -> str:
    path = app_dir / "installs"
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.mark.anyio
async def test_installing_comes_first_and_its_output_goes_to_the_log(
    aspyre_app_factory: AspyreAppFactory, app_dir: Path
) -> None:
    states, text = await run_once(aspyre_app_factory, app_dir)
    assert states.index("Installing") < states.index("Running") < states.index("Finished")
    assert installs(app_dir) == "x"
    lines = text.splitlines()
    assert lines.index("fetching packages") < lines.index("installed") < lines.index("app ran")
    assert "to stderr" in lines and "Packages installed (counter)" in lines
    marker = json.loads((app_dir / "env" / ".aspyre-install").read_text(encoding="utf-8"))
    assert marker["installer"] == "counter" and len(marker["hash"]) == 64


@pytest.mark.anyio
async def test_a_second_start_skips_the_install_until_an_input_or_the_environment_changes(
    aspyre_app_factory: AspyreAppFactory, app_dir: Path
) -> None:
    await run_once(aspyre_app_factory, app_dir)
    states, text = await run_once(aspyre_app_factory, app_dir)
    assert "Installing" not in states and "Finished" in states
    assert installs(app_dir) == "x"
    assert "Packages unchanged since the last install (counter): not installing" in text

    (app_dir / "deps.txt").write_text("one\ntwo\n", encoding="utf-8")  # an input changed
    states, _ = await run_once(aspyre_app_factory, app_dir)
    assert "Installing" in states and installs(app_dir) == "xx"

    (app_dir / "deps.txt").unlink()  # a missing input is a change too
    await run_once(aspyre_app_factory, app_dir)
    assert installs(app_dir) == "xxx"

    (app_dir / "env" / ".aspyre-install").unlink()  # the environment was deleted (or never finished)
    await run_once(aspyre_app_factory, app_dir)
    assert installs(app_dir) == "xxxx"


def test_the_environment_check_hashes_configuration_and_inputs(app_dir: Path) -> None:
    from aspyre._orchestrator._install import install_hash, install_is_current

    first = install_step(app_dir)
    assert not install_is_current(first)
    assert install_hash(first) == install_hash(install_step(app_dir))
    assert install_hash(first) != install_hash(install_step(app_dir, fingerprint="--no-dev"))
    (app_dir / "env").mkdir()
    (app_dir / "env" / ".aspyre-install").write_text(json.dumps({"hash": install_hash(first)}), encoding="utf-8")
    assert install_is_current(first)
    (app_dir / "deps.txt").write_text("changed\n", encoding="utf-8")
    assert not install_is_current(first)
    (app_dir / "env" / ".aspyre-install").write_text("not json", encoding="utf-8")
    assert not install_is_current(first)


@pytest.mark.anyio
async def test_a_failing_install_is_failed_to_start_with_the_installers_last_lines(
    aspyre_app_factory: AspyreAppFactory, app_dir: Path
) -> None:
    app = await aspyre_app_factory(app_builder(aspyre_app_factory, app_dir, code=FAILING))
    await app.resource_notifications.wait_for_resource("app", aspyre.KnownResourceStates.FAILED_TO_START)
    text = log_text(app, "app")
    assert "failed with exit code 3 (counter); its last lines:" in text
    quoted = [line for line in text.splitlines() if line.startswith("  | ")]
    assert quoted == [f"  | line {i}" for i in range(5, 20)]  # the last 15 lines
    assert "app ran" not in text
    assert not (app_dir / "env" / ".aspyre-install").exists()
    assert app.failed_resources == ["app"]


@pytest.mark.anyio
async def test_resources_sharing_an_environment_install_it_once(
    aspyre_app_factory: AspyreAppFactory, app_dir: Path
) -> None:
    app = await aspyre_app_factory(app_builder(aspyre_app_factory, app_dir, "one", "two", "three"))
    for name in ("one", "two", "three"):
        await app.resource_notifications.wait_for_resource(name, aspyre.KnownResourceStates.FINISHED)
    assert installs(app_dir) == "x"
    texts = [log_text(app, name) for name in ("one", "two", "three")]
    assert sum("Packages installed (counter)" in t for t in texts) == 1
    assert sum("Packages installed by another resource (counter)" in t for t in texts) == 2
