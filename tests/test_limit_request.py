"""Guideline assessment and the drafted limit request: the rules case by case, and golden
drafts from real archives and a real local index.

Golden files live in ``tests/data/golden/``. A changed draft fails its test; when the change
is intended, regenerate them and review the diff::

    PREUPLOAD_GUARD_REGENERATE_GOLDEN=1 pytest tests/test_limit_request.py
"""

from __future__ import annotations

import json
import os
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from preupload_guard.advise import (
    breakdown as size_breakdown,
)
from preupload_guard.advise import (
    guidelines,
    limit_request,
    size_report,
)
from preupload_guard.advise.breakdown import MemberFacts, summarize
from preupload_guard.advise.guidelines import (
    Cadence,
    Sized,
    assess_file_request,
    assess_project_request,
    release_cadence,
    requested_file_limit,
    requested_project_limit,
)
from preupload_guard.advise.limit_request import DraftContext, draft_request, placeholders
from preupload_guard.advise.size_report import build_limit_request, index_label, project_url
from preupload_guard.cli import main
from preupload_guard.engine.config import load_settings
from preupload_guard.model.facts import IndexFile, ProjectState, Release
from preupload_guard.model.settings import GiB, MiB, Settings
from preupload_guard.read.binaries import BinaryInfo
from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel, sized_file

GOLDEN = Path(__file__).parent / "data" / "golden"
REGENERATE = os.environ.get("PREUPLOAD_GUARD_REGENERATE_GOLDEN") == "1"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LIMIT = 100 * MiB
STEADY = Cadence(True, releases=8, last_year=4, last_quarter=1, first=NOW - timedelta(days=700),
                 latest=NOW - timedelta(days=40), median_days=90.0)


def assert_golden(name: str, text: str) -> None:
    """Compare with ``tests/data/golden/NAME``; rewrite it instead when regenerating."""
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.is_file(), f"no golden file {path}: run with PREUPLOAD_GUARD_REGENERATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, (f"the draft differs from {path}; if intended, regenerate with "
                              "PREUPLOAD_GUARD_REGENERATE_GOLDEN=1 and review the diff")


def member(name: str, size_mib: float, kind: str, *, debug_mib: float = 0,
           detail: str | None = None) -> MemberFacts:
    size = int(size_mib * MiB)
    binary = None
    if debug_mib:
        binary = BinaryInfo("elf", "x86_64", int(debug_mib * MiB), 0, (), True)
    return MemberFacts(name, size, size, kind, detail, None, binary)


def sized(filename: str, *members: MemberFacts, version: str = "1.0") -> Sized:
    size = sum(m.compressed for m in members) + 1000
    return Sized(filename, size, summarize(filename, size, members), version)


# -- what to ask for ------------------------------------------------------------------------


@pytest.mark.parametrize(("largest_mib", "asked_mib"), [
    (95, 150), (101, 150), (150, 200), (170, 200), (190, 200), (195, 250), (300, 400),
    (420, 600), (900, 1024), (1024, 1024),
])
def test_requested_file_limit(largest_mib: int, asked_mib: int) -> None:
    assert requested_file_limit(largest_mib * MiB) == asked_mib * MiB


def test_no_file_limit_above_one_gib() -> None:
    assert requested_file_limit(GiB + 1) is None


def test_requested_project_limit() -> None:
    assert requested_project_limit(int(10.5 * GiB), None, 10 * GiB) == 20 * GiB
    assert requested_project_limit(int(10.5 * GiB), 2 * GiB, 10 * GiB) == 15 * GiB
    assert requested_project_limit(9 * GiB, 0, 10 * GiB) == 15 * GiB  # always above current


# -- release cadence --------------------------------------------------------------------------


def _state(*dates: datetime, versions: list[str] | None = None) -> ProjectState:
    versions = versions or [f"1.{i}" for i in range(len(dates))]
    releases = {v: Release(v, (IndexFile(f"p-{v}.tar.gz", v, 10, upload_time=d),), d)
                for v, d in zip(versions, dates, strict=True)}
    files = tuple(f for r in releases.values() for f in r.files)
    return ProjectState("p", True, files=files, releases=releases)


