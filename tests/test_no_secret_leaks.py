"""No secret in any output of any command: stdout, stderr, reports, step summaries, caches.

A real PyPI-shaped token (a minted macaroon) is put everywhere a user could put one: in
TWINE_PASSWORD, in ~/.pypirc, in the index URL's credentials, in a PREUPLOAD_GUARD_* variable,
and inside a wheel member (found by the secrets plugin, which must show it masked). Every
command then runs for real, in a child, including its error paths; everything it printed
or wrote is searched for the token, its base64 body in pieces, and its URL-encoded form.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from preupload_guard.testing import (
    FixtureFile,
    FixtureIndex,
    FixtureProject,
    IndexScenario,
    make_wheel,
)

from test_cli import COMMAND
from test_credentials import mint

ROOT = Path(__file__).resolve().parents[1]


def forms(token: str) -> list[bytes]:
    """The token, URL-encoded, base64-encoded, and 12-byte pieces of its body."""
    body = token.removeprefix("pypi-")
    pieces = {body[i:i + 12] for i in range(0, len(body) - 12, 6)}
    return [token.encode(), quote(token, safe="").encode(), base64.b64encode(token.encode()),
            *(p.encode() for p in pieces)]


@pytest.fixture(scope="module")
def token() -> str:
    return mint()


@pytest.fixture
def place(tmp_path: Path, token: str):
    """A project dir with a wheel holding the token, a HOME with .pypirc, and the env."""
    dist = tmp_path / "dist"
    dist.mkdir()
    make_wheel(dist, files={"tinyproj/__init__.py": b"",
                            "tinyproj/conf.py": f"TOKEN = {token!r}\n".encode()})
    home = tmp_path / "home"
    home.mkdir()
    (home / ".pypirc").write_text(
        f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = {token}\n")
    # The installed plugins load here (the secrets plugin must mask what it finds).
    base = {k: v for k, v in os.environ.items() if k != "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD"}
    env = {**base, "HOME": str(home), "TWINE_USERNAME": "__token__",
           "TWINE_PASSWORD": token, "PREUPLOAD_GUARD_CACHE_DIR": str(tmp_path / "cache"),
           "PREUPLOAD_GUARD_TOKEN": token,
           "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_OUTPUT": str(tmp_path / "gh-output"), "GITHUB_ACTIONS": "true"}
    return tmp_path, env


def written(tmp_path: Path) -> list[Path]:
    """Every file a run may have written (the test's own inputs left out)."""
    skip = {".pypirc"}
    return [p for p in tmp_path.rglob("*")
            if p.is_file() and p.name not in skip and p.suffix not in (".whl", ".py")]


def assert_clean(token: str, proc: subprocess.CompletedProcess[bytes], tmp_path: Path) -> None:
    blobs = {"stdout": proc.stdout, "stderr": proc.stderr}
    blobs.update({str(p): p.read_bytes() for p in written(tmp_path)})
    for where, blob in blobs.items():
        for form in forms(token):
            assert form not in blob, f"{where} holds the token ({form[:16]!r}...)"
    assert b"Traceback" not in proc.stderr, proc.stderr[-2000:]


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([COMMAND, *args], cwd=cwd, env=env, capture_output=True, timeout=180)


def credentialed(url: str, token: str) -> str:
    return url.replace("http://", f"http://__token__:{quote(token, safe='')}@")


@pytest.mark.parametrize("fmt", ["text", "json", "github", "markdown", "sarif"])
def test_check_in_every_format(fmt: str, place, token: str) -> None:
    tmp_path, env = place
    with FixtureIndex(IndexScenario(projects=[FixtureProject("tinyproj")])) as index:
        proc = run(env, tmp_path, "check", "dist", "--format", fmt, "--output",
                   str(tmp_path / f"report.{fmt}"), "--index-url",
                   credentialed(index.simple_url, token), "--history",
                   str(tmp_path / "ledger"))
    assert proc.returncode == 1  # the secrets plugin's finding
    assert b"secrets/token" in proc.stdout + (tmp_path / f"report.{fmt}").read_bytes()
    assert_clean(token, proc, tmp_path)


@pytest.mark.parametrize("args", [
    ("size", "dist", "--format", "json"),
    ("size", "dist"),
    ("limit-request", "dist"),
    ("rules",),
    ("rules", "secrets/token"),
    ("plugins",),
    ("check", "dist", "--offline", "--verbose-not-an-option"),  # usage error
    ("check", "dist", "--select", "no-such-rule"),  # config error
    ("check", "dist", "--index-url", "http://127.0.0.1:9/simple/", "--timeout", "1"),
])
def test_other_commands_and_errors(args: tuple[str, ...], place, token: str) -> None:
    tmp_path, env = place
    proc = run(env, tmp_path, *args)
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    assert_clean(token, proc, tmp_path)


def test_an_index_refusing_the_credentials(place, token: str) -> None:
    tmp_path, env = place
    with FixtureIndex(IndexScenario(fail={"*": "401"})) as index:
        proc = run(env, tmp_path, "check", "dist", "--index-url",
                   credentialed(index.simple_url, token), "--format", "json")
    assert proc.returncode == 1
    assert_clean(token, proc, tmp_path)


def test_a_corrupt_archive_and_a_broken_plugin(place, token: str) -> None:
    tmp_path, env = place
    (tmp_path / "dist" / "tinyproj-2.0-py3-none-any.whl").write_bytes(b"PK\x03\x04" + b"x" * 50)
    site = tmp_path / "site"
    site.mkdir()
    (site / "brokenplug.py").write_text("raise RuntimeError('broken on import')\n")
    info = site / "brokenplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: brokenplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[preupload_guard]\nbrokenplug = brokenplug\n")
    env = {**env, "PYTHONPATH": str(site)}
    proc = run(env, tmp_path, "check", "dist", "--offline", "--format", "json")
    assert proc.returncode == 1 and b"plugin-error" in proc.stdout
    assert_clean(token, proc, tmp_path)


