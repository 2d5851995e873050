"""A header-only ZIP record walker: what PyPI's zip framing check sees, without decompressing.

PyPI reads a wheel two ways. Python's :mod:`zipfile` trusts the central directory at the end
of the file; installers that stream a wheel trust the local file headers from the start. A
file whose two views disagree (a streamed-in data descriptor, a name that decodes
differently, a second local header that the central directory does not point at) can
install different code than what was scanned, so PyPI walks every record from byte 0 and
refuses any disagreement (reference §2.10, Z9). This module reproduces that walk.

Written from the ZIP format (PKWARE APPNOTE): local file header ``PK\\3\\4``, central
directory header ``PK\\1\\2``, end of central directory (EOCD) ``PK\\5\\6``, ZIP64 EOCD
``PK\\6\\6`` and its locator ``PK\\6\\7``. Only headers are read: compressed data is skipped
with a seek, the file is read sequentially in chunks, and memory is bounded by the number
of entries (one name and two sizes each), which callers cap.

Three entry points:

* :func:`find_end_record` finds the EOCD the way :mod:`zipfile` does (``is_zipfile``), so
  it answers "is this a zip" exactly as PyPI's first zip check does.
* :func:`iter_central_directory` walks the central directory the way ``zipfile.ZipFile``
  builds its member list, in bounded chunks, so a caller can count the entries (and refuse
  a hostile archive) *before* :mod:`zipfile` allocates one object per entry.
* :func:`check_framing` is the sequential walk; its ``reason`` is PyPI's exact text.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

LOCAL_FILE = b"PK\x03\x04"
CENTRAL_DIRECTORY = b"PK\x01\x02"
END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
ZIP64_END = b"PK\x06\x06"
ZIP64_LOCATOR = b"PK\x06\x07"

_EOCD = struct.Struct("<4s4H2LH")  # 22 bytes
_LOCATOR = struct.Struct("<4sLQL")  # 20 bytes
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")  # 56 bytes
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # 46 bytes
# Bodies after the 4-byte signature, keeping only the fields the walk needs.
_LOCAL_BODY = struct.Struct("<2x2H4xL2L2H")  # 26: flags, method, crc, sizes, name/extra len
_CENTRAL_BODY = struct.Struct("<4x2H8x2L3H8xL")  # 42: flags, method, sizes, lengths, offset
_ZIP64_EOCD_BODY = struct.Struct("<Q12x4Q")  # 52: record size, counts, size, offset
_EXTRA_HEADER = struct.Struct("<HH")

_MAX_COMMENT = 0xFFFF
_ZIP64_EXTRA = 0x0001
_UNICODE_PATH_EXTRA = 0x7075
_NO_DUPLICATES = frozenset({_ZIP64_EXTRA, _UNICODE_PATH_EXTRA})
_ZIP64_EXTRA_LENGTHS = frozenset({0, 8, 16, 24, 28})
_FLAG_DATA_DESCRIPTOR = 0x08
_FLAG_UTF8 = 0x800
_SENTINEL32 = 0xFFFFFFFF
_UNPRINTABLE = bytes(range(0x20)) + b"\x7f"
_CHUNK = 256 * 1024

# PyPI's reasons, verbatim (they end up in "ZIP archive not accepted: {reason}").
UNKNOWN_SIGNATURE = "Unknown record signature"
DATA_DESCRIPTOR = "ZIP contains a data descriptor"
INVALID_CHARACTER = "Invalid character in filename"
UNICODE_PATH_NOT_UTF8 = "Filename not valid UTF-8"
NAME_NOT_UNICODE = "Filename not unicode"
NAME_NOT_IN_CENTRAL = "Filename not in central directory"
DATA_SIZE_MISMATCH = "Mis-matched data size"
FILE_SIZE_MISMATCH = "Mis-matched file size"
DUPLICATE_EXTRA = "Invalid duplicate extra in local file"
MALFORMED = "Malformed zip file"
DUPLICATE_LOCAL = "Duplicate filename in local headers"
DUPLICATE_CENTRAL = "Duplicate filename in central directory"
MISSING_LOCAL = "Missing filename in local headers"
CENTRAL_COMMENT = "Comment in central directory"
ZIP64_EXTENSIBLE = "ZIP64 extensible data not allowed"
RECORDS_MISMATCH = "Mismatched central directory records"
OFFSET_MISMATCH = "Mismatched central directory offset"
SIZE_MISMATCH = "Mismatched central directory size"
TRAILING_DATA = "Trailing data"


class ZipWalkError(Exception):
    """The records cannot be walked: truncated, or not where the end record says."""


class MultiDiskError(ZipWalkError):
    """A ZIP64 locator names more than one disk: :mod:`zipfile` raises on such files."""


class TooManyEntries(ZipWalkError):
    """The central directory holds more entries (or bytes) than the caller allows."""


@dataclass(frozen=True)
class EndRecord:
    """The end of central directory, after the ZIP64 record was applied, as zipfile reads it.

    ``offset`` is where the (classic) EOCD starts; ``zip64`` says the counts, size and
    offset came from a ZIP64 EOCD found just before the locator.
    """

    offset: int
    disk: int
    cd_disk: int
    entries_on_disk: int
    entries: int
    cd_size: int
    cd_offset: int
    comment_length: int
    zip64: bool
    zip64_offset: int | None = None

    @property
    def cd_start(self) -> int:
        """Where zipfile looks for the central directory: right before the end records.

        zipfile does not trust ``cd_offset`` as an absolute position; it infers how many
        bytes were prepended (a self-extractor stub) and shifts every offset by that.
        """
        end = self.zip64_offset if self.zip64 and self.zip64_offset is not None else self.offset
        return end - self.cd_size


@dataclass(frozen=True)
class CentralEntry:
    """One central-directory entry; ``name`` is zipfile's ``orig_filename``.

    ``unicode_path_error`` is set when an Info-ZIP Unicode Path extra (0x7075) applies to
    this name (version 1, CRC of the raw name matches) but is not UTF-8: Python 3.12 and
    later (PyPI runs 3.14) refuse to open such an archive, whatever Python runs here.
    """

    raw_name: bytes
    name: str
    flags: int
    method: int
    compressed_size: int
    file_size: int
    header_offset: int
    comment_length: int
    unicode_path_error: bool = False


@dataclass(frozen=True)
class FramingReport:
    """What the sequential walk concluded. ``reason`` is PyPI's text, ``None`` when valid.

    ``offset`` is the position of the record where the walk stopped (for messages);
    ``entries`` counts the local headers accepted before that.
    """

    reason: str | None
    offset: int | None = None
    entries: int = 0
    name: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason is None


# -- end of central directory --------------------------------------------------------------
def find_end_record(fh: BinaryIO, size: int | None = None) -> EndRecord | None:
    """The EOCD as :func:`zipfile.is_zipfile` finds it, or ``None`` (not a zip).

    The record is expected in the last 22 bytes (no archive comment); otherwise the last
    64 KiB + 22 bytes are searched for the last signature. A ZIP64 locator right before it
    makes the ZIP64 EOCD (assumed to be right before the locator) replace the counts.
    Raises :class:`MultiDiskError` where zipfile raises ``BadZipFile``.
    """
    if size is None:
        size = fh.seek(0, 2)
    if size < _EOCD.size:
        return None
    fh.seek(size - _EOCD.size)
    data = fh.read(_EOCD.size)
    if data[:4] == END_OF_CENTRAL_DIRECTORY and data[-2:] == b"\x00\x00":
        return _apply_zip64(fh, size - _EOCD.size, _EOCD.unpack(data))
    start = max(size - _MAX_COMMENT - _EOCD.size, 0)
    fh.seek(start)
    tail = fh.read(_MAX_COMMENT + _EOCD.size)
    found = tail.rfind(END_OF_CENTRAL_DIRECTORY)
    if found < 0:
        return None
    record = tail[found:found + _EOCD.size]
    if len(record) != _EOCD.size:
        return None
    return _apply_zip64(fh, start + found, _EOCD.unpack(record))


def _apply_zip64(fh: BinaryIO, offset: int, fields: tuple[int, ...]) -> EndRecord:
    _sig, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment = fields
    record = EndRecord(offset, disk, cd_disk, on_disk, total, cd_size, cd_offset, comment, False)
    if offset < _LOCATOR.size:
        return record
    fh.seek(offset - _LOCATOR.size)
    data = fh.read(_LOCATOR.size)
    if len(data) != _LOCATOR.size:
        return record
    sig, locator_disk, eocd64_offset, disks = _LOCATOR.unpack(data)
    if sig != ZIP64_LOCATOR:
        return record
    if locator_disk != 0 or disks > 1:
        raise MultiDiskError("zipfiles that span multiple disks are not supported")
    # Python 3.14 (PyPI) first trusts the locator's offset, which allows "extensible data"
    # after the ZIP64 record; older Pythons assume the record sits right before the
    # locator. Try the first, then the second, so both layouts list as they do on PyPI.
    latest = offset - _LOCATOR.size - _ZIP64_EOCD.size
    for where in dict.fromkeys((eocd64_offset, latest)):
        if where < 0 or where > latest:
            continue
        fh.seek(where)
        data = fh.read(_ZIP64_EOCD.size)
        if len(data) != _ZIP64_EOCD.size or data[:4] != ZIP64_END:
            continue
        (_sig, _size, _made_by, _needed, disk64, cd_disk64, on_disk64, total64, cd_size64,
         cd_offset64) = _ZIP64_EOCD.unpack(data)
        return EndRecord(offset, disk64, cd_disk64, on_disk64, total64, cd_size64,
                         cd_offset64, comment, True, where)
    return record


# -- central directory -----------------------------------------------------------------------
class _Cursor:
    """Sequential reads over a file with one read-ahead buffer; seeks skip data unread.

    Reading headers one by one with ``fh.read`` would cost a system call per field; this
    keeps one chunk in memory and only touches the file when a header crosses its end or
    a skip jumps past it.
    """

    def __init__(self, fh: BinaryIO, start: int = 0, end: int | None = None) -> None:
        self._fh = fh
        self._base = start  # file offset of _buf[0]
        self._buf = b""
        self._pos = 0  # index into _buf
        self._end = end  # never read past this offset (None: end of file)
        fh.seek(start)

    def tell(self) -> int:
        return self._base + self._pos

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end)."""
        if self._pos + n <= len(self._buf):
            data = self._buf[self._pos:self._pos + n]
            self._pos += n
            return data
        head = self._buf[self._pos:]
        here = self._base + len(self._buf)
        want = max(_CHUNK, n - len(head))
        if self._end is not None:
            want = max(0, min(want, self._end - here))
        self._fh.seek(here)
        more = self._fh.read(want) if want else b""
        self._base = here - len(head)
        self._buf = head + more
        self._pos = min(n, len(self._buf))
        return self._buf[:self._pos]

    def skip(self, n: int) -> None:
        target = self.tell() + n
        if target <= self._base + len(self._buf):
            self._pos = target - self._base
        else:
            self._base, self._buf, self._pos = target, b"", 0


