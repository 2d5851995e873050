"""The installed command, run in a subprocess: JSON report, exit codes, config, failures."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from preupload_guard.testing import (
    FixtureFile,
    FixtureProject,
    make_sdist,
    make_wheel,
    metadata_text,
)

COMMAND = (
    shutil.which("preupload-guard", path=str(Path(sys.executable).parent)) or "preupload-guard"
)


def cli(*args: str, cwd: Path, env: dict[str, str] | None = None,
        timeout: float = 60) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "PYTHONWARNINGS": "ignore", **(env or {})}
    full_env.pop("TWINE_REPOSITORY", None)
    full_env.pop("TWINE_REPOSITORY_URL", None)
    return subprocess.run([COMMAND, *args], cwd=cwd, env=full_env, capture_output=True,
                          text=True, timeout=timeout)


def report_of(result: subprocess.CompletedProcess[str]) -> dict:  # type: ignore[type-arg]
    assert result.stderr.count("Traceback") == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    directory = tmp_path / "dist"
    directory.mkdir()
    make_wheel(directory)
    make_sdist(directory)
    return directory


def test_json_report_schema_and_exit_zero(tmp_path: Path, dist: Path, guard_index) -> None:
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz", upload_time=datetime.now(timezone.utc))])])
    result = cli("check", "dist", "--format", "json", "--index-url", index.simple_url,
                 "--json-api-url", index.json_api_url, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = report_of(result)
    assert report["schema"] == 1
    assert report["ok"] is True
    assert {f["filename"] for f in report["files"]} == {
        "tinyproj-1.0.0-py3-none-any.whl", "tinyproj-1.0.0.tar.gz"}
    for entry in report["files"]:
        assert set(entry) >= {"filename", "path", "size", "sha256", "blake2_256", "project",
                              "version"}
        assert len(entry["sha256"]) == 64
        assert entry["blake2_256"] is None
    assert report["findings"] == []
    assert report["skipped"] == []
    # wheels are listed before sdists, as twine uploads them
    assert report["files"][0]["filename"].endswith(".whl")


def test_error_finding_exits_one(tmp_path: Path, dist: Path, guard_index) -> None:
    wheel = dist / "tinyproj-1.0.0-py3-none-any.whl"
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile(wheel.name, content=b"different")])])
    result = cli("check", str(dist), "--format", "json", "--index-url", index.simple_url,
                 cwd=tmp_path)
    assert result.returncode == 1
    report = report_of(result)
    assert report["ok"] is False
    finding = next(f for f in report["findings"] if f["rule"] == "file-exists")
    assert set(finding) >= {"rule", "severity", "file", "message", "hint"}
    assert finding["severity"] == "error"
    assert finding["file"] == wheel.name


def test_text_report_is_readable(tmp_path: Path, dist: Path, guard_index) -> None:
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.0-py3-none-any.whl", content=b"different")])])
    result = cli("check", "dist/*", "--index-url", index.simple_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "file-exists" in result.stdout
    assert "fix:" in result.stdout
    assert "would refuse 1 of 2 file(s)" in result.stdout


def test_output_file_and_offline_skips(tmp_path: Path, dist: Path) -> None:
    out = tmp_path / "reports" / "guard.json"
    result = cli("check", "dist", "--offline", "--format", "json", "--output", str(out),
                 cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text()) == json.loads(result.stdout)
    skipped = {s["rule"] for s in json.loads(result.stdout)["skipped"]}
    assert {"file-exists", "project-too-large", "similar-project-name"} <= skipped
    assert "index-unreachable" not in skipped


def test_globs_are_expanded_by_the_tool_and_signatures_skipped(tmp_path: Path, dist: Path) -> None:
    (dist / "tinyproj-1.0.0-py3-none-any.whl.asc").write_text("sig")
    (dist / "tinyproj-1.0.0-py3-none-any.whl.publish.attestation").write_text("{}")
    # The attestation is not checked as a distribution file; its content is judged by the
    # attestation rules (an empty object would be refused), which this test leaves out.
    result = cli("check", "dist/*", "--offline", "--format", "json",
                 "--ignore", "attestations", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    names = [f["filename"] for f in json.loads(result.stdout)["files"]]
    assert names == ["tinyproj-1.0.0-py3-none-any.whl", "tinyproj-1.0.0.tar.gz"]


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("check", "nothing/*.whl", "--offline", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot find file" in result.stderr
    assert "Traceback" not in result.stderr


def test_pyproject_config_and_cli_precedence(tmp_path: Path, guard_index) -> None:
    (tmp_path / "dist").mkdir()
    make_wheel(tmp_path / "dist", padding=95 * 1024 * 1024)  # near the 100 MiB limit
    (tmp_path / "pyproject.toml").write_text(
        '[tool.preupload-guard]\noffline = true\nformat = "json"\n'
        'ignore = ["size-near-limit"]\n'
    )
    result = cli("check", "dist", cwd=tmp_path)
    assert result.returncode == 0
    assert report_of(result)["findings"] == []
    # The command line wins: selecting the rule again brings it back, as an error.
    result = cli("check", "dist", "--ignore", "new-project", "--severity",
                 "size-near-limit=error", cwd=tmp_path)
    assert result.returncode == 1
    assert [f["rule"] for f in report_of(result)["findings"]] == ["size-near-limit"]


def test_severity_table_in_pyproject(tmp_path: Path, dist: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.preupload-guard]\noffline = true\n[tool.preupload-guard.severity]\n'
        'size = "info"\n'
    )
    make_wheel(dist, "big", "1.0", padding=101 * 1024 * 1024)
    result = cli("check", "dist", "--format", "json", cwd=tmp_path)
    assert result.returncode == 0
    assert [f["severity"] for f in report_of(result)["findings"]] == ["info"]


def test_select_by_family(tmp_path: Path, dist: Path, guard_index) -> None:
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.0-py3-none-any.whl", content=b"different",
                    upload_time=datetime.now(timezone.utc) - timedelta(days=30))])])
    result = cli("check", "dist", "--format", "json", "--index-url", index.simple_url,
                 "--json-api-url", index.json_api_url, "--select", "size,names", cwd=tmp_path)
    assert result.returncode == 0
    assert report_of(result)["findings"] == []


def test_unknown_rule_and_bad_config_exit_two(tmp_path: Path, dist: Path) -> None:
    result = cli("check", "dist", "--offline", "--ignore", "no-such-rule", cwd=tmp_path)
    assert result.returncode == 2
    assert "no-such-rule" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[tool.preupload-guard]\nupload-limt = 1\n")
    result = cli("check", "dist", "--offline", cwd=tmp_path)
    assert result.returncode == 2
    assert "upload-limt" in result.stderr
    (tmp_path / "pyproject.toml").write_text("not = [valid toml\n")
    result = cli("check", "dist", "--offline", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_corrupt_archive_never_tracebacks(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "tinyproj-1.0.0-py3-none-any.whl").write_bytes(b"PK\x03\x04garbage")
    (tmp_path / "dist" / "tinyproj-1.0.0.tar.gz").write_bytes(b"\x1f\x8b\x08garbage")
    result = cli("check", "dist", "--offline", "--format", "json", cwd=tmp_path)
    assert result.returncode in (0, 1)
    assert "Traceback" not in result.stderr
    report_of(result)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("failure", ["unreachable", "500", "malformed", "slow"])
def test_index_failures_are_errors_never_passes(
    tmp_path: Path, dist: Path, guard_index, failure: str
) -> None:
    if failure == "unreachable":
        url = f"http://127.0.0.1:{_closed_port()}/simple/"
    else:
        index = guard_index(projects=[FixtureProject("tinyproj")], fail={"*": failure},
                              slow_seconds=3.0)
        url = index.simple_url
    result = cli("check", "dist", "--format", "json", "--index-url", url, "--timeout", "0.5",
                 cwd=tmp_path, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    report = report_of(result)
    assert report["ok"] is False
    assert "index-unreachable" in [f["rule"] for f in report["findings"]]
    skipped = {s["rule"] for s in report["skipped"]}
    assert {"file-exists", "release-closed", "project-too-large"} <= skipped


def test_rules_and_plugins_commands(tmp_path: Path) -> None:
    listing = cli("rules", cwd=tmp_path)
    assert listing.returncode == 0
    for rule in ("file-too-large", "identical-file", "similar-project-name", "index-unreachable"):
        assert rule in listing.stdout
    one = cli("rules", "release-closed", cwd=tmp_path)
    assert one.returncode == 0
    assert "14 days" in one.stdout and "How to fix" in one.stdout
    assert cli("rules", "nope", cwd=tmp_path).returncode == 2
    plugins = cli("plugins", cwd=tmp_path)
    assert plugins.returncode == 0
    assert "builtin:size" in plugins.stdout and "file-too-large" in plugins.stdout


def test_python_dash_m(tmp_path: Path, dist: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "preupload_guard", "check", str(dist),
                             "--offline", "--format", "json"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True


def test_invalid_name_reported_through_the_cli(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    make_wheel(tmp_path / "dist", metadata=metadata_text("-bad", "1.0.0"))
    result = cli("check", "dist", "--offline", "--format", "json", cwd=tmp_path)
    assert result.returncode == 1
    assert "invalid-project-name" in [f["rule"] for f in report_of(result)["findings"]]


def test_deselected_plugins_are_not_called(tmp_path: Path) -> None:
    # A README that would take long to render is never rendered when metadata is not selected.
    (tmp_path / "dist").mkdir()
    slow = "Title\n=====\n\n" + "* item with ``code`` and *emphasis*\n" * 40000
    make_wheel(tmp_path / "dist", metadata=metadata_text("tinyproj", "1.0.0", description=slow))
    env = {"PREUPLOAD_GUARD_RENDER_TIMEOUT": "0.01", "PREUPLOAD_GUARD_RENDER_INLINE_LIMIT": "0"}
    selected = cli("check", "dist", "--offline", "--format", "json", "--select", "size",
                   cwd=tmp_path, env=env)
    assert report_of(selected)["findings"] == []
    everything = cli("check", "dist", "--offline", "--format", "json", cwd=tmp_path, env=env)
    assert "description-render" in [f["rule"] for f in report_of(everything)["findings"]]


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_readme_examples(tmp_path: Path) -> None:
    good = cli("check", "--offline", "--format", "json", str(EXAMPLES / "dist"), cwd=tmp_path)
    assert good.returncode == 0
    assert report_of(good)["findings"] == []
    bad = cli("check", "--offline", "--format", "json", str(EXAMPLES / "broken-dist"),
              cwd=tmp_path)
    assert bad.returncode == 1
    found = {(f["file"], f["rule"]) for f in report_of(bad)["findings"]}
    assert found == {
        ("sample_greeter-0.1.0+local-py3-none-any.whl", "local-version"),
        ("sample_greeter-0.1.0-cp312-cp312-linux_x86_64.whl", "unsupported-platform-tag"),
        ("Sample-Greeter-0.1.0.tar.gz", "sdist-filename"),
    }