@pytest.mark.skipif(shutil.which("git") is None, reason="git is needed for a project copy")
def test_build(place, token: str) -> None:
    tmp_path, env = place
    project = tmp_path / "sample"
    shutil.copytree(ROOT / "examples" / "sample-project", project,
                    ignore=shutil.ignore_patterns("dist", "build", "*.egg-info"))
    proc = run(env, project, "build", "--no-isolation", "--offline", "--format", "json")
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    assert_clean(token, proc, tmp_path)


def test_the_module_entry_point_too(place, token: str) -> None:
    tmp_path, env = place
    proc = subprocess.run([sys.executable, "-m", "preupload_guard", "check", "dist",
                           "--offline", "--format", "github"], cwd=tmp_path, env=env,
                          capture_output=True, timeout=120)
    assert_clean(token, proc, tmp_path)


@pytest.mark.parametrize("kind", ["dist", "version"])
def test_the_pre_commit_hooks(kind: str, place, token: str) -> None:
    """``hook dist`` and ``hook version`` on a release branch (as pre-push names it), asking
    an index whose URL carries the token."""
    tmp_path, env = place
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "tinyproj"\nversion = "2.0"\n')
    env = {**env, "PRE_COMMIT_LOCAL_BRANCH": "release/2.0",
           "PRE_COMMIT_REMOTE_BRANCH": "release/2.0"}
    released = FixtureProject("tinyproj", [FixtureFile("tinyproj-2.0.tar.gz")])
    with FixtureIndex(IndexScenario(projects=[released])) as index:
        proc = run(env, tmp_path, "hook", kind, "--index-url",
                   credentialed(index.simple_url, token), "--format", "json")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert b"not a release branch" not in proc.stdout + proc.stderr  # it did check
    # dist/ holds the wheel with the token; version finds 2.0 already released.
    expected = b"secrets/token" if kind == "dist" else b"version-exists"
    assert expected in proc.stdout, proc.stdout[-2000:]
    assert_clean(token, proc, tmp_path)
