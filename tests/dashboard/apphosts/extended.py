"""An app host whose own hook plugin adds a page, a live topic and a second listener to the dashboard.

What a plugin bundled with the dashboard (the telemetry pages of issue 14) does, through the seams
``aspyre_dashboard.get_dashboard(app)`` gives: ``add_page``, ``add_topic``, ``add_listener``.
"""

import json
import socket
import sys

from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

import aspyre
import aspyre_dashboard

PAGE_SCRIPT = """
import { extend, refresh } from "/static/js/extend.js";
import { onChange, watchTopic } from "/static/js/live.js";

extend("nameCell", (r) => {
  const b = document.createElement("span");
  b.className = "probe-badge";
  b.textContent = `#${r.name.length}`;
  return b;
});
extend("detailsSections", (r) => {
  const p = document.createElement("p");
  p.className = "probe-section";
  p.textContent = `probe for ${r.name}`;
  return { id: "probe", title: "Probe", body: p };
});
refresh();

export default {
  mount(root) {
    root.replaceChildren();
    const out = document.createElement("div");
    out.id = "probe-page";
    out.textContent = "Probe page";
    root.append(out);
    this.off = onChange((kind, msg) => { if (kind === "probe") out.dataset.count = String(msg.count); });
    this.stop = watchTopic("probe", { every: 1 });
  },
  unmount() { this.off?.(); this.stop?.(); },
};
"""


class ProbeTopic:
    """Counts, and sends the count to each subscribed page when asked."""

    def __init__(self) -> None:
        self.subscribers = {}

    def subscribe(self, connection, message):
        self.subscribers[connection] = 0
        connection.poke()

    def unsubscribe(self, connection):
        self.subscribers.pop(connection, None)

    def collect(self, connection):
        if connection not in self.subscribers:
            return []
        self.subscribers[connection] += 1
        return [json.dumps({"t": "probe", "count": self.subscribers[connection]})]


async def page_script(request):
    return Response(PAGE_SCRIPT, media_type="text/javascript")


def second_app():
    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        await PlainTextResponse("second listener")(scope, receive, send)

    return app


class Probe:
    @aspyre.plugins.hookimpl(trylast=True)  # after the dashboard's own before-start hook
    def aspyre_before_start(self, event):
        dashboard = aspyre_dashboard.get_dashboard(event.app)
        if dashboard is None:
            return
        dashboard.add_page(
            aspyre_dashboard.Page("probe", "Probe", "/probe", icon="M4 4h16v16H4z", script="/probe/page.js"),
            routes=[Route("/probe/page.js", page_script)],
        )
        dashboard.add_topic("probe", ProbeTopic())
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        dashboard.add_listener("second", sock, second_app)
        event.app.announce(f"Second: http://127.0.0.1:{sock.getsockname()[1]}/")


builder = aspyre.DistributedApplication.create_builder()
builder.plugin_manager.register(Probe(), name="tests:probe")
builder.add_executable("job", sys.executable, "-c", "import time; time.sleep(600)")
builder.build().run()
