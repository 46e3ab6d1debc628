"""docs/architecture.md stays true: every module it names exists, and every module of the core is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core" / "src" / "aspyre"
PAGE = ROOT / "docs" / "architecture.md"


def test_every_room_and_module_the_map_names_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for room in re.findall(r"`(_[a-z_]+)/`", text):
        assert (CORE / room).is_dir() or any(CORE.glob(f"*/{room}")), room
    for path in re.findall(r"`(_[a-z_]+/[_a-z]+\.py)`", text):
        assert (CORE / path).is_file(), path


def test_every_module_of_the_core_is_on_the_map() -> None:
    text = PAGE.read_text(encoding="utf-8")
    missing = []
    for path in sorted(CORE.rglob("_*.py")):
        if path.name == "__init__.py" or path.name == "__main__.py":
            continue
        if f"`{path.stem}`" not in text and path.stem not in text:
            missing.append(str(path.relative_to(CORE)))
    assert missing == [], f"modules docs/architecture.md does not mention: {missing}"
