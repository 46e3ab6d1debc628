"""Publish mode: the publisher contract and the manifest publisher."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["run_publisher"]


async def run_publisher(app: Any) -> Path:  # replaced by the publishing implementation
    raise NotImplementedError("publishing is not implemented yet")