def test_cadence_from_upload_times() -> None:
    dates = [NOW - timedelta(days=d) for d in (700, 400, 300, 200, 100, 10)]
    cadence = release_cadence(_state(*dates), NOW)
    assert (cadence.known, cadence.releases, cadence.last_year, cadence.last_quarter) == (
        True, 6, 4, 1)
    assert cadence.median_days == 100 and not cadence.frequent
    assert "6 release(s) on the index since" in cadence.describe()


def test_nightly_releases_are_frequent() -> None:
    dates = [NOW - timedelta(days=d) for d in range(20)]
    versions = [f"1.0.dev{i}" for i in range(20)]
    cadence = release_cadence(_state(*dates, versions=versions), NOW)
    assert cadence.frequent and cadence.dev_last_quarter == 20
    assert cadence.median_days == 1


def test_cadence_unknown_offline_or_without_upload_times() -> None:
    assert not release_cadence(None, NOW).known
    assert "not consulted" in release_cadence(None, NOW).describe()
    no_times = ProjectState("p", True, releases={"1.0": Release("1.0", (), None)})
    assert release_cadence(no_times, NOW).reason == "the index gives no upload times"
    new = release_cadence(ProjectState("p", False), NOW)
    assert new.known and new.releases == 0


# -- the file-size assessment ------------------------------------------------------------------


def test_not_needed_below_ninety_percent() -> None:
    a = assess_file_request([sized("a.whl", member("a/x.so", 80, "native-library"))], LIMIT,
                            STEADY)
    assert a.verdict == "not-needed" and not a.needed and a.requested_limit is None


def test_small_model_is_likely_granted() -> None:
    a = assess_file_request([sized("a.whl", member("a/model.pt", 70, "model-weights"),
                                   member("a/_core.so", 60, "native-library"))], LIMIT, STEADY)
    assert (a.verdict, a.tier, a.requested_limit) == ("likely", "small", 200 * MiB)
    assert [r.guideline for r in a.favourable] == [guidelines.SMALL_MODEL]
    assert a.against == ()
    assert any("established" in u for u in a.unknown)


def test_large_model_is_unlikely() -> None:
    a = assess_file_request([sized("a.whl", member("a/model.safetensors", 300, "model-weights"))],
                            LIMIT, STEADY)
    assert a.verdict == "unlikely" and a.tier == "large"
    assert [r.guideline for r in a.against] == [guidelines.LARGE_MODELS]


def test_bundled_runtime_is_unlikely() -> None:
    a = assess_file_request([sized("a.whl", member("a/jre/lib/modules", 120, "embedded-runtime",
                                                   detail="a Java runtime"))], LIMIT, STEADY)
    assert a.verdict == "unlikely"
    assert a.against[0].guideline == guidelines.BUNDLED_RUNTIME
    assert "a Java runtime is bundled" in a.against[0].evidence


def test_cheap_fixes_that_would_suffice_make_a_request_unlikely() -> None:
    a = assess_file_request([sized("a.whl", member("a/_core.so", 95, "native-library"),
                                   member("a/tests/data.bin", 15, "tests"))], LIMIT, STEADY)
    assert a.verdict == "unlikely"
    (reason,) = a.against
    assert reason.guideline == guidelines.NO_EFFORT and reason.strong
    assert "within the current 100 MiB limit" in reason.evidence


def test_debug_information_left_counts_against_but_not_decisively() -> None:
    a = assess_file_request([sized("a.whl", member("a/_core.so", 150, "native-library",
                                                   debug_mib=20))], LIMIT, STEADY)
    assert a.verdict == "possible"
    assert [r.guideline for r in a.against] == [guidelines.NO_EFFORT]
    assert "debug information and symbols 20 MiB" in a.against[0].evidence


def test_large_compiled_binaries_are_possible() -> None:
    a = assess_file_request([sized("a.whl", member("a/libcuda_kernels.so", 400,
                                                   "native-library"))], LIMIT, STEADY)
    assert (a.verdict, a.tier, a.requested_limit) == ("possible", "large", 500 * MiB)
    assert a.favourable[0].guideline == guidelines.COMPILED_BINARIES
    assert any("GPU targets" in u for u in a.unknown)


