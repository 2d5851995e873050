"""Shared fixtures: an isolated environment, a cache directory, a local fixture index."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from preupload_guard.testing import FixtureIndex, IndexScenario


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
    """A cache directory per test, on top of the session one.

    Cache entries are keyed by index URL, and fixture indexes reuse ephemeral ports: a
    project list cached by one test must not answer for another test's index.
    """
    monkeypatch.setenv("PREUPLOAD_GUARD_CACHE_DIR", str(tmp_path / "user-cache"))


@pytest.fixture
def cache_dir(tmp_path: Path) -> Path:
    path = tmp_path / "cache"
    path.mkdir()
    return path


@pytest.fixture
def fixture_index() -> Iterator[Callable[..., FixtureIndex]]:
    """Factory: ``fixture_index(scenario)`` or ``fixture_index(projects=[...], ...)``.

    Starts a :class:`FixtureIndex` on 127.0.0.1 and stops it after the test.
    """
    started: list[FixtureIndex] = []

    def start(scenario: IndexScenario | None = None, **kwargs: Any) -> FixtureIndex:
        index = FixtureIndex(scenario if scenario is not None else IndexScenario(**kwargs))
        started.append(index.start())
        return index

    yield start
    for index in started:
        index.stop()
