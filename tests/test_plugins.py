"""Third-party plugins loaded for real from the ``preupload_guard`` entry-point group.

Each test writes a plugin module plus a ``*.dist-info`` with ``entry_points.txt`` into a
directory on ``PYTHONPATH``: importlib.metadata finds it exactly as it finds an installed
distribution, and the installed command runs in a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from preupload_guard.engine.plugins import DISABLE_AUTOLOAD_ENV, ENTRY_POINT_GROUP
from preupload_guard.testing import make_wheel

from test_cli import COMMAND

GOOD = '''
from preupload_guard import Finding, Rule, Severity, hookimpl

@hookimpl
def preupload_guard_rules():
    return [Rule(id="no-big-readme", family="style", severity=Severity.WARNING,
                 summary="README too long")]

@hookimpl
def preupload_guard_check_artifact(artifact):
    yield Finding("no-big-readme", f"{artifact.filename}: checked by a plugin")

@hookimpl
def preupload_guard_history(project):
    return [f"{project}-1.0.0-py3-none-any.whl"]
'''

CRASHING = '''
from preupload_guard import Rule, Severity, hookimpl

@hookimpl
def preupload_guard_rules():
    return [Rule(id="boom", family="style", severity=Severity.ERROR, summary="boom")]

@hookimpl
def preupload_guard_check_artifact(artifact, context):
    raise RuntimeError("kaboom")
'''

MISSPELLED = '''
from preupload_guard import hookimpl

@hookimpl
def preupload_guard_check_artefact(artifact):
    return []
'''


def install_plugin(site: Path, name: str, source: str, version: str = "0.1") -> None:
    (site / f"{name}.py").write_text(textwrap.dedent(source))
    info = site / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[preupload_guard]\n{name} = {name}\n")


#: Plugins installed in this environment (CI installs the ones under plugins/): their
#: findings join the subprocess runs here and are left out of the comparisons.
INSTALLED = frozenset(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def own(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings of the built-ins and the plugins these tests write, not installed ones."""
    return [f for f in findings if f["rule"].split("/", 1)[0] not in INSTALLED]


def autoloading(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment without conftest's autoload switch: these tests are about loading."""
    return {k: v for k, v in environ.items() if k != DISABLE_AUTOLOAD_ENV}


def run_with(site: Path, cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [COMMAND, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
        env={**autoloading(os.environ), "PYTHONPATH": str(site), **env},
    )


def test_plugin_rules_findings_and_history(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "goodplug", GOOD)
    make_wheel(tmp_path)
    result = run_with(site, tmp_path, "check", ".", "--offline", "--format", "json")
    assert result.returncode == 0, result.stderr
    findings = own(json.loads(result.stdout)["findings"])
    assert [(f["rule"], f["severity"]) for f in findings] == [
        ("goodplug/no-big-readme", "warning")]
    listing = run_with(site, tmp_path, "plugins")
    assert "goodplug  (goodplug 0.1)" in listing.stdout
    assert "goodplug/no-big-readme" in listing.stdout
    assert "goodplug/no-big-readme" in run_with(site, tmp_path, "rules").stdout
    # Plugin rules can be selected by plugin name, family or id, like built-ins.
    result = run_with(site, tmp_path, "check", ".", "--offline", "--format", "json",
                      "--ignore", "goodplug")
    assert own(json.loads(result.stdout)["findings"]) == []


def test_a_crashing_plugin_is_an_error_finding_and_the_run_goes_on(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "crashplug", CRASHING)
    make_wheel(tmp_path, padding=101 * 1024 * 1024)
    result = run_with(site, tmp_path, "check", ".", "--offline", "--format", "json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    findings = json.loads(result.stdout)["findings"]
    rules = [f["rule"] for f in findings]
    assert "file-too-large" in rules  # other checks still ran
    crash = next(f for f in findings if f["rule"] == "plugin-error")
    assert crash["message"].startswith("plugin 'crashplug' raised RuntimeError: kaboom in "
                                       "preupload_guard_check_artifact at crashplug.py:")
    assert crash["file"] == "tinyproj-1.0.0-py3-none-any.whl"


def test_misspelled_hook_is_caught_at_load_time(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "typoplug", MISSPELLED)
    make_wheel(tmp_path)
    result = run_with(site, tmp_path, "check", ".", "--offline", "--format", "json")
    assert result.returncode == 1
    crash = next(f for f in json.loads(result.stdout)["findings"] if f["rule"] == "plugin-error")
    assert "typoplug" in crash["message"] and "preupload_guard_check_artefact" in crash["message"]
    assert run_with(site, tmp_path, "plugins").returncode == 1


def test_import_error_and_blocking(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "brokenplug", "import not_a_module_anywhere\n")
    make_wheel(tmp_path)
    result = run_with(site, tmp_path, "check", ".", "--offline", "--format", "json")
    assert result.returncode == 1
    assert "brokenplug" in result.stdout and "ModuleNotFoundError" in result.stdout
    blocked = run_with(site, tmp_path, "check", ".", "--offline", "-p", "no:brokenplug")
    assert blocked.returncode == 0, blocked.stdout
    assert run_with(site, tmp_path, "plugins").returncode == 1
    listing = run_with(site, tmp_path, "plugins", "-p", "no:brokenplug")
    assert listing.returncode == 0, listing.stderr
    assert "brokenplug  (blocked by -p no:brokenplug)" in listing.stdout
    assert run_with(site, tmp_path, "rules", "-p", "no:brokenplug").returncode == 0
    disabled = run_with(site, tmp_path, "check", ".", "--offline",
                        PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD="1")
    assert disabled.returncode == 0


def test_plugin_history_source_feeds_filename_reused(tmp_path: Path, guard_index) -> None:
    from preupload_guard.testing import FixtureFile, FixtureProject

    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "goodplug", GOOD)
    make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz")])])
    result = run_with(site, tmp_path, "check", ".", "--format", "json", "--index-url",
                      index.simple_url, "--history", str(tmp_path / "ledger"))
    rules = [f["rule"] for f in json.loads(result.stdout)["findings"]]
    assert "filename-reused" in rules
    # Plugin-contributed names are used for this run, not written into the ledger.
    assert "tinyproj-1.0.0" not in (tmp_path / "ledger").read_text()


CITING = '''
from preupload_guard import hookimpl

@hookimpl
def preupload_guard_history(project):
    source = "bandersnatch mirror /srv/pypi, last sync 2026-12-01"
    return [(f"{project}-1.0.0-py3-none-any.whl", source)]
'''


def test_history_sources_are_cited_by_filename_reused(tmp_path: Path, guard_index) -> None:
    """A plugin's (filename, source) is cited; a ledger entry cites the ledger's path."""
    from preupload_guard.testing import FixtureFile, FixtureProject

    site = tmp_path / "site"
    site.mkdir()
    install_plugin(site, "citeplug", CITING)
    make_wheel(tmp_path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz")])])
    ledger = tmp_path / "ledger"
    args = ("check", ".", "--format", "json", "--index-url", index.simple_url,
            "--history", str(ledger))

    def reused() -> str:
        found = json.loads(run_with(site, tmp_path, *args).stdout)["findings"]
        return next(f["message"] for f in found if f["rule"] == "filename-reused")

    assert ("known from: bandersnatch mirror /srv/pypi, last sync 2026-12-01;"
            in reused())
    ledger.write_text("tinyproj-1.0.0-py3-none-any.whl\n")
    assert f"known from: the filename ledger {ledger};" in reused()