def test_large_data_without_a_reason_is_unlikely() -> None:
    a = assess_file_request([sized("a.whl", member("a/data/table.dat", 400, "other"))], LIMIT,
                            STEADY)
    assert a.verdict == "unlikely" and "neither was found" in a.summary


def test_frequent_and_dev_releases_count_against() -> None:
    frequent = Cadence(True, releases=40, last_year=40, last_quarter=30,
                       dev_last_quarter=25, first=NOW, latest=NOW)
    a = assess_file_request([sized("a.whl", member("a/model.pt", 70, "model-weights"),
                                   member("a/x.so", 60, "native-library"),
                                   version="2.0.dev3")], LIMIT, frequent)
    assert a.verdict == "unlikely"
    assert [r.guideline for r in a.against] == [guidelines.FREQUENT, guidelines.FREQUENT]
    assert "25 of them development releases" in a.against[0].evidence


def test_a_file_over_one_gib_cannot_be_granted() -> None:
    a = assess_file_request([Sized("a.whl", GiB + 1)], LIMIT, STEADY)
    assert a.verdict == "impossible" and a.requested_limit is None
    assert "never grants" in a.summary and "Split" in a.summary
    with pytest.raises(ValueError, match="no per-file limit"):
        draft_request(a, DraftContext("a", None, None, None, (), NOW))


def test_a_larger_file_on_the_index_proves_a_grant() -> None:
    proven = IndexFile("a-0.9.whl", "0.9", 180 * MiB)
    a = assess_file_request([Sized("a.whl", 150 * MiB)], LIMIT, STEADY, proven=proven)
    assert a.verdict == "not-needed" and "--upload-limit '180 MiB'" in a.summary
    bigger = assess_file_request([Sized("a.whl", 190 * MiB)], LIMIT, STEADY, proven=proven)
    assert bigger.verdict != "not-needed"


def test_an_unreadable_file_is_an_unknown_not_a_guess() -> None:
    a = assess_file_request([Sized("a.whl", 150 * MiB)], LIMIT, Cadence(False))
    assert a.verdict == "possible"
    assert any("could not be read" in u for u in a.unknown)
    assert any("cadence unknown" in u for u in a.unknown)


# -- the project-size assessment ----------------------------------------------------------------


def _project(total: int, releases: int = 3) -> ProjectState:
    files = tuple(IndexFile(f"p-1.{i}.tar.gz", f"1.{i}", total // releases,
                            upload_time=NOW - timedelta(days=100 * i)) for i in range(releases))
    return ProjectState("p", True, display_name="P", files=files, releases={
        f.version or "": Release(f.version or "", (f,), f.upload_time) for f in files})


def test_project_request_needed_and_likely() -> None:
    state = _project(10 * GiB)
    a = assess_project_request([Sized("p-2.0.tar.gz", 200 * MiB)], state, 10 * GiB,
                               release_cadence(state, NOW))
    assert a.verdict == "likely" and a.requested_limit == 15 * GiB
    assert a.subject == "P" and a.subject_size == (state.total_size or 0) + 200 * MiB


def test_project_request_not_needed_or_unknown() -> None:
    small = _project(GiB)
    a = assess_project_request([Sized("p-2.0.tar.gz", MiB)], small, 10 * GiB, STEADY)
    assert a.verdict == "not-needed"
    offline = assess_project_request([Sized("p-2.0.tar.gz", MiB)], None, 10 * GiB,
                                     Cadence(False))
    assert offline.verdict == "unknown" and offline.needed


def test_many_old_releases_count_against_a_project_request() -> None:
    state = _project(10 * GiB, releases=12)
    a = assess_project_request([Sized("p-2.0.tar.gz", MiB)], state, 10 * GiB,
                               release_cadence(state, NOW))
    assert a.verdict == "possible"
    assert "delete files of old releases" in a.against[0].evidence


# -- the draft ------------------------------------------------------------------------------------