def _decode_name(raw: bytes, flags: int) -> str:
    """zipfile's rule: UTF-8 when general-purpose bit 11 is set, else code page 437."""
    return raw.decode("utf-8") if flags & _FLAG_UTF8 else raw.decode("cp437")


def _apply_central_extras(extra: bytes, raw_name: bytes, sizes: list[int]) -> bool:
    """Apply ZIP64 sizes in place like zipfile; return True on a non-UTF-8 0x7075 name.

    ``sizes`` is ``[file_size, compressed_size, header_offset]``; each field that holds
    the 32-bit sentinel takes the next 8 bytes of the ZIP64 extra, in that order.
    Raises :class:`ZipWalkError` where zipfile raises ``BadZipFile``.
    """
    unicode_error = False
    while len(extra) >= 4:
        kind, length = _EXTRA_HEADER.unpack_from(extra)
        if length + 4 > len(extra):
            raise ZipWalkError(f"Corrupt extra field {kind:04x} (size={length})")
        data = extra[4:4 + length]
        if kind == _ZIP64_EXTRA:
            for index in range(3):
                if sizes[index] == _SENTINEL32:
                    if len(data) < 8:
                        raise ZipWalkError("Corrupt zip64 extra field")
                    sizes[index] = int.from_bytes(data[:8], "little")
                    data = data[8:]
        elif kind == _UNICODE_PATH_EXTRA:
            if len(data) < 5:
                raise ZipWalkError("Corrupt unicode path extra field (0x7075)")
            if data[0] == 1 and int.from_bytes(data[1:5], "little") == zlib.crc32(raw_name):
                try:
                    data[5:].decode("utf-8")
                except UnicodeDecodeError:
                    unicode_error = True
        extra = extra[4 + length:]
    return unicode_error


