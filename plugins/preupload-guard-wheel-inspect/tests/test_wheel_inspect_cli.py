"""The installed plugin, through the real command: plugins, rules, check.

Needs this package installed next to preupload-guard (`pip install -e .`, as `.ci/run`
does); skipped otherwise, never installed from here (that would need the network).
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

COMMAND = str(Path(sys.executable).with_name("preupload-guard"))
RULES = ["record-hash", "record-entry", "dist-info", "wheel-tags", "entry-points", "bytecode",
         "colliding-top-level", "unrelated-top-level", "unreadable"]


@pytest.fixture(scope="module")
def installed() -> None:
    if not any(ep.name == "wheel-inspect"
               for ep in metadata.entry_points(group="preupload_guard")):
        pytest.skip("needs `pip install -e .` of this plugin next to preupload-guard")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_installed_plugin_lists_its_rules_and_catches_a_wrong_hash(
        installed: None, guard_dists, tmp_path: Path) -> None:
    listing = run("plugins", cwd=tmp_path)
    assert listing.returncode == 0, listing.stderr
    assert "wheel-inspect  (preupload-guard-wheel-inspect 0.1.0)" in listing.stdout
    for rule in RULES:
        assert f"wheel-inspect/{rule}" in listing.stdout
    rules = run("rules", cwd=tmp_path)
    assert all(f"wheel-inspect/{rule}" in rules.stdout for rule in RULES)
    explained = run("rules", "wheel-inspect/record-hash", cwd=tmp_path)
    assert "python -m wheel pack" in explained.stdout

    good = guard_dists.wheel()
    result = run("check", "--offline", "--format", "json", str(good), cwd=tmp_path)
    findings = json.loads(result.stdout)["findings"]
    assert not [f for f in findings if f["rule"].startswith("wheel-inspect/")]

    bad = guard_dists.wheel("tamperedproj",
                            tamper={"tamperedproj/__init__.py": b"import evil\n"})
    result = run("check", "--offline", "--format", "json", str(bad), cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    [finding] = [f for f in json.loads(result.stdout)["findings"]
                 if f["rule"].startswith("wheel-inspect/")]
    assert finding["rule"] == "wheel-inspect/record-hash"
    assert finding["severity"] == "error"
    assert "tamperedproj/__init__.py" in finding["message"]
