"""The lean tar walk lists exactly what tarfile lists (issue 12).

Why: ``read/tarwalk.py`` replaces tarfile's header parsing on plain headers for speed; it
is only allowed to exist if nobody can tell the difference. Every case here runs the same
gzip stream through both, tarfile alone over GzipFile's buffered ``read1`` (the oracle: what
the reader did before the walk, and what PyPI's ``tarfile.open(mode="r:gz")`` does) and the
walk with its handover over gzip's inner reader (``archives._one_read``), and
compares the members (name, size, kind, sparse), every file member's content, and the
error that ended the listing, word for word. Inputs are real archives written by tarfile
in all three formats, the same archives with their bytes mutated before and after gzip,
and hand-made headers with odd number fields and checksums.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from preupload_guard.read.archives import _BoundedTarInfo, _InflatingReader
from preupload_guard.read.tarwalk import TarWalk

Outcome = tuple[list[tuple[Any, ...]], tuple[str, str] | None]


class _BufferedGzip(gzip.GzipFile):
    """A GzipFile the reader cannot see through: it inflates through ``read1`` and the
    buffer, as the reader did before it called gzip's inner reader directly."""


def _stream(data: bytes, *, buffered: bool = False) -> _InflatingReader:
    kind = _BufferedGzip if buffered else gzip.GzipFile
    return _InflatingReader(kind(fileobj=io.BytesIO(data)),  # type: ignore[arg-type]
                            len(data))


def _content(fh: Any) -> tuple[str, Any]:
    chunks = []
    try:
        while chunk := fh.read(3000):
            chunks.append(chunk)
    except Exception as exc:  # the error is part of what is compared
        return "error", (type(exc).__name__, str(exc))
    return "data", b"".join(chunks)


def _kind(info: tarfile.TarInfo) -> str:
    for kind, test in (("file", info.isreg), ("dir", info.isdir), ("symlink", info.issym),
                       ("hardlink", info.islnk)):
        if test():
            return kind
    return "other"


def by_tarfile(data: bytes, read: bool = True) -> Outcome:
    out: list[tuple[Any, ...]] = []
    try:
        stream = _stream(data, buffered=True)
        with tarfile.open(fileobj=stream, mode="r:",  # type: ignore[call-overload]
                          tarinfo=_BoundedTarInfo) as tf:
            for info in tf:
                tf.members = []
                row: tuple[Any, ...] = (info.name, info.size, _kind(info), info.issparse())
                if read and info.isreg():
                    row += _content(tf.extractfile(info))
                out.append(row)
    except Exception as exc:
        return out, (type(exc).__name__, str(exc))
    return out, None


def by_walk(data: bytes, read: bool = True) -> tuple[Outcome, TarWalk | None]:
    out: list[tuple[Any, ...]] = []
    walk = None
    try:
        stream = _stream(data)
        walk = TarWalk(stream, lambda: tarfile.TarFile(  # type: ignore[call-arg]
            fileobj=stream, mode="r", tarinfo=_BoundedTarInfo))
        for entry in walk:
            row: tuple[Any, ...] = (entry.name, entry.size, entry.kind, entry.sparse)
            if read and entry.kind == "file":
                row += _content(walk.open(entry))
            out.append(row)
    except Exception as exc:
        return (out, (type(exc).__name__, str(exc))), walk
    return (out, None), walk


def assert_same(data: bytes, read: bool = True) -> TarWalk | None:
    expected = by_tarfile(data, read)
    got, walk = by_walk(data, read)
    assert got == expected
    return walk


