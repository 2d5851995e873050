"""The testing kit: build distributions, serve a package index, run the checks.

For preupload-guard's own tests and for plugin authors. Four parts, each usable without
pytest:

* :mod:`.dists`: real wheels and sdists, valid by default, broken on request
  (:func:`make_wheel`, :func:`make_sdist`, :class:`DistFactory`, ...);
* :mod:`.index`: :class:`FixtureIndex`, a real HTTP package index on 127.0.0.1 serving a
  chosen state (:class:`IndexScenario` of :class:`FixtureProject` and :class:`FixtureFile`);
* :mod:`.run`: :func:`run_check`, the checks with plugins passed as objects and the config
  table passed as a dict, returning a :class:`CheckRun`;
* :mod:`.measure`: :func:`run_measured`, a command's own peak RSS and time under an optional
  address-space cap (for bounds on hostile input).

Under pytest, :mod:`.plugin` (registered through the ``pytest11`` entry point) wraps them in
the fixtures ``guard_dists``, ``guard_index`` and ``guard_check``. See docs/plugins.md.

The names below are imported on first use: pytest imports this package (through
:mod:`.plugin`) in every run of an environment where preupload-guard is installed, and
that must not cost the index client's imports when no fixture is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from preupload_guard.testing.dists import (
        DEFAULT_README,
        DistFactory,
        make_sdist,
        make_wheel,
        make_wheel_of_size,
        make_zip_sdist,
        metadata_text,
        sized_file,
        truncated,
        wheel_filename,
    )
    from preupload_guard.testing.index import (
        FixtureFile,
        FixtureIndex,
        FixtureProject,
        IndexScenario,
        iter_fixture_names,
    )
    from preupload_guard.testing.measure import Measured, run_measured
    from preupload_guard.testing.run import CheckRun, run_check

_WHERE = {
    "DEFAULT_README": "dists",
    "DistFactory": "dists",
    "make_sdist": "dists",
    "make_wheel": "dists",
    "make_wheel_of_size": "dists",
    "make_zip_sdist": "dists",
    "metadata_text": "dists",
    "sized_file": "dists",
    "truncated": "dists",
    "wheel_filename": "dists",
    "FixtureFile": "index",
    "FixtureIndex": "index",
    "FixtureProject": "index",
    "IndexScenario": "index",
    "iter_fixture_names": "index",
    "CheckRun": "run",
    "run_check": "run",
    "Measured": "measure",
    "run_measured": "measure",
}

__all__ = [
    "DEFAULT_README",
    "CheckRun",
    "DistFactory",
    "FixtureFile",
    "FixtureIndex",
    "FixtureProject",
    "IndexScenario",
    "Measured",
    "iter_fixture_names",
    "make_sdist",
    "make_wheel",
    "make_wheel_of_size",
    "make_zip_sdist",
    "metadata_text",
    "run_check",
    "run_measured",
    "sized_file",
    "truncated",
    "wheel_filename",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})
