"""Images built from a Dockerfile in run mode.

The image is tagged ``{repository}:{hash}``, the hash taken over what goes into the build (every file of the
context that ``.dockerignore`` lets through: path, executable bit, contents; the Dockerfile; the stage; the
build arguments; the names of the secrets), so an unchanged context is not built again. Build output goes to
the resource's log line by line; a failed build raises :class:`ImageBuildError` naming the failing step.

The engines aspyre supports build with the classic builder, which records build arguments in the image's
history. Build secrets are therefore passed as build arguments and then removed: the built image is saved,
every occurrence of a secret value in its configuration (history, container configuration) is replaced by
``***``, the cleaned image is loaded under the same tag, and the original image is removed with the
intermediate images of its build.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import anyio.from_thread

from ..._errors import DistributedApplicationException
from .._specs import BuildSpec
from ._engine import DockerEngine
from ._errors import APIError, NotFound
from ._owner import LABEL_PREFIX, LABEL_RESOURCE
from ._sdk import translated

__all__ = ["ImageBuildError", "build_image", "context_hash"]

#: The label a built image carries its build hash in.
LABEL_BUILD_HASH = f"{LABEL_PREFIX}build.hash"
#: What a secret value becomes in the built image's configuration.
MASK = "***"
_STEP = re.compile(r"^Step (\d+/\d+) : (.*)$")
_HASH_VERSION = 1


class ImageBuildError(DistributedApplicationException, RuntimeError):
    """Building a container resource's image failed: the message names the resource and the failing step."""