def build(members: list[tuple[str, str, bytes]], fmt: int,
          pax: dict[str, str] | None = None, mtime: float = 1_700_000_000) -> bytes:
    """A tar written by tarfile itself: (kind, name, content-or-link-target)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt, pax_headers=pax or {}) as tf:
        for kind, name, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = mtime  # a float makes PAX write a record, as real sdists have
            if kind == "file":
                info.size = len(payload)
                tf.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE,
                         "hardlink": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = payload.decode("utf-8", "surrogateescape")
            tf.addfile(info)
    return buf.getvalue()


_NAMES = st.one_of(
    st.sampled_from(["pkg-1.0/PKG-INFO", "pkg-1.0/src/pkg/__init__.py", "pkg-1.0/",
                     "pkg-1.0/" + "d" * 120 + "/x.py", "a" * 150, "pkg-1.0/caf\u00e9.txt",
                     "pkg-1.0/bad-\udcff.txt", "./pkg-1.0/setup.py", "pkg-1.0//double"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=130),
)
_MEMBERS = st.lists(st.tuples(
    st.sampled_from(["file", "file", "file", "dir", "symlink", "hardlink", "fifo"]),
    _NAMES,
    st.one_of(st.binary(max_size=1200), st.sampled_from([b"", b"x" * 512, b"y" * 513]))),
    min_size=0, max_size=6)
_FORMATS = st.sampled_from([tarfile.PAX_FORMAT, tarfile.GNU_FORMAT, tarfile.USTAR_FORMAT])


@st.composite
def archives(draw: st.DrawFn) -> bytes:
    members = draw(_MEMBERS)
    fmt = draw(_FORMATS)
    pax = draw(st.sampled_from([None, None, {"comment": "global"}]))
    try:
        return build(members, fmt, pax if fmt == tarfile.PAX_FORMAT else None)
    except (ValueError, UnicodeError):  # a name ustar/gnu cannot hold
        return build(members, tarfile.PAX_FORMAT)


@st.composite
def mutated(draw: st.DrawFn, raw: bytes) -> bytes:
    buf = bytearray(raw)
    for _ in range(draw(st.integers(1, 3))):
        if not buf:
            break
        at = draw(st.integers(0, len(buf) - 1))
        kind = draw(st.sampled_from(["flip", "zero", "truncate", "dup", "digit", "space"]))
        if kind == "flip":
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "zero":
            buf[at:at + 8] = bytes(len(buf[at:at + 8]))
        elif kind == "truncate":
            del buf[at:]
        elif kind == "dup":
            buf[at:at] = buf[at:at + draw(st.integers(1, 600))]
        elif kind == "digit":  # keeps a number field plausible, breaks the checksum
            buf[at] = draw(st.sampled_from(b"0123456789 \x80\xff"))
        else:
            buf[at] = 0x20
    return bytes(buf)


_SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                     suppress_health_check=list(HealthCheck))


@_SETTINGS
@given(archives())
def test_real_archives_list_alike(raw: bytes) -> None:
    assert_same(gzip.compress(raw, mtime=0))


@_SETTINGS
@given(st.data())
def test_mutated_tars_list_alike(data: st.DataObject) -> None:
    raw = data.draw(archives())
    assert_same(gzip.compress(data.draw(mutated(raw)), mtime=0))


def _inflated(stream: _InflatingReader, sizes: list[int]) -> tuple[list[bytes], Any]:
    """What successive reads of these sizes give, and the error that ended them."""
    out = []
    try:
        for size in sizes:
            chunk = stream.read(size)
            out.append(chunk)
            if not chunk:
                break
    except Exception as exc:
        return out, (type(exc).__name__, str(exc))
    return out, None


def test_the_inner_gzip_reader_is_used() -> None:
    """Without it the speed-up is silently gone (a Python whose gzip changed shape)."""
    data = gzip.compress(b"x" * 100)
    assert _stream(data)._read1.__self__.__class__ is gzip._GzipReader  # type: ignore[attr-defined]
    assert _stream(data, buffered=True)._read1.__name__ == "read1"  # type: ignore[attr-defined]


@st.composite
def gzip_streams(draw: st.DrawFn) -> bytes:
    """One or more gzip members (FNAME/FEXTRA/FCOMMENT/FHCRC headers too), then perhaps
    zero padding or garbage, perhaps mutated."""
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        payload = draw(st.one_of(st.binary(max_size=3000),
                                 st.sampled_from([b"", b"a" * 200_000])))
        member = bytearray(gzip.compress(payload, mtime=0,
                                         compresslevel=draw(st.sampled_from([1, 9]))))
        flags = draw(st.integers(0, 0x1E)) & 0x1E  # FHCRC FEXTRA FNAME FCOMMENT
        if flags:
            extra = b""
            if flags & 4:
                extra += b"\x03\x00abc"
            if flags & 8:
                extra += b"name.tar\0"
            if flags & 16:
                extra += b"a comment\0"
            if flags & 2:
                extra += b"\0\0"
            member[3] = flags
            member[10:10] = extra
        parts.append(bytes(member))
    tail = draw(st.sampled_from([b"", b"", b"\0" * 7, b"\0" * 600, b"junk", b"\x1f\x8b"]))
    data = b"".join(parts) + tail
    return data if draw(st.booleans()) else draw(mutated(data))


@_SETTINGS
@given(gzip_streams(), st.lists(st.sampled_from([1, 511, 512, 4096, 100_000, 2 ** 21]),
                                min_size=1, max_size=40))
def test_inner_reader_inflates_like_read1(data: bytes, sizes: list[int]) -> None:
    """Same bytes in the same pieces, the same error at the same read, word for word:
    concatenated members, every header flag, padding, trailing garbage, bad CRCs and
    lengths, truncation."""
    assert _inflated(_stream(data), sizes) == _inflated(_stream(data, buffered=True), sizes)


@_SETTINGS
@given(st.data())
def test_mutated_gzip_streams_list_alike(data: st.DataObject) -> None:
    raw = data.draw(archives())
    assert_same(data.draw(mutated(gzip.compress(raw, mtime=0))))


def _header(name: bytes, size: bytes, kind: bytes, checksum: str, numbers: bytes) -> bytes:
    h = bytearray(512)
    h[0:len(name)] = name
    for start in (100, 108, 116, 136):
        h[start:start + 8] = numbers
    h[124:136] = size
    h[156:157] = kind
    h[257:263] = b"ustar\0"
    h[148:156] = b" " * 8
    unsigned = sum(h)
    signed = unsigned - 2 * sum(b for b in h if b > 127)
    value = {"unsigned": unsigned, "signed": signed, "wrong": unsigned + 1}[checksum]
    h[148:156] = b"%06o\0 " % (value & 0o777777)
    return bytes(h)


_PLAIN_SIZE = b"00000000012\0"
_PLAIN_NUMBERS = b"0000644\0"


@_SETTINGS
@given(st.lists(st.tuples(
    st.sampled_from([b"a.py", b"dir/", b"dir//", b"\xe9t\xe9.txt", b"p" * 100, b"/"]),
    st.one_of(st.just(_PLAIN_SIZE), st.sampled_from([
        b" 12 \0      ", b"12\0         ", b"1_2\0        ", b"\x80" + bytes(10) + b"\x0c",
        b"           \0", b"-1\0         ", b"+12\0        ", b"12 3\0       "])),
    st.sampled_from([b"0", b"\0", b"5", b"1", b"2", b"x", b"g", b"L", b"S", b"7", b"Z"]),
    st.sampled_from(["unsigned", "unsigned", "unsigned", "signed", "wrong"]),
    st.one_of(st.just(_PLAIN_NUMBERS), st.sampled_from(
        [b"     \0  ", b"64 4\0   ", b"\xff" * 8, b"0o17\0   ", b"\0garbage", b"0000644 "])),
    st.binary(max_size=40)), min_size=1, max_size=4), st.booleans())
def test_hand_made_headers_list_alike(parts: list[tuple[Any, ...]], end: bool) -> None:
    blocks = []
    for name, size, kind, checksum, numbers, payload in parts:
        blocks.append(_header(name, size, kind, checksum, numbers))
        blocks.append(payload.ljust(512, b"\0"))
    raw = b"".join(blocks) + (bytes(1024) if end else b"")
    assert_same(gzip.compress(raw, mtime=0))


#: Spellings of one number field: tarfile's own (the walk's one-match path), others that
#: tarfile reads alike (the field-by-field path), and ones it refuses. Values stay small.
_SPELLINGS = {
    8: [b"0000644\0", b"0000000\0", b"\0" * 8, b"644 \0   ", b"  644\0  ", b"     644",
        b"00000644", b"0000644 ", b"064\0abcd", b"0009644\0", b"\x80\0\0\0\0\0\0\x01"],
    12: [b"00000000012\0", b"00000000000\0", b"12\0" + bytes(9), b" 12 \0      ",
         b"000000000012", b"00000000012 ", b"0000000001x\0", b"\x80" + bytes(10) + b"\x0c"],
}
_FIELDS = {"mode": (100, 8), "uid": (108, 8), "gid": (116, 8), "size": (124, 12),
           "mtime": (136, 12), "devmajor": (329, 8), "devminor": (337, 8)}
_CHECKSUMS = ["%06o\0 ", "%07o\0", "%06o  ", " %06o\0", "%o\0", "%08o"]


def _spelled(fields: dict[str, bytes], checksum: str, kind: bytes,
             off_by_one: bool, name: bytes = b"a.py", prefix: bytes = b"") -> bytes:
    """A gzipped tar of a header with these number spellings, then a plain member."""
    h = bytearray(512)
    h[0:len(name)] = name
    h[345:345 + len(prefix)] = prefix
    for field, (start, width) in _FIELDS.items():
        h[start:start + width] = fields[field]
    h[156:157] = kind
    h[257:263] = b"ustar\0"
    h[148:156] = b" " * 8
    value = sum(h) + off_by_one
    h[148:156] = (checksum % value).encode()[:8].ljust(8, b"\0")
    payload = {b"0": b"hello\n".ljust(512, b"\0"), b"5": b"", b"x": bytes(512)}[kind]
    return gzip.compress(bytes(h) + payload + _header(
        b"b.txt", _PLAIN_SIZE, b"0", "unsigned", _PLAIN_NUMBERS) + bytes(1536), mtime=0)


_COMMON = {field: _SPELLINGS[width][0] for field, (_, width) in _FIELDS.items()}


@_SETTINGS
@given(st.fixed_dictionaries({field: st.sampled_from(_SPELLINGS[width])
                              for field, (_, width) in _FIELDS.items()}),
       st.sampled_from(_CHECKSUMS), st.sampled_from([b"0", b"5", b"x"]), st.booleans())
def test_number_spellings_list_alike(fields: dict[str, bytes], checksum: str, kind: bytes,
                                     off_by_one: bool) -> None:
    """Number fields in tarfile's spelling or others, mixed: read as tarfile reads them."""
    assert_same(_spelled(fields, checksum, kind, off_by_one))


