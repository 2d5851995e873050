"""`preupload-guard build`, `check --build-report`, and `twine guard`, run for real."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from projects import write_project
from test_cli import COMMAND, cli

WHEEL = "upload_demo-0.1.0-py3-none-any.whl"
SDIST = "upload_demo-0.1.0.tar.gz"


def test_build_checks_exactly_what_it_built(tmp_path: Path) -> None:
    src = write_project(tmp_path / "proj")
    (src / "dist").mkdir()
    stale = src / "dist" / "upload_demo-0.0.1-py3-none-any.whl"
    stale.write_bytes(b"not a wheel at all")  # would be invalid-archive if it were checked
    result = cli("build", str(src), "--no-isolation", "--offline", "--format", "json",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert sorted(f["filename"] for f in report["files"]) == [WHEEL, SDIST]
    assert report["findings"] == []
    assert sorted(p.name for p in (src / "dist").iterdir()) == sorted(
        [stale.name, WHEEL, SDIST])
    assert f"built {SDIST}, {WHEEL}" in result.stderr
    # No staging directory is left behind.
    assert not [p for p in (src / "dist").iterdir() if p.name.startswith(".")]


def test_build_reads_the_projects_own_table_and_outdir(tmp_path: Path) -> None:
    src = write_project(tmp_path / "proj", extra='[tool.preupload-guard]\nupload-limit = 1\n')
    result = cli("build", "proj", "-n", "--offline", "--outdir", "out", "--format", "json",
                 cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # 1 B is below the default
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [WHEEL, SDIST]
    assert not (src / "dist").exists()
    # A table that is broken stops the run with a usage error, after the build.
    (src / "pyproject.toml").write_text(
        (src / "pyproject.toml").read_text() + 'format = "xml"\n')
    broken = cli("build", "proj", "-n", "--offline", "--outdir", "out", cwd=tmp_path)
    assert broken.returncode == 2
    assert "unknown format" in broken.stderr


def test_build_failure_exits_three(tmp_path: Path) -> None:
    src = write_project(tmp_path / "proj")
    (src / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
        '[project]\nname = "x"\n')  # no version: hatchling refuses
    result = cli("build", str(src), "--no-isolation", "--offline", cwd=tmp_path)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "python -m build failed" in result.stderr
    assert "Traceback (most recent call last)" not in result.stderr.split("ERROR")[-1]
    missing = cli("build", str(tmp_path / "nowhere"), "--offline", cwd=tmp_path)
    assert missing.returncode == 2
    assert "source directory not found" in missing.stderr
    (tmp_path / "empty").mkdir()
    empty = cli("build", str(tmp_path / "empty"), "--offline", cwd=tmp_path)
    assert empty.returncode == 2
    assert "no pyproject.toml or setup.py" in empty.stderr


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `python -m build --report` run: the report and the files it lists.

    Run with relative paths, as in a CI job, so the report lists ``dist/NAME``.
    """
    root = tmp_path_factory.mktemp("report")
    write_project(root / "proj")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", "dist",
         "--report", "build-report.json", "proj"],
        capture_output=True, text=True, timeout=240, cwd=root,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_check_build_report(tmp_path: Path, reported: Path) -> None:
    work = tmp_path / "w"
    shutil.copytree(reported, work)
    result = cli("check", "--build-report", "build-report.json", "--offline", "--format",
                 "json", cwd=work)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(f["filename"] for f in json.loads(result.stdout)["files"]) == [WHEEL, SDIST]

    # Moved next to the report (e.g. downloaded in another CI job): found there.
    moved = tmp_path / "moved"
    moved.mkdir()
    for path in (work / "dist").iterdir():
        shutil.copy(path, moved / path.name)
    shutil.copy(work / "build-report.json", moved / "build-report.json")
    elsewhere = cli("check", "--build-report", str(moved / "build-report.json"), "--offline",
                    cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stdout + elsewhere.stderr

    # A file changed after the build: a usage error naming it.
    wheel = work / "dist" / WHEEL
    data = bytearray(wheel.read_bytes())
    data[-30] ^= 0xFF
    wheel.write_bytes(bytes(data))
    changed = cli("check", "--build-report", "build-report.json", "--offline", cwd=work)
    assert changed.returncode == 2
    assert f"{WHEEL}: sha256" in changed.stderr
    assert "changed after the build report" in changed.stderr


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the build report"),
    ("{", "invalid JSON"),
    ('{"version": "2.0", "artifacts": []}', "version 2.0 is not supported"),
    ('{"version": "1.0", "artifacts": []}', "lists no artifacts"),
    ('{"version": "1.0", "artifacts": [{"name": "../x.whl"}]}', "not a plain filename"),
    ('[1, 2]', "no 'artifacts' list"),
])
def test_bad_build_reports(tmp_path: Path, content: str | None, message: str) -> None:
    if content is not None:
        (tmp_path / "r.json").write_text(content)
    result = cli("check", "--build-report", "r.json", "--offline", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def twine(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    executable = shutil.which("twine", path=str(Path(COMMAND).parent)) or "twine"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    env.pop("TWINE_REPOSITORY", None)
    env.pop("TWINE_REPOSITORY_URL", None)
    return subprocess.run([executable, *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_twine_guard(tmp_path: Path, reported: Path) -> None:
    listed = twine("--help", cwd=tmp_path)
    assert "guard" in listed.stdout
    ok = twine("guard", str(reported / "dist"), "--offline", "--format", "json", cwd=tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert len(json.loads(ok.stdout)["files"]) == 2
    help_text = twine("guard", "--help", cwd=tmp_path)
    assert help_text.stdout.startswith("usage: twine guard")
    assert "--build-report" in help_text.stdout and "--upload-limit" in help_text.stdout

    (tmp_path / "bad.whl").write_bytes(b"garbage")
    bad = twine("guard", "bad.whl", "--offline", cwd=tmp_path)
    assert bad.returncode == 1
    assert "invalid" in bad.stdout
    usage = twine("guard", "missing.whl", "--offline", cwd=tmp_path)
    assert usage.returncode == 2
    assert "cannot find file" in usage.stderr
