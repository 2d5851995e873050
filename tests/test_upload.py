"""`preupload-guard upload` end to end: real build, real twine, a real pypiserver index.

Every test runs the installed command in a subprocess, which runs twine's own command line
against pypiserver on 127.0.0.1. The server counts the upload POSTs it receives, so "stopped
before any network upload" is measured, not assumed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from preupload_guard.index.history import History

from projects import build_project, write_project
from test_cli import COMMAND
from upload_server import UploadServer

WHEEL = "upload_demo-0.1.0-py3-none-any.whl"
SDIST = "upload_demo-0.1.0.tar.gz"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two real builds of upload-demo 0.1.0 whose files differ in content, not in name."""
    root = tmp_path_factory.mktemp("builds")
    first = build_project(write_project(root / "src-a"), root / "dist-a")
    second = build_project(write_project(root / "src-b", body="VALUE = 2\n"), root / "dist-b")
    assert [p.name for p in first] == [p.name for p in second] == [WHEEL, SDIST]
    return {"a": first[0].parent, "b": second[0].parent}


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A home directory without a .pypirc, so that only what a test writes is configured."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def guard(*args: str, cwd: Path, home: Path,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, "HOME": str(home), "PYTHONWARNINGS": "ignore",
            "TWINE_NON_INTERACTIVE": "1", **(env or {})}
    for name in ("TWINE_REPOSITORY", "TWINE_REPOSITORY_URL", "TWINE_USERNAME",
                 "TWINE_PASSWORD"):
        if name not in (env or {}):
            full.pop(name, None)
    return subprocess.run([COMMAND, *args], cwd=cwd, env=full, capture_output=True,
                          text=True, timeout=180)