@pytest.mark.parametrize(("field", "spelling"), [
    (field, spelling) for field, (_, width) in _FIELDS.items()
    for spelling in _SPELLINGS[width][1:]])
def test_one_odd_number_among_common_ones_lists_alike(field: str, spelling: bytes) -> None:
    """The one-match path must not take a field it does not spell: each field in turn is
    spelled otherwise while the rest, and the checksum, are tarfile's own."""
    assert_same(_spelled({**_COMMON, field: spelling}, _CHECKSUMS[0], b"0", False))


@pytest.mark.parametrize("kind", [b"0", b"5"])
def test_common_numbers_are_walked_without_tarfile(kind: bytes) -> None:
    walk = assert_same(_spelled(_COMMON, _CHECKSUMS[0], kind, False))
    assert walk is not None and walk.plain == 2


def test_a_header_whose_byte_sum_passes_adler32s_modulus_is_walked() -> None:
    """High bytes in the name and prefix sum to more than 65,521 (Adler-32's modulus)."""
    raw = _spelled(_COMMON, "%07o\0", b"0", False, name=b"\xff" * 100, prefix=b"\xfe" * 155)
    assert sum(gzip.decompress(raw)[:512]) > 65521
    walk = assert_same(raw)
    assert walk is not None and walk.plain == 2


