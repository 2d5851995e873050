"""A wheel built for real by a build backend draws no finding from this plugin."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PYPROJECT = """
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "Tiny.Real-Proj"
version = "0.3.post1"
description = "A tiny project built for real"
readme = "README.md"
license = "MIT"
license-files = ["LICENSE"]
requires-python = ">=3.10"
dependencies = ["packaging>=24"]

[project.scripts]
tiny-real = "tiny_real_proj.cli:main"

[project.entry-points."preupload_guard"]
tiny = "tiny_real_proj.plugin"

[tool.hatch.build.targets.wheel]
packages = ["src/tiny_real_proj"]
"""


def test_a_hatchling_wheel_is_clean(tmp_path: Path, inspect_wheel) -> None:
    project = tmp_path / "proj"
    package = project / "src" / "tiny_real_proj"
    package.mkdir(parents=True)
    (project / "pyproject.toml").write_text(textwrap.dedent(PYPROJECT))
    (project / "README.md").write_text("# Tiny\n\nBuilt for real.\n")
    (project / "LICENSE").write_text("MIT License\n")
    (package / "__init__.py").write_text("__version__ = '0.3.post1'\n")
    (package / "cli.py").write_text("def main():\n    print('hi')\n")
    (package / "plugin.py").write_text("")
    (package / "py.typed").write_text("")
    (package / "data.json").write_text("{}\n")
    (project / "tests").mkdir()
    (project / "tests" / "test_x.py").write_text("def test(): pass\n")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--wheel", "--outdir",
         str(tmp_path / "dist"), str(project)],
        check=True, capture_output=True, text=True, timeout=120,
    )
    [wheel] = (tmp_path / "dist").glob("*.whl")
    result = inspect_wheel(wheel)
    assert result.ours == [], [f.message for f in result.run.findings]
    assert result.run.exit_code == 0
