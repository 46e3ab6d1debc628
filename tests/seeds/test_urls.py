"""URLs: Aspire's ``WithUrls`` callback, ``WithUrlForEndpoint`` (display text, display location, per-endpoint edits,
added URLs), relative ``WithUrl`` and ``WithIconName``, beside the static ``with_url`` the talking clock uses."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import anyio.lowlevel
import pytest

import aspyre
from aspyre import KnownResourceStates as S
from aspyre import UrlDisplayLocation
from aspyre.annotations import ResourceUrlAnnotation, ResourceUrlsCallbackContext

from .helpers import run_builder, wait_state

pytestmark = pytest.mark.anyio

SLEEP = ("-c", "import time; time.sleep(30)")


async def urls_of(app: aspyre.DistributedApplication, name: str) -> tuple[aspyre.model.UrlSnapshot, ...]:
    snapshot = await wait_state(app, name, S.RUNNING)
    return snapshot.urls


async def test_with_url_for_endpoint_edits_and_adds(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    api = builder.add_executable("api", sys.executable, *SLEEP).with_http_endpoint().with_endpoint(
        name="admin", scheme="http"
    )

    def home(url: ResourceUrlAnnotation) -> None:
        url.display_text = "Home"
        url.url = "/home"

    def internal(url: ResourceUrlAnnotation) -> None:
        url.display_location = UrlDisplayLocation.DETAILS_ONLY

    api.with_url_for_endpoint("http", home).with_url_for_endpoint("admin", internal)
    api.with_url_for_endpoint("http", factory=lambda ep: ResourceUrlAnnotation("/swagger", "API docs", display_order=5))
    app = builder.build()
    async with app:
        urls = await urls_of(app, "api")
        http, admin = app.get_endpoint("api", "http"), app.get_endpoint("api", "admin")
    assert [(u.name, u.url, u.display_text, u.is_internal) for u in urls] == [
        ("http", f"{http}/swagger", "API docs", False),  # the highest display order comes first
        ("http", f"{http}/home", "Home", False),
        ("admin", admin, None, True),
    ]


async def test_with_urls_edits_the_whole_list_and_may_be_async(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    web = builder.add_executable("web", sys.executable, *SLEEP).with_http_endpoint().with_https_endpoint()
    web.with_url("https://docs.example.com/web", "Docs")

    async def only_http(context: ResourceUrlsCallbackContext) -> None:
        await anyio.lowlevel.checkpoint()
        assert context.resource is web.resource
        assert context.get_endpoint("http") == web.get_endpoint("http")
        context.urls[:] = [u for u in context.urls if u.endpoint_name != "https"]
        for u in context.urls:
            u.display_text = u.display_text or "web"

    web.with_urls(only_http)
    app = builder.build()
    async with app:
        urls = await urls_of(app, "web")
        http = app.get_endpoint("web", "http")
    assert [(u.url, u.display_text) for u in urls] == [(http, "web"), ("https://docs.example.com/web", "Docs")]


async def test_a_relative_with_url_gives_every_endpoint_url_its_path(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    svc = builder.add_executable("svc", sys.executable, *SLEEP).with_http_endpoint()
    svc.with_endpoint(name="raw", scheme="tcp").with_url("/dashboard", "Dashboard")
    app = builder.build()
    async with app:
        urls = await urls_of(app, "svc")
        http, raw = app.get_endpoint("svc", "http"), app.get_endpoint("svc", "raw")
    assert [(u.url, u.display_text) for u in urls] == [(f"{http}/dashboard", "Dashboard"), (f"{raw}/dashboard", "Dashboard")]


async def test_a_failing_callback_is_logged_and_the_urls_so_far_are_shown(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)

    def broken(context: ResourceUrlsCallbackContext) -> None:
        raise RuntimeError("no luck")

    builder.add_executable("odd", sys.executable, *SLEEP).with_http_endpoint().with_urls(broken)
    app = builder.build()
    async with app:
        urls = await urls_of(app, "odd")
        lines = [line.content for line in app.resource_loggers.backlog("odd")]
    assert [u.name for u in urls] == ["http"]
    assert "Computing the URLs of 'odd' failed: RuntimeError: no luck" in lines


def test_with_url_for_an_undeclared_endpoint_fails_at_build(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_executable("api", "python").with_http_endpoint().with_url_for_endpoint("htps", lambda u: None)
    with pytest.raises(aspyre.ModelValidationError) as info:
        builder.build()
    assert info.value.problems == [
        "Resource 'api' customises the URL of its endpoint 'htps' (with_url_for_endpoint), which it does not "
        "declare (its endpoints: http)."
    ]
    with pytest.raises(TypeError, match="either a callback"):
        builder.add_executable("other", "python").with_url_for_endpoint("http")


async def test_with_icon_name_reaches_the_snapshot(tmp_path: Path) -> None:
    builder = run_builder(tmp_path)
    builder.add_parameter("setting", "x").with_icon_name("Settings", aspyre.IconVariant.REGULAR)
    builder.add_talking_clock("clock", interval=0.05)
    app = builder.build()
    async with app:
        setting = await wait_state(app, "setting", S.RUNNING)
        clock = await wait_state(app, "clock", "Tick", "Tock")
    assert (setting.icon_name, setting.icon_variant) == ("Settings", "Regular")
    assert [(u.url, u.display_text) for u in clock.urls] == [("https://www.speaking-clock.com/", "Speaking Clock")]
