"""The GitHub Action's shell steps, run locally the way a runner runs them.

Each `run:` step of action.yml is executed with ``bash --noprofile --norc -eo pipefail``
(GitHub's invocation for ``shell: bash``), with its ``env:`` evaluated from the test's inputs,
the action's defaults and earlier steps' outputs, and with a fake runner environment
(``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, ``RUNNER_TEMP``). The ``actions/setup-python``
step is the one not run: the test's own interpreter stands in for it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

from preupload_guard.testing import (
    FixtureFile,
    FixtureProject,
    make_sdist,
    make_wheel,
    make_wheel_of_size,
)

from test_plugins import autoloading

ROOT = Path(__file__).resolve().parent.parent
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class Runner:
    """A fake runner: workspace, temp dir, output and summary files."""

    workspace: Path
    temp: Path
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def summary(self) -> Path:
        return self.temp / "step_summary.md"

    def evaluate(self, value: str, inputs: dict[str, str]) -> str:
        def substitute(match: re.Match[str]) -> str:
            expression = match.group(1)
            if expression.startswith("inputs."):
                name = expression[len("inputs."):]
                return inputs.get(name, ACTION["inputs"][name].get("default", ""))
            if expression == "github.action_path":
                return str(ROOT)
            step_output = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
            if step_output:
                return self.outputs.get(step_output.group(1), {}).get(step_output.group(2), "")
            raise AssertionError(f"unexpected expression in action.yml: {expression}")

        return EXPRESSION.sub(substitute, str(value))

    def run_step(self, step_id: str, inputs: dict[str, str]) -> subprocess.CompletedProcess[str]:
        step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == step_id)
        assert step["shell"] == "bash"
        # Inputs reach scripts only through env: never through the script text.
        assert "${{" not in step["run"], f"step {step_id} interpolates into its script"
        output_file = self.temp / f"output-{step_id}"
        output_file.write_text("")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "INPUT_"))},
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "RUNNER_TEMP": str(self.temp),
            "PYTHONWARNINGS": "ignore",
        }
        env.update({k: self.evaluate(v, inputs) for k, v in step.get("env", {}).items()})
        script = self.temp / f"{step_id}.sh"
        script.write_text(step["run"])
        result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail",
                                 str(script)], cwd=self.workspace, env=env,
                                capture_output=True, text=True, timeout=600)
        self.outputs[step_id] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line)
        return result


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    workspace, temp = tmp_path / "workspace", tmp_path / "runner-temp"
    workspace.mkdir()
    temp.mkdir()
    made = Runner(workspace, temp)
    # What the install step would have produced: this environment's Python, which has
    # preupload-guard installed (the install step itself is tested separately below).
    made.outputs["install"] = {"python": sys.executable}
    # actions/setup-python's output: the interpreter running these tests.
    made.outputs["python"] = {"python-path": sys.executable}
    return made


def index_for(guard_index: Any) -> Any:
    return guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz", upload_time=datetime.now(timezone.utc))])])


def test_errors_become_annotations_summary_and_outputs(runner: Runner, guard_index) -> None:
    dist = runner.workspace / "dist"
    dist.mkdir()
    make_wheel(dist, tag="cp312-cp312-linux_x86_64")
    make_sdist(dist)
    runner.summary.write_text("earlier step's summary\n")
    index = index_for(guard_index)
    result = runner.run_step("check", {"index-url": index.simple_url})
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"^::error title=unsupported-platform-tag::", result.stdout, re.M)
    outputs = runner.outputs["check"]
    assert outputs["ok"] == "false"
    assert int(outputs["errors"]) >= 1
    assert outputs["warnings"].isdigit()
    report = json.loads(Path(outputs["report-path"]).read_text())
    assert report["schema"] == 1 and report["ok"] is False
    assert sum(f["severity"] == "error" for f in report["findings"]) == int(outputs["errors"])
    summary = runner.summary.read_text()
    assert summary.startswith("earlier step's summary\n")
    assert "unsupported-platform-tag" in summary


def test_clean_files_pass(runner: Runner, guard_index) -> None:
    dist = runner.workspace / "out"
    dist.mkdir()
    make_wheel(dist)
    make_sdist(dist)
    index = index_for(guard_index)
    result = runner.run_step("check", {"index-url": index.simple_url, "packages-dir": "out/*",
                                       "select": "size, reuse", "ignore": "size-near-limit"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert runner.outputs["check"]["ok"] == "true"
    assert runner.outputs["check"]["errors"] == "0"
    assert "::error" not in result.stdout


def test_history_input_is_the_ledger(runner: Runner, guard_index) -> None:
    dist = runner.workspace / "dist"
    dist.mkdir()
    make_wheel(dist)
    index = index_for(guard_index)
    ledger = runner.workspace / ".pypi-history"
    ledger.write_text("tinyproj-1.0.0-py3-none-any.whl\n")  # used once, gone from the index
    failing = runner.run_step("check", {"index-url": index.simple_url,
                                        "history": ".pypi-history"})
    assert failing.returncode == 1
    assert "::error title=filename-reused::" in failing.stdout
    assert "tinyproj-0.9.tar.gz" in ledger.read_text()  # what the index listed was merged in


def test_warnings_fail_only_when_asked(runner: Runner, guard_index) -> None:
    dist = runner.workspace / "dist"
    dist.mkdir()
    make_wheel(dist)
    index = index_for(guard_index)
    inputs = {"index-url": index.simple_url, "select": "size",
              "upload-limit": "1 KiB"}  # below the default: PyPI's 100 MiB still applies
    quiet = runner.run_step("check", inputs)
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    make_wheel_of_size(dist, 95 * 1024 * 1024, version="2.0.0")
    warned = runner.run_step("check", {**inputs, "fail-on": "warning"})
    assert "::warning title=size-near-limit::" in warned.stdout
    assert warned.returncode == 1
    assert runner.outputs["check"]["ok"] == "false"
    assert runner.outputs["check"]["errors"] == "0"
    assert int(runner.outputs["check"]["warnings"]) >= 1
    relaxed = runner.run_step("check", {**inputs, "fail-on": "error"})
    assert relaxed.returncode == 0
    assert runner.outputs["check"]["ok"] == "true"


def test_bad_inputs_are_usage_errors_and_never_executed(runner: Runner) -> None:
    (runner.workspace / "dist").mkdir()
    make_wheel(runner.workspace / "dist")
    bad = runner.run_step("check", {"fail-on": "sometimes"})
    assert bad.returncode == 2
    assert "fail-on must be" in bad.stdout
    marker = runner.workspace / "pwned"
    hostile = runner.run_step("check", {"upload-limit": f"$(touch {marker})",
                                        "index-url": f"http://127.0.0.1:9/`touch {marker}`"})
    assert hostile.returncode == 2
    assert not marker.exists()
    assert runner.outputs["check"]["ok"] == "false"
    assert "not a size" in hostile.stderr


@pytest.mark.network_registry
def test_install_step_builds_an_isolated_environment(runner: Runner, tmp_path: Path) -> None:
    """The real install step: a venv with this checkout and a plugin from `plugins`."""
    plugin = tmp_path / "plugin"
    (plugin / "demo_guard_plugin").mkdir(parents=True)
    (plugin / "demo_guard_plugin" / "__init__.py").write_text("")
    (plugin / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "demo-guard-plugin"\nversion = "0.1"\n'
        '[project.entry-points.preupload_guard]\ndemo = "demo_guard_plugin"\n')
    runner.outputs.pop("install")
    result = runner.run_step("install", {"plugins": f"{plugin}\n"})
    if result.returncode != 0 and "Could not find a version" in result.stderr:
        pytest.skip("the package registry is not reachable")
    assert result.returncode == 0, result.stdout + result.stderr
    python = runner.outputs["install"]["python"]
    assert Path(python).is_relative_to(runner.temp)
    listed = subprocess.run([python, "-m", "preupload_guard", "plugins"], capture_output=True,
                            text=True, timeout=120, env=autoloading(os.environ))
    assert "demo" in listed.stdout


def test_example_workflow_uses_real_inputs() -> None:
    workflow = yaml.safe_load(
        (ROOT / "examples" / "github-actions" / "publish.yml").read_text(encoding="utf-8"))
    jobs = workflow["jobs"]
    assert jobs["guard"]["needs"] == "build" and jobs["publish"]["needs"] == "guard"
    guard = next(s for s in jobs["guard"]["steps"]
                 if str(s.get("uses", "")).startswith("preupload-guard/preupload-guard"))
    assert set(guard["with"]) <= set(ACTION["inputs"])
    assert jobs["publish"]["permissions"] == {"id-token": "write"}
    assert set(ACTION["outputs"]) == {"ok", "errors", "warnings", "report-path"}
