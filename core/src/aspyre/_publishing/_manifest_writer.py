"""Writing the manifest: Aspire's ``ManifestPublishingContext`` rules applied to the app model.

Resources in model order, then the resources that were referenced but are not in the model, then the
``annotated.string`` entries of parameters used with a format (``{pw:uri}``). Values are placeholders,
never live values; paths are relative to the manifest's directory.
"""

from __future__ import annotations

import inspect
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aspyre._errors import DistributedApplicationException
from aspyre._model._annotations import (
    CommandLineArgsCallbackAnnotation,
    ContainerImageAnnotation,
    EnvironmentCallbackAnnotation,
    ManifestPublishingCallbackAnnotation,
)
from aspyre._model._connection_strings import ConnectionStringParameterResource
from aspyre._model._container_annotations import ContainerMountAnnotation, ContainerMountType, DockerfileBuildAnnotation
from aspyre._model._endpoints import EndpointAnnotation, _protocol_value
from aspyre._model._environment import (
    arguments_without_callbacks,
    compute_arguments,
    compute_environment,
    environment_without_callbacks,
)
from aspyre._model._execution import ExecutionContext
from aspyre._model._graph import DistributedApplicationModel
from aspyre._model._names import name_key
from aspyre._model._python import PythonAppResource
from aspyre._model._resources import (
    ContainerResource,
    ExecutableResource,
    GenerateParameterDefault,
    IResource,
    IResourceWithConnectionString,
    ParameterResource,
)
from aspyre._model._scan import GROUPED

from ._manifest_context import ManifestPublishingContext
from ._manifest_values import ManifestValues, parameter_value
from ._model import (
    _TYPED,
    Manifest,
    ManifestAnnotatedString,
    ManifestBinding,
    ManifestBindMount,
    ManifestBuild,
    ManifestBuildSecret,
    ManifestContainer,
    ManifestExecutable,
    ManifestGenerateDefault,
    ManifestParameter,
    ManifestParameterDefault,
    ManifestParameterInput,
    ManifestRawResource,
    ManifestResource,
    ManifestValue,
    ManifestVolume,
    _structure_resource,
    manifest_converter,
)

#: What Aspire writes for a resource it cannot describe.
UNSUPPORTED_RESOURCE_ERROR = "This resource does not support generation in the manifest."

_log = logging.getLogger("aspyre.publishing.manifest")


class ManifestPublishingError(DistributedApplicationException, RuntimeError):
    """A resource's manifest entry could not be written (the message names the resource)."""


class _PortAllocator:
    """Aspire's publish-time port allocator: free ports counted up from 8000, shared by the whole manifest."""

    def __init__(self, start: int = 8000) -> None:
        self._next = start
        self._used: set[int] = set()

    def allocate(self) -> int:
        while self._next in self._used:
            self._next += 1
        return self._next

    def add_used(self, port: int) -> None:
        self._used.add(port)


# What a resource is, by its type (flags; the writer asks at every resource): a container, an executable, a
# parameter, a resource with a connection string.
_CONTAINER, _EXECUTABLE, _PARAMETER, _CONNECTION_STRING = 1, 2, 4, 8
_FACTS: dict[type, int] = {}


def _facts(resource: object) -> int:
    facts = 0
    for flag, kind in (
        (_CONTAINER, ContainerResource),
        (_EXECUTABLE, ExecutableResource),
        (_PARAMETER, ParameterResource),
        (_CONNECTION_STRING, IResourceWithConnectionString),
    ):
        if isinstance(resource, kind):
            facts |= flag
    if resource.__class__ is type(resource):  # not a proxy that claims another class: the answer holds for its type
        _FACTS[type(resource)] = facts
    return facts


async def _call(callback: Callable[[Any], Awaitable[None] | None], context: Any) -> None:
    result = callback(context)
    if inspect.isawaitable(result):
        await result


