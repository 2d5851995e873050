"""The zip record walker: every framing reason PyPI gives, and its near misses.

Archives are written with :mod:`zipfile` where it can produce the case, and assembled or
patched byte by byte where it cannot (data descriptors are written by zipfile to an
unseekable stream; everything else is raw headers).
"""

from __future__ import annotations

import io
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preupload_guard.read import zipwalk
from preupload_guard.read.archives import ArchiveError, ArchiveReader
from preupload_guard.read.zipwalk import check_framing, find_end_record, iter_central_directory

DATE = (2026, 1, 1, 0, 0, 0)


# -- builders ----------------------------------------------------------------------------
def zip_bytes(members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED,
              comment: bytes = b"", member_comment: bytes = b"", zip64: bool = False,
              extra: bytes = b"") -> bytes:
    bio = io.BytesIO()
    with zipfile.ZipFile(bio, "w", compression=compression) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=DATE)
            info.compress_type = compression
            info.comment = member_comment
            info.extra = extra
            if zip64:
                with zf.open(info, "w", force_zip64=True) as fh:
                    fh.write(data)
            else:
                zf.writestr(info, data)
        zf.comment = comment
    return bio.getvalue()


def extra_field(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def raw_local(name: bytes, data: bytes, *, flags: int = 0, method: int = 0,
              csize: int | None = None, fsize: int | None = None, extra: bytes = b"") -> bytes:
    return struct.pack(
        "<4s5HL2L2H", b"PK\x03\x04", 20, flags, method, 0, 0x5C21, zlib.crc32(data),
        len(data) if csize is None else csize, len(data) if fsize is None else fsize,
        len(name), len(extra)) + name + extra + data


def raw_central(name: bytes, data: bytes, offset: int, *, flags: int = 0, method: int = 0,
                csize: int | None = None, fsize: int | None = None, extra: bytes = b"",
                comment: bytes = b"") -> bytes:
    return struct.pack(
        "<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, flags, method, 0, 0x5C21,
        zlib.crc32(data), len(data) if csize is None else csize,
        len(data) if fsize is None else fsize, len(name), len(extra), len(comment), 0, 0, 0,
        offset) + name + extra + comment


def raw_eocd(entries: int, cd_size: int, cd_offset: int, *, on_disk: int | None = None,
             comment: bytes = b"") -> bytes:
    return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0,
                       entries if on_disk is None else on_disk, entries, cd_size, cd_offset,
                       len(comment)) + comment


def raw_zip(members: list[tuple[bytes, bytes]], *, local_extra: bytes = b"",
            central_extra: bytes = b"", method: int = 0) -> bytes:
    """A stored zip assembled by hand, for headers zipfile will not write."""
    out = b""
    offsets = []
    for name, data in members:
        offsets.append(len(out))
        out += raw_local(name, data, extra=local_extra, method=method)
    cd = b"".join(raw_central(name, data, off, extra=central_extra, method=method)
                  for (name, data), off in zip(members, offsets, strict=True))
    return out + cd + raw_eocd(len(members), len(cd), len(out))


