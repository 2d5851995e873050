"""A lean walk over a tar stream's plain headers, handing anything unusual to :mod:`tarfile`.

Why: :mod:`tarfile` parses every field of every header in Python (two checksums, a dozen
numbers, a PAX record parser per member). Real sdists carry a PAX header in front of nearly
every member, so on the benchmark's 40 sdists (57,665 members) tarfile's listing took
~8 s of CPU where inflating the same streams took ~4 s. This walk reads only what a listing
needs (name, size, type, where the data is) and takes ~4.3 s for the same set. Its header
parse is itself kept lean: the byte sum is taken in C and tarfile's own spelling of the
numbers is checked with one regex match (3.2 instead of 7.0 us per header on the set's
104,574 headers).

It is exact, not approximate: a header is read here only when every field of it is in the
plain form that tarfile reads the same way in every Python we support (3.10-3.13, and the
3.14 PyPI runs): an unsigned checksum that matches, plain octal numbers, one of the types
``0``, ``\\0``, ``5``, ``1``, ``2``, each alone or after one GNU long name (or link name)
or one PAX header whose records both the old and the stricter (3.12.6+) PAX parsers read
alike, without sparse or ``hdrcharset`` keys. On the first header that is anything else
(an end-of-archive block, chained extensions, a base-256 number, a sparse file, a global
PAX header, a bad checksum, a truncated block, a read error), the stream is rewound to that
header and a real :class:`tarfile.TarFile` takes over from there, so every unusual case is
answered by tarfile itself, as PyPI's reading answers it. A read error met here is replayed
to tarfile by the stream (``fail_next``), so tarfile wraps it as it would have.
``tests/test_tarwalk.py`` proves the walk against tarfile on generated and mutated archives
in every Python we support, and on the 57,665 members of the benchmark's real sdists.

The stream is :class:`preupload_guard.read.archives._InflatingReader` (or anything with its
``read``/``seek``/``tell`` and ``fail_next``); seeking back to a header must stay inside its
look-behind window, which is why a PAX header or long name larger than
``_MAX_PLAIN_EXTENSION`` is left to tarfile.
"""

from __future__ import annotations

import re
import tarfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

BLOCK = 512
#: An octal number field as tarfile's ``nti`` reads it, in its plain form only: spaces,
#: octal digits, spaces, then NUL and anything (``nts`` cuts at the first NUL).
_OCTAL = re.compile(rb" *([0-7]*) *(?:\0.*)?", re.S)
#: mode, uid, gid, mtime, devmajor, devminor: not used, but tarfile refuses a header whose
#: number it cannot read, so the walk must too.
_OTHER_NUMBERS = ((100, 108), (108, 116), (116, 124), (136, 148), (329, 337), (337, 345))
#: The numbers' commonest spelling, as tarfile writes them: mode, uid, gid, size, mtime
#: (zero-padded octal, NUL-ended) and the checksum (six digits, NUL, space), then the device
#: numbers (octal or all NUL). Each field of this spelling is one ``_OCTAL`` reads plainly,
#: so a header that matches needs one regex match instead of eight (and 97.5% of the
#: benchmark's real headers match); any other spelling takes the field-by-field path.
_COMMON_NUMBERS = re.compile(
    rb"[0-7]{7}\0[0-7]{7}\0[0-7]{7}\0([0-7]{11})\0[0-7]{11}\0([0-7]{6})\0 ")
_COMMON_DEVICES = re.compile(rb"(?:[0-7]{7}\0|\0{8}){2}")
_KINDS = {b"0": "file", b"\0": "file", b"5": "dir", b"1": "hardlink", b"2": "symlink"}
_PAX = b"x"
_GNU_LONGNAME = b"L"
#: Headers that describe the header after them: a PAX header, a GNU long name or link name.
_EXTENSIONS = (_PAX, _GNU_LONGNAME, b"K")
#: A PAX record's length prefix, as the stricter parser (3.12.6+, 3.14) reads it.
_PAX_LENGTH = re.compile(rb"([0-9]{1,20}) ")
#: Larger PAX headers and long names go to tarfile (which bounds them); the walk must be
#: able to rewind over them.
_MAX_PLAIN_EXTENSION = 16 * 1024


class _Replay(Exception):
    """The stream failed while the walk read a header; it will fail tarfile the same way."""


