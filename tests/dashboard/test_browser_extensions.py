"""The seams for pages bundled with the dashboard (telemetry, issue 14), used from a hook plugin and seen in a browser.

tests/dashboard/apphosts/extended.py adds a page (with its script and an extension of the Resources
page and of the details), a live topic, and a second listener on another port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .helpers import AppHost, signed_in

EXTENDED = Path(__file__).resolve().parent / "apphosts" / "extended.py"


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(EXTENDED)
    try:
        app_host.wait_for_dashboard()
        yield app_host
    finally:
        app_host.stop()


def test_a_page_a_topic_and_extensions_of_the_built_in_pages(context: Any, host: AppHost) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(host.login_url)
    page.wait_for_selector("tr.res-row[data-resource='job'] .probe-badge")
    assert page.locator("tr.res-row[data-resource='job'] .probe-badge").inner_text() == "#3"
    nav = page.locator("#nav .nav-item").evaluate_all("items => items.map(i => i.dataset.page)")
    # the bundled pages (Resources, Console, the telemetry pages), then the extension's
    assert nav == ["resources", "console", "structuredlogs", "traces", "metrics", "probe"]
    page.locator("tr.res-row[data-resource='job']").click()
    page.wait_for_selector(".details [data-section='probe'] .probe-section >> text=probe for job")
    page.locator("#nav .nav-item[data-page='probe']").click()
    page.wait_for_url(re.compile(r"/probe$"))
    page.wait_for_selector("#probe-page[data-count]")  # the topic's messages reached the page
    page.reload()
    page.wait_for_selector("#probe-page")  # the page's own path serves the dashboard
    assert errors == []


def test_the_second_listener_serves_its_own_app(host: AppHost) -> None:
    second = host.wait_for_line(r"^Second: (?P<url>http://\S+)").group("url")
    response = httpx.get(second, trust_env=False)
    assert response.text == "second listener"
    with signed_in(host) as client:  # and the page's script is behind the dashboard's sign-in
        assert client.get("/probe/page.js").status_code == 200
    assert httpx.get(f"{host.url}/probe/page.js", trust_env=False).status_code == 401
