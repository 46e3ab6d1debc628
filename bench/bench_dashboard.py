"""The dashboard's cost and speed, each against a baseline measured in the same run.

1. start-up: from ``aspyre run`` to the first resource's first log line, with the dashboard and
   with ``--no-dashboard`` (baseline);
2. page load: the Resources page showing all rows, for 100 resources against 1 resource (baseline);
3. live latency: from a state change published in the app host to the browser's table showing it,
   against a plain ``fetch`` round trip from the same page (baseline);
4. console logs: lines/s reaching a browser on "all resources" while 50 resources write 1,000 lines/s
   in total, and the page's frame rate meanwhile; the app host's CPU with the browser against without;
5. a slow client: the app host's CPU and memory while a client subscribed to every log line never
   reads its socket, against no client at all (baseline), with the same 50 writers.

    .venv/bin/python bench/bench_dashboard.py [--repeat 5] [--seconds 10] [--skip startup,pageload,...]

Needs Playwright and chromium (/usr/bin/chromium or ASPYRE_CHROMIUM); no Docker.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ASPYRE = Path(sys.executable).with_name("aspyre")
CHROMIUM = os.environ.get("ASPYRE_CHROMIUM", "/usr/bin/chromium")
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

STARTUP_APP = """
import sys, aspyre
builder = aspyre.DistributedApplication.create_builder()
builder.add_executable("first", sys.executable, "-c", "print('first line', flush=True); import time; time.sleep(60)")
builder.build().run()
"""

MANY_APP = """
import aspyre
builder = aspyre.DistributedApplication.create_builder()
for i in range({n}):
    builder.add_executable(f"worker-{{i:03}}", "/bin/sleep", "3600").with_environment("WORKER", str(i))
builder.build().run()
"""

FLIP_APP = """
import time, anyio, aspyre

class Flipper(aspyre.Resource):
    resource_type = "Flipper"

builder = aspyre.DistributedApplication.create_builder()
flipper = Flipper("flipper")
builder.add_resource(flipper).with_initial_state(aspyre.ResourceSnapshot("Flipper", state=aspyre.model.ResourceStateSnapshot("Off")))

async def flip(event):
    states = ["On", "Off"]
    i = 0
    while True:
        await anyio.sleep(0.25)
        i += 1
        now = int(time.time() * 1000)
        event.app.resource_notifications.publish_update(
            flipper, lambda s: s.with_state(states[i % 2]).with_property("flip_ms", now))

builder.eventing.subscribe(aspyre.events.InitializeResourceEvent, flip, resource=flipper)
builder.build().run()
"""

WRITER = (
    "import sys, time\n"
    "n = 0\n"
    "while True:\n"
    "    n += 1\n"
    "    sys.stdout.write(f'\\x1b[32mline {n}\\x1b[0m of a busy resource, with some text to make it look real\\n')\n"
    "    sys.stdout.flush()\n"
    "    time.sleep({interval})\n"
)

FLOOD_APP = """
import sys, aspyre
builder = aspyre.DistributedApplication.create_builder()
for i in range({n}):
    builder.add_executable(f"writer-{{i:02}}", sys.executable, "-u", "-c", {writer!r})
