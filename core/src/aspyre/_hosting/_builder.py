"""The app builder: collects resources, then ``build()`` validates them into an app.

The fluent resource builders are in :mod:`aspyre._hosting._resource_builder`; the lookup of
extension methods and hook plugins in :mod:`aspyre._hosting._extensions`; the path rule in
:mod:`aspyre._hosting._paths`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
from attrs.validators import get_disabled as _validators_disabled

from aspyre._eventing._bus import DistributedApplicationEventing
from aspyre._eventing._hookspecs import PROJECT_NAME, HookSpecs
from aspyre._eventing._services import ServiceRegistry
from aspyre._hosting._config import SecretsStore, parse_args, resolve_parameter
from aspyre._loading_gc import freeze_at_exit
from aspyre._model._execution import ExecutionContext
from aspyre._model._names import name_key, validate_name
from aspyre._model._on_first_use import connection_string_parameter_resource, connection_string_resource
from aspyre._model._resources import (
    ContainerResource,
    ExecutableResource,
    GenerateParameterDefault,
    IResource,
    ParameterResource,
)
from aspyre._model._values import ReferenceExpression
from aspyre._plugins import (
    GROUP_BUILDER_METHODS,
    GROUP_RESOURCE_METHODS,
    PluginLoadError,
    registry,
)
from aspyre._public import present_top_level as _present_top_level

from ._builder_resources import ResourceKindsMixin
from ._extensions import builder_method, conflict_guards, core_conflicts, public_names, warn_if_stubs_stale
from ._integrations import DuplicateResourceError, check_name_available
from ._paths import AppHostPaths, caller_file, real_path
from ._python_apps import PythonAppBuilderMethods
from ._resource_builder import ResourceBuilder
from ._resource_builder._base import _RESOURCE_TYPES, _is_resource
from ._resource_builder._containers import check_image
from ._resource_builder._shared import SharedValues
from ._typed_extensions import BuilderExtensionMethods

if TYPE_CHECKING:

    from aspyre._hosting._app import DistributedApplication
    from aspyre._model._callback_contexts import HealthCheckContext
    from aspyre._model._connection_strings import ConnectionStringParameterResource, ConnectionStringResource
    from aspyre._model._scan import ResourceScan
    from aspyre._plugin_selection import PluginSelection

__all__ = ["DistributedApplicationBuilder", "DuplicateResourceError"]

T = TypeVar("T", bound=IResource)


class DistributedApplicationBuilder(AppHostPaths, ResourceKindsMixin, PythonAppBuilderMethods, BuilderExtensionMethods):
    """Collects resources, then :meth:`build` validates them into a :class:`DistributedApplication`.

    Create one with :meth:`DistributedApplication.create_builder`. Methods of installed
    integrations (``add_redis``, ``add_postgres``...) are found through entry points (``aspyre stubs``
    makes them known to type checkers).

    Creating a builder reads the command line (``args``, default ``sys.argv[1:]``) into
    :attr:`execution_context`, takes the process's plugin selection (``ASPYRE_DISABLE_PLUGINS``,
    ``-p no:NAME``...), makes one pluggy ``PluginManager`` for the project ``aspyre``, registers every
    ``aspyre.hooks`` entry point with it (a plugin that cannot be imported is reported with a
    ``RuntimeWarning`` and listed in :attr:`plugin_load_errors`, the others still load; one that does not
    fit the hooks raises :class:`~aspyre.plugins.PluginValidationError`) and calls the
    ``aspyre_configure_builder`` hook.
    """

    def __init__(
        self,
        args: Sequence[str] | None = None,
        *,
        app_host_path: str | os.PathLike[str] | None = None,
        load_plugins: bool = True,
    ) -> None:
        if args is None:
            args = sys.argv[1:]
        parsed = parse_args(args)
        self.args: tuple[str, ...] = tuple(args)
        self.remaining_args: tuple[str, ...] = parsed.remaining
        self.execution_context: ExecutionContext = parsed.execution_context
        if app_host_path is None:
            app_host_path = caller_file() or os.path.join(os.getcwd(), "apphost.py")
        # A str until something asks for the Path (app_host_path): pathlib stays off the builder's path.
        self._app_host_file = real_path(app_host_path)
        self._app_host_path = None
        self._directory_of = None
        self._resources: list[IResource] = []
        self._by_key: dict[str, IResource] = {}
        self._secrets_store: SecretsStore | None = None
        self._parameter_resolver: Callable[[ParameterResource], None] = self._resolve_parameter  # one for all of them
        self._shared = SharedValues()  # immutable values its resource builders share rather than make again
        self.health_checks: dict[str, Callable[[HealthCheckContext], Any]] = {}
        self.plugin_manager = pluggy.PluginManager(PROJECT_NAME)
        self.plugin_manager.add_hookspecs(HookSpecs)
        self.plugin_load_errors: list[PluginLoadError] = []
        self.eventing = DistributedApplicationEventing(self.plugin_manager)
        #: Shared objects by class (Aspire's ``builder.Services``): the app, its events and its commands
        #: see the same registry (``app.services``, ``event.services``).
        self.services = ServiceRegistry()
        self.services.add(self)
        self.services.add(self.eventing)
        self.services.add(self.execution_context)
        self._built = False
        self._plugin_selection = registry().selection()
        self._resource_builder_type: type[ResourceBuilder[Any]] = ResourceBuilder
        from ._hook_plugins import configure_builder, load_hook_plugins, plugin_name

        if load_plugins:
            errors, invalid = load_hook_plugins(self.plugin_manager, self._plugin_selection)
            self.plugin_load_errors.extend(errors)
            if invalid:
                first = invalid[0]
                raise type(first)(first.entry, first.problems, others=[plugin_name(e.entry) for e in invalid[1:]])
        self._guard_conflicts()
        warn_if_stubs_stale()
        configure_builder(self)
        freeze_at_exit()  # the exit of an app host's process need not walk what it made

    if not TYPE_CHECKING:  # type checkers see the methods of BuilderExtensionMethods instead

        def __getattr__(self, name: str) -> Any:
            """Find ``name`` among the installed builder extension methods (entry points)."""
            if name.startswith("_"):
                raise AttributeError(name)
            return builder_method(self, name)

    # -- plugins ------------------------------------------------------------------------------------
    @property
    def plugin_selection(self) -> PluginSelection:
        """Which installed plugins this builder uses (see ``docs/plugin-api.md``)."""
        return self._plugin_selection

    @property
    def disabled_plugins(self) -> frozenset[str]:
        """The plugin names switched off for this builder (:meth:`disable_plugin`, ``ASPYRE_DISABLE_PLUGINS``,
        ``-p no:NAME``)."""
        return self._plugin_selection.disabled

    def disable_plugin(self, name: str) -> bool:
        """Switch off the plugin ``name`` for this builder and the app built from it.

        ``name`` is a distribution (``aspyre-dashboard``), an entry-point name (``dashboard``) or
        ``distribution:entry``. Its hook implementations are unregistered and cannot be registered again
        (pluggy's ``set_blocked``) and its extension methods are no longer found; hooks that already ran
        (``aspyre_configure_builder``) are not undone, so call it before the app starts. Returns whether a
        registered hook plugin matched. ``ASPYRE_DISABLE_PLUGINS`` (names separated by commas) does the same
        for every builder, before the plugins are even imported.
        """
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"disable_plugin() needs a plugin name, got {name!r}")
        name = name.strip()
        self._plugin_selection = self._plugin_selection.with_options(disabled=[name])
        from aspyre._plugin_selection import PluginSelection

        pm = self.plugin_manager
        matched = False
        from ._hook_plugins import plugin_name

        for entry in registry().entries():
            if PluginSelection.matches(entry, name) and pm.has_plugin(plugin_name(entry)):
                pm.set_blocked(plugin_name(entry))
                matched = True
        # Hook plugins registered by hand (``pm.register(obj, name="dist:name")``) match by that name too.
        for registered, plugin in pm.list_name_plugin():
            if plugin is not None and registered and (registered == name or registered.partition(":")[2] == name):
                pm.set_blocked(registered)
                matched = True
        self._guard_conflicts()
        return matched

    def _guard_conflicts(self) -> None:
        """Plugin methods named like aspyre's own: calling the method raises, naming both sides."""
        for name in [n for n, v in vars(self).items() if getattr(v, "__aspyre_conflict_guard__", False)]:
            delattr(self, name)
        sel = self._plugin_selection
        builder_conflicts = core_conflicts(GROUP_BUILDER_METHODS, public_names(DistributedApplicationBuilder), sel)
        for name, guard in conflict_guards("builder", builder_conflicts).items():
            guard.__aspyre_conflict_guard__ = True  # type: ignore[attr-defined]
            setattr(self, name, guard)
        resource_conflicts = core_conflicts(GROUP_RESOURCE_METHODS, public_names(ResourceBuilder), sel)
        self._resource_builder_type = ResourceBuilder
        if resource_conflicts:
            namespace: dict[str, Any] = {"__slots__": ()}
            namespace.update(conflict_guards("resource_builder", resource_conflicts))
            self._resource_builder_type = type("ResourceBuilder", (ResourceBuilder,), namespace)

    @property
    def secrets_store(self) -> SecretsStore:
        """Where generated parameter values of this app host are kept (see :class:`SecretsStore`)."""
        if self._secrets_store is None:
            self._secrets_store = SecretsStore(self.app_host_path)
        return self._secrets_store

    def _resolve_parameter(self, parameter: ParameterResource) -> None:
        # Publish mode never writes generated values: nothing is going to run with them.
        store = None if self.execution_context.is_publish_mode else self.secrets_store
        resolve_parameter(parameter, store)

    # -- resources ----------------------------------------------------------------------------------
    @property
    def resources(self) -> tuple[IResource, ...]:
        """The resources added so far, in order."""
        return tuple(self._resources)

    def get_resource(self, name: str) -> IResource:
        """The resource called ``name`` (case-insensitive); ``KeyError`` naming the known ones if there is none."""
        found = self._lookup(name)
        if found is None:
            known = ", ".join(repr(r.name) for r in self._resources) or "none yet"
            raise KeyError(f"No resource named {name!r} in this app builder; its resources: {known}")
        return found

    def _lookup(self, name: str) -> IResource | None:
        return self._index_by_key().get(name_key(name))

    def add_resource(self, resource: T) -> ResourceBuilder[T]:
        """Add a resource to the model; names are unique case-insensitively."""
        return self._add(resource, made=False)

    def _add(self, resource: T, *, made: bool = True) -> ResourceBuilder[T]:
        # ``made``: by an ``add_*`` method here, of a resource class of aspyre's whose validator checked the name.
        if self._built:
            raise RuntimeError("build() was already called: the model can no longer grow")
        if made and not _validators_disabled():
            name = resource.name
        else:
            if not (_RESOURCE_TYPES.get(type(resource)) or _is_resource(resource)):
                raise TypeError(f"add_resource() needs a resource (name + annotations), got {resource!r}")
            name = validate_name("Resource", resource.name)
        key = name_key(name)
        by_key = self._by_key if len(self._by_key) == len(self._resources) else self._index_by_key()
        existing = by_key.get(key)
        if existing is resource:
            raise ValueError(f"Resource {name!r} was already added")
        if existing is not None:
            check_name_available(self, name, type(resource))  # raises DuplicateResourceError
        if isinstance(resource, ParameterResource) and not resource.has_resolver:
            resource.set_resolver(self._parameter_resolver)
        self._resources.append(resource)
        by_key[key] = resource
        return self._resource_builder_type(self, resource)

    def _index_by_key(self) -> dict[str, IResource]:
        # Kept in step with add_resource; rebuilt if the list was changed by other means.
        if len(self._by_key) != len(self._resources):
            self._by_key = {}
            for r in self._resources:
                self._by_key.setdefault(name_key(r.name), r)
        return self._by_key

    def create_resource_builder(self, resource: T) -> ResourceBuilder[T]:
        """A builder for a resource that is already in the model (or any resource object)."""
        return self._resource_builder_type(self, resource)

    def add_health_check(self, key: str, check: Callable[[HealthCheckContext], Any]) -> None:
        """Register a named health check for ``with_health_check(key)``."""
        if key in self.health_checks:
            raise ValueError(f"A health check named {key!r} is already registered")
        self.health_checks[key] = check

    def add_container(self, name: str, image: str, tag: str | None = None) -> ResourceBuilder[ContainerResource]:
        """A container from ``image`` (``[registry/]name[:tag]``); ``tag`` defaults to ``latest``."""
        resource = ContainerResource(name)  # its name is checked here (InvalidNameError)
        # A bad image reference fails before anything is added; the annotation is what with_image(image, tag) adds
        # to a container without one.
        resource.annotations.add(check_image(resource, "add_container", image, tag))
        return self._add(resource)

    def add_executable(
        self, name: str, command: str, *args: object, working_dir: str | os.PathLike[str] | None = None
    ) -> ResourceBuilder[ExecutableResource]:
        """A process: ``command`` with ``args``, in ``working_dir`` (default: the app host's directory)."""
        validate_name("Resource", name)
        if not isinstance(command, str):
            raise TypeError(
                f"add_executable() on resource {name!r}: the command must be a str (the program to run), not "
                f"{type(command).__name__}; its arguments go after it: add_executable(name, 'python', '-m', 'app')"
            )
        if not command:
            raise ValueError(f"Executable {name!r} needs a command")
        wd = self._path_arg(name, "add_executable", "working_dir", working_dir) or self.app_host_directory
        builder = self._add(ExecutableResource(name, command=command, working_dir=wd))
        if args:
            builder.with_args(*args)
        return builder

    def add_parameter(
        self,
        name: str,
        value: str | None = None,
        *,
        secret: bool = False,
        default: str | GenerateParameterDefault | None = None,
        publish_value_as_default: bool = False,
        description: str | None = None,
    ) -> ResourceBuilder[ParameterResource]:
        """A parameter: a value from the environment (``Parameters__{name}``), code, or a default.

        ``default=GenerateParameterDefault()`` generates a random value on first run and keeps
        it in the app host's secrets store.
        """
        if secret and publish_value_as_default:
            raise ValueError(f"Parameter {name!r}: a secret value cannot be published as the manifest default")
        if value is not None and not isinstance(value, str):
            raise TypeError(f"Parameter {name!r}: value must be a str")
        if default is not None and not isinstance(default, (str, GenerateParameterDefault)):
            raise TypeError(
                f"Parameter {name!r}: default must be a str or GenerateParameterDefault(), not {type(default).__name__}"
            )
        if description is not None and not isinstance(description, str):
            raise TypeError(f"Parameter {name!r}: description must be a str, not {type(description).__name__}")
        res = ParameterResource(
            name,
            secret=secret,
            value_in_code=value,
            default=default,
            publish_value_as_default=publish_value_as_default,
            description=description,
        )
        return self._add(res)

    def add_connection_string(
        self,
        name: str,
        expression: ReferenceExpression | str | None = None,
        *,
        environment_variable: str | None = None,
    ) -> ResourceBuilder[ConnectionStringResource | ConnectionStringParameterResource]:
        """A connection string: composed from values (``expression``), or supplied from outside.

        Without ``expression`` the value comes from the environment variable
        ``ConnectionStrings__{name}``; references receive it as usual.
        """
        if expression is None:
            return self._add(
                connection_string_parameter_resource()(name, secret=True, environment_variable=environment_variable)
            )
        if isinstance(expression, str):
            expression = ReferenceExpression.format(expression.replace("{", "{{").replace("}", "}}"))
        if not isinstance(expression, ReferenceExpression):
            raise TypeError(f"Connection string {name!r}: expression must be a ReferenceExpression or a str")
        return self._add(
            connection_string_resource()(name, expression=expression, environment_variable=environment_variable)
        )

    def _adopt_parameters(self) -> dict[int, ResourceScan]:
        """Add the parameters the model uses but that were made outside it (Aspire's free-standing
        parameters, e.g. ``create_default_password_parameter``), after the other resources, as Aspire
        writes them after the model in its manifest. A parameter of another builder, or whose name is
        taken, is left to validation. Returns each resource's scan (its values and dependencies; validation
        uses them too), by ``id``."""
        from aspyre._model._scan import scan_resource

        known = {id(r) for r in self._resources}
        todo = list(self._resources)
        scans: dict[int, ResourceScan] = {}
        i = 0
        while i < len(todo):  # breadth first, as parameters are found (a growing list, read by index)
            i += 1
            resource = todo[i - 1]
            scan = scans[id(resource)] = scan_resource(resource)
            for dep in scan.dependencies:
                if id(dep) in known or not isinstance(dep, ParameterResource) or self._lookup(dep.name) is not None:
                    continue
                if getattr(dep.resolver, "__self__", self) is not self:
                    continue  # added to another builder
                known.add(id(dep))
                if not dep.has_resolver:
                    dep.set_resolver(self._parameter_resolver)
                self._resources.append(dep)
                self._by_key[name_key(dep.name)] = dep
                todo.append(dep)
        return scans

    # -- build ----------------------------------------------------------------------------------------
    def build(self) -> DistributedApplication:
        """Validate the model (every problem in one :class:`ModelValidationError`) and make the app."""
        from aspyre._hosting._app import DistributedApplication
        from aspyre._hosting._loading import current_loading
        from aspyre._loading_gc import gc_paused
        from aspyre._model._graph import ModelValidationError, group_annotations, validate_scanned
        from aspyre._platform import host_exec_limits

        loading = current_loading()  # inside aspyre.load_app_host(): its configure(builder) goes first
        if loading is not None:
            loading.before_validation(self)
        with gc_paused():
            group_annotations(self._resources)  # kept until a resource's annotations change
            count = len(self._resources)
            scans = self._adopt_parameters()
            group_annotations(self._resources[count:])  # the parameters adopted
            problems = validate_scanned(
                self._resources, scans, host_limits=host_exec_limits(), inherited_environment=os.environ
            )
        if problems:
            raise ModelValidationError(problems)
        self._built = True
        app = DistributedApplication(self)
        if loading is not None:
            loading.built(app)
        return app


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
