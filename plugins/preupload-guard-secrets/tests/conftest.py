"""Run the real checks with this plugin registered as ``secrets`` (the entry-point name).

``autoload=False`` keeps other installed plugins (and this one's own entry point, when it is
installed) out of the unit tests; ``select`` keeps only this plugin's findings and
``plugin-error`` (which ``--select`` would otherwise drop too).
The end-to-end test in ``test_installed.py`` exercises the installed entry point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import preupload_guard_secrets
import pytest

from preupload_guard.testing import CheckRun

Scan = Callable[..., CheckRun]


@pytest.fixture
def scan(guard_check: Callable[..., CheckRun]) -> Scan:
    """``scan(paths, **plugin_config)``: check with the plugin's findings only."""

    def run(paths: Path | Iterable[Path], *, select: Iterable[str] = ("secrets", "plugin-error"),
            **config: Any) -> CheckRun:
        table = {k.replace("_", "-"): v for k, v in config.items()}
        return guard_check(
            paths,
            plugins={"secrets": preupload_guard_secrets},
            autoload=False,
            config={"plugins": {"secrets": table}} if table else None,
            select=list(select),
        )

    return run

