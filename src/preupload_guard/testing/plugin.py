"""pytest fixtures for testing preupload-guard plugins (and preupload-guard itself).

Registered through the ``pytest11`` entry point named ``preupload_guard``, so any pytest run
in an environment where preupload-guard is installed can use the fixtures without a
``conftest.py`` (``-p no:preupload_guard`` turns them off). Nothing here is ``autouse``:
the plugin changes nothing for test suites that do not ask for a fixture. pytest imports
this module in every run of such an environment, so the kit is imported only inside the
fixtures (importing it costs about 0.2 s: the index client pulls in requests).

* ``guard_dists``: a :class:`~preupload_guard.testing.DistFactory` writing into a fresh
  temporary directory.
* ``guard_index``: a factory that starts a :class:`~preupload_guard.testing.FixtureIndex`
  (``guard_index(scenario)`` or ``guard_index(projects=[...], ...)``) and stops it after
  the test.
* ``guard_check``: :func:`~preupload_guard.testing.run_check` with a cache directory of the
  test's own, so cached index answers never leak between tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from preupload_guard.testing.dists import DistFactory
    from preupload_guard.testing.index import FixtureIndex, IndexScenario
    from preupload_guard.testing.run import CheckRun

CACHE_ENV = "PREUPLOAD_GUARD_CACHE_DIR"


@pytest.fixture
def guard_dists(tmp_path: Path) -> DistFactory:
    """Build wheels and sdists (good or broken) into ``tmp_path / "dist"``."""
    from preupload_guard.testing.dists import DistFactory

    return DistFactory(tmp_path / "dist")


@pytest.fixture
def guard_index() -> Iterator[Callable[..., FixtureIndex]]:
    """Start local package indexes: ``guard_index(IndexScenario(...))`` or keywords."""
    from preupload_guard.testing.index import FixtureIndex, IndexScenario

    started: list[FixtureIndex] = []

    def start(scenario: IndexScenario | None = None, **kwargs: Any) -> FixtureIndex:
        index = FixtureIndex(scenario if scenario is not None else IndexScenario(**kwargs))
        started.append(index.start())
        return index

    yield start
    for index in started:
        index.stop()


@pytest.fixture
def guard_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CheckRun]:
    """Run the checks: ``guard_check(paths, index=..., plugins=..., config=..., **options)``."""
    from preupload_guard.testing.run import run_check

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "guard-cache"))

    def run(paths: Any, **kwargs: Any) -> CheckRun:
        kwargs.setdefault("project_dir", tmp_path)
        return run_check(paths, **kwargs)

    return run
