"""The entry-point scan kept on disk: used while nothing changed, never wrong after an install or uninstall."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import aspyre._plugin_cache as plugin_cache
from aspyre._plugin_cache import cache_directory, cached_distribution_entries
from aspyre._plugin_scan import distribution_infos, iter_distribution_entries
from aspyre._user_cache import write_record

GROUPS = ("aspyre.builder_methods", "aspyre.hooks")
OLD = time.time() - 3600  # long settled: the cache is written only for directories that stopped changing


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    monkeypatch.delenv(plugin_cache.CACHE_ENV, raising=False)
    return home / "aspyre"


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The directories scanned (a whole scan without the cache counts as one)."""
    calls: list[str] = []

    def whole(*args: object, **kwargs: object) -> Iterator[object]:
        calls.append("<whole path>")
        return iter_distribution_entries(*args, **kwargs)  # type: ignore[arg-type]

    def one(directory: str) -> Iterator[tuple[str, str]]:
        calls.append(directory)
        return distribution_infos(directory)

    monkeypatch.setattr(plugin_cache, "iter_distribution_entries", whole)
    monkeypatch.setattr(plugin_cache, "distribution_infos", one)
    return calls


def install(site: Path, name: str, version: str, entry_points: str) -> Path:
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)
    return info


def settle(*paths: Path, at: float = OLD) -> None:
    """Make ``paths`` (and every file below them) look modified an hour ago (or ``at``)."""
    for root in paths:
        for p in [root, *root.rglob("*")]:
            os.utime(p, (at, at))


def found(site: Path, *more: Path) -> list[tuple[str, str, tuple[tuple[str, str, str], ...]]]:
    errors: list[str] = []
    dists = cached_distribution_entries(GROUPS, errors, [str(site), *(str(m) for m in more)])
    assert errors == []
    return [(d.name, d.version, d.entry_points) for d in dists]


HOOK = "[aspyre.hooks]\nmine = my_plugin:hooks\n"


