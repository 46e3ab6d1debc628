"""Images built from a Dockerfile in run mode, on the real engine: built and run, not rebuilt while the context
is unchanged, rebuilt after a change, a failing step named, build secrets kept out of the image."""

from __future__ import annotations

import json
import re
import secrets
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest

import aspyre
from aspyre import KnownResourceStates as S

pytestmark = [pytest.mark.docker, pytest.mark.anyio]

DOCKERFILE = """\
FROM python:3.11-slim
ARG GREETING
ARG TOKEN
RUN python3 -c "import hashlib, os; open('/token.sha', 'w').write(hashlib.sha256(os.environ['TOKEN'].encode()).hexdigest())"
COPY app.py /app.py
CMD ["python3", "/app.py"]
"""

APP = """\
print("hello", open("/greeting").read() if False else "{greeting}", flush=True)
print("token", open("/token.sha").read(), flush=True)
"""


@pytest.fixture
def name(docker_client: Any) -> Iterator[str]:
    """A resource name (and image repository) of this test only; its images are removed afterwards."""
    value = "built-" + "".join(secrets.choice(string.ascii_lowercase) for _ in range(8))
    yield value
    for image in docker_client.images.list(name=value):
        for tag in image.tags:
            docker_client.images.remove(tag, force=True)


def context(tmp_path: Path, greeting: str = "world", dockerfile: str = DOCKERFILE) -> Path:
    ctx = tmp_path / "ctx"
    ctx.mkdir(exist_ok=True)
    (ctx / "Dockerfile").write_text(dockerfile)
    (ctx / "app.py").write_text(APP.replace("{greeting}", greeting))
    (ctx / ".dockerignore").write_text("ignored.txt\n")
    return ctx


async def run_once(tmp_path: Path, name: str, token: str) -> tuple[list[str], list[str], str]:
    """Run the app host once until the container exited: (states seen, log lines, image)."""
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    secret = b.add_parameter("token", token, secret=True)
    b.add_dockerfile(name, "ctx").with_build_arg("GREETING", "world").with_build_secret("TOKEN", secret)
    app = b.build()
    states: list[str] = []
    with anyio.fail_after(180):
        async with app:
            async with anyio.create_task_group() as tg:

                async def follow() -> None:
                    async for update in app.resource_notifications.watch():
                        if update.resource_name == name and update.snapshot.state_text not in states[-1:]:
                            states.append(str(update.snapshot.state_text))

                tg.start_soon(follow)
                snap = await app.resource_notifications.wait_for_resource(name, [S.EXITED, S.FAILED_TO_START])
                tg.cancel_scope.cancel()
            lines = [line.content for line in app.resource_loggers.backlog(name)]
    return states, lines, str(snap.property_value(aspyre.model.KnownProperties.Container.IMAGE))


async def test_a_dockerfile_app_is_built_run_and_rebuilt_only_after_a_change(
    tmp_path: Path, app_host: Path, name: str, docker_client: Any
) -> None:
    import hashlib

    token = "s3cret-" + secrets.token_hex(8)
    context(tmp_path)
    states, lines, image = await run_once(tmp_path, name, token)
    assert states[:3] == [S.NOT_STARTED, S.STARTING, S.BUILDING] or S.BUILDING in states, states
    assert states[-1] == S.EXITED, (states, lines)
    assert any(line.startswith("Step 1/") for line in lines), lines  # the build output is in the log
    assert "hello world" in lines
    assert f"token {hashlib.sha256(token.encode()).hexdigest()}" in lines  # the build saw the secret...
    assert image.startswith(f"{name}:")
    # ...which the image does not keep: not in its history, not in its configuration.
    history = json.dumps(docker_client.api.history(image))
    assert token not in history and "***" in history
    assert token not in json.dumps(docker_client.api.inspect_image(image))
    assert all(token not in line for line in lines)

    states, lines, again = await run_once(tmp_path, name, token)
    assert again == image and S.BUILDING in states
    assert not any(line.startswith("Step ") for line in lines), lines  # not built again
    assert any("is up to date" in line for line in lines), lines

    (tmp_path / "ctx" / "ignored.txt").write_text("not part of the build")  # .dockerignore: no change
    _, lines, again = await run_once(tmp_path, name, token)
    assert again == image

    context(tmp_path, greeting="again")  # app.py changed: built again, under a new tag
    _, lines, changed = await run_once(tmp_path, name, token)
    assert changed != image and changed.startswith(f"{name}:")
    assert any(line.startswith("Step 1/") for line in lines) and "hello again" in lines


async def test_a_failing_build_fails_the_resource_naming_the_step(tmp_path: Path, app_host: Path, name: str) -> None:
    context(tmp_path, dockerfile='FROM python:3.11-slim\nRUN echo building && exit 3\nCMD ["true"]\n')
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    b.add_dockerfile(name, "ctx")
    app = b.build()
    with anyio.fail_after(120):
        async with app:
            snap = await app.resource_notifications.wait_for_resource(name, [S.EXITED, S.FAILED_TO_START])
            lines = [line.content for line in app.resource_loggers.backlog(name)]
    assert snap.state_text == S.FAILED_TO_START
    assert "building" in lines
    failure = [line for line in lines if line.startswith("Failed to start:")]
    assert failure and re.search(r"failed at step 2/\d+ \(RUN echo building && exit 3\)", failure[0]), lines
    assert "returned a non-zero code: 3" in failure[0]


def test_build_arguments_need_a_dockerfile_and_secrets_a_parameter(tmp_path: Path) -> None:
    b = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py")
    plain = b.add_container("plain", "redis")
    with pytest.raises(ValueError, match=r"with_build_arg\(\) on resource 'plain': .*with_dockerfile\(\) first"):
        plain.with_build_arg("X", "1")
    built = b.add_dockerfile("built", "ctx")
    with pytest.raises(TypeError, match=r"with_build_secret\(\) on resource 'built': parameter must be a parameter"):
        built.with_build_secret("TOKEN", "literal")
    pw = b.add_parameter("pw", secret=True)
    with pytest.raises(ValueError, match="with_build_secret"):
        built.with_build_arg("PW", pw)


@pytest.mark.anyio
async def test_publish_writes_container_v1_with_build_args_and_secrets(
    tmp_path: Path, manifest_schema_errors: Any
) -> None:
    out = tmp_path / "out"
    b = aspyre.DistributedApplication.create_builder(
        ["--publisher", "manifest", "--output-path", str(out)], app_host_path=tmp_path / "apphost.py"
    )
    token = b.add_parameter("token", secret=True)
    version = b.add_parameter("version", "1.2")
    b.add_dockerfile("api", "ctx", stage="runtime").with_build_arg("VERSION", version).with_build_secret("TOKEN", token)
    await b.build().run_async()
    manifest = json.loads((out / "aspire-manifest.json").read_text())
    assert manifest_schema_errors(manifest) == []
    assert manifest["resources"]["api"] == {
        "type": "container.v1",
        "build": {
            "context": "../ctx",
            "dockerfile": "../ctx/Dockerfile",
            "stage": "runtime",
            "args": {"VERSION": "{version.value}"},
            "secrets": {"TOKEN": {"type": "env", "value": "{token.value}"}},
        },
    }
