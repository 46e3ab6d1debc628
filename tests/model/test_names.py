"""Resource and endpoint names: Aspire's rules, checked against an independent oracle."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import aspyre

# The oracle: the same rules written as one regular expression (1-64 chars, ASCII letters,
# digits and hyphens, starts with a letter, no "--", does not end with "-").
VALID = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,63}")


def oracle(name: str) -> bool:
    return VALID.fullmatch(name) is not None and len(name) <= 64


def expected_rule(name: str) -> str:
    """Which rule Aspire reports first for an invalid name (its check order)."""
    if not 1 <= len(name.encode("utf-16-le", "surrogatepass")) // 2 <= 64:
        return "must be between 1 and 64 characters long"
    previous = ""
    for ch in name:
        if ch == "-" and previous == "-":
            return "cannot contain consecutive hyphens"
        if not (ch == "-" or (ch.isascii() and ch.isalnum())):
            return "must contain only ASCII letters, digits, and hyphens"
        previous = ch
    if not (name[0].isascii() and name[0].isalpha()):
        return "must start with an ASCII letter"
    assert name.endswith("-")
    return "cannot end with a hyphen"


name_alphabet = st.sampled_from("abcXYZ019-_.é ")
names = st.one_of(
    st.text(name_alphabet, min_size=0, max_size=70),
    st.text(min_size=0, max_size=10),
    st.from_regex(VALID, fullmatch=True),
)


@given(names)
@example("a")
@example("a" * 64)
@example("a" * 65)
@example("")
@example("a--b")
@example("a-")
@example("1a")
@example("-a")
@example("a_b")
@example("café")
@example("a" * 63 + "é")
def test_resource_name_rules_match_the_oracle(name: str) -> None:
    if oracle(name):
        assert aspyre.model.validate_name("Resource", name) == name
        aspyre.Resource(name)  # the constructor validates too
    else:
        with pytest.raises(aspyre.InvalidNameError) as info:
            aspyre.model.validate_name("Resource", name)
        assert info.value.name == name
        assert info.value.rule == expected_rule(name)
        assert str(info.value) == f"Resource name {name!r} is invalid. Name {expected_rule(name)}."


@given(names)
def test_endpoint_name_rules_match_the_oracle(name: str) -> None:
    if oracle(name):
        assert aspyre.annotations.EndpointAnnotation(name=name).name == name
    else:
        with pytest.raises(aspyre.InvalidNameError, match=r"^Endpoint name"):
            aspyre.annotations.EndpointAnnotation(name=name)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "Resource name '' is invalid. Name must be between 1 and 64 characters long."),
        ("a" * 65, f"Resource name '{'a' * 65}' is invalid. Name must be between 1 and 64 characters long."),
        ("my--api", "Resource name 'my--api' is invalid. Name cannot contain consecutive hyphens."),
        ("my_api", "Resource name 'my_api' is invalid. Name must contain only ASCII letters, digits, and hyphens."),
        ("1api", "Resource name '1api' is invalid. Name must start with an ASCII letter."),
        ("api-", "Resource name 'api-' is invalid. Name cannot end with a hyphen."),
        # Aspire checks characters one by one: "--" before the bad character wins, and vice versa.
        ("a--_", "Resource name 'a--_' is invalid. Name cannot contain consecutive hyphens."),
        ("a_--", "Resource name 'a_--' is invalid. Name must contain only ASCII letters, digits, and hyphens."),
    ],
)
def test_messages_have_aspires_wording(name: str, message: str) -> None:
    with pytest.raises(aspyre.InvalidNameError) as info:
        aspyre.model.validate_name("Resource", name)
    assert str(info.value) == message


def test_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="must be a str"):
        aspyre.model.validate_name("Resource", 42)


@pytest.fixture
def builder(tmp_path: Path) -> aspyre.DistributedApplicationBuilder:
    return aspyre.DistributedApplicationBuilder([], app_host_path=tmp_path / "apphost.py")


@pytest.mark.parametrize(
    "add",
    [
        lambda b: b.add_container("bad_name", "redis"),
        lambda b: b.add_executable("bad_name", "python"),
        lambda b: b.add_python_app("bad_name", "app.py"),
        lambda b: b.add_parameter("bad_name"),
        lambda b: b.add_connection_string("bad_name"),
        lambda b: b.add_resource(aspyre.Resource("bad_name")),
    ],
)
def test_bad_resource_name_raises_at_the_call_and_adds_nothing(
    builder: aspyre.DistributedApplicationBuilder, add: Callable[[aspyre.DistributedApplicationBuilder], object]
) -> None:
    with pytest.raises(aspyre.InvalidNameError, match=r"Resource name 'bad_name' is invalid\. Name must contain only"):
        add(builder)
    assert builder.resources == ()


def test_bad_endpoint_name_raises_at_with_endpoint(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python")
    with pytest.raises(
        aspyre.InvalidNameError, match=r"Endpoint name 'http-' is invalid\. Name cannot end with a hyphen\."
    ):
        api.with_http_endpoint(name="http-")
    # A scheme that is not a valid name cannot be the default endpoint name either.
    with pytest.raises(aspyre.InvalidNameError, match=r"Endpoint name 'redis\+tls'"):
        api.with_endpoint(scheme="redis+tls")
    assert api.resource.annotations.all(aspyre.annotations.EndpointAnnotation) == []


def test_resource_names_are_unique_case_insensitively(builder: aspyre.DistributedApplicationBuilder) -> None:
    builder.add_container("Cache", "redis")
    with pytest.raises(aspyre.DuplicateResourceError) as info:
        builder.add_executable("cACHE", "python")
    message = str(info.value)
    assert "'cACHE'" in message
    assert "ContainerResource" in message
    assert "case-insensitive" in message
    assert [r.name for r in builder.resources] == ["Cache"]


def test_endpoint_names_are_unique_case_insensitively(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    with pytest.raises(ValueError, match="Endpoint with name 'HTTP' already exists on resource 'api'"):
        api.with_endpoint(name="HTTP", scheme="http")
    # Another scheme needs another name: the default name is the scheme.
    api.with_https_endpoint()
    assert [e.name for e in api.resource.annotations.all(aspyre.annotations.EndpointAnnotation)] == ["http", "https"]


def test_endpoint_lookups_are_case_insensitive(builder: aspyre.DistributedApplicationBuilder) -> None:
    api = builder.add_executable("api", "python").with_http_endpoint()
    assert api.get_endpoint("HTTP").exists
    assert not api.get_endpoint("https").exists
    app = builder.build()
    assert app.model["API"] is api.resource
    assert "Api" in app.model


def test_a_name_checked_twice_in_a_row_is_judged_the_same_each_time() -> None:
    """The last valid name is remembered (a name on its way into the model is checked twice); an invalid one never
    is, nor is the empty name before any name was checked (in a fresh interpreter: nothing checked yet)."""
    fresh = "import aspyre.model as m\ntry:\n    m.validate_name('Resource', '')\nexcept ValueError as e:\n    print(e)"
    out = subprocess.run([sys.executable, "-c", fresh], capture_output=True, text=True, check=True).stdout
    assert out == "Resource name '' is invalid. Name must be between 1 and 64 characters long.\n"
    with pytest.raises(aspyre.InvalidNameError, match="between 1 and 64"):
        aspyre.model.validate_name("Resource", "")
    name = "".join(["worker-", "1"])  # a string made at run time, as names of large models are
    assert aspyre.model.validate_name("Resource", name) is name
    assert aspyre.model.validate_name("Resource", name) is name
    for bad in ("bad--name", "bad--name", "-x", ""):
        with pytest.raises(aspyre.InvalidNameError):
            aspyre.model.validate_name("Resource", bad)
    with pytest.raises(TypeError):
        aspyre.model.validate_name("Resource", 5)
