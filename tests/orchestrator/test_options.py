"""``app.options``: the run-mode knobs, checked when set."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import aspyre


def test_defaults_and_the_public_name(tmp_path: Path) -> None:
    app = aspyre.DistributedApplication.create_builder([], app_host_path=tmp_path / "apphost.py").build()
    options = app.options
    assert isinstance(options, aspyre.AppOptions)
    assert options.default_wait_behavior is aspyre.WaitBehavior.STOP_ON_RESOURCE_UNAVAILABLE
    assert options.stop_grace_period == 10.0
    assert options.container_runtime_timeout == 5.0
    assert options.randomize_ports is False
    assert options.console_output is True
    options.stop_grace_period = 0  # no grace at all is allowed
    options.container_runtime_timeout = 2
    assert options.stop_grace_period == 0


@pytest.mark.parametrize(
    ("name", "value", "error", "message"),
    [
        ("stop_grace_period", -1, ValueError, "stop_grace_period must be a number of seconds >= 0, not -1"),
        ("stop_grace_period", math.inf, ValueError, "stop_grace_period must be a number of seconds >= 0"),
        ("stop_grace_period", "10", TypeError, "stop_grace_period must be a number of seconds, not '10'"),
        ("container_runtime_timeout", 0, ValueError, "container_runtime_timeout must be a number of seconds > 0"),
        ("randomize_ports", 1, TypeError, "randomize_ports must be True or False, not 1"),
        ("default_wait_behavior", "wait", TypeError, "default_wait_behavior must be an aspyre.WaitBehavior"),
    ],
)
def test_bad_values_are_refused_with_the_option_named(name: str, value: object, error: type, message: str) -> None:
    options = aspyre.AppOptions()
    with pytest.raises(error) as caught:
        setattr(options, name, value)
    assert f"app.options.{message}" in str(caught.value)
    with pytest.raises(error):
        aspyre.AppOptions(**{name: value})  # type: ignore[arg-type]


def test_a_misspelt_option_is_an_error() -> None:
    with pytest.raises(AttributeError):
        aspyre.AppOptions().stop_grace = 1  # type: ignore[attr-defined]
