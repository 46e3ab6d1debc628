"""One rule names everything keyed on the app host; the lengths keep names already on disk stable; case is
folded only where the app host's file system ignores it."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import aspyre
import aspyre.plugins
from aspyre._model._names import (
    APP_HOST_HASH_CONTAINER,
    APP_HOST_HASH_SECRETS,
    APP_HOST_HASH_VOLUME,
    app_host_hash,
)
from aspyre._orchestrator._docker import ContainerRuntime
from aspyre._platform import app_host_hash_of, ignores_case


def test_the_hash_is_the_sha256_of_the_path_folded_where_case_is_ignored_cut_to_a_length() -> None:
    digest = hashlib.sha256(b"/home/me/shop/apphost.py").hexdigest()
    assert app_host_hash("/home/me/Shop/AppHost.py", fold_case=True) == digest[:8]
    assert app_host_hash("/home/me/shop/apphost.py", fold_case=False) == digest[:8]
    assert app_host_hash("/home/me/Shop/AppHost.py", fold_case=False) == (
        hashlib.sha256(b"/home/me/Shop/AppHost.py").hexdigest()[:8]
    )
    assert app_host_hash(Path("/home/me/shop/apphost.py"), 64, fold_case=False) == digest
    assert app_host_hash("/home/me/shop/apphost.py", 1, fold_case=True) == digest[:1]
    with pytest.raises(ValueError, match="1 to 64"):
        app_host_hash("/x", 0, fold_case=False)


def test_containers_volumes_and_secrets_use_the_same_hash_at_their_own_length(tmp_path: Path) -> None:
    path = tmp_path / "shop" / "apphost.py"
    full = app_host_hash_of(path, 64)
    assert ContainerRuntime(session_id="s", app_host_path=path).app_host_hash == full[:APP_HOST_HASH_CONTAINER]
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=path, load_plugins=False)
    volume = aspyre.plugins.volume_name(builder.add_container("cache", "redis"), "data")
    assert volume == f"shop-{full[:APP_HOST_HASH_VOLUME]}-cache-data"
    store = aspyre.plugins.SecretsStore(path, tmp_path / "store")
    assert store.path.name == f"{full[:APP_HOST_HASH_SECRETS]}.json"


def test_an_all_lower_case_path_keeps_its_names(tmp_path: Path) -> None:
    """Names already on users' machines stay: the common all-lower-case path hashes as it always did."""
    path = tmp_path / "shop" / "apphost.py"
    path.parent.mkdir()
    path.write_text("")
    legacy = hashlib.sha256(str(path).lower().encode()).hexdigest()
    assert str(path) == str(path).lower()
    assert app_host_hash_of(path, 64) == legacy


def names(path: Path, store: Path) -> tuple[str, str, str]:
    """The persistent-container hash, the data volume and the secrets file of the app host at ``path``."""
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=path, load_plugins=False)
    volume = aspyre.plugins.volume_name(builder.add_container("cache", "redis"), "data")
    return (
        ContainerRuntime(session_id="s", app_host_path=path).app_host_hash,
        volume,
        aspyre.plugins.SecretsStore(path, store).path.name,
    )


def test_two_app_hosts_whose_paths_differ_only_in_case_never_share_on_a_case_sensitive_file_system(
    tmp_path: Path,
) -> None:
    upper, lower = tmp_path / "App" / "apphost.py", tmp_path / "app" / "apphost.py"
    for p in (upper, lower):
        p.parent.mkdir()
        p.write_text("")
    if upper.samefile(lower):  # pragma: no cover - a file system that ignores case
        pytest.skip("tmp_path is on a file system that ignores case")
    assert not ignores_case(upper)
    a, b = names(upper, tmp_path / "store"), names(lower, tmp_path / "store")
    assert a[0] != b[0]
    assert a[1] != b[1]
    assert a[2] != b[2]


def test_the_same_file_reached_through_another_case_shares_where_case_is_ignored(tmp_path: Path) -> None:
    """Where a name and its case-swapped spelling are the same file (as on macOS or Windows, shown here
    with a hard link on a file system that respects case), the app host keeps its names."""
    directory = tmp_path / "shop"
    directory.mkdir()
    one = directory / "AppHost.py"
    one.write_text("")
    other = directory / "aPPhOST.PY"
    os.link(one, other)
    assert ignores_case(one) and ignores_case(other)
    assert names(one, tmp_path / "store") == names(other, tmp_path / "store")
    # a path that does not exist yet is judged on its closest existing parent
    assert not ignores_case(tmp_path / "missing" / "Nested" / "apphost.py")


def test_secrets_kept_under_the_old_case_folded_name_move_to_the_new_one_only_for_the_same_app_host(
    tmp_path: Path,
) -> None:
    store_dir = tmp_path / "store"
    mine, theirs = tmp_path / "App" / "apphost.py", tmp_path / "APP" / "apphost.py"
    for p in (mine, theirs):
        p.parent.mkdir()
        p.write_text("")
    legacy = store_dir / f"{app_host_hash(mine, APP_HOST_HASH_SECRETS, fold_case=True)}.json"
    store_dir.mkdir()
    legacy.write_text(json.dumps({"app_host": str(mine), "parameters": {"pw": "kept"}}))
    # another app host whose path folds to the same name does not take it
    assert aspyre.plugins.SecretsStore(theirs, store_dir).get("pw") is None
    assert legacy.exists()
    store = aspyre.plugins.SecretsStore(mine, store_dir)
    assert store.path != legacy
    assert store.get("pw") == "kept"
    assert store.path.exists() and not legacy.exists()
