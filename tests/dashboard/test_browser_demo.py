"""The dashboard in a real browser on the demo app host (examples/apphost.py): real Docker, real Redis.

The app host runs for the whole module with ``aspyre run``; the browser signs in with the link it
prints, as a person would, while the resources are still starting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from .helpers import DEMO, AppHost, signed_in, wait_until

pytestmark = pytest.mark.docker

#: Records every state each row shows, from the first render on (no reload in between).
RECORD_STATES = """() => {
  window.__states = {};
  const seen = () => {
    for (const r of document.querySelectorAll('tr.res-row')) {
      const list = (window.__states[r.dataset.resource] ||= []);
      if (list[list.length - 1] !== r.dataset.state) list.push(r.dataset.state);
    }
  };
  seen();
  new MutationObserver(seen).observe(document.querySelector('#page'), {subtree: true, childList: true, attributes: true});
}"""


@pytest.fixture(scope="module")
def host(docker_client_module: Any) -> Iterator[AppHost]:
    app_host = AppHost(DEMO)
    try:
        app_host.wait_for_dashboard()
        yield app_host
    finally:
        app_host.stop()


@pytest.fixture(scope="module")
def docker_client_module() -> Iterator[Any]:
    import docker  # the docker mark skips (or fails) the module's tests first when there is no engine

    client = docker.from_env()
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def page(browser: Any, host: AppHost) -> Iterator[Any]:
    """One signed-in tab for the module: it follows the demo from its first state on."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 900})
    ctx.set_default_timeout(60_000)
    p = ctx.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.goto(host.login_url)
    p.wait_for_selector("tr.res-row")
    p.evaluate(RECORD_STATES)
    yield p
    ctx.close()
    assert errors == [], errors


def wait_state(page: Any, name: str, states: str) -> None:
    page.wait_for_function(
        "([name, rx]) => { const r = document.querySelector(`tr.res-row[data-resource='${name}']`);"
        " return r && new RegExp(rx).test(r.dataset.state); }",
        arg=[name, f"^(?:{states})$"],
    )


def detail(page: Any, name: str, label: str) -> str:
    """A value from the details panel of ``name`` (opened if needed)."""
    row = page.locator(f"tr.res-row[data-resource='{name}']")
    if "selected" not in (row.get_attribute("class") or ""):
        row.click()
    cell = page.locator(".details .kv tr", has_text=label).locator("td code").first
    return str(cell.inner_text())


def test_the_table_follows_the_demo_as_it_starts(page: Any) -> None:
    """The page shows the start as it happened, and follows the states live, in order, on one page load.

    Whether the page loads before the api starts is the machine's speed (the demo may be up by then): the
    order of the start is read from the times the page shows, the live following from a stop and a start.
    """
    wait_state(page, "api", "Running")
    page.wait_for_selector("tr.res-row[data-resource='api'] .health-healthy")
    wait_state(page, "migrate", "Finished")
    assert page.locator("tr.res-row[data-resource='migrate'] .state-text").inner_text() == "Finished (0)"
    # The api waited for the migration before it ran: the Started and Stopped times the page shows.
    live = "async () => { const { resources } = await import('/static/js/live.js');"
    api_started, migrate_stopped = page.evaluate(
        f"{live} return [resources.get('api').startedAt, resources.get('migrate').stoppedAt]; }}"
    )
    assert api_started and migrate_stopped, (api_started, migrate_stopped)
    assert dt.datetime.fromisoformat(api_started) >= dt.datetime.fromisoformat(migrate_stopped)
    # Live, in order, without a reload: the api stopped from the page, then started again.
    page.evaluate("window.__sameDocument = true")
    seen = len(page.evaluate("window.__states")["api"])
    page.locator("tr.res-row[data-resource='api'] button[data-command='stop']").click()
    wait_state(page, "api", "Finished")
    page.locator("tr.res-row[data-resource='api'] button[data-command='start']").click()
    wait_state(page, "api", "Running")
    page.wait_for_selector("tr.res-row[data-resource='api'] .health-healthy")
    after = page.evaluate("window.__states")["api"][seen:]
    assert after[-1] == "Running" and "Finished" in after[:-1], after
    assert page.evaluate("window.__sameDocument") is True
    url = page.locator("tr.res-row[data-resource='api'] .col-urls a").first
    assert url.get_attribute("href").startswith("http://127.0.0.1:")


def test_stop_and_restart_the_container_from_the_page(page: Any, docker_client_module: Any) -> None:
    import docker.errors

    wait_state(page, "cache", "Running")
    first = detail(page, "cache", "Container ID")
    assert docker_client_module.containers.get(first).status == "running"
    page.locator("tr.res-row[data-resource='cache'] button[data-command='stop']").click()
    wait_state(page, "cache", "Exited")

    def gone() -> bool:
        try:
            return docker_client_module.containers.get(first).status != "running"
        except docker.errors.NotFound:
            return True

    wait_until(gone, "the container to stop")
    page.locator("tr.res-row[data-resource='cache'] button[data-command='start']").click()
    wait_state(page, "cache", "Running")
    page.wait_for_function(
        "old => { const r = [...document.querySelectorAll('.details .kv tr')].find(t => t.textContent.includes('Container ID'));"
        " return r && r.querySelector('code') && r.querySelector('code').textContent !== old; }",
        arg=first,
    )
    second = detail(page, "cache", "Container ID")
    assert second != first
    assert docker_client_module.containers.get(second).status == "running"
    page.locator(".details button[data-command='restart']").click()
    page.wait_for_function(
        "old => { const r = [...document.querySelectorAll('.details .kv tr')].find(t => t.textContent.includes('Container ID'));"
        " return r && r.querySelector('code') && r.querySelector('code').textContent !== old; }",
        arg=second,
    )
    wait_state(page, "cache", "Running")
    third = detail(page, "cache", "Container ID")
    assert docker_client_module.containers.get(third).status == "running"
    wait_until(lambda: not _running(docker_client_module, second), "the previous container to go")


def _running(client: Any, container_id: str) -> bool:
    import docker.errors

    try:
        return bool(client.containers.get(container_id).status == "running")
    except docker.errors.NotFound:
        return False


def test_console_logs_of_one_and_of_all(page: Any, host: AppHost) -> None:
    page.goto(f"{host.url}/console/api")
    page.wait_for_selector("#log .line .text >> text=/api listening on 127.0.0.1:\\d+/")
    page.goto(f"{host.url}/console")
    page.wait_for_selector("#log .line:has(.prefix:text-is('migrate')) .text >> text=migration done: schema_version=1")
    page.wait_for_selector("#log .line:has(.prefix:text-is('cache')) .text >> text=Ready to accept connections")
    page.goto(f"{host.url}/resources")
    page.wait_for_selector("tr.res-row")


def test_the_cache_password_is_masked_until_revealed(page: Any, host: AppHost) -> None:
    with signed_in(host) as client:
        response = client.post(
            "/api/resources/cache-password/reveal",
            json={"kind": "property", "name": "Value"},
            headers={"Origin": host.url, "Content-Type": "application/json"},
        )
        password = response.json()["value"]
    assert len(password) >= 16
    page.goto(f"{host.url}/resources?resource=api")
    env = page.locator(".details tr[data-env='ConnectionStrings__cache']")
    env.wait_for()
    assert password not in page.content()
    env.locator("button[data-action='reveal']").click()
    page.wait_for_selector(".details tr[data-env='ConnectionStrings__cache'] code.revealed")
    assert f"password={password}" in env.locator("code.revealed").inner_text()
