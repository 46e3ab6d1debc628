"""The argument parser of the ``aspyre`` command, and the plugin options every command that loads an app
host shares (``-p no:NAME``, ``-p NAME``, ``--disable-plugin-autoload``)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

__all__ = ["build_parser", "named_publisher", "split_options"]

_MAIN_EPILOG = """\
examples:
  aspyre run                                  run ./apphost.py with a live view of its resources
  aspyre run examples/apphost.py              run another app host (a file, a directory or a module)
  aspyre run mypkg.apphost -- --my-flag 1     pass arguments to the app host after --
  aspyre publish -o out/                      write out/aspire-manifest.json
  aspyre describe --json                      the app model as JSON, without starting anything
  aspyre plugins                              installed integrations, publishers and hooks
  aspyre stubs                                make the installed extension methods known to mypy and pyright
  aspyre new apphost myapp/                   start a new app host

'python apphost.py' keeps working with the same app host flags (--publisher, --output-path).
"""

_RUN_EPILOG = """\
examples:
  aspyre run                          ./apphost.py; Ctrl-C stops everything (twice: force)
  aspyre run examples/apphost.py      a file (or a directory with an apphost.py)
  aspyre run mypkg.apphost            a module, found on sys.path and in the current directory
  aspyre run --plain | tee run.log    plain lines (the default when the output is not a terminal)
  aspyre run -p no:aspyre-dashboard   without one plugin, for this run
  aspyre run -- --feature-x           arguments after -- go to the app host (sys.argv[1:])
  aspyre run --no-dashboard           without the dashboard (flags of installed plugins reach the app host)

The exit code is 1 when a resource failed to start, 0 otherwise.
"""

_PUBLISH_EPILOG = """\
examples:
  aspyre publish -o out/                      the Aspire manifest: out/aspire-manifest.json
  aspyre publish examples/apphost.py -o out/  another app host
  aspyre publish -p NAME -o out/              a publisher installed as a plugin (see 'aspyre plugins')
  aspyre publish -p NAME --help               this help with the options of that publisher
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
  aspyre plugins --check              what a builder checks, quietly: for a plugin's CI
  aspyre plugins --json

