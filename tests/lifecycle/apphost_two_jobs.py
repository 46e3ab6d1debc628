"""An app host with two short-lived processes, and no code of any lifecycle extension.

Run by test_state_log.py in a subprocess: whatever the installed ``aspyre.hooks`` plugins do,
they do through their entry points alone. Like any app host it runs until Ctrl-C / SIGTERM.
Each process writes the ``ASPYRE_RESOURCE_NAME`` it sees to ``<its name>.out`` in the directory
named by ``TWO_JOBS_OUTPUT_DIR`` (required: the test gives its ``tmp_path``, so nothing is written
beside the sources).
"""

from __future__ import annotations

import os
import sys

import aspyre

JOBS = ("job-a", "job-b")
CODE = (
    "import os, pathlib, sys; "
    "pathlib.Path(sys.argv[1] + '.out').write_text(os.environ.get('ASPYRE_RESOURCE_NAME', '<unset>'))"
)

if __name__ == "__main__":
    output_dir = os.environ["TWO_JOBS_OUTPUT_DIR"]
    builder = aspyre.DistributedApplication.create_builder()
    for name in JOBS:
        builder.add_executable(name, sys.executable, "-c", CODE, name, working_dir=output_dir)
    builder.build().run()
