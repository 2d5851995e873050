"""The archive rules, run for real through ``check(..., offline=True)``.

Each condition has a test and, where PyPI draws a line, its near miss. Broken archives are
built with zipfile/tarfile, or patched byte by byte where those refuse to write them.
"""

from __future__ import annotations

import gzip
import io
import random
import struct
import tarfile
import time
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from preupload_guard import Finding, Report, Severity, check
from preupload_guard.checks.archives import RULES
from preupload_guard.checks.archives.wheel import entry_points_problem
from preupload_guard.read import archives as archives_module
from preupload_guard.testing import make_sdist, make_wheel, make_zip_sdist, metadata_text

ARCHIVE_RULES = {rule.id for rule in RULES}
DATE = (2026, 1, 1, 0, 0, 0)
WHEEL = "tinyproj-1.0.0-py3-none-any.whl"
DIST_INFO = "tinyproj-1.0.0.dist-info"


# -- helpers -------------------------------------------------------------------------------
def ours(path: Path) -> list[Finding]:
    report: Report = check([path], offline=True)
    return [f for f in report.findings if f.rule in ARCHIVE_RULES]


def rules(path: Path) -> set[str]:
    return {f.rule for f in ours(path)}


def only(path: Path, rule: str) -> Finding:
    found = [f for f in ours(path) if f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def write_zip(path: Path, members: dict[str, bytes], *,
              compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=DATE), data, compress_type=compression)
    return path