The exit code is 1 when there is a problem: a plugin that fails to load, a hook plugin that does not fit
the hooks, two distributions providing the same method, a plugin made for another aspyre.
"""

_STUBS_EPILOG = """\
examples:
  aspyre stubs                        write the stubs into this environment's site-packages
  aspyre stubs --check                exit 1 when they are missing or out of date
  aspyre stubs --target typings/      somewhere else (a directory on your type checker's path)

Run it again after installing, upgrading or removing a plugin; builders warn when the stubs are out of date.
"""

_NEW_EPILOG = """\
examples:
  aspyre new apphost                  ./apphost.py with a Python app (and Redis when aspyre-redis is installed)
  aspyre new apphost myapp/           the same in myapp/
  aspyre new integration minio        ./aspyre-minio/: a distribution with add_minio(), tests and docs
"""

_PLUGIN_HELP = (
    "-p no:NAME switches the plugin NAME off for this run (a distribution such as aspyre-redis, or an entry-point "
    "name); -p NAME loads NAME when autoloading is off (repeatable)"
)


def _add_app_host(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "apphost",
        nargs="?",
        default=None,
        help="the app host: a .py file, a directory with an apphost.py, or a module (default: ./apphost.py)",
    )


def _add_plugin_options(parser: argparse.ArgumentParser, *, publish: bool = False) -> None:
    parser.add_argument(
        "-p",
        dest="plugins",
        action="append",
        default=[],
        metavar="NAME",
        help=("the publisher (default: manifest), or " + _PLUGIN_HELP) if publish else _PLUGIN_HELP,
    )
    parser.add_argument(
        "--disable-plugin-autoload",
        action="store_true",
        help="use only the plugins named with -p NAME (as ASPYRE_DISABLE_PLUGIN_AUTOLOAD=1; ASPYRE_PLUGINS lists them)",
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
    _add_plugin_options(run)

    publish = sub.add_parser(
        "publish",
        help="publish an app host (the Aspire manifest, or another publisher)",
        description="Run the app host in publish mode: the publisher writes its output to a directory.",
        epilog=_PUBLISH_EPILOG,
        formatter_class=fmt,
    )
    _add_app_host(publish)
    publish.add_argument("--publisher", default=None, help="the publisher, by name (default: manifest)")
    _add_plugin_options(publish, publish=True)
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
    _add_plugin_options(describe)

    plugins = sub.add_parser(
        "plugins",
        help="list installed integrations, publishers and hook plugins, and their problems",
        description=(
            "List every entry point of aspyre's plugin groups with its distribution and version, loading each "
            "one, and report what a builder would refuse or warn about: plugins that fail to load, hook plugins "
            "that do not fit the hooks, names two distributions (or aspyre itself) claim, plugins made for "
            "another aspyre, out-of-date type stubs."
        ),
        epilog=_PLUGINS_EPILOG,
        formatter_class=fmt,
    )
    plugins.add_argument("--json", action="store_true", help="print JSON instead of tables")
    plugins.add_argument("-v", "--verbose", action="store_true", help="show each plugin's entry point")
    plugins.add_argument(
        "--check",
        action="store_true",
        help="check everything a builder does at creation (load, register, validate hooks, detect conflicts, "
        "run aspyre_configure_builder) and print only the problems; exit 1 when there is one",
    )
    _add_plugin_options(plugins)

    stubs = sub.add_parser(
        "stubs",
        help="make the installed extension methods known to mypy and pyright",
        description=(
            "Write aspyre-stubs, a partial stub package with the real signatures of the methods the installed "
            "plugins add to the builders (builder.add_redis(...) -> ResourceBuilder[RedisResource])."
        ),
        epilog=_STUBS_EPILOG,
        formatter_class=fmt,
    )
    stubs.add_argument("--target", default=None, metavar="DIR", help="where to write (default: site-packages)")
    stubs.add_argument("--check", action="store_true", help="only check that the stubs are there and up to date")

    new = sub.add_parser(
        "new",
        help="start an app host or an integration from a template",
        description="Write a runnable app host, or a complete integration distribution that passes its own tests.",
        epilog=_NEW_EPILOG,
        formatter_class=fmt,
    )
    new.add_argument("template", choices=["apphost", "integration"], help="what to start")
    new.add_argument("name", nargs="?", default=None, help="apphost: the directory (default: .); integration: its name")
    new.add_argument(
        "-o", "--output", default=None, metavar="DIR", help="integration: the parent directory (default: .)"
    )
    new.add_argument("--force", action="store_true", help="overwrite files that exist")
    new.add_argument(
        "--no-redis", action="store_true", help="apphost: leave Redis out even when aspyre-redis is installed"
    )
    return parser


def named_publisher(args: Sequence[str]) -> str | None:
    """The publisher a ``publish`` command line names with ``--publisher NAME``, or with ``-p NAME`` when NAME is
    an installed publisher (read before parsing, to show that publisher's options in ``--help``)."""
    from aspyre._plugins import GROUP_PUBLISHERS, registry

    publishers = set(registry().names(GROUP_PUBLISHERS))
    for i, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("-p", "--publisher") and i + 1 < len(args):
            flag, value = arg, args[i + 1]
        elif arg.startswith("--publisher="):
            flag, value = "--publisher", arg.split("=", 1)[1]
        elif arg.startswith("-p") and not arg.startswith("--") and len(arg) > 2:
            flag, value = "-p", arg[2:]
        else:
            continue
        if flag == "--publisher" or value in publishers:
            return value
    return None


def split_options(parser: argparse.ArgumentParser, args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``args`` split into the options ``parser`` declares (with their values) and the rest, both in order.

    ``aspyre publish -p NAME --namespace prod apphost.py``: the publisher's ``--namespace prod`` must not be
    taken for the app host, so they are set apart before aspyre's own parser runs, and handed to the app host
    (whose publisher reads them) as they were written.
    """
    by_flag = {flag: action for action in parser._actions for flag in action.option_strings}
    mine: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, _ = arg.partition("=")
        action = by_flag.get(flag)
        i += 1
        if action is None:
            rest.append(arg)
            continue
        mine.append(arg)
        if eq:
            continue
        nargs = action.nargs
        if nargs is None:
            count = 1
        elif isinstance(nargs, int):
            count = nargs
        elif nargs == "?":
            count = 1 if i < len(args) and not args[i].startswith("-") else 0
        else:  # "*", "+": up to the next option
            count = 0
            while i + count < len(args) and not args[i + count].startswith("-"):
                count += 1
        mine.extend(args[i : i + count])
        i += count
    return mine, rest
