"""Exceptions: one public base, ``aspyre.DistributedApplicationException``, for every error aspyre raises about an
app, so ``except aspyre.DistributedApplicationException`` catches "anything aspyre raised" (the built-in base each
error also has keeps ``except ValueError`` and friends working)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import aspyre
import aspyre_docker_compose
import aspyre_kubernetes
from aspyre._errors import DistributedApplicationException as Base
from aspyre._hosting._config import parse_args
from aspyre._orchestrator import _executor, _notifications, _processes
from aspyre._orchestrator._docker import _errors as docker_errors

from .helpers import run_builder

pytestmark = pytest.mark.anyio

PUBLIC_MODULES = [aspyre, aspyre.events, aspyre.model, aspyre.plugins, aspyre.publishing, aspyre.testing]


def public_error_types() -> list[type[BaseException]]:
    found = []
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, Exception):
                found.append(obj)
    return found


def test_the_base_is_public_and_aspires_name() -> None:
    assert aspyre.DistributedApplicationException is Base
    assert aspyre.DistributedApplicationException.__module__ == "aspyre"
    assert issubclass(Base, Exception)


@pytest.mark.parametrize("error", public_error_types(), ids=lambda e: e.__name__)
def test_every_public_error_derives_from_it(error: type[BaseException]) -> None:
    assert issubclass(error, Base)


@pytest.mark.parametrize(
    "error",
    [
        _executor.RuntimeUnhealthy,
        _notifications.DependencyFailedError,
        _processes.ProcessLaunchError,
        docker_errors.ContainerRuntimeUnavailable,
        docker_errors.ContainerImageUnavailable,
        docker_errors.ContainerStartError,
        docker_errors.ContainerExitUnknown,
        aspyre_docker_compose.DockerComposePublishingError,
        aspyre_kubernetes.KubernetesPublishingError,
    ],
    ids=lambda e: e.__name__,
)
def test_internal_and_plugin_errors_derive_from_it_too(error: type[BaseException]) -> None:
    assert issubclass(error, Base)


def test_real_errors_are_caught_by_the_base(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    a = builder.add_executable("a", "python")
    a.wait_for(builder.add_executable("b", "python").wait_for(a))
    caught: list[str] = []
    attempts = [
        lambda: builder.add_container("bad_name", "redis"),
        lambda: builder.add_parameter("missing").resource.value,
        lambda: parse_args(["--publisher"]),
        builder.build,
    ]
    for attempt in attempts:
        try:
            attempt()
        except aspyre.DistributedApplicationException as exc:
            caught.append(type(exc).__name__)
    assert caught == ["InvalidNameError", "MissingParameterValueError", "_ArgumentError", "ModelValidationError"]
    # ... and the built-in bases still work.
    with pytest.raises(ValueError, match="invalid"):
        builder.add_container("bad_name", "redis")
    with pytest.raises(ValueError, match="expected one argument"):
        parse_args(["--publisher"])
