"""The well-known names of the resource lifecycle: states, their styles, snapshot properties, resource types,
and how URLs and icons are shown.

Plain constants and enums, apart from the snapshot and URL classes (:mod:`aspyre._model._snapshot`,
:mod:`aspyre._model._urls`) that use them: resources and builders need them without making either.
"""

from __future__ import annotations

import enum

from aspyre._public import present_top_level as _present_top_level

__all__ = [
    "CustomResourceKnownProperties",
    "IconVariant",
    "KnownProperties",
    "KnownResourceStates",
    "KnownResourceTypes",
    "StateStyle",
    "UrlDisplayLocation",
]


class KnownResourceStates:
    """Aspire's state names. Any other text is a custom state, shown as it is.

    A snapshot without a state (a custom resource that published none yet) shows as ``Unknown``
    (:attr:`ResourceSnapshot.display_state`). ``Hidden`` hides the resource from consoles and
    dashboards, as ``ResourceSnapshot.is_hidden`` does (:attr:`ResourceSnapshot.is_visible`).
    """

    UNKNOWN = "Unknown"
    HIDDEN = "Hidden"
    BUILDING = "Building"
    NOT_STARTED = "NotStarted"
    WAITING = "Waiting"
    STARTING = "Starting"
    RUNNING = "Running"
    RUNTIME_UNHEALTHY = "RuntimeUnhealthy"
    STOPPING = "Stopping"
    EXITED = "Exited"
    FINISHED = "Finished"
    FAILED_TO_START = "FailedToStart"
    ACTIVE = "Active"
    #: aspyre's own: the resource's packages are being installed before it starts (``with_uv()``, npm apps).
    INSTALLING = "Installing"

    TERMINAL_STATES = frozenset({FINISHED, FAILED_TO_START, EXITED})

    @classmethod
    def is_terminal(cls, state: str | None) -> bool:
        """Whether ``state`` is one where the resource stopped progressing (Finished, Exited, FailedToStart)."""
        return state in cls.TERMINAL_STATES


class KnownProperties:
    """The snapshot property names Aspire's dashboard knows (``resource.source``, ``container.image``...).

    Built-in resources set them, so consoles and dashboards show every resource the same way; custom
    resources use them too (see :class:`CustomResourceKnownProperties`).
    """

    class Resource:
        """Properties of any resource."""

        SOURCE = "resource.source"
        CONNECTION_STRING = "resource.connectionString"
        EXIT_CODE = "resource.exitCode"
        PARENT_NAME = "resource.parentName"
        APP_ARGS = "resource.appArgs"

    class Container:
        """Properties of containers."""

        ID = "container.id"
        NAME = "container.name"
        IMAGE = "container.image"
        PORTS = "container.ports"
        COMMAND = "container.command"
        ARGS = "container.args"
        LIFETIME = "container.lifetime"

    class Executable:
        """Properties of processes."""

        PATH = "executable.path"
        PID = "executable.pid"
        WORK_DIR = "executable.workDir"
        ARGS = "executable.args"

    class Parameter:
        """Properties of parameters."""

        VALUE = "Value"


class CustomResourceKnownProperties:
    """The well-known properties a custom resource sets (Aspire's ``CustomResourceKnownProperties``)."""

    #: Where the resource comes from (an image, a path, an integration's name): ``resource.source``.
    SOURCE = KnownProperties.Resource.SOURCE
    #: The resource's connection string (shown masked): ``resource.connectionString``.
    CONNECTION_STRING = KnownProperties.Resource.CONNECTION_STRING


class KnownResourceTypes:
    """The ``resource_type`` of the built-in resources."""

    EXECUTABLE = "Executable"
    PYTHON_APP = "PythonApp"
    UVICORN_APP = "UvicornApp"
    CONTAINER = "Container"
    PARAMETER = "Parameter"
    CONNECTION_STRING = "ConnectionString"


class StateStyle:
    """How a state is shown (Aspire's state styles)."""

    SUCCESS = "success"
    ERROR = "error"
    INFO = "info"
    WARNING = "warning"


class UrlDisplayLocation(enum.Enum):
    """Where a URL is shown: in the resource list and its details, or in the details only (an internal URL)."""

    SUMMARY_AND_DETAILS = "SummaryAndDetails"
    DETAILS_ONLY = "DetailsOnly"


class IconVariant(enum.Enum):
    """The variant of a Fluent UI icon."""

    REGULAR = "Regular"
    FILLED = "Filled"


_present_top_level(globals())  # its names of aspyre.__all__ report "aspyre", however they are reached