def write(tmp_path: Path, data: bytes, name: str = "x.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def reason(tmp_path: Path, data: bytes) -> str | None:
    path = write(tmp_path, data)
    report = check_framing(path)
    assert framing_from_the_listing(path) in (None, report)
    return report.reason


def framing_from_the_listing(path: Path) -> zipwalk.FramingReport | None:
    """The walk as the zip-framing rule makes it: with the listing's central-directory
    sizes (``None`` when the listing failed or did not keep them)."""
    try:
        reader = ArchiveReader(path, "zip")
    except ArchiveError:
        return None
    sizes = reader.take_central_sizes()
    assert reader.take_central_sizes() is None  # taken once, then forgotten
    if sizes is None:
        return None
    return check_framing(path, expected=sizes)


def patch(data: bytes, at: int, value: bytes) -> bytes:
    return data[:at] + value + data[at + len(value):]


def central_at(data: bytes, index: int = 0) -> int:
    pos = -1
    for _ in range(index + 1):
        pos = data.index(b"PK\x01\x02", pos + 1)
    return pos


# -- accepted ------------------------------------------------------------------------------
def test_a_plain_zip_is_accepted(tmp_path: Path) -> None:
    report = check_framing(write(tmp_path, zip_bytes({"a/b.py": b"x = 1\n", "c": b""})))
    assert report.ok and report.reason is None and report.entries == 2


def test_stored_and_deflated_directories_and_spaces_are_accepted(tmp_path: Path) -> None:
    data = zip_bytes({"pkg/": b"", "pkg/a file.txt": b"hello " * 100})
    assert reason(tmp_path, data) is None
    assert reason(tmp_path, zip_bytes({"a": b"abc"}, compression=zipfile.ZIP_STORED)) is None


def test_force_zip64_entries_are_accepted(tmp_path: Path) -> None:
    data = zip_bytes({"a.py": b"print(1)\n" * 50, "b": b"x"}, zip64=True)
    assert b"\x01\x00\x10\x00" in data  # the 16-byte ZIP64 extra is there
    assert reason(tmp_path, data) is None


def test_an_archive_comment_is_accepted(tmp_path: Path) -> None:
    assert reason(tmp_path, zip_bytes({"a": b"1"}, comment=b"built by me")) is None


def test_an_extended_timestamp_extra_is_accepted(tmp_path: Path) -> None:
    ut = extra_field(0x5455, b"\x01" + struct.pack("<L", 1767225600))
    assert reason(tmp_path, zip_bytes({"a": b"1"}, extra=ut)) is None


def test_an_empty_zip_is_accepted(tmp_path: Path) -> None:
    assert reason(tmp_path, zip_bytes({})) is None


def test_a_real_zip64_end_record_is_accepted(tmp_path: Path) -> None:
    # ZIP64 EOCD + locator + a classic EOCD full of sentinels, as large-archive writers do.
    body = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0)
    cd_at = len(body)
    eocd64_at = cd_at + len(cd)
    eocd64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 1, 1, len(cd), cd_at)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, eocd64_at, 1)
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                       0xFFFFFFFF, 0)
    data = body + cd + eocd64 + locator + eocd
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["a"]
    assert reason(tmp_path, data) is None


# -- refused -------------------------------------------------------------------------------
def test_prepended_bytes_are_an_unknown_signature_at_byte_zero(tmp_path: Path) -> None:
    data = b"#!/usr/bin/env python\n" + zip_bytes({"a": b"1"})
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["a"]  # zipfile copes
    report = check_framing(write(tmp_path, data))
    assert report.reason == "Unknown record signature" and report.offset == 0


def test_trailing_data_is_refused(tmp_path: Path) -> None:
    assert reason(tmp_path, zip_bytes({"a": b"1"}) + b"extra") == "Trailing data"


def test_a_per_file_comment_is_refused(tmp_path: Path) -> None:
    data = zip_bytes({"a": b"1"}, member_comment=b"hi")
    assert reason(tmp_path, data) == "Comment in central directory"


def test_a_data_descriptor_is_refused(tmp_path: Path) -> None:
    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:  # type: ignore[no-untyped-def, override]
            self.buf += b
            return len(b)

    out = Unseekable()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:  # type: ignore[arg-type]
        zf.writestr("a.py", b"x = 1\n")
    assert reason(tmp_path, bytes(out.buf)) == "ZIP contains a data descriptor"


def test_a_non_ascii_name_without_the_utf8_flag_is_not_in_the_central_directory(
        tmp_path: Path) -> None:
    data = zip_bytes({"caf\u00e9.txt": b"1"}, compression=zipfile.ZIP_STORED)
    assert reason(tmp_path, data) is None  # zipfile sets bit 11: fine
    # Clear bit 11 in the local header (offset 6) and the central header (offset 8).
    data = patch(data, 6, b"\x00\x00")
    data = patch(data, central_at(data) + 8, b"\x00\x00")
    assert reason(tmp_path, data) == "Filename not in central directory"