def wheel_members(extra: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The members of a valid wheel, RECORD last and listing everything."""
    members = {
        "tinyproj/__init__.py": b"x = 1\n",
        f"{DIST_INFO}/METADATA": metadata_text().encode(),
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
    }
    members.update(extra or {})
    record = "".join(f"{name},,\n" for name in members) + f"{DIST_INFO}/RECORD,,\n"
    members[f"{DIST_INFO}/RECORD"] = record.encode()
    return members


def tar_bytes(members: dict[str, bytes], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed tar of ``members``."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=fmt) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def tar_gz(path: Path, members: dict[str, bytes], *, fmt: int = tarfile.PAX_FORMAT) -> Path:
    path.write_bytes(gzip.compress(tar_bytes(members, fmt=fmt)))
    return path


def sdist_members(top: str = "tinyproj-1.0.0", extra: dict[str, bytes] | None = None,
                  metadata: str | None = None) -> dict[str, bytes]:
    members = {
        f"{top}/PKG-INFO": (metadata or metadata_text()).encode(),
        f"{top}/pyproject.toml": b"[project]\nname = 'tinyproj'\n",
    }
    members.update(extra or {})
    return members


def patch(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def central_entries(data: bytes) -> Iterator[int]:
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:
        yield pos
        pos = data.find(b"PK\x01\x02", pos + 1)


def set_flag(path: Path, member: str, bit: int) -> None:
    """Set a general-purpose flag bit on one member, in its local and central headers."""
    data = path.read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        offset = zf.getinfo(member).header_offset
    flags = struct.unpack_from("<H", data, offset + 6)[0] | bit
    data = patch(data, offset + 6, struct.pack("<H", flags))
    for at in central_entries(data):
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + name_len] == member.encode():
            data = patch(data, at + 8, struct.pack("<H", flags))
    path.write_bytes(data)


# -- valid artifacts -------------------------------------------------------------------------
def test_valid_wheel_and_sdist_have_no_archive_findings(tmp_path: Path) -> None:
    assert ours(make_wheel(tmp_path)) == []
    assert ours(make_sdist(tmp_path)) == []


def test_rules_are_declared_with_steps_and_explanations() -> None:
    assert {
        "invalid-archive", "compression-bomb", "compression-method", "zip-framing",
        "sdist-layout", "sparse-tar-member", "wheel-missing-file", "invalid-entry-points",
        "missing-license-file", "record-mismatch", "encrypted-code", "pypi-token"} == ARCHIVE_RULES
    for rule in RULES:
        assert rule.family == "archives" and rule.explanation and rule.fix and rule.step
        assert not rule.needs_index
    severities = {rule.id: rule.severity for rule in RULES}
    assert severities["record-mismatch"] is Severity.WARNING
    assert {r.id: r.since for r in RULES}["sparse-tar-member"] == "2026-08-17"


def test_an_uppercase_suffix_is_not_opened(tmp_path: Path) -> None:
    # PyPI picks the archive type by the case-sensitive suffix: .WHL is checked by nothing here.
    path = tmp_path / "tinyproj-1.0.0-py3-none-any.WHL"
    path.write_bytes(b"garbage")
    assert ours(path) == []


# -- invalid-archive -------------------------------------------------------------------------
def test_random_bytes_named_whl_are_not_a_zipfile(tmp_path: Path) -> None:
    path = tmp_path / WHEEL
    path.write_bytes(b"\x00garbage" * 100)
    finding = only(path, "invalid-archive")
    assert "400 Invalid distribution file. File is not a zipfile" in finding.message
    assert finding.severity is Severity.ERROR


def test_a_truncated_wheel_is_not_a_zipfile(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    path.write_bytes(path.read_bytes()[:-30])
    assert "File is not a zipfile" in only(path, "invalid-archive").message


def test_a_corrupt_central_directory_answers_none(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    data = path.read_bytes()
    path.write_bytes(patch(data, next(central_entries(data)), b"PK\x09\x09"))
    finding = only(path, "invalid-archive")
    assert finding.message.endswith("400 Invalid distribution file. None")


def test_a_bad_crc_in_a_scanned_py_member_answers_none(tmp_path: Path) -> None:
    path = write_zip(tmp_path / WHEEL, wheel_members({"tinyproj/mod.py": b"x = 12345\n"}),
                     compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    path.write_bytes(data.replace(b"x = 12345\n", b"x = 54321\n"))
    finding = only(path, "invalid-archive")
    assert "tinyproj/mod.py" in finding.message and "Bad CRC" in finding.message
    assert finding.message.endswith("None")


def test_a_polyglot_zip_and_tar_is_refused(tmp_path: Path) -> None:
    tar = io.BytesIO()
    with tarfile.open(fileobj=tar, mode="w") as tf:
        info = tarfile.TarInfo("x")
        info.size = 1
        tf.addfile(info, io.BytesIO(b"x"))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("a", "b")
    path = tmp_path / WHEEL
    path.write_bytes(tar.getvalue() + zipped.getvalue())
    messages = [f.message for f in ours(path) if f.rule == "invalid-archive"]
    assert any("File is both a zip and a tar file" in m for m in messages)


def test_a_tar_gz_with_a_zip_appended_is_a_polyglot(tmp_path: Path) -> None:
    path = make_sdist(tmp_path)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("a", "b")
    path.write_bytes(path.read_bytes() + zipped.getvalue())
    assert "File is both a zip and a tar file" in only(path, "invalid-archive").message


@pytest.mark.parametrize("fmt,word", [("", "uncompressed"), ("bz2", "bzip2"), ("xz", "xz")])
def test_a_tar_gz_that_is_not_gzip_answers_none(tmp_path: Path, fmt: str, word: str) -> None:
    path = make_sdist(tmp_path, fmt=fmt)
    finding = only(path, "invalid-archive")
    assert word in finding.message and finding.message.endswith("Invalid distribution file. None")


def test_a_zip_named_tar_gz_is_not_a_tarfile(tmp_path: Path) -> None:
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(make_zip_sdist(tmp_path).read_bytes())
    assert "File is not a tarfile" in only(path, "invalid-archive").message


def test_random_bytes_named_tar_gz_are_not_a_tarfile(tmp_path: Path) -> None:
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(bytes(range(256)) * 8)
    assert "File is not a tarfile" in only(path, "invalid-archive").message


def test_a_truncated_tar_gz_answers_none(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(100_000)
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz",
                  sdist_members(extra={"tinyproj-1.0.0/big.bin": noise}))
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    finding = only(path, "invalid-archive")
    assert "Compressed file ended" in finding.message and finding.message.endswith("None")
    path.write_bytes(whole[:100])  # cut inside the first header
    assert only(path, "invalid-archive").message.endswith("None")


def test_trailing_garbage_after_the_gzip_stream_is_accepted(tmp_path: Path) -> None:
    # PyPI stops at the tar's end-of-archive marker and never reads what follows.
    unpadded = tar_bytes(sdist_members()).rstrip(b"\x00")
    unpadded += b"\x00" * (-len(unpadded) % 512) + b"\x00" * 1024
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(unpadded) + b"TRAILING GARBAGE" * 10)
    assert ours(path) == []


def test_concatenated_gzip_members_are_accepted(tmp_path: Path) -> None:
    data = tar_bytes(sdist_members())
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(data[:1000]) + gzip.compress(data[1000:]))
    assert ours(path) == []


# -- compression-bomb ------------------------------------------------------------------------
def declared(path: Path, sizes: dict[str, int]) -> None:
    """Rewrite the central directory's uncompressed sizes (nothing is decompressed)."""
    data = path.read_bytes()
    for at in central_entries(data):
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        name = data[at + 46:at + 46 + name_len].decode()
        if name in sizes:
            data = patch(data, at + 24, struct.pack("<L", sizes[name]))
    path.write_bytes(data)


def bomb_wheel(tmp_path: Path, total: int) -> Path:
    """A wheel whose central directory declares ``total`` bytes in all."""
    path = write_zip(tmp_path / WHEEL, wheel_members({"tinyproj/data.bin": b"0"}),
                     compression=zipfile.ZIP_STORED)
    with zipfile.ZipFile(path) as zf:
        others = sum(i.file_size for i in zf.infolist() if i.filename != "tinyproj/data.bin")
    declared(path, {"tinyproj/data.bin": total - others})
    return path


def test_compression_ratio_over_50_and_over_64_mib_is_refused(tmp_path: Path) -> None:
    path = bomb_wheel(tmp_path, 64 * 1024 * 1024 + 1)
    finding = only(path, "compression-bomb")
    assert "400 Invalid distribution file. File exceeds compression ratio of 50" in finding.message
    assert "tinyproj/data.bin" in (finding.hint or "")


def test_exactly_64_mib_declared_is_accepted(tmp_path: Path) -> None:
    assert "compression-bomb" not in rules(bomb_wheel(tmp_path, 64 * 1024 * 1024))


def test_a_ratio_of_exactly_50_is_accepted_and_51_refused(tmp_path: Path) -> None:
    # A file of S bytes on disk declaring 50*S (> 64 MiB) is accepted; 51*S is not.
    padding = bytes(range(256)) * 5500  # ~1.4 MB stored, so 50x is over 64 MiB
    members = wheel_members({"tinyproj/data.bin": b"0", "tinyproj/pad.bin": padding})
    path = write_zip(tmp_path / WHEEL, members, compression=zipfile.ZIP_STORED)
    size = path.stat().st_size
    with zipfile.ZipFile(path) as zf:
        others = sum(i.file_size for i in zf.infolist() if i.filename != "tinyproj/data.bin")
    assert 50 * size > 64 * 1024 * 1024
    declared(path, {"tinyproj/data.bin": 50 * size - others})
    assert "compression-bomb" not in rules(path)
    declared(path, {"tinyproj/data.bin": 51 * size - others})
    assert "compression-bomb" in rules(path)


# -- compression-method ----------------------------------------------------------------------
def test_bzip2_members_are_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / WHEEL, wheel_members(), compression=zipfile.ZIP_BZIP2)
    finding = only(path, "compression-method")
    assert "bzip2" in finding.message
    assert "File does not use a supported compression type" in finding.message


