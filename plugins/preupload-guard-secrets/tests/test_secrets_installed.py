"""End to end: the installed ``preupload-guard`` command loads the installed plugin.

Needs the plugin installed next to preupload-guard (``pip install -e .``); skipped otherwise.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import preupload_guard_secrets
import pytest
import secrets_support as support

RULE_IDS = [f"secrets/{rule.id}" for rule in preupload_guard_secrets.RULES]


def _command() -> str | None:
    beside = Path(sys.executable).parent / "preupload-guard"
    if beside.exists():
        return str(beside)
    return shutil.which("preupload-guard")


COMMAND = _command()
INSTALLED = any(ep.name == "secrets" and ep.value == "preupload_guard_secrets"
                for ep in metadata.entry_points(group="preupload_guard"))

pytestmark = pytest.mark.skipif(
    COMMAND is None or not INSTALLED,
    reason="needs `pip install -e .` of this plugin next to the preupload-guard command",
)


#: Other installed plugins are blocked (-p no:NAME) so that only this one adds findings.
OTHERS = sorted({ep.name for ep in metadata.entry_points(group="preupload_guard")} - {"secrets"})


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD", None)
    if args[0] == "check":
        args = (*args, *(arg for name in OTHERS for arg in ("-p", f"no:{name}")))
    return subprocess.run([COMMAND, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, env=env)


def test_plugins_and_rules_list_the_rules(tmp_path):
    plugins = run(tmp_path, "plugins")
    assert plugins.returncode == 0, plugins.stderr
    version = metadata.version("preupload-guard-secrets")
    assert f"secrets  (preupload-guard-secrets {version})" in plugins.stdout
    rules = run(tmp_path, "rules")
    explain = run(tmp_path, "rules", "secrets/token")
    for rule_id in RULE_IDS:
        assert rule_id in plugins.stdout
        assert rule_id in rules.stdout
    assert "revoke" in explain.stdout


def test_check_catches_a_planted_token_masked_and_config_allows_it(tmp_path, guard_dists):
    token = support.github_token(seed=40)
    wheel = guard_dists.wheel(files={"tinyproj/config.py": f"\nTOKEN = '{token}'\n".encode()})
    result = run(tmp_path, "check", "--offline", str(wheel))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "secrets/token" in result.stdout
    assert f"tinyproj/config.py:2: GitHub personal access token {token[:8]}…" in result.stdout
    assert token[:9] not in result.stdout + result.stderr

    as_json = run(tmp_path, "check", "--offline", "--format", "json", str(wheel))
    assert token[:9] not in as_json.stdout
    (finding,) = [f for f in json.loads(as_json.stdout)["findings"]
                  if f["rule"].startswith("secrets/")]
    fingerprint = re.search(r"sha256:[0-9a-f]{16}", finding["message"]).group(0)

    # The pyproject table of the working directory configures the plugin.
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.preupload-guard.plugins.secrets]\nallow-secrets = ["{fingerprint}"]\n')
    allowed = run(tmp_path, "check", "--offline", str(wheel))
    assert allowed.returncode == 0, allowed.stdout
    assert "secrets/" not in allowed.stdout

    # ... and `--ignore secrets` (the family / plugin) turns it off.
    (tmp_path / "pyproject.toml").unlink()
    ignored = run(tmp_path, "check", "--offline", "--ignore", "secrets", str(wheel))
    assert ignored.returncode == 0, ignored.stdout