def iter_central_directory(
    fh: BinaryIO,
    end: EndRecord,
    *,
    max_entries: int | None = None,
    max_bytes: int | None = None,
) -> Iterator[CentralEntry]:
    """Yield the central directory's entries as ``zipfile.ZipFile`` would list them.

    Reads ``end.cd_size`` bytes from :attr:`EndRecord.cd_start` in chunks. Raises
    :class:`TooManyEntries` past ``max_entries`` entries or a directory larger than
    ``max_bytes``, and :class:`ZipWalkError` where zipfile raises ``BadZipFile``.
    """
    start = end.cd_start
    if start < 0:
        raise ZipWalkError("Bad offset for central directory")
    if max_bytes is not None and end.cd_size > max_bytes:
        raise TooManyEntries(f"a central directory of {end.cd_size} bytes")
    cursor = _Cursor(fh, start, start + end.cd_size)
    done = 0
    count = 0
    while done < end.cd_size:
        header = cursor.read(_CENTRAL.size)
        if len(header) != _CENTRAL.size:
            raise ZipWalkError("Truncated central directory")
        fields = _CENTRAL.unpack(header)
        if fields[0] != CENTRAL_DIRECTORY:
            raise ZipWalkError("Bad magic number for central directory")
        (_sig, _cv, _cs, _ev, _es, flags, method, _time, _date, _crc, csize, fsize,
         name_len, extra_len, comment_len, _disk, _iattr, _eattr, offset) = fields
        count += 1
        if max_entries is not None and count > max_entries:
            raise TooManyEntries(f"more than {max_entries} entries")
        raw_name = cursor.read(name_len)
        extra = cursor.read(extra_len)
        cursor.skip(comment_len)
        try:
            name = _decode_name(raw_name, flags)
        except UnicodeDecodeError:
            raise ZipWalkError("a UTF-8 flagged name is not UTF-8") from None
        sizes = [fsize, csize, offset]
        unicode_error = _apply_central_extras(extra, raw_name, sizes)
        yield CentralEntry(raw_name, name, flags, method, sizes[1], sizes[0], sizes[2],
                           comment_len, unicode_error)
        done += _CENTRAL.size + name_len + extra_len + comment_len