def test_a_local_name_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    data = raw_zip([(b"\xff\xfe.txt", b"1")])
    assert reason(tmp_path, data) == "Filename not unicode"


@pytest.mark.parametrize("name", [b"a\x01b", b"a\x7fb", b"a\nb"])
def test_control_characters_in_names_are_refused(tmp_path: Path, name: bytes) -> None:
    assert reason(tmp_path, raw_zip([(name, b"1")])) == "Invalid character in filename"


def test_duplicate_names_are_refused(tmp_path: Path) -> None:
    same = raw_zip([(b"a", b"1"), (b"a", b"1")])
    assert reason(tmp_path, same) == "Duplicate filename in local headers"
    different = raw_zip([(b"a", b"1"), (b"a", b"22")])
    assert reason(tmp_path, different) == "Mis-matched data size"


def test_local_and_central_sizes_must_agree(tmp_path: Path) -> None:
    data = raw_zip([(b"a", b"hello")])
    # local header: compressed size at 18, uncompressed at 22
    assert reason(tmp_path, patch(data, 22, struct.pack("<L", 4))) == "Mis-matched file size"
    assert reason(tmp_path, patch(data, 18, struct.pack("<L", 4))) == "Mis-matched data size"


def test_a_central_entry_without_a_local_header_is_refused(tmp_path: Path) -> None:
    local = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0) + raw_central(b"b", b"1", 0)
    data = local + cd + raw_eocd(2, len(cd), len(local))
    assert reason(tmp_path, data) == "Missing filename in local headers"


def test_duplicate_zip64_or_unicode_path_extras_are_refused(tmp_path: Path) -> None:
    z64 = extra_field(0x0001, struct.pack("<QQ", 1, 1))
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=z64 * 2)) == \
        "Invalid duplicate extra in local file"
    up = extra_field(0x7075, b"\x01" + struct.pack("<L", zlib.crc32(b"a")) + b"a")
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=up * 2)) == \
        "Invalid duplicate extra in local file"
    # Other extras may repeat.
    ut = extra_field(0x5455, b"\x01" + struct.pack("<L", 1))
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=ut * 2)) is None


def test_unicode_path_extras_are_checked(tmp_path: Path) -> None:
    bad = extra_field(0x7075, b"\x01" + struct.pack("<L", 0) + b"\xff")
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=bad)) == \
        "Filename not valid UTF-8"
    ctl = extra_field(0x7075, b"\x01" + struct.pack("<L", 0) + b"a\x02")
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=ctl)) == \
        "Invalid character in filename"


@pytest.mark.parametrize("extra", [
    extra_field(0x0001, b"\x00" * 12),  # a ZIP64 extra of 12 bytes
    struct.pack("<HH", 0x5455, 40) + b"\x00" * 4,  # length overruns the header
    b"\x01\x00",  # fewer than 4 bytes left
])
def test_malformed_extras_are_refused(tmp_path: Path, extra: bytes) -> None:
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=extra)) == "Malformed zip file"


def test_zip64_extra_of_8_bytes_needs_a_stored_entry(tmp_path: Path) -> None:
    z64 = extra_field(0x0001, struct.pack("<Q", 1))
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=z64)) is None
    deflated = raw_local(b"a", b"1", method=8, extra=z64)
    cd = raw_central(b"a", b"1", 0, method=8)
    data = deflated + cd + raw_eocd(1, len(cd), len(deflated))
    assert reason(tmp_path, data) == "Malformed zip file"


def test_zip64_extra_of_0_bytes_with_sentinel_sizes_is_refused(tmp_path: Path) -> None:
    empty = extra_field(0x0001, b"")
    assert reason(tmp_path, raw_zip([(b"a", b"1")], local_extra=empty)) is None
    local = raw_local(b"a", b"1", extra=empty, fsize=0xFFFFFFFF)
    cd = raw_central(b"a", b"1", 0)
    assert reason(tmp_path, local + cd + raw_eocd(1, len(cd), len(local))) == \
        "Malformed zip file"


