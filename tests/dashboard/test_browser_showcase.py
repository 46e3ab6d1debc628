"""The dashboard in a real browser (Playwright + chromium), on an app host without containers.

tests/dashboard/apphosts/showcase.py runs for the whole module: two talking clocks (one waiting for an
explicit start) with their hands nested under them, a process writing ANSI-coloured lines with a
custom command that asks for confirmation, an explicit-start job, and two parameters (one secret).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .helpers import GUARD_SECONDS, SHOWCASE, AppHost, process_alive, wait_until

SECRET = "s3cr3t-t0ken-value"


@pytest.fixture(scope="module")
def host() -> Iterator[AppHost]:
    app_host = AppHost(SHOWCASE)
    try:
        app_host.wait_for_dashboard()
        yield app_host
    finally:
        app_host.stop()


@pytest.fixture
def page(context: Any, host: AppHost) -> Iterator[Any]:
    """A signed-in page: the printed link, followed by the browser."""
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(host.login_url)
    try:
        # as a person would: until the page says it is live (the connection up), then the rows it brings
        p.wait_for_selector("#connection[data-state='live']", timeout=GUARD_SECONDS * 1000)
        p.wait_for_selector("tr.res-row")
    except Exception:
        status = p.locator("#connection").text_content()
        raise AssertionError(f"no resources shown; connection: {status!r}; errors: {errors}\n{host.output()[-3000:]}") from None
    yield p
    assert errors == [], errors


def row(page: Any, name: str) -> Any:
    return page.locator(f"tr.res-row[data-resource='{name}']")


def state_of(page: Any, name: str) -> str:
    return str(row(page, name).get_attribute("data-state"))


def wait_state(page: Any, name: str, states: str) -> None:
    """Wait until the row of ``name`` shows one of ``states`` (a regex), without reloading."""
    page.wait_for_selector(f"tr.res-row[data-resource='{name}']")
    page.wait_for_function(
        "([name, rx]) => { const r = document.querySelector(`tr.res-row[data-resource='${name}']`);"
        " return r && new RegExp(rx).test(r.dataset.state); }",
        arg=[name, f"^(?:{states})$"],
    )


def click_command(page: Any, name: str, command: str) -> None:
    row(page, name).locator(f"button[data-command='{command}']").click()


def test_the_printed_link_signs_the_browser_in(page: Any, context: Any, host: AppHost) -> None:
    assert page.url == f"{host.url}/"
    cookie = next(c for c in context.cookies() if c["name"].startswith("aspyre_dashboard_"))
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert host.token not in page.url
    assert page.locator("#connection .label").text_content() == "Live"
    names = page.locator("tr.res-row").evaluate_all("rows => rows.map(r => r.dataset.resource)")
    assert names == ["clock", "clock-tick-hand", "clock-tock-hand", "alarm", "alarm-tick-hand", "alarm-tock-hand", "ticker", "batch"]


def test_without_the_cookie_a_page_gets_401(browser: Any, host: AppHost) -> None:
    fresh = browser.new_context()
    try:
        p = fresh.new_page()
        response = p.goto(f"{host.url}/resources")
        assert response.status == 401
        assert "Sign in" in p.content()
        assert p.locator("tr.res-row").count() == 0
        response = p.goto(f"{host.url}/login?t=not-the-token")
        assert response.status == 401
        assert fresh.cookies() == []
    finally:
        fresh.close()


def test_custom_states_change_live_and_children_are_nested(page: Any) -> None:
    page.evaluate("window.__sameDocument = true")
    wait_state(page, "clock", "Tick")
    wait_state(page, "clock", "Tock")
    wait_state(page, "clock-tick-hand", "On|Off")
    assert page.evaluate("window.__sameDocument") is True  # no reload
    assert row(page, "clock-tick-hand").get_attribute("data-depth") == "1"
    assert row(page, "clock").get_attribute("data-depth") == "0"
    styles = row(page, "clock").locator(".state").get_attribute("class")
    assert "style-success" in styles  # the clock's StateStyle
    row(page, "clock").locator("button.caret").click()
    assert row(page, "clock-tick-hand").count() == 0
    assert row(page, "alarm-tick-hand").count() == 1
    row(page, "clock").locator("button.caret").click()
    assert row(page, "clock-tick-hand").count() == 1


def test_a_click_on_a_row_that_changed_meanwhile_is_not_lost(page: Any) -> None:
    """A person's click takes a while: the clock changes (twice a second) between the press and the release.

    A click is a press and a release on the same element; a row redrawn in between would have dropped it.
    """
    wait_state(page, "clock", "Tick|Tock")
    page.evaluate("async () => { window.__live = await import('/static/js/live.js'); }")  # the page's own store
    # Where the caret is, read in one step of the page: the row is redrawn twice a second, and a locator's
    # bounding_box() of a button replaced meanwhile is None. A redrawn row puts its caret at the same place.
    box = page.evaluate(
        "() => { const b = document.querySelector(\"tr.res-row[data-resource='clock'] button.caret\")"
        ".getBoundingClientRect(); return {x: b.x, y: b.y, width: b.width, height: b.height}; }"
    )
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    version = page.evaluate("() => window.__live.resources.get('clock').version")
    page.mouse.down()
    page.wait_for_function("v => window.__live.resources.get('clock').version !== v", arg=version)  # it changed
    page.mouse.up()
    page.wait_for_selector("tr.res-row[data-resource='clock-tick-hand']", state="detached")  # collapsed
    assert row(page, "clock").locator("button.caret").get_attribute("aria-expanded") == "false"
    wait_state(page, "clock", "Tick|Tock")  # and the changes held meanwhile are shown
    assert row(page, "alarm").count() == 1


def test_an_explicit_start_resource_starts_from_the_page(page: Any) -> None:
    assert state_of(page, "alarm") == "NotStarted"
    start = row(page, "alarm").locator("button[data-command='start']")
    assert start.is_enabled()
    start.click()
    wait_state(page, "alarm", "Running|Tick|Tock")
    wait_state(page, "alarm-tock-hand", "On|Off")
    click_command(page, "batch", "start")
    wait_state(page, "batch", "Finished")
    assert row(page, "batch").locator(".state-text").inner_text() == "Finished (0)"


def test_the_talking_clocks_commands(page: Any) -> None:
    wait_state(page, "clock", "Tick|Tock")
    click_command(page, "clock", "stop")
    wait_state(page, "clock", "Finished")
    wait_state(page, "clock-tick-hand", "Finished")
    assert row(page, "clock").locator("button[data-command='start']").is_enabled()
    click_command(page, "clock", "start")
    wait_state(page, "clock", "Tick|Tock")


def test_a_command_that_asks_for_confirmation(page: Any, host: AppHost) -> None:
    before = sum("reset requested" in line for line in host.lines)
    row(page, "ticker").locator("button[data-command='more']").click()
    page.locator(".menu button[data-command='reset']").click()
    dialog = page.locator("dialog.dialog")
    assert "Reset the ticker's counter?" in dialog.inner_text()
    dialog.locator("button", has_text="Cancel").click()
    assert page.locator("dialog.dialog").count() == 0
    row(page, "ticker").locator("button[data-command='more']").click()
    page.locator(".menu button[data-command='reset']").click()
    page.locator("dialog.dialog button[data-confirm]").click()
    page.wait_for_selector(".toast-success >> text=Reset counter ticker: done")
    wait_until(lambda: sum("reset requested" in line for line in host.lines) == before + 1, "the command to run once")


def _pid(page: Any) -> int:
    if "selected" not in (row(page, "ticker").get_attribute("class") or ""):
        row(page, "ticker").click()
    cell = page.locator(".details .kv tr", has_text="Process ID").locator("td code")
    return int(cell.inner_text())


def test_stop_and_restart_a_process_from_the_page(page: Any) -> None:
    wait_state(page, "ticker", "Running")
    pid = _pid(page)
    assert process_alive(pid)
    click_command(page, "ticker", "stop")
    wait_state(page, "ticker", "Finished")
    wait_until(lambda: not process_alive(pid), "the process to end")
    click_command(page, "ticker", "start")
    wait_state(page, "ticker", "Running")
    page.wait_for_function(
        "old => { const c = [...document.querySelectorAll('.details .kv tr')].find(r => r.textContent.includes('Process ID'));"
        " return c && c.querySelector('code') && c.querySelector('code').textContent !== String(old); }",
        arg=pid,
    )
    new_pid = _pid(page)
    assert new_pid != pid and process_alive(new_pid)
    click_command(page, "ticker", "restart")
    page.wait_for_function(
        "old => { const c = [...document.querySelectorAll('.details .kv tr')].find(r => r.textContent.includes('Process ID'));"
        " return c && c.querySelector('code') && c.querySelector('code').textContent !== String(old); }",
        arg=new_pid,
    )
    wait_state(page, "ticker", "Running")
    assert not process_alive(new_pid)
    assert process_alive(_pid(page))


def test_secrets_are_masked_until_revealed(page: Any) -> None:
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    page.goto(page.url.split("?")[0].rsplit("/", 1)[0] + "/parameters")
    param = page.locator("tr.param-row[data-resource='token']")
    param.wait_for()
    assert "••••••••" in param.inner_text()
    assert SECRET not in page.content()
    assert page.locator("tr.param-row[data-resource='greeting']").locator("code").inner_text() == "hello"
    param.locator("button[data-action='reveal']").click()
    page.wait_for_selector("tr.param-row[data-resource='token'] code.revealed")
    assert param.locator("code.revealed").inner_text() == SECRET
    # In the details of the process using it: masked too, revealed on its own.
    page.goto(page.url.split("/parameters")[0] + "/resources?resource=ticker")
    env = page.locator(".details tr[data-env='API_TOKEN']")
    env.wait_for()
    assert SECRET not in env.inner_text()
    assert page.locator(".details tr[data-env='GREETING']").inner_text().endswith("hello")
    env.locator("button[data-action='reveal']").click()
    page.wait_for_selector(".details tr[data-env='API_TOKEN'] code.revealed")
    assert env.locator("code.revealed").inner_text() == SECRET
    env.locator("button[data-action='hide']").click()
    assert SECRET not in env.inner_text()
    assert frames and not any(SECRET in f for f in frames)  # the live stream never carried it


def test_console_logs_of_one_resource(page: Any, host: AppHost) -> None:
    page.goto(f"{host.url}/console/ticker")
    page.wait_for_selector("#log .line .text >> text=/tick \\d+/")
    assert page.locator("#console-resource").input_value() == "ticker"
    assert page.locator("#log .line .prefix").count() == 0  # one resource: no name prefix
    coloured = page.locator("#log .line .text span.ansi-fg-green").last
    assert re.fullmatch(r"tick \d+", coloured.text_content() or "")
    assert "\x1b" not in (page.locator("#log").text_content() or "")
    page.wait_for_selector("#log .line.err .text >> text=/warning number/")
    # The resource's commands are on this page too.
    assert page.locator(".console-actions button[data-command='stop']").is_enabled()
    # Filter.
    page.fill("#console-filter", "warning")
    page.wait_for_function("() => [...document.querySelectorAll('#log .line')].every(l => l.textContent.includes('warning'))")
    page.fill("#console-filter", "")
    page.wait_for_function("() => [...document.querySelectorAll('#log .line')].some(l => !l.textContent.includes('warning'))")
    # Pause: the view stops while lines keep coming; resume shows them.
    page.click("button[data-action='pause']")
    count = page.locator("#log .line").count()
    page.wait_for_function("() => /paused: \\d+ new/.test(document.querySelector('#log-status').textContent)")
    assert page.locator("#log .line").count() == count
    page.click("button[data-action='pause']")
    page.wait_for_function(f"() => document.querySelectorAll('#log .line').length > {count}")
    # Download.
    with page.expect_download() as info:
        page.click("[data-action='download']")
    download = info.value
    assert download.suggested_filename == "ticker-console.txt"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert re.search(r"Z tick \d+ plain text after", text)
    assert "\x1b" not in text


def test_console_logs_of_all_resources_interleaved(page: Any, host: AppHost) -> None:
    page.goto(f"{host.url}/console")
    page.wait_for_selector("#log .line .prefix >> text=clock")
    page.wait_for_selector("#log .line .prefix >> text=ticker")
    prefixes = page.locator("#log .line .prefix")
    colour = {}
    for i in range(min(prefixes.count(), 40)):
        p = prefixes.nth(i)
        colour.setdefault(p.text_content(), set()).add(p.evaluate("e => getComputedStyle(e).color"))
    assert all(len(c) == 1 for c in colour.values()), colour  # a stable colour per resource
    assert colour["clock"] != colour["ticker"]
    page.select_option("#console-resource", "clock")
    page.wait_for_url(re.compile(r"/console/clock$"))
    page.wait_for_selector("#log .line .text >> text=/The time is/")
    assert page.locator("#log .line .prefix").count() == 0


def test_the_graph_shows_relationships_with_the_same_actions(page: Any, host: AppHost) -> None:
    page.goto(f"{host.url}/graph")
    node = page.locator(".gnode[data-resource='alarm']")
    node.wait_for()
    assert page.locator(".edge[data-from='clock-tick-hand'][data-to='clock']").count() == 1
    assert page.locator(".edge[data-from='alarm-tock-hand'][data-to='alarm'] text").text_content() == "Parent"
    wait_graph = "s => /^(Tick|Tock|Running)$/.test(document.querySelector(\".gnode[data-resource='alarm']\").dataset.state)"
    if not page.evaluate(wait_graph):
        node.locator("button[data-command='start']").click()
        page.wait_for_function(wait_graph)
    node.locator("button[data-command='stop']").click()
    page.wait_for_function("() => document.querySelector(\".gnode[data-resource='alarm']\").dataset.state === 'Finished'")
    node.click()
    page.wait_for_selector(".details h2 >> text=alarm")
