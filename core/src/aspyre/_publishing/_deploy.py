"""Helpers for publishers that deploy containers (Docker Compose, Kubernetes...): parameters and addresses.

Both start from the Aspire manifest (``context.build_manifest()``) and need the same two things:

* the **value of each parameter** for the deployment, and where it came from
  (:func:`deployment_parameters`): ``--parameter``, the environment, a value kept from an
  earlier publish, the default, a generated value, or none yet;
* each **manifest expression rendered** for a network where services reach each other by name
  on their target ports (:class:`ManifestExpressionResolver`): ``{api.bindings.http.url}`` ->
  ``http://api:8000``, ``{db.connectionString}`` expanded, parameters as the target's variables.
"""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path

import attrs

from aspyre._model._dependencies import WaitAnnotation, WaitType
from aspyre._model._graph import DistributedApplicationModel
from aspyre._model._resources import IResource, IResourceWithParent

from .._errors import DistributedApplicationException
from ._contract import PublishingContext
from ._expressions import ManifestPlaceholder, render_manifest_expression
from ._model import (
    Manifest,
    ManifestAnnotatedString,
    ManifestContainer,
    ManifestExecutable,
    ManifestParameter,
    ManifestParameterInput,
    ManifestValue,
)

__all__ = [
    "DeploymentParameter",
    "ManifestExpressionError",
    "ManifestExpressionResolver",
    "completion_targets",
    "deployment_parameters",
    "deployment_service_of",
    "env_variable_name",
    "write_private_file",
]

_NOT_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]")


def env_variable_name(resource_name: str) -> str:
    """The variable a parameter gets in deployment files: ``cache-password`` -> ``CACHE_PASSWORD`` (Aspire's)."""
    return _NOT_IDENTIFIER.sub("_", resource_name).upper()


@attrs.frozen
class DeploymentParameter:
    """A parameter (or a parameter's ``uri``-encoded form) of a deployment, with its value if known.

    ``value`` is never shown in the repr. ``source`` says where it came from: ``"--parameter"``,
    ``"environment variable Parameters__x"``, ``"kept"`` (from the previous publish's file),
    ``"default"``, ``"generated"``, ``"derived"`` (encoded from another parameter), or ``None``
    when there is no value yet (``note`` then says how to give one).
    """

    name: str
    variable: str
    secret: bool
    value: str | None = attrs.field(repr=False)
    source: str | None
    #: For a derived value: the parameter it is derived from, and the filter (``uri``).
    derived_from: str | None = None
    filter: str | None = None
    description: str | None = None
    #: Whether the parameter has a generated default (a value is generated on the first publish, then kept).
    generated: bool = False

    @property
    def note(self) -> str:
        """A one-line comment for the deployment files: what it is and where the value comes from."""
        kind = "secret parameter" if self.secret else "parameter"
        if self.derived_from is not None:
            text = f"the {self.filter}-encoded value of parameter {self.derived_from}"
            if self.value is None:
                text += f": set it to the {self.filter}-encoded value of {env_variable_name(self.derived_from)}"
            return text
        text = f"{kind} {self.name}"
        if self.description:
            text += f" ({self.description})"
        if self.generated and self.source in ("generated", "kept"):
            text += ": generated on the first publish, then kept"
        elif self.source is None:
            text += (
                f": no value yet; set it here, or publish with --parameter {self.name}=... or Parameters__{self.name}"
            )
        return text


def deployment_parameters(
    manifest: Manifest, context: PublishingContext, existing: Mapping[str, str] | None = None
) -> dict[str, DeploymentParameter]:
    """The parameters of ``manifest`` with their deployment values, by manifest entry name, in manifest order.

    A parameter's value is, in order: :meth:`PublishingContext.parameter_value` (``--parameter``,
    ``Parameters__NAME``), the value of its variable in ``existing`` (the file the previous publish
    wrote, so generated passwords stay the ones a data volume was initialised with), its constant
    default, a value generated from its generated default, else none. ``annotated.string`` entries
    (``{pw-uri-encoded.value}``) get the encoded value of their parameter.
    """
    existing = existing or {}
    out: dict[str, DeploymentParameter] = {}
    for name, entry in manifest.resources.items():
        if not isinstance(entry, ManifestParameter):
            continue
        spec = entry.inputs.get("value", ManifestParameterInput())
        variable = env_variable_name(name)
        resource = context.model.get(name)
        description = getattr(resource, "description", None)
        given = context.parameter_value(name)
        value: str | None
        if given is not None:
            value = given
            source: str | None = "--parameter" if name.lower() in _lower(context) else "environment"
        elif existing.get(variable):
            value, source = existing[variable], "kept"
        elif spec.default is not None and spec.default.value is not None:
            value, source = spec.default.value, "default"
        elif spec.default is not None and spec.default.generate is not None:
            value, source = spec.default.generate.to_default().generate(), "generated"
        else:
            value, source = None, None
        generated = spec.default is not None and spec.default.generate is not None
        out[name] = DeploymentParameter(
            name, variable, spec.secret, value, source, description=description, generated=generated
        )
    for name, entry in manifest.resources.items():
        if not isinstance(entry, ManifestAnnotatedString):
            continue
        base = re.fullmatch(r"\{([A-Za-z][A-Za-z0-9-]*)\.value\}", entry.value)
        param = out.get(base.group(1)) if base else None
        if param is None:
            continue
        value = None
        if param.value is not None and entry.filter == "uri":
            value = urllib.parse.quote(param.value, safe="")
        elif existing.get(env_variable_name(name)):
            value = existing[env_variable_name(name)]
        out[name] = DeploymentParameter(
            name,
            env_variable_name(name),
            param.secret,
            value,
            "derived" if value is not None else None,
            derived_from=param.name,
            filter=entry.filter,
        )
    return out


