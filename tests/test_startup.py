"""Start-up: each command imports only what it uses.

``--help`` imports no command module; ``rules`` needs rich for its table but no renderer or
HTTP stack; an offline check of a small wheel imports no HTTP client, no twine, and a README
renderer only when the description is reST or Markdown and ``description-render`` is
selected. The command runs in a fresh interpreter that writes ``sys.modules`` when it
exits, so what is measured is exactly what the command imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from preupload_guard.testing import make_wheel, metadata_text

PROBE = """
import atexit, sys
out = sys.argv[1]
atexit.register(lambda: open(out, "w").write("\\n".join(sorted(sys.modules))))
sys.argv = ["preupload-guard", *sys.argv[2:]]
from preupload_guard.cli import main
sys.exit(main())
"""

#: Never needed offline: the HTTP stack, the index clients and twine.
NETWORK = {"requests", "urllib3", "cachecontrol", "pypi_simple", "twine"}
#: The README renderers (docutils for reST; readme_renderer, pygments and nh3 for both).
RENDERERS = {"docutils", "readme_renderer", "pygments", "nh3"}


def child_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PREUPLOAD_GUARD_CACHE_DIR": str(tmp_path / "cache")}


def imported(tmp_path: Path, *args: str) -> set[str]:
    """The top-level packages (and our own modules, in full) a command imported."""
    out = tmp_path / "modules.txt"
    proc = subprocess.run([sys.executable, "-c", PROBE, str(out), *args],
                          env=child_env(tmp_path), cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    names = out.read_text().split()
    return {n.split(".")[0] for n in names} | {n for n in names if n.startswith("preupload")}


def wheel(tmp_path: Path, content_type: str, description: str = "Title\n=====\n\nText.\n"
          ) -> Path:
    dist = tmp_path / "dist"
    dist.mkdir(exist_ok=True)
    return make_wheel(dist, metadata=metadata_text(description=description,
                                                   content_type=content_type))


def test_help_imports_no_command_and_no_library(tmp_path: Path) -> None:
    got = imported(tmp_path, "--help")
    assert not got & (NETWORK | RENDERERS | {"rich", "pluggy", "packaging"}), got
    commands = {m for m in got if m.startswith("preupload_guard.cli.")}
    assert commands <= {"preupload_guard.cli.options"}, commands


def test_rules_needs_only_its_table(tmp_path: Path) -> None:
    got = imported(tmp_path, "rules")
    assert "rich" in got  # the table
    assert not got & (NETWORK | RENDERERS), got


@pytest.mark.parametrize("content_type", ["text/plain", "text/x-rst", "text/markdown"])
def test_an_offline_check_imports_no_network_code(tmp_path: Path, content_type: str) -> None:
    got = imported(tmp_path, "check", "--offline", "--format", "json",
                   str(wheel(tmp_path, content_type)))
    assert not got & NETWORK, got
    assert "rich" not in got  # the JSON report needs no console
    if content_type == "text/plain":
        assert not got & RENDERERS, got  # nothing to render
    elif content_type == "text/markdown":
        assert "readme_renderer" in got and "docutils" not in got, got
    else:
        assert "docutils" in got, got  # the probe does see a renderer when one runs


@pytest.mark.parametrize("content_type", ["text/x-rst", "text/markdown"])
def test_an_ignored_render_rule_loads_no_renderer(tmp_path: Path, content_type: str) -> None:
    got = imported(tmp_path, "check", "--offline", "--format", "json", "--ignore",
                   "description-render", str(wheel(tmp_path, content_type)))
    assert not got & RENDERERS, got


def test_a_broken_rst_readme_is_still_found_when_selected(tmp_path: Path) -> None:
    """The shortcut must not skip the rule itself: a README that does not render is
    reported when the rule is selected and only then."""
    broken = wheel(tmp_path, "text/x-rst", "Title\n=====\n\n.. nosuchdirective::\n")
    env = child_env(tmp_path)
    base = [sys.executable, "-m", "preupload_guard", "check", "--offline", "--format", "json",
            str(broken)]
    selected = subprocess.run(base, env=env, capture_output=True, text=True, timeout=120)
    ignored = subprocess.run([*base, "--ignore", "description-render"], env=env,
                             capture_output=True, text=True, timeout=120)
    assert '"description-render"' in selected.stdout and selected.returncode == 1
    assert '"description-render"' not in ignored.stdout and ignored.returncode == 0, \
        ignored.stdout
