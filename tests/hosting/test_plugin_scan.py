"""The entry-point scan reads what ``importlib.metadata`` would find, in the same order, without importing it."""

from __future__ import annotations

import importlib.metadata
import zipfile
from pathlib import Path

from aspyre._plugin_scan import iter_distribution_entries, normalize_distribution, parse_entry_points

GROUPS = frozenset({"aspyre.builder_methods", "aspyre.hooks"})


def dist_info(root: Path, dirname: str, metadata: str, entry_points: str | None, meta_file: str = "METADATA") -> Path:
    info = root / dirname
    info.mkdir(parents=True)
    (info / meta_file).write_text(metadata)
    if entry_points is not None:
        (info / "entry_points.txt").write_text(entry_points)
    return info


def scan(*paths: Path) -> tuple[list[tuple[str, str, tuple[str, ...], tuple[tuple[str, str, str], ...]]], list[str]]:
    errors: list[str] = []
    found = [
        (d.name, d.version, d.requires, d.entry_points)
        for d in iter_distribution_entries(GROUPS, errors, [str(p) for p in paths])
    ]
    return found, errors


def test_parse_entry_points_follows_importlib_metadata() -> None:
    text = "# a comment\n[console_scripts]\nx = y:z\n\n[aspyre.hooks]\n  h =  pkg.mod : obj [extra]  \n#skipped = a:b\nnoequals\n"
    assert parse_entry_points(text, GROUPS) == [("aspyre.hooks", "h", "pkg.mod : obj [extra]")]
    eps = importlib.metadata.EntryPoints(
        importlib.metadata.EntryPoint(name=n, value=v, group=g)
        for g, n, v in parse_entry_points(text, frozenset({"console_scripts", "aspyre.hooks"}))
    )
    assert [(e.group, e.name, e.value) for e in eps] == [
        ("console_scripts", "x", "y:z"),
        ("aspyre.hooks", "h", "pkg.mod : obj [extra]"),
    ]


def test_scan_matches_importlib_metadata(tmp_path: Path) -> None:
    site, later = tmp_path / "site", tmp_path / "later"
    dist_info(
        site,
        "first_plugin-1.2.dist-info",
        "Metadata-Version: 2.1\nName: First.Plugin\nVersion: 1.2\nRequires-Dist: aspyre>=0.1,\n  <0.3\nRequires-Dist: attrs\n\nName: not-a-header\n",
        "[aspyre.builder_methods]\nadd_first = first_plugin:add_first\n",
    )
    dist_info(site, "unrelated-3.0.dist-info", "Name: unrelated\nVersion: 3.0\n", "[console_scripts]\nu = u:main\n")
    dist_info(site, "no_entry_points-1.0.dist-info", "Name: no-entry-points\nVersion: 1.0\n", None)
    dist_info(
        site,
        "old_style-0.5.egg-info",
        "Name: old-style\nVersion: 0.5\n",
        "[aspyre.hooks]\nold = old_style\n",
        "PKG-INFO",
    )
    (site / "legacy-1.0.egg-info").write_text("Name: legacy\nVersion: 1.0\n")  # an egg-info file: no entry points
    # The same distribution later on the path: the first one wins.
    dist_info(later, "First_Plugin-9.0.dist-info", "Name: first-plugin\nVersion: 9.0\n", "[aspyre.hooks]\nlate = x\n")
    found, errors = scan(site, later, tmp_path / "missing")
    assert errors == []
    assert sorted(found) == [
        (
            "First.Plugin",
            "1.2",
            ("aspyre>=0.1, <0.3", "attrs"),
            (("aspyre.builder_methods", "add_first", "first_plugin:add_first"),),
        ),
        ("old-style", "0.5", (), (("aspyre.hooks", "old", "old_style"),)),
    ]
    stdlib: list[tuple[str, str, str, str]] = []
    seen: set[str] = set()
    for d in importlib.metadata.distributions(path=[str(site), str(later)]):
        key = normalize_distribution(d.metadata["Name"] or "")
        if key not in seen:
            seen.add(key)
            stdlib.extend(
                (d.metadata["Name"], ep.group, ep.name, ep.value) for ep in d.entry_points if ep.group in GROUPS
            )
    assert [(name, g, n, v) for name, _, _, eps in found for g, n, v in eps] == stdlib


def test_unreadable_metadata_is_reported_and_skipped(tmp_path: Path) -> None:
    info = dist_info(tmp_path, "bad-1.0.dist-info", "Name: bad\n", "[aspyre.hooks]\nbad = bad\n")
    (info / "METADATA").write_bytes(b"Name: \xff\xfe\n")
    dist_info(tmp_path, "good-1.0.dist-info", "Name: good\nVersion: 1.0\n", "[aspyre.hooks]\ngood = good\n")
    found, errors = scan(tmp_path)
    assert [f[0] for f in found] == ["good"]
    assert len(errors) == 1 and "bad-1.0.dist-info" in errors[0] and "UnicodeDecodeError" in errors[0]


def test_a_zip_on_the_path_is_read_through_importlib_metadata(tmp_path: Path) -> None:
    archive = tmp_path / "plugins.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("zipped-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: zipped\nVersion: 1.0\n")
        z.writestr("zipped-1.0.dist-info/entry_points.txt", "[aspyre.hooks]\nzipped = zipped_mod\n")
    found, errors = scan(archive)
    assert errors == []
    assert ("zipped", "1.0", (), (("aspyre.hooks", "zipped", "zipped_mod"),)) in found
