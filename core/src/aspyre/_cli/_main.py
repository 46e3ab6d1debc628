"""Argument parsing and dispatch for the ``aspyre`` command."""

from __future__ import annotations

import argparse
import functools
import os
import runpy
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from aspyre._hosting._loading import AppHostNotFoundError, AppHostSource, load_app_host, resolve_app_host

from ._names import public_path
from ._parser import build_parser, named_publisher

if TYPE_CHECKING:
    from aspyre._hosting._app import DistributedApplication

__all__ = ["build_parser", "main"]

#: The commands that load an app host (and take the plugin options).
_APP_HOST_COMMANDS = ("run", "publish", "describe")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: The width rich lays out for when the output is not a terminal (wide enough never to wrap).
_PIPE_WIDTH = 1000

def _split_passthrough(argv: list[str]) -> tuple[list[str], list[str]]:
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1 :]
    return argv, []


@functools.cache
def _frame_prefixes() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(internal, kept): aspyre's, anyio's and the standard library's directories; site-packages."""
    import sysconfig

    import anyio

    def directory(path: str) -> str:
        return str(Path(path).resolve()) + os.sep

    internal = [directory(str(Path(__file__).parent.parent)), directory(str(Path(anyio.__file__).parent))]
    paths = sysconfig.get_paths()
    if paths.get("stdlib"):
        internal.append(directory(paths["stdlib"]))
    kept = tuple(directory(paths[k]) for k in ("purelib", "platlib") if paths.get(k))
    return tuple(internal), kept


def _is_internal_frame(filename: str) -> bool:
    """aspyre's, anyio's and the standard library's frames: noise in an app host's error."""
    if filename.startswith("<frozen") or filename == runpy.__file__:
        return True
    try:
        resolved = str(Path(filename).resolve())
    except OSError:  # pragma: no cover
        resolved = filename
    internal, kept = _frame_prefixes()
    aspyre_dir = internal[0]
    if resolved.startswith(aspyre_dir):
        return True
    return resolved.startswith(internal) and not resolved.startswith(kept)


def format_user_error(exc: BaseException, *, full: bool = False) -> str:
    """A traceback of the user's frames (the app host's), without aspyre's and runpy's."""
    te = traceback.TracebackException.from_exception(exc)
    if not full:
        frames = [f for f in te.stack if not _is_internal_frame(f.filename)]
        te.stack = traceback.StackSummary.from_list(frames)
    text = "".join(te.format() if full or te.stack else te.format_exception_only())
    # Exceptions by their public name (aspyre.X, aspyre_redis.X), not their private module's.
    kind = type(exc)
    public = public_path(kind)
    if public != f"{kind.__module__}.{kind.__qualname__}":
        text = text.replace(f"{kind.__module__}.{kind.__qualname__}", public)
    return text


