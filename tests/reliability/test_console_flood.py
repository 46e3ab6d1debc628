"""A log flood through each console mode: Ctrl-C is answered within a second, and the app exits.

The live table on a real pseudo-terminal (Ctrl-C typed on it), ``aspyre run --plain`` and ``python
apphost.py`` with pipes (SIGINT). Each app runs processes writing as fast as they can; the test drains the
output as fast as it can (a terminal or a pipe reader that keeps up).
"""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from .consoles import ASPYRE, ESCAPES, Command
from .processes import TOKEN_VARIABLE, processes_with, tokened, wait_until_gone

pytestmark = pytest.mark.reliability

#: The longest a reaction to Ctrl-C may take (the requirement).
REACTION_SECONDS = 1.0
#: Guards against hangs, not speed requirements.
GUARD_SECONDS = 60

FLOOD_APP_HOST = """
import os
import sys

import aspyre

builder = aspyre.DistributedApplication.create_builder()
FLOOD = "import sys\\nblock = ('x' * 70 + '\\\\n') * 200\\nwhile True:\\n    sys.stdout.write(block)\\n"
for i in range(int(os.environ["FLOODERS"])):
    builder.add_executable(f"flood{i}", sys.executable, "-c", FLOOD)
builder.build().run()
"""

MODES = {
    # mode: (command, on a terminal, what shows the reaction, where)
    "live table": ([str(ASPYRE), "run", "apphost.py"], True, b"SIGINT received: stopping", "stdout"),
    "aspyre run --plain": (
        [str(ASPYRE), "run", "--plain", "apphost.py"],
        False,
        b"SIGINT received: stopping",
        "stderr",
    ),
    "python apphost.py": ([sys.executable, "apphost.py"], False, b"SIGINT received: stopping", "stderr"),
}


@pytest.mark.parametrize("flooders", [5, 40])
@pytest.mark.parametrize("mode", list(MODES))
def test_ctrl_c_is_answered_within_a_second_under_a_log_flood(tmp_path: Path, mode: str, flooders: int) -> None:
    args, terminal, reaction, where = MODES[mode]
    (tmp_path / "apphost.py").write_text(textwrap.dedent(FLOOD_APP_HOST))
    with tokened() as token:
        cmd = Command(args, tmp_path, terminal=terminal, env={"FLOODERS": str(flooders), TOKEN_VARIABLE: token})
        try:
            # "flood4 │ xxx" (live table, in colours) or "flood4 | xxx" (plain)
            bar = rb"(?:\xe2\x94\x82|\|)"
            last_line = f"flood{flooders - 1}".encode() + ESCAPES + rb" *" + ESCAPES + bar + rb" " + ESCAPES + rb"x"
            assert cmd.stdout.wait(last_line, GUARD_SECONDS), cmd.output()
            time.sleep(2)  # the flood goes on for a while
            watched = cmd.stdout if where == "stdout" else cmd.stderr
            watched.expect(reaction)
            flooded = cmd.stdout.total
            sent = cmd.ctrl_c()
            reacted = watched.wait(reaction, GUARD_SECONDS)
            exited = cmd.wait_exit(GUARD_SECONDS)
            figures = (
                f"{mode}, {flooders} flooders: reacted in "
                f"{'never' if reacted is None else f'{reacted - sent:.2f} s'}, exited in "
                f"{'never' if exited is None else f'{exited - sent:.2f} s'}, {flooded / 1e6:.1f} MB shown before"
            )
            print(figures)
            assert reacted is not None, f"{figures}\n{cmd.output()}"
            assert reacted - sent < REACTION_SECONDS, figures
            assert exited is not None, figures
            assert cmd.proc.returncode == 0, f"{figures}\n{cmd.output()}"
            assert wait_until_gone(processes_with(token), 10) == [], "processes outlived the app host"
        finally:
            cmd.kill()
