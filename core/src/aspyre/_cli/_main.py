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

if TYPE_CHECKING:
    from aspyre._hosting._app import DistributedApplication

__all__ = ["build_parser", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

#: The width rich lays out for when the output is not a terminal (wide enough never to wrap).
_PIPE_WIDTH = 1000

_MAIN_EPILOG = """\
examples:
  aspyre run                                  run ./apphost.py with a live view of its resources
  aspyre run examples/apphost.py              run another app host (a file, a directory or a module)
  aspyre run mypkg.apphost -- --my-flag 1     pass arguments to the app host after --
  aspyre publish -o out/                      write out/aspire-manifest.json
  aspyre describe --json                      the app model as JSON, without starting anything
  aspyre plugins                              installed integrations, publishers and hooks

'python apphost.py' keeps working with the same app host flags (--publisher, --output-path).
"""

_RUN_EPILOG = """\
examples:
  aspyre run                          ./apphost.py; Ctrl-C stops everything (twice: force)
  aspyre run examples/apphost.py      a file (or a directory with an apphost.py)
  aspyre run mypkg.apphost            a module, found on sys.path and in the current directory
  aspyre run --plain | tee run.log    plain lines (the default when the output is not a terminal)
  aspyre run -- --feature-x           arguments after -- go to the app host (sys.argv[1:])
  aspyre run --no-dashboard           without the dashboard (flags of installed plugins reach the app host)

The exit code is 1 when a resource failed to start, 0 otherwise.
"""

_PUBLISH_EPILOG = """\
examples:
  aspyre publish -o out/                      the Aspire manifest: out/aspire-manifest.json
  aspyre publish examples/apphost.py -o out/  another app host
  aspyre publish --publisher NAME -o out/     a publisher installed as a plugin (see 'aspyre plugins')
  aspyre publish -p docker-compose -o out/ --parameter api-key=...   a parameter's value for the publisher

Same as: python apphost.py --publisher manifest --output-path out/
"""

_DESCRIBE_EPILOG = """\
examples:
  aspyre describe                     the model of ./apphost.py as a tree
  aspyre describe --json | jq '.resources[].name'

Nothing is started. Environment values are shown as manifest expressions ({cache.connectionString}),
so parameter values and generated secrets never appear.
"""

_PLUGINS_EPILOG = """\
examples:
  aspyre plugins                      every aspyre entry point, loaded to check it works
  aspyre plugins -v                   with the entry point of each (module:object)
  aspyre plugins --json

The exit code is 1 when a plugin failed to load.
"""


def _add_app_host(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "apphost",
        nargs="?",
        default=None,
        help="the app host: a .py file, a directory with an apphost.py, or a module (default: ./apphost.py)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``aspyre`` command."""
    from aspyre import __version__

    fmt = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="aspyre",
        description="Run, publish and inspect aspyre app hosts (.NET Aspire's app model, in Python).",
        epilog=_MAIN_EPILOG,
        formatter_class=fmt,
    )
    parser.add_argument("--version", action="version", version=f"aspyre {__version__}")
    parser.add_argument(
        "--traceback", action="store_true", help="show full tracebacks (aspyre's frames too) when something fails"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    run = sub.add_parser(
        "run",
        help="run an app host and watch its resources",
        description="Start every resource of the app host, show their states and logs, stop them on Ctrl-C.",
        epilog=_RUN_EPILOG,
        formatter_class=fmt,
    )
    _add_app_host(run)
    run.add_argument(
        "--plain",
        action="store_true",
        help="print plain state-change and log lines, even on a terminal (the default elsewhere)",
    )
    run.add_argument("--no-logs", action="store_true", help="do not print the resources' log lines")

    publish = sub.add_parser(
        "publish",
        help="publish an app host (the Aspire manifest, or another publisher)",
        description="Run the app host in publish mode: the publisher writes its output to a directory.",
        epilog=_PUBLISH_EPILOG,
        formatter_class=fmt,
    )
    _add_app_host(publish)
    publish.add_argument("-p", "--publisher", default="manifest", help="the publisher (default: manifest)")
    publish.add_argument(
        "-o",
        "--output-path",
        default=None,
        help="the directory to write to (default: the current directory)",
    )
    publish.add_argument(
        "--parameter",
        dest="parameters",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a parameter's value for the publisher (repeatable; deployment publishers use it, the manifest "
        "does not); Parameters__NAME in the environment works too and keeps secrets off the command line",
    )

    describe = sub.add_parser(
        "describe",
        help="show the app model as a tree, without starting anything",
        description=(
            "Show every resource with its parent, references, waits, endpoints and environment "
            "(secrets masked), without starting anything."
        ),
        epilog=_DESCRIBE_EPILOG,
        formatter_class=fmt,
    )
    _add_app_host(describe)
    describe.add_argument("--json", action="store_true", help="print JSON instead of a tree")

    plugins = sub.add_parser(
        "plugins",
        help="list installed integrations, publishers and hook plugins",
        description=(
            "List every entry point of aspyre's plugin groups with its distribution and version, "
            "loading each one to report the plugins that fail to load and why."
        ),
        epilog=_PLUGINS_EPILOG,
        formatter_class=fmt,
    )
    plugins.add_argument("--json", action="store_true", help="print JSON instead of tables")
    plugins.add_argument("-v", "--verbose", action="store_true", help="show each plugin's entry point")
    return parser


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
    ns, extra = parser.parse_known_args(before)
    app_args = [*extra, *after]
    if ns.command == "plugins" and app_args:
        parser.error(f"unrecognized arguments: {' '.join(app_args)}")
    ctx = _Context(ns.traceback)
    try:
        if ns.command == "plugins":
            from ._plugins import plugins_command

            return plugins_command(ctx.out, as_json=ns.json, verbose=ns.verbose)
        source = _resolve(ctx, ns.apphost)
        if source is None:
            return EXIT_USAGE
        if ns.command == "run":
            return _run(ctx, source, app_args, plain=ns.plain, show_logs=not ns.no_logs)
        if ns.command == "publish":
            return _publish(ctx, source, app_args, ns.publisher, ns.output_path, ns.parameters)
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

    from ._run import AspyreLogging, console_log_handler

    try:
        with AspyreLogging(console_log_handler(ctx.err), level=logging.WARNING):
            path = anyio.run(app.publish_async)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        ctx.report_exception(f"publishing with {app.execution_context.publisher_name!r} failed:", exc)
        return EXIT_FAILED
    ctx.out.print(f"Published ({app.execution_context.publisher_name}) to {path}", soft_wrap=True)
    return EXIT_OK


def _describe(ctx: _Context, source: AppHostSource, app_args: list[str], *, as_json: bool) -> int:
    from ._describe import describe_command

    app = ctx.load(source, app_args)
    if app is None:
        return EXIT_FAILED
    return describe_command(app, ctx.out, as_json=as_json)
