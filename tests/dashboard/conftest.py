"""The browser for the dashboard's tests: Debian's chromium driven by Playwright, one per module.

One per module rather than per session: Playwright's synchronous API keeps its event loop
installed in the main thread while it runs, which the async tests of later modules need.

Without Playwright or chromium the browser tests skip with the reason; with
``ASPYRE_REQUIRE_BROWSER=1`` (CI sets it) they fail instead. ``ASPYRE_CHROMIUM`` overrides the
browser's path (default ``/usr/bin/chromium``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REQUIRE_BROWSER = os.environ.get("ASPYRE_REQUIRE_BROWSER") == "1"
CHROMIUM = Path(os.environ.get("ASPYRE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _browser_problem() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"Playwright is not installed ({exc}): pip install -r requirements-dev.txt"
    if not CHROMIUM.exists():
        return f"no chromium at {CHROMIUM}: apt-get install -y chromium (or set ASPYRE_CHROMIUM)"
    return None


def require_browser() -> None:
    problem = _browser_problem()
    if problem is None:
        return
    if REQUIRE_BROWSER:
        pytest.fail(f"ASPYRE_REQUIRE_BROWSER=1 but {problem}")
    pytest.skip(problem)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless chromium for the module's tests."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    """A fresh browser profile (no cookies) for one test."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()
