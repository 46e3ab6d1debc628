"""A publisher that takes options of its own (``add_options(parser)``, in the spirit of ``pytest_addoption``):
shown by ``aspyre publish -p NAME --help``, read from the app host's arguments on both paths."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import aspyre, env_with, make_dist

PUBLISHER = '''
import json


class OptionsPublisher:
    """Writes what it was given."""

    def add_options(self, parser):
        parser.add_argument("--namespace", default="default", help="the namespace to deploy into")
        parser.add_argument("--replicas", type=int, default=1, help="how many copies of each service")

    async def publish(self, context):
        path = context.output_path / "options.json"
        context.output_path.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"options": dict(context.options), "resources": [r.name for r in context.model]}))
        return path


class PlainPublisher:
    async def publish(self, context):
        return None
'''

APP_HOST = """\
import aspyre

builder = aspyre.DistributedApplication.create_builder()
builder.add_parameter("flavour", "vanilla")
builder.build().run()
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    (tmp_path / "apphost.py").write_text(APP_HOST)
    return make_dist(
        tmp_path / "site",
        "aspyre-options-publisher",
        {"aspyre.publishers": {"opts": "opts_publisher:OptionsPublisher", "plain": "opts_publisher:PlainPublisher"}},
        {"opts_publisher.py": PUBLISHER},
    )


def test_publish_help_lists_the_publishers_options(tmp_path: Path, site: Path) -> None:
    helped = aspyre("publish", "-p", "opts", "--help", cwd=tmp_path, paths=(site,))
    assert helped.returncode == 0, helped.stderr
    assert "usage: aspyre publish" in helped.stdout  # the publish command's own help first
    assert "usage: aspyre publish -p opts [--namespace NAMESPACE] [--replicas REPLICAS]" in helped.stdout
    assert "the namespace to deploy into" in helped.stdout
    long_form = aspyre("publish", "--publisher", "opts", "-h", cwd=tmp_path, paths=(site,))
    assert "the namespace to deploy into" in long_form.stdout
    plain = aspyre("publish", "-p", "plain", "--help", cwd=tmp_path, paths=(site,))
    assert "The 'plain' publisher has no options of its own." in plain.stdout
    generic = aspyre("publish", "--help", cwd=tmp_path, paths=(site,))
    assert "namespace" not in generic.stdout


def test_the_options_reach_the_publisher_on_both_paths(tmp_path: Path, site: Path) -> None:
    cli = aspyre(
        "publish", "-p", "opts", "-o", "a", "--namespace", "prod", "--replicas", "3", cwd=tmp_path, paths=(site,)
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads((tmp_path / "a" / "options.json").read_text()) == {
        "options": {"namespace": "prod", "replicas": 3},
        "resources": ["flavour"],
    }
    assert cli.stdout.strip() == f"Published (opts) to {tmp_path / 'a' / 'options.json'}"
    direct = subprocess.run(
        [sys.executable, "apphost.py", "--publisher", "opts", "--output-path", "b", "--namespace", "staging"],
        cwd=tmp_path,
        env=env_with(site),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert direct.returncode == 0, direct.stderr
    assert json.loads((tmp_path / "b" / "options.json").read_text())["options"] == {
        "namespace": "staging",
        "replicas": 1,
    }
    assert direct.stdout.strip() == f"Published (opts) to {tmp_path / 'b' / 'options.json'}"


def test_a_bad_option_value_is_a_clear_error(tmp_path: Path, site: Path) -> None:
    bad = aspyre("publish", "-p", "opts", "-o", "c", "--replicas", "many", cwd=tmp_path, paths=(site,))
    assert bad.returncode == 1
    assert bad.stderr.strip() == "error: aspyre publish -p opts: argument --replicas: invalid int value: 'many'"
    assert not (tmp_path / "c" / "options.json").exists()
