"""Bounds (size, total, time), large members, and damaged archives: never silent, never a crash."""

from __future__ import annotations

import itertools
import zipfile

import preupload_guard_secrets.scan as scan_module
import pytest
import secrets_support as support
from preupload_guard_secrets.config import SecretsConfig
from preupload_guard_secrets.scan import CHUNK, scan_artifact

from preupload_guard import Artifact


def lines(size: int) -> bytes:
    line = b"y" * 63 + b"\n"
    return (line * (size // 64 + 1))[:size]


def test_secret_across_the_1mib_read_boundary_in_a_real_wheel(scan, guard_dists):
    token = support.github_token().encode()
    head = lines(CHUNK - 20) + b" "
    member = head + token + b"\n" + lines(CHUNK)
    run = scan(guard_dists.wheel(files={"tinyproj/big.txt": member}))
    (finding,) = run.findings
    line = head.count(b"\n") + 1
    assert finding.message.startswith(f"tinyproj/big.txt:{line}: GitHub personal access token")


def test_max_member_size_scans_the_start_and_says_so(scan, guard_dists):
    early, late = support.github_token(seed=30), support.github_token(seed=31)
    member = f"{early}\n".encode() + lines(3000) + f"{late}\n".encode()
    path = guard_dists.wheel(files={"tinyproj/data.txt": member,
                                    "tinyproj/small.txt": b"ok\n"})
    run = scan(path, max_member_size=2048)
    assert sorted(run.rules) == ["secrets/scan-incomplete", "secrets/token"]
    assert run.finding("secrets/token").message.startswith("tinyproj/data.txt:1:")
    incomplete = run.finding("secrets/scan-incomplete")
    assert incomplete.message == (
        "1 member scanned only up to max-member-size (2 KiB): tinyproj/data.txt (3 KiB)")
    assert incomplete.severity.value == "warning"
    assert run.exit_code == 1  # because of the token; scan-incomplete alone is a warning


def test_a_member_of_exactly_the_limit_is_complete(scan, guard_dists):
    run = scan(guard_dists.wheel(files={"tinyproj/data.txt": lines(2048)}),
               max_member_size=2048)
    assert run.findings == []


def test_max_total_size_stops_and_names_what_was_not_scanned(scan, guard_dists):
    token = support.github_token()
    files = {f"tinyproj/part{i}.txt": lines(4000) for i in range(4)}
    files["tinyproj/zz_last.py"] = f"T = '{token}'\n".encode()
    run = scan(guard_dists.sdist(files=files), max_total_size=10_000)
    assert run.rules == ["secrets/scan-incomplete"]
    message = run.finding("secrets/scan-incomplete").message
    assert message.startswith("scanning stopped because max-total-size (9.8 KiB) was reached; ")
    assert "tinyproj-1.0.0/tinyproj/part2.txt was scanned only in part" in message
    assert "not scanned: tinyproj-1.0.0/tinyproj/part3.txt, tinyproj-1.0.0/tinyproj/zz_last.py"\
        in message
    assert run.exit_code == 0


def test_time_limit_stops_and_names_what_was_not_scanned(scan, guard_dists, monkeypatch):
    ticks = itertools.count()
    monkeypatch.setattr(scan_module, "monotonic", lambda: float(next(ticks)))
    files = {f"tinyproj/m{i}.txt": b"text\n" for i in range(8)}
    files["tinyproj/zz.pem"] = b"\x30\x82"
    run = scan(guard_dists.wheel(files=files), time_limit=2.5)
    message = run.finding("secrets/scan-incomplete").message
    assert message.startswith("scanning stopped because the time limit (2.5 s, time-limit) was "
                              "reached; ")
    assert "members (" in message and "not scanned: " in message and "and " in message
    # A .pem whose content was never seen cannot be cleared: reported by name.
    assert "tinyproj/zz.pem: a .pem/.key file whose content was not scanned" in [
        f.message for f in run.findings_of("secrets/sensitive-file")]


def test_findings_are_capped_per_member_and_per_file(scan, guard_dists):
    token = support.github_token()
    one = f"{token}\n".encode() * 12
    run = scan(guard_dists.wheel(files={f"tinyproj/m{i:02}.txt": one for i in range(11)}))
    findings = run.findings_of("secrets/token")
    assert len(findings) == 101
    assert sum("2 more tokens in this member not listed" in f.message for f in findings) == 9
    # 9 members listed in full (10 + "2 more"), 1 hit of the 10th; the rest counted.
    assert findings[-1].message.startswith("23 more tokens not listed")


def test_truncated_archives_do_not_crash_and_stay_quiet(scan, guard_dists):
    token = support.github_token()
    files = {"tinyproj/x.py": f"T = '{token}'\n".encode() + lines(50_000)}
    for path in (guard_dists.wheel(files=files), guard_dists.sdist(files=files)):
        cut = guard_dists.truncated(path, keep=path.stat().st_size // 2)
        run = scan(cut, select=["all"])
        assert run.plugin_errors == []
        assert not [r for r in run.rules if r.startswith("secrets/")]
        assert "invalid-archive" in run.rules  # the core says why


def test_a_corrupt_member_is_named_and_the_other_members_are_still_scanned(scan, guard_dists):
    token = support.github_token()
    files = {"tinyproj/a_broken.bin": lines(5000),
             "tinyproj/b_fine.py": f"T = '{token}'\n".encode()}
    path = guard_dists.wheel(files=files, compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    at = data.index(lines(5000)[:200]) + 2000
    data[at] ^= 0xFF  # stored bytes changed: the CRC check fails at the end of the read
    path.write_bytes(bytes(data))
    run = scan(path)
    assert run.plugin_errors == []
    assert sorted(run.rules) == ["secrets/scan-incomplete", "secrets/token"]
    assert run.finding("secrets/scan-incomplete").message.startswith(
        "1 member could not be read to the end: tinyproj/a_broken.bin (Bad CRC-32")
    assert run.finding("secrets/token").message.startswith("tinyproj/b_fine.py:1:")


def test_not_an_archive_is_left_to_the_core(scan, guard_dists):
    path = guard_dists.sized("tinyproj-1.0.0-py3-none-any.whl", 1000)
    run = scan(path, select=["all"])
    assert run.plugin_errors == []
    assert not [r for r in run.rules if r.startswith("secrets/")]


def test_scan_incomplete_is_never_hidden_by_the_findings_cap(scan, guard_dists):
    token = support.github_token()
    one = f"{token}\n".encode() * 10
    files = {f"tinyproj/m{i:02}.txt": one for i in range(12)}
    files["tinyproj/zz_big.txt"] = lines(5000)
    run = scan(guard_dists.wheel(files=files), max_member_size=4096)
    assert len(run.findings_of("secrets/token")) == 101
    assert run.finding("secrets/scan-incomplete").message.startswith(
        "1 member scanned only up to max-member-size (4 KiB): tinyproj/zz_big.txt")


def _bounded_dists(guard_dists):
    """Dists that meet every bound and a damaged member, with secrets around them."""
    token, pat = support.github_token(), support.github_pat()
    big = f"{token}\n".encode() + lines(3000) + f"{pat}\n".encode()
    files = {"tinyproj/a.py": f"T = '{token}'\n".encode(), "tinyproj/big.txt": big,
             "tinyproj/key.pem": b"\x30\x82", **{f"tinyproj/p{i}.txt": lines(4000)
                                                for i in range(3)}}
    damaged = {"tinyproj/a_broken.bin": lines(5000), "tinyproj/b.py": f"T = '{token}'\n".encode()}
    broken = guard_dists.wheel(version="2.0.0", files=damaged, compression=zipfile.ZIP_STORED)
    data = bytearray(broken.read_bytes())
    data[data.index(lines(5000)[:200]) + 2000] ^= 0xFF
    broken.write_bytes(bytes(data))
    dists = [guard_dists.wheel(files=files), guard_dists.sdist(files=files), broken]
    assert len(set(dists)) == 3
    return dists


@pytest.mark.parametrize("config", [
    {}, {"max_member_size": 2048}, {"max_total_size": 10_000},
    {"max_member_size": 1000, "max_total_size": 9000}, {"allow": ["*.pem"]},
])
def test_the_scan_in_the_pass_reports_what_a_scan_of_its_own_does(scan, guard_dists, config):
    """The plugin scans as a visitor of the shared pass, in the pass's chunks; read on its
    own (``scan_artifact`` without the pass's result) a file gives the same findings."""
    for path in _bounded_dists(guard_dists):
        run = scan(path, **config)
        settings = SecretsConfig.from_mapping({k.replace("_", "-"): v for k, v in config.items()})
        alone = scan_artifact(Artifact(path), settings)
        # (the report orders findings by severity and rule; compare them as sets)
        assert sorted((f.rule.removeprefix("secrets/"), f.message) for f in run.findings) == \
            sorted((f.rule, f.message) for f in alone), path.name
        assert run.findings, path.name


def test_a_read_error_past_the_scan_budget_is_not_the_scans(guard_check, guard_dists):
    """Another subscriber (wheel-inspect hashes every member) reads a damaged member to its
    end, in several chunks; the scan had stopped at max-member-size, before the damage was
    met, as a scan of its own would: the member is capped, not unreadable."""
    import preupload_guard_secrets
    import preupload_guard_wheel_inspect

    big = lines(600_000)  # past one chunk of the pass: the bad CRC is met after the budget
    path = guard_dists.wheel(files={"tinyproj/big.bin": big, "tinyproj/ok.py": b"x = 1\n"},
                             compression=zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(big[:200]) + 500_000] ^= 0xFF
    path.write_bytes(bytes(data))
    run = guard_check(path, plugins={"secrets": preupload_guard_secrets,
                                     "wheel-inspect": preupload_guard_wheel_inspect},
                      autoload=False, select=["secrets", "wheel-inspect", "plugin-error"],
                      config={"plugins": {"secrets": {"max-member-size": 1000}}})
    assert "wheel-inspect/record-hash" in run.rules  # it did read the damage
    alone = scan_artifact(Artifact(path), SecretsConfig.from_mapping({"max-member-size": 1000}))
    ours = [f for f in run.findings if f.rule.startswith("secrets/")]
    assert sorted(f.message for f in ours) == sorted(f.message for f in alone)
    [incomplete] = ours
    assert incomplete.message.startswith("1 member scanned only up to max-member-size")
