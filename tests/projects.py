"""Real projects on disk, built with `python -m build --no-isolation` (no network needed)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

PYPROJECT = '''
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{name}"
version = "{version}"
description = "A tiny project built for real"
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
license-files = ["LICENSE"]
authors = [{{name = "A. Maintainer", email = "maintainer@example.com"}}]
{extra}
'''


def write_project(src: Path, name: str = "upload-demo", version: str = "0.1.0", *,
                  body: str = "VALUE = 1\n", extra: str = "") -> Path:
    """A hatchling project whose module holds ``body`` (change it to change the bytes)."""
    package = src / "src" / name.replace("-", "_").replace(".", "_").lower()
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(body)
    (src / "README.md").write_text(f"# {name}\n\nA tiny project.\n")
    (src / "LICENSE").write_text("MIT License\n\nCopyright (c) 2026\n")
    (src / "pyproject.toml").write_text(
        textwrap.dedent(PYPROJECT).format(name=name, version=version, extra=extra))
    return src


def build_project(src: Path, out: Path) -> list[Path]:
    """Build sdist and wheel of ``src`` into ``out``; return them, wheel first."""
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(src)],
        capture_output=True, text=True, timeout=240,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return sorted(out.iterdir(), key=lambda p: (not p.name.endswith(".whl"), p.name))
