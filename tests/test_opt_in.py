"""Opt-in rules (``version-exists``) run only when selected by id."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel

from checking import rules, run


def test_opt_in_rule_needs_its_id(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, version="1.0.0")
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.tar.gz", upload_time=datetime.now(timezone.utc))])])
    assert "version-exists" not in rules(run([wheel], index))
    assert "version-exists" not in rules(run([wheel], index, select=["reuse"]))
    assert "version-exists" not in rules(run([wheel], index, select=["all"]))
    assert rules(run([wheel], index, select=["version-exists"])) == ["version-exists"]
    assert "version-exists" in rules(run([wheel], index, select=["all", "version-exists"]))
    # Offline, an unselected opt-in rule is not "skipped": it was never asked for.
    offline = run([wheel])
    assert "version-exists" not in {s.rule for s in offline.skipped}
    assert "file-exists" in {s.rule for s in offline.skipped}
