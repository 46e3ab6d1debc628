"""The Docker runtime: runs the orchestrator's :class:`~aspyre._orchestrator._specs.ContainerSpec` on a
Docker-compatible engine (Aspire's DCP, for containers).

- :mod:`._runtime`: :class:`ContainerRuntime` (start, reuse, wait, stop, detach, kill, remove, close);
- :mod:`._engine`: the connection, worker threads and labels of one session;
- :mod:`._networks`: the session and persistent networks;
- :mod:`._images`: images per pull policy;
- :mod:`._build`: images built from a Dockerfile (tagged by a hash of the build, secrets kept out of the image);
- :mod:`._files`: files created in a container before it starts;
- :mod:`._create`: a spec as the engine's create request, and what to read back;
- :mod:`._monitor`: the thread that follows one container's output and exit;
- :mod:`._sweep`: removing what dead app hosts left behind;
- :mod:`._owner`: labels, and whether the app host that owns an object still runs;
- :mod:`._errors`: what can go wrong, in one line.

``docker run`` flags become SDK arguments in :mod:`aspyre._model._runargs` (pure rules, so ``build()``
checks a model's runtime arguments with the same parser).
"""

from ._build import ImageBuildError
from ._errors import (
    ContainerExitUnknown,
    ContainerImageUnavailable,
    ContainerRuntimeUnavailable,
    ContainerStartError,
)
from ._handle import ContainerHandle
from ._runtime import HOST_GATEWAY, ContainerRuntime

__all__ = [
    "HOST_GATEWAY",
    "ContainerExitUnknown",
    "ContainerHandle",
    "ContainerImageUnavailable",
    "ContainerRuntime",
    "ContainerRuntimeUnavailable",
    "ContainerStartError",
    "ImageBuildError",
]