def test_end_record_counts_offset_and_disks_must_agree(tmp_path: Path) -> None:
    local = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0)
    good = local + cd + raw_eocd(1, len(cd), len(local))
    assert reason(tmp_path, good) is None
    assert reason(tmp_path, local + cd + raw_eocd(2, len(cd), len(local))) == \
        "Mismatched central directory records"
    assert reason(tmp_path, local + cd + raw_eocd(1, len(cd), len(local) + 1)) == \
        "Mismatched central directory offset"
    assert reason(tmp_path, local + cd + raw_eocd(1, len(cd), len(local), on_disk=0)) == \
        "Malformed zip file"


def test_zip64_end_record_with_extensible_data_is_refused(tmp_path: Path) -> None:
    body = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0)
    eocd64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 48, 45, 45, 0, 0, 1, 1, len(cd),
                         len(body)) + b"\x00" * 4
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body) + len(cd), 1)
    data = body + cd + eocd64 + locator + raw_eocd(1, len(cd), len(body))
    assert reason(tmp_path, data) == "ZIP64 extensible data not allowed"


def test_an_end_record_after_zip64_without_a_locator_is_refused(tmp_path: Path) -> None:
    body = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0)
    eocd64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, 1, 1, len(cd),
                         len(body))
    # The stray ZIP64 record sits before the central directory, so zipfile still lists it.
    data = body + eocd64 + cd + raw_eocd(1, len(cd), len(body) + len(eocd64))
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["a"]
    assert reason(tmp_path, data) == "Malformed zip file"


def test_a_record_running_past_the_end_is_malformed(tmp_path: Path) -> None:
    # The sizes agree, but say more data than the file holds: the walk runs off the end.
    local = raw_local(b"a", b"1", csize=10_000, fsize=10_000)
    cd = raw_central(b"a", b"1", 0, csize=10_000, fsize=10_000)
    data = local + cd + raw_eocd(1, len(cd), len(local))
    assert reason(tmp_path, data) == "Malformed zip file"


def test_an_unknown_record_in_the_middle(tmp_path: Path) -> None:
    local = raw_local(b"a", b"1")
    junk = b"PK\x07\x08" + b"\x00" * 12  # a stray data-descriptor record
    cd = raw_central(b"a", b"1", 0)
    data = local + junk + cd + raw_eocd(1, len(cd), len(local) + len(junk))
    report = check_framing(write(tmp_path, data))
    assert report.reason == "Unknown record signature" and report.offset == len(local)


def test_a_file_that_is_not_a_zip_raises(tmp_path: Path) -> None:
    with pytest.raises(zipwalk.ZipWalkError):
        check_framing(write(tmp_path, b"not a zip at all" * 10))


# -- end record and central directory --------------------------------------------------------
def test_find_end_record_with_and_without_comment(tmp_path: Path) -> None:
    for comment in (b"", b"c" * 1000):
        data = zip_bytes({"a": b"1"}, comment=comment)
        with open(write(tmp_path, data), "rb") as fh:
            end = find_end_record(fh)
        assert end is not None and end.entries == 1 and end.comment_length == len(comment)
    with open(write(tmp_path, b"PK\x05\x06"), "rb") as fh:
        assert find_end_record(fh) is None


def test_a_multi_disk_locator_raises(tmp_path: Path) -> None:
    body = raw_local(b"a", b"1")
    cd = raw_central(b"a", b"1", 0)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, 0, 2)
    with open(write(tmp_path, body + cd + locator + raw_eocd(1, len(cd), len(body))),
              "rb") as fh, pytest.raises(zipwalk.MultiDiskError):
        find_end_record(fh)


