"""[tool.preupload-guard.plugins.secrets]: allow globs, allowed fingerprints, validation."""

from __future__ import annotations

import re
import zipfile

import pytest
import secrets_support as support
from preupload_guard_secrets.config import SecretsConfig, SecretsConfigError

from preupload_guard.testing import metadata_text


def fixture_files() -> dict[str, bytes]:
    return {
        "tests/fixtures/server.pem": support.private_key().encode(),
        "tests/fixtures/.env": b"A=1\n",
        "tinyproj/real.py": f"T = '{support.github_token()}'\n".encode(),
    }


@pytest.mark.parametrize("pattern", ["tests/fixtures/*", "tests/fixtures/", "*/fixtures/*",
                                     "*fixtures*"])
@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_allow_globs_match_wheel_and_sdist_paths(scan, guard_dists, kind, pattern):
    factory = guard_dists.wheel if kind == "wheel" else guard_dists.sdist
    path = factory(files=fixture_files())
    run = scan(path, allow=[pattern])
    assert run.rules == ["secrets/token"], run.text
    assert "tinyproj/real.py:1" in run.findings[0].message


def test_sdist_paths_match_with_their_top_directory_too(scan, guard_dists):
    path = guard_dists.sdist(files=fixture_files())
    run = scan(path, allow=["tinyproj-1.0.0/tests/fixtures/*"])
    assert run.rules == ["secrets/token"]


def test_a_glob_that_does_not_match_allows_nothing(scan, guard_dists):
    run = scan(guard_dists.wheel(files=fixture_files()), allow=["fixtures/*", "*.PEM"])
    assert sorted(run.rules) == ["secrets/private-key", "secrets/sensitive-file",
                                 "secrets/token"]


def test_allow_secrets_takes_the_printed_fingerprint(scan, guard_dists):
    fake, real = support.github_token(seed=20), support.github_token(seed=21)
    files = {"tests/test_api.py": f"FAKE = '{fake}'\n".encode(),
             "tinyproj/api.py": f"REAL = '{real}'\n".encode(),
             "tinyproj/copy.py": f"AGAIN = '{fake}'\n".encode()}
    path = guard_dists.wheel(files=files)
    first = scan(path)
    assert len(first.findings) == 3
    fake_finding = next(f for f in first.findings if f.message.startswith("tests/test_api.py"))
    fingerprint = re.search(r"sha256:[0-9a-f]{16}", fake_finding.message).group(0)
    assert f'allow-secrets = ["{fingerprint}"]' in fake_finding.hint
    run = scan(path, allow_secrets=[fingerprint.upper().replace("SHA256", "sha256")])
    assert [f.message.split(":")[0] for f in run.findings] == ["tinyproj/api.py"]
    # A shorter (12-digit) prefix is accepted too.
    assert len(scan(path, allow_secrets=[fingerprint[:7 + 12]]).findings) == 1


BAD = {
    "unknown-key": ({"alow": ["x"]}, "unknown key(s) alow"),
    "allow-not-a-list": ({"allow": "tests/*"}, "allow must be a list of strings"),
    "allow-empty-pattern": ({"allow": [" "]}, "empty pattern"),
    "fingerprint-format": ({"allow-secrets": ["ghp_abc"]}, "allow-secrets entries"),
    "fingerprint-too-short": ({"allow-secrets": ["sha256:abc"]}, "at least 12 hex digits"),
    "size": ({"max-member-size": "lots"}, "max-member-size: not a size"),
    "size-zero": ({"max-total-size": 0}, "max-total-size must be larger than 0"),
    "time": ({"time-limit": -1}, "time-limit must be a positive number"),
    "time-bool": ({"time-limit": True}, "time-limit must be a positive number"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_a_plugin_error_naming_the_key(scan, guard_dists, case):
    table, expected = BAD[case]
    with pytest.raises(SecretsConfigError, match=re.escape(expected)):
        SecretsConfig.from_mapping(table)
    run = scan(guard_dists.wheel(), **{k.replace("-", "_"): v for k, v in table.items()})
    (error,) = run.plugin_errors
    assert "'secrets'" in error.message and expected in error.message
    assert "[tool.preupload-guard.plugins.secrets]" in error.message
    assert run.exit_code == 1


def test_config_defaults_and_sizes():
    config = SecretsConfig.from_mapping({"max-member-size": "2 MiB", "max-total-size": 5000,
                                         "time-limit": 1.5})
    assert (config.max_member_size, config.max_total_size, config.time_limit) == (
        2 * 1024 * 1024, 5000, 1.5)
    default = SecretsConfig.from_mapping(None)
    assert default.max_member_size == 64 * 1024 * 1024
    assert default.max_total_size == 1024**3
    assert default.time_limit == 60
    assert not default.allows_member("anything")


def test_zip_sdist_paths_and_a_private_key_fingerprint(scan, guard_dists):
    key = support.private_key("EC ")
    guard_dists.directory.mkdir(parents=True, exist_ok=True)
    path = guard_dists.directory / "tinyproj-1.0.0.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("tinyproj-1.0.0/PKG-INFO", metadata_text("tinyproj", "1.0.0"))
        zf.writestr("tinyproj-1.0.0/tests/data/.env.test", "A=1\n")
        zf.writestr("tinyproj-1.0.0/certs/ec.pem", key)
    run = scan(path)
    assert sorted(f.message.split(": ")[0] for f in run.findings) == [
        "tinyproj-1.0.0/certs/ec.pem:1", "tinyproj-1.0.0/tests/data/.env.test"]
    fingerprint = re.search(r"sha256:[0-9a-f]{16}",
                            run.finding("secrets/private-key").message).group(0)
    assert scan(path, allow=["tests/data/*"], allow_secrets=[fingerprint]).findings == []


def _with_top_directory_entry(path, tmp_path):
    """The sdist again, its first member the top directory itself, as setuptools writes it
    (and as most of the benchmark's sdists start: ``Django-5.1.4``, a directory)."""
    import tarfile

    out = tmp_path / path.name
    with tarfile.open(path) as src, tarfile.open(out, "w:gz") as dst:
        members = src.getmembers()
        top = tarfile.TarInfo(members[0].name.split("/", 1)[0])
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        dst.addfile(top)
        for member in members:
            dst.addfile(member, src.extractfile(member))
    return out


@pytest.mark.parametrize("pattern", ["tests/fixtures/*", "tinyproj-1.0.0/tests/fixtures/*"])
def test_allow_globs_hold_in_an_sdist_that_starts_with_its_directory(scan, guard_dists,
                                                                      tmp_path, pattern):
    # The content scan learns the top directory from the first member it is given, which
    # must be a file: a directory entry named without a slash (tarfile's spelling) would
    # name no top, and the key in tests/fixtures would be reported although allowed.
    path = _with_top_directory_entry(guard_dists.sdist(files=fixture_files()), tmp_path)
    run = scan(path, allow=[pattern])
    assert run.rules == ["secrets/token"], run.text
    assert "tinyproj/real.py:1" in run.findings[0].message