def test_placeholders_are_one_greppable_form_and_listed_at_the_end() -> None:
    a = assess_file_request([sized("a.whl", member("a/model.pt", 70, "model-weights"),
                                   member("a/tests/x.dat", 30, "tests"),
                                   member("a/[odd].so", 30, "native-library"))], LIMIT, STEADY)
    draft = draft_request(a, DraftContext("A", "https://index.test/project/a/", "PyPI", True,
                                          (a_file := sized("a.whl"),), NOW))
    del a_file
    body, _, checklist = draft.partition("\nBefore filing")
    found = placeholders(body)
    assert found and all(p.startswith("[FILL IN: ") and p.endswith("]") for p in found)
    for p in found:
        assert f"- [ ] {p}" in checklist
    assert "[FILL IN" not in checklist.replace("- [ ] [FILL IN", "")
    assert draft.count("[FILL IN:") == 2 * len(found)


def test_the_index_url_comes_from_the_settings(tmp_path: Path) -> None:
    warehouse = Settings(index_url="https://index.test/simple/",
                         json_api_url="https://index.test/pypi/")
    assert project_url(warehouse, "bigproj") == "https://index.test/project/bigproj/"
    simple = Settings(index_url="http://127.0.0.1:8080/simple/")
    assert project_url(simple, "bigproj") == "http://127.0.0.1:8080/simple/bigproj/"
    assert index_label(Settings(upload_url="https://upload.index.test/legacy/")) == "PyPI"
    assert index_label(Settings(repository="testpypi")) == "TestPyPI"
    assert index_label(simple) is None


def test_no_index_host_is_written_in_the_code() -> None:
    for module in (limit_request, guidelines, size_breakdown, size_report):
        source = Path(module.__file__ or "").read_text(encoding="utf-8")
        assert "pypi.org" not in source and "pythonhosted" not in source


# -- golden drafts from real files ---------------------------------------------------------


