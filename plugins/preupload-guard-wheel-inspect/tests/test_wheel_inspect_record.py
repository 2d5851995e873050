"""RECORD: every member hashed and compared, every malformed row reported."""

from __future__ import annotations

import base64
import hashlib
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from preupload_guard.read.artifact import Artifact

from preupload_guard_wheel_inspect import record as rec

INIT = b"__version__ = '1'\n"
DIST_INFO = "tinyproj-1.0.0.dist-info"


def line(path: str, data: bytes, algorithm: str = "sha256") -> str:
    digest = base64.urlsafe_b64encode(hashlib.new(algorithm, data).digest()).rstrip(b"=")
    return f"{path},{algorithm}={digest.decode()},{len(data)}"


def record_for(guard_dists, rows: list[str], files: dict[str, bytes] | None = None) -> bytes:
    """A RECORD: ``rows`` plus correct rows for METADATA and WHEEL, and RECORD's own row."""
    probe = guard_dists.wheel(files=files, filename="probe-1.0-py3-none-any.whl")
    with zipfile.ZipFile(probe) as zf:
        meta = [line(n, zf.read(n)) for n in (f"{DIST_INFO}/METADATA", f"{DIST_INFO}/WHEEL")]
    probe.unlink()
    return ("\n".join([*rows, *meta, f"{DIST_INFO}/RECORD,,"]) + "\n").encode()


def test_a_valid_wheel_has_no_findings(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel())
    assert result.ours == []
    assert result.run.exit_code == 0


