"""Short helpers over the testing kit's ``run_check`` for the core's many rule tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from preupload_guard import Report
from preupload_guard.testing import FixtureIndex, run_check


def run(paths: Iterable[Path], index: FixtureIndex | None = None, **options: Any) -> Report:
    """The testing kit's ``run_check`` against ``index`` (offline when ``None``)."""
    return run_check(list(paths), index=index, **options).report


def rules(report: Report, file: str | None = None) -> list[str]:
    """Rule ids found (for one file when ``file`` is given), in report order."""
    return [f.rule for f in report.findings if file is None or f.file == file]


def finding(report: Report, rule: str):  # type: ignore[no-untyped-def]
    matches = [f for f in report.findings if f.rule == rule]
    assert matches, f"no {rule} finding in {rules(report)}"
    return matches[0]


def skipped(report: Report) -> set[str]:
    return {s.rule for s in report.skipped}