def completion_targets(model: DistributedApplicationModel, manifest: Manifest) -> set[str]:
    """The deployed services something waits to *complete* (``wait_for_completion``): jobs, not servers."""
    jobs: set[str] = set()
    for resource in model:
        for wait in resource.annotations.all(WaitAnnotation):
            if wait.wait_type is WaitType.WAIT_FOR_COMPLETION:
                target = deployment_service_of(model, manifest, wait.resource.name)
                if target is not None:
                    jobs.add(target)
    return jobs


def write_private_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` readable by its owner only (mode 0600 from creation), replaced atomically.

    For the files of a deployment that hold secret values (a compose ``.env``, a kustomize ``secrets.env``).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lower(context: PublishingContext) -> set[str]:
    return {k.lower() for k in context.execution_context.parameter_values}


class ManifestExpressionError(DistributedApplicationException, ValueError):
    """A manifest expression refers to something the deployment target cannot resolve."""


def deployment_service_of(model: DistributedApplicationModel, manifest: Manifest, name: str) -> str | None:
    """The deployed service that runs resource ``name``: itself if it is a container or process, else
    the nearest parent that is (a Postgres database runs in its server); ``None`` for a resource that
    runs nowhere (a parameter, a connection string)."""
    resource: IResource | None = model.get(name)
    for _ in range(64):
        if resource is None:
            return None
        if isinstance(manifest.resources.get(resource.name), (ManifestContainer, ManifestExecutable)):
            return resource.name
        resource = resource.parent if isinstance(resource, IResourceWithParent) else None
    return None


class ManifestExpressionResolver:
    """Renders manifest expressions for a network where services reach each other by name.

    * ``{r.bindings.e.url|host|port|targetPort|scheme|tlsEnabled}``: ``host(r)`` and the binding's
      target port (the port the service listens on, which is the one its peers use);
    * ``{r.connectionString}``: the entry's connection string, rendered in turn;
    * ``{p.value}`` of a parameter (or ``annotated.string``): ``parameter(p)``, the target's reference
      to the variable that holds it (``${CACHE_PASSWORD}`` for Compose);
    * literal text: ``literal(text)`` (escape what the target would interpolate).

    Anything else raises :class:`ManifestExpressionError` naming the placeholder.
    """

    def __init__(
        self,
        manifest: Manifest,
        *,
        host: Callable[[str], str],
        parameter: Callable[[str], str],
        literal: Callable[[str], str] = lambda s: s,
    ) -> None:
        self.manifest = manifest
        self._host = host
        self._parameter = parameter
        self._literal = literal
        self._expanding: list[str] = []

    def render(self, text: str) -> str:
        """``text`` with every placeholder resolved."""
        return render_manifest_expression(text, self.placeholder, self._literal, self.manifest.resources)

    def placeholder(self, p: ManifestPlaceholder) -> str:
        """One placeholder, resolved."""
        entry = self.manifest.resources.get(p.resource)
        parts = p.parts
        if isinstance(entry, (ManifestParameter, ManifestAnnotatedString)) and p.path in (
            "value",
            "inputs.value",
            "connectionString",
        ):
            return self._parameter(p.resource)
        if p.path == "connectionString":
            cs = getattr(entry, "connection_string", None)
            if cs is None:
                raise ManifestExpressionError(f"{p.text}: resource {p.resource!r} has no connection string")
            if p.resource in self._expanding:
                cycle = " -> ".join([*self._expanding, p.resource])
                raise ManifestExpressionError(f"{p.text}: the connection strings refer to each other ({cycle})")
            self._expanding.append(p.resource)
            try:
                return self.render(cs)
            finally:
                self._expanding.pop()
        if len(parts) == 3 and parts[0] == "bindings":
            return self._binding(p, entry, parts[1], parts[2])
        raise ManifestExpressionError(f"{p.text} cannot be resolved for a deployment (resource {p.resource!r})")

    def _binding(self, p: ManifestPlaceholder, entry: object, endpoint: str, prop: str) -> str:
        if isinstance(entry, ManifestValue) or not isinstance(entry, (ManifestContainer, ManifestExecutable)):
            raise ManifestExpressionError(f"{p.text}: resource {p.resource!r} has no endpoints")
        binding = (entry.bindings or {}).get(endpoint)
        if binding is None or binding.target_port is None:
            raise ManifestExpressionError(f"{p.text}: resource {p.resource!r} has no endpoint {endpoint!r}")
        host = self._host(p.resource)
        port = str(binding.target_port)
        values = {
            "url": f"{binding.scheme}://{host}:{port}",
            "host": host,
            "port": port,
            "targetPort": port,
            "scheme": binding.scheme,
            "tlsEnabled": "true" if binding.scheme == "https" else "false",
        }
        if prop not in values:
            raise ManifestExpressionError(f"{p.text}: unknown endpoint property {prop!r}")
        return self._literal(values[prop])
