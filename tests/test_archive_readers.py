"""The bounded readers themselves: listing, bounded reads, error categories, probes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from preupload_guard.read import archives
from preupload_guard.read.archives import (
    ArchiveError,
    ArchiveLimitExceeded,
    ArchiveReader,
    MemberTooLarge,
    _InflatingReader,
    is_zip_file,
    probe_tar,
)

DATE = (2026, 1, 1, 0, 0, 0)


def tar_bytes(members: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def stored_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(zipfile.ZipInfo(name, date_time=DATE), data)
    return path


# -- the inflating reader --------------------------------------------------------------------
def test_inflating_reader_seeks_forward_lazily_and_back_within_its_window() -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    reader = _InflatingReader(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(data))), 1)
    assert reader.read(10) == data[:10]
    reader.seek(500_000)
    assert reader.count < 500_000  # a seek inflates nothing until the next read
    assert reader.read(4) == data[500_000:500_004]
    reader.seek(500_003)
    assert reader.read(1) == data[500_003:500_004]  # tarfile's one-byte step back
    with pytest.raises(OSError):
        reader.seek(0)
    reader.seek(len(data) - 2)
    assert reader.read(10) == data[-2:]
    assert reader.read(10) == b""


def test_inflating_reader_stops_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "TAR_RATIO_FLOOR", 1000)
    reader = _InflatingReader(gzip.GzipFile(fileobj=io.BytesIO(gzip.compress(b"\0" * 10**6))), 1)
    with pytest.raises(ArchiveLimitExceeded, match="inflates past"):
        reader.read(5000)


def _read_through_take(self: _InflatingReader, size: int = -1) -> bytes:
    """``_InflatingReader.read`` without its shortcut (the oracle): every piece via
    ``_take``, as every read went before the shortcut existed."""
    if size is None or size < 0:
        size = self._limit + 1
    return self._read_through_take(size)


def _reader_steps(reader: _InflatingReader, steps: list[tuple[str, int]],
                  *, plain: bool) -> list[object]:
    out: list[object] = []
    try:
        for kind, value in steps:
            if kind == "read":
                out.append(reader.read(value))
            elif plain:
                reader.seek(value - 1)
                out.append(bool(reader.read(1)))
            else:
                out.append(reader.reach(value))
            out.append((reader.tell(), reader.count))
    except Exception as exc:  # the error is part of what is compared
        out.append((type(exc).__name__, str(exc)))
    return out


_PAYLOAD = random.Random(7).randbytes(300_000) + b"\0" * 2_000_000


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["read", "reach"]), st.integers(1, 2_400_000)),
                min_size=1, max_size=12),
       st.sampled_from(["whole", "truncated", "corrupt"]), st.booleans())
# The read-ahead stops one byte past the limit: a read that ends on that byte must raise.
@example([("reach", 149_995), ("read", 6)], "whole", True)
def test_the_readers_shortcuts_change_nothing(steps: list[tuple[str, int]], damage: str,
                                              small_limit: bool) -> None:
    # reach() against seek-then-read(1), and the in-read-ahead read against _take, on a
    # stream that ends, breaks, or passes the inflation limit somewhere.
    data = gzip.compress(_PAYLOAD, mtime=0)
    if damage == "truncated":
        data = data[:len(data) // 2]
    elif damage == "corrupt":
        data = data[:5000] + bytes(64) + data[5064:]
    steps = [(kind, value if kind == "reach" else value % 70_000) for kind, value in steps]
    results = []
    for shortcut in (True, False):
        with pytest.MonkeyPatch.context() as mp:
            if small_limit:
                mp.setattr(archives, "TAR_RATIO_FLOOR", 150_000)
            if not shortcut:
                mp.setattr(_InflatingReader, "read", _read_through_take)
            reader = _InflatingReader(gzip.GzipFile(fileobj=io.BytesIO(data)), 1)
            results.append(_reader_steps(reader, steps, plain=not shortcut))
    assert results[0] == results[1]


# -- tar ---------------------------------------------------------------------------------------
def test_tar_listing_captures_and_reads_block_aligned_members(tmp_path: Path) -> None:
    members = {"p-1/PKG-INFO": b"Metadata-Version: 2.1\n", "p-1/a.py": b"a" * 512,
               "p-1/b.py": b"b" * 1024, "p-1/c.py": b"c" * 10}
    path = write(tmp_path / "p-1.tar.gz", gzip.compress(tar_bytes(members)))
    reader = ArchiveReader(path, "tar", capture=lambda m: m.name.endswith("PKG-INFO"))
    assert reader.names() == list(members)
    assert reader.read("p-1/PKG-INFO", 100) == members["p-1/PKG-INFO"]
    got = {m.name: d for m, d in reader.iter_contents(lambda m: True, 10_000)}
    assert got == members
    assert reader.read_members(["p-1/b.py", "p-1/c.py", "nope"], 10_000) == {
        "p-1/b.py": members["p-1/b.py"], "p-1/c.py": members["p-1/c.py"]}
    assert isinstance(reader.read_members(["p-1/b.py"], 100)["p-1/b.py"], MemberTooLarge)


def test_tar_member_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archives, "MAX_MEMBERS", 5)
    path = write(tmp_path / "p.tar.gz",
                 gzip.compress(tar_bytes({f"p/{i}": b"" for i in range(10)})))
    with pytest.raises(ArchiveLimitExceeded, match="more than 5 members"):
        ArchiveReader(path, "tar")


def test_tar_errors_say_what_pypi_answers(tmp_path: Path) -> None:
    noise = random.Random(0).randbytes(20_000)
    whole = gzip.compress(tar_bytes({"p/a": noise}))
    path = write(tmp_path / "p.tar.gz", whole[: len(whole) // 2])
    with pytest.raises(ArchiveError) as info:
        ArchiveReader(path, "tar")
    assert info.value.pypi_status == 400


# -- zip ---------------------------------------------------------------------------------------
def test_zip_reads_reuse_the_listing_and_keep_errors_per_member(tmp_path: Path) -> None:
    path = stored_zip(tmp_path / "x.whl", {"a.py": b"alpha-1", "b.py": b"bravo-2", "d/": b""})
    data = path.read_bytes().replace(b"alpha-1", b"alpha-9")  # a CRC error in a.py
    path.write_bytes(data)
    reader = ArchiveReader(path, "zip")
    assert [m.kind for m in reader.members] == ["file", "file", "dir"]
    got = reader.read_members(["a.py", "b.py", "missing"], 100)
    assert got["b.py"] == b"bravo-2" and "missing" not in got
    error = got["a.py"]
    assert isinstance(error, ArchiveError) and error.pypi_status == 400
    assert error.member == "a.py" and "CRC" in str(error)
    with pytest.raises(ArchiveError) as info:
        list(reader.iter_contents(lambda m: True, 100))
    assert info.value.member == "a.py"


def test_an_encrypted_member_is_a_pypi_500(tmp_path: Path) -> None:
    path = stored_zip(tmp_path / "x.whl", {"a.py": b"alpha"})
    data = bytearray(path.read_bytes())
    data[6] |= 1  # local header flags
    cd = data.index(b"PK\x01\x02")
    data[cd + 8] |= 1
    path.write_bytes(bytes(data))
    reader = ArchiveReader(path, "zip")
    assert reader.members[0].encrypted
    error = reader.read_members(["a.py"], 100)["a.py"]
    assert isinstance(error, ArchiveError) and error.pypi_status == 500


def test_zip_listing_errors_carry_pypi_status(tmp_path: Path) -> None:
    path = stored_zip(tmp_path / "x.whl", {"a": b"1"})
    data = path.read_bytes()
    cd = data.index(b"PK\x01\x02")
    broken = write(tmp_path / "bad.whl", data[:cd] + b"PK\x09\x09" + data[cd + 4:])
    with pytest.raises(ArchiveError) as info:
        ArchiveReader(broken, "zip")
    assert info.value.pypi_status == 400
    # A UTF-8 flagged name that is not UTF-8: zipfile raises UnicodeDecodeError (PyPI: 500).
    name = b"\xff"
    local = struct.pack("<4s5HL2L2H", b"PK\x03\x04", 20, 0x800, 0, 0, 0, zlib.crc32(b"1"), 1, 1,
                        1, 0) + name + b"1"
    central = struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, 3, 20, 0, 0x800, 0, 0, 0,
                          zlib.crc32(b"1"), 1, 1, 1, 0, 0, 0, 0, 0, 0) + name
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local), 0)
    odd = write(tmp_path / "odd.whl", local + central + eocd)
    with pytest.raises(ArchiveError) as info:
        ArchiveReader(odd, "zip")
    assert info.value.pypi_status == 500


def test_unicode_path_extras_python_3_12_refuses_are_refused_everywhere(tmp_path: Path) -> None:
    extra = struct.pack("<HH", 0x7075, 6) + b"\x01" + struct.pack("<L", zlib.crc32(b"a")) + b"\xff"
    path = tmp_path / "x.whl"
    with zipfile.ZipFile(path, "w") as zf:
        info = zipfile.ZipInfo("a", date_time=DATE)
        info.extra = extra
        zf.writestr(info, b"1")
    with pytest.raises(ArchiveError, match="0x7075") as info:
        ArchiveReader(path, "zip")
    assert info.value.pypi_status == 400


# -- probes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("compress,name", [
    (gzip.compress, "gz"), (bz2.compress, "bz2"), (lzma.compress, "xz"), (lambda b: b, ""),
])
def test_probe_tar_recognises_every_compression(tmp_path: Path, compress, name) -> None:
    path = write(tmp_path / "p.tar.gz", compress(tar_bytes({"p/a": b"1"})))
    probe = probe_tar(path)
    assert probe.is_tar and probe.compression == name


def test_probe_tar_refuses_what_is_not_a_tar(tmp_path: Path) -> None:
    assert not probe_tar(write(tmp_path / "a", gzip.compress(b"hello" * 200))).is_tar
    assert not probe_tar(write(tmp_path / "b", b"PK\x03\x04" + b"\0" * 600)).is_tar
    assert not probe_tar(write(tmp_path / "c", b"")).is_tar
    zst = probe_tar(write(tmp_path / "d", b"\x28\xb5\x2f\xfd" + b"\0" * 100))
    assert zst.compression == "zst"


def test_is_zip_file(tmp_path: Path) -> None:
    assert is_zip_file(stored_zip(tmp_path / "x.zip", {"a": b"1"}))
    assert not is_zip_file(write(tmp_path / "y.zip", b"PK\x03\x04 nothing else"))
    assert not is_zip_file(tmp_path / "missing.zip")


def test_probe_tar_on_broken_compressed_streams(tmp_path: Path) -> None:
    whole = gzip.compress(tar_bytes({"p/a": b"1" * 2000}))
    cut = probe_tar(write(tmp_path / "cut", whole[:40]))  # EOF inside the first block
    assert not cut.is_tar and cut.error
    corrupt = probe_tar(write(tmp_path / "bad", whole[:10] + b"\xff" * 200))
    assert not corrupt.is_tar and corrupt.error is None
    bad_bz2 = probe_tar(write(tmp_path / "bz", b"BZh9" + b"\x00" * 100))
    assert not bad_bz2.is_tar and bad_bz2.error is None