def test_wrong_digest_same_size_is_an_error(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(tamper={"tinyproj/__init__.py": b"__version__ = '2'\n"})
    result = inspect_wheel(wheel)
    assert result.ours == ["record-hash"]
    message = result.message("record-hash")
    assert "tinyproj/__init__.py (sha256 digest differs)" in message
    assert "size" not in message.split("(")[1]
    assert result.severity("record-hash") == "error"
    assert result.run.exit_code == 1


def test_wrong_size_is_reported_with_both_sizes(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(tamper={"tinyproj/__init__.py": b"x = 1\n"})
    message = inspect_wheel(wheel).message("record-hash")
    assert f"size {len(INIT)} in RECORD, actually 6; sha256 digest differs" in message


def test_every_mismatch_is_reported_and_the_message_is_capped(guard_dists,
                                                               inspect_wheel) -> None:
    files = {f"tinyproj/m{i}.py": f"x = {i}\n".encode() for i in range(9)}
    tamper = {f"tinyproj/m{i}.py": f"y = {i}\n".encode() for i in range(8)}
    result = inspect_wheel(guard_dists.wheel(files=files, tamper=tamper))
    message = result.message("record-hash")
    assert message.count("digest differs") == 5
    assert "8 members do not match RECORD" in message
    assert "and 3 more" in message
    assert "tinyproj/m8.py" not in message


def test_other_hash_algorithms_are_verified(guard_dists, inspect_wheel) -> None:
    good = b"a = 1\n"
    rows = [line("tinyproj/__init__.py", good, "sha512"),
            line("tinyproj/b.py", b"b = 1\n", "blake2b")]
    files = {"tinyproj/__init__.py": good, "tinyproj/b.py": b"b = 2\n"}
    wheel = guard_dists.wheel(files=files, record=record_for(guard_dists, rows, files))
    message = inspect_wheel(wheel).message("record-hash")
    assert "tinyproj/b.py (blake2b digest differs)" in message
    assert "__init__" not in message


def test_an_unlisted_member_is_left_to_the_core_rule(guard_dists, inspect_wheel) -> None:
    """record-mismatch (core) says which members RECORD misses; the hashes are still checked."""
    wheel = guard_dists.wheel(tamper={"tinyproj/evil.py": b"import os\n",
                                      "tinyproj/__init__.py": b"changed = True\n"})
    result = inspect_wheel(wheel)
    assert "record-mismatch" in result.core
    assert result.ours == ["record-hash"]
    message = result.message("record-hash")
    assert "tinyproj/__init__.py" in message and "evil" not in message


def test_a_listed_but_absent_member_is_left_to_the_core_rule(guard_dists,
                                                              inspect_wheel) -> None:
    rows = [line("tinyproj/__init__.py", INIT), line("tinyproj/gone.py", b"x\n")]
    wheel = guard_dists.wheel(record=record_for(guard_dists, rows))
    result = inspect_wheel(wheel)
    assert "record-mismatch" in result.core
    assert result.ours == []


@pytest.mark.parametrize(("row", "expected"), [
    ("tinyproj/__init__.py,md5=" + "A" * 22 + f",{len(INIT)}", "weak digest algorithm: 'md5'"),
    ("tinyproj/__init__.py,sha=abc,18", "unknown digest algorithm: 'sha'"),
    ("tinyproj/__init__.py,sha256=tooshort,18", "invalid sha256 base64 nopad digest"),
    ("tinyproj/__init__.py,abcdef,18", "is not 'algorithm=digest'"),
    (line("tinyproj/__init__.py", INIT)[:-2] + "x1", "invalid size"),
    ("tinyproj/__init__.py,18", "has 2 fields; expected 3"),
    ("tinyproj/__init__.py,,", "lacks both digest and size, so its content cannot be verified"),
    ("tinyproj/__init__.py,," + str(len(INIT)), "has a size but no digest"),
    ("/tinyproj/__init__.py,,", "absolute path"),
    ("./tinyproj/__init__.py,,", "non-normalized path"),
    (line("tinyproj\\__init__.py", INIT), "uses backslashes"),
])
def test_malformed_rows_are_reported(guard_dists, inspect_wheel, row: str,
                                     expected: str) -> None:
    wheel = guard_dists.wheel(record=record_for(guard_dists, [row]))
    result = inspect_wheel(wheel)
    assert "record-entry" in result.ours
    assert expected in result.message("record-entry")
    assert result.severity("record-entry") == "warning"


def test_a_backslash_row_is_still_verified(guard_dists, inspect_wheel) -> None:
    rows = [line("tinyproj\\__init__.py", b"something else\n")]
    result = inspect_wheel(guard_dists.wheel(record=record_for(guard_dists, rows)))
    assert sorted(result.ours) == ["record-entry", "record-hash"]


def test_every_malformed_row_is_reported_not_only_the_first(guard_dists,
                                                             inspect_wheel) -> None:
    files = {f"tinyproj/m{i}.py": b"x\n" for i in range(6)}
    rows = [f"tinyproj/m{i}.py,md5=abc,2" for i in range(6)]
    wheel = guard_dists.wheel(files=files, record=record_for(guard_dists, rows, files))
    message = inspect_wheel(wheel).message("record-entry")
    assert "6 row(s)" in message and "and 2 more" in message
    assert "line 1:" in message and "line 4:" in message


def test_conflicting_duplicate_rows(guard_dists, inspect_wheel) -> None:
    rows = [line("tinyproj/__init__.py", INIT), line("tinyproj/__init__.py", b"other\n"),
            line("tinyproj/__init__.py", INIT)]
    message = inspect_wheel(guard_dists.wheel(
        record=record_for(guard_dists, rows))).message("record-entry")
    assert "line 2: RECORD contains multiple conflicting entries" in message
    assert "line 3" not in message  # an identical repeat is harmless


def test_record_listing_its_own_hash(guard_dists, inspect_wheel) -> None:
    rows = [line("tinyproj/__init__.py", INIT), line(f"{DIST_INFO}/RECORD", b"whatever")]
    record = record_for(guard_dists, rows).replace(f"{DIST_INFO}/RECORD,,\n".encode(), b"")
    message = inspect_wheel(guard_dists.wheel(record=record)).message("record-entry")
    assert "RECORD lists a hash for itself" in message


def test_signature_files_are_exempt(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(tamper={f"{DIST_INFO}/RECORD.jws": b"{}",
                                      f"{DIST_INFO}/RECORD.p7s": b"sig"})
    result = inspect_wheel(wheel)
    assert result.ours == []
    assert "record-mismatch" not in result.core


def _corrupt(path: Path, payload: bytes) -> None:
    """Flip one byte inside a stored member's data: its CRC-32 no longer matches."""
    data = path.read_bytes()
    at = data.index(payload) + len(payload) // 2
    path.write_bytes(data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:])


def test_a_member_with_a_bad_crc_is_reported(guard_dists, inspect_wheel) -> None:
    payload = b"UNIQUE-PAYLOAD-" * 20
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": INIT, "tinyproj/data.bin": payload,
                                     "tinyproj/other.txt": b"fine\n"},
                              tamper={"tinyproj/other.txt": b"changed\n"},
                              compression=zipfile.ZIP_STORED)
    _corrupt(wheel, payload)
    result = inspect_wheel(wheel)
    messages = result.messages("record-hash")
    assert len(messages) == 2
    assert any("tinyproj/other.txt" in m and "differs" in m for m in messages)
    unreadable = next(m for m in messages if "cannot be read" in m)
    assert "tinyproj/data.bin (Bad CRC-32" in unreadable