class Stream(Protocol):
    def read(self, size: int = -1) -> bytes: ...
    def seek(self, offset: int, whence: int = 0) -> int: ...
    def tell(self) -> int: ...
    def fail_next(self, exc: BaseException) -> None: ...


@dataclass(frozen=True, slots=True)
class Entry:
    """One member as tarfile would list it: ``info`` is set when tarfile parsed it."""

    name: str
    size: int
    kind: str  # file, dir, symlink, hardlink, other
    sparse: bool
    data_offset: int
    info: tarfile.TarInfo | None = None


def _block(size: int) -> int:
    return -(-size // BLOCK) * BLOCK


def _number(buf: bytes, start: int, end: int) -> int | None:
    match = _OCTAL.fullmatch(buf, start, end)
    if match is None:
        return None
    return int(match[1] or b"0", 8)


def _byte_sum(block: bytes) -> int:
    """``sum(block)`` of a 512-byte block, in C: Adler-32's low half is 1 + the byte sum
    modulo 65521, and the sum of 256 bytes (at most 65,280) never wraps. ``sum`` walks the
    block in Python objects and was a third of the header's cost."""
    return (zlib.adler32(block[:256]) & 0xFFFF) + (zlib.adler32(block[256:]) & 0xFFFF) - 2


def _plain_header(buf: bytes) -> tuple[str, int, bytes] | None:
    """``(name, size, type)`` of a header tarfile reads plainly, else ``None``.

    Mirrors ``TarInfo.frombuf``: the V7 directory rule, the directory slash strip and the
    ustar prefix join, in tarfile's order.
    """
    if len(buf) != BLOCK:
        return None
    kind = buf[156:157]
    if kind not in _KINDS and kind not in _EXTENSIONS:
        return None
    common = _COMMON_NUMBERS.match(buf, 100)
    if common is not None and _COMMON_DEVICES.match(buf, 329) is not None:
        size, checksum = int(common[1], 8), int(common[2], 8)
    else:
        number = _number(buf, 148, 156)
        size = _number(buf, 124, 136)
        if number is None or size is None:
            return None
        checksum = number
        for start, end in _OTHER_NUMBERS:
            if _OCTAL.fullmatch(buf, start, end) is None:
                return None
    if checksum != _byte_sum(buf) - sum(buf[148:156]) + 256:
        return None  # includes the all-zero end block; tarfile also accepts a signed sum
    name = _text(buf[0:100])
    if kind == b"\0" and name.endswith("/"):
        kind = b"5"
    if kind == b"5":
        name = name.rstrip("/")
    prefix = _text(buf[345:500])
    if prefix:
        name = prefix + "/" + name
        if kind == b"5":  # _proc_builtin strips again
            name = name.rstrip("/")
    return name, size, kind


def _text(field: bytes) -> str:
    end = field.find(0)
    if end != -1:
        field = field[:end]
    return field.decode(tarfile.ENCODING, "surrogateescape")


def _plain_pax(data: bytes, size: int) -> dict[str, str] | None:
    """The records of a PAX header that every tarfile parser reads alike, else ``None``.

    ``data`` is what tarfile reads (the header's blocks, padding included). Records must
    tile the first ``size`` bytes exactly, each ``LEN key=value\\n`` with a strict UTF-8 key
    and value; padding must start with NUL. Sparse and ``hdrcharset`` keys go to tarfile.
    """
    if len(data) != _block(size) or b"hdrcharset" in data or b"GNU.sparse" in data:
        return None
    if size < len(data) and data[size] != 0:
        return None
    records: dict[str, str] = {}
    pos = 0
    while pos < size:
        match = _PAX_LENGTH.match(data, pos)
        if match is None:
            return None
        end = pos + int(match[1])
        if end - pos < 5 or end > size or data[end - 1] != 0x0A:
            return None
        keyword, equals, value = data[match.end():end - 1].partition(b"=")
        if not keyword or not equals:
            return None
        try:
            records[keyword.decode("utf-8")] = value.decode("utf-8")
        except UnicodeDecodeError:
            return None
        pos = end
    return records


class TarWalk:
    """The members of one tar stream, in order, read plainly while the headers allow.

    ``handover`` makes the :class:`tarfile.TarFile` that takes over at the stream's current
    position (``tarfile.TarFile(fileobj=stream, tarinfo=...)``). Iterate once; ``open``
    gives a member's content while the walk is at that member.
    """

    def __init__(self, stream: Stream,
                 handover: Callable[[], tarfile.TarFile]) -> None:
        self._stream = stream
        self._handover = handover
        self.tarfile: tarfile.TarFile | None = None
        #: How many members the walk read itself, and where tarfile took over (or None).
        self.plain = 0
        self.handed_over_at: int | None = None

    def __iter__(self) -> Iterator[Entry]:
        stream = self._stream
        reach = getattr(stream, "reach", None)
        offset = 0  # where the next header starts: tarfile's TarFile.offset
        while True:
            if stream.tell() != offset:  # as TarFile.next() advances
                if reach is not None:
                    there = reach(offset)
                else:
                    stream.seek(offset - 1)
                    there = bool(stream.read(1))
                if not there:
                    raise tarfile.ReadError("unexpected end of data")
            try:
                found = self._read_plain()
            except _Replay:
                # The stream failed inside this header: tarfile meets the same failure
                # itself from here (the stream replays it) and words it as it would.
                found = None
            if found is None:
                break
            entry, offset = found
            self.plain += 1
            yield entry
        stream.seek(offset)  # back to the header the walk did not take
        self.handed_over_at = offset
        tf = self.tarfile = self._handover()
        for info in tf:
            tf.members = []  # tarfile keeps every TarInfo: drop them, memory stays flat
            yield Entry(info.name, info.size, _kind(info), info.issparse(),
                        info.offset_data, info)

    def _read(self, size: int) -> bytes:
        try:
            return self._stream.read(size)
        except Exception as exc:
            self._stream.fail_next(exc)
            raise _Replay from None

    def _read_plain(self) -> tuple[Entry, int] | None:
        """The plain member at the stream's position and where the next header starts,
        else ``None`` (the caller rewinds to the header)."""
        header = _plain_header(self._read(BLOCK))
        if header is None:
            return None
        name, size, kind = header
        if kind in _EXTENSIONS:  # a PAX header or GNU long name, then the member's header
            if size > _MAX_PLAIN_EXTENSION:
                return None
            extension = self._read(_block(size))
            records = _plain_pax(extension, size) if kind == _PAX else None
            # (a short long-name block leaves no full header after it: that hands over)
            plain = kind != _PAX or records is not None
            header = _plain_header(self._read(BLOCK)) if plain else None
            if header is None or header[2] in _EXTENSIONS:
                return None
            extension_kind, (name, size, kind) = kind, header
            if extension_kind == _GNU_LONGNAME:  # as TarInfo._proc_gnulong
                name = _text(extension)
                if kind == b"5":
                    name = name.removesuffix("/")
            elif records is not None:  # as TarInfo._proc_pax and _apply_pax_info
                if "path" in records:
                    name = records["path"].rstrip("/")
                if "size" in records:
                    try:
                        size = int(records["size"])
                    except ValueError:
                        size = 0
                    if size < 0:
                        return None
        data_offset = self._stream.tell()
        member_kind = _KINDS[kind]
        following = data_offset + (_block(size) if member_kind == "file" else 0)
        return Entry(name, size, member_kind, False, data_offset), following

    def open(self, entry: Entry) -> MemberData | tarfile.ExFileObject | None:
        """A member's content as a stream (``None`` for what tarfile would not open)."""
        if entry.info is not None:
            assert self.tarfile is not None
            return self.tarfile.extractfile(entry.info)  # type: ignore[return-value]
        if entry.kind != "file":
            return None
        return MemberData(self._stream, entry.data_offset, entry.size)


def _kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    return "other"


class MemberData:
    """A plain member's content, read as ``TarFile.extractfile`` reads it: seeks clamp to
    the member, and a stream that ends early raises ``ReadError("unexpected end of data")``.
    """

    def __init__(self, stream: Stream, offset: int, size: int) -> None:
        self._stream = stream
        self._offset = offset
        self._size = size
        self._pos = 0

    def read(self, size: int | None = -1) -> bytes:
        left = self._size - self._pos
        if size is None or size < 0 or size > left:
            size = left
        if size <= 0:
            return b""
        stream = self._stream
        at = self._offset + self._pos
        if stream.tell() != at:
            stream.seek(at)
        data = stream.read(size)
        if len(data) != size:
            raise tarfile.ReadError("unexpected end of data")
        self._pos += size
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 0:
            target = offset
        elif whence == 1:
            target = self._pos + offset
        elif whence == 2:
            target = self._size + offset
        else:
            raise ValueError("invalid whence")
        self._pos = min(max(target, 0), self._size)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True
