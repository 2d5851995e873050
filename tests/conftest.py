"""Shared fixtures: an isolated environment and a cache directory.

Archives, the local index and check runs come from the testing kit's pytest plugin
(``preupload_guard.testing.plugin``: ``guard_dists``, ``guard_index``, ``guard_check``),
the same fixtures plugin authors use.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from preupload_guard.engine.plugins import DISABLE_AUTOLOAD_ENV


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``live`` talk to the real index: run them only when ``-m`` names them."""
    if "live" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="talks to the real index; run with `-m live`")
    for item in items:
        if "live" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No real keyring prompts, and no test writes to the user's cache directory."""
    patch = pytest.MonkeyPatch()
    patch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    patch.setenv("PREUPLOAD_GUARD_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))
    yield
    patch.undo()


@pytest.fixture(autouse=True)
def _fresh_user_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A cache directory per test, on top of the session one; no installed plugins.

    Cache entries are keyed by index URL, and fixture indexes reuse ephemeral ports: a
    project list cached by one test must not answer for another test's index.

    CI installs the plugins under ``plugins/`` next to the core, and their rules would join
    every run the core's tests make, in-process and in subprocesses alike. The core's tests
    are about the core, so entry-point plugins stay off here; the tests about plugin
    loading turn autoload back on for their own subprocesses.
    """
    monkeypatch.setenv("PREUPLOAD_GUARD_CACHE_DIR", str(tmp_path / "user-cache"))
    monkeypatch.setenv(DISABLE_AUTOLOAD_ENV, "1")


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path


