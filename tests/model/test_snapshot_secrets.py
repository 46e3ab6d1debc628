"""Sensitive snapshot values never reach a repr, a str, or a failed assertion's explanation."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from aspyre import ResourceSnapshot
from aspyre.model import EnvironmentVariableSnapshot, ResourcePropertySnapshot

SECRET = "hunter2-Sup3rSecret"


def snapshot() -> ResourceSnapshot:
    return (
        ResourceSnapshot("Container")
        .with_state("Running")
        .with_property("resource.connectionString", f"redis://:{SECRET}@localhost:6379", is_sensitive=True)
        .with_property("container.id", "abc123")
        .evolve(
            environment_variables=(
                EnvironmentVariableSnapshot("REDIS_PASSWORD", SECRET, True, True),
                EnvironmentVariableSnapshot("PORT", "6379"),
            )
        )
    )


def test_repr_and_str_mask_sensitive_properties_and_environment_values() -> None:
    snap = snapshot()
    for text in (repr(snap), str(snap), repr(snap.properties), repr(snap.environment_variables)):
        assert SECRET not in text
        assert "***" in text
    # what is not sensitive is still shown, and the data itself is untouched
    assert "'abc123'" in repr(snap)
    assert "'6379'" in repr(snap)
    assert snap.property_value("resource.connectionString") == f"redis://:{SECRET}@localhost:6379"
    assert repr(ResourcePropertySnapshot("p", None, True)) == "ResourcePropertySnapshot(name='p', value=None, is_sensitive=True)"


def test_a_failing_assertion_on_snapshots_does_not_print_the_secret(tmp_path: Path) -> None:
    test = tmp_path / "test_leak.py"
    test.write_text(
        textwrap.dedent(
            """
            import os

            from aspyre import ResourceSnapshot
            from aspyre.model import EnvironmentVariableSnapshot


            def make(prefix=""):
                # read here, so the secret is in no expression pytest explains except the snapshots
                password = prefix + os.environ["LEAK_TEST_SECRET"]
                return ResourceSnapshot("Container").with_property("pw", password, is_sensitive=True).evolve(
                    environment_variables=(EnvironmentVariableSnapshot("PW", password, True, True),)
                )

            def test_state():
                assert make().state_text == "Running"

            def test_equal():
                assert make() == make("other-")

            def test_property():
                assert make().properties[0] == make("x").properties[0]
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-vv", str(test)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LEAK_TEST_SECRET": SECRET},
    )
    assert proc.stdout.count(" FAILED") >= 3, proc.stdout
    assert SECRET not in proc.stdout + proc.stderr
    assert "sensitive values masked" in proc.stdout
