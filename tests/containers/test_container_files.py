"""Files created in a real container before it starts: present, with the owner and mode asked for."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.docker]

SHOW = (
    "stat -c '%a %u:%g %n' /etc/app /etc/app/app.conf /etc/app/bin /etc/app/bin/hello.sh /etc/app/from-host.txt "
    "/etc/app/live.txt; cat /etc/app/app.conf; echo; /etc/app/bin/hello.sh; cat /etc/app/from-host.txt; echo; "
    "cat /etc/app/live.txt"
)


@pytest.mark.anyio
async def test_container_files_are_present_with_their_owner_and_mode(tmp_path: Path, app_host: Path) -> None:
    (tmp_path / "host.txt").write_text("copied from the host")
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    files = [
        aspyre.ContainerFile("app.conf", "mode=strict", mode=0o640, owner=999, group=999),
        aspyre.ContainerDirectory(
            "bin", [aspyre.ContainerFile("hello.sh", "#!/bin/sh\necho hello from a script\n", mode=0o755)]
        ),
        aspyre.ContainerFile("from-host.txt", source_path=tmp_path / "host.txt"),
    ]

    def live(context: aspyre.model.ContainerFilesCallbackContext) -> list[aspyre.ContainerFile]:
        return [aspyre.ContainerFile("live.txt", f"made for {context.resource.name} at start")]

    probe = (
        b.add_container("probe", "redis", "7")
        .with_entrypoint("/bin/sh")
        .with_args("-c", SHOW)
        .with_container_files("/etc/app", files, default_owner=1000)
        .with_container_files("/etc/app", live)
    )
    app = b.build()
    with anyio.fail_after(60):
        async with app:
            snap = await app.resource_notifications.wait_for_resource(probe.resource, [S.EXITED, S.FAILED_TO_START])
            lines = [line.content for line in app.resource_loggers.backlog("probe")]
    assert snap.state_text == S.EXITED and snap.exit_code == 0, lines
    assert "640 999:999 /etc/app/app.conf" in lines
    assert "755 1000:1000 /etc/app/bin" in lines  # a directory: 0o777 less the umask, the default owner
    assert "755 1000:1000 /etc/app/bin/hello.sh" in lines
    assert "644 1000:1000 /etc/app/from-host.txt" in lines  # a file: 0o666 less the umask
    assert "644 0:0 /etc/app/live.txt" in lines  # the callback's annotation has no default owner
    assert "mode=strict" in lines and "hello from a script" in lines and "copied from the host" in lines
    assert "made for probe at start" in lines


def test_container_files_are_checked_at_the_call(tmp_path: Path) -> None:
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    c = b.add_container("c", "redis")
    with pytest.raises(
        ValueError, match=r"with_container_files\(\) on resource 'c': the destination 'etc' must be an absolute path"
    ):
        c.with_container_files("etc", [aspyre.ContainerFile("a", "x")])
    with pytest.raises(ValueError, match=r"/etc/a is given twice"):
        c.with_container_files("/etc", [aspyre.ContainerFile("a", "x"), aspyre.ContainerFile("a", "y")])
    with pytest.raises(ValueError, match="one path segment"):
        aspyre.ContainerFile("a/b", "x")
    with pytest.raises(ValueError, match="either contents or source_path"):
        aspyre.ContainerFile("a")
    assert "secret" not in repr(aspyre.ContainerFile("pw", "secret"))
