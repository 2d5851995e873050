"""Reuse rules against real files and a real local index: each case and its near miss."""

from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from preupload_guard.checks.reuse import next_post_release
from preupload_guard.model.findings import Severity
from preupload_guard.testing import (
    FixtureFile,
    FixtureProject,
    make_sdist,
    make_wheel,
    make_zip_sdist,
)

from checking import finding, rules, run

NOW = datetime.now(timezone.utc)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def published(path: Path, **kwargs) -> FixtureFile:  # type: ignore[no-untyped-def]
    """The index copy of a file we built: same name, same bytes."""
    return FixtureFile(path.name, content=path.read_bytes(), **kwargs)


def test_identical_file_is_info_and_nothing_else(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        published(wheel, upload_time=days_ago(400))])])
    report = run([wheel], index)
    assert rules(report) == ["identical-file"]
    assert finding(report, "identical-file").severity is Severity.INFO
    assert report.ok
    # blake2 was needed (PyPI's no-op compares it) and computed in the same pass
    assert report.files[0].blake2_256 is not None


def test_same_name_different_content_is_file_exists(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile(wheel.name, content=b"other bytes", upload_time=days_ago(1))])])
    report = run([wheel], index)
    found = finding(report, "file-exists")
    assert found.severity is Severity.ERROR
    assert f"File already exists ('{wheel.name}', with blake2_256 hash '" in found.message
    assert report.files[0].blake2_256 in found.message
    assert "1.0.0.post1" in (found.hint or "")
    assert not report.ok


def test_blake2_is_not_computed_when_not_needed(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9-py3-none-any.whl", upload_time=days_ago(1))])])
    report = run([wheel], index)
    assert report.files[0].sha256 is not None
    assert report.files[0].blake2_256 is None


def test_same_content_under_another_name(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.0-py2.py3-none-any.whl", content=wheel.read_bytes(),
                    upload_time=days_ago(1))])])
    report = run([wheel], index)
    assert "content-exists" in rules(report)
    assert "tinyproj-1.0.0-py2.py3-none-any.whl" in finding(report, "content-exists").message


def test_same_content_twice_in_one_batch(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    copy = tmp_path / "tinyproj-1.0.0-py2.py3-none-any.whl"
    shutil.copy(wheel, copy)
    report = run([wheel, copy])
    assert rules(report).count("content-exists") == 1


def test_filename_in_ledger_but_not_on_index(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    ledger = tmp_path / ".pypi-history"
    ledger.write_text(f"# ours\n{wheel.name}\n")
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9-py3-none-any.whl", upload_time=days_ago(30))])])
    report = run([wheel], index, history=str(ledger))
    found = finding(report, "filename-reused")
    assert "previously used by a file that has since been deleted" in found.message
    assert "1.0.0.post1" in (found.hint or "")


def test_no_reuse_without_ledger_entry(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    ledger = tmp_path / ".pypi-history"
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9-py3-none-any.whl", upload_time=days_ago(30))])])
    report = run([wheel], index, history=str(ledger))
    assert "filename-reused" not in rules(report)
    # The run recorded what it saw on the index: sorted, with a header comment.
    text = ledger.read_text()
    assert text.startswith("# preupload-guard filename ledger")
    assert text.rstrip().endswith("tinyproj-0.9-py3-none-any.whl")


def test_ledger_merges_index_filenames(tmp_path: Path, guard_index) -> None:
    ledger = tmp_path / "ledger.txt"
    ledger.write_text("zzz-1.0.tar.gz\naaa-1.0.tar.gz\n")
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz", upload_time=days_ago(30))])])
    run([wheel], index, history=str(ledger))
    entries = [line for line in ledger.read_text().splitlines() if not line.startswith("#")]
    assert entries == ["aaa-1.0.tar.gz", "tinyproj-0.9.tar.gz", "zzz-1.0.tar.gz"]


def test_offline_does_not_touch_the_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.txt"
    wheel = make_wheel(tmp_path)
    run([wheel], history=str(ledger))
    assert not ledger.exists()


def _release(version_files: list[str], created: datetime) -> FixtureProject:
    return FixtureProject("tinyproj", files=[
        FixtureFile(name, upload_time=created) for name in version_files])


def test_release_older_than_14_days_is_closed(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, tag="cp313-cp313-win_amd64")
    index = guard_index(projects=[_release(["tinyproj-1.0.0.tar.gz"], days_ago(15))])
    found = finding(run([wheel], index), "release-closed")
    assert "Uploading new files to releases older than 14 days is not allowed." in found.message
    assert "1.0.0.post1" in (found.hint or "")


def test_release_13_days_old_is_open(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, tag="cp313-cp313-win_amd64")
    index = guard_index(projects=[_release(["tinyproj-1.0.0.tar.gz"], days_ago(13))])
    assert "release-closed" not in rules(run([wheel], index))


def test_release_matched_by_canonical_version(tmp_path: Path, guard_index) -> None:
    # Our 1.0.0 joins the index's release 1.0.
    wheel = make_wheel(tmp_path, version="1.0.0")
    index = guard_index(projects=[_release(["tinyproj-1.0.tar.gz"], days_ago(20))])
    assert "release-closed" in rules(run([wheel], index))
    other = make_wheel(tmp_path, version="1.0.1")
    assert "release-closed" not in rules(run([other], index))


def test_identical_file_in_old_release_is_not_closed(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        published(wheel, upload_time=days_ago(100))])])
    assert rules(run([wheel], index)) == ["identical-file"]


def test_release_with_unknown_creation_warns(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject(
        "tinyproj", files=[FixtureFile("tinyproj-0.9.tar.gz", upload_time=days_ago(50))],
        empty_releases=["1.0.0"])])
    found = finding(run([wheel], index), "release-closed")
    assert found.severity is Severity.WARNING


def test_second_sdist_for_a_release(tmp_path: Path, guard_index) -> None:
    sdist = make_sdist(tmp_path)
    wheel = make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.0.zip", upload_time=days_ago(1))])])
    report = run([wheel, sdist], index)
    assert rules(report, sdist.name) == ["duplicate-sdist"]
    assert rules(report, wheel.name) == []
    message = finding(report, "duplicate-sdist").message
    assert "Only one sdist may be uploaded per release." in message


def test_two_sdists_of_one_release_in_the_batch(tmp_path: Path) -> None:
    tar = make_sdist(tmp_path)
    zipped = make_zip_sdist(tmp_path)
    report = run([tar, zipped])
    assert rules(report, zipped.name).count("duplicate-sdist") == 1
    assert "duplicate-sdist" not in rules(report, tar.name)


def test_next_post_release() -> None:
    assert next_post_release("1.2.0") == "1.2.0.post1"
    assert next_post_release("1.2.0.post1") == "1.2.0.post2"
    assert next_post_release("1.0rc1") == "1.0rc1.post1"
    assert next_post_release("2!1.0.dev3") == "2!1.0.post1.dev3"
    assert next_post_release("not a version") is None
