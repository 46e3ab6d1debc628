"""An unmodified Python app (apps/plain.py) in a virtual environment that has ``opentelemetry-instrument``:
aspyre runs it through the launcher, so its Redis calls and logs reach the dashboard with no code change."""

import os
from pathlib import Path

import aspyre

APPS = Path(__file__).resolve().parent.parent / "apps"

builder = aspyre.DistributedApplication.create_builder()
cache = builder.add_redis("cache")
builder.add_python_app("plain", APPS / "plain.py", venv=os.environ["PLAIN_VENV"]).with_reference(cache).wait_for(cache)
builder.build().run()
