"""The publisher contract: what a publisher is, what it receives, and how one is found by name."""

from __future__ import annotations

import argparse
import difflib
import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from aspyre._model._execution import ExecutionContext
from aspyre._model._graph import DistributedApplicationModel

from .._errors import DistributedApplicationException
from .._eventing._app import App

if TYPE_CHECKING:
    from aspyre._plugin_selection import PluginSelection

    from ._model import Manifest

__all__ = [
    "AmbiguousPublisherError",
    "Publisher",
    "PublishingContext",
    "PublisherOptionsError",
    "UnknownPublisherError",
    "parse_publisher_options",
    "publisher_names",
    "publisher_options_parser",
    "resolve_publisher",
]


@attrs.frozen
class PublishingContext:
    """What a publisher receives.

    ``model`` is the validated app model (after the before-start event, so plugins have made
    their last changes), ``output_path`` the directory given with ``--output-path`` (absolute),
    ``logger`` a logger named after the publisher, ``execution_context`` the publish-mode
    context (``execution_context.is_publish_mode`` is true). ``app`` is the
    :class:`~aspyre.DistributedApplication`; nothing in it is running. ``options`` holds the values of the
    publisher's own command-line options (``add_options``, see :class:`Publisher`), by ``dest``.
    """

    model: DistributedApplicationModel
    output_path: Path
    execution_context: ExecutionContext
    logger: logging.Logger
    publisher_name: str
    app: App | None = attrs.field(default=None, repr=False)
    options: Mapping[str, Any] = attrs.field(factory=dict, kw_only=True)

    def parameter_value(self, name: str) -> str | None:
        """The value given for parameter ``name`` for this publish, or ``None``.

        In order: ``--parameter NAME=VALUE`` on the command line, then the environment variable the
        parameter is read from in run mode (``Parameters__NAME``, also with ``_`` for ``-``;
        ``ConnectionStrings__NAME`` for a connection string from outside). Neither the value in
        code nor the secrets store of run mode is read: deployment values are given explicitly.
        Publishers that write deployment files use this; the manifest publisher does not.
        """
        import os

        given = self.execution_context.parameter_values
        for key, value in given.items():
            if key.lower() == name.lower():
                return value
        resource = self.model.get(name)
        configuration_key = getattr(resource, "configuration_key", None) or f"Parameters__{name}"
        for key in (configuration_key, configuration_key.replace("-", "_")):
            if key in os.environ:
                return os.environ[key]
        return None

    async def build_manifest(self, manifest_path: Path | None = None) -> Manifest:
        """The Aspire manifest of the model, as typed data (paths relative to ``manifest_path``'s directory).

        ``manifest_path`` defaults to ``output_path / "aspire-manifest.json"``. Publishers that
        turn the app into another format can start from this: every value is already a
        placeholder (``{cache.bindings.tcp.host}``, ``{api-key.value}``...).
        """
        from ._manifest import build_manifest, manifest_file_path

        return await build_manifest(
            self.model,
            manifest_path=manifest_path or manifest_file_path(self.output_path),
            execution_context=self.execution_context,
            logger=self.logger,
        )


@runtime_checkable
class Publisher(Protocol):
    """A publisher turns the app model into deployment artefacts, without starting anything.

    Publishers are found by name (``--publisher NAME``) in the ``aspyre.publishers`` entry
    point group. The entry point names a class with a no-argument constructor (or an object)
    with this method::

        # pyproject.toml of aspyre-publisher-compose
        [project.entry-points."aspyre.publishers"]
        compose = "aspyre_publisher_compose:ComposePublisher"

        class ComposePublisher:
            async def publish(self, context: aspyre.publishing.PublishingContext) -> None:
                manifest = await context.build_manifest()
                ...   # write files under context.output_path

    ``publish`` may return the path of the main file it wrote; ``DistributedApplication.publish_async``
    returns it (else the output directory).

    A publisher with options of its own (in the spirit of pytest's ``pytest_addoption``) also has
    ``add_options(self, parser)``: it adds them to ``parser`` (an ``argparse.ArgumentParser``) with
    ``parser.add_argument("--namespace", ...)``. They are read from the app host's arguments
    (``aspyre publish -p NAME --namespace prod``, or ``python apphost.py --publisher NAME --namespace prod``),
    their values reach :attr:`PublishingContext.options`, and ``aspyre publish -p NAME --help`` lists them.
    """

    async def publish(self, context: PublishingContext) -> Path | None:
        """Write the artefacts for ``context.model`` under ``context.output_path``."""
        ...


