"""Files reported by their path (sensitive-file), and their harmless look-alikes."""

from __future__ import annotations

import pytest
import secrets_support as support
from preupload_guard_secrets.paths import git_dir, sensitive_name

CERTIFICATE = b"-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n"

SENSITIVE = {
    "tinyproj/.pypirc": b"[pypi]\nusername = __token__\n",
    "tinyproj/.netrc": b"machine example.org login me password pw\n",
    "tinyproj/.env": b"DEBUG=1\n",
    "tinyproj/.env.local": b"DEBUG=1\n",
    "tinyproj/.env.production": b"DEBUG=1\n",
    "tinyproj/keys/id_rsa": b"not really\n",
    "tinyproj/keys/id_ed25519": b"not really\n",
    "tinyproj/keys/id_ecdsa_sk": b"not really\n",
    "tinyproj/.aws/credentials": b"[default]\n",
    "tinyproj/tls/client.p12": b"\x30\x82\x01\x02",
    "tinyproj/tls/client.PFX": b"\x30\x82\x01\x02",
    "tinyproj/tls/server.key": b"\x30\x82\x04\xa4\x02\x01\x00",  # DER: no PEM block
    "tinyproj/tls/server.pem": b"\x30\x82\x04\xa4\x02\x01\x00",
}

HARMLESS = {
    "tinyproj/.env.example": b"API_KEY=\n",
    "tinyproj/.env.sample": b"API_KEY=\n",
    "tinyproj/.env.template": b"API_KEY=\n",
    "tinyproj/.env.dist": b"API_KEY=\n",
    "tinyproj/environment.py": b"x = 1\n",
    "tinyproj/prod.env.py": b"x = 1\n",
    "tinyproj/keys/id_rsa.pub": b"ssh-rsa AAAA me@host\n",
    "tinyproj/keys/id_ed25519.pub": b"ssh-ed25519 AAAA me@host\n",
    "tinyproj/id_rsa_test.py": b"x = 1\n",
    "tinyproj/cacert.pem": CERTIFICATE * 3,
    "tinyproj/public.key": b"-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZI\n",
    "tinyproj/empty.pem": b"",
    "tinyproj/credentials": b"not under .aws\n",
    "tinyproj/.gitignore": b"*.pyc\n",
    "tinyproj/.github/workflows/ci.yml": b"on: push\n",
    "tinyproj/git/config": b"[core]\n",
    "tinyproj/vendored/.git": b"gitdir: ../.git/modules/vendored\n",  # a gitlink file
    "tinyproj/pypirc.example": b"[pypi]\n",
}


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize("member", sorted(SENSITIVE))
def test_sensitive_files_are_reported(scan, guard_dists, kind, member):
    files = {member: SENSITIVE[member]}
    path = guard_dists.wheel(files=files) if kind == "wheel" else guard_dists.sdist(files=files)
    run = scan(path)
    assert run.rules == ["secrets/sensitive-file"], run.text
    shown = member if kind == "wheel" else f"tinyproj-1.0.0/{member}"
    assert run.findings[0].message.startswith(f"{shown}: ")
    assert run.exit_code == 1


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_look_alikes_are_not_reported(scan, guard_dists, kind):
    factory = guard_dists.wheel if kind == "wheel" else guard_dists.sdist
    run = scan(factory(files=HARMLESS))
    assert run.findings == [], run.text


def test_a_pem_with_a_private_key_is_reported_once_as_a_private_key(scan, guard_dists):
    pem = CERTIFICATE + support.private_key("").encode()
    run = scan(guard_dists.wheel(files={"tinyproj/server.pem": pem}))
    assert run.rules == ["secrets/private-key"]
    assert run.findings[0].message.startswith("tinyproj/server.pem:4: private key")


def test_a_git_directory_is_one_finding_per_repository(scan, guard_dists):
    files = {f"tinyproj/.git/objects/{i:02x}/abcdef": b"x" for i in range(30)}
    files["tinyproj/.git/config"] = b"[remote]\n"
    files["vendor/lib/.git/HEAD"] = b"ref: refs/heads/main\n"
    run = scan(guard_dists.sdist(files=files))
    assert sorted(f.message.split(":")[0] for f in run.findings) == [
        "tinyproj-1.0.0/tinyproj/.git/", "tinyproj-1.0.0/vendor/lib/.git/"]
    counts = sorted(f.message.split("(")[1].split(")")[0] for f in run.findings)
    assert counts == ["1 member", "31 members"]


def test_path_helpers():
    assert git_dir("a/.git/config") == "a/.git"
    assert git_dir(".git/") == ".git"
    assert git_dir("a/.git", is_dir=True) == "a/.git"
    assert git_dir("a/.git") is None  # a gitlink file
    assert git_dir("a/.github/x") is None
    assert sensitive_name("A/.ENV") is not None
    assert sensitive_name("a/.env.Example") is None
    assert sensitive_name("a/id_rsa.pub") is None