def test_a_bad_crc_the_core_reports_is_not_repeated(guard_dists, inspect_wheel) -> None:
    payload = b"# UNIQUE-PAYLOAD\n" * 20
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": payload},
                              compression=zipfile.ZIP_STORED)
    _corrupt(wheel, payload)
    result = inspect_wheel(wheel)
    assert "invalid-archive" in result.core
    assert result.ours == []


def test_verify_limit(guard_dists, inspect_wheel) -> None:
    files = {"tinyproj/__init__.py": INIT, "tinyproj/big.txt": b"x" * 5000}
    wheel = guard_dists.wheel(files=files, tamper={"tinyproj/big.txt": b"y" * 5000})
    assert inspect_wheel(wheel).ours == ["record-hash"]
    limited = inspect_wheel(wheel, config={"verify-limit": "4 KiB"})
    assert limited.ours == ["unreadable"]
    assert "1 member(s) (4.9 KiB uncompressed) were not verified" in limited.message(
        "unreadable")
    assert inspect_wheel(wheel, config={"verify-limit": 0}).ours == []


def test_hashing_streams_in_bounded_memory(guard_dists) -> None:
    big = b"\0" * (48 * 1024 * 1024)
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": INIT, "tinyproj/big.bin": big})
    del big
    artifact = Artifact(wheel)
    reader = artifact.archive()
    with zipfile.ZipFile(wheel) as zf:
        text = zf.read(f"{DIST_INFO}/RECORD").decode()
    parsed = rec.parse_record(text, DIST_INFO)
    tracemalloc.start()
    try:
        result = rec.verify_members(reader, parsed.entries, budget=1 << 40)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.verified == 4 and not result.mismatched
    assert peak < 8 * 1024 * 1024, peak


def _mark_encrypted(path: Path, member: str) -> None:
    """Set the 'encrypted' flag bit of ``member`` in its local and central headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, name_at in ((b"PK\x03\x04", 6, 30), (b"PK\x01\x02", 8, 46)):
        start = 0
        while (at := data.find(signature, start)) != -1:
            if data[at + name_at:at + name_at + len(name)] == name:
                data[at + flag_at] |= 0x01
            start = at + 4
    path.write_bytes(bytes(data))


def test_an_encrypted_member_is_reported(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": INIT, "tinyproj/data.bin": b"x"})
    _mark_encrypted(wheel, "tinyproj/data.bin")
    result = inspect_wheel(wheel)
    assert "tinyproj/data.bin (it is encrypted" in result.message("record-hash")