class UnknownPublisherError(DistributedApplicationException, LookupError):
    """No installed distribution provides a publisher of that name."""

    def __init__(self, name: str, installed: Sequence[str], *, reason: str | None = None) -> None:
        self.name = name
        self.installed = list(installed)
        close = difflib.get_close_matches(name, [i.split(" ", 1)[0] for i in installed], n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        listing = ", ".join(self.installed) if self.installed else "none"
        if reason is not None:
            super().__init__(f"Publisher {name!r} is installed, but {reason}.")
            return
        super().__init__(
            f"No publisher named {name!r} is installed.{hint} Installed publishers: {listing}. A publisher is "
            "provided by a distribution through the 'aspyre.publishers' entry point group (pip install the one "
            "you need)."
        )


class PublisherOptionsError(DistributedApplicationException, ValueError):
    """A publisher's own command-line option was given a value it does not accept (or is missing one)."""


class _OptionsParser(argparse.ArgumentParser):
    """A publisher's options: a bad value is a :class:`PublisherOptionsError` naming the publisher, never ``sys.exit``."""

    def error(self, message: str) -> Any:
        raise PublisherOptionsError(f"{self.prog}: {message}") from None


def publisher_options_parser(publisher: object, name: str) -> argparse.ArgumentParser | None:
    """The parser of the options ``publisher`` declares with ``add_options(parser)`` (``None``: it has none)."""
    add = getattr(publisher, "add_options", None)
    if not callable(add):
        return None
    parser = _OptionsParser(
        prog=f"aspyre publish -p {name}",
        add_help=False,
        allow_abbrev=False,
        description=f"Options of the {name!r} publisher.",
    )
    add(parser)
    return parser


def parse_publisher_options(publisher: object, name: str, args: Sequence[str]) -> dict[str, Any]:
    """The values of ``publisher``'s own options among ``args`` (the app host's other arguments are left)."""
    parser = publisher_options_parser(publisher, name)
    if parser is None:
        return {}
    namespace, _ = parser.parse_known_args(list(args))
    return vars(namespace)


class AmbiguousPublisherError(DistributedApplicationException, LookupError):
    """Several installed distributions provide a publisher of the same name."""


class _FunctionPublisher:
    """Adapts ``async def publish(context)`` (a plain function) to the contract."""

    def __init__(self, fn: Callable[[PublishingContext], Awaitable[Path | None]]) -> None:
        self._fn = fn

    async def publish(self, context: PublishingContext) -> Path | None:
        return await self._fn(context)

    def __repr__(self) -> str:
        return f"FunctionPublisher({getattr(self._fn, '__qualname__', self._fn)!r})"


def publisher_names() -> list[str]:
    """The installed publishers, each as ``name (distribution version)``, sorted by name."""
    from aspyre._plugins import GROUP_PUBLISHERS, registry

    entries = sorted(registry().entries(GROUP_PUBLISHERS), key=lambda e: (e.name, e.distribution))
    return [f"{e.name} ({e.distribution} {e.version})" for e in entries]


def resolve_publisher(name: str, selection: PluginSelection | None = None) -> Publisher:
    """The publisher installed as ``name`` (among the plugins ``selection`` allows; default: the process's).

    Raises :class:`UnknownPublisherError` (listing the installed ones) when there is none (or it is switched
    off), :class:`AmbiguousPublisherError` when several distributions provide it, and
    :class:`~aspyre.plugins.PluginLoadError` (naming the distribution) when it cannot be loaded.
    """
    # The hosting layer owns the entry-point registry; publishing only reads it.
    from aspyre._plugins import GROUP_PUBLISHERS, PluginLoadError, registry

    reg = registry()
    sel = reg.selection() if selection is None else selection
    installed = reg.find(GROUP_PUBLISHERS, name)
    entries = [e for e in installed if sel.allows(e)]
    if installed and not entries:
        raise UnknownPublisherError(name, publisher_names(), reason=sel.reason(installed[0]))
    if not entries:
        raise UnknownPublisherError(name, publisher_names())
    dists = sorted({e.distribution for e in entries})
    if len(dists) > 1:
        raise AmbiguousPublisherError(
            f"Publisher {name!r} is provided by several distributions: {', '.join(dists)}. Uninstall all but one."
        )
    entry = entries[0]
    obj = entry.load()
    try:
        if inspect.isclass(obj):
            obj = obj()
        elif not hasattr(obj, "publish") and inspect.iscoroutinefunction(obj):
            obj = _FunctionPublisher(obj)
    except Exception as exc:
        raise PluginLoadError(entry, exc) from exc
    publish = getattr(obj, "publish", None)
    if not isinstance(obj, Publisher) or not inspect.iscoroutinefunction(publish):
        raise PluginLoadError(
            entry,
            TypeError(
                f"{entry.value} is not a publisher: it must be a class (or object) with an "
                "'async def publish(self, context)' method, or an async function taking the context"
            ),
        )
    return obj