@pytest.fixture(scope="module")
def big_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 140 MiB wheel: model weights, native library data, duplicates, tests (stored)."""
    directory = tmp_path_factory.mktemp("dist")
    make_wheel(directory, "bigproj", "2.0.0", compression=zipfile.ZIP_STORED,
               tag="cp312-cp312-manylinux_2_17_x86_64", files={
                   "bigproj/__init__.py": b"",
                   "bigproj/models/encoder.onnx": b"\0" * (60 * MiB),
                   "bigproj/_native.cpython-312-x86_64-linux-gnu.so": b"\1" * (50 * MiB),
                   "bigproj/data/vocab.dat": b"\2" * (10 * MiB),
                   "bigproj/data/vocab-copy.dat": b"\2" * (10 * MiB),
                   "bigproj/tests/data/sample.dat": b"\3" * (10 * MiB),
               })
    return directory


def _settings(tmp_path: Path, paths: list[str], **options: object) -> Settings:
    cli: dict[str, object] = {"paths": paths, "index_url": "https://index.test/simple/",
                              "json_api_url": "https://index.test/pypi/", **options}
    return load_settings(cli, cwd=tmp_path)


def test_golden_file_request_offline(tmp_path: Path, big_dist: Path) -> None:
    result = build_limit_request(_settings(tmp_path, [str(big_dist)], offline=True), now=NOW)
    assert list(result.drafts) == ["file"]
    draft = result.drafts["file"]
    assert draft.startswith("<!--\nDrafted by preupload-guard on 2026-03-01")
    assert "# File Limit Request: bigproj - 200 MB" in draft
    assert "**Project URL:** https://index.test/project/bigproj/" in draft
    assert_golden("limit-request-file-offline.md", draft)


def test_golden_file_request_with_the_index(tmp_path: Path, big_dist: Path,
                                            guard_index) -> None:  # type: ignore[no-untyped-def]
    old = [FixtureFile(f"bigproj-1.{i}.0-cp312-cp312-manylinux_2_17_x86_64.whl",
                       size=90 * MiB, upload_time=NOW - timedelta(days=60 * i + 30))
           for i in range(6)]
    index = guard_index(projects=[FixtureProject("BigProj", files=old)])
    settings = _settings(tmp_path, [str(big_dist)], index_url=index.simple_url,
                         json_api_url=index.json_api_url, timeout=5)
    result = build_limit_request(settings, now=NOW)
    assert result.index_errors == []
    assert result.project.cadence.releases == 6
    draft = result.drafts["file"].replace(index.url, "http://index.test/")
    assert "**Does this project already exist?** Yes" in draft
    assert "Release cadence: 6 release(s) on the index since 2025-04-05" in draft
    assert "[FILL IN: how often you release]" not in draft
    assert_golden("limit-request-file-online.md", draft)


def test_golden_project_request(tmp_path: Path, guard_index) -> None:  # type: ignore[no-untyped-def]
    old = [FixtureFile(f"tinyproj-0.{i}.0.tar.gz", size=2 * GiB,
                       upload_time=NOW - timedelta(days=90 * i + 20)) for i in range(5)]
    index = guard_index(projects=[FixtureProject("tinyproj", files=old)])
    wheel = make_wheel(tmp_path, "tinyproj", "1.0.0")
    settings = _settings(tmp_path, [str(wheel)], index_url=index.simple_url,
                         json_api_url=index.json_api_url, timeout=5)
    result = build_limit_request(settings, now=NOW)
    assert [a.request for a in result.assessments] == ["file", "project"]
    assert result.assessments[0].verdict == "not-needed"
    assert list(result.drafts) == ["project"]
    draft = result.drafts["project"].replace(index.url, "http://index.test/")
    assert "# Project Limit Request: tinyproj - 15 GB" in draft
    assert "## How frequently do you make a release?" in draft
    assert_golden("limit-request-project.md", draft)


def test_a_golden_test_fails_on_a_changed_draft(tmp_path: Path, big_dist: Path) -> None:
    if REGENERATE:
        pytest.skip("regenerating")
    result = build_limit_request(_settings(tmp_path, [str(big_dist)], offline=True), now=NOW)
    with pytest.raises(AssertionError, match="differs"):
        assert_golden("limit-request-file-offline.md",
                      result.drafts["file"].replace("200 MB", "250 MB"))


# -- the command ---------------------------------------------------------------------------


def test_limit_request_prints_the_draft_and_the_assessment_apart(
        big_dist: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    target = tmp_path / "request.md"
    code = main(["limit-request", "--offline", "--index-url", "https://index.test/simple/",
                 "--output", str(target), str(big_dist)])
    out, err = capsys.readouterr()
    assert code == 0
    assert out.startswith("<!--") and "guideline check" not in out
    assert "guideline check (per-file request):" in err and "nothing was filed" in err
    assert target.read_text(encoding="utf-8") == out
    assert "Project Limit Request" not in out  # the project total is unknown offline


def test_limit_request_json(big_dist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["limit-request", "--offline", "--index-url", "https://index.test/simple/",
                 "--format", "json", str(big_dist)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["command"] == "limit-request" and out["project"]["name"] == "bigproj"
    (file_request, project_request) = out["requests"]
    assert file_request["request"] == "file" and file_request["verdict"] in (
        "likely", "possible", "unlikely")
    assert file_request["requested_limit"] == 200 * MiB
    assert file_request["draft"].startswith("<!--")
    assert project_request["verdict"] == "unknown" and project_request["draft"] is None


def test_limit_request_for_a_project_offline_keeps_the_total_a_placeholder(
        big_dist: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["limit-request", "--offline", "--index-url", "https://index.test/simple/",
                 "--kind", "project", str(big_dist)]) == 0
    out = capsys.readouterr().out
    assert "# Project Limit Request: bigproj - [FILL IN: new limit in GB]" in out


def test_limit_request_over_one_gib_drafts_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = sized_file(tmp_path / "huge-1.0-py3-none-any.whl", GiB + 1)
    assert main(["limit-request", "--offline", "--index-url", "https://index.test/simple/",
                 str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == ""
    assert "impossible" in err and "never grants" in err and "No request drafted" in err


def test_limit_request_refuses_several_projects(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = make_wheel(tmp_path, "one")
    b = make_wheel(tmp_path, "two")
    assert main(["limit-request", "--offline", "--index-url", "https://index.test/simple/",
                 str(a), str(b)]) == 2
    assert "run it once per project" in capsys.readouterr().err