def test_stored_and_deflated_members_are_accepted(tmp_path: Path) -> None:
    assert rules(make_wheel(tmp_path, compression=zipfile.ZIP_STORED)) == set()


# -- zip-framing (end to end) ------------------------------------------------------------------
def test_a_per_file_comment_is_refused_but_an_archive_comment_is_not(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    with zipfile.ZipFile(path, "a") as zf:
        zf.comment = b"archive comment"
    assert rules(path) == set()
    members = wheel_members()
    path = tmp_path / WHEEL
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.comment = b"per file" if name.endswith("WHEEL") else b""
            zf.writestr(info, data)
    finding = only(path, "zip-framing")
    assert ("ZIP archive not accepted: Comment in central directory. See "
            "the archives page of PyPI's documentation for more information") in finding.message


def test_prepended_bytes_are_refused_with_a_hint(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    path.write_bytes(b"#!/bin/sh\n" + path.read_bytes())
    finding = only(path, "zip-framing")
    assert "Unknown record signature" in finding.message and "at byte 0" in finding.message
    assert "prepended" in (finding.hint or "")


def test_trailing_data_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    path.write_bytes(path.read_bytes() + b"signature")
    assert "ZIP archive not accepted: Trailing data" in only(path, "zip-framing").message


def test_force_zip64_wheel_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / WHEEL
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in wheel_members().items():
            with zf.open(zipfile.ZipInfo(name, date_time=DATE), "w", force_zip64=True) as fh:
                fh.write(data)
    assert ours(path) == []


# -- sdist-layout ----------------------------------------------------------------------------
def test_dot_slash_prefixed_members_are_refused(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", sdist_members(top="./tinyproj-1.0.0"))
    finding = only(path, "sdist-layout")
    assert "PKG-INFO not found at tinyproj-1.0.0/PKG-INFO" in finding.message
    assert "'./'" in (finding.hint or "")


def test_a_single_pkg_info_sdist_hits_the_commonpath_quirk(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz",
                  {"tinyproj-1.0.0/PKG-INFO": metadata_text().encode()})
    finding = only(path, "sdist-layout")
    assert "PKG-INFO not found at tinyproj-1.0.0/PKG-INFO/PKG-INFO" in finding.message


def test_two_top_level_directories_are_refused(tmp_path: Path) -> None:
    members = sdist_members(extra={"other/file.txt": b"x"})
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", members)
    finding = only(path, "sdist-layout")
    assert "Incorrect number of top-level directories in sdist" in finding.message


def test_an_empty_tar_is_refused(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", {})
    assert "Incorrect number of top-level" in only(path, "sdist-layout").message


def test_any_top_directory_name_is_accepted(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", sdist_members(top="bar-9"))
    assert "sdist-layout" not in rules(path)


def test_all_absolute_paths_are_accepted_but_mixing_is_a_500(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", sdist_members(top="/tinyproj-1.0.0"))
    assert "sdist-layout" not in rules(path)
    mixed = sdist_members(extra={"/tinyproj-1.0.0/x": b"x"})
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", mixed)
    assert "HTTP 500" in only(path, "sdist-layout").message


def test_zip_sdist_layout(tmp_path: Path) -> None:
    assert "sdist-layout" not in rules(make_zip_sdist(tmp_path))
    path = write_zip(tmp_path / "tinyproj-1.0.0.zip", {"a/PKG-INFO": b"x", "b/x": b"y"})
    assert "Incorrect number of top-level" in only(path, "sdist-layout").message
    path = write_zip(tmp_path / "tinyproj-1.0.0.zip", {"a/x": b"x", "a/y": b"y"})
    assert "PKG-INFO not found at a/PKG-INFO" in only(path, "sdist-layout").message


# -- sparse-tar-member -------------------------------------------------------------------------
def gnu_sparse_header(name: str, *, extended: bool = False) -> bytes:
    """A GNU 'S' (old sparse) header block: one map entry, optionally claiming more blocks."""
    block = bytearray(512)
    block[0:len(name)] = name.encode()
    block[100:108] = b"0000644\x00"
    block[108:116] = b"0000000\x00"
    block[116:124] = b"0000000\x00"
    block[124:136] = b"%011o\x00" % 4
    block[136:148] = b"%011o\x00" % 0
    block[156:157] = b"S"
    block[257:265] = b"ustar  \x00"
    block[386:398] = b"%011o\x00" % 0  # offset
    block[398:410] = b"%011o\x00" % 4  # numbytes
    block[482] = 1 if extended else 0
    block[483:495] = b"%011o\x00" % 4  # real size
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block)


def test_gnu_sparse_members_are_refused(tmp_path: Path) -> None:
    regular = io.BytesIO()
    with tarfile.open(fileobj=regular, mode="w", format=tarfile.GNU_FORMAT) as tf:
        data = metadata_text().encode()
        info = tarfile.TarInfo("tinyproj-1.0.0/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    body = regular.getvalue().rstrip(b"\x00")
    body += b"\x00" * (-len(body) % 512)
    body += gnu_sparse_header("tinyproj-1.0.0/holes.bin") + b"abcd".ljust(512, b"\x00")
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(body + b"\x00" * 1024))
    finding = only(path, "sparse-tar-member")
    assert "tinyproj-1.0.0/holes.bin" in finding.message
    assert ("tar archive not accepted: Sparse members are not allowed. See "
            "the archives page of PyPI's documentation for more information") in finding.message


@pytest.mark.parametrize("headers", [
    {"GNU.sparse.map": "0,4", "GNU.sparse.size": "4"},  # PAX 0.1
    {"GNU.sparse.offset": "0", "GNU.sparse.numbytes": "4", "GNU.sparse.size": "4"},  # PAX 0.0
])
def test_pax_sparse_members_are_refused(tmp_path: Path, headers: dict[str, str]) -> None:
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT) as tf:
        for name, data in sdist_members().items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("tinyproj-1.0.0/holes.bin")
        info.size = 4
        info.pax_headers = dict(headers)
        tf.addfile(info, io.BytesIO(b"abcd"))
    assert "Sparse members are not allowed" in only(path, "sparse-tar-member").message


# -- wheel-missing-file ----------------------------------------------------------------------
def test_dist_info_with_another_case_than_the_filename_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, dist_info="TinyProj-1.0.0.dist-info")
    found = [f for f in ours(path) if f.rule == "wheel-missing-file"]
    wheel = [f for f in found if "WHEEL not found" in f.message]
    assert len(wheel) == 1
    assert ("400 Invalid distribution file. WHEEL not found at "
            "tinyproj-1.0.0.dist-info/WHEEL") in wheel[0].message
    assert "TinyProj-1.0.0.dist-info" in (wheel[0].hint or "")
    assert wheel[0].step == 26.7
    assert {f.step for f in found} == {26.7, 28.7, 28.9}  # RECORD and METADATA too


def test_missing_record_and_metadata(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, omit=["RECORD"])
    finding = only(path, "wheel-missing-file")
    assert (f"400 Wheel '{WHEEL}' does not contain the required RECORD file: "
            f"{DIST_INFO}/RECORD") in finding.message
    path = make_wheel(tmp_path, omit=["METADATA"])
    finding = only(path, "wheel-missing-file")
    assert "required METADATA file: tinyproj-1.0.0.dist-info/METADATA" in finding.message
    assert finding.step == 28.9


def test_record_that_is_not_utf8_is_missing(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, record=b"tinyproj/__init__.py,,\n\xff\xfe,,\n")
    finding = only(path, "wheel-missing-file")
    assert "not valid UTF-8" in finding.message and "required RECORD file" in finding.message


def test_record_that_is_not_csv_is_missing(tmp_path: Path) -> None:
    huge = b"x" * 200_000  # csv's default field limit is 131072
    path = make_wheel(tmp_path, record=huge + b",,\n")
    assert "not valid CSV" in only(path, "wheel-missing-file").message


def test_a_blank_line_in_record_is_a_500(tmp_path: Path) -> None:
    members = wheel_members()
    record = members[f"{DIST_INFO}/RECORD"].decode().splitlines()
    record.insert(1, "")
    path = make_wheel(tmp_path, record=("\n".join(record) + "\n").encode())
    finding = only(path, "wheel-missing-file")
    assert "blank line (line 2)" in finding.message and "HTTP 500" in finding.message
    assert finding.severity is Severity.ERROR


def test_an_encrypted_record_is_a_500(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    set_flag(path, f"{DIST_INFO}/RECORD", 0x1)
    finding = only(path, "wheel-missing-file")
    assert "encrypted" in finding.message and "HTTP 500" in finding.message


def test_an_encrypted_wheel_file_is_a_500_at_step_26(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    set_flag(path, f"{DIST_INFO}/WHEEL", 0x1)
    finding = only(path, "wheel-missing-file")
    assert "HTTP 500" in finding.message and finding.step == 26.7


# -- record-mismatch -------------------------------------------------------------------------
def test_record_listing_itself_is_accepted_and_omitting_itself_warns(tmp_path: Path) -> None:
    assert "record-mismatch" not in rules(make_wheel(tmp_path))
    members = wheel_members()
    record = members[f"{DIST_INFO}/RECORD"].decode().replace(f"{DIST_INFO}/RECORD,,\n", "")
    path = make_wheel(tmp_path, record=record.encode())
    finding = only(path, "record-mismatch")
    assert finding.severity is Severity.WARNING
    assert "RECORD must list itself" in (finding.hint or "")
    assert "emails" in finding.message


def test_record_listing_a_missing_file_warns_and_signatures_are_ignored(tmp_path: Path) -> None:
    members = wheel_members({f"{DIST_INFO}/RECORD.jws": b"sig", "tinyproj/sub/": b""})
    record = members[f"{DIST_INFO}/RECORD"].decode()
    record = record.replace(f"{DIST_INFO}/RECORD.jws,,\n", "").replace("tinyproj/sub/,,\n", "")
    members[f"{DIST_INFO}/RECORD"] = record.encode()
    path = write_zip(tmp_path / WHEEL, members)
    assert ours(path) == []
    members[f"{DIST_INFO}/RECORD"] = (record + "tinyproj\\gone.py,,\n").encode()
    path = write_zip(tmp_path / WHEEL, members)
    assert "tinyproj/gone.py" in only(path, "record-mismatch").message


# -- invalid-entry-points --------------------------------------------------------------------
def test_entry_point_names(tmp_path: Path) -> None:
    good = b"[console_scripts]\nmy.tool-2_x = pkg:main\n[other]\nany thing = x\n"
    path = make_wheel(tmp_path, extra_dist_info={"entry_points.txt": good})
    assert ours(path) == []
    bad = b"[console_scripts]\nmy tool = pkg:main\n"
    path = make_wheel(tmp_path, extra_dist_info={"entry_points.txt": bad})
    finding = only(path, "invalid-entry-points")
    assert (f"400 Wheel '{WHEEL}' has invalid entry points defined in the entry_points.txt "
            "file") in finding.message
    assert "'my tool'" in finding.message and finding.step == 28.8


@pytest.mark.parametrize("text,accepted", [
    ("[console_scripts]\na = b\n", True),
    ("[gui_scripts]\nnaïve = b\n", True),  # Unicode letters are \w
    ("[Console_Scripts]\na b = c\n", True),  # section names are case-sensitive
    ("", True),
    ("a = b\n", False),  # no section header
    ("[console_scripts]\na: b\n", False),  # ':' is not a delimiter
    ("[console_scripts]\na = b\na = c\n", False),  # duplicate option
    ("[x]\na = 1\n[x]\nb = 2\n", False),  # duplicate section, any section
    ("[console_scripts]\nA = b\na = c\n", True),  # options are case-sensitive
    ("[gui_scripts]\na/b = c\n", False),
    ("[console_scripts]\na+b = c\n", False),
    ("[DEFAULT]\nbad name = x\n[console_scripts]\na = b\n", False),  # inherited
    ("[DEFAULT]\nbad name = x\n[other]\na = b\n", True),
    ("[console_scripts]\na = 100%\n", True),  # values are not interpolated
])
def test_entry_points_parsing(text: str, accepted: bool) -> None:
    assert (entry_points_problem(text.encode()) is None) is accepted


def test_entry_points_must_be_utf8() -> None:
    problem = entry_points_problem(b"[console_scripts]\n\xe9 = x\n")
    assert problem is not None and "UTF-8" in problem


# -- missing-license-file --------------------------------------------------------------------
def license_metadata(version: str = "2.4") -> str:
    return metadata_text(metadata_version=version,
                         extra_headers=[("License-Expression", "MIT"),
                                        ("License-File", "LICENSE")])


def test_wheel_license_file_under_licenses_is_accepted(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, metadata=license_metadata(),
                      extra_dist_info={"licenses/LICENSE": b"MIT"})
    assert ours(path) == []


def test_wheel_license_file_at_the_dist_info_root_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, metadata=license_metadata(),
                      extra_dist_info={"LICENSE": b"MIT"})
    finding = only(path, "missing-license-file")
    assert (f"400 License-File LICENSE does not exist in distribution file {WHEEL} at "
            f"{DIST_INFO}/licenses/LICENSE") in finding.message
    assert "dist-info root" in (finding.hint or "") and finding.step == 28.6


def test_license_file_below_metadata_2_4_is_not_sent_by_twine(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, metadata=license_metadata("2.3"))
    assert "missing-license-file" not in rules(path)


def test_sdist_license_file(tmp_path: Path) -> None:
    meta = license_metadata()
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz",
                  sdist_members(metadata=meta, extra={"tinyproj-1.0.0/LICENSE": b"MIT"}))
    assert ours(path) == []
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz", sdist_members(metadata=meta))
    finding = only(path, "missing-license-file")
    assert ("License-File LICENSE does not exist in distribution file tinyproj-1.0.0.tar.gz "
            "at tinyproj-1.0.0/LICENSE") in finding.message
    assert finding.step == 27.4


# -- encrypted-code --------------------------------------------------------------------------
PYARMOR = b"__pyarmor" + b"_enter__"  # in parts: see vocabulary.py
PYE_BEGIN, PYE_END = b"---BEGIN PYE" + b" FILE---", b"---END PYE" + b" FILE---"


def test_a_py_file_mentioning_a_pyarmor_hook_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, files={"tinyproj/__init__.py": b"# " + PYARMOR + b"\n"})
    finding = only(path, "encrypted-code")
    assert "tinyproj/__init__.py" in finding.message
    assert ("400 Invalid distribution file. PyArmor-encrypted content is not allowed. See "
            "PyPI's acceptable use policy for more information.") \
        in finding.message


def test_the_same_text_in_a_txt_file_is_accepted(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, files={"tinyproj/__init__.py": b"", "tinyproj/notes.txt":
                                       PYARMOR})
    assert "encrypted-code" not in rules(path)


def test_an_uppercase_py_suffix_is_scanned(tmp_path: Path) -> None:
    call = b"__pyarmor" + b"__(__name__, __file__, b'')"
    path = make_wheel(tmp_path, files={"tinyproj/MOD.PY": call})
    assert "encrypted-code" in rules(path)


def test_a_marker_split_across_two_files_is_not_matched(tmp_path: Path) -> None:
    files = {"tinyproj/a.py": b"x = '__pyarmor_", "tinyproj/b.py": b"enter__'\n"}
    assert "encrypted-code" not in rules(make_wheel(tmp_path, files=files))
    files = {"tinyproj/a.pye": PYE_BEGIN, "tinyproj/b.pye": PYE_END}
    assert "encrypted-code" not in rules(make_wheel(tmp_path, files=files))


def test_sourcedefender_needs_both_markers_in_one_member(tmp_path: Path) -> None:
    pye = PYE_BEGIN + b"\nabc\n" + PYE_END + b"\n"
    path = make_wheel(tmp_path, files={"tinyproj/mod.pye": pye})
    assert "SourceDefender-encrypted content is not allowed" in \
        only(path, "encrypted-code").message


def test_members_over_5_mib_are_not_scanned(tmp_path: Path) -> None:
    limit = 5 * 1024 * 1024
    at_limit = PYARMOR + b"#" * (limit - len(PYARMOR))
    path = make_wheel(tmp_path, files={"tinyproj/big.py": at_limit})
    assert "encrypted-code" in rules(path)
    path = make_wheel(tmp_path, files={"tinyproj/big.py": at_limit + b"#"})
    assert "encrypted-code" not in rules(path)


def test_sdists_are_scanned_too(tmp_path: Path) -> None:
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz",
                  sdist_members(extra={"tinyproj-1.0.0/src/x.py": b"__pyarmor" + b"_bcc__"}))
    finding = only(path, "encrypted-code")
    assert finding.step == 26.6 and "tinyproj-1.0.0/src/x.py" in finding.message


# -- masking and skip logic --------------------------------------------------------------------
def test_later_refusals_are_masked_by_an_earlier_one(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, files={"tinyproj/x.py": PYARMOR},
                      compression=zipfile.ZIP_BZIP2)
    found = {f.rule: f for f in ours(path)}
    assert found["compression-method"].masked_by is None
    assert found["encrypted-code"].masked_by == "compression-method"


# -- hostile inputs ----------------------------------------------------------------------------
def timed(path: Path, budget: float = 2.0) -> list[Finding]:
    start = time.perf_counter()
    found = ours(path)
    assert time.perf_counter() - start < budget
    return found


def test_an_end_record_declaring_millions_of_entries_is_not_listed(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    data = path.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    data = patch(data, eocd + 8, struct.pack("<HH", 0xFFFF, 0xFFFF))
    # ...and a ZIP64 end record claiming ten million, found through its locator.
    cd_size, cd_offset = struct.unpack_from("<LL", data, eocd + 12)
    z64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 10**7, 10**7, cd_size,
                      cd_offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd, 1)
    path.write_bytes(data[:eocd] + z64 + locator + data[eocd:])
    found = timed(path)
    warning = [f for f in found if f.rule == "invalid-archive"]
    assert warning and warning[0].severity is Severity.WARNING
    assert "could not be inspected fully" in warning[0].message
    assert "10,000,000" in warning[0].message


def test_a_central_directory_over_the_member_cap_is_not_listed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives_module, "MAX_MEMBERS", 100)
    members = wheel_members({f"tinyproj/m{i}.txt": b"" for i in range(150)})
    path = write_zip(tmp_path / WHEEL, members, compression=zipfile.ZIP_STORED)
    data = path.read_bytes()
    eocd = data.rindex(b"PK\x05\x06")
    path.write_bytes(patch(data, eocd + 8, struct.pack("<HH", 3, 3)))  # the count lies
    (finding,) = timed(path)
    assert finding.rule == "invalid-archive" and finding.severity is Severity.WARNING
    assert "more than 100 entries" in finding.message


