"""An app host for the dashboard's browser tests: every kind of resource the pages show.

* ``clock``: the talking clock (custom resource, custom states, ``start``/``stop`` commands) and its
  two hands, nested under it; ``alarm``: a second clock that waits for an explicit start;
* ``ticker``: a process writing coloured (ANSI) lines, with a ``reset`` command that asks for
  confirmation; ``batch``: a process that waits for an explicit start, then prints and exits;
* ``greeting`` (a parameter) and ``token`` (a secret parameter), referenced by ``ticker``.
"""

import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()

builder.add_talking_clock("clock", interval=0.5)
builder.add_talking_clock("alarm").with_explicit_start()

greeting = builder.add_parameter("greeting", "hello")
token = builder.add_parameter("token", "s3cr3t-t0ken-value", secret=True)

TICKER = r"""
import os, sys, time
colours = ["\x1b[32m", "\x1b[33m", "\x1b[36m", "\x1b[1;35m"]
i = 0
print("ticker up; greeting=" + os.environ["GREETING"], flush=True)
while True:
    i += 1
    print(f"{colours[i % 4]}tick {i}\x1b[0m plain text after", flush=True)
    if i % 5 == 0:
        print(f"warning number {i}", file=sys.stderr, flush=True)
    time.sleep(0.2)
"""


def reset(context: object) -> None:
    print("reset requested", flush=True)


(
    builder.add_executable("ticker", sys.executable, "-u", "-c", TICKER)
    .with_environment("GREETING", greeting)
    .with_environment("API_TOKEN", token)
    .with_command("reset", "Reset counter", reset, description="Start counting again",
                  confirmation_message="Reset the ticker's counter?")
)
builder.add_executable("batch", sys.executable, "-c", "print('batch ran')").with_explicit_start()

builder.build().run()