def read_central_directory(
    path: Path, *, max_entries: int | None = None, max_bytes: int | None = None
) -> tuple[EndRecord, list[CentralEntry]] | None:
    """The end record and every central entry, or ``None`` when the file is not a zip."""
    with open(path, "rb") as fh:
        end = find_end_record(fh)
        if end is None:
            return None
        entries = list(iter_central_directory(fh, end, max_entries=max_entries,
                                              max_bytes=max_bytes))
    return end, entries


# -- the sequential walk ---------------------------------------------------------------------
class _Refused(Exception):
    def __init__(self, reason: str, name: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.name = name


def _exact(cursor: _Cursor, n: int) -> bytes:
    data = cursor.read(n)
    if len(data) != n:
        raise _Refused(MALFORMED)
    return data


def _local_sizes(extra: bytes, method: int, csize: int, fsize: int) -> tuple[int, int]:
    """Validate a local header's extras and return its (compressed, uncompressed) sizes.

    PyPI's reading of the ZIP64 extra in a local header, which is not zipfile's: with 8
    bytes the entry must be STORED (only one size is given, so both sizes are it); with 16
    or more the second value is always the compressed size, and the first replaces the
    uncompressed size only when the header holds the 0xFFFFFFFF sentinel.
    """
    seen: set[int] = set()
    while extra:
        if len(extra) < 4:
            raise _Refused(MALFORMED)
        kind, length = _EXTRA_HEADER.unpack_from(extra)
        if length + 4 > len(extra):
            raise _Refused(MALFORMED)
        if kind in seen and kind in _NO_DUPLICATES:
            raise _Refused(DUPLICATE_EXTRA)
        seen.add(kind)
        if kind == _ZIP64_EXTRA:
            if length not in _ZIP64_EXTRA_LENGTHS:
                raise _Refused(MALFORMED)
            if length == 0:
                if csize == _SENTINEL32 or fsize == _SENTINEL32:
                    raise _Refused(MALFORMED)
            elif length == 8:
                if method != 0:
                    raise _Refused(MALFORMED)
                value = int.from_bytes(extra[4:12], "little")
                csize = value
                if fsize == _SENTINEL32:
                    fsize = value
            else:
                if fsize == _SENTINEL32:
                    fsize = int.from_bytes(extra[4:12], "little")
                csize = int.from_bytes(extra[12:20], "little")
        elif kind == _UNICODE_PATH_EXTRA:
            unicode_name = extra[9:4 + length]
            if any(byte in _UNPRINTABLE for byte in unicode_name):
                raise _Refused(INVALID_CHARACTER)
            try:
                unicode_name.decode("utf-8")
            except UnicodeDecodeError:
                raise _Refused(UNICODE_PATH_NOT_UTF8) from None
        extra = extra[4 + length:]
    return csize, fsize


def _has_unprintable(name: bytes) -> bool:
    return bool(name) and name.translate(None, _UNPRINTABLE) != name


def check_framing(path: Path, *, max_entries: int | None = None,
                  expected: Mapping[str, tuple[int, int]] | None = None) -> FramingReport:
    """Walk every record from byte 0 and judge the framing as PyPI's ``validate_zipfile``.

    The central directory is read first (as zipfile would) to know each name's sizes,
    unless ``expected`` gives them already (``{name: (compressed, uncompressed)}`` as
    :func:`iter_central_directory` yields them, the last entry of a name winning); then
    local headers, central headers and end records are walked in file order. The
    first problem found is the answer, with PyPI's text. Raises :class:`TooManyEntries`
    past ``max_entries`` and :class:`ZipWalkError` when zipfile itself could not list the
    archive (that is PyPI's ``invalid-archive`` answer, not a framing one).
    """
    with open(path, "rb") as fh:
        size = fh.seek(0, 2)
        end = find_end_record(fh, size)
        if end is None:
            raise ZipWalkError("File is not a zip file")
        if expected is None:
            expected = {}
            for entry in iter_central_directory(fh, end, max_entries=max_entries):
                expected[entry.name] = (entry.compressed_size, entry.file_size)
        return _Walk(_Cursor(fh, 0), expected, size).run()


class _Walk:
    """One sequential pass; remembers where it is so a refusal can say where."""

    def __init__(self, cursor: _Cursor, expected: Mapping[str, tuple[int, int]],
                 size: int) -> None:
        self.cursor = cursor
        self.expected = expected
        self.size = size
        self.local_names: set[bytes] = set()
        self.central_names: set[bytes] = set()
        self.cd_records = 0
        self.cd_offset: int | None = None
        self.cd_size = 0
        self.eocd64_at: int | None = None
        self.locator_seen = False
        self.eocd_values: tuple[int, int, int] | None = None  # records, size, offset
        self.at = 0

    def run(self) -> FramingReport:
        try:
            while not self._record():
                pass
            if self.cursor.tell() != self.size:
                self.at = self.cursor.tell()
                raise _Refused(TRAILING_DATA)
        except _Refused as refused:
            return FramingReport(refused.reason, self.at, len(self.local_names), refused.name)
        return FramingReport(None, None, len(self.local_names))

    def _record(self) -> bool:
        """Handle the record at the cursor; True once the EOCD ended the walk."""
        cursor = self.cursor
        self.at = cursor.tell()
        signature = _exact(cursor, 4)
        if (signature == END_OF_CENTRAL_DIRECTORY and self.eocd64_at is not None
                and not self.locator_seen):
            raise _Refused(MALFORMED)
        if signature == LOCAL_FILE:
            self._local()
        elif signature == CENTRAL_DIRECTORY:
            self._central()
        elif signature == END_OF_CENTRAL_DIRECTORY:
            self._end()
            return True
        elif signature == ZIP64_END:
            self.eocd64_at = self.at
            record_size, on_disk, total, size64, offset64 = _ZIP64_EOCD_BODY.unpack(
                _exact(cursor, _ZIP64_EOCD_BODY.size))
            if on_disk != total:
                raise _Refused(MALFORMED)
            if record_size != 44:
                raise _Refused(ZIP64_EXTENSIBLE)
            self.eocd_values = (total, size64, offset64)
        elif signature == ZIP64_LOCATOR:
            _exact(cursor, _LOCATOR.size - 4)
            self.locator_seen = True
        else:
            raise _Refused(UNKNOWN_SIGNATURE)
        return False

    def _local(self) -> None:
        cursor = self.cursor
        flags, method, _crc, csize, fsize, name_len, extra_len = _LOCAL_BODY.unpack(
            _exact(cursor, _LOCAL_BODY.size))
        name = _exact(cursor, name_len)
        extra = _exact(cursor, extra_len)
        if _has_unprintable(name):
            raise _Refused(INVALID_CHARACTER, _show(name))
        csize, fsize = _local_sizes(extra, method, csize, fsize)
        if flags & _FLAG_DATA_DESCRIPTOR:
            raise _Refused(DATA_DESCRIPTOR, _show(name))
        try:
            text = name.decode("utf-8")
        except UnicodeDecodeError:
            raise _Refused(NAME_NOT_UNICODE, _show(name)) from None
        sizes = self.expected.get(text)
        if sizes is None:
            raise _Refused(NAME_NOT_IN_CENTRAL, text)
        if sizes[0] != csize:
            raise _Refused(DATA_SIZE_MISMATCH, text)
        if sizes[1] != fsize:
            raise _Refused(FILE_SIZE_MISMATCH, text)
        cursor.skip(csize)
        if name in self.local_names:
            raise _Refused(DUPLICATE_LOCAL, text)
        self.local_names.add(name)

    def _central(self) -> None:
        cursor = self.cursor
        if self.cd_offset is None:
            self.cd_offset = self.at
        self.cd_records += 1
        (_flags, _method, _csize, _fsize, name_len, extra_len, comment_len,
         _offset) = _CENTRAL_BODY.unpack(_exact(cursor, _CENTRAL_BODY.size))
        if comment_len:
            raise _Refused(CENTRAL_COMMENT)
        name = _exact(cursor, name_len)
        _exact(cursor, extra_len)
        if _has_unprintable(name):
            raise _Refused(INVALID_CHARACTER, _show(name))
        self.cd_size += _CENTRAL.size + name_len + extra_len
        if name in self.central_names:
            raise _Refused(DUPLICATE_CENTRAL, _show(name))
        if name not in self.local_names:
            raise _Refused(MISSING_LOCAL, _show(name))
        self.central_names.add(name)

    def _end(self) -> None:
        cursor = self.cursor
        if self.cd_offset is None:
            self.cd_offset = self.at  # an empty archive: the directory is empty, here
        (_sig, _disk, _cd_disk, on_disk, total, eocd_size, eocd_offset,
         comment_len) = _EOCD.unpack(END_OF_CENTRAL_DIRECTORY + _exact(cursor, _EOCD.size - 4))
        if on_disk != total:
            raise _Refused(MALFORMED)
        cursor.skip(comment_len)
        # With a ZIP64 EOCD and its locator, the classic record holds sentinels: use ZIP64's.
        if not (self.locator_seen and self.eocd_values is not None):
            self.eocd_values = (total, eocd_size, eocd_offset)
        records, want_size, want_offset = self.eocd_values
        if records != self.cd_records:
            raise _Refused(RECORDS_MISMATCH)
        if want_offset != self.cd_offset:
            raise _Refused(OFFSET_MISMATCH)
        if want_size != self.cd_size:
            raise _Refused(SIZE_MISMATCH)


def _show(name: bytes) -> str:
    """A name for a message: UTF-8 where possible, escapes for the rest."""
    return name.decode("utf-8", "backslashreplace")
