"""``aspyre publish -p docker-compose``: ``docker-compose.yaml``, ``.env``, ``.env.example`` and Dockerfiles."""

from __future__ import annotations

import logging
import os
import posixpath
from pathlib import Path

import aspyre

from ._envfile import quote_env_value, read_env_file
from ._environment import DockerComposeEnvironmentResource, DockerComposeServiceCustomizationAnnotation
from ._service import ComposeBuild, ComposeFile, ComposeHealthcheck, ComposeService, render_compose_file

__all__ = ["COMPOSE_FILE_NAME", "DockerComposePublisher", "DockerComposePublishingError"]

#: The file the publisher writes (the name docker-compose v1 and ``docker compose`` look for).
COMPOSE_FILE_NAME = "docker-compose.yaml"
ENV_FILE_NAME = ".env"
ENV_EXAMPLE_FILE_NAME = ".env.example"
PRODUCER = "aspyre-docker-compose"


class DockerComposePublishingError(aspyre.DistributedApplicationException, RuntimeError):
    """The app cannot be expressed as a Compose file; the message names each resource and why."""


def _environment(model: aspyre.model.DistributedApplicationModel) -> DockerComposeEnvironmentResource:
    for resource in model:
        if isinstance(resource, DockerComposeEnvironmentResource):
            return resource
    return DockerComposeEnvironmentResource("docker-compose")


class DockerComposePublisher:
    """The ``docker-compose`` publisher (entry point of ``aspyre-docker-compose``).

    Writes into the output directory:

    * ``docker-compose.yaml``: a service per container and Python app, in model order, on one
      network; no secret values, only ``${VARIABLES}``;
    * ``.env`` (mode 0600, keep it out of version control): every parameter's value, from
      ``--parameter``/``Parameters__NAME``, the previous ``.env``, the default, or generated;
    * ``.env.example``: the same variables, secrets left empty (commit this one);
    * ``<app>/Dockerfile`` for each Python app without a Dockerfile of its own;
    * ``<service>/files/...``: files integrations add to a container (Postgres' database script).
    """

    async def publish(self, context: aspyre.publishing.PublishingContext) -> Path:
        out = context.output_path
        manifest = await context.build_manifest(out / "aspire-manifest.json")
        env = _environment(context.model)
        params = aspyre.publishing.deployment_parameters(manifest, context, read_env_file(out / ENV_FILE_NAME))
        writer = _ComposeWriter(context, manifest, env, params)
        compose = writer.compose()
        out.mkdir(parents=True, exist_ok=True)
        for relative, (text, mode) in writer.files.items():
            path = out / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            path.chmod(mode)
        compose_path = out / COMPOSE_FILE_NAME
        compose_path.write_text(render_compose_file(compose), encoding="utf-8", newline="\n")
        aspyre.publishing.write_private_file(out / ENV_FILE_NAME, _env_file(params, example=False))
        (out / ENV_EXAMPLE_FILE_NAME).write_text(_env_file(params, example=True), encoding="utf-8", newline="\n")
        gitignore = out / ".gitignore"
        if not gitignore.exists():
            gitignore.write_text(f"# Parameter values, secrets included ({PRODUCER}).\n{ENV_FILE_NAME}\n")
        for param in params.values():
            if param.value is None:
                context.logger.warning(
                    "Parameter %r has no value: set %s in %s before 'docker-compose up' (or publish with "
                    "--parameter %s=... or Parameters__%s in the environment).",
                    param.name,
                    param.variable,
                    out / ENV_FILE_NAME,
                    param.name,
                    param.name,
                )
        context.logger.info("Wrote %s (and %s, %s)", compose_path, ENV_FILE_NAME, ENV_EXAMPLE_FILE_NAME)
        return compose_path


def _env_file(params: dict[str, aspyre.publishing.DeploymentParameter], *, example: bool) -> str:
    if example:
        lines = [
            f"# The variables of {COMPOSE_FILE_NAME} ({PRODUCER}). Copy to .env and fill in the empty ones;",
            "# secrets are left empty here. Compose reads .env from the directory it runs in.",
        ]
    else:
        lines = [
            f"# The values of the app's parameters for {COMPOSE_FILE_NAME} ({PRODUCER}). Secrets included:",
            "# keep this file private (mode 0600) and out of version control. Values changed here are kept",
            "# when you publish again.",
        ]
    for param in params.values():
        value = param.value or ""
        if example and param.secret:
            value = ""
        lines += ["", f"# {param.note}", f"{param.variable}={quote_env_value(value)}"]
    return "\n".join(lines) + "\n"


