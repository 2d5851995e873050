"""Each secret kind, in a wheel and in an sdist: found, located, and masked."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
import secrets_support as support
from preupload_guard_secrets.detectors import DETECTORS, Secret

from preupload_guard.testing import DistFactory

MEMBER = "tinyproj/settings.py"


@dataclass(frozen=True)
class Case:
    rule: str
    label: str
    secret: Callable[[], str]
    template: str  # {s} is the secret; the secret is on line 3
    shown: int  # characters of the secret a finding may show


CASES = {
    "pypi": Case("token", "PyPI API token", support.pypi_token,
                 "# settings\n\nTOKEN = '{s}'\n", len("pypi-" + support.PYPI_LOCATION) + 4),
    "testpypi": Case("token", "TestPyPI API token", lambda: support.pypi_token(test=True),
                     "[testpypi]\nusername = __token__\npassword = {s}\n",
                     len("pypi-" + support.TESTPYPI_LOCATION) + 4),
    "github": Case("token", "GitHub personal access token", support.github_token,
                   "import os\n\nGH = \"{s}\"  # oops\n", 8),
    "github-actions": Case("token", "GitHub server-to-server token",
                           lambda: support.github_token("s"), "a\nb\n{s}\n", 8),
    "github-fine-grained": Case("token", "GitHub fine-grained personal access token",
                                support.github_pat, "x = 1\n\nheaders = {{'a': 'token {s}'}}\n",
                                len("github_pat_") + 4),
    "aws-id": Case("aws-key", "AWS access key id (long-term)", support.aws_key_id,
                   "[default]\nregion = eu-west-1\naws_access_key_id = {s}\n", 8),
    "aws-temporary-id": Case("aws-key", "AWS access key id (temporary)",
                             lambda: support.aws_key_id(prefix="ASIA"),
                             "{{\n  \"x\": 1,\n  \"AccessKeyId\": \"{s}\"}}\n", 8),
    "aws-secret": Case("aws-key", "AWS secret access key", support.aws_secret,
                       "[default]\n\naws_secret_access_key = {s}\n", 4),
    "aws-secret-json": Case("aws-key", "AWS secret access key", support.aws_secret,
                            '{{\n  "Credentials": {{\n    "SecretAccessKey": "{s}",\n', 4),
}


def _dist(guard_dists: DistFactory, kind: str, content: bytes, member: str = MEMBER):
    files = {member: content, "tinyproj/__init__.py": b""}
    if kind == "wheel":
        return guard_dists.wheel(files=files), member
    return guard_dists.sdist(files=files), f"tinyproj-1.0.0/{member}"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize("case_id", sorted(CASES))
def test_secret_found_with_member_line_and_mask(scan, guard_dists, kind, case_id):
    case = CASES[case_id]
    secret = case.secret()
    path, member = _dist(guard_dists, kind, case.template.format(s=secret).encode())
    run = scan(path)
    assert run.rules == [f"secrets/{case.rule}"], run.text
    finding = run.findings[0]
    assert finding.file == path.name
    shown = secret[: case.shown]
    assert finding.message.startswith(f"{member}:3: {case.label} {shown}…")
    assert f"({len(secret)} chars, sha256:" in finding.message
    support.assert_masked(run, secret, case.shown)
    assert run.exit_code == 1
    assert run.plugin_errors == []


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
@pytest.mark.parametrize(("label", "newline"), [("RSA ", "\n"), ("OPENSSH ", "\n"),
                                                 ("", "\\n"), ("EC ", "\r\n"),
                                                 ("ENCRYPTED ", "\n")])
def test_private_key(scan, guard_dists, kind, label, newline):
    key = support.private_key(label, newline=newline)
    content = f'{{\n  "type": "service_account",\n  "private_key": "{key}"\n}}\n'
    if newline != "\\n":
        content = "# a key\n\n" + key
    path, member = _dist(guard_dists, kind, content.encode(), "tinyproj/data/key.txt")
    run = scan(path)
    assert run.rules == ["secrets/private-key"], run.text
    message = run.findings[0].message
    kind_label = label + "PRIVATE" + " KEY"
    assert message.startswith(
        f"{member}:3: private key ({kind_label}) -----BEGIN {kind_label}----- "
        "(key material not shown, sha256:")
    printed = support.everything_printed(run)
    for line in support.private_key_body().splitlines():
        assert line[:12] not in printed


def test_pgp_private_key_block_with_armor_headers(scan, guard_dists):
    body = support.private_key_body(seed=9)
    block = ("-----BEGIN PGP PRIVATE" + " KEY BLOCK-----\nVersion: GnuPG v2\n"
             "Comment: test\n\n" + body + "\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----\n")
    path = guard_dists.wheel(files={"tinyproj/k.asc": block.encode()})
    run = scan(path)
    assert run.rules == ["secrets/private-key"]
    assert "tinyproj/k.asc:1: private key (PGP PRIVATE KEY BLOCK)" in run.findings[0].message


def test_a_private_key_header_without_key_material_is_not_reported(scan, guard_dists):
    code = (b'PEM_HEADER = "-----BEGIN RSA PRIVATE' + b' KEY-----"\n'
            b'if line == "-----BEGIN OPENSSH PRIVATE' + b' KEY-----":\n    parse()\n')
    path = guard_dists.wheel(files={"tinyproj/keys.py": code})
    assert scan(path).findings == []


def test_aws_documented_examples_are_ignored(scan, guard_dists):
    text = ("aws_access_key_id = AKIA" + "IOSFODNN7EXAMPLE\n"
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY\n"
            "--access-key AKIA" + "EXAMPLE123456789\n")
    path = guard_dists.wheel(files={"tinyproj/docs.txt": text.encode()})
    assert scan(path).findings == []


LOOK_ALIKES = {
    "inside-a-word": "x" + support.github_token(),
    "github-too-short": support.github_token()[:-1],
    "github-underscore-after": support.github_token() + "_x",
    "aws-lower-case": "AKIA" + "abcdefghijklmnop",
    "aws-inside-a-word": "XAKIA" + "ABCDEFGHIJKLMNOP",
    "aws-too-long": support.aws_key_id() + "Q",
    "pypi-too-short": "pypi-" + "AgE" + "short",
    "github-pat-too-short": "github" + "_pat_" + "tooshort",
    "aws-secret-too-short": "aws_secret_access_key = " + "a" * 39,
    "aws-secret-too-long": "aws_secret_access_key = " + "a" * 41,
    "aws-secret-unnamed": "secret = " + "a" * 40,
}


@pytest.mark.parametrize("text", list(LOOK_ALIKES.values()), ids=list(LOOK_ALIKES))
def test_look_alikes_are_not_reported(scan, guard_dists, text):
    path = guard_dists.wheel(files={"tinyproj/x.py": f"v = '{text}'\n".encode()})
    assert scan(path).findings == []


def test_binary_member_reports_a_byte_offset(scan, guard_dists):
    token = support.github_token()
    blob = b"\x7fELF\x00\x01" + b"\x00" * 100 + token.encode() + b"\x00" * 10
    path = guard_dists.wheel(files={"tinyproj/_ext.so": blob})
    run = scan(path)
    assert run.findings[0].message.startswith(
        "tinyproj/_ext.so (byte offset 106): GitHub personal access token")


def test_several_secrets_one_finding_each_in_order(scan, guard_dists):
    a, b = support.github_token(seed=10), support.github_token(seed=11)
    text = f"{a}\n{b}\n\n{a}\n{support.aws_key_id()}\n"
    run = scan(guard_dists.wheel(files={"tinyproj/many.txt": text.encode()}))
    messages = sorted(f.message for f in run.findings)
    assert [m.split(": ", 1)[0] for m in messages] == [
        "tinyproj/many.txt:1", "tinyproj/many.txt:2", "tinyproj/many.txt:4",
        "tinyproj/many.txt:5"]
    # Same value, same fingerprint; different values, different ones.
    prints = {m.split(":")[1]: m.rsplit("sha256:", 1)[1] for m in messages}
    assert prints["1"] == prints["4"] != prints["2"]


def test_secret_found_in_dist_info_and_metadata(scan, guard_dists):
    token = support.github_token()
    meta = ("Metadata-Version: 2.1\nName: tinyproj\nVersion: 1.0.0\n\n"
            f"Use the token {token} to log in.\n")
    run = scan(guard_dists.wheel(metadata=meta))
    assert run.findings[0].message.startswith(
        "tinyproj-1.0.0.dist-info/METADATA:5: GitHub personal access token")


def test_the_json_report_carries_masked_findings(scan, guard_dists):
    token = support.pypi_token()
    run = scan(guard_dists.wheel(files={MEMBER: f"T = '{token}'\n".encode()}))
    (finding,) = run.json["findings"]
    assert finding["rule"] == "secrets/token" and finding["severity"] == "error"
    assert token not in json.dumps(run.json)
    assert 'allow-secrets = ["sha256:' in finding["hint"]


def test_secret_fingerprint_is_short():
    secret = Secret("x", "ab…", 10, "0123456789abcdef" * 4)
    assert secret.short_fingerprint == "sha256:0123456789abcdef"
    # Every pattern starts with a literal: re then finds candidates with a fast search.
    assert all(d.regex.pattern[:1] not in b"([\\.^" for d in DETECTORS)
