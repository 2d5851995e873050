"""Name rules against real files and a real local index: each case and its near miss."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from preupload_guard.checks import names
from preupload_guard.engine.config import load_settings
from preupload_guard.index.client import Index
from preupload_guard.model.context import Context
from preupload_guard.model.facts import ProjectState
from preupload_guard.model.findings import Severity
from preupload_guard.model.names import stdlib_prohibited, ultranormalize_name
from preupload_guard.read.artifact import Artifact
from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel, metadata_text

from checking import finding, rules, run, skipped


def test_stdlib_set_matches_warehouse() -> None:
    names_ = stdlib_prohibited()
    assert len(names_) == 2363  # with stdlib-list 0.12.0, as the reference measured
    for name in ("this", "os-path", "xml-dom", "main", "future", "test", "md5"):
        assert name in names_
    for name in ("pip", "tests", "typing-extensions", "six"):
        assert name not in names_


def test_ultranormalize() -> None:
    for spelling in ("Toast-ing", "toast1ng", "TOASTLNG", "t0asting", "toast.ing"):
        assert ultranormalize_name(spelling) == "t0ast1ng"


def test_new_project_with_stdlib_name(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, "Os.Path", "1.0")
    index = guard_index(projects=[FixtureProject("unrelated")])
    report = run([wheel], index)
    assert finding(report, "new-project").severity is Severity.INFO
    found = finding(report, "stdlib-name")
    assert "The name 'Os.Path' isn't allowed (conflict with Python Standard Library" in (
        found.message
    )
    assert not report.ok


def test_existing_project_keeps_its_stdlib_name(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, "test", "2.0")
    index = guard_index(projects=[FixtureProject("test", files=[
        FixtureFile("test-1.0.tar.gz", upload_time=datetime(2020, 1, 1, tzinfo=timezone.utc))])])
    report = run([wheel], index)
    assert "stdlib-name" not in rules(report)
    assert "new-project" not in rules(report)


def test_similar_name_names_the_existing_project(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, "Toast-ing", "1.0")
    index = guard_index(projects=[FixtureProject("toasting")],
                          extra_names=["numpy", "requests"])
    report = run([wheel], index)
    found = finding(report, "similar-project-name")
    assert "'toasting'" in found.message
    assert "too similar to an existing project" in found.message


def test_different_enough_name_is_not_similar(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, "toasted", "1.0")
    index = guard_index(projects=[FixtureProject("toasting")])
    report = run([wheel], index)
    assert "similar-project-name" not in rules(report)
    assert rules(report) == ["new-project"]


def test_invalid_project_name_is_refused_even_offline(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "tinyproj", "1.0",
                       metadata=metadata_text("tinyproj-", "1.0"))
    report = run([wheel])
    found = finding(report, "invalid-project-name")
    assert "'tinyproj-' is an invalid value for Name." in found.message


def test_archived_project_refuses_uploads(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", status="archived", files=[
        FixtureFile("tinyproj-0.9.tar.gz")])])
    assert "project-archived" in rules(run([wheel], index))


def test_active_project_accepts_uploads(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", status="active", files=[
        FixtureFile("tinyproj-0.9.tar.gz")])])
    assert rules(run([wheel], index)) == []


def test_quarantined_status_when_the_index_reports_it(tmp_path: Path, guard_index) -> None:
    # PyPI hides quarantined projects; an index that shows the status gets a clear finding.
    # Drive the built-in hook with a real Index whose facts for the project are known.
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[])
    settings = load_settings({"index_url": index.simple_url, "paths": [str(wheel)]})
    context = Context(settings=settings, now=datetime.now(timezone.utc),
                      index=Index(index.simple_url))
    context.states["tinyproj"] = ProjectState("tinyproj", exists=True, status="quarantined")
    found = list(names.preupload_guard_check_batch([Artifact(wheel)], context))
    assert [f.rule for f in found] == ["project-quarantined"]


def test_name_rules_are_skipped_offline(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "this", "1.0")
    report = run([wheel])
    assert "stdlib-name" not in rules(report)
    assert {"stdlib-name", "similar-project-name", "new-project"} <= skipped(report)
