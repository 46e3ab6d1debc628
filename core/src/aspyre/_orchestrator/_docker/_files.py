"""Files created in a container before it starts (``with_container_files``): one archive copied into it."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable

from .._specs import FileSpec
from ._engine import DockerEngine

__all__ = ["files_archive", "put_files"]


def files_archive(files: Iterable[FileSpec]) -> bytes:
    """A tar archive of *files*, paths relative to ``/`` (missing parent directories are made by the engine)."""
    import tarfile  # here: only containers with files need it (~3 ms to import)

    buffer = io.BytesIO()
    now = time.time()
    with tarfile.open(fileobj=buffer, mode="w:", format=tarfile.PAX_FORMAT) as archive:
        for spec in files:
            info = tarfile.TarInfo(spec.path.lstrip("/"))
            info.mode = spec.mode
            info.uid, info.gid = spec.uid, spec.gid
            info.mtime = now
            if spec.contents is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(spec.contents)
                archive.addfile(info, io.BytesIO(spec.contents))
    return buffer.getvalue()


def put_files(engine: DockerEngine, container_id: str, files: tuple[FileSpec, ...]) -> None:
    """Copy *files* into the created (not yet started) container (blocking)."""
    if not files:
        return
    if not engine.api().put_archive(container_id, "/", files_archive(files)):
        raise RuntimeError("the engine refused the archive of container files")