def huge_extension_tar(kind: bytes) -> bytes:
    """A tar whose first header is a PAX ('x') or GNU long-name ('L') header of 4 GiB."""
    block = bytearray(512)
    block[0:13] = b"././@LongLink"
    block[100:108] = b"0000644\x00"
    block[124:136] = b"%011o\x00" % (4 * 1024**3)
    block[156:157] = kind
    block[257:263] = b"ustar\x00"
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\x00 " % sum(block)
    return bytes(block) + b"path=" * 1000


@pytest.mark.parametrize("kind", [b"x", b"L"])
def test_a_huge_tar_header_extension_is_not_read(tmp_path: Path, kind: bytes) -> None:
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(huge_extension_tar(kind)))
    (finding,) = timed(path)
    assert finding.rule == "invalid-archive" and finding.severity is Severity.WARNING
    assert "header of 4294967296 bytes" in finding.message


def test_a_gzip_bomb_sdist_is_a_warning_not_a_refusal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives_module, "TAR_RATIO_FLOOR", 1024 * 1024)
    zeros = b"\x00" * (32 * 1024 * 1024)
    path = tar_gz(tmp_path / "tinyproj-1.0.0.tar.gz",
                  sdist_members(extra={"tinyproj-1.0.0/zeros.bin": zeros}))
    assert path.stat().st_size < 100_000
    (finding,) = timed(path)
    assert finding.rule == "invalid-archive" and finding.severity is Severity.WARNING
    assert "decompression bombs" in finding.message and "inflates past" in finding.message


