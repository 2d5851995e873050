"""The pre-commit hooks: branch filtering, reading the version, the three hook entries, and
real ``pre-commit try-repo`` runs of ``.pre-commit-hooks.yaml``.

The try-repo tests (marker ``precommit``) run against a committed copy of this working tree,
because try-repo clones the hook repository's HEAD. try-repo installs the hook environment
in a fresh temporary store on every run (it ignores ``PRE_COMMIT_HOME``), so one test uses
try-repo itself and the others ``pre-commit run`` with a config naming that commit (the
environment is then installed once and reused); and the package
registry is asked once per session, for a wheelhouse, and every install then reads only
that wheelhouse (``PIP_NO_INDEX``): offline, and seconds faster per run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from preupload_guard.cli import main
from preupload_guard.integrations import precommit
from preupload_guard.integrations.precommit import (
    DEFAULT_BRANCHES,
    CurrentBranch,
    MetadataUnavailable,
    current_branch,
    matching_branch,
    read_identity,
    sdist_filename,
    skip_reason,
)
from preupload_guard.testing import FixtureFile, FixtureIndex, FixtureProject, make_wheel

from checking import rules, run
from projects import build_project, write_project

REPO_ROOT = Path(__file__).resolve().parent.parent
NOW = datetime.now(timezone.utc)
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
}


@pytest.fixture(autouse=True)
def _no_push_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite itself may run inside a pre-push hook: its variables must not leak in."""
    for name in precommit.PUSH_BRANCH_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def git(*args: str, cwd: Path) -> str:
    result = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd, capture_output=True, text=True, env={**os.environ, **GIT_IDENTITY},
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def hook(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """``preupload-guard hook ...`` in process: exit status, stdout, stderr."""
    status = main(["hook", *args])
    out, err = capsys.readouterr()
    return status, out, err


def index_args(index: FixtureIndex) -> list[str]:
    return ["--index-url", index.simple_url, "--json-api-url", index.json_api_url,
            "--timeout", "5"]


# -- which branch ------------------------------------------------------------------------


def test_push_variables_name_the_branch_without_refs_heads() -> None:
    branch = current_branch({"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/release/1.0",
                             "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/release/1.0"})
    assert branch.names == ("release/1.0",)
    assert matching_branch(branch, DEFAULT_BRANCHES) == "release/1.0"


def test_remote_branch_alone_is_enough() -> None:
    branch = current_branch({"PRE_COMMIT_REMOTE_BRANCH": "refs/heads/v2.0"})
    assert branch.names == ("v2.0",)


def test_pushing_main_to_a_release_branch_is_a_release() -> None:
    branch = current_branch({"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main",
                             "PRE_COMMIT_REMOTE_BRANCH": "refs/heads/release/2.0"})
    assert branch.names == ("main", "release/2.0")
    assert matching_branch(branch, DEFAULT_BRANCHES) == "release/2.0"


def test_checked_out_branch_when_not_pushing(tmp_path: Path) -> None:
    git("init", "-q", "-b", "release/2.x", cwd=tmp_path)
    # No commit yet: HEAD cannot be parsed, but the repository is on a branch.
    assert current_branch({}, tmp_path).names == ("release/2.x",)
    (tmp_path / "f").write_text("x")
    git("add", "f", cwd=tmp_path)
    git("commit", "-q", "-m", "first", cwd=tmp_path)
    branch = current_branch({}, tmp_path)
    assert branch.names == ("release/2.x",)
    assert skip_reason(DEFAULT_BRANCHES, {}, tmp_path) is None


def test_detached_head_is_not_a_release_branch(tmp_path: Path) -> None:
    git("init", "-q", "-b", "release/1.0", cwd=tmp_path)
    (tmp_path / "f").write_text("x")
    git("add", "f", cwd=tmp_path)
    git("commit", "-q", "-m", "first", cwd=tmp_path)
    git("checkout", "-q", "--detach", cwd=tmp_path)
    branch = current_branch({}, tmp_path)
    assert branch.names == ()
    assert branch.problem is not None and "detached HEAD" in branch.problem
    reason = skip_reason(["*"], {}, tmp_path)
    assert reason is not None and reason.startswith("detached HEAD")


def test_outside_a_repository_the_branch_is_unknown(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    branch = current_branch({}, tmp_path)
    assert branch.names == ()
    assert "the branch is unknown" in (branch.problem or "")


@pytest.mark.parametrize(("name", "release"), [
    ("release/1.0", True),
    ("release/1.0/hotfix", True),
    ("release-2026.1", True),
    ("v1.2", True),
    ("v2", True),
    ("main", False),
    ("version-bump", False),
    ("vnext", False),
    ("feature/release/1.0", False),
    ("Release/1.0", False),  # case-sensitive on every OS, as git branch names are
])
def test_default_patterns(name: str, release: bool) -> None:
    branch = CurrentBranch((name,), "checked out")
    assert (matching_branch(branch, DEFAULT_BRANCHES) is not None) is release


def test_custom_patterns() -> None:
    assert matching_branch(CurrentBranch(("stable/3",), "x"), ["main", "stable/*"]) == "stable/3"
    assert matching_branch(CurrentBranch(("dev",), "x"), ["main", "stable/*"]) is None
    assert matching_branch(CurrentBranch(("anything/at/all",), "x"), ["*"]) is not None


def test_skip_message_names_branch_and_patterns() -> None:
    reason = skip_reason(["release/*"], {"PRE_COMMIT_LOCAL_BRANCH": "refs/heads/main"})
    assert reason == ("branch 'main' (being pushed) is not a release branch (patterns: "
                      "release/*; change them with --branches)")


@pytest.mark.parametrize("kind", ["dist", "release", "version"])
def test_every_hook_skips_off_release_branches_at_once(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], guard_index: Callable[..., FixtureIndex],
) -> None:
    # A broken configuration is not even read: the branch decides first.
    (tmp_path / "pyproject.toml").write_text("[tool.preupload-guard]\nno-such-key = 1\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
    index = guard_index(projects=[])
    status, out, err = hook(kind, *index_args(index), capsys=capsys)
    assert status == 0
    assert out == ""
    assert err.count("\n") == 1
    assert f"hook {kind} skipped: branch 'main'" in err
    assert "release/*, release-*, v[0-9]*" in err
    assert index.hits() == 0


def test_explicit_branches_apply_to_the_dist_hook_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
    status, _, err = hook("dist", "--branches", "main", "--offline", capsys=capsys)
    assert status == 0
    assert "skipped" not in err
    assert "no distribution files in dist" in err


# -- reading name and version ------------------------------------------------------------


def test_static_name_and_version(tmp_path: Path) -> None:
    write_project(tmp_path, "Upload.Demo", "1.2.3")
    identity = read_identity(tmp_path, allow_isolated=False)
    assert (identity.name, identity.version) == ("Upload.Demo", "1.2.3")
    assert identity.source == "static in pyproject.toml"


def _make_version_dynamic(project: Path, tool_table: str) -> None:
    path = project / "pyproject.toml"
    text = path.read_text().replace('version = "0.0.0"\n', 'dynamic = ["version"]\n')
    path.write_text(text + "\n" + textwrap.dedent(tool_table))


def test_dynamic_version_from_hatchling_in_this_environment(tmp_path: Path) -> None:
    write_project(tmp_path, "upload-demo", "0.0.0", body='__version__ = "2.3.4"\n')
    _make_version_dynamic(tmp_path, """
        [tool.hatch.version]
        path = "src/upload_demo/__init__.py"
    """)
    identity = read_identity(tmp_path, allow_isolated=False)
    assert (identity.name, identity.version) == ("upload-demo", "2.3.4")
    assert "in this environment" in identity.source


def test_dynamic_version_from_setuptools_in_this_environment(tmp_path: Path) -> None:
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text('__version__ = "5.0.1"\n')
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = ["setuptools>=77"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "setuptools-demo"
        dynamic = ["version"]

        [tool.setuptools.dynamic]
        version = {attr = "demo.__version__"}
    """))
    identity = read_identity(tmp_path, allow_isolated=False)
    assert (identity.name, identity.version) == ("setuptools-demo", "5.0.1")


def test_isolation_is_the_fallback_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import build.util

    calls: list[bool] = []

    def fake(srcdir: Any, isolated: bool = True) -> dict[str, str]:
        calls.append(isolated)
        if not isolated:
            raise RuntimeError("backend not installed here")
        return {"Name": "demo", "Version": "9.9"}

    monkeypatch.setattr(build.util, "project_wheel_metadata", fake)
    write_project(tmp_path, "demo", "0.0.0")
    _make_version_dynamic(tmp_path, "")
    identity = read_identity(tmp_path)
    assert calls == [False, True]
    assert identity.version == "9.9" and "isolated" in identity.source
    calls.clear()
    with pytest.raises(MetadataUnavailable, match="backend not installed here"):
        read_identity(tmp_path, allow_isolated=False)
    assert calls == [False]


def test_backend_that_cannot_run_fails_the_version_hook_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_project(tmp_path, "demo", "0.0.0")
    path = tmp_path / "pyproject.toml"
    path.write_text(path.read_text().replace('"hatchling.build"', '"no_such_backend_xyz"'))
    _make_version_dynamic(tmp_path, "")
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/release/1.0")
    status, out, err = hook("version", str(tmp_path), "--no-isolation", "--offline",
                            capsys=capsys)
    assert status == 3
    assert out == ""
    assert "could not read the version" in err and "nothing was checked" in err
    assert "Traceback" not in err


def test_sdist_filename_is_normalized() -> None:
    assert sdist_filename("Upload.Demo", "1.0.0") == "upload_demo-1.0.0.tar.gz"
    assert sdist_filename("x", "1.0.0-RC1") == "x-1.0.0rc1.tar.gz"
    assert sdist_filename("x", "not a version") == "x-not a version.tar.gz"


# -- the version hook against an index ---------------------------------------------------


def demo_index(guard_index: Callable[..., FixtureIndex], *released: tuple[str, int],
               name: str = "upload-demo") -> FixtureIndex:
    """An index where ``name`` has releases ``(version, age in days)``, sdist and wheel."""
    files = []
    for version, days in released:
        when = NOW - timedelta(days=days)
        stem = f"{name.replace('-', '_')}-{version}"
        files += [FixtureFile(f"{stem}.tar.gz", upload_time=when),
                  FixtureFile(f"{stem}-py3-none-any.whl", upload_time=when)]
    return guard_index(projects=[FixtureProject(name, files=files)],
                         extra_names=["numpy", "toasting"])


def version_hook(project: Path, index: FixtureIndex, capsys: pytest.CaptureFixture[str],
                 monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, dict[str, Any]]:
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/release/1.0")
    status, out, err = hook("version", str(project), "--format", "json", *index_args(index),
                            *extra, capsys=capsys)
    assert "Traceback" not in err
    return status, json.loads(out)


def found(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["rule"]: f for f in report["findings"]}


def test_released_version_is_an_error(tmp_path: Path, guard_index, capsys, monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.1.0")
    index = demo_index(guard_index, ("0.0.9", 40), ("0.1.0", 2))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1 and report["ok"] is False
    assert list(found(report)) == ["version-exists"]
    finding = found(report)["version-exists"]
    assert finding["severity"] == "error"
    assert "upload-demo 0.1.0 is already released on the index" in finding["message"]
    assert "upload_demo-0.1.0.tar.gz" in finding["message"]
    assert "0.1.0.post1" in finding["hint"]
    assert report["files"][0]["filename"] == "upload_demo-0.1.0.tar.gz"
    assert report["files"][0]["path"].endswith("pyproject.toml")


def test_release_is_matched_by_canonical_version(tmp_path: Path, guard_index, capsys,
                                                 monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.1")
    index = demo_index(guard_index, ("0.1.0", 2))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1 and "version-exists" in found(report)


def test_new_version_passes(tmp_path: Path, guard_index, capsys, monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.2.0")
    index = demo_index(guard_index, ("0.1.0", 40))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 0 and report["ok"] is True
    assert report["findings"] == [] and report["skipped"] == []
    assert index.hits("/simple/upload-demo/") == 1


def test_new_project_is_noted_and_passes(tmp_path: Path, guard_index, capsys,
                                         monkeypatch) -> None:
    write_project(tmp_path, "brand-new-demo", "1.0.0")
    index = demo_index(guard_index, ("0.1.0", 40))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 0
    assert list(found(report)) == ["new-project"]
    assert found(report)["new-project"]["severity"] == "info"


def test_local_version_is_an_error(tmp_path: Path, guard_index, capsys, monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.2.0+local")
    index = demo_index(guard_index, ("0.1.0", 40))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1
    assert list(found(report)) == ["local-version"]
    assert "The use of local versions in '0.2.0+local' is not allowed" in (
        found(report)["local-version"]["message"])


def test_old_release_is_closed(tmp_path: Path, guard_index, capsys, monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.1.0")
    index = demo_index(guard_index, ("0.1.0", 20))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1
    assert set(found(report)) == {"version-exists", "release-closed"}
    closed = found(report)["release-closed"]
    assert "(20 days ago)" in closed["message"]
    assert "releases older than 14 days is not allowed" in closed["message"]
    assert "0.1.0.post1" in closed["hint"]


@pytest.mark.parametrize(("name", "rule", "text"), [
    ("Os.Path", "stdlib-name", "conflict with Python Standard Library module name"),
    ("Toast-ing", "similar-project-name", "too similar to the existing project 'toasting'"),
    ("demo-", "invalid-project-name", "'demo-' is an invalid value for Name"),
])
def test_name_rules_for_a_new_project(name: str, rule: str, text: str, tmp_path: Path,
                                      guard_index, capsys, monkeypatch) -> None:
    write_project(tmp_path, "placeholder", "1.0.0")
    path = tmp_path / "pyproject.toml"
    path.write_text(path.read_text().replace('"placeholder"', f'"{name}"'))
    index = demo_index(guard_index, ("0.1.0", 40))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1
    assert text in found(report)[rule]["message"]


def test_unreachable_index_is_never_a_pass(tmp_path: Path, guard_index, capsys,
                                           monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.2.0")
    index = guard_index(projects=[], fail={"*": "500"})
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 1
    assert "index-unreachable" in found(report)


def test_user_ignore_applies_to_the_version_hook(tmp_path: Path, guard_index, capsys,
                                                 monkeypatch) -> None:
    write_project(tmp_path, "upload-demo", "0.1.0",
                  extra='\n[tool.preupload-guard]\nignore = ["version-exists"]\n')
    index = demo_index(guard_index, ("0.1.0", 2))
    status, report = version_hook(tmp_path, index, capsys, monkeypatch)
    assert status == 0 and report["findings"] == []


def test_version_exists_is_opt_in_for_check(tmp_path: Path, guard_index) -> None:
    wheel = make_wheel(tmp_path, "tinyproj", "1.0.0")
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-1.0.0.tar.gz", upload_time=NOW - timedelta(days=1))])])
    assert "version-exists" not in rules(run([wheel], index))
    assert "version-exists" in rules(run([wheel], index, select=["all", "version-exists"]))


# -- the dist and release hooks ----------------------------------------------------------


def test_dist_hook_checks_dist(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/release/1.0")
    (tmp_path / "dist").mkdir()
    make_wheel(tmp_path / "dist", "tinyproj", "1.0.0+local")
    status, out, _ = hook("dist", "--offline", "--format", "json", capsys=capsys)
    assert status == 1
    assert "local-version" in {f["rule"] for f in json.loads(out)["findings"]}
    (tmp_path / "dist" / "tinyproj-1.0.0+local-py3-none-any.whl").unlink()
    make_wheel(tmp_path / "dist", "tinyproj", "1.0.0")
    status, out, _ = hook("dist", "dist/*.whl", "--offline", "--format", "json", capsys=capsys)
    assert status == 0 and json.loads(out)["ok"] is True


def test_dist_hook_without_files_is_skipped(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/release/1.0")
    status, out, err = hook("dist", "--offline", capsys=capsys)
    assert (status, out) == (0, "")
    assert "no distribution files in dist: nothing to check" in err
    status, _, err = hook("dist", "--no-isolation", capsys=capsys)
    assert status == 2 and "--no-isolation applies to the release and version" in err


TINY_BACKEND = '''
"""A build backend that needs nothing installed, so that an isolated build is offline."""
import base64, hashlib, io, os, re, tarfile, zipfile


def _project():
    # No tomllib: the backend must also run on Python 3.10 (an isolated env has no tomli).
    with open("pyproject.toml", encoding="utf-8") as fh:
        text = fh.read()
    project = {key: re.search(rf'^{key} = "([^"]*)"', text, re.M).group(1)
               for key in ("name", "version", "description", "readme", "requires-python")}
    dist = project["name"].replace("-", "_").replace(".", "_").lower()
    return project, dist, f"{dist}-{project['version']}"


def _metadata(project):
    with open(project["readme"], encoding="utf-8") as fh:
        readme = fh.read()
    return (f"Metadata-Version: 2.1\\nName: {project['name']}\\n"
            f"Version: {project['version']}\\nSummary: {project['description']}\\n"
            f"Requires-Python: {project['requires-python']}\\n"
            f"Description-Content-Type: text/markdown\\n\\n{readme}")


def build_sdist(sdist_directory, config_settings=None):
    project, dist, stem = _project()
    with tarfile.open(os.path.join(sdist_directory, stem + ".tar.gz"), "w:gz") as tar:
        for name in ("pyproject.toml", "README.md", "LICENSE", "src", "_backend"):
            tar.add(name, f"{stem}/{name}",
                    filter=lambda info: None if "__pycache__" in info.name else info)
        data = _metadata(project).encode()
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return stem + ".tar.gz"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    project, dist, stem = _project()
    files = {}
    for root, _, names in os.walk(os.path.join("src", dist)):
        for name in sorted(names):
            if name.endswith(".py"):
                with open(os.path.join(root, name), "rb") as fh:
                    arcname = os.path.relpath(os.path.join(root, name), "src")
                    files[arcname.replace(os.sep, "/")] = fh.read()
    info = f"{stem}.dist-info"
    files[f"{info}/METADATA"] = _metadata(project).encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\\nGenerator: tiny\\nRoot-Is-Purelib: true\\n"
                              b"Tag: py3-none-any\\n")
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        record.append(f"{name},sha256={digest.decode()},{len(data)}")
    record.append(f"{info}/RECORD,,")
    files[f"{info}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return filename
'''


def write_offline_project(src: Path, version: str, index: FixtureIndex) -> Path:
    """``write_project`` built by an in-tree backend with no requirements, pointed at
    ``index`` through its ``[tool.preupload-guard]`` table (pre-commit passes no options)."""
    write_project(src, "upload-demo", version)
    (src / "_backend").mkdir(exist_ok=True)
    (src / "_backend" / "tiny_backend.py").write_text(TINY_BACKEND)
    path = src / "pyproject.toml"
    text = path.read_text().replace(
        'requires = ["hatchling"]\nbuild-backend = "hatchling.build"',
        'requires = []\nbuild-backend = "tiny_backend"\nbackend-path = ["_backend"]')
    text += (f'\n[tool.preupload-guard]\nindex-url = "{index.simple_url}"\n'
             f'json-api-url = "{index.json_api_url}"\ntimeout = 10\n')
    path.write_text(text)
    return src


def test_release_hook_builds_in_isolation_outside_dist(tmp_path: Path, guard_index,
                                                       monkeypatch, capsys) -> None:
    index = demo_index(guard_index, ("0.0.9", 40))
    project = write_offline_project(tmp_path / "project", "0.1.0", index)
    monkeypatch.chdir(project)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/release/1.0")
    status = main(["hook", "release", "--format", "json"])
    out, err = capsys.readouterr()
    assert status == 0, out + err
    report = json.loads(out)
    assert sorted(f["filename"] for f in report["files"]) == [
        "upload_demo-0.1.0-py3-none-any.whl", "upload_demo-0.1.0.tar.gz"]
    assert report["findings"] == []
    assert "into a temporary directory (dist/ is untouched)" in err
    assert not (project / "dist").exists()


# -- the manifest and the example --------------------------------------------------------


def test_manifest_and_example_config_are_valid() -> None:
    clientlib = pytest.importorskip("pre_commit.clientlib")
    manifest = {h["id"]: h for h in clientlib.load_manifest(REPO_ROOT / ".pre-commit-hooks.yaml")}
    assert set(manifest) == set(HOOK_IDS.values())
    for kind, hook_id in HOOK_IDS.items():
        entry = manifest[hook_id]
        assert entry["entry"] == f"preupload-guard hook {kind}"
        assert entry["language"] == "python"
        assert entry["pass_filenames"] is False and entry["always_run"] is True
    assert manifest["preupload-guard-release"]["stages"] == ["pre-push"]
    example = REPO_ROOT / "examples" / "pre-commit" / ".pre-commit-config.yaml"
    config = clientlib.load_config(example)
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert set(hooks) == set(HOOK_IDS.values())
    assert hooks["preupload-guard-release"]["stages"] == ["pre-push"]
    assert "additional_dependencies:" in example.read_text()


# -- real pre-commit try-repo runs --------------------------------------------------------

PRE_COMMIT = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
HOOK_IDS = {"dist": "preupload-guard", "release": "preupload-guard-release",
            "version": "preupload-guard-version"}
#: pip's words for "the package registry could not be reached".
_UNREACHABLE = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name",
                "Network is unreachable", "ConnectTimeout", "ReadTimeout", "ProxyError",
                "Connection refused", "No matching distribution found",
                "Could not find a version")
_COPY_SKIP = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "build",
              "dist", "htmlcov"}


@dataclass(frozen=True)
class HookRepo:
    """A committed copy of this repository, and what try-repo needs around it."""

    path: Path
    wheelhouse: Path
    home: Path


def _ignore_for_copy(directory: str, names: list[str]) -> set[str]:
    top = Path(directory) == REPO_ROOT
    return {n for n in names if (n in _COPY_SKIP and (top or n != "dist"))
            or n.startswith(".venv") or n.endswith(".egg-info")}


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> HookRepo:
    """Copy the working tree (try-repo sees only commits; we may not commit here), commit
    it, and fetch every wheel the hook environment needs, once: the registry's only use."""
    if PRE_COMMIT is None:
        pytest.skip("pre-commit is not installed in the test environment")
    base = tmp_path_factory.mktemp("hook-repo")
    copy = base / "preupload-guard"
    shutil.copytree(REPO_ROOT, copy, ignore=_ignore_for_copy)
    git("init", "-q", cwd=copy)
    git("add", "-A", cwd=copy)
    git("commit", "-q", "-m", "copy of the working tree", cwd=copy)
    wheelhouse = base / "wheelhouse"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(wheelhouse),
         str(copy), "hatchling"],
        capture_output=True, text=True, timeout=900,
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        tail = " | ".join(output.strip().splitlines()[-3:])
        if any(word in output for word in _UNREACHABLE):
            pytest.skip(f"the package registry is unreachable, so the hook environment "
                        f"cannot be installed: {tail}")
        pytest.fail(f"pip wheel of the hook repository failed: {output[-3000:]}")
    home = base / "pre-commit-home"
    home.mkdir()
    return HookRepo(copy, wheelhouse, home)


def try_repo(repo: HookRepo, cwd: Path, hook_id: str | None, *extra: str,
             push: str | None = None, configured: bool = False,
             ) -> subprocess.CompletedProcess[str]:
    """``pre-commit try-repo`` in ``cwd``; ``push`` runs the pre-push stage as if pushing
    that branch (pre-commit then sets PRE_COMMIT_LOCAL_BRANCH/REMOTE_BRANCH).

    ``configured`` runs ``pre-commit run`` instead, with a config naming the hook repository
    at its commit, as a user's ``.pre-commit-config.yaml`` does: the same manifest and
    hooks, but pre-commit then keeps the hook environment in ``PRE_COMMIT_HOME`` and
    installs it once per session instead of once per run (about 12 s each).
    """
    assert PRE_COMMIT is not None
    if configured:
        config = repo.home.parent / "pre-commit-config.yaml"
        if not config.exists():
            sha = git("rev-parse", "HEAD", cwd=repo.path).strip()
            hooks = "".join(f"      - id: {hook}\n" for hook in HOOK_IDS.values())
            config.write_text(f"repos:\n  - repo: {repo.path}\n    rev: {sha}\n"
                              f"    hooks:\n{hooks}")
        head = [PRE_COMMIT, "run", "--config", str(config)]
    else:
        head = [PRE_COMMIT, "try-repo", str(repo.path)]
    command = [*head, *([hook_id] if hook_id else []),
               "--all-files", "--verbose", "--color", "never", *extra]
    if push is not None:
        command += ["--hook-stage", "pre-push", "--remote-name", "origin",
                    "--remote-url", "file:///nowhere", "--local-branch", f"refs/heads/{push}",
                    "--remote-branch", f"refs/heads/{push}"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRE_COMMIT")}
    env.update(PRE_COMMIT_HOME=str(repo.home), PIP_NO_INDEX="1",
               PIP_FIND_LINKS=str(repo.wheelhouse), PYTHONWARNINGS="ignore", **GIT_IDENTITY)
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


def git_project(root: Path, version: str, index: FixtureIndex, branch: str) -> Path:
    """A git repository holding the tiny project (committed) and its dist/ (untracked)."""
    project = write_offline_project(root, version, index)
    (project / ".gitignore").write_text("dist/\n__pycache__/\n")
    git("init", "-q", "-b", "main", cwd=project)
    git("add", "-A", cwd=project)
    git("commit", "-q", "-m", "initial", cwd=project)
    if branch != "main":
        git("checkout", "-q", "-b", branch, cwd=project)
    build_project(project, project / "dist")
    return project


@pytest.mark.precommit
def test_try_repo_every_hook_passes_on_a_release_branch(hook_repo: HookRepo, tmp_path: Path,
                                                        guard_index) -> None:
    index = demo_index(guard_index, ("0.0.9", 40))
    project = git_project(tmp_path / "project", "0.1.0", index, "release/1.0")
    dist_before = sorted((p.name, p.stat().st_mtime_ns) for p in (project / "dist").iterdir())
    # Without a hook id, try-repo runs the whole manifest: at pre-push, all three hooks.
    result = try_repo(hook_repo, project, None, push="release/1.0")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for hook_id in HOOK_IDS.values():
        assert f"- hook id: {hook_id}\n" in output
    assert output.count("Passed") == 3
    assert output.count("No refusal predicted") == 3
    assert "skipped:" not in output
    # The release hook built elsewhere: dist/ holds what the test built, untouched.
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (project / "dist").iterdir()) == (
        dist_before)


@pytest.mark.precommit
@pytest.mark.parametrize("kind", ["dist", "release", "version"])
def test_try_repo_hook_fails_on_a_release_branch_with_a_local_version(
    kind: str, hook_repo: HookRepo, tmp_path: Path, guard_index,
) -> None:
    index = demo_index(guard_index, ("0.0.9", 40))
    project = git_project(tmp_path / "project", "0.1.0+local", index, "release/1.0")
    push = "release/1.0" if kind == "release" else None
    result = try_repo(hook_repo, project, HOOK_IDS[kind], push=push, configured=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Failed" in output and f"- hook id: {HOOK_IDS[kind]}\n" in output
    assert "error local-version:" in output
    assert "The use of local versions in '0.1.0+local' is not allowed" in output
    assert index.hits("/simple/upload-demo/") >= 1


@pytest.mark.precommit
@pytest.mark.parametrize("kind", ["dist", "release", "version"])
def test_try_repo_hook_skips_off_release_branches(
    kind: str, hook_repo: HookRepo, tmp_path: Path, guard_index,
) -> None:
    index = demo_index(guard_index, ("0.0.9", 40))
    # Broken on purpose: off a release branch nothing is checked, so nothing fails.
    project = git_project(tmp_path / "project", "0.1.0+local", index, "main")
    push = "main" if kind == "release" else None
    result = try_repo(hook_repo, project, HOOK_IDS[kind], push=push, configured=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Passed" in output
    source = "being pushed" if push else "checked out"
    assert (f"preupload-guard: hook {kind} skipped: branch 'main' ({source}) is not a "
            "release branch (patterns: release/*, release-*, v[0-9]*;") in output
    assert index.hits() == 0
