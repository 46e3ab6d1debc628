"""Screenshots of the dashboard for docs/dashboard.md and docs/telemetry.md, taken from the running demo app host.

    scripts/screenshots [demo] [showcase] [telemetry]   # or: .venv/bin/python docs/images/make_screenshots.py
    (no argument: all three)

Runs ``aspyre run examples/apphost.py`` (needs Docker and the redis image, as ``scripts/demo``),
signs a headless chromium in with the printed link, and saves one PNG per page here
(``dashboard-*.png``). The nested-children view comes from the dashboard tests' showcase app host
(talking clocks), which needs no containers. The telemetry pages come from the telemetry tests' shop
(an API and a worker on the OpenTelemetry SDK, Redis in Docker), after a few orders. Needs Playwright and chromium (``/usr/bin/chromium`` or
``ASPYRE_CHROMIUM``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ASPYRE = Path(sys.executable).with_name("aspyre")
CHROMIUM = os.environ.get("ASPYRE_CHROMIUM", "/usr/bin/chromium")
VIEWPORT = {"width": 1440, "height": 860}


@contextmanager
def app_host(path: Path) -> Iterator[str]:
    """Run the app host; yield the sign-in link it prints."""
    env = dict(os.environ)
    env.pop("ASPYRE_DISABLE_PLUGINS", None)
    proc = subprocess.Popen(
        [str(ASPYRE), "run", "--plain", str(path.relative_to(ROOT))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            m = re.match(r"^Dashboard: (http://\S+)", line)
            if m:
                yield m.group(1)
                break
        else:
            raise SystemExit(f"{path} exited without printing the dashboard's link")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_state(page: Any, name: str, state: str) -> None:
    page.wait_for_function(
        "([n, s]) => { const r = document.querySelector(`[data-resource='${n}'][data-state]`); return r && r.dataset.state === s; }",
        arg=[name, state],
        timeout=120_000,
    )


def shoot(page: Any, name: str) -> None:
    page.mouse.move(0, VIEWPORT["height"] - 1)  # no hover effects
    page.wait_for_timeout(400)  # let the last frame paint
    path = HERE / f"dashboard-{name}.png"
    page.screenshot(path=str(path))
    print(f"saved {path.relative_to(ROOT)}")


def demo_pages(browser: Any) -> None:
    with app_host(ROOT / "examples" / "apphost.py") as login:
        base = login.split("/login")[0]
        ctx = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        page = ctx.new_page()
        page.goto(login)
        page.wait_for_selector("tr.res-row")
        wait_state(page, "api", "Running")
        page.wait_for_selector("tr.res-row[data-resource='api'] .health-healthy", timeout=120_000)
        time.sleep(3)  # a few seconds of uptime and of logs
        shoot(page, "resources")
        page.goto(f"{base}/resources?resource=api")
        page.wait_for_selector(".details tr[data-env='CACHE_PASSWORD']")
        page.locator(".details [data-section='resource'] .section-head").click()  # folded: env vars in view
        shoot(page, "details")
        page.locator(".details [data-section='resource'] .section-head").click()
        page.goto(f"{base}/graph?resource=api")
        page.wait_for_selector(".gnode[data-resource='cache']")
        shoot(page, "graph")
        page.goto(f"{base}/parameters")
        page.wait_for_selector("tr.param-row[data-resource='cache-password']")
        shoot(page, "parameters")
        page.goto(f"{base}/console")
        page.wait_for_selector("#log .line .prefix >> text=api")
        shoot(page, "console")
        ctx.close()
        dark = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
        page = dark.new_page()
        page.goto(login)
        page.goto(f"{base}/console/cache")
        page.wait_for_selector("#log .line")
        shoot(page, "console-dark")
        dark.close()


def showcase_pages(browser: Any) -> None:
    with app_host(ROOT / "tests" / "dashboard" / "apphosts" / "showcase.py") as login:
        ctx = browser.new_context(viewport=VIEWPORT, color_scheme="dark")
        page = ctx.new_page()
        page.goto(login)
        page.wait_for_selector("tr.res-row[data-resource='clock-tick-hand']")
        page.locator("tr.res-row[data-resource='alarm'] button[data-command='start']").click()
        page.wait_for_function(
            "() => /Tick|Tock/.test(document.querySelector(\"tr.res-row[data-resource='alarm']\").dataset.state)"
        )
        page.wait_for_timeout(1500)
        shoot(page, "nested-dark")
        ctx.close()


def telemetry_pages(browser: Any) -> None:
    import httpx

    with app_host(ROOT / "tests" / "dashboard" / "telemetry" / "apphosts" / "shop.py") as login:
        base = login.split("/login")[0]
        ctx = browser.new_context(viewport=VIEWPORT, color_scheme="light")
        page = ctx.new_page()
        page.goto(login)
        page.wait_for_selector("tr.res-row")
        page.wait_for_selector("tr.res-row[data-resource='api'] .health-healthy", timeout=120_000)
        api = next(r for r in page.request.get(f"{base}/api/resources").json() if r["name"] == "api")
        url = str(api["urls"][0]["url"]).rstrip("/")
        for item in ("book", "pen", "lamp", "book", "cup", "broken", "pen", "book"):
            httpx.get(f"{url}/order", params={"item": item}, trust_env=False, timeout=30)
        page.wait_for_timeout(2500)  # the SDKs export every second
        page.goto(f"{base}/structuredlogs")
        page.wait_for_selector("#logs-table tr.tl-row")
        page.locator("#logs-table tr.tl-row[data-resource='api']").first.click()
        page.wait_for_selector("#log-details tr")
        shoot(page, "structured-logs")
        page.goto(f"{base}/traces")
        page.wait_for_selector("#traces-table tr.tl-row[data-trace]")
        shoot(page, "traces")
        page.locator("#traces-table tr.tl-row[data-trace]:has-text('GET /order')").first.click()
        page.wait_for_url(re.compile(r"/traces/[0-9a-f]{32}$"))
        page.wait_for_function("() => document.querySelectorAll('#waterfall .tl-span-row').length === 4")
        page.locator("#waterfall .tl-span-row").nth(3).click()
        page.wait_for_selector("#span-details tr[data-key='db.system']")
        shoot(page, "trace")
        page.goto(f"{base}/metrics")
        page.wait_for_selector("#metrics-resource")
        page.select_option("#metrics-resource", "api")
        page.locator("#instruments button[data-instrument='shop.order.duration']").click()
        page.wait_for_selector("#metric-chart svg path.tl-line", state="attached")
        shoot(page, "metrics")
        ctx.close()


def main() -> None:
    only = set(sys.argv[1:]) or {"demo", "showcase", "telemetry"}
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        try:
            if "demo" in only:
                demo_pages(browser)
            if "showcase" in only:
                showcase_pages(browser)
            if "telemetry" in only:
                telemetry_pages(browser)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