def test_a_settled_scan_is_read_back_without_scanning(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    install(site, "unrelated", "2.0", "[console_scripts]\nu = u:main\n")
    settle(site)
    first = found(site)
    assert first == [("my_plugin", "1.0", (("aspyre.hooks", "mine", "my_plugin:hooks"),))]
    assert len(list(cache_home.glob("entry-points-*.bin"))) == 1
    assert found(site) == first
    assert found(site) == first
    assert len(scans) == 1


def test_install_upgrade_and_uninstall_are_seen_at_once(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    site, other = tmp_path / "site", tmp_path / "other"
    install(site, "my_plugin", "1.0", HOOK)
    other.mkdir()
    settle(site, other)
    assert [d[0] for d in found(site, other)] == ["my_plugin"]
    assert [d[0] for d in found(site, other)] == ["my_plugin"]
    assert len(scans) == 2

    # pip install: a new *.dist-info directory, in any directory of the path (here the last one).
    install(other, "new_plugin", "0.1", "[aspyre.builder_methods]\nadd_new = new_plugin:add_new\n")
    settle(other, at=OLD + 10)  # as if it happened a while ago (but not at the same time as before)
    assert [d[0] for d in found(site, other)] == ["my_plugin", "new_plugin"]
    # pip install --upgrade: the old directory removed, a new one created.
    shutil.rmtree(site / "my_plugin-1.0.dist-info")
    install(site, "my_plugin", "2.0", HOOK)
    settle(site, at=OLD + 20)
    assert [d[:2] for d in found(site, other)] == [("my_plugin", "2.0"), ("new_plugin", "0.1")]
    # pip uninstall.
    shutil.rmtree(other / "new_plugin-0.1.dist-info")
    settle(other, at=OLD + 30)
    assert [d[:2] for d in found(site, other)] == [("my_plugin", "2.0")]
    # every change scanned again, and only the directory that changed
    assert scans == [str(site), str(other), str(other), str(site), str(other)]
    # Just now (not settled): seen at once too, and scanned again until it settles.
    install(site, "fresh", "0.1", HOOK)
    assert sorted(d[0] for d in found(site, other)) == ["fresh", "my_plugin"]
    assert sorted(d[0] for d in found(site, other)) == ["fresh", "my_plugin"]
    assert scans[5:] == [str(site), str(site)]


def test_a_plugin_metadata_edited_in_place_is_seen(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    site = tmp_path / "site"
    info = install(site, "my_plugin", "1.0", HOOK)
    settle(site)
    assert found(site)[0][2] == (("aspyre.hooks", "mine", "my_plugin:hooks"),)
    (info / "entry_points.txt").write_text(HOOK + "other = my_plugin:more\n")  # the directory's mtime stays
    assert os.stat(info).st_mtime == OLD
    assert found(site)[0][2] == (
        ("aspyre.hooks", "mine", "my_plugin:hooks"),
        ("aspyre.hooks", "other", "my_plugin:more"),
    )
    assert len(scans) == 2


def test_a_corrupt_cache_file_is_ignored_and_replaced(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    settle(site)
    expected = found(site)
    (cache_file,) = cache_home.glob("entry-points-*.bin")
    good = cache_file.read_bytes()
    damaged = [
        b"",
        b"{not marshal",
        good[: len(good) // 2],  # truncated
        good[:-5] + bytes([good[-5] ^ 0x55]) + good[-4:],  # a flipped byte: the checksum fails
        b"\x00\xff" * 50,
    ]
    for garbage in damaged:
        cache_file.write_bytes(garbage)
        assert found(site) == expected
        assert found(site) == expected  # the rewritten file is good again
    # A well-formed record of another shape (a future layout, a bug): ignored too.
    for other in [[1, 2, 3], {"key": 1}, {"key": None, "dirs": "x", "dists": 5}]:
        write_record(str(cache_file), plugin_cache._MAGIC, other)  # pyright: ignore[reportPrivateUsage]
        assert found(site) == expected
    assert len(scans) == 1 + len(damaged) + 3


def test_a_plugin_installed_right_now_is_not_cached(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    """A change in the same clock tick as the scan would not move a modification time: wait until it settles."""
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    found(site)
    found(site)
    assert len(scans) == 2
    assert not list(cache_home.glob("entry-points-*.bin"))


def test_other_files_changing_in_a_path_directory_keep_the_cache(
    tmp_path: Path, cache_home: Path, scans: list[str]
) -> None:
    """The app host's own directory is on sys.path, and files come and go there."""
    site, app = tmp_path / "site", tmp_path / "app"
    install(site, "my_plugin", "1.0", HOOK)
    (app / "apphost.py").parent.mkdir()
    (app / "apphost.py").write_text("")
    settle(site, app)
    expected = found(app, site)
    (app / "data.txt").write_text("written by the last run")
    (app / ".cache").mkdir()
    assert found(app, site) == expected
    assert found(app, site) == expected
    assert scans == [str(app), str(site)]
    # A distribution appearing there is still seen, even next to other changes.
    settle(app, at=OLD + 10)
    install(app, "local_plugin", "0.1", "[aspyre.hooks]\nlocal = local_plugin\n")
    assert sorted(d[0] for d in found(app, site)) == ["local_plugin", "my_plugin"]
    assert scans == [str(app), str(site), str(app)]


def test_a_reinstall_under_the_same_name_is_seen(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    """``pip install -e .`` again after adding an entry point: the same *.dist-info name, a new directory."""
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    install(site, "their_plugin", "1.0", "[console_scripts]\nx = y:z\n")
    settle(site)
    assert [d[0] for d in found(site)] == ["my_plugin"]
    shutil.rmtree(site / "their_plugin-1.0.dist-info")
    install(site, "their_plugin", "1.0", "[aspyre.builder_methods]\nadd_theirs = their_plugin:add\n")
    later = OLD + 60  # settled, but not the same time as before
    for p in [site, *site.rglob("*")]:
        if "their_plugin" in str(p) or p == site:
            os.utime(p, (later, later))
    assert sorted(d[0] for d in found(site)) == ["my_plugin", "their_plugin"]
    assert len(scans) == 2


def test_the_cache_can_be_turned_off(
    tmp_path: Path, cache_home: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ASPYRE_PLUGIN_CACHE", "0")
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    settle(site)
    found(site)
    found(site)
    assert len(scans) == 2
    assert not cache_home.exists()


def test_a_scan_with_errors_is_not_cached(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    site = tmp_path / "site"
    info = install(site, "my_plugin", "1.0", HOOK)
    (info / "entry_points.txt").write_bytes(b"[aspyre.hooks]\nmine = \xff\n")
    settle(site)
    for _ in range(2):
        errors: list[str] = []
        assert cached_distribution_entries(GROUPS, errors, [str(site)]) == []
        assert len(errors) == 1 and "UnicodeDecodeError" in errors[0]
    assert len(scans) == 2


def test_path_lists_share_what_was_found_in_each_directory(tmp_path: Path, cache_home: Path, scans: list[str]) -> None:
    """Every app host directory starts another sys.path: site-packages is still read from the cache."""
    one, two, hidden = tmp_path / "one", tmp_path / "two", tmp_path / "hidden"
    install(one, "first", "1.0", HOOK)
    install(two, "second", "1.0", HOOK)
    install(hidden, "First", "9.0", "[console_scripts]\nx = y:z\n")  # no aspyre entry points, same name
    settle(one, two, hidden)
    for _ in range(2):
        assert [d[0] for d in found(one)] == ["first"]
        assert [d[0] for d in found(two)] == ["second"]
        assert [d[0] for d in found(two, one)] == ["second", "first"]
        assert [d[0] for d in found(hidden, two, one)] == ["second"]  # the first of a name wins, even without
    assert scans == [str(one), str(two), str(hidden)]
    assert len(list(cache_home.glob("entry-points-*.bin"))) == 1


def test_the_file_keeps_the_most_recently_used_directories(
    tmp_path: Path, cache_home: Path, scans: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin_cache, "_MAX_DIRECTORIES", 3)
    site = tmp_path / "site"
    install(site, "my_plugin", "1.0", HOOK)
    apps = [tmp_path / f"app{i}" for i in range(4)]
    for app in apps:
        app.mkdir()
    settle(site, *apps)
    for app in apps:
        found(app, site)
    assert scans == [str(apps[0]), str(site), str(apps[1]), str(apps[2]), str(apps[3])]
    scans.clear()
    found(apps[3], site)
    found(apps[2], site)
    assert scans == []
    found(apps[0], site)  # dropped: the file holds site, app2 and app3
    assert scans == [str(apps[0])]


def test_cache_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_directory() == str(tmp_path / "aspyre")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_directory() == str(tmp_path / "home" / ".cache" / "aspyre")
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_directory() == str(tmp_path / "home" / ".cache" / "aspyre")
