"""Deploy an aspyre app with Docker Compose (``aspyre-docker-compose``).

::

    aspyre publish apphost.py -p docker-compose -o deploy/
    cd deploy && docker-compose up -d

writes ``docker-compose.yaml`` (a service per container and Python app; no secret in it),
``.env`` (the parameters' values, mode 0600), ``.env.example`` and a Dockerfile for each Python
app without one. Options go on an environment resource, ``builder.add_docker_compose_environment
("compose", wheelhouse="wheels")``; ``resource.publish_as_docker_compose_service(fn)`` changes the
service generated for one resource. See ``docs/deploy.md``.
"""

from __future__ import annotations

from ._envfile import quote_env_value, read_env_file
from ._environment import (
    DockerComposeEnvironmentResource,
    DockerComposeServiceCustomizationAnnotation,
    add_docker_compose_environment,
    publish_as_docker_compose_service,
)
from ._publisher import COMPOSE_FILE_NAME, DockerComposePublisher, DockerComposePublishingError
from ._service import ComposeBuild, ComposeFile, ComposeHealthcheck, ComposeService, render_compose_file

__all__ = [
    "COMPOSE_FILE_NAME",
    "ComposeBuild",
    "ComposeFile",
    "ComposeHealthcheck",
    "ComposeService",
    "DockerComposeEnvironmentResource",
    "DockerComposePublisher",
    "DockerComposePublishingError",
    "DockerComposeServiceCustomizationAnnotation",
    "add_docker_compose_environment",
    "publish_as_docker_compose_service",
    "quote_env_value",
    "read_env_file",
    "render_compose_file",
]