@pytest.mark.parametrize("name", [b"a.py", b"dir/", b"dir//", b"/", b"x" * 100])
@pytest.mark.parametrize("kind", [b"0", b"\0", b"5", b"1", b"2"])
@pytest.mark.parametrize("prefix", [b"", b"pkg-1.0", b"pkg-1.0/"])
def test_plain_header_names_list_alike(name: bytes, kind: bytes, prefix: bytes) -> None:
    header = bytearray(_header(name, _PLAIN_SIZE, kind, "unsigned", _PLAIN_NUMBERS))
    header[345:345 + len(prefix)] = prefix
    header[148:156] = b" " * 8
    header[148:156] = b"%06o\0 " % sum(header)
    raw = bytes(header) + b"hello world\n".ljust(512, b"\0") + bytes(1024)
    walk = assert_same(gzip.compress(raw, mtime=0))
    assert walk is not None and walk.plain == 1


def _pax_block(records: bytes, size: int | None = None) -> bytes:
    size_field = b"%011o\0" % (len(records) if size is None else size)
    return (_header(b"././@PaxHeader", size_field, b"x", "unsigned", _PLAIN_NUMBERS)
            + records.ljust(-(-len(records) // 512) * 512, b"\0"))


def rec(keyword: bytes, value: bytes) -> bytes:
    """One PAX record with its true length."""
    body = b" " + keyword + b"=" + value + b"\n"
    length = len(body) + 1
    length += len(str(length + len(str(length)))) - 1
    record = str(length).encode() + body
    assert len(record) == length
    return record


@pytest.mark.parametrize(("records", "size"), [
    (rec(b"path", b"a.py"), None),
    (b"13 path=a.py\n", None),  # a length that lies
    (rec(b"mtime", b"1700000000.123456789") + rec(b"path", b"b.py"), None),
    (rec(b"size", b"5"), None),
    (rec(b"size", b"abc"), None),
    (rec(b"size", b"-5"), None),
    (rec(b"size", b" 7"), None),
    (rec(b"size", b"99999999999"), None),
    (rec(b"hdrcharset", b"BINARY") + rec(b"path", b"\xff.py"), None),
    (rec(b"path", b"\xff.py"), None),
    (rec(b"comment", b"\xff"), None),
    (b"0 path=a\n", None),
    (b"4 a=\n", None),
    (b"5 =b\n" + rec(b"path", b"a.py"), None),
    (b"12 pathxa.py\n", None),
    (b"12 path=a.py", None),  # no newline (and no NUL after it)
    (rec(b"path", b"a.py") + b"JUNK", None),
    (rec(b"path", b"a.py") + b"9 path=b\n", 13),  # records past the size
    (rec(b"path", b"a.py") + b"\0" + rec(b"path", b"b.py"), 13),
    (rec(b"GNU.sparse.name", b"sp.bin"), None),
    (rec(b"path", b"dir/"), None),
    (rec(b"path", b"/"), None),
    (rec(b"linkpath", b"target"), None),
    (b"99999999999999999999999 path=a\n", None),
    (rec(b"comment", b"c" * 17000), None),  # larger than the walk reads itself
    (rec(b"comment", b"c" * 70000), None),  # larger than the stream can rewind
])
@pytest.mark.parametrize("then", [b"0", b"5", b"2", b"x", b"L"])
def test_pax_records_list_alike(records: bytes, size: int | None, then: bytes) -> None:
    member = _header(b"orig.py", _PLAIN_SIZE, then, "unsigned", _PLAIN_NUMBERS)
    raw = (_pax_block(records, size) + member + b"hello world\n".ljust(512, b"\0")
           + _header(b"next.txt", b"00000000003\0", b"0", "unsigned", _PLAIN_NUMBERS)
           + b"abc".ljust(512, b"\0") + bytes(1024))
    assert_same(gzip.compress(raw, mtime=0))


@pytest.mark.parametrize("cut", [512 + 1, 512 + 12, 512 + 100, 1024, 1024 + 1, 1536 - 1])
def test_truncated_member_data_reads_alike(cut: int) -> None:
    raw = build([("file", "a.py", b"a" * 600), ("file", "b.py", b"b")], tarfile.USTAR_FORMAT)
    assert_same(gzip.compress(raw[:cut], mtime=0))
    assert_same(gzip.compress(raw[:cut], mtime=0), read=False)


def test_member_data_seeks_as_extractfile_does() -> None:
    raw = build([("file", "a.py", bytes(range(200)) * 5)], tarfile.USTAR_FORMAT)
    moves = [(0, 0), (10, 0), (5, 1), (-3, 1), (10_000, 0), (-10, 2), (5, 2), (-5000, 2),
             (-1, 0)]
    results = []
    for make in ("tarfile", "walk"):
        stream = _stream(gzip.compress(raw, mtime=0))
        tf = tarfile.TarFile(fileobj=stream, mode="r", tarinfo=_BoundedTarInfo)
        if make == "tarfile":
            fh: Any = tf.extractfile(tf.next())  # type: ignore[arg-type]
        else:
            stream.seek(0)
            walk = TarWalk(stream, lambda tf=tf: tf)  # type: ignore[misc]
            fh = walk.open(next(iter(walk)))
        seen = []
        for offset, whence in moves:
            try:
                seen.append((fh.seek(offset, whence), fh.read(3), fh.tell()))
            except (ValueError, OSError) as exc:
                seen.append(type(exc).__name__)
        results.append(seen)
    assert results[0] == results[1]


def test_a_plain_sdist_is_walked_without_tarfile_until_its_end() -> None:
    """The speed is real: a PAX sdist as build writes it (a PAX header before every member)
    is read by the walk, and tarfile is only asked about the end-of-archive block."""
    files = [("file", f"pkg-1.0/src/pkg/m{i}.py", b"x = 1\n" * i) for i in range(50)]
    raw = build([("dir", "pkg-1.0", b""), *files], tarfile.PAX_FORMAT, mtime=1.7e9 + 0.5)
    assert raw.count(b" mtime=1700000000.5\n") == 51
    walk = assert_same(gzip.compress(raw, mtime=0))
    assert walk is not None
    assert walk.plain == 51
    # each member: a PAX header, its record block and the ustar header, then the data
    assert walk.handed_over_at == 512 * (3 + sum(3 + -(-len(p) // 512) for _, _, p in files))


def test_gnu_long_names_are_walked_and_chains_hand_over() -> None:
    raw = build([("file", "short.py", b"a"), ("file", "l" * 150 + ".py", b"b"),
                 ("dir", "d" * 150, b""), ("file", "after.py", b"c"),
                 ("symlink", "link", b"t" * 150), ("symlink", "n" * 150, b"t" * 150),
                 ("file", "last.py", b"d")], tarfile.GNU_FORMAT)
    walk = assert_same(gzip.compress(raw, mtime=0))
    assert walk is not None
    # a long link name alone is walked; a long link name before a long name is a chain
    # blocks: short.py 2, long file 4 (L, name, header, data), long dir 3, after.py 2,
    # the link 3 (K, target, header); then the chain starts
    assert walk.plain == 5 and walk.handed_over_at == 512 * (2 + 4 + 3 + 2 + 3)


@pytest.mark.parametrize("longname", [b"x" * 120, b"x" * 120 + b"/", b"x" * 120 + b"//",
                                      b"a\0b", b"", b"\xff" * 130, b"y" * 600])
@pytest.mark.parametrize("size", [None, 0, 5, 2000, 20000])
@pytest.mark.parametrize("then", [b"0", b"\0", b"5", b"2", b"L", b"x"])
def test_gnu_long_name_blocks_list_alike(longname: bytes, size: int | None,
                                         then: bytes) -> None:
    size_field = b"%011o\0" % (len(longname) if size is None else size)
    raw = (_header(b"././@LongLink", size_field, b"L", "unsigned", _PLAIN_NUMBERS)
           + longname.ljust(-(-len(longname) // 512) * 512, b"\0")
           + _header(b"short/", _PLAIN_SIZE, then, "unsigned", _PLAIN_NUMBERS)
           + b"hello world\n".ljust(512, b"\0") + bytes(1024))
    assert_same(gzip.compress(raw, mtime=0))


def test_a_stream_error_inside_a_header_is_worded_by_tarfile() -> None:
    raw = build([("file", f"m{i}.py", bytes(range(256)) * 40) for i in range(40)],
                tarfile.PAX_FORMAT)
    data = bytearray(gzip.compress(raw, mtime=0, compresslevel=1))
    for at in range(len(data) // 3, len(data), max(1, len(data) // 40)):
        broken = bytearray(data)
        broken[at:at + 16] = b"\xff" * 16
        assert_same(bytes(broken))
        assert_same(bytes(broken), read=False)  # the error then meets the walk's headers