def copy_dist(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


def ledger(path: Path) -> list[str]:
    return sorted(History(path).filenames) if path.exists() else []


def test_upload_then_rerun_never_sends_again(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    dist = copy_dist(built["a"], tmp_path / "dist")
    history = tmp_path / ".pypi-history"
    with UploadServer(tmp_path / "packages") as server:
        common = ["--repository-url", server.url, "-u", "someone", "-p", "secret",
                  "--guard-history", str(history)]

        first = guard("upload", *common, "dist/*", cwd=tmp_path, home=home)
        assert first.returncode == 0, first.stdout + first.stderr
        assert server.stored == [WHEEL, SDIST]
        assert server.posts == 2
        assert ledger(history) == [WHEEL, SDIST]
        assert "recorded 2 uploaded filename(s)" in first.stderr

        # Same files again: PyPI would answer 200 and store nothing; nothing is sent.
        again = guard("upload", *common, "dist/*", cwd=tmp_path, home=home)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "identical-file" in again.stdout
        assert "nothing to upload" in again.stderr
        assert server.posts == 2

        # Ignoring the rule changes the report, not what is sent.
        ignored = guard("upload", *common, "--guard-ignore", "identical-file", "dist/*",
                        cwd=tmp_path, home=home)
        assert ignored.returncode == 0, ignored.stdout + ignored.stderr
        assert "identical-file" not in ignored.stdout
        assert server.posts == 2

        # Same with --skip-existing, which twine refuses for this URL: twine never runs.
        skip = guard("upload", *common, "--skip-existing", "dist/*", cwd=tmp_path, home=home)
        assert skip.returncode == 0, skip.stdout + skip.stderr
        assert server.posts == 2

        # Same names, other bytes: an error, and nothing is sent (--skip-existing or not).
        other = copy_dist(built["b"], tmp_path / "other")
        for extra in ([], ["--skip-existing"]):
            changed = guard("upload", *common, *extra, str(other), cwd=tmp_path, home=home)
            assert changed.returncode == 1, changed.stdout + changed.stderr
            assert "file-exists" in changed.stdout
            assert "nothing was uploaded" in changed.stderr
        assert server.posts == 2

        # The file deleted from the index: its name is still used, as the ledger knows.
        (server.packages / WHEEL).unlink()
        reused = guard("upload", *common, "--guard-format", "json", str(dist / WHEEL),
                       cwd=tmp_path, home=home)
        assert reused.returncode == 1, reused.stdout + reused.stderr
        report = json.loads(reused.stdout)
        assert [f["rule"] for f in report["findings"] if f["severity"] == "error"] == [
            "filename-reused"]
        assert server.posts == 2


def test_refusal_mid_batch_records_exactly_what_landed(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    copy_dist(built["a"], tmp_path / "dist")
    history = tmp_path / ".pypi-history"
    with UploadServer(tmp_path / "packages") as server:
        server.refuse([2])  # the sdist, sent after the wheel
        result = guard("upload", "--repository-url", server.url, "-u", "x", "-p", "y",
                       "--guard-history", str(history), "dist", cwd=tmp_path, home=home)
        assert result.returncode == 3, result.stdout + result.stderr
        assert server.posts == 2
        assert server.stored == [WHEEL]
        assert ledger(history) == [WHEEL]
        assert f"1 of 2 file(s) landed: {WHEEL}; not uploaded: {SDIST}" in result.stderr

        # The rest goes up on the next run; the wheel is not sent again.
        server.refuse([])
        rest = guard("upload", "--repository-url", server.url, "-u", "x", "-p", "y",
                     "--guard-history", str(history), "dist", cwd=tmp_path, home=home)
        assert rest.returncode == 0, rest.stdout + rest.stderr
        assert server.posts == 3
        assert server.stored == [WHEEL, SDIST]
        assert ledger(history) == [WHEEL, SDIST]
        assert f"not sending {WHEEL}" in rest.stderr


def test_refusal_of_the_first_file_records_nothing(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    copy_dist(built["a"], tmp_path / "dist")
    history = tmp_path / "ledger.txt"
    with UploadServer(tmp_path / "packages") as server:
        server.refuse([1], "403 Forbidden", b"not allowed")
        result = guard("upload", "--repository-url", server.url, "-u", "x", "-p", "y",
                       "--guard-history", str(history), "dist/*", cwd=tmp_path, home=home)
    assert result.returncode == 3
    assert server.stored == []
    assert ledger(history) == []
    assert "0 of 2 file(s) landed" in result.stderr


def test_signatures_travel_with_their_file(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    """twine pairs FILE.asc with FILE; a file not sent takes its signature with it."""
    dist = copy_dist(built["a"], tmp_path / "dist")
    with UploadServer(tmp_path / "packages") as server:
        (server.packages / WHEEL).write_bytes((dist / WHEEL).read_bytes())
        (dist / f"{SDIST}.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
        (dist / f"{WHEEL}.asc").write_text("-----BEGIN PGP SIGNATURE-----\n")
        result = guard("upload", "--repository-url", server.url, "-u", "x", "-p", "y",
                       "--guard-history", str(tmp_path / "h"), "--verbose", "dist/*",
                       cwd=tmp_path, home=home)
        assert result.returncode == 0, result.stdout + result.stderr
        assert server.posts == 1
        assert server.stored == [WHEEL, SDIST, f"{SDIST}.asc"]


def test_pyproject_target_is_what_twine_uploads_to(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    """`repository` in [tool.preupload-guard] is checked *and* passed on to twine."""
    copy_dist(built["a"], tmp_path / "dist")
    with UploadServer(tmp_path / "packages") as server:
        (home / ".pypirc").write_text(
            "[distutils]\nindex-servers =\n    local\n\n"
            f"[local]\nrepository = {server.url}\nusername = someone\npassword = secret\n")
        (tmp_path / "pyproject.toml").write_text(
            '[tool.preupload-guard]\nrepository = "local"\nhistory = ".pypi-history"\n')
        result = guard("upload", "dist/*", cwd=tmp_path, home=home)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "uploading to local (--repository from [tool.preupload-guard])" in result.stderr
        assert server.stored == [WHEEL, SDIST]
        # The ledger of the table's own target is the configured file itself.
        assert ledger(tmp_path / ".pypi-history") == [WHEEL, SDIST]


def test_ledger_is_kept_per_index(tmp_path: Path, home: Path, built: dict[str, Path]) -> None:
    """Uploading to a second index ("TestPyPI first") leaves the main index's ledger alone."""
    copy_dist(built["a"], tmp_path / "dist")
    with UploadServer(tmp_path / "main") as main, UploadServer(tmp_path / "staging") as staging:
        (home / ".pypirc").write_text(
            "[distutils]\nindex-servers =\n    main\n    staging\n\n"
            f"[main]\nrepository = {main.url}\nusername = u\npassword = p\n\n"
            f"[staging]\nrepository = {staging.url}\nusername = u\npassword = p\n")
        (tmp_path / "pyproject.toml").write_text(
            '[tool.preupload-guard]\nrepository = "main"\nhistory = ".pypi-history"\n')
        first = guard("upload", "-r", "staging", "dist/*", cwd=tmp_path, home=home)
        assert first.returncode == 0, first.stdout + first.stderr
        assert staging.stored == [WHEEL, SDIST] and main.stored == []
        assert ledger(tmp_path / ".pypi-history.staging") == [WHEEL, SDIST]
        assert not (tmp_path / ".pypi-history").exists()

        then = guard("upload", "dist/*", cwd=tmp_path, home=home)
        assert then.returncode == 0, then.stdout + then.stderr
        assert main.stored == [WHEEL, SDIST]
        assert ledger(tmp_path / ".pypi-history") == [WHEEL, SDIST]


def test_help_shows_twine_options_and_ours(tmp_path: Path, home: Path) -> None:
    result = guard("upload", "--help", cwd=tmp_path, home=home)
    assert result.returncode == 0
    for option in ("--repository-url", "--skip-existing", "--sign", "--attestations",
                   "--username", "--password", "--non-interactive", "--guard-upload-limit",
                   "--guard-history", "--guard-offline", "--guard-format", "--guard-plugin"):
        assert option in result.stdout, option
    assert "TWINE_PASSWORD" in result.stdout  # twine's own help text
    assert "--upload-limit " not in result.stdout


def test_usage_errors_exit_two(tmp_path: Path, home: Path) -> None:
    result = guard("upload", "--repository-url", "http://127.0.0.1:9/", "missing/*",
                   cwd=tmp_path, home=home)
    assert result.returncode == 2
    assert "cannot find file" in result.stderr
    assert "Traceback" not in result.stderr
    unknown = guard("upload", "--guard-nope", "x", cwd=tmp_path, home=home)
    assert unknown.returncode == 2
    assert "unrecognized arguments" in unknown.stderr


def test_unreachable_index_uploads_nothing(
    tmp_path: Path, home: Path, built: dict[str, Path]
) -> None:
    copy_dist(built["a"], tmp_path / "dist")
    result = guard("upload", "--repository-url", "http://127.0.0.1:9/", "-u", "x", "-p", "y",
                   "--guard-timeout", "2", "dist/*", cwd=tmp_path, home=home)
    assert result.returncode == 1
    assert "index-unreachable" in result.stdout
    assert "nothing was uploaded" in result.stderr