class _ManifestWriter(ManifestValues):
    """The state of one manifest being written (Aspire's ``ManifestPublishingContext`` internals)."""

    def __init__(
        self,
        model: DistributedApplicationModel,
        manifest_path: Path,
        execution_context: ExecutionContext,
        logger: logging.Logger,
    ) -> None:
        self.model = model
        self.manifest_path = Path(manifest_path).absolute()
        self.manifest_dir = self.manifest_path.parent
        self.execution_context = execution_context
        self.logger = logger
        self.ports = _PortAllocator()
        self.entries: dict[str, ManifestResource] = {}
        self._model_keys = frozenset([name_key(r.name) for r in model])
        self._names: set[str] = set(self._model_keys)
        self._model_ids = {id(r) for r in model}  # the model keeps its resources (and their ids) alive
        self._referenced: dict[str, IResource] = {}
        # id(parameter) -> (parameter, {format: entry name}), in registration order
        self._formatted: dict[int, tuple[ParameterResource, dict[str, str]]] = {}
        # id(resource) -> (resource, its bindings); the resource is kept so the id stays its own
        self._bindings: dict[int, tuple[IResource, dict[str, ManifestBinding]]] = {}
        self._relative_paths: dict[str, str] = {}
        # id(value) -> (value, its placeholder): a value met again (the same object) is written the same way and
        # needs no tracking again (tracking is idempotent); the value is kept so that its id stays its own.
        self._placeholders: dict[int, tuple[object, str]] = {}

    # -- the whole model --------------------------------------------------------------------------
    async def write_model(self) -> Manifest:
        write_now = self._write_now
        for resource in self.model:
            if not write_now(resource):
                await self.write_resource(resource)
        model_keys = self._model_keys
        leftovers = [r for key, r in self._referenced.items() if key not in model_keys]
        self._referenced.clear()
        for resource in leftovers:
            await self.write_resource(resource)
        for param, formats in list(self._formatted.values()):
            self._write_formatted(param, formats)
        self._formatted.clear()
        return Manifest(dict(self.entries))

    async def write_resource(self, resource: IResource) -> None:
        try:
            entry = await self._entry(resource)
        except Exception as exc:
            exc.add_note(f"(while writing the manifest entry of resource {resource.name!r})")
            raise
        if entry is None:
            return
        self._store(resource, entry)

    def _write_now(self, resource: IResource) -> bool:
        """:meth:`write_resource`, without awaiting anything, for a resource grouped by ``build()`` that has no
        callback (manifest, environment or arguments) and is of a kind the writer describes itself (most of them);
        ``False`` (nothing done) for the others."""
        annotations = resource.annotations
        groups = annotations._groups
        if (
            groups is None
            or annotations._grouped is not GROUPED
            or ManifestPublishingCallbackAnnotation in groups
            or EnvironmentCallbackAnnotation in groups
            or CommandLineArgsCallbackAnnotation in groups
        ):
            return False
        facts = _FACTS.get(type(resource))
        if facts is None:
            facts = _facts(resource)
        try:
            if facts & _CONTAINER or (facts & _EXECUTABLE and DockerfileBuildAnnotation in groups):
                items = annotations._items
                entry: ManifestResource = self._container(
                    resource, arguments_without_callbacks(resource, items), environment_without_callbacks(resource, items)
                )
            elif facts & _EXECUTABLE:
                items = annotations._items
                entry = self._executable(
                    resource,  # type: ignore[arg-type]
                    arguments_without_callbacks(resource, items),
                    environment_without_callbacks(resource, items),
                )
            elif facts & _PARAMETER:
                entry = self.parameter_entry(resource)  # type: ignore[arg-type]
            elif facts & _CONNECTION_STRING:
                entry = self.value_entry(resource)  # type: ignore[arg-type]
            else:
                return False
        except Exception as exc:
            exc.add_note(f"(while writing the manifest entry of resource {resource.name!r})")
            raise
        self._store(resource, entry)
        return True

    def _store(self, resource: IResource, entry: ManifestResource) -> None:
        self.entries[resource.name] = entry
        facts = _FACTS.get(type(resource))
        if facts is None:
            facts = _facts(resource)
        if facts & _PARAMETER:
            found = self._formatted.pop(id(resource), None)
            if found is not None:
                self._write_formatted(*found)

    def _write_formatted(self, param: ParameterResource, formats: dict[str, str]) -> None:
        for fmt, entry_name in formats.items():
            self.entries[entry_name] = ManifestAnnotatedString(value=parameter_value(param), filter=fmt)

    async def _entry(self, resource: IResource) -> ManifestResource | None:
        ann = resource.annotations.last(ManifestPublishingCallbackAnnotation)
        if ann is not None:
            if ann.callback is None:
                return None
            return await self._callback_entry(resource, ann.callback)
        entry = await self.default_entry(resource)
        if isinstance(entry, ManifestRawResource) and "error" in entry.data:
            self.logger.warning(
                "Resource %r (%s) has no manifest form; its entry is an error. Exclude it with "
                "exclude_from_manifest(), or write its entry with with_manifest_publishing_callback(...).",
                resource.name,
                type(resource).__name__,
            )
        return entry

    async def _callback_entry(
        self, resource: IResource, callback: Callable[[Any], Awaitable[None] | None]
    ) -> ManifestResource:
        ctx = ManifestPublishingContext(self, resource)
        await _call(callback, ctx)
        if not ctx.entry:
            raise ManifestPublishingError(
                f"The manifest publishing callback of resource {resource.name!r} wrote nothing: fill context.entry "
                "(at least a 'type'), call context.write(entry), or use exclude_from_manifest() to leave it out."
            )
        data = dict(ctx.entry)
        try:
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise ManifestPublishingError(
                f"The manifest entry written for resource {resource.name!r} is not JSON data ({exc}): use strings, "
                "numbers, booleans, lists and dicts (context.expression(value) turns a value into its placeholder)."
            ) from exc
        entry = _structure_resource(manifest_converter(), data)
        if isinstance(entry, ManifestRawResource) and entry.type in _TYPED:
            self.logger.warning(
                "The manifest entry written for resource %r has type %r but not the fields aspyre writes for it; "
                "it is written as given.",
                resource.name,
                entry.type,
            )
        return entry

    # -- entries by resource type -----------------------------------------------------------------
    async def default_entry(self, resource: IResource) -> ManifestResource:
        facts = _FACTS.get(type(resource))
        if facts is None:
            facts = _facts(resource)
        if facts & _CONTAINER:
            return await self.container_entry(resource)
        if facts & _EXECUTABLE:
            if resource.annotations.has(DockerfileBuildAnnotation):
                return await self.container_entry(resource)
            return await self.executable_entry(resource)  # type: ignore[arg-type]
        if facts & _PARAMETER:
            return self.parameter_entry(resource)  # type: ignore[arg-type]
        if facts & _CONNECTION_STRING:
            return self.value_entry(resource)  # type: ignore[arg-type]
        return ManifestRawResource({"error": UNSUPPORTED_RESOURCE_ERROR})

    async def container_entry(self, resource: IResource) -> ManifestContainer:
        raw_args = await compute_arguments(resource, self.execution_context, self.logger)
        raw_env = await compute_environment(resource, self.execution_context, self.logger)
        return self._container(resource, raw_args, raw_env)

    def _container(self, resource: IResource, raw_args: list[object], raw_env: dict[str, object]) -> ManifestContainer:
        """A container's entry, its arguments and environment computed (values still deferred)."""
        build_ann = resource.annotations.last(DockerfileBuildAnnotation)
        connection_string = self.connection_string(resource)
        build: ManifestBuild | None = None
        image: str | None = None
        if build_ann is not None:
            build = self._build(build_ann)
            kind = "container.v1"
        else:
            img = resource.annotations.last(ContainerImageAnnotation)
            if img is None:
                raise ManifestPublishingError(
                    f"Container {resource.name!r} has no image: call with_image(...) or with_dockerfile(...)."
                )
            image = img.full_name
            kind = "container.v0"
        args = self._arguments(resource, raw_args, drop_entry=build_ann is not None)
        bind_mounts: list[ManifestBindMount] = []
        volumes: list[ManifestVolume] = []
        for m in resource.annotations.all(ContainerMountAnnotation):
            if m.type is ContainerMountType.BIND_MOUNT:
                bind_mounts.append(
                    ManifestBindMount(
                        source=self.relative_path(m.source or ""),
                        target=m.target.replace("\\", "/"),
                        read_only=m.read_only,
                    )
                )
            else:
                volumes.append(ManifestVolume(name=m.source, target=m.target, read_only=m.read_only))
        env = self._environment(resource, raw_env)
        return ManifestContainer(
            type=kind,
            connection_string=connection_string,
            build=build,
            image=image,
            entrypoint=getattr(resource, "entrypoint", None),
            args=tuple(args) or None,
            bind_mounts=tuple(bind_mounts) or None,
            volumes=tuple(volumes) or None,
            env=env or None,
            bindings=self.bindings(resource) or None,
        )

    def _build(self, ann: DockerfileBuildAnnotation) -> ManifestBuild:
        args: dict[str, str | None] = {}
        for key, value in ann.build_args:
            if value is None:
                args[key] = None  # Aspire: let the build read it from the environment
            else:
                args[key] = self.expression(value)
                self.track(value)
        secrets: dict[str, ManifestBuildSecret] = {}
        for key, value in ann.build_secrets:
            secrets[key] = ManifestBuildSecret(type="env", value=self.expression(value))  # Aspire: an env secret
            self.track(value)
        return ManifestBuild(
            context=self.relative_path(ann.context),
            dockerfile=self.relative_path(ann.dockerfile),
            stage=ann.stage,
            args=args or None,
            secrets=secrets or None,
        )

    async def executable_entry(self, resource: ExecutableResource) -> ManifestExecutable:
        raw_args = await compute_arguments(resource, self.execution_context, self.logger)
        raw_env = await compute_environment(resource, self.execution_context, self.logger)
        return self._executable(resource, raw_args, raw_env)

    def _executable(
        self, resource: ExecutableResource, raw_args: list[object], raw_env: dict[str, object]
    ) -> ManifestExecutable:
        """An executable's entry, its arguments and environment computed (values still deferred)."""
        connection_string = self.connection_string(resource)
        if isinstance(resource, PythonAppResource):
            # A deployable command: the interpreter's name, not this machine's venv path.
            command = Path(resource.command).name
            if command.lower().endswith(".exe"):
                command = command[:-4]
        else:
            command = resource.command
        args = self._arguments(resource, raw_args)
        env = self._environment(resource, raw_env)
        return ManifestExecutable(
            connection_string=connection_string,
            working_directory=self.relative_path(resource.working_dir),
            command=command,
            args=tuple(args) or None,
            env=env or None,
            bindings=self.bindings(resource) or None,
        )

    def parameter_entry(self, resource: ParameterResource) -> ManifestParameter:
        default: ManifestParameterDefault | None = None
        if resource.publish_value_as_default and resource.value_in_code is not None and not resource.secret:
            default = ManifestParameterDefault(value=resource.value_in_code)
        elif isinstance(resource.default, GenerateParameterDefault):
            default = ManifestParameterDefault(generate=ManifestGenerateDefault.from_default(resource.default))
        elif isinstance(resource.default, str):
            if resource.secret:
                self.logger.warning(
                    "Parameter %r is secret: its constant default is not written to the manifest (secret values "
                    "never are); the deployment tool will ask for the value.",
                    resource.name,
                )
            else:
                default = ManifestParameterDefault(value=resource.default)
        # ``{name.value}``: the parameter's own value, even for a connection-string parameter (whose value
        # expression elsewhere is ``{name.connectionString}``).
        connection_string = (
            parameter_value(resource) if isinstance(resource, ConnectionStringParameterResource) else None
        )
        return ManifestParameter(
            connection_string=connection_string,
            value=f"{{{resource.name}.inputs.value}}",
            inputs={"value": ManifestParameterInput(secret=resource.secret, default=default)},
        )

    def value_entry(self, resource: IResourceWithConnectionString) -> ManifestValue:
        cs = self.connection_string(resource)
        assert cs is not None
        return ManifestValue(connection_string=cs)

    # -- fields ---------------------------------------------------------------------------------------
    def connection_string(self, resource: IResource) -> str | None:
        facts = _FACTS.get(type(resource))
        if facts is None:
            facts = _facts(resource)
        if not facts & _CONNECTION_STRING:
            return None
        return self.composed(resource.connection_string_expression)  # type: ignore[attr-defined]

    async def environment(self, resource: IResource) -> dict[str, str]:
        return self._environment(resource, await compute_environment(resource, self.execution_context, self.logger))

    async def arguments(self, resource: IResource, *, drop_entry: bool = False) -> list[str]:
        raw = await compute_arguments(resource, self.execution_context, self.logger)
        return self._arguments(resource, raw, drop_entry=drop_entry)

    def _arguments(self, resource: IResource, raw: list[object], *, drop_entry: bool = False) -> list[str]:
        """The manifest form of computed arguments (``compute_arguments``), their values tracked."""
        if isinstance(resource, PythonAppResource):
            entry = resource.entry_args()
            if drop_entry and raw[: len(entry)] == entry:
                raw = raw[len(entry) :]
            elif resource.script_path is not None:
                script = str(resource.script_path)
                raw = [self.relative_path(script) if a == script else a for a in raw]
        out: list[str] = []
        placeholders = self._placeholders
        for i, value in enumerate(raw):
            if type(value) is str:
                out.append(value)  # a literal: itself, refers to nothing (what expression and track make of it)
                continue
            known = placeholders.get(id(value))
            if known is not None and known[0] is value:
                out.append(known[1])
                continue
            try:
                out.append(text := self.expression(value))
            except TypeError as exc:
                exc.add_note(f"(argument #{i} of resource {resource.name!r})")
                raise
            self.track(value)
            placeholders[id(value)] = (value, text)
        return out

    def bindings(self, resource: IResource) -> dict[str, ManifestBinding]:
        """Aspire's endpoint resolution for publishing (``ResourceExtensions.ResolveEndpoints``).

        Computed once per resource, so asking again (from a callback) gives the same ports.
        """
        cached = self._bindings.get(id(resource))
        if cached is not None:
            return dict(cached[1])
        out: dict[str, ManifestBinding] = {}
        ports = self.ports
        used = ports._used
        for ep in resource.annotations._view(EndpointAnnotation):
            target: int
            port = ep.port
            if ep.target_port is not None:
                target = ep.target_port
            elif port is not None and isinstance(resource, ContainerResource):
                target = port
            else:
                target = ports.allocate()
            exposed = port if port is not None else target
            used.add(exposed)  # ports.add_used, inline
            used.add(target)
            out[ep.name] = ManifestBinding(
                ep.scheme,
                _protocol_value(ep.protocol),
                ep.transport,
                exposed if port is not None and exposed != target else None,
                target,
                ep.is_external,
            )
        self._bindings[id(resource)] = (resource, out)
        return dict(out)

    def relative_path(self, path: str | os.PathLike[str]) -> str:
        key = os.fspath(path)
        found = self._relative_paths.get(key)
        if found is None:  # many resources share a directory (the app host's): computed once per path
            found = os.path.relpath(os.path.abspath(key), self.manifest_dir).replace("\\", "/")
            self._relative_paths[key] = found
        return found