def _compose_literal(text: str) -> str:
    return text.replace("$", "$$")


class _ComposeWriter:
    def __init__(
        self,
        context: aspyre.publishing.PublishingContext,
        manifest: aspyre.publishing.Manifest,
        env: DockerComposeEnvironmentResource,
        params: dict[str, aspyre.publishing.DeploymentParameter],
    ) -> None:
        self.context = context
        self.model = context.model
        self.out = context.output_path
        self.manifest = manifest
        self.env = env
        self.params = params
        self.logger: logging.Logger = context.logger
        self.problems: list[str] = []
        #: Files to write, relative to the output directory: text and mode.
        self.files: dict[str, tuple[str, int]] = {}
        self.resolver = aspyre.publishing.ManifestExpressionResolver(
            manifest, host=lambda name: name, parameter=self._variable, literal=_compose_literal
        )
        self.jobs = aspyre.publishing.completion_targets(self.model, self.manifest)

    # -- values -------------------------------------------------------------------------------------
    def _variable(self, name: str) -> str:
        param = self.params.get(name)
        if param is None:  # pragma: no cover - every parameter entry has one
            raise aspyre.publishing.ManifestExpressionError(f"parameter {name!r} is not in the manifest")
        if param.value is None and param.derived_from is None:
            return "${" + param.variable + f":?set {param.variable} in .env (parameter {name})" + "}"
        return "${" + param.variable + "}"

    def render(self, text: str, what: str, resource: str) -> str:
        try:
            return self.resolver.render(text)
        except aspyre.publishing.ManifestExpressionError as exc:
            self.problems.append(f"resource {resource!r}, {what}: {exc}")
            return ""

    # -- the file -----------------------------------------------------------------------------------

    def compose(self) -> ComposeFile:
        compose = ComposeFile(
            header=[
                f"Generated by {PRODUCER} from the app host; publish again to update it.",
                "${VARIABLES} come from .env beside this file (.env.example lists them): no secret is written here.",
                "Start: docker-compose up -d    Stop and delete everything, volumes too: docker-compose down -v",
            ],
            networks={self.env.network: {"driver": "bridge"}},
        )
        for name, entry in self.manifest.resources.items():
            resource = self.model.get(name)
            if isinstance(entry, aspyre.publishing.ManifestContainer):
                compose.services[name] = self._container(name, entry, resource, compose)
            elif isinstance(entry, aspyre.publishing.ManifestExecutable):
                service = self._executable(name, entry, resource, compose)
                if service is not None:
                    compose.services[name] = service
            elif isinstance(entry, aspyre.publishing.ManifestRawResource):
                kind = type(resource).__name__ if resource is not None else "resource"
                self.problems.append(
                    f"resource {name!r} ({kind}) has no deployable form (its manifest entry is "
                    f"{entry.type or 'an error'}): exclude it with exclude_from_manifest(), or make it a container"
                )
        for name, service in compose.services.items():
            resource = self.model.get(name)
            if resource is not None:
                self._depends_on(resource, service, compose)
        if self.problems:
            raise DockerComposePublishingError(
                "The app cannot be published for Docker Compose:\n" + "\n".join(f"- {p}" for p in self.problems)
            )
        for name, service in compose.services.items():
            resource = self.model.get(name)
            if resource is None:
                continue
            for ann in resource.annotations.all(DockerComposeServiceCustomizationAnnotation):
                try:
                    ann.callback(resource, service)
                except Exception as exc:
                    exc.add_note(f"(in a publish_as_docker_compose_service callback of resource {name!r})")
                    raise
        if self.env.configure is not None:
            self.env.configure(compose)
        return compose

    def _base(self, name: str, comment: str) -> ComposeService:
        service = ComposeService(name=name, comment=comment, networks=[self.env.network])
        service.restart = "no" if name in self.jobs else "unless-stopped"
        if name in self.jobs:
            service.comment += "; runs to completion before the services that wait for it"
        return service

    def _common(
        self,
        name: str,
        entry: aspyre.publishing.ManifestContainer | aspyre.publishing.ManifestExecutable,
        service: ComposeService,
        resource: aspyre.IResource | None,
    ) -> None:
        for key, value in (entry.env or {}).items():
            service.environment[key] = self.render(value, f"environment variable {key}", name)
        for binding in (entry.bindings or {}).values():
            if binding.target_port is None:
                continue
            suffix = "/udp" if binding.protocol == "udp" else ""
            if binding.external or binding.port is not None:
                service.ports.append(f"{binding.port or binding.target_port}:{binding.target_port}{suffix}")
        if resource is not None:
            service.healthcheck = self._healthcheck(name, resource, entry)

    def _container(
        self, name: str, entry: aspyre.publishing.ManifestContainer, resource: aspyre.IResource | None, compose: ComposeFile
    ) -> ComposeService:
        rtype = getattr(resource, "resource_type", "Container")
        if entry.build is not None:
            service = self._base(name, f"resource {name} ({rtype}), image built from {entry.build.dockerfile}")
            context = posixpath.normpath(entry.build.context)
            dockerfile = posixpath.relpath(posixpath.normpath(entry.build.dockerfile), context)
            service.build = ComposeBuild(_relative_dir(context), dockerfile, entry.build.stage)
            for key, value in (entry.build.args or {}).items():
                if value is not None:
                    service.build.args[key] = self.render(value, f"build argument {key}", name)
        else:
            service = self._base(name, f"resource {name} ({rtype})")
            service.image = entry.image
        if entry.entrypoint:
            service.entrypoint = [_compose_literal(entry.entrypoint)]
        if entry.args:
            service.command = [self.render(a, f"argument {a!r}", name) for a in entry.args]
        self._common(name, entry, service, resource)
        self._mounts(name, entry, service, resource, compose)
        return service

    def _executable(
        self, name: str, entry: aspyre.publishing.ManifestExecutable, resource: aspyre.IResource | None, compose: ComposeFile
    ) -> ComposeService | None:
        if not isinstance(resource, aspyre.PythonAppResource):
            self.problems.append(
                f"resource {name!r} is an executable ({entry.command!r}) without a container image: Compose runs "
                "containers only. Add it as a container (add_container) or leave it out (exclude_from_manifest())"
            )
            return None
        try:
            dockerfile = aspyre.publishing.python_app_dockerfile(
                resource, base_image=self.env.python_image, wheelhouse=self.env.wheelhouse, producer=PRODUCER
            )
        except ValueError as exc:
            self.problems.append(str(exc))
            return None
        relative = f"{name}/Dockerfile"
        self.files[relative] = (dockerfile.text, 0o644)
        context = _relative_dir(Path(os.path.relpath(dockerfile.context, self.out)).as_posix())
        what = dockerfile.description
        service = self._base(name, f"resource {name} (PythonApp {what}), image built from {relative}")
        service.build = ComposeBuild(
            context, os.path.relpath(self.out / relative, dockerfile.context).replace("\\", "/")
        )
        args = list(entry.args or ())
        skip = len(resource.entry_args())
        if args[:1] == ["-u"] and len(args) >= skip:
            args = args[skip:]
        if args:
            service.command = [*dockerfile.command, *(self.render(a, f"argument {a!r}", name) for a in args)]
        self._common(name, entry, service, resource)
        self._mounts(name, aspyre.publishing.ManifestContainer(), service, resource, compose)
        return service

    # -- volumes and files --------------------------------------------------------------------------
    def _mounts(
        self,
        name: str,
        entry: aspyre.publishing.ManifestContainer,
        service: ComposeService,
        resource: aspyre.IResource | None,
        compose: ComposeFile,
    ) -> None:
        files = [] if resource is None else resource.annotations.all(aspyre.annotations.DeploymentFileAnnotation)
        directories: dict[str, dict[str, tuple[str, int]]] = {}
        for f in files:
            directories.setdefault(posixpath.dirname(f.path), {})[posixpath.basename(f.path)] = (f.content, f.mode)
        for v in entry.volumes or ():
            if v.name is None:
                service.volumes.append(v.target)
            else:
                compose.volumes[v.name] = {}
                service.volumes.append(f"{v.name}:{v.target}{':ro' if v.read_only else ''}")
        for m in entry.bind_mounts or ():
            merged = self._merge_bind_mount(name, m, directories)
            if not merged:
                source = m.source if m.source.startswith((".", "/")) else f"./{m.source}"
                service.volumes.append(f"{source}:{m.target}{':ro' if m.read_only else ''}")
        for directory, entries in sorted(directories.items()):
            base = f"{name}/files{directory}"
            for filename, (content, mode) in sorted(entries.items()):
                self.files[f"{base}/{filename}"] = (content, mode)
            service.volumes.append(f"./{base}:{directory}:ro")

    def _merge_bind_mount(
        self, name: str, mount: aspyre.publishing.ManifestBindMount, directories: dict[str, dict[str, tuple[str, int]]]
    ) -> bool:
        """A bind mount at (or into) a directory that also gets deployment files: its files are copied there."""
        source = Path(os.path.normpath(self.out / mount.source))
        target = mount.target.rstrip("/")
        if target in directories and source.is_dir():
            found = {p.name: p for p in sorted(source.iterdir()) if p.is_file()}
        elif posixpath.dirname(target) in directories and source.is_file():
            found, target = {posixpath.basename(target): source}, posixpath.dirname(target)
        else:
            return False
        if not mount.read_only:
            self.problems.append(
                f"resource {name!r}: the bind mount at {mount.target} also receives files from an integration; "
                "make it read-only to merge them"
            )
            return True
        for filename, path in found.items():
            if filename in directories[target]:
                self.problems.append(f"resource {name!r}: two files named {filename!r} for {target}")
                continue
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            directories[target][filename] = (path.read_text(encoding="utf-8"), mode)
        return True

    # -- health and order ---------------------------------------------------------------------------
    def _healthcheck(
        self,
        name: str,
        resource: aspyre.IResource,
        entry: aspyre.publishing.ManifestContainer | aspyre.publishing.ManifestExecutable,
    ) -> ComposeHealthcheck | None:
        probes = [
            p
            for p in resource.annotations.all(aspyre.annotations.ProbeAnnotation)
            if p.type in (aspyre.annotations.ProbeType.READINESS, aspyre.annotations.ProbeType.STARTUP)
        ]
        if not probes:
            return None
        probe = next((p for p in reversed(probes) if p.type is aspyre.annotations.ProbeType.READINESS), probes[-1])
        if isinstance(probe, aspyre.annotations.CommandProbeAnnotation):
            test = ["CMD", *(_compose_literal(a) for a in probe.command)]
        elif isinstance(probe, aspyre.annotations.EndpointProbeAnnotation):
            binding = (entry.bindings or {}).get(probe.endpoint_name)
            if binding is None or binding.target_port is None or binding.scheme != "http":
                self.logger.warning(
                    "Resource %r: no healthcheck for its probe of endpoint %r (Compose can only probe a plain http "
                    "endpoint of a Python app)",
                    name,
                    probe.endpoint_name,
                )
                return None
            if not isinstance(resource, aspyre.PythonAppResource):
                self.logger.warning(
                    "Resource %r: its HTTP probe is not written as a Compose healthcheck (Compose runs a command in "
                    "the container, and its image may have no HTTP client); add a CommandProbeAnnotation",
                    name,
                )
                return None
            url = f"http://127.0.0.1:{binding.target_port}{probe.path}"
            code = f"import urllib.request; urllib.request.urlopen({url!r}, timeout={probe.timeout:g})"
            test = ["CMD", "python", "-c", _compose_literal(code)]
        else:  # pragma: no cover - a probe type this version does not know
            return None
        return ComposeHealthcheck(test, probe.period, probe.timeout, probe.failure_threshold, probe.initial_delay)

    def _depends_on(self, resource: aspyre.IResource, service: ComposeService, compose: ComposeFile) -> None:
        for wait in resource.annotations.all(aspyre.annotations.WaitAnnotation):
            target = aspyre.publishing.deployment_service_of(self.model, self.manifest, wait.resource.name)
            if target is None or target == service.name or target not in compose.services:
                continue
            if wait.wait_type is aspyre.annotations.WaitType.WAIT_FOR_COMPLETION:
                if wait.exit_code != 0:
                    self.problems.append(
                        f"resource {resource.name!r} waits for {wait.resource.name!r} to exit with code "
                        f"{wait.exit_code}; Compose can only wait for a successful exit (0)"
                    )
                condition = "service_completed_successfully"
            elif wait.wait_type is aspyre.annotations.WaitType.WAIT_UNTIL_HEALTHY and compose.services[target].healthcheck:
                condition = "service_healthy"
            else:
                condition = "service_started"
            if service.depends_on.get(target) != "service_completed_successfully":
                service.depends_on[target] = condition


def _relative_dir(path: str) -> str:
    return path if path.startswith(".") or path.startswith("/") else f"./{path}"