def test_a_truncated_gnu_sparse_map_does_not_crash(tmp_path: Path) -> None:
    # An old-GNU sparse header announcing extension blocks that never come: tarfile itself
    # hits an IndexError here; we must answer, not crash.
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(gzip.compress(gnu_sparse_header("a/b", extended=True)))
    found = timed(path)
    assert found and all(f.rule == "invalid-archive" for f in found)


def test_a_zip_with_many_members_is_checked_quickly(tmp_path: Path) -> None:
    files = {f"tinyproj/m{i}.py": b"x = 1\n" for i in range(3000)}
    path = make_wheel(tmp_path, files=files)
    assert timed(path, budget=3.0) == []


def test_a_deflate_bomb_member_is_judged_without_inflating_it(tmp_path: Path) -> None:
    # A .py member of 80 MiB of zeros deflates ~1000:1: refused from the central directory,
    # skipped by the scan (over 5 MiB), never inflated.
    path = write_zip(tmp_path / WHEEL, wheel_members({"tinyproj/bomb.py": b"\x00" * (80 << 20)}))
    assert path.stat().st_size < 200_000
    found = {f.rule for f in timed(path, budget=3.0)}
    assert "compression-bomb" in found and "encrypted-code" not in found


def test_an_identical_re_upload_skips_the_archive_checks(tmp_path: Path, guard_index) -> None:
    # PyPI answers 200 at step 22 for a byte-identical file: it never opens the archive.
    from datetime import datetime, timezone

    from preupload_guard.testing import FixtureFile, FixtureProject

    path = make_wheel(tmp_path, files={"tinyproj/x.py": PYARMOR})
    assert "encrypted-code" in rules(path)
    index = guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile(path.name, content=path.read_bytes(),
                    upload_time=datetime.now(timezone.utc))])])
    report = check([path], index_url=index.simple_url, json_api_url=index.json_api_url)
    assert "identical-file" in {f.rule for f in report.findings}
    assert not [f for f in report.findings if f.rule in ARCHIVE_RULES]


