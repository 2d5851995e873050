"""CI-native report formats: GitHub workflow commands, the Markdown job summary, SARIF.

Reports come from real checks of archives built by :mod:`preupload_guard.testing` wherever
the point is what users see; hand-made reports test the edges (annotation limits, escaping,
the 1 MiB summary cap, hostile filenames). SARIF is validated against the official 2.1.0 schema,
vendored in tests/data so that no test needs the internet.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import jsonschema
import pytest

from preupload_guard import Finding, Report, Rule, Severity
from preupload_guard.cli.output import output_format
from preupload_guard.model.findings import FileSummary
from preupload_guard.report.github import escape_data, escape_property, render_github
from preupload_guard.report.markdown import SUMMARY_LIMIT, render_markdown
from preupload_guard.report.sarif import render_sarif, sarif_log
from preupload_guard.testing import make_sdist, make_wheel, metadata_text

from checking import run
from test_cli import cli

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"
BAD_WHEEL = "tinyproj-1.0.0+local-cp311-cp311-linux_x86_64.whl"


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert "2.1.0" in schema["title"] and "2.1.0" in schema["id"]
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(schema)


def _dist(directory: Path) -> Path:
    """Errors (local version, linux_x86_64, twice the same rule), a warning and a note."""
    directory.mkdir(exist_ok=True)
    make_wheel(directory, version="1.0.0+local", tag="cp311-cp311-linux_x86_64")
    make_wheel(directory, "other", tag="cp311-cp311-linux_x86_64")
    make_wheel(directory, "warned", record=b"warned/__init__.py,,\n")
    make_wheel(directory, "noted",
               metadata=metadata_text("noted", extra_headers=[("License-File", "LICENSE")]))
    make_sdist(directory)
    return directory


@pytest.fixture
def real_report(tmp_path: Path) -> Report:
    return run([_dist(tmp_path / "dist")], severity={"missing-license-file": "info"})


def _rule(rule_id: str, family: str = "archives",
          severity: Severity = Severity.ERROR) -> Rule:
    return Rule(rule_id, family, severity, f"summary of {rule_id}", "explanation",
                f"fix for {rule_id}")


def _report(findings: list[Finding], files: list[FileSummary] | None = None,
            rules: Sequence[Rule] = ()) -> Report:
    known = {r.id: r for r in rules}
    for finding in findings:
        known.setdefault(finding.rule, _rule(finding.rule))
    return Report(files=files or [], findings=findings, rules=known,
                  upload_limit=100 * 1024 * 1024, project_limit=10 * 1024 ** 3)


def _many(count: int, severity: Severity, prefix: str) -> list[Finding]:
    return [Finding(f"{prefix}-rule", f"{prefix} number {i}", file=f"{prefix}-{i}.whl",
                    severity=severity) for i in range(count)]


# --- GitHub workflow commands -------------------------------------------------------------

def test_github_commands_from_real_checks(real_report: Report) -> None:
    out = render_github(real_report, project_file="pyproject.toml")
    lines = out.splitlines()
    commands = [line for line in lines if line.startswith("::")]
    kinds = [line.split(" ", 1)[0] for line in commands]
    assert kinds == sorted(kinds, key=["::error", "::warning", "::notice"].index)
    assert kinds.count("::error") == 3 and "::warning" in kinds and "::notice" in kinds

    local = next(c for c in commands if "title=local-version" in c)
    # metadata findings point at pyproject.toml; artifact findings carry no file=
    assert local.startswith("::error file=pyproject.toml,title=local-version::")
    assert BAD_WHEEL in local
    assert "%0AFix: Publish '1.0.0' instead" in local
    platform = [c for c in commands if "title=unsupported-platform-tag" in c]
    assert len(platform) == 2
    assert all(c.startswith("::error title=unsupported-platform-tag::") for c in platform)
    assert any("(PyPI would stop earlier, at local-version; fix that first)" in c
               for c in platform)
    assert any(c.startswith("::warning title=record-mismatch::warned-1.0.0") for c in commands)
    assert any(c.startswith("::notice title=missing-license-file::noted-1.0.0")
               for c in commands)
    assert "more errors" not in out
    assert lines[-1].startswith("preupload-guard: The index would refuse 2 of 5 file(s): "
                                "3 error(s), 1 warning(s), 1 note(s).")
    assert "rule(s) not checked" in lines[-1]


def test_github_without_project_file_has_no_file_property(real_report: Report) -> None:
    assert "file=" not in render_github(real_report)


def test_github_annotation_limits_leave_a_count_line() -> None:
    report = _report(_many(25, Severity.ERROR, "err") + _many(25, Severity.WARNING, "warn")
                     + _many(3, Severity.INFO, "info"))
    lines = render_github(report).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    warnings = [line for line in lines if line.startswith("::warning ")]
    notices = [line for line in lines if line.startswith("::notice ")]
    # 10 errors; 9 warnings + the count line, so that the count itself is never dropped
    assert len(errors) == 10 and len(warnings) == 10 and len(notices) == 3
    assert warnings[-1] == (
        "::warning title=preupload-guard::15 more errors and 16 more warnings are not shown "
        "as annotations; see the job summary or the JSON report")
    assert lines.index(warnings[-1]) == len(lines) - 2
    # the hidden ones are still in the log, one plain line each
    plain = [line for line in lines if re.match(r"(error|warning) (err|warn)-rule: ", line)]
    assert len(plain) == 31
    assert "err number 24" in "\n".join(plain) and "warn number 24" in "\n".join(plain)
    assert lines[-1].startswith("preupload-guard: The index would refuse 25 of ")


def test_github_notices_over_the_limit_are_counted_too() -> None:
    lines = render_github(_report(_many(12, Severity.INFO, "info"))).splitlines()
    assert sum(line.startswith("::notice ") for line in lines) == 10
    assert ("::warning title=preupload-guard::2 more notices are not shown as annotations; "
            "see the job summary or the JSON report") in lines


def test_github_escaping_of_data_and_properties() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    finding = Finding("acme/odd:rule,x", "100% broken\n::error::forged, really: yes",
                      file="f.whl", hint="see a:b", severity=Severity.ERROR)
    report = _report([finding], rules=[_rule("acme/odd:rule,x", family="metadata")])
    out = render_github(report, project_file="sub dir,x:y/pyproject.toml")
    first = out.splitlines()[0]
    assert first == (
        "::error file=sub dir%2Cx%3Ay/pyproject.toml,title=acme/odd%3Arule%2Cx::"
        "f.whl: 100%25 broken%0A::error::forged, really: yes%0AFix: see a:b")
    # the forged command stays inside the first line
    assert sum(line.startswith("::error") for line in out.splitlines()) == 1


# --- Markdown job summary -----------------------------------------------------------------

def test_markdown_summary_from_real_checks(real_report: Report) -> None:
    md = render_markdown(real_report)
    assert md.startswith("## ❌ preupload-guard: the upload would be refused\n")
    assert "| File | Size | Project | Version | sha256 | blake2b-256 |" in md
    wheel = BAD_WHEEL.replace("_", "\\_")
    row = next(line for line in md.splitlines() if line.startswith(f"| {wheel} |"))
    summary = next(f for f in real_report.files if f.filename == BAD_WHEEL)
    assert "(&lt;0.1% of 100 MiB)" in row
    assert f"`{summary.sha256[:12]}…`" in row and "| tinyproj | 1.0.0+local |" in row
    # grouped by rule: summary and fix once, one line per file, masked findings marked
    heading = ("#### ❌ `unsupported-platform-tag` — A wheel's platform tag is not one PyPI "
               "accepts")
    assert md.count(heading) == 1
    group = md.split(heading, 1)[1].split("\n#### ", 1)[0]
    assert "2 finding(s) · 2 file(s)" in group
    assert group.count("\n- ") == 2
    assert group.count("**Fix:**") == 1
    assert "*(masked: PyPI would stop earlier, at `local-version`; fix that first)*" in group
    assert "#### \N{WARNING SIGN}\uFE0F `record-mismatch`" in md
    assert "`missing-license-file`" in md
    assert md.index("`local-version`") < md.index("`record-mismatch`")
    info_heading = "#### \N{INFORMATION SOURCE}\uFE0F `missing-license-file`"
    assert md.index("`record-mismatch`") < md.index(info_heading)
    # rules that did not run are listed with the reason
    assert "### Not checked" in md
    assert "`file-exists`" in md and "\\-\\-offline" not in md and "--offline" in md
    assert "Truncated" not in md


def test_markdown_escapes_hostile_filenames() -> None:
    hostile = "evil|<img src=x onerror=alert(1)>`code`\n| forged | row |*x*[l](u).whl"
    files = [FileSummary(hostile, "/x/" + hostile, 10, "a" * 64, None, "p<b>", "1|2")]
    finding = Finding("some-rule", f"{hostile}: <script>alert(1)</script> & more",
                      file=hostile, hint="<b>hint</b>", severity=Severity.ERROR)
    md = render_markdown(_report([finding], files))
    assert "<img" not in md and "<script" not in md and "<b>" not in md
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in md
    assert "\\`code\\`" in md and "\\*x\\*\\[l\\]\\(u\\)" in md
    assert "&amp; more" in md
    table = [line for line in md.splitlines() if line.startswith("|")]
    assert len(table) == 3  # header, rule, one file: the newline did not add a row
    unescaped_pipes = [len(re.findall(r"(?<!\\)\|", line)) for line in table]
    assert unescaped_pipes == [7, 7, 7]


def test_markdown_summary_stays_under_the_job_summary_limit() -> None:
    findings = [Finding(f"rule-{i % 7}", f"file-{i}.whl: " + "x" * 400, file=f"file-{i}.whl",
                        hint="h" * 100, severity=Severity.ERROR) for i in range(4000)]
    md = render_markdown(_report(findings))
    size = len(md.encode("utf-8"))
    assert size <= SUMMARY_LIMIT < 1024 * 1024
    assert size > SUMMARY_LIMIT * 0.9  # the room is used, not thrown away
    match = re.search(r"\*\*Truncated:\*\* (\d+) of 4000 finding details were left out", md)
    assert match and 0 < int(match.group(1)) < 4000
    assert md.rstrip().endswith("lists every finding.")
    # every rule keeps its heading, its fix and examples even when details were cut
    groups = md.split("\n#### ")[1:]
    assert len(groups) == 7
    for i, group in enumerate(groups):
        assert f"`rule-{i}`" in group and f"fix for rule-{i}" in group
        assert group.count("\n- file-") > 10
        assert "more (not shown)*" in group


def test_markdown_small_limit_and_clean_report() -> None:
    ok = render_markdown(_report([], [FileSummary("a-1.0-py3-none-any.whl", "a", 95 * 1024 ** 2,
                                                  "b" * 64, "c" * 64, "a", "1.0")]))
    assert ok.startswith("## ✅ preupload-guard: no refusal predicted")
    assert "**95.0%**" in ok and "`cccccccccccc…`" in ok
    assert "### Findings" not in ok


# --- SARIF --------------------------------------------------------------------------------

def test_sarif_from_real_checks_is_valid(real_report: Report,
                                         sarif_validator: jsonschema.Draft4Validator) -> None:
    log = json.loads(render_sarif(real_report))
    sarif_validator.validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run_ = log["runs"][0]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "preupload-guard" and driver["version"]
    assert driver["informationUri"].startswith("https://")
    assert run_["invocations"] == [{"executionSuccessful": True}]
    rule_ids = [r["id"] for r in driver["rules"]]
    assert len(rule_ids) == len(set(rule_ids))
    assert set(rule_ids) == {f.rule for f in real_report.findings}
    by_id = {r["id"]: r for r in driver["rules"]}
    platform = by_id["unsupported-platform-tag"]
    assert platform["name"] == "UnsupportedPlatformTag"
    assert platform["shortDescription"]["text"] == \
        real_report.rules["unsupported-platform-tag"].summary
    assert platform["help"]["text"] == real_report.rules["unsupported-platform-tag"].fix
    assert platform["defaultConfiguration"]["level"] == "error"
    assert by_id["record-mismatch"]["defaultConfiguration"]["level"] == "warning"
    for result in run_["results"]:
        assert rule_ids[result["ruleIndex"]] == result["ruleId"]
    levels = {r["ruleId"]: r["level"] for r in run_["results"]}
    assert levels["missing-license-file"] == "note" and levels["record-mismatch"] == "warning"
    uris = {(r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
            for r in run_["results"]}
    assert ("local-version", "pyproject.toml") in uris
    assert ("unsupported-platform-tag", BAD_WHEEL) in uris
    local = next(r for r in run_["results"] if r["ruleId"] == "local-version")
    assert "\nFix: Publish '1.0.0' instead" in local["message"]["text"]


def test_sarif_locations_for_batch_findings_and_odd_names(
        sarif_validator: jsonschema.Draft4Validator) -> None:
    findings = [Finding("index-unreachable", "no index", severity=Severity.ERROR),
                Finding("odd", "odd name", file="a b#c%.whl", severity=Severity.WARNING)]
    log = sarif_log(_report(findings))
    sarif_validator.validate(log)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in log["runs"][0]["results"]]
    assert uris == ["pyproject.toml", "a%20b%23c%25.whl"]
    assert sarif_log(_report([]))["runs"][0]["results"] == []


def test_report_limits_stay_out_of_the_json_report(real_report: Report) -> None:
    assert real_report.upload_limit == 100 * 1024 * 1024
    assert real_report.project_limit == 10 * 1024 ** 3
    assert "upload_limit" not in real_report.to_dict()


# --- The installed command ----------------------------------------------------------------

@pytest.mark.parametrize(("name", "fmt"), [
    ("report.json", "json"), ("r.SARIF", "sarif"), ("r.sarif.json", "sarif"),
    ("summary.md", "markdown"), ("report.txt", "github"), ("report", "github"),
])
def test_output_format_follows_the_suffix(name: str, fmt: str) -> None:
    assert output_format(Path("out") / name, "github") == fmt


def test_github_format_appends_the_job_summary_and_writes_json(tmp_path: Path) -> None:
    _dist(tmp_path / "dist")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'tinyproj'\n")
    summary = tmp_path / "summary.md"
    summary.write_text("previous step's summary")  # no final newline
    out = tmp_path / "reports" / "report.json"
    result = cli("check", "dist", "--offline", "--format", "github", "--output", str(out),
                 cwd=tmp_path, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("::error ")
    assert "::error file=pyproject.toml,title=local-version::" in result.stdout
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("previous step's summary\n## ❌ preupload-guard:")
    assert "`unsupported-platform-tag`" in text
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["schema"] == 1 and report["ok"] is False

    again = cli("check", "dist", "--offline", "--format", "github", cwd=tmp_path,
                env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert again.returncode == 1
    twice = summary.read_text(encoding="utf-8")
    assert twice.startswith(text) and twice.count("## ❌ preupload-guard:") == 2


def test_unwritable_job_summary_is_a_warning(tmp_path: Path) -> None:
    _dist(tmp_path / "dist")
    result = cli("check", "dist", "--offline", "--format", "github", cwd=tmp_path,
                 env={"GITHUB_STEP_SUMMARY": str(tmp_path)})  # a directory
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "warning: cannot append the job summary" in result.stderr
    assert result.stdout.count("::error ") == 4  # missing-license-file is an error here


def test_markdown_format_does_not_touch_the_job_summary(tmp_path: Path) -> None:
    _dist(tmp_path / "dist")
    summary = tmp_path / "summary.md"
    result = cli("check", "dist", "--offline", "--format", "markdown", cwd=tmp_path,
                 env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert result.returncode == 1
    assert result.stdout.startswith("## ❌ preupload-guard:")
    assert not summary.exists()


def test_sarif_through_the_installed_command(
        tmp_path: Path, sarif_validator: jsonschema.Draft4Validator) -> None:
    _dist(tmp_path / "dist")
    sarif_file = tmp_path / "guard.sarif"
    result = cli("check", "dist", "--offline", "--format", "sarif", "--output", str(sarif_file),
                 "--severity", "missing-license-file=info", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    log = json.loads(result.stdout)
    sarif_validator.validate(log)
    assert json.loads(sarif_file.read_text(encoding="utf-8")) == log
    assert {r["ruleId"] for r in log["runs"][0]["results"]} >= {
        "local-version", "unsupported-platform-tag", "record-mismatch"}
