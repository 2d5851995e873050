"""Run the real checks the way the tests need them, and read findings back."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from preupload_guard import Report, check
from preupload_guard.testing import FixtureIndex


def run(paths: Iterable[Path], index: FixtureIndex | None = None, **options: Any) -> Report:
    """``check()`` against ``index`` (or offline when ``None``)."""
    if index is None:
        options.setdefault("offline", True)
    else:
        options.setdefault("index_url", index.simple_url)
        options.setdefault("json_api_url", index.json_api_url)
        options.setdefault("timeout", 5)
    return check([str(p) for p in paths], **options)


def rules(report: Report, file: str | None = None) -> list[str]:
    """Rule ids found (for one file when ``file`` is given), in report order."""
    return [f.rule for f in report.findings if file is None or f.file == file]


def finding(report: Report, rule: str):  # type: ignore[no-untyped-def]
    matches = [f for f in report.findings if f.rule == rule]
    assert matches, f"no {rule} finding in {rules(report)}"
    return matches[0]


def skipped(report: Report) -> set[str]:
    return {s.rule for s in report.skipped}