def _unwrap_group(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


class _Context:
    """What every command needs: the consoles and the error reporting."""

    def __init__(self, full_traceback: bool) -> None:
        from rich.console import Console

        self.full_traceback = full_traceback
        self.out: Console = Console(highlight=False)
        self.err: Console = Console(stderr=True, highlight=False)
        for console in (self.out, self.err):
            if not console.is_terminal:  # pipes and CI logs: never wrap or crop lines
                console.width = _PIPE_WIDTH

    def error(self, message: str) -> None:
        from rich.markup import escape

        self.err.print(f"[bold red]error:[/] {escape(message)}")

    def report_exception(self, what: str, exc: BaseException) -> None:
        from rich.markup import escape
        from rich.text import Text

        exc = _unwrap_group(exc)
        self.err.print(f"[bold red]error:[/] {escape(what)}")
        self.err.print(Text(format_user_error(exc, full=self.full_traceback).rstrip("\n")))

    def load(self, source: AppHostSource, args: Sequence[str]) -> DistributedApplication | None:
        try:
            return load_app_host(source, args, restore=False)
        except SystemExit:
            raise
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            self.report_exception(f"the app host {source.display_name} failed while building its model:", exc)
            return None


def _resolve(ctx: _Context, app_host: str | None) -> AppHostSource | None:
    try:
        return resolve_app_host(app_host)
    except AppHostNotFoundError as exc:
        ctx.error(str(exc))
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    before, after = _split_passthrough(args_list)
    parser = build_parser()
    if _publisher_help(parser, before):
        return EXIT_OK
    before, publisher_args = _publisher_options(before)
    ns, extra = parser.parse_known_args(before)
    app_args = [*publisher_args, *extra, *after]
    if ns.command in ("plugins", "stubs", "new") and app_args:
        parser.error(f"unrecognized arguments: {' '.join(app_args)}")
    ctx = _Context(ns.traceback)
    try:
        if ns.command == "stubs":
            from ._stubs import stubs_command

            return stubs_command(ctx.out, ctx.err, target=ns.target, check=ns.check)
        if ns.command == "new":
            from ._new import new_command

            return new_command(ctx, ns.template, ns.name, output=ns.output, force=ns.force, redis=not ns.no_redis)
        publisher = None
        if ns.command in (*_APP_HOST_COMMANDS, "plugins"):
            chosen = _select_plugins(ctx, ns)
            if chosen is None:
                return EXIT_USAGE
            publisher = chosen or None
        if ns.command == "plugins":
            from ._plugins import plugins_command

            return plugins_command(ctx.out, as_json=ns.json, verbose=ns.verbose, check=ns.check)
        source = _resolve(ctx, ns.apphost)
        if source is None:
            return EXIT_USAGE
        if ns.command == "run":
            return _run(ctx, source, app_args, plain=ns.plain, show_logs=not ns.no_logs)
        if ns.command == "publish":
            return _publish(ctx, source, app_args, publisher or "manifest", ns.output_path, ns.parameters)
        if ns.command == "describe":
            return _describe(ctx, source, app_args, as_json=ns.json)
    except KeyboardInterrupt:
        ctx.err.print("interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `aspyre ... | head`
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:  # pragma: no cover
            pass
        return EXIT_FAILED
    parser.error(f"unknown command {ns.command!r}")  # pragma: no cover - argparse rejects it first
    return EXIT_USAGE  # pragma: no cover


def _select_plugins(ctx: _Context, ns: argparse.Namespace) -> str | None:
    """Apply ``-p no:NAME``, ``-p NAME`` and ``--disable-plugin-autoload`` to the process's plugin selection.

    Returns the publisher ``publish`` names (``""`` for none), or ``None`` after reporting a usage error.
    """
    from aspyre._plugin_selection import PluginSelection
    from aspyre._plugins import GROUP_PUBLISHERS, normalize_distribution, registry

    reg = registry()
    publisher: str = getattr(ns, "publisher", None) or ""
    disabled: list[str] = []
    enabled: list[str] = []
    publishers = set(reg.names(GROUP_PUBLISHERS))
    for value in ns.plugins:
        if value.startswith("no:"):
            disabled.append(value[3:])
        elif ns.command == "publish" and not publisher and value in publishers:
            publisher = value
        else:
            enabled.append(value)
    if publisher:
        # The publisher asked for is used, with the rest of its distribution, even when autoloading is off.
        enabled += [normalize_distribution(e.distribution) for e in reg.find(GROUP_PUBLISHERS, publisher)]
    selection = PluginSelection.from_environment().with_options(
        disabled=disabled, enabled=enabled, autoload=False if ns.disable_plugin_autoload else None
    )
    entries = reg.entries()
    unknown = [n for n in enabled if n in selection.unknown_names(entries)]
    if unknown:
        installed = sorted({normalize_distribution(e.distribution) for e in entries})
        ctx.error(
            f"-p {unknown[0]}: no installed plugin has that name (a distribution or an entry point); installed: "
            + (", ".join(installed) or "none")
            + (". Publishers: " + ", ".join(sorted(publishers)) if ns.command == "publish" else "")
        )
        return None
    for name in disabled:
        if name in selection.unknown_names(entries):
            ctx.err.print(f"[yellow]warning:[/] -p no:{name}: no installed plugin has that name", soft_wrap=True)
    reg.select(selection)
    return publisher


def _publisher_options(before: list[str]) -> tuple[list[str], list[str]]:
    """The options of the publisher a ``publish`` command names, set apart from the rest (see ``split_options``)."""
    if "publish" not in before:
        return before, []
    at = before.index("publish") + 1
    name = named_publisher(before[at:])
    if name is None:
        return before, []
    from aspyre._publishing import publisher_options_parser, resolve_publisher

    try:
        options = publisher_options_parser(resolve_publisher(name), name)
    except Exception:  # reported when the app host publishes
        return before, []
    if options is None:
        return before, []
    from ._parser import split_options

    mine, rest = split_options(options, before[at:])
    return [*before[:at], *rest], mine


def _publisher_help(parser: argparse.ArgumentParser, before: list[str]) -> bool:
    """``aspyre publish -p NAME --help``: the publish help, then the options of that publisher."""
    if "publish" not in before or not ({"-h", "--help"} & set(before)):
        return False
    name = named_publisher(before[before.index("publish") + 1 :])
    if name is None:
        return False
    from aspyre._publishing import publisher_options_parser, resolve_publisher

    try:
        options = publisher_options_parser(resolve_publisher(name), name)
    except Exception as exc:
        parser.exit(EXIT_FAILED, f"aspyre publish: error: {exc}\n")
    subparsers = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sys.stdout.write(subparsers.choices["publish"].format_help())
    if options is None:
        sys.stdout.write(f"\nThe {name!r} publisher has no options of its own.\n")
    else:
        sys.stdout.write("\n" + options.format_help())
    return True


def _run(ctx: _Context, source: AppHostSource, app_args: list[str], *, plain: bool, show_logs: bool) -> int:
    from ._run import run_app

    app = ctx.load(source, app_args)
    if app is None:
        return EXIT_FAILED
    if app.execution_context.is_publish_mode:
        return _do_publish(ctx, app)
    try:
        return run_app(app, console=ctx.out, plain=plain or not ctx.out.is_terminal, show_logs=show_logs)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        ctx.report_exception(f"running {source.display_name} failed:", exc)
        return EXIT_FAILED


def _publish(
    ctx: _Context,
    source: AppHostSource,
    app_args: list[str],
    publisher: str,
    output_path: str | None,
    parameters: Sequence[str] = (),
) -> int:
    args = ["--publisher", publisher]
    if output_path is not None:
        args += ["--output-path", output_path]
    for item in parameters:
        args += ["--parameter", item]
    app = ctx.load(source, [*args, *app_args])
    if app is None:
        return EXIT_FAILED
    return _do_publish(ctx, app)


def _do_publish(ctx: _Context, app: DistributedApplication) -> int:
    import logging

    import anyio

    from aspyre._hosting._console import published_message
    from aspyre._plugins import PluginLoadError
    from aspyre._publishing import AmbiguousPublisherError, PublisherOptionsError, UnknownPublisherError

    from ._run import AspyreLogging, console_log_handler

    try:
        with AspyreLogging(console_log_handler(ctx.err), level=logging.WARNING):
            path = anyio.run(app.publish_async)
    except KeyboardInterrupt:
        raise
    except (UnknownPublisherError, AmbiguousPublisherError, PluginLoadError, PublisherOptionsError) as exc:
        ctx.error(str(exc))  # one message, as 'python apphost.py' prints it: no traceback through importlib
        return EXIT_FAILED
    except BaseException as exc:
        ctx.report_exception(f"publishing with {app.execution_context.publisher_name!r} failed:", exc)
        return EXIT_FAILED
    ctx.out.print(published_message(app.execution_context.publisher_name or "manifest", path), soft_wrap=True)
    return EXIT_OK


def _describe(ctx: _Context, source: AppHostSource, app_args: list[str], *, as_json: bool) -> int:
    from ._describe import describe_command

    app = ctx.load(source, app_args)
    if app is None:
        return EXIT_FAILED
    return describe_command(app, ctx.out, as_json=as_json)
