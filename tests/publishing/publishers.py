"""Publishers registered by the contract tests (through registry entries pointing here)."""

from __future__ import annotations

from pathlib import Path

import aspyre

#: What the recording publishers saw, in order.
CALLS: list[tuple[str, object]] = []


class RecordingPublisher:
    """Records the context it got and writes one file."""

    async def publish(self, context: aspyre.publishing.PublishingContext) -> Path:
        CALLS.append(("publish", context))
        context.output_path.mkdir(parents=True, exist_ok=True)
        path = context.output_path / "names.txt"
        path.write_text("\n".join(r.name for r in context.model) + "\n")
        context.logger.info("wrote %s", path)
        return path


async def function_publisher(context: aspyre.publishing.PublishingContext) -> None:
    """A publisher that is a plain async function."""
    CALLS.append(("function", context))


class FailingPublisher:
    async def publish(self, context: aspyre.publishing.PublishingContext) -> None:
        raise RuntimeError("the deployment target refused the model")


class NotAPublisher:
    def publish(self, context: aspyre.publishing.PublishingContext) -> None:  # not async
        pass


class BrokenConstructor:
    def __init__(self) -> None:
        raise ValueError("missing configuration for the publisher")

    async def publish(self, context: aspyre.publishing.PublishingContext) -> None:  # pragma: no cover - never constructed
        pass
