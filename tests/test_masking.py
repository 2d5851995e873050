"""PyPI stops at the first refusal: later findings say what would hide them."""

from __future__ import annotations

from pathlib import Path

from preupload_guard.model.findings import Severity
from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel, metadata_text

from checking import finding, rules, run


def test_metadata_error_masks_the_platform_tag(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, tag="cp312-cp312-linux_x86_64",
                       metadata=metadata_text(extra_headers=[("Classifier", "Private :: Mine")]))
    report = run([wheel])
    assert finding(report, "invalid-classifier").masked_by is None
    tag = finding(report, "unsupported-platform-tag")
    assert tag.masked_by == "invalid-classifier"
    assert tag.severity is Severity.ERROR  # it still bites once the first one is fixed
    # The earliest refusal is listed first.
    assert rules(report).index("invalid-classifier") < rules(report).index(
        "unsupported-platform-tag")


def test_identical_upload_stops_before_later_checks(tmp_path: Path, guard_index) -> None:
    # A published wheel with a tag PyPI refuses today: re-uploading it is still a no-op.
    wheel = make_wheel(tmp_path, tag="cp312-cp312-linux_x86_64")
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile(wheel.name, content=wheel.read_bytes())])])
    report = run([wheel], index)
    tag = finding(report, "unsupported-platform-tag")
    assert tag.masked_by == "identical-file"
    assert tag.severity is Severity.INFO
    assert report.ok


def test_masked_findings_in_json(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, tag="cp312-cp312-linux_x86_64",
                       metadata=metadata_text(version="1.0.0+local"))
    data = run([wheel]).to_dict()
    tag = next(f for f in data["findings"] if f["rule"] == "unsupported-platform-tag")
    assert tag["masked_by"] == "local-version"
    local = next(f for f in data["findings"] if f["rule"] == "local-version")
    assert "masked_by" not in local
