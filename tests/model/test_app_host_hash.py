"""One rule names everything keyed on the app host; the lengths keep names already on disk stable."""

from __future__ import annotations

import hashlib
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


def test_the_hash_is_the_sha256_of_the_lower_cased_path_cut_to_a_length() -> None:
    digest = hashlib.sha256(b"/home/me/shop/apphost.py").hexdigest()
    assert app_host_hash("/home/me/Shop/AppHost.py") == digest[:8]
    assert app_host_hash(Path("/home/me/shop/apphost.py"), 64) == digest
    assert app_host_hash("/home/me/shop/apphost.py", 1) == digest[:1]
    with pytest.raises(ValueError, match="1 to 64"):
        app_host_hash("/x", 0)


def test_containers_volumes_and_secrets_use_the_same_hash_at_their_own_length(tmp_path: Path) -> None:
    path = tmp_path / "shop" / "apphost.py"
    full = app_host_hash(path, 64)
    assert ContainerRuntime(session_id="s", app_host_path=path).app_host_hash == full[:APP_HOST_HASH_CONTAINER]
    builder = aspyre.DistributedApplication.create_builder([], app_host_path=path, load_plugins=False)
    volume = aspyre.plugins.volume_name(builder.add_container("cache", "redis"), "data")
    assert volume == f"shop-{full[:APP_HOST_HASH_VOLUME]}-cache-data"
    store = aspyre.plugins.SecretsStore(path, tmp_path / "store")
    assert store.path.name == f"{full[:APP_HOST_HASH_SECRETS]}.json"
