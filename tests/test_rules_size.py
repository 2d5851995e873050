"""Size rules against real files and a real local index: each case and its near miss."""

from __future__ import annotations

from pathlib import Path

import pytest

from preupload_guard.model.findings import Severity
from preupload_guard.model.settings import ConfigError
from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel, make_wheel_of_size

from checking import finding, rules, run, skipped

MiB = 1024**2
GiB = 1024**3
LIMIT = 100 * MiB


def test_file_exactly_at_the_limit_passes(tmp_path: Path) -> None:
    path = make_wheel_of_size(tmp_path, LIMIT)
    report = run([path])
    assert "file-too-large" not in rules(report)
    assert finding(report, "size-near-limit").severity is Severity.WARNING
    assert report.ok


def test_one_byte_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = make_wheel_of_size(tmp_path, LIMIT + 1)
    report = run([path])
    found = finding(report, "file-too-large")
    assert found.severity is Severity.ERROR
    assert found.file == path.name
    assert "File too large. Limit for project 'tinyproj' is 100 MB." in found.message
    assert "size-near-limit" not in rules(report)
    assert not report.ok


def test_granted_limit_raises_the_limit(tmp_path: Path) -> None:
    path = make_wheel_of_size(tmp_path, LIMIT + 1)
    report = run([path], upload_limit="200 MiB")
    assert rules(report) == []


def test_granted_limit_below_default_keeps_the_default(tmp_path: Path) -> None:
    # Like PyPI: the effective limit is the larger of the default and the granted one.
    path = make_wheel_of_size(tmp_path, 60 * MiB)
    assert rules(run([path], upload_limit="50MiB")) == []


def test_limit_above_one_gib_is_a_usage_error(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    with pytest.raises(ConfigError, match="1 GiB"):
        run([path], upload_limit="2 GiB")


def test_near_limit_warning_threshold(tmp_path: Path) -> None:
    near = make_wheel_of_size(tmp_path, int(LIMIT * 0.9), name="near")
    below = make_wheel_of_size(tmp_path, int(LIMIT * 0.9) - 1, name="below")
    report = run([near, below])
    assert rules(report, near.name) == ["size-near-limit"]
    assert rules(report, below.name) == []


def test_larger_file_on_index_proves_a_granted_limit(tmp_path: Path, guard_index) -> None:
    path = make_wheel_of_size(tmp_path, LIMIT + 1, version="2.0")
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0-py3-none-any.whl", size=150 * MiB),
    ])])
    report = run([path], index)
    found = finding(report, "file-too-large")
    assert found.severity is Severity.WARNING
    assert "evidently has a granted limit of at least 150 MiB" in found.message
    assert report.ok


def _project_of_total(total: int) -> FixtureProject:
    return FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz", size=total - 1000),
        FixtureFile("tinyproj-0.9-py3-none-any.whl", size=1000),
    ])


def test_project_total_exactly_at_limit_passes(tmp_path: Path, guard_index) -> None:
    path = make_wheel(tmp_path)
    index = guard_index(projects=[_project_of_total(10 * GiB - path.stat().st_size)])
    report = run([path], index)
    assert "project-too-large" not in rules(report)
    assert "size-near-limit" in rules(report)
    assert report.ok


def test_project_total_over_limit_is_refused(tmp_path: Path, guard_index) -> None:
    path = make_wheel(tmp_path)
    index = guard_index(projects=[_project_of_total(10 * GiB - path.stat().st_size + 1)])
    report = run([path], index)
    found = finding(report, "project-too-large")
    assert "Project size too large. Limit for project 'tinyproj' total size is 10 GB." in (
        found.message
    )
    assert not report.ok


def test_project_limit_counts_the_batch_in_upload_order(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    sdist_like = make_wheel(tmp_path, tag="py2.py3-none-any")
    room = wheel.stat().st_size  # exactly one of the two fits
    index = guard_index(projects=[_project_of_total(10 * GiB - room)])
    report = run([wheel, sdist_like], index)
    refused = [f.file for f in report.findings if f.rule == "project-too-large"]
    assert len(refused) == 1


def test_granted_project_limit(tmp_path: Path, guard_index) -> None:
    path = make_wheel(tmp_path)
    index = guard_index(projects=[_project_of_total(10 * GiB)])
    report = run([path], index, project_limit="20 GiB")
    assert "project-too-large" not in rules(report)


def test_project_total_unknown_is_skipped_not_passed(tmp_path: Path, guard_index) -> None:
    # An HTML-only index without a JSON API (pypiserver-like) lists no sizes.
    path = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9-py3-none-any.whl")])], mode="html-only", json_api=False)
    report = run([path], index, json_api_url=None)
    assert "project-too-large" in skipped(report)
    assert "project-too-large" not in rules(report)