builder.build().run()
"""


# -- running app hosts ------------------------------------------------------------------------------------


class Host:
    def __init__(self, source: str, directory: Path, *args: str, dashboard: bool = True) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "apphost.py"
        path.write_text(textwrap.dedent(source))
        env = dict(os.environ)
        env.pop("ASPYRE_DISABLE_PLUGINS", None)
        if not dashboard:
            env["ASPYRE_DISABLE_PLUGINS"] = "dashboard"
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(ASPYRE), "run", "--plain", str(path), *args],
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.lines: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append((time.perf_counter(), line.rstrip("\n")))
                self._cond.notify_all()

    def wait_for(self, pattern: str, timeout: float = 120) -> tuple[float, str]:
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for t, line in self.lines[seen:]:
                    if rx.search(line):
                        return t, line
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no line matching {pattern!r}:\n" + "\n".join(x for _, x in self.lines[-20:]))
                self._cond.wait(left)

    def login(self) -> str:
        return self.wait_for(r"^Dashboard: http://")[1].split(" ", 1)[1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    # The app host's own process (not its resources): CPU seconds and resident memory.
    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK

    def rss_mb(self) -> float:
        return int(Path(f"/proc/{self.proc.pid}/statm").read_text().split()[1]) * PAGE / 1e6


@contextmanager
def host(source: str, directory: Path, *args: str, dashboard: bool = True) -> Iterator[Host]:
    h = Host(source, directory, *args, dashboard=dashboard)
    try:
        yield h
    finally:
        h.stop()


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
        )
        try:
            yield b
        finally:
            b.close()


def median(xs: list[float]) -> float:
    return statistics.median(xs) if xs else float("nan")


def p95(xs: list[float]) -> float:
    return sorted(xs)[max(0, int(len(xs) * 0.95) - 1)] if xs else float("nan")


# -- 1. start-up ------------------------------------------------------------------------------------------


def bench_startup(work: Path, repeat: int) -> dict[str, Any]:
    with_d: list[float] = []
    without: list[float] = []
    for i in range(repeat):
        for dashboard, sink in ((True, with_d), (False, without)):
            with host(STARTUP_APP, work / f"startup-{i}-{dashboard}", dashboard=dashboard) as h:
                t, _ = h.wait_for(r"^first\s+\| first line")
                sink.append(t - h.started)
    m_with, m_without = median(with_d), median(without)
    return {
        "first resource's first line, with the dashboard (s)": round(m_with, 3),
        "... without (baseline, s)": round(m_without, 3),
        "extra (ms)": round((m_with - m_without) * 1000, 1),
        "ratio": round(m_with / m_without, 3),
    }


# -- 2. page load -----------------------------------------------------------------------------------------


def page_load(b: Any, login: str, rows: int, repeat: int) -> list[float]:
    ctx = b.new_context(viewport={"width": 1440, "height": 900})
    page = ctx.new_page()
    page.goto(login)
    page.wait_for_function(f"() => document.querySelectorAll('tr.res-row').length === {rows}", timeout=120_000)
    base = login.split("/login")[0]
    times = []
    for _ in range(repeat):
        page.goto(f"{base}/resources")
        page.wait_for_function(f"() => document.querySelectorAll('tr.res-row').length === {rows}", timeout=120_000)
        times.append(page.evaluate("() => performance.now()"))  # since this navigation started
    ctx.close()
    return times


def bench_pageload(work: Path, repeat: int) -> dict[str, Any]:
    with browser() as b:
        with host(MANY_APP.format(n=100), work / "many") as h:
            login = h.login()
            h.wait_for(r"^worker-099\s+: Running")
            hundred = page_load(b, login, 100, repeat)
        with host(MANY_APP.format(n=1), work / "one") as h:
            login = h.login()
            h.wait_for(r"^worker-000\s+: Running")
            one = page_load(b, login, 1, repeat)
    return {
        "Resources page, 100 resources, navigation to all rows shown (ms)": round(median(hundred), 1),
        "... 1 resource (baseline, ms)": round(median(one), 1),
        "ratio": round(median(hundred) / median(one), 2),
    }


# -- 3. live latency --------------------------------------------------------------------------------------

RECORD_FLIPS = """async () => {
  const live = await import('/static/js/live.js');
  window.__lat = [];
  const row = () => document.querySelector("tr.res-row[data-resource='flipper']");
  let last = row().dataset.state;
  new MutationObserver(() => {
    const r = row();
    if (!r || r.dataset.state === last) return;
    last = r.dataset.state;
    const p = (live.resources.get('flipper').properties || []).find((x) => x.name === 'flip_ms');
    if (p) window.__lat.push(Date.now() - Number(p.value));
  }).observe(document.querySelector('#page'), {subtree: true, childList: true, attributes: true});
}"""


def bench_latency(work: Path, seconds: float) -> dict[str, Any]:
    with browser() as b, host(FLIP_APP, work / "flip") as h:
        login = h.login()
        ctx = b.new_context()
        page = ctx.new_page()
        page.goto(login)
        page.wait_for_selector("tr.res-row[data-resource='flipper']")
        page.evaluate(RECORD_FLIPS)
        time.sleep(seconds)
        latencies = page.evaluate("window.__lat")
        rtts = page.evaluate(
            """async () => { const out = []; for (let i = 0; i < 30; i++) { const t = performance.now();
               await fetch('/api/info', {cache: 'no-store'}); out.push(performance.now() - t); } return out; }"""
        )
        ctx.close()
    return {
        "state change -> browser table, median (ms)": round(median(latencies), 1),
        "... p95 (ms)": round(p95(latencies), 1),
        "... max (ms)": round(max(latencies), 1) if latencies else None,
        "samples": len(latencies),
        "fetch round trip from the same page (baseline, median ms)": round(median(rtts), 1),
        "ratio": round(median(latencies) / median(rtts), 1),
        "goal": "< 500 ms",
    }


# -- 4. console logs under load ---------------------------------------------------------------------------

COUNT_FRAMES = """() => { window.__frames = 0; const tick = () => { window.__frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def flood_source(writers: int, lines_per_second: float) -> str:
    interval = writers / lines_per_second
    return FLOOD_APP.format(n=writers, writer=WRITER.replace("{interval}", str(interval)))


def bench_console(work: Path, seconds: float) -> dict[str, Any]:
    source = flood_source(50, 1000)
    out: dict[str, Any] = {}
    with host(source, work / "flood-alone", "--no-logs") as h:
        h.login()
        h.wait_for(r"^writer-49\s+: Running")
        time.sleep(2)
        c0, t0 = h.cpu_seconds(), time.perf_counter()
        time.sleep(seconds)
        out["app host CPU, 50 writers, no browser (baseline, %)"] = round(100 * (h.cpu_seconds() - c0) / (time.perf_counter() - t0), 1)
    with browser() as b, host(source, work / "flood-browser", "--no-logs") as h:
        login = h.login()
        h.wait_for(r"^writer-49\s+: Running")
        ctx = b.new_context(viewport={"width": 1440, "height": 900})
        page = ctx.new_page()
        received = [0]

        def on_frame(payload: Any) -> None:
            text = payload if isinstance(payload, str) else payload.decode()
            if '"t": "logs"' in text and '"backlog"' not in text:
                received[0] += len(json.loads(text)["lines"])

        page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
        page.goto(login)
        page.goto(login.split("/login")[0] + "/console")
        page.wait_for_selector("#log .line")
        time.sleep(2)
        page.evaluate(COUNT_FRAMES)
        received[0] = 0
        c0, t0 = h.cpu_seconds(), time.perf_counter()
        time.sleep(seconds)
        elapsed = time.perf_counter() - t0
        cpu = 100 * (h.cpu_seconds() - c0) / elapsed
        frames = page.evaluate("window.__frames")
        shown = page.locator("#log .line").count()
        out["lines/s delivered to the browser (all resources)"] = round(received[0] / elapsed)
        out["lines/s written (target)"] = 1000
        out["page frames/s while following"] = round(frames / elapsed, 1)
        out["lines kept in the page (window)"] = shown
        out["app host CPU with the browser (%)"] = round(cpu, 1)
        out["ratio (CPU with / without)"] = round(cpu / max(out["app host CPU, 50 writers, no browser (baseline, %)"], 0.1), 2)
        ctx.close()
    return out


# -- 5. a slow client -------------------------------------------------------------------------------------


def slow_client(url: str, login: str) -> socket.socket:
    """Sign in, open the live socket, subscribe to every line, then never read again."""
    import httpx
    import wsproto
    import wsproto.events as ev

    with httpx.Client(trust_env=False) as client:
        client.get(login, follow_redirects=False)
        cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    parts = urllib.parse.urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    conn = wsproto.WSConnection(wsproto.ConnectionType.CLIENT)
    headers = [(b"cookie", cookie.encode()), (b"origin", url.encode())]
    sock.sendall(conn.send(ev.Request(host=parts.netloc, target="/api/live", extra_headers=headers)))
    conn.receive_data(sock.recv(65536))
    list(conn.events())
    sock.sendall(conn.send(ev.TextMessage(json.dumps({"t": "sub", "topic": "logs", "id": 1, "resource": None, "window": 20000}))))
    return sock


def bench_slow_client(work: Path, seconds: float) -> dict[str, Any]:
    """Long enough for the slow client's socket buffers to fill up (about 100 KB/s of lines)."""
    source = flood_source(50, 1000)
    out: dict[str, Any] = {}
    duration = seconds * 6
    for label, slow in (("no client (baseline)", False), ("a client that never reads", True)):
        with host(source, work / f"slow-{slow}", "--no-logs") as h:
            login = h.login()
            url = login.split("/login")[0]
            h.wait_for(r"^writer-49\s+: Running")
            sock = slow_client(url, login) if slow else None
            time.sleep(2)
            rss0, c0, t0 = h.rss_mb(), h.cpu_seconds(), time.perf_counter()
            samples = [rss0]
            while time.perf_counter() < t0 + duration:
                time.sleep(1)
                samples.append(h.rss_mb())
            cpu = 100 * (h.cpu_seconds() - c0) / (time.perf_counter() - t0)
            third = max(1, len(samples) // 3)
            out[f"{label}: app host CPU (%)"] = round(cpu, 1)
            out[f"{label}: app host memory, first / last third of {duration:.0f}s, peak (MB)"] = (
                f"{median(samples[:third]):.0f} / {median(samples[-third:]):.0f}, {max(samples):.0f}"
            )
            if sock is not None:
                sock.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--skip", default="", help="comma-separated: startup,pageload,latency,console,slow")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    benches = [
        ("startup", lambda w: bench_startup(w, args.repeat)),
        ("pageload", lambda w: bench_pageload(w, args.repeat)),
        ("latency", lambda w: bench_latency(w, args.seconds)),
        ("console", lambda w: bench_console(w, args.seconds)),
        ("slow", lambda w: bench_slow_client(w, args.seconds)),
    ]
    with tempfile.TemporaryDirectory(prefix="aspyre-bench-dashboard-") as tmp:
        for name, fn in benches:
            if name in skip:
                continue
            result = fn(Path(tmp) / name)
            print(f"== {name}")
            for key, value in result.items():
                print(f"  {key}: {value}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
