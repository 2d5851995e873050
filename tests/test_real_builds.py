"""Artifacts made by current build backends, with `build`, give no error finding.

Built with ``--no-isolation`` from the backends the test extras install, so the test needs
no network; the result is what `python -m build` gives users of these backends.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from preupload_guard.model.findings import Severity

from checking import run

BACKENDS = {
    "hatchling": '''
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"
        ''',
    "setuptools": '''
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"
        ''',
}

PROJECT = '''
[project]
name = "Tiny.Built-Project"
version = "1.2.0"
description = "A tiny project built for real"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
license-files = ["LICENSE"]
authors = [{name = "A. Maintainer", email = "maintainer@example.com"}]
classifiers = ["Programming Language :: Python :: 3", "Operating System :: OS Independent"]
dependencies = ["packaging>=24"]

[project.urls]
Homepage = "https://example.com/tiny"

[project.scripts]
tiny-built = "tiny_built_project:main"
'''


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_build_backends_produce_acceptable_artifacts(tmp_path: Path, backend: str) -> None:
    pytest.importorskip(backend)
    src = tmp_path / "project"
    package = src / "src" / "tiny_built_project"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("def main() -> None:\n    print('hi')\n")
    (src / "README.md").write_text("# Tiny\n\nA *tiny* project with a [link](https://example.com).\n")
    (src / "LICENSE").write_text("MIT License\n\nCopyright (c) 2026\n")
    (src / "pyproject.toml").write_text(textwrap.dedent(BACKENDS[backend]) + PROJECT)
    out = tmp_path / "dist"
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    built = sorted(out.iterdir())
    assert sorted(p.suffix for p in built) == [".gz", ".whl"]
    report = run(built)
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert errors == [], errors
    assert [f.rule for f in report.findings] == []
