"""A container's image: present locally, or pulled as its pull policy allows."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import anyio
import anyio.to_thread

from ..._model._container_annotations import ContainerImagePullPolicy
from .._specs import ContainerSpec
from ._engine import DockerEngine
from ._errors import (
    HINT,
    ContainerImageUnavailable,
    ContainerRuntimeUnavailable,
    EngineUnreachable,
    NotFound,
    connection_problem,
    explain,
)

__all__ = ["ImageCache", "ensure_image"]


class ImageCache:
    """Images found present in this session, by reference: each is inspected once, however many
    containers use it (containers starting together wait for the one inspection)."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._locks: dict[tuple[str, str | None], anyio.Lock] = {}

    def lock(self, key: tuple[str, str | None]) -> anyio.Lock:
        return self._locks.setdefault(key, anyio.Lock())

    def get(self, key: tuple[str, str | None]) -> dict[str, Any] | None:
        return self._found.get(key)

    def put(self, key: tuple[str, str | None], info: dict[str, Any]) -> None:
        self._found[key] = info

    def drop(self, image: str) -> None:
        """Forget *image* (it went away: the next container asks the engine again)."""
        for key in [key for key in self._found if key[0] == image]:
            del self._found[key]


async def ensure_image(
    engine: DockerEngine,
    spec: ContainerSpec,
    platform: str | None,
    status: Callable[[str], None],
    cache: ImageCache | None = None,
) -> dict[str, Any]:
    """The image's details, pulling it first when the pull policy says so (``status`` hears about the pull).

    *cache*: images already found this session are not asked for again (pull policy ``always`` still pulls).
    Raises :class:`ContainerImageUnavailable` with what to do when the image cannot be had.
    """
    if cache is None or spec.pull_policy is ContainerImagePullPolicy.ALWAYS:
        return await _ensure_image(engine, spec, platform, status)
    key = (spec.image, platform)
    async with cache.lock(key):
        info = cache.get(key)
        if info is None:
            info = await _ensure_image(engine, spec, platform, status)
            cache.put(key, info)
        return info


async def _ensure_image(
    engine: DockerEngine, spec: ContainerSpec, platform: str | None, status: Callable[[str], None]
) -> dict[str, Any]:
    policy = spec.pull_policy
    if policy is not ContainerImagePullPolicy.ALWAYS:
        info = await engine.call(_inspect_image, engine, spec.image)
        if info is not None:
            return info
        if policy is ContainerImagePullPolicy.NEVER:
            raise ContainerImageUnavailable(
                f"The image {spec.image} of container resource '{spec.resource_name}' is not present "
                f"locally and its pull policy is 'never'. Pull or build it first (`docker pull {spec.image}`), "
                "or use the pull policy 'missing'.",
                image=spec.image,
            )
    status(f"Pulling image {spec.image}")
    try:
        await anyio.to_thread.run_sync(
            functools.partial(_pull, engine, spec.image, platform), limiter=engine.limiter, abandon_on_cancel=True
        )
    except Exception as exc:
        if isinstance(exc, ContainerRuntimeUnavailable):
            raise
        local = "" if policy is not ContainerImagePullPolicy.ALWAYS else await _local_copy_note(engine, spec.image)
        raise ContainerImageUnavailable(
            f"The image {spec.image} of container resource '{spec.resource_name}' is not available "
            f"locally and could not be pulled: {explain(exc)}. Check the image name and tag, log in to "
            f"the registry (`docker login`) or make the image available locally (`docker pull` / "
            f"`docker build -t {spec.image} ...`).{local}",
            image=spec.image,
        ) from exc
    info = await engine.call(_inspect_image, engine, spec.image)
    if info is None:
        raise ContainerImageUnavailable(
            f"The image {spec.image} of container resource '{spec.resource_name}' was pulled but the "
            "engine does not find it under that name.",
            image=spec.image,
        )
    return info


async def _local_copy_note(engine: DockerEngine, image: str) -> str:
    info = await engine.call(_inspect_image, engine, image)
    if info is None:
        return ""
    return " A local copy exists: the pull policy 'missing' would use it."


def _inspect_image(engine: DockerEngine, image: str) -> dict[str, Any] | None:
    try:
        return engine.api().inspect_image(image)
    except NotFound:
        return None


def _pull(engine: DockerEngine, image: str, platform: str | None) -> None:
    """Pull through the docker SDK (registry authentication, credential helpers): off the common path."""
    from ._sdk import translated

    try:
        with translated():
            for item in engine.sdk().pull(image, stream=True, decode=True, platform=platform):
                if isinstance(item, dict) and item.get("error"):
                    raise RuntimeError(str(item["error"]).strip())
    except EngineUnreachable as exc:
        raise ContainerRuntimeUnavailable(
            f"Lost the connection to the container engine at {engine.where} ({connection_problem(exc)}). {HINT}"
        ) from exc