def test_a_non_utf8_unicode_path_extra_answers_none_on_every_python(tmp_path: Path) -> None:
    # Python 3.12+ (PyPI runs 3.14) refuse to open it; 3.10/3.11 would ignore the extra.
    crc = struct.pack("<L", zlib.crc32(b"tinyproj/x.py"))
    up = struct.pack("<HH", 0x7075, 6) + b"\x01" + crc
    path = tmp_path / WHEEL
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in wheel_members({"tinyproj/x.py": b""}).items():
            info = zipfile.ZipInfo(name, date_time=DATE)
            if name == "tinyproj/x.py":
                info.extra = up + b"\xff"
            zf.writestr(info, data)
    finding = only(path, "invalid-archive")
    assert "0x7075" in finding.message and finding.message.endswith("None")


def test_the_scanner_suffix_is_pathlibs() -> None:
    """posix_suffix (the fast path on every member name) answers as PurePosixPath.suffix."""
    from pathlib import PurePosixPath

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from preupload_guard.checks.archives.token_scan import is_scanned_member, posix_suffix

    @settings(max_examples=3000, deadline=None)
    @given(st.text(alphabet="ab./PyYeE\x00éİ", max_size=14))
    def same(name: str) -> None:
        assert posix_suffix(name) == PurePosixPath(name).suffix, name
        # and the scanner's choice, with its quick refusal of most names, is pathlib's too
        assert is_scanned_member(name) == (
            PurePosixPath(name).suffix.lower() in (".py", ".pye")), name

    same()
    for name in ["a/b.py", "a/.py", "a/b.py/", "a/b.py.", "a//b.PY", "./x.pye", "x", "",
                 "a.py/.", "a.pYe//", "b.py/..", "x.PYE", "x.pyc", "py", ".py"]:
        assert posix_suffix(name) == PurePosixPath(name).suffix, name
        assert is_scanned_member(name) == (
            PurePosixPath(name).suffix.lower() in (".py", ".pye")), name