def test_iter_central_directory_counts_and_caps(tmp_path: Path) -> None:
    data = zip_bytes({f"m{i}": b"" for i in range(50)})
    with open(write(tmp_path, data), "rb") as fh:
        end = find_end_record(fh)
        assert end is not None
        names = [e.name for e in iter_central_directory(fh, end)]
        assert names == [f"m{i}" for i in range(50)]
        with pytest.raises(zipwalk.TooManyEntries):
            list(iter_central_directory(fh, end, max_entries=49))
        with pytest.raises(zipwalk.TooManyEntries):
            list(iter_central_directory(fh, end, max_bytes=100))


def test_central_directory_flags_a_non_utf8_unicode_path(tmp_path: Path) -> None:
    up = extra_field(0x7075, b"\x01" + struct.pack("<L", zlib.crc32(b"a")) + b"\xff")
    data = raw_zip([(b"a", b"1")], central_extra=up)
    with open(write(tmp_path, data), "rb") as fh:
        end = find_end_record(fh)
        assert end is not None
        (entry,) = iter_central_directory(fh, end)
    assert entry.unicode_path_error
    # A CRC that does not match the name: the extra is ignored, as zipfile ignores it.
    stale = extra_field(0x7075, b"\x01" + struct.pack("<L", 1) + b"\xff")
    with open(write(tmp_path, raw_zip([(b"a", b"1")], central_extra=stale)), "rb") as fh:
        end = find_end_record(fh)
        assert end is not None
        (entry,) = iter_central_directory(fh, end)
    assert not entry.unicode_path_error


def test_central_sizes_come_from_the_zip64_extra(tmp_path: Path) -> None:
    z64 = extra_field(0x0001, struct.pack("<QQ", 5, 5))
    local = raw_local(b"a", b"hello", csize=0xFFFFFFFF, fsize=0xFFFFFFFF, extra=z64)
    cd = raw_central(b"a", b"hello", 0, csize=0xFFFFFFFF, fsize=0xFFFFFFFF, extra=z64)
    data = local + cd + raw_eocd(1, len(cd), len(local))
    assert zipfile.ZipFile(io.BytesIO(data)).read("a") == b"hello"
    assert reason(tmp_path, data) is None


# -- scale -----------------------------------------------------------------------------------
def test_the_walk_is_linear_on_many_members(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for i in range(20_000):
            zf.writestr(zipfile.ZipInfo(f"pkg/mod{i}.py", date_time=DATE), b"x = 1\n")
    start = time.perf_counter()
    report = check_framing(path)
    elapsed = time.perf_counter() - start
    assert report.ok and report.entries == 20_000
    assert elapsed < 2.0, elapsed


# -- the listing's sizes -------------------------------------------------------------------
def test_a_listed_zip_keeps_every_central_size(tmp_path: Path) -> None:
    path = write(tmp_path, zip_bytes({"a/b.py": b"x = 1\n" * 50, "c": b"", "d/": b""}))
    sizes = ArchiveReader(path, "zip").take_central_sizes()
    with zipfile.ZipFile(path) as zf:
        assert sizes == {i.filename: (i.compress_size, i.file_size) for i in zf.infolist()}


_SAMPLE = zip_bytes({"pkg/__init__.py": b"x = 1\n" * 40, "pkg/data.bin": bytes(range(256)),
                     "pkg-1.0.dist-info/RECORD": b"pkg/__init__.py,,\n"})


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(_SAMPLE) - 1), st.integers(0, 255)),
                min_size=1, max_size=4))
def test_the_listings_sizes_give_the_walks_own_answer(tmp_path_factory: pytest.TempPathFactory,
                                                       edits: list[tuple[int, int]]) -> None:
    # Damaged anywhere (sizes, names, signatures, extras), a zip that still lists gets the
    # same framing verdict from the listing's sizes as from the walk's own reading.
    data = bytearray(_SAMPLE)
    for at, value in edits:
        data[at] = value
    path = write(tmp_path_factory.mktemp("z"), bytes(data))
    try:
        own = check_framing(path)
    except (zipwalk.ZipWalkError, zipwalk.TooManyEntries):
        return
    assert framing_from_the_listing(path) in (None, own)
