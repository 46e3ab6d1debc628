"""Python apps: their environment, package installs, debugger and instrumentation (Aspire's
``PythonAppResourceBuilderExtensions``).

``self`` is annotated with a builder of :class:`PythonAppResource`, so type checkers reject these methods on
other builders; they also check at run time.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, TypeVar

from aspyre._model._annotations import MutationBehavior
from aspyre._model._endpoints import EndpointAnnotation

from .._paths import resolve_path
from ._base import R_co, ResourceBuilderBase, require_type

# The Python-app resources and annotations (``_model._install``, ``_model._python``) and ``_python_env`` (``shutil``...)
# are imported by the methods that use them: an app host without Python apps does not create those classes.
if TYPE_CHECKING:
    from aspyre._model._python import PythonAppResource

__all__ = ["PythonMethods"]

#: A builder of a Python app (or of a subclass: ``ResourceBuilder[UvicornAppResource]``).
_PB = TypeVar("_PB", bound="ResourceBuilderBase[PythonAppResource]")


def _python(builder: ResourceBuilderBase[PythonAppResource], method: str) -> PythonAppResource:
    from aspyre._model._python import PythonAppResource
    resource = builder.resource
    require_type(resource, (PythonAppResource,), "a Python app (PythonAppResource)", method)
    return resource


def _reinstall(builder: ResourceBuilderBase[PythonAppResource], resource: PythonAppResource) -> None:
    from aspyre._model._install import PackageInstallAnnotation
    from aspyre._model._python import PythonPackageManagerAnnotation

    from .._python_env import install_annotation

    manager = resource.annotations.last(PythonPackageManagerAnnotation)
    resource.annotations.remove_all(PackageInstallAnnotation)
    if manager is not None and manager.install:
        builder.with_annotation(install_annotation(resource, manager))


def _package_manager(builder: _PB, name: str, install: bool, args: tuple[str, ...] | None, method: str) -> _PB:
    from aspyre._model._python import PythonPackageManagerAnnotation

    from .._python_env import set_environment

    resource = _python(builder, method)
    builder.with_annotation(PythonPackageManagerAnnotation(name, args, install=install), MutationBehavior.REPLACE)
    set_environment(resource, resource.virtual_environment or resource.working_dir / ".venv")
    _reinstall(builder, resource)
    return builder


class PythonMethods(ResourceBuilderBase[R_co]):
    """``with_virtual_environment``, ``with_uv``, ``with_pip``, ``with_debugpy``, ``with_auto_instrumentation``."""

    __slots__ = ()

    def with_virtual_environment(self: _PB, path: str | os.PathLike[str]) -> _PB:
        """Run the app in the virtual environment at ``path`` (relative to the app's directory).

        ``with_uv()`` / ``with_pip()`` create it when it does not exist; without them it must exist when
        the app starts.
        """
        from .._python_env import set_environment

        resource = _python(self, "with_virtual_environment")
        venv = resolve_path(path, resource.working_dir)
        set_environment(resource, venv)
        _reinstall(self, resource)
        return self

    def with_uv(self: _PB, install: bool = True, args: Sequence[str] | None = None) -> _PB:
        """Create the app's environment and install its packages with uv before it starts (Aspire's ``WithUv``).

        ``uv sync`` from ``pyproject.toml`` (and ``uv.lock``), or ``uv pip install -r requirements.txt`` in a
        ``uv venv`` when there is no ``pyproject.toml``; ``args`` replaces that command line (after ``uv``).
        The environment is ``<app dir>/.venv`` unless ``with_virtual_environment`` chose another. The
        install runs before the first start (state ``Installing``) and again only when ``pyproject.toml``,
        ``uv.lock``, ``requirements.txt`` or ``.python-version`` changed. ``install=False`` only records uv
        as the package manager. uv comes from PyPI (the ``uv`` package, an aspyre dependency).
        """
        return _package_manager(self, "uv", install, None if args is None else tuple(args), "with_uv")

    def with_pip(self: _PB, install: bool = True, install_args: Sequence[str] = ()) -> _PB:
        """Create the app's environment (``python -m venv``) and ``pip install`` its packages before it starts.

        From ``requirements.txt``, else the ``pyproject.toml`` project (``pip install .``); ``install_args``
        are added to ``pip install``. Skipped while those files are unchanged, as for :meth:`with_uv`.
        """
        return _package_manager(self, "pip", install, tuple(install_args), "with_pip")

    def with_debugpy(self: _PB, port: int | None = None, wait_for_client: bool = False) -> _PB:
        """Run the app under debugpy, listening on the endpoint ``debugpy`` (run mode only).

        ``port``: a fixed port (for an editor's attach configuration), else a free one, shown with the
        resource's URLs. ``wait_for_client``: the app's code starts once a debugger attached. The app's
        environment needs ``debugpy`` (from PyPI); without it the app fails to start and says so.
        """
        from aspyre._model._python import DebugpyAnnotation

        resource = _python(self, "with_debugpy")
        if not self.application_builder.execution_context.is_run_mode:
            return self
        resource.annotations.remove_all(DebugpyAnnotation)
        for ep in resource.annotations.all(EndpointAnnotation):
            if ep.name == "debugpy":
                resource.annotations.remove(ep)
        self.with_annotation(EndpointAnnotation("debugpy", scheme="tcp", port=port, is_proxied=False))
        return self.with_annotation(DebugpyAnnotation("debugpy", wait_for_client))

    def with_auto_instrumentation(self: _PB, enabled: bool = True) -> _PB:
        """Whether the app runs through ``opentelemetry-instrument`` when its environment has it (it does by default)."""
        from aspyre._model._python import AutoInstrumentationAnnotation

        _python(self, "with_auto_instrumentation")
        return self.with_annotation(AutoInstrumentationAnnotation(enabled), MutationBehavior.REPLACE)
