"""`token-scope` in `preupload-guard upload`: caught before upload, and never printed.

The target is the fixture index's Warehouse-style ``…/legacy/`` endpoint (the token rules
only apply where PyPI's tokens mean something). Every test then searches stdout, stderr,
the ``--guard-output`` report, the ledger and every file in the cache for any 12-character
piece of the token: none may appear.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel

from test_credentials import mint
from test_upload import guard
from upload_server import UploadServer

NOW = datetime.now(timezone.utc)


def assert_no_token_text(token: str, *texts: str, files: list[Path] = ()) -> None:  # type: ignore[assignment]
    body = token.removeprefix("pypi-")
    pieces = {body[i : i + 12] for i in range(len(body) - 12)}
    everything = list(texts) + [p.read_text(errors="replace") for p in files]
    for text in everything:
        assert token not in text
        leaked = [piece for piece in pieces if piece in text]
        assert not leaked, f"token text in output: {leaked[:3]}"


@pytest.fixture
def setup(tmp_path: Path, guard_index):  # type: ignore[no-untyped-def]
    """A wheel of tinyproj, and an index that already has it byte for byte (so that a run
    whose token passes ends without uploading: the fixture index accepts no uploads)."""
    dist = tmp_path / "dist"
    dist.mkdir()
    wheel = make_wheel(dist)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile(wheel.name, content=wheel.read_bytes(), upload_time=NOW)])])
    home = tmp_path / "home"
    home.mkdir()
    return dist, index, home


def run(tmp_path: Path, index, home: Path, *args: str, env=None):  # type: ignore[no-untyped-def]
    return guard("upload", "--repository-url", index.legacy_url, "--guard-format", "json",
                 "--guard-output", str(tmp_path / "report.json"),
                 "--guard-history", str(tmp_path / "ledger"), *args, "dist/*",
                 cwd=tmp_path, home=home, env=env)


def everything_written(tmp_path: Path) -> list[Path]:
    return [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix not in (".whl",)]


def token_findings(result) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [f for f in json.loads(result.stdout)["findings"] if f["rule"] == "token-scope"]


def test_wrong_project_token_is_caught_before_upload(tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    _dist, index, home = setup
    host = "127.0.0.1"
    token = mint([1, ["someone-else"]], [2, ["7a3f"]], location=host)
    result = run(tmp_path, index, home, "-u", "__token__", "-p", token)
    assert result.returncode == 1, result.stdout + result.stderr
    [finding] = token_findings(result)
    assert finding["severity"] == "error"
    assert "scoped to 'someone-else', not to 'tinyproj'" in finding["message"]
    assert "project-scoped token is not valid for project: 'tinyproj'" in finding["message"]
    assert "from --password or TWINE_PASSWORD" in finding["message"]
    assert "nothing was uploaded" in result.stderr
    assert "Uploading" not in result.stdout + result.stderr  # twine never ran
    assert_no_token_text(token, result.stdout, result.stderr,
                         files=everything_written(tmp_path))


def test_expired_token_from_the_environment(tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    _dist, index, home = setup
    expired = int((NOW - timedelta(days=2)).timestamp())
    token = mint([0, expired, expired - 3600], location="127.0.0.1")
    result = run(tmp_path, index, home,
                 env={"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": token})
    assert result.returncode == 1
    [finding] = token_findings(result)
    assert "expired on" in finding["message"]
    assert "token is expired" in finding["message"]
    assert_no_token_text(token, result.stdout, result.stderr,
                         files=everything_written(tmp_path))


def test_token_from_pypirc_minted_by_another_index(tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    _dist, index, home = setup
    token = mint([1, ["tinyproj"]], location="index.example")
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    fixture\n\n"
        f"[fixture]\nrepository = {index.legacy_url}\nusername = __token__\n"
        f"password = {token}\n")
    result = guard("upload", "-r", "fixture", "--guard-format", "json",
                   "--guard-history", str(tmp_path / "ledger"), "dist/*",
                   cwd=tmp_path, home=home)
    assert result.returncode == 1, result.stdout + result.stderr
    [finding] = token_findings(result)
    assert "created on index.example, but the upload goes to 127.0.0.1" in finding["message"]
    assert "(from the .pypirc)" in finding["message"]
    assert_no_token_text(token, result.stdout, result.stderr)


def test_matching_token_passes(tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    _dist, index, home = setup
    later = int((NOW + timedelta(days=30)).timestamp())
    token = mint([0, later, 0], [1, ["tinyproj"]], location="127.0.0.1")
    result = run(tmp_path, index, home, "-p", token)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert token_findings(result) == []
    assert "token-scope" not in {s["rule"] for s in report["skipped"]}
    assert "nothing to upload" in result.stderr
    assert_no_token_text(token, result.stdout, result.stderr,
                         files=everything_written(tmp_path))


@pytest.mark.parametrize("password, reason", [
    ("pypi-this.is/not*a~macaroon", "could not be read"),
    ("hunter2", "not an API token"),
])
def test_unreadable_or_plain_passwords_are_skipped(tmp_path: Path, setup, password: str,  # type: ignore[no-untyped-def]
                                                   reason: str) -> None:
    _dist, index, home = setup
    result = run(tmp_path, index, home, "-p", password)
    assert result.returncode == 0, result.stdout + result.stderr
    skipped = {s["rule"]: s["reason"] for s in json.loads(result.stdout)["skipped"]}
    assert reason in skipped["token-scope"]
    assert password not in result.stdout + result.stderr


def test_no_password_is_left_to_twine(tmp_path: Path, setup) -> None:  # type: ignore[no-untyped-def]
    _dist, index, home = setup
    result = run(tmp_path, index, home)
    skipped = {s["rule"]: s["reason"] for s in json.loads(result.stdout)["skipped"]}
    assert "left to twine" in skipped["token-scope"]


def test_tokens_reach_twine_untouched(tmp_path: Path) -> None:
    """An undecodable token and a readable one both arrive at the server byte for byte."""
    from passlib.apache import HtpasswdFile

    later = int((NOW + timedelta(days=1)).timestamp())
    for n, token in enumerate(["pypi-AgEIcHlwaS5vcmc-garbled-but-passed-on",
                               mint([0, later, 0], [1, ["tinyproj"]], location="127.0.0.1")]):
        work = tmp_path / str(n)
        dist = work / "dist"
        dist.mkdir(parents=True)
        make_wheel(dist)
        home = work / "home"
        home.mkdir()
        htpasswd = work / "htpasswd"
        users = HtpasswdFile(str(htpasswd), new=True)
        users.set_password("__token__", token)
        users.save()
        with UploadServer(work / "packages", htpasswd=htpasswd) as server:
            result = guard("upload", "--repository-url", server.url, "--guard-history",
                           str(work / "ledger"), "--guard-format", "json", "dist/*",
                           cwd=work, home=home,
                           env={"TWINE_USERNAME": "__token__", "TWINE_PASSWORD": token})
            assert result.returncode == 0, result.stdout + result.stderr
            assert server.stored == ["tinyproj-1.0.0-py3-none-any.whl"]
        skipped = {s["rule"]: s["reason"] for s in json.loads(result.stdout)["skipped"]}
        assert "not a Warehouse-style index" in skipped["token-scope"]
        assert "Uploading tinyproj-1.0.0-py3-none-any.whl" in result.stderr  # twine's output
        assert_no_token_text(token, result.stdout, result.stderr)