def _dockerignore(context: Path) -> list[str] | None:
    path = context / ".dockerignore"
    if not path.is_file():
        return None
    lines = (line.strip() for line in path.read_text(encoding="utf-8", errors="replace").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def _dockerfile_in_context(spec: BuildSpec) -> str | None:
    """The Dockerfile's path relative to the context when it is inside it (POSIX form), else ``None``."""
    try:
        return spec.dockerfile.resolve().relative_to(spec.context.resolve()).as_posix()
    except ValueError:
        return None


def context_hash(spec: BuildSpec, build_args: Mapping[str, str | None]) -> str:
    """SHA-256 over what goes into the build (blocking: reads every file of the context)."""
    from docker.utils.build import exclude_paths

    context = spec.context
    digest = hashlib.sha256()

    def add(*parts: str | bytes) -> None:
        for part in parts:
            data = part.encode("utf-8", "surrogateescape") if isinstance(part, str) else part
            digest.update(len(data).to_bytes(8, "big"))
            digest.update(data)

    add(f"v{_HASH_VERSION}", spec.stage or "", spec.dockerfile.name)
    add(spec.dockerfile.read_bytes())
    for key in sorted(build_args):
        value = build_args[key]
        add("arg", key, "\0" if value is None else value)
    for key in sorted(spec.secrets):
        add("secret", key)
    for rel in sorted(exclude_paths(str(context), _dockerignore(context) or [], _dockerfile_in_context(spec))):
        path = context / rel
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            add("link", rel, os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            add("dir", rel)
        elif stat.S_ISREG(info.st_mode):
            add("file", rel, "x" if info.st_mode & 0o111 else "-")
            file_digest = hashlib.sha256()
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    file_digest.update(chunk)
            add(file_digest.digest())
    return digest.hexdigest()


def _resolved_args(spec: BuildSpec) -> dict[str, str | None]:
    """Build arguments with ``None`` values read from the environment (left out when it lacks them)."""
    out: dict[str, str | None] = {}
    for key, value in spec.build_args.items():
        if value is None:
            value = os.environ.get(key)
            if value is None:
                continue
        out[key] = value
    return out


def _context_tar(spec: BuildSpec, fileobj: IO[bytes]) -> str:
    """Write the build context to ``fileobj`` (the Dockerfile added when it lies outside); its name in the context."""
    from docker.utils.build import tar

    inside = _dockerfile_in_context(spec)
    extra = None if inside is not None else (f".aspyre.Dockerfile.{os.getpid()}", spec.dockerfile.read_text("utf-8"))
    tar(spec.context, exclude=_dockerignore(spec.context), dockerfile=extra, fileobj=fileobj)
    fileobj.seek(0)
    return inside if inside is not None else extra[0]  # type: ignore[index]


def _failed_step(step: str | None, message: str, spec: BuildSpec) -> ImageBuildError:
    where = f" at step {step}" if step else ""
    return ImageBuildError(
        f"Building the image of container resource '{spec.resource_name}' from {spec.dockerfile} failed{where}: "
        f"{message.strip()}"
    )


def _scrub(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, list):
        return [_scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {k: _scrub(v, secrets) for k, v in value.items()}
    return value


def _remove_secrets(engine: DockerEngine, image_id: str, tag: str, secrets: list[str]) -> None:
    """Replace ``image_id`` (tagged ``tag``) by a copy whose configuration holds none of ``secrets``."""
    import tarfile  # here: building is off the common path (tarfile and tempfile cost ~4 ms to import)
    import tempfile

    sdk = engine.sdk()
    with tempfile.TemporaryFile() as saved, tempfile.TemporaryFile() as cleaned, translated():
        for chunk in sdk.get_image(image_id):
            saved.write(chunk)
        saved.seek(0)
        with tarfile.open(fileobj=saved, mode="r:") as source, tarfile.open(fileobj=cleaned, mode="w:") as target:
            manifest = json.load(source.extractfile("manifest.json"))  # type: ignore[arg-type]
            config_name = manifest[0]["Config"]
            config = json.load(source.extractfile(config_name))  # type: ignore[arg-type]
            data = json.dumps(_scrub(config, secrets), separators=(",", ":")).encode()
            new_name = f"{hashlib.sha256(data).hexdigest()}.json"
            manifest[0]["Config"] = new_name
            manifest[0]["RepoTags"] = [tag]
            for member in source.getmembers():
                if member.name in ("manifest.json", "repositories", config_name):
                    continue
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
            for name, payload in ((new_name, data), ("manifest.json", json.dumps(manifest).encode())):
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                target.addfile(info, io.BytesIO(payload))
        cleaned.seek(0)
        for _ in sdk.load_image(cleaned):  # the tag now names the cleaned image
            pass
    api = engine.api()
    try:
        api.remove_image(image_id)  # and the intermediate images of the build (untagged parents)
    except APIError:
        api.remove_image(image_id, force=True)


def build_image(
    engine: DockerEngine,
    spec: BuildSpec,
    on_line: Callable[[str, bool], None],
    on_status: Callable[[str], None],
) -> str:
    """Build *spec* unless an image of the same hash exists; the image reference (blocking: run it in a worker
    thread of the engine; ``on_line`` and ``on_status`` are called on the event loop)."""

    def loop(fn: Callable[..., None], *args: Any) -> None:
        try:
            anyio.from_thread.run_sync(fn, *args)
        except RuntimeError:  # not in a worker thread (a direct call): call it here
            fn(*args)

    if not spec.dockerfile.is_file():
        raise ImageBuildError(
            f"The Dockerfile {spec.dockerfile} of container resource '{spec.resource_name}' does not exist"
        )
    if not spec.context.is_dir():
        raise ImageBuildError(
            f"The build context {spec.context} of container resource '{spec.resource_name}' is not a directory"
        )
    args = _resolved_args(spec)
    tag = f"{spec.repository}:{context_hash(spec, args)[:24]}"
    try:
        engine.api().inspect_image(tag)
    except NotFound:
        pass
    else:
        loop(on_status, f"Image {tag} is up to date (build context unchanged): not rebuilt")
        return tag
    loop(on_status, f"Building image {tag} from {spec.dockerfile}")
    secrets = [v for v in spec.secrets.values() if v]
    import tempfile

    with tempfile.TemporaryFile() as context_file, translated():
        dockerfile = _context_tar(spec, context_file)
        stream: Iterator[dict[str, Any]] = engine.sdk().build(
            fileobj=context_file,
            custom_context=True,
            tag=tag,
            dockerfile=dockerfile,
            target=spec.stage,
            buildargs={**args, **spec.secrets} or None,
            labels={LABEL_RESOURCE: spec.resource_name, LABEL_BUILD_HASH: tag.rpartition(":")[2]},
            rm=True,
            forcerm=True,
            decode=True,
        )
        step: str | None = None
        image_id: str | None = None
        for item in stream:
            if "error" in item:
                raise _failed_step(step, _scrub(str(item.get("error", "")), secrets), spec)
            text = item.get("stream")
            if isinstance(text, str):
                for line in text.splitlines():
                    if not line.strip():
                        continue
                    match = _STEP.match(line)
                    if match:
                        step = f"{match.group(1)} ({_scrub(match.group(2), secrets)})"
                    loop(on_line, _scrub(line, secrets), False)
            aux = item.get("aux")
            if isinstance(aux, dict) and aux.get("ID"):
                image_id = str(aux["ID"])
    if image_id is None:
        image_id = str(engine.api().inspect_image(tag)["Id"])
    if secrets:
        loop(on_status, "Removing the build secrets from the image's history")
        _remove_secrets(engine, image_id, tag, secrets)
    return tag
