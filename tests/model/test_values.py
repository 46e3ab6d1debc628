"""Values: ReferenceExpression rendering, endpoint references and properties, parameters, connection strings."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

import anyio
import pytest
from hypothesis import given
from hypothesis import strategies as st

import aspyre
from aspyre import EndpointProperty, ReferenceExpression
from aspyre._model._values import iter_references
from aspyre.model import ConnectionStringReference, KnownNetworks, ReferenceExpressionBuilder, ValueContext


def resolve(value: object, context: ValueContext | None = None) -> str | None:
    async def go() -> str | None:
        return await aspyre.model.resolve_value(value, context or ValueContext())

    return anyio.run(go)


def manifest(value: object) -> str:
    return aspyre.ReferenceExpression.format("{}", value).value_expression


# --------------------------------------------------------------------------- hypothesis: rendering
#
# A random expression is a list of parts: literal text (braces included) or slots holding a
# parameter with a known value, a plain string, or a nested expression; any slot may carry the
# ``uri`` format. The oracle renders the parts directly; the expression under test is built
# from a str.format template (auto, manual or keyword fields) and with the builder.

TEXT = st.text(st.sampled_from("ab {}}{:%/@é ~-_.0"), max_size=6)


@dataclass
class Slot:
    value: object
    manifest: str
    live: str | None
    uri: bool


_counter = iter(range(10**9))


@st.composite
def slots(draw: st.DrawFn, depth: int = 0) -> Slot:
    uri = draw(st.booleans())
    kind = draw(st.sampled_from(["parameter", "string", "nested"] if depth == 0 else ["parameter", "string"]))
    if kind == "parameter":
        p = aspyre.ParameterResource(f"p{next(_counter)}")
        value = draw(TEXT)
        p.set_value(value, "test")
        return Slot(p, f"{{{p.name}.value}}", value, uri)
    if kind == "string":
        value = draw(TEXT)
        # A string slot is a literal: encoded right away when the slot has the uri format.
        text = urllib.parse.quote(value, safe="") if uri else value
        return Slot(value, text, value, uri)
    parts = draw(st.lists(st.one_of(TEXT, slots(depth=1)), max_size=4))
    inner = build_with_builder(parts)
    return Slot(inner, expected_manifest(parts), expected_live(parts), uri)


def expected_manifest(parts: list[Any]) -> str:
    return "".join(p if isinstance(p, str) else p.manifest for p in parts)


def _live(slot: Slot) -> str:
    text = slot.live or ""
    if isinstance(slot.value, str):
        return slot.manifest  # already a (possibly encoded) literal
    return urllib.parse.quote(text, safe="") if slot.uri else text


def expected_live(parts: list[Any]) -> str | None:
    non_empty = any(
        (isinstance(p, str) and p) or (isinstance(p, Slot) and (not isinstance(p.value, str) or p.manifest))
        for p in parts
    )
    if not non_empty:
        return None  # an empty expression has no value
    return "".join(p if isinstance(p, str) else _live(p) for p in parts)


def build_with_builder(parts: list[Any]) -> ReferenceExpression:
    b = ReferenceExpressionBuilder()
    for p in parts:
        if isinstance(p, str):
            b.append_literal(p)
        else:
            b.append_formatted(p.value, "uri" if p.uri else None)
    return b.build()


def escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@given(
    parts=st.lists(st.one_of(TEXT, slots()), max_size=6),
    numbering=st.sampled_from(["auto", "manual", "keyword", "mixed"]),
    spec_case=st.sampled_from(["uri", "URI", "Uri"]),
)
def test_reference_expression_renders_like_the_oracle(parts: list[Any], numbering: str, spec_case: str) -> None:
    template: list[str] = []
    args: list[object] = []
    kwargs: dict[str, object] = {}
    for i, p in enumerate(parts):
        if isinstance(p, str):
            template.append(escape(p))
            continue
        spec = f":{spec_case}" if p.uri else ""
        if numbering == "keyword" or (numbering == "mixed" and i % 2):
            kwargs[f"v{i}"] = p.value
            template.append(f"{{v{i}{spec}}}")
        elif numbering == "manual":
            # Manual numbering may list the values in any order: put them in reverse.
            args.insert(0, p.value)
            # A marker no literal can contain (TEXT has no NUL), renumbered once every value is in place.
            template.append(f"{{\x00{len(args) - 1}\x00{spec}}}")
        else:
            args.append(p.value)
            template.append(f"{{{spec}}}")
    text = "".join(template)
    if numbering == "manual":
        n = len(args)
        for k in range(n):
            text = text.replace(f"\x00{k}\x00", str(n - 1 - k))
    expr = ReferenceExpression.format(text, *args, **kwargs)

    assert expr.value_expression == expected_manifest(parts)
    assert str(expr) == expected_manifest(parts)
    assert resolve(expr) == expected_live(parts)
    assert expr.is_empty == (expected_live(parts) is None)

    built = build_with_builder(parts)
    assert built == expr
    assert built.value_expression == expr.value_expression
    # Slots hold exactly the deferred values, in order; plain strings became literals.
    deferred = [p.value for p in parts if isinstance(p, Slot) and not isinstance(p.value, str)]
    assert list(expr.value_providers) == deferred
    assert list(expr.references) == deferred
    assert list(expr.string_formats) == [
        "uri" if p.uri else None for p in parts if isinstance(p, Slot) and not isinstance(p.value, str)
    ]
    # Aspire's Format: numbered slots, literal braces escaped.
    assert expr.format_string.count("{{") >= sum(p.count("{") for p in parts if isinstance(p, str))


def test_format_examples() -> None:
    p = aspyre.ParameterResource("pw")
    p.set_value("a b/c@d", "test")
    expr = ReferenceExpression.format("redis://:{pw:uri}@{{host}}:{0}", 6379, pw=p)
    assert expr.value_expression == "redis://:{pw.value}@{host}:6379"
    assert resolve(expr) == "redis://:a%20b%2Fc%40d@{host}:6379"
    assert expr.format_string == "redis://:{0}@{{host}}:6379"
    assert expr.string_formats == ("uri",)
    assert ReferenceExpression.empty().is_empty
    assert resolve(ReferenceExpression.empty()) is None
    assert resolve(ReferenceExpression.format("")) is None


@pytest.mark.parametrize(
    ("template", "args", "kwargs", "error", "match"),
    [
        ("{:upper}", ("x",), {}, ValueError, "format 'upper' is not supported"),
        ("{!r}", ("x",), {}, ValueError, "conversion"),
        ("{}{0}", ("x",), {}, ValueError, "automatic field numbering to manual"),
        ("{0}{}", ("x",), {}, ValueError, "manual field numbering to automatic"),
        ("{} {}", ("x",), {}, IndexError, "needs positional value #1"),
        ("{name}", (), {}, KeyError, "needs a value for 'name'"),
        ("{a.b}", (), {"a": "x"}, ValueError, "unsupported field 'a.b'"),
        ("{", (), {}, ValueError, "Single '{'"),
        # In template order: a value missing before a bad field is reported first (the template's plan is kept
        # between calls, its errors are raised where the template reaches them).
        ("{x}{!r}", (), {}, KeyError, "needs a value for 'x'"),
        ("{x}{!r}", (), {"x": "v"}, ValueError, "conversion"),
        ("{0}{}", (), {}, IndexError, "needs positional value #0"),
        ("{0}{\u00b2}", (), {}, IndexError, "needs positional value #0"),
        ("{0}{\u00b2}", ("x",), {}, ValueError, "invalid literal for int"),
        ("{x:bad}{!r}", (), {"x": "v"}, ValueError, "format 'bad' is not supported"),
    ],
)
def test_format_errors(
    template: str, args: tuple[object, ...], kwargs: dict[str, object], error: type, match: str
) -> None:
    with pytest.raises(error, match=match):
        ReferenceExpression.format(template, *args, **kwargs)


def test_values_that_are_not_values_are_rejected() -> None:
    with pytest.raises(TypeError, match="object cannot be used as a value"):
        ReferenceExpression.format("{}", object())
    with pytest.raises(TypeError, match="append_literal takes a str"):
        ReferenceExpressionBuilder().append_literal(3)  # type: ignore[arg-type]


def test_numbers_and_booleans_become_literals() -> None:
    expr = ReferenceExpression.format("{}-{}-{}", 8080, 1.5, True)
    assert expr.value_expression == "8080-1.5-true"
    assert expr.value_providers == ()


def test_iter_references_walks_nested_values() -> None:
    api = aspyre.ExecutableResource("api", command="python", working_dir=".")
    pw = aspyre.ParameterResource("pw")
    inner = ReferenceExpression.format("{}:{}", api.get_endpoint("http").property(EndpointProperty.HOST), pw)
    outer = ReferenceExpression.format("x={}", inner)
    refs = list(iter_references(outer))
    assert inner in refs
    assert api in refs
    assert pw in refs


# --------------------------------------------------------------------------- endpoints


def make_api() -> aspyre.ExecutableResource:
    api = aspyre.ExecutableResource("api", command="python", working_dir=".")
    api.annotations.add(aspyre.annotations.EndpointAnnotation(name="http", scheme="http", target_port=8000))
    api.annotations.add(aspyre.annotations.EndpointAnnotation(name="grpc", scheme="https", tls_enabled=True))
    return api


@pytest.mark.parametrize(
    ("prop", "placeholder"),
    [
        (EndpointProperty.URL, "{api.bindings.http.url}"),
        (EndpointProperty.HOST, "{api.bindings.http.host}"),
        (EndpointProperty.IPV4_HOST, "{api.bindings.http.host}"),
        (EndpointProperty.PORT, "{api.bindings.http.port}"),
        (EndpointProperty.SCHEME, "{api.bindings.http.scheme}"),
        (EndpointProperty.TARGET_PORT, "{api.bindings.http.targetPort}"),
        (EndpointProperty.HOST_AND_PORT, "{api.bindings.http.host}:{api.bindings.http.port}"),
        (EndpointProperty.TLS_ENABLED, "{api.bindings.http.tlsEnabled}"),
    ],
)
def test_endpoint_property_placeholders(prop: EndpointProperty, placeholder: str) -> None:
    ep = make_api().get_endpoint("http")
    assert ep.property(prop).value_expression == placeholder
    assert manifest(ep.property(prop)) == placeholder


def test_endpoint_reference_placeholder_is_the_url() -> None:
    ep = make_api().get_endpoint("http")
    assert ep.value_expression == "{api.bindings.http.url}"
    assert manifest(ep) == "{api.bindings.http.url}"
    assert ep.references == (ep.resource,)


def test_live_values_before_allocation_raise_a_clear_error() -> None:
    ep = make_api().get_endpoint("http")
    assert ep.exists
    assert not ep.is_allocated
    for read in (lambda: ep.url, lambda: ep.host, lambda: ep.port, lambda: resolve(ep)):
        with pytest.raises(aspyre.EndpointNotAllocatedError) as info:
            read()
        assert "Endpoint 'http' of resource 'api' has not been allocated yet" in str(info.value)
    for prop in (EndpointProperty.URL, EndpointProperty.HOST, EndpointProperty.PORT, EndpointProperty.HOST_AND_PORT):
        with pytest.raises(aspyre.EndpointNotAllocatedError):
            resolve(ep.property(prop))
    # What the declaration knows is available at once.
    assert ep.scheme == "http"
    assert ep.target_port == 8000
    assert resolve(ep.property(EndpointProperty.SCHEME)) == "http"
    assert resolve(ep.property(EndpointProperty.TLS_ENABLED)) == "false"
    assert resolve(ep.property(EndpointProperty.TARGET_PORT)) == "8000"
    # A target port chosen at run time is not known before allocation.
    grpc = aspyre.EndpointReference(ep.resource, "grpc")
    assert grpc.tls_enabled
    with pytest.raises(aspyre.EndpointNotAllocatedError):
        resolve(grpc.property(EndpointProperty.TARGET_PORT))


def test_live_values_in_publish_mode_say_why() -> None:
    ep = make_api().get_endpoint("http")
    publishing = aspyre.model.ValueContext(execution_context=aspyre.ExecutionContext(aspyre.Operation.PUBLISH, "manifest"))
    with pytest.raises(aspyre.EndpointNotAllocatedError, match=r"in publish mode.*\{api\.bindings\.http\.url\}"):
        resolve(ep, publishing)
    with pytest.raises(aspyre.EndpointNotAllocatedError, match=r"in publish mode.*\{api\.bindings\.http\.url\}"):
        ep.allocated_for(execution_context=publishing.execution_context)
    # Without the mode (a live property read), the message names both modes.
    with pytest.raises(aspyre.EndpointNotAllocatedError, match=r"has not been allocated yet.*never in publish mode"):
        _ = ep.url


def test_live_values_after_allocation() -> None:
    api = make_api()
    ann = api.get_endpoint("http").annotation
    ann.allocated[KnownNetworks.LOCALHOST] = aspyre.model.AllocatedEndpoint("localhost", 50123, "http")
    ann.allocated[KnownNetworks.CONTAINER] = aspyre.model.AllocatedEndpoint("api", 8000, "http", KnownNetworks.CONTAINER)
    ep = api.get_endpoint("http")
    assert ep.is_allocated
    assert (ep.url, ep.host, ep.port) == ("http://localhost:50123", "localhost", 50123)
    assert resolve(ep) == "http://localhost:50123"
    assert resolve(ep.property(EndpointProperty.HOST_AND_PORT)) == "localhost:50123"
    assert resolve(ep.property(EndpointProperty.IPV4_HOST)) == "127.0.0.1"
    assert resolve(ep.property(EndpointProperty.PORT)) == "50123"
    # A container sees the endpoint on the container network.
    in_container = ValueContext(network=KnownNetworks.CONTAINER)
    assert resolve(ep, in_container) == "http://api:8000"
    assert resolve(ep.property(EndpointProperty.HOST), in_container) == "api"
    # A reference bound to a network uses it whatever the caller's network.
    bound = aspyre.EndpointReference(api, "http", KnownNetworks.CONTAINER)
    assert resolve(bound) == "http://api:8000"


def test_missing_endpoint_lists_the_existing_ones() -> None:
    ep = make_api().get_endpoint("htp")
    assert not ep.exists
    assert not ep.is_allocated
    assert not ep.tls_enabled
    with pytest.raises(LookupError, match=r"Resource 'api' has no endpoint named 'htp' \(its endpoints: http, grpc\)"):
        _ = ep.url


# --------------------------------------------------------------------------- parameters & connection strings


def test_parameter_value_and_placeholder() -> None:
    p = aspyre.ParameterResource("api-key", secret=True)
    assert p.value_expression == "{api-key.value}"
    assert manifest(p) == "{api-key.value}"
    with pytest.raises(
        aspyre.MissingParameterValueError, match=r"Parameter 'api-key' has no value.*Parameters__api-key"
    ):
        resolve(p)
    p.set_value("s3cret", "test")
    assert resolve(p) == "s3cret"
    assert p.value_source == "test"


def test_parameter_resolver_runs_on_first_read_only() -> None:
    calls: list[str] = []

    def resolver(param: aspyre.ParameterResource) -> None:
        calls.append(param.name)
        param.set_value("v", "resolver")

    p = aspyre.ParameterResource("p")
    p.set_resolver(resolver)
    assert not p.has_value
    assert p.value == "v"
    assert p.value == "v"
    assert calls == ["p"]


def test_connection_string_reference() -> None:
    pw = aspyre.ParameterResource("pw")
    pw.set_value("x", "test")
    cs = aspyre.ConnectionStringResource("cache", expression=ReferenceExpression.format("host:1,password={}", pw))
    ref = aspyre.model.ConnectionStringReference(cs)
    assert ref.value_expression == "{cache.connectionString}"
    assert manifest(cs) == "{cache.connectionString}"  # a resource with a connection string stands for it
    assert resolve(ref) == "host:1,password=x"
    assert ref.references == (cs,)

    empty = aspyre.ConnectionStringResource("empty", expression=ReferenceExpression.empty())
    with pytest.raises(LookupError, match=r"The connection string for the resource 'empty' is not available\."):
        resolve(aspyre.model.ConnectionStringReference(empty))
    assert resolve(aspyre.model.ConnectionStringReference(empty, optional=True)) is None


def test_connection_string_parameter() -> None:
    db = aspyre.ConnectionStringParameterResource("db", secret=True)
    assert db.configuration_key == "ConnectionStrings__db"
    assert db.value_expression == "{db.connectionString}"
    assert manifest(db) == "{db.connectionString}"
    # The parameter's own value is the connection string: {db.value} in the manifest.
    assert db.connection_string_expression.value_expression == "{db.value}"
    db.set_value("Host=h", "test")
    assert resolve(db) == "Host=h"


def test_references_compare_by_what_they_refer_to() -> None:
    api = make_api()
    other = make_api()
    assert api.get_endpoint("http") == api.get_endpoint("HTTP")
    assert hash(api.get_endpoint("http")) == hash(api.get_endpoint("HTTP"))
    assert api.get_endpoint("http") != other.get_endpoint("http")  # another resource object
    assert api.get_endpoint("http") != aspyre.EndpointReference(api, "http", KnownNetworks.CONTAINER)
    host = api.get_endpoint("http").property(EndpointProperty.HOST)
    assert host == api.get_endpoint("http").property(EndpointProperty.HOST)
    assert host != api.get_endpoint("http").property(EndpointProperty.PORT)
    assert ReferenceExpression.format("{}", host) == ReferenceExpression.format(
        "{}", api.get_endpoint("http").property(EndpointProperty.HOST)
    )
    cs = aspyre.ConnectionStringResource("cs", expression=ReferenceExpression.format("x"))
    assert aspyre.model.ConnectionStringReference(cs) == aspyre.model.ConnectionStringReference(cs)
    assert aspyre.model.ConnectionStringReference(cs) != aspyre.model.ConnectionStringReference(cs, optional=True)


def test_secret_values_are_recognised_through_expressions() -> None:
    from aspyre._model._environment import is_secret_value

    secret = aspyre.ParameterResource("pw", secret=True)
    plain = aspyre.ParameterResource("user")
    assert is_secret_value(secret)
    assert not is_secret_value(plain)
    assert is_secret_value(ReferenceExpression.format("u={};p={}", plain, ReferenceExpression.format("{}", secret)))
    assert not is_secret_value(ReferenceExpression.format("u={}", plain))
    assert not is_secret_value("literal")


def test_a_connection_string_made_from_a_secret_is_secret() -> None:
    """``ConnectionStrings__cache`` holds the password when the cache's connection string does."""
    from aspyre._model._environment import is_secret_value

    secret = aspyre.ParameterResource("pw", secret=True)
    with_password = aspyre.ConnectionStringResource("db", expression=ReferenceExpression.format("h,password={}", secret))
    without = aspyre.ConnectionStringResource("open", expression=ReferenceExpression.format("h"))
    assert is_secret_value(ConnectionStringReference(with_password))
    assert is_secret_value(ReferenceExpression.format("x={}", ConnectionStringReference(with_password)))
    assert not is_secret_value(ConnectionStringReference(without))
    # a connection string that refers to itself through another one does not loop
    loop = aspyre.ConnectionStringResource("loop", expression=ReferenceExpression.format("h"))
    loop.expression = ReferenceExpression.format("{}", ConnectionStringReference(loop))  # type: ignore[misc]
    assert not is_secret_value(ConnectionStringReference(loop))


def test_references_of_is_depth_first_each_object_once() -> None:
    from aspyre._model._values import references_of

    p = aspyre.ParameterResource("p")
    q = aspyre.ParameterResource("q")
    inner = aspyre.ReferenceExpression.format("{}{}", p, q)
    outer = aspyre.ReferenceExpression.format("{}-{}-{}", inner, p, inner)
    assert references_of(outer) == [inner, p, q]
    assert list(iter_references(outer)) == [inner, p, q]
    assert references_of("text") == []
    assert references_of(p) == []
