"""``builder.add_node_app(...)``, ``add_npm_app``, ``add_vite_app`` and ``with_npm`` (Aspire's
``JavaScriptHostingExtensions``).

These functions are registered as entry points (``aspyre.builder_methods`` and ``aspyre.resource_methods``),
so app hosts call them as methods and never import this package.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

import aspyre
from aspyre.annotations import InstallCommand, MutationBehavior, PackageInstallAnnotation

from ._resources import JavaScriptAppResource, NodeAppResource, NpmAnnotation, ViteAppResource

__all__ = ["add_node_app", "add_npm_app", "add_vite_app", "with_npm"]

J = TypeVar("J", bound=JavaScriptAppResource)

#: The files whose contents decide an npm install (missing ones count too).
NPM_INPUTS = ("package.json", "package-lock.json", "npm-shrinkwrap.json", ".npmrc")
#: With one of these, the install is ``npm ci``.
LOCKFILES = ("package-lock.json", "npm-shrinkwrap.json")


class _ToolNotFoundError(aspyre.DistributedApplicationException, FileNotFoundError):
    """node or npm is not installed."""


def _require_tool(name: str, resource: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise _ToolNotFoundError(
            f"JavaScript app {resource!r} needs {name!r}, which is not on PATH: install Node.js "
            "(https://nodejs.org/en/download), which brings node and npm"
        )
    return found


def _app_dir(
    builder: aspyre.DistributedApplicationBuilder, name: str, app_dir: str | os.PathLike[str], *, package_json: bool
) -> Path:
    directory = builder.resolve_path(app_dir)
    if not directory.is_dir():
        raise ValueError(f"JavaScript app {name!r}: its directory {str(directory)!r} does not exist")
    if package_json and not (directory / "package.json").is_file():
        raise ValueError(
            f"JavaScript app {name!r}: {str(directory)!r} has no package.json, which names its scripts "
            "and packages (npm init -y makes one)"
        )
    return directory


def _add(
    builder: aspyre.DistributedApplicationBuilder, resource: J, command: str
) -> aspyre.ResourceBuilder[J]:
    if builder.execution_context.is_run_mode:
        _require_tool(command, resource.name)
    rb = builder.add_resource(resource)
    rb.with_environment("NODE_ENV", "development" if builder.execution_context.is_run_mode else "production")
    rb.with_http_endpoint(env="PORT")
    if (resource.working_dir / "package.json").is_file():
        with_npm(rb)
    return rb


def add_node_app(
    builder: aspyre.DistributedApplicationBuilder, name: str, app_dir: str | os.PathLike[str], script_path: str
) -> aspyre.ResourceBuilder[NodeAppResource]:
    """A Node.js script: ``add_node_app("web", "web", "server.js")`` runs ``node server.js`` in ``web/``.

    ``script_path`` is taken from the app's directory. The app gets an ``http`` endpoint whose port is in
    ``PORT``, and ``NODE_ENV=development``; with a ``package.json`` its packages are installed with npm
    before it starts (see :func:`with_npm`).
    """
    if not script_path:
        raise ValueError(f"Node app {name!r}: give the script to run, such as 'server.js'")
    directory = _app_dir(builder, name, app_dir, package_json=False)
    rb = _add(builder, NodeAppResource(name, command="node", working_dir=directory), "node")
    return rb.with_args(script_path)


def add_npm_app(
    builder: aspyre.DistributedApplicationBuilder,
    name: str,
    app_dir: str | os.PathLike[str],
    script: str = "start",
    args: Sequence[str] = (),
) -> aspyre.ResourceBuilder[JavaScriptAppResource]:
    """An npm script: ``add_npm_app("web", "web")`` runs ``npm run start`` in ``web/`` (``args`` after ``--``).

    The app gets an ``http`` endpoint whose port is in ``PORT``, and ``NODE_ENV=development``; its packages
    are installed with npm before it starts (see :func:`with_npm`).
    """
    directory = _app_dir(builder, name, app_dir, package_json=True)
    rb = _add(builder, JavaScriptAppResource(name, command="npm", working_dir=directory), "npm")
    rb.with_args("run", script)
    if args:
        rb.with_args("--", *args)
    return rb


def add_vite_app(
    builder: aspyre.DistributedApplicationBuilder, name: str, app_dir: str | os.PathLike[str], script: str = "dev"
) -> aspyre.ResourceBuilder[ViteAppResource]:
    """A Vite dev server: ``add_vite_app("ui", "ui")`` runs ``npm run dev -- --port <port> --strictPort --host 127.0.0.1``.

    The ``http`` endpoint's port goes to Vite's ``--port`` (and ``PORT``); ``--strictPort`` makes Vite fail
    rather than move to another port. Referenced resources reach the dev server's process (and so
    ``vite.config.js``) as environment variables: proxy ``/api`` to ``process.env.services__api__http__0``.
    """
    directory = _app_dir(builder, name, app_dir, package_json=True)
    resource = ViteAppResource(name, command="npm", working_dir=directory)
    rb = _add(builder, resource, "npm")
    port = resource.get_endpoint("http").property(aspyre.EndpointProperty.TARGET_PORT)
    host = "127.0.0.1" if builder.execution_context.is_run_mode else "0.0.0.0"
    return rb.with_args("run", script, "--", "--port", port, "--strictPort", "--host", host)


def _npm_install(resource: JavaScriptAppResource, npm: NpmAnnotation) -> PackageInstallAnnotation:
    wd = resource.working_dir

    def plan() -> list[InstallCommand]:
        executable = _require_tool("npm", resource.name)
        command = npm.install_command
        if command is None:
            command = "ci" if any((wd / f).is_file() for f in LOCKFILES) else "install"
        return [InstallCommand(executable, (command, "--no-audit", "--no-fund", *npm.install_args))]

    return PackageInstallAnnotation(
        installer="npm",
        working_dir=wd,
        plan=plan,
        inputs=NPM_INPUTS,
        state_dir=wd / "node_modules",
        fingerprint=" ".join(("npm", npm.install_command or "ci|install", *npm.install_args)),
    )


@aspyre.plugins.resource_extension(JavaScriptAppResource)
def with_npm(
    builder: aspyre.ResourceBuilder[J],
    install: bool = True,
    install_command: str | None = None,
    install_args: Sequence[str] = (),
) -> aspyre.ResourceBuilder[J]:
    """Install the app's packages with npm before it starts (the default for apps with a ``package.json``).

    ``npm ci`` when a lockfile (``package-lock.json``) is there, else ``npm install`` (or
    ``install_command``), with ``install_args``. The install runs before the first start (state
    ``Installing``, npm's output in the app's log) and again only when ``package.json``, the lockfile or
    ``.npmrc`` changed, or ``node_modules`` is gone. ``install=False``: no install step.
    """
    resource = builder.resource
    if not isinstance(resource, JavaScriptAppResource):
        raise TypeError(
            f"with_npm() needs a JavaScript app (add_node_app, add_npm_app, add_vite_app); resource "
            f"{resource.name!r} is a {type(resource).__name__}"
        )
    if install_command not in (None, "ci", "install"):
        raise ValueError(f"JavaScript app {resource.name!r}: install_command is 'ci' or 'install', not {install_command!r}")
    npm = NpmAnnotation(install, install_command, tuple(install_args))
    builder.with_annotation(npm, MutationBehavior.REPLACE)
    resource.annotations.remove_all(PackageInstallAnnotation)
    if install:
        builder.with_annotation(_npm_install(resource, npm))
    return builder
