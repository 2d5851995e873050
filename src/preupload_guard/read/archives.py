"""Safe, bounded readers for the zip and tar archives under test.

Nothing is ever extracted to disk, and memory stays bounded however large or hostile the
file is: the member count is capped (for zips, counted from the central directory before
:mod:`zipfile` allocates anything per member), member contents are read through a size cap
while they decompress, tar header extensions (PAX, GNU long names) may not be huge, and a
tar stream that inflates absurdly is stopped. Errors come out as :class:`ArchiveError` (the
archive cannot be read) or :class:`ArchiveLimitExceeded` (we refused to read further; PyPI
might still accept the file), never as zipfile/tarfile/zlib exceptions.

The readers follow what PyPI does: zip archives through :mod:`zipfile` (the central
directory), ``.tar.gz`` through gzip + :mod:`tarfile` in random-access mode, like
``tarfile.open(mode="r:gz")``: it stops at the end-of-archive marker and never looks past
it, so bytes after the tar (trailing garbage, which PyPI accepts) are never read.

:class:`ArchiveError` carries ``pypi_status``: 400 when PyPI meets the same problem as a
``BadZipFile``/``ReadError`` it handles (``Invalid distribution file. None``), 500 when the
same read raises something PyPI does not handle (an encrypted member, a corrupt deflate
stream), ``None`` when the error is ours alone.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from preupload_guard.read import tarwalk, zipwalk
from preupload_guard.read.member_paths import common_path

if TYPE_CHECKING:
    from preupload_guard.read.members import Fanout

#: At most this many members; real wheels have tens of thousands at the very most.
MAX_MEMBERS = 250_000
#: A zip central directory larger than this is hostile (250,000 real entries take ~40 MiB).
MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024
#: A tar PAX header or GNU long name larger than this is hostile, not a file name.
MAX_TAR_HEADER_EXTENSION = 1024 * 1024
#: A tar stream may inflate to this ratio of the compressed size before we stop...
MAX_TAR_RATIO = 200
#: ...once it is past this many bytes (small archives may have any ratio).
TAR_RATIO_FLOOR = 256 * 1024 * 1024
_CHUNK = 1024 * 1024
#: The chunks the shared member pass hands to its subscribers.
_PASS_CHUNK = 256 * 1024
#: How far back a tar reader may seek (tarfile re-reads the last byte before a header).
_LOOK_BEHIND = 64 * 1024


class ArchiveError(Exception):
    """The archive cannot be read: not an archive, corrupt, truncated.

    ``pypi_status`` says what PyPI answers when its own read fails the same way (400 for
    a handled ``BadZipFile``/``ReadError``, 500 for an unhandled exception), ``member``
    names the member whose content could not be read, when it is about one member.
    """

    def __init__(self, message: str, *, pypi_status: int | None = None,
                 member: str | None = None) -> None:
        super().__init__(message)
        self.pypi_status = pypi_status
        self.member = member


class ArchiveLimitExceeded(ArchiveError):
    """We stopped reading to protect memory or time; the archive may still be valid."""


class MemberTooLarge(ArchiveLimitExceeded):
    """A member's content is larger than the caller's cap."""


@dataclass(frozen=True)
class Member:
    """One archive member, as listed (zip central directory, tar headers)."""

    name: str
    size: int
    compressed_size: int | None = None
    kind: str = "file"  # "file", "dir", "symlink", "hardlink", "other"
    compress_type: int | None = None  # zip only
    flag_bits: int = 0  # zip only
    sparse: bool = False  # tar only

    @property
    def is_file(self) -> bool:
        return self.kind == "file"

    @property
    def is_dir(self) -> bool:
        return self.kind == "dir"

    @property
    def encrypted(self) -> bool:
        """Zip general-purpose flag bit 0: zipfile refuses to read it without a password."""
        return bool(self.flag_bits & 0x1)


#: Member's fields in order: how :class:`ArchiveReader` pickles its listing as columns.
_MEMBER_FIELDS = tuple(f.name for f in fields(Member))


def archive_kind(filename: str) -> str | None:
    """``zip`` for .whl/.zip, ``tar`` for .tar.gz (case-sensitive, as PyPI decides)."""
    if filename.endswith((".whl", ".zip")):
        return "zip"
    if filename.endswith(".tar.gz"):
        return "tar"
    return None


# -- what kind of file is it (PyPI's is_zipfile / is_tarfile) ------------------------------
def is_zip_file(path: Path) -> bool:
    """``zipfile.is_zipfile``: an end-of-central-directory record can be found.

    Raises :class:`ArchiveError` (``pypi_status`` 400) for a ZIP64 locator naming several
    disks, where zipfile raises ``BadZipFile`` instead of answering.
    """
    try:
        with open(path, "rb") as fh:
            return zipwalk.find_end_record(fh) is not None
    except zipwalk.MultiDiskError as exc:
        raise ArchiveError(str(exc), pypi_status=400) from None
    except OSError:
        return False


@dataclass(frozen=True)
class TarProbe:
    """What ``tarfile.is_tarfile`` would say, and under which compression.

    ``compression`` is ``"gz"``, ``"bz2"``, ``"xz"``, ``"zst"`` or ``""`` (uncompressed), as
    recognised from the magic bytes; ``is_tar`` is whether the first header parses as a
    tar header once decompressed. ``note`` explains an answer we could only approximate.
    """

    is_tar: bool
    compression: str | None
    note: str | None = None
    #: Set when a gzip stream ends inside the first block: is_tarfile raises EOFError
    #: there instead of answering, and PyPI answers as for an unreadable tar (``None``).
    error: str | None = None


_MAGIC = (
    (b"\x1f\x8b", "gz"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zst"),
)


def probe_tar(path: Path) -> TarProbe:
    """Does the file open as a tar archive with any compression (``tarfile.is_tarfile``)?

    Only the first header is parsed, through the same bounded header class and inflation
    limit as the full reader, so a hostile first header cannot blow memory. Python 3.14
    (which PyPI runs) also tries zstd; without a zstd decoder here, a zstd stream is taken
    to be a tar, which changes nothing but the wording of PyPI's answer.
    """
    try:
        with open(path, "rb") as raw:
            head = raw.read(8)
    except OSError as exc:
        return TarProbe(False, None, error=str(exc))
    compression = next((name for magic, name in _MAGIC if head.startswith(magic)), "")
    try:
        with open(path, "rb") as raw:
            stream: BinaryIO
            if compression == "gz":
                stream = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            elif compression == "bz2":
                stream = bz2.BZ2File(raw)  # type: ignore[assignment]
            elif compression == "xz":
                stream = lzma.LZMAFile(raw)  # type: ignore[assignment]  # noqa: SIM115
            elif compression == "zst":
                try:
                    from compression import zstd  # type: ignore[import-not-found]
                except ImportError:
                    return TarProbe(True, "zst", "zstd cannot be decoded by this Python")
                stream = zstd.ZstdFile(raw)
            else:
                stream = raw
            reader = _InflatingReader(stream, path.stat().st_size)
            try:
                with tarfile.open(fileobj=reader, mode="r:",  # type: ignore[call-overload]
                                  tarinfo=_BoundedTarInfo):
                    return TarProbe(True, compression)
            except ArchiveLimitExceeded:
                return TarProbe(True, compression, "its first header is larger than we read")
            except tarfile.TarError:
                return TarProbe(False, compression)
    except EOFError as exc:
        if compression != "gz":  # tarfile turns EOF into "not a bz2/xz file" for these
            return TarProbe(False, compression)
        # A gzip stream ending inside the first block: is_tarfile itself raises EOFError.
        return TarProbe(False, compression, error=str(exc) or type(exc).__name__)
    except _TAR_ERRORS:
        # A corrupt compressed stream: tarfile reports "not a gzip/bz2/xz file".
        return TarProbe(False, compression)


# -- tar ---------------------------------------------------------------------------------------
class _BoundedTarInfo(tarfile.TarInfo):
    """TarInfo that refuses huge PAX headers and GNU long names before reading them."""

    def _proc_gnulong(self, tarfile):  # type: ignore[no-untyped-def]
        if self.size > MAX_TAR_HEADER_EXTENSION:
            raise ArchiveLimitExceeded(
                f"a GNU long-name header of {self.size} bytes (over {MAX_TAR_HEADER_EXTENSION})"
            )
        return super()._proc_gnulong(tarfile)  # type: ignore[misc]

    def _proc_pax(self, tarfile):  # type: ignore[no-untyped-def]
        if self.size > MAX_TAR_HEADER_EXTENSION:
            raise ArchiveLimitExceeded(
                f"a PAX header of {self.size} bytes (over {MAX_TAR_HEADER_EXTENSION})"
            )
        return super()._proc_pax(tarfile)  # type: ignore[misc]


def _one_read(stream: BinaryIO) -> Callable[[int], bytes]:
    """The call that inflates at most one step of ``stream``: its ``read1``, or for a fresh
    :class:`gzip.GzipFile` the same step without the buffer around it.

    ``GzipFile.read1(n)`` is one ``_GzipReader.read(n)`` behind a ``BufferedReader``,
    which for our ``n`` of 1 MiB allocates 1 MiB, copies the ~32 KiB that one step inflates
    into it and shrinks it again: 5% of an sdist check. Calling the inner reader makes the
    very same calls in the same order (same bytes, same errors, same laziness at the end of
    the tar), so it is used whenever this Python's gzip has that shape; nothing has been
    read through the buffer yet, so no byte is left behind in it.
    """
    if type(stream) is gzip.GzipFile:
        inner = getattr(getattr(stream, "_buffer", None), "raw", None)
        reader = getattr(gzip, "_GzipReader", None)
        if reader is not None and type(inner) is reader and stream.tell() == 0:
            return inner.read  # type: ignore[no-any-return]
    return getattr(stream, "read1", stream.read)


class _InflatingReader:
    """A decompressed stream made seekable forward, counting what it inflates.

    tarfile in random-access mode (what PyPI uses) seeks over member data and, before each
    header, re-reads the byte just before it. A gzip file can only seek forward by
    decompressing, and backward by starting over; this wrapper decompresses forward in
    bounded steps, keeps a small look-behind window for those one-byte re-reads, and stops
    a stream that inflates past ``max(TAR_RATIO_FLOOR, MAX_TAR_RATIO x compressed size)``.
    Seeking is lazy: skipping a member costs nothing until something is read after it.
    """

    def __init__(self, stream: BinaryIO, compressed_size: int) -> None:
        # read1: at most one read of the underlying stream, so we never ask the gzip layer
        # for bytes past what tarfile needs (past the tar's end it would parse whatever
        # follows as another gzip member, and fail on trailing garbage PyPI never reads).
        self._read1 = _one_read(stream)
        self._stream = stream  # a GzipFile closes its inner reader when it is collected
        self._limit = max(TAR_RATIO_FLOOR, compressed_size * MAX_TAR_RATIO)
        self._pos = 0  # logical position
        self._done = 0  # bytes taken from the stream so far
        self._window = bytearray()  # the last bytes taken, ending at _done
        # Inflated bytes read ahead but not yet taken. tarfile reads 512-byte headers, and
        # gzip asked for 512 bytes decompresses with max_length=512 and copies its whole
        # unconsumed input each time: reading ahead in _CHUNK steps made sdists ~8x faster.
        # The read-ahead never asks gzip for more calls than before, only for bigger ones,
        # so it never reaches past the member PyPI reads.
        self._ahead = memoryview(b"")
        self._ahead_at = 0
        self._failure: BaseException | None = None

    @property
    def count(self) -> int:
        return self._done

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            raise OSError("cannot seek from the end of a compressed stream")
        if offset < 0 or offset < self._done - len(self._window):
            raise OSError("cannot seek that far back in a compressed stream")
        self._pos = offset
        return offset

    def fail_next(self, exc: BaseException) -> None:
        """Raise ``exc`` at the next inflation instead of inflating.

        The tar walk (:mod:`preupload_guard.read.tarwalk`) calls this when the stream
        failed while it read a header: it rewinds and hands over to tarfile, which must
        then meet the same failure at the same place and word it as it would have. Our
        own limit needs no replay: nothing was consumed, so it trips again by itself.
        """
        if not isinstance(exc, ArchiveLimitExceeded):
            self._failure = exc

    def _take(self, n: int) -> bytes:
        n = min(n, self._limit + 1 - self._done)
        if self._ahead_at >= len(self._ahead):
            if self._failure is not None:
                failure, self._failure = self._failure, None
                raise failure
            want = min(max(n, _CHUNK), self._limit + 1 - self._done)
            self._ahead = memoryview(self._read1(want))
            self._ahead_at = 0
        data = bytes(self._ahead[self._ahead_at:self._ahead_at + n])
        if not data:
            return b""
        if self._done + len(data) > self._limit:  # refused before taken: a rewind stays exact
            raise ArchiveLimitExceeded(
                f"the compressed stream inflates past {self._limit // (1024 * 1024)} MiB "
                f"({MAX_TAR_RATIO}x the file); stopped reading"
            )
        self._ahead_at += len(data)
        self._done += len(data)
        window = self._window
        if len(data) >= _LOOK_BEHIND:
            window[:] = data[-_LOOK_BEHIND:]
        else:
            window += data
            if len(window) > 2 * _LOOK_BEHIND:  # trim now and then: amortized O(1)
                del window[:-_LOOK_BEHIND]
        return data

    def reach(self, offset: int) -> bool:
        """``seek(offset - 1)`` then ``read(1)``, and whether that byte was there.

        tarfile's step before each header (``TarFile.next``: is there data up to here?).
        The position afterwards, the inflation calls and their order, and so the errors
        met, are those of the seek and the read; only nothing is joined or handed out.
        """
        if offset <= self._done:
            self.seek(offset - 1)  # the byte is in the window (or OSError, as seek says)
            self._pos = offset
            return offset > 0
        self._pos = offset - 1  # where a failed step leaves it, as the seek did
        while self._done < offset:
            if not self._take(min(_CHUNK, offset - self._done)):
                return False
        self._pos = offset
        return True

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = self._limit + 1
        at = self._ahead_at
        if (self._pos == self._done and 0 < size <= len(self._ahead) - at
                and self._done + size <= self._limit):
            # The usual read (a header, a chunk of a member): wholly in the read-ahead and
            # under the limit. ``_take`` would hand out the same bytes; this spares the
            # call, the list and the join (tar headers are read ~3 times per member).
            data = bytes(self._ahead[at:at + size])
            self._ahead_at = at + size
            self._done += size
            self._pos = self._done
            window = self._window
            if size >= _LOOK_BEHIND:
                window[:] = data[-_LOOK_BEHIND:]
            else:
                window += data
                if len(window) > 2 * _LOOK_BEHIND:
                    del window[:-_LOOK_BEHIND]
            return data
        return self._read_through_take(size)

    def _read_through_take(self, size: int) -> bytes:
        """Any read, piece by piece through ``_take``: from the look-behind window, after
        a lazy forward seek, across read-aheads, up to the limit."""
        out: list[bytes] = []
        if self._pos < self._done:  # inside the look-behind window
            start = len(self._window) - (self._done - self._pos)
            piece = bytes(self._window[start:start + size])
            out.append(piece)
            self._pos += len(piece)
            size -= len(piece)
        while self._done < self._pos:  # a lazy forward seek: inflate and drop
            if not self._take(min(_CHUNK, self._pos - self._done)):
                return b"".join(out)
        while size > 0:
            data = self._take(min(size, _CHUNK))
            if not data:
                break
            out.append(data)
            self._pos += len(data)
            size -= len(data)
        return b"".join(out)


class MemberStream:
    """One archive member's content as a read-only binary stream (see ``iter_streams``).

    Reading never goes past the member's listed size; zipfile/tarfile/zlib errors met while
    reading become :class:`ArchiveError` naming the member, so a plugin needs to catch only
    that.
    """

    def __init__(self, raw: BinaryIO, member: Member,
                 errors: tuple[type[BaseException], ...],
                 fail: Callable[[BaseException, str], ArchiveError], *, backward: bool) -> None:
        self._raw = raw
        self._errors = errors
        self._fail_with = fail
        self._backward = backward
        self.member = member

    def _fail(self, exc: BaseException) -> ArchiveError:
        return self._fail_with(exc, self.member.name)

    def read(self, size: int = -1) -> bytes:
        try:
            return self._raw.read(size)
        except ArchiveError:
            raise
        except self._errors as exc:
            raise self._fail(exc) from None

    def seek(self, offset: int, whence: int = 0) -> int:
        """Move within the member; ``io.UnsupportedOperation`` for a backward move in a tar.

        A tar member lies inside one compressed stream that cannot be rewound, so only
        forward moves are allowed there (an OSError the caller can fall back on, not an
        ArchiveError: the archive is fine).
        """
        if not self._backward:
            target = offset + (self._raw.tell() if whence == 1 else 0)
            if whence == 2 or target < self._raw.tell():
                raise io.UnsupportedOperation("a tar member stream seeks forward only")
        try:
            return self._raw.seek(offset, whence)
        except ArchiveError:
            raise
        except self._errors as exc:
            raise self._fail(exc) from None

    def tell(self) -> int:
        return self._raw.tell()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True


def _zip_read_error(exc: BaseException, name: str) -> ArchiveError:
    return ArchiveError(f"cannot read {name} from the zip file: {exc or type(exc).__name__}",
                        pypi_status=_zip_status(exc), member=name)


def _tar_read_error(exc: BaseException, name: str | None = None) -> ArchiveError:
    return ArchiveError(f"cannot read from the tar file: {exc or type(exc).__name__}",
                        pypi_status=400)


def _stream_read_error(exc: BaseException, name: str) -> ArchiveError:
    return ArchiveError(f"cannot read {name}: {exc or type(exc).__name__}", member=name)


def _read_capped(stream: BinaryIO, limit: int, name: str) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise MemberTooLarge(f"{name} is larger than {limit} bytes", member=name)
    return b"".join(chunks)


def _zip_member_error(exc: BaseException, name: str) -> ArchiveError:
    """A zip member's read failed, worded and classified as ``read_members`` does."""
    return ArchiveError(f"cannot read {name}: {exc or type(exc).__name__}",
                        pypi_status=_zip_status(exc), member=name)


def _pump(stream: BinaryIO, fanout: Fanout, limit: int | None, name: str,
          errors: tuple[type[BaseException], ...],
          fail: Callable[[BaseException, str], ArchiveError]) -> ArchiveError | None:
    """Read one member in chunks into the pass's subscribers, at most ``limit`` bytes.

    Returns the :class:`ArchiveError` (naming the member) that stopped the read, or
    ``None``. Reading stops early when no subscriber wants more of the member.
    """
    done = 0
    try:
        while limit is None or done < limit:
            data = stream.read(_PASS_CHUNK if limit is None else min(_PASS_CHUNK, limit - done))
            if not data:
                return None
            done += len(data)
            if not fanout.feed(data):
                return None
    except ArchiveError as exc:
        return exc
    except errors as exc:
        return fail(exc, name)
    return None


# Hostile headers reach corners of tarfile/zipfile that raise more than their documented
# errors (an IndexError from a truncated GNU sparse map, an OverflowError from a size).
_TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError,
               LookupError, ArithmeticError)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError,
               ValueError, NotImplementedError, RuntimeError, LookupError, ArithmeticError)


class _ListedZipFile(zipfile.ZipFile):
    """A ZipFile that reuses a member list parsed earlier instead of parsing it again.

    Parsing the central directory builds one ZipInfo per member (a tenth of a second for
    20,000 members); every later read of a member would pay it again. Reading member
    contents needs nothing more than those ZipInfo objects and where the directory starts.
    """

    def __init__(self, path: Path, listing: tuple[list[zipfile.ZipInfo], int, bytes]) -> None:
        self._listing = listing
        super().__init__(path)

    def _RealGetContents(self) -> None:
        infos, start_dir, comment = self._listing
        self.filelist = list(infos)
        self.NameToInfo = {info.filename: info for info in infos}
        self.start_dir = start_dir
        self._comment = comment


def _zip_status(exc: BaseException) -> int:
    """PyPI handles ``BadZipFile`` (400, ``None``); anything else escapes as HTTP 500."""
    return 400 if isinstance(exc, zipfile.BadZipFile) else 500


class ArchiveReader:
    """A read-only view of one archive: its member list and bounded member reads.

    The member list is read once and kept. For tar streams, the contents of members chosen
    by ``capture`` (for example ``PKG-INFO``) are kept from that same pass, up to
    ``capture_limit`` bytes each, so reading them later costs nothing.
    """

    def __init__(
        self,
        path: Path,
        kind: str,
        *,
        capture: Callable[[Member], bool] | None = None,
        capture_limit: int = 16 * 1024 * 1024,
        fanout: Fanout | None = None,
    ) -> None:
        """List the archive; with ``fanout``, also make the one pass over its members.

        ``fanout`` (:class:`preupload_guard.read.members.Fanout`) hands every member its
        subscribers want to them during the same reading: for a tar it is the listing pass
        itself, for a zip one reading of each wanted member after the central directory.
        """
        self.path = path
        self.kind = kind
        self._captured: dict[str, bytes] = {}
        self._capture_errors: dict[str, ArchiveError] = {}
        self._zip_listing: tuple[list[zipfile.ZipInfo], int, bytes] | None = None
        self._relist = False  # the listing was left behind by pickling (__getstate__)
        #: The member names' common path, or why there is none (see common_path).
        self._common: str | None = None
        self._common_error: str | None = None
        #: Each central-directory name's (compressed, uncompressed) size, from the zip
        #: precheck's walk, until the framing rule takes it (see take_central_sizes).
        self._central_sizes: dict[str, tuple[int, int]] | None = None
        #: The framing walk's report, once made (see framing).
        self._framing: zipwalk.FramingReport | None = None
        self._framing_done = False
        #: How often the archive's content was read from the start (a tar is inflated once
        #: per pass) and how often each member's content was read: for tests and benchmarks.
        self.passes = 0
        self.member_reads: Counter[str] = Counter()
        if kind == "zip":
            self.members = self._list_zip()
            self._by_name = {m.name: m for m in self.members}
            if fanout is not None:
                self._zip_pass(fanout)
        elif kind == "tar":
            try:
                self.members = self._list_tar(capture, capture_limit, fanout)
            except ArchiveError as exc:
                if fanout is not None:
                    fanout.close(exc)
                raise
            if fanout is not None:
                fanout.close(None)
        else:
            raise ArchiveError(f"not an archive type we read: {kind!r}")
        self._by_name = {m.name: m for m in self.members}

    def remember(self, contents: Mapping[str, bytes | ArchiveError]) -> None:
        """Serve later ``read``/``read_members`` of these members from memory (a pass kept
        them), so that no member is read twice."""
        for name, value in contents.items():
            if isinstance(value, ArchiveError):
                self._capture_errors.setdefault(name, value)
            else:
                self._captured.setdefault(name, value)

    def _zip_pass(self, fanout: Fanout) -> None:
        """Read each member the subscribers want, once, in archive order."""
        try:
            zf = self._open_zip()
        except _ZIP_ERRORS as exc:
            fanout.close(ArchiveError(f"cannot read from the zip file: {exc}",
                                      pypi_status=_zip_status(exc)))
            return
        read_any = False
        with zf:
            for info in zf.infolist():
                member = self._by_name.get(info.filename)
                if member is None or not member.is_file:
                    continue
                wanted, limit = fanout.begin(member)
                if not wanted:
                    continue
                read_any = True
                self.member_reads[member.name] += 1
                error: ArchiveError | None = None
                try:
                    with zf.open(info) as fh:
                        error = _pump(fh, fanout, limit, member.name, _ZIP_ERRORS,
                                      _zip_member_error)
                except _ZIP_ERRORS as exc:
                    error = _zip_member_error(exc, member.name)
                fanout.finish_member(error)
        if read_any:
            self.passes += 1
        fanout.close(None)

    # -- listing -------------------------------------------------------------------
    def _precheck_zip(self) -> None:
        """Count the central directory ourselves before zipfile builds one object per entry.

        The end record's count is checked first (free), then the directory is walked in
        bounded chunks, because the count can lie: zipfile reads entries for as many bytes
        as the directory's declared size. Walk errors are left for zipfile to report in
        its own words, except one that only newer Pythons (PyPI's) have: a Unicode Path
        extra that is not UTF-8.
        """
        try:
            with open(self.path, "rb") as fh:
                end = zipwalk.find_end_record(fh)
                if end is None:
                    return
                if end.entries > MAX_MEMBERS:
                    raise ArchiveLimitExceeded(
                        f"its end record declares {end.entries:,} members (we read at most "
                        f"{MAX_MEMBERS:,})")
                sizes: dict[str, tuple[int, int]] = {}
                for entry in zipwalk.iter_central_directory(
                        fh, end, max_entries=MAX_MEMBERS, max_bytes=MAX_CENTRAL_DIRECTORY):
                    sizes[entry.name] = (entry.compressed_size, entry.file_size)
                    if entry.unicode_path_error:
                        # Python 3.12+ (PyPI runs 3.14) raise BadZipFile here; older ones
                        # ignore the extra. Answer as PyPI does, whatever runs here.
                        raise ArchiveError(
                            f"Corrupt unicode path extra field (0x7075) of {entry.name!r}: "
                            "invalid utf-8 bytes", pypi_status=400)
                self._central_sizes = sizes
        except zipwalk.TooManyEntries as exc:
            raise ArchiveLimitExceeded(
                f"its central directory holds {exc} (we read at most {MAX_MEMBERS:,} members "
                f"and {MAX_CENTRAL_DIRECTORY // (1024 * 1024)} MiB)") from None
        except (zipwalk.ZipWalkError, OSError):
            return

    def _list_zip(self) -> tuple[Member, ...]:
        self._precheck_zip()
        try:
            with zipfile.ZipFile(self.path) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise ArchiveLimitExceeded(f"more than {MAX_MEMBERS} members")
                self._zip_listing = (list(infos), zf.start_dir, zf.comment)
                return tuple(
                    Member(
                        name=info.filename,
                        size=info.file_size,
                        compressed_size=info.compress_size,
                        kind="dir" if info.is_dir() else "file",
                        compress_type=info.compress_type,
                        flag_bits=info.flag_bits,
                    )
                    for info in infos
                )
        except ArchiveError:
            raise
        except _ZIP_ERRORS as exc:
            raise ArchiveError(f"not a readable zip file: {exc or type(exc).__name__}",
                               pypi_status=_zip_status(exc)) from None

    def _open_zip(self) -> zipfile.ZipFile:
        """Open the zip for reading members, reusing the listing when we can."""
        if self._zip_listing is not None:
            try:
                return _ListedZipFile(self.path, self._zip_listing)
            except (AttributeError, TypeError):  # a zipfile whose internals moved
                self._zip_listing = None
                return zipfile.ZipFile(self.path)
        zf = zipfile.ZipFile(self.path)
        if self._relist:  # the listing stayed in the pass worker: kept from now on
            self._relist = False
            self._zip_listing = (list(zf.infolist()), zf.start_dir, zf.comment)
        return zf

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (a pass worker's answer) lean, for the runner unpickles every file's.

        * Without zipfile's own listing: 41,084 ZipInfo objects for the benchmark's wheels,
          which the runner would unpickle (0.2 s) and keep (~16 MB) only for a member read
          after the pass, which is rare; the first such read lists the zip again.
        * The members as columns, one list per field, and without the name index: pickle
          handles a list of ints or strings at C speed but each object in turn. For 100,000
          members: 0.42 s to dump and 0.46 s to load as objects, 0.04 s and 0.03 s as
          columns, plus 0.25 s to make the objects again (:meth:`__setstate__`).
        """
        state = self.__dict__.copy()
        if state["_zip_listing"] is not None:
            state["_zip_listing"] = None
            state["_relist"] = True
        del state["_by_name"]
        members = state.pop("members")
        state["members"] = tuple(
            [getattr(m, f) for m in members] for f in _MEMBER_FIELDS)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        columns = state.pop("members")
        self.__dict__.update(state)
        self.members = tuple(Member(*row) for row in zip(*columns, strict=True))
        self._by_name = {m.name: m for m in self.members}

    def _open_tar(self, raw: BinaryIO) -> tarwalk.TarWalk:
        """The members of the ``.tar.gz``, walked as ``tarfile.open(mode="r:gz")`` reads
        them (see :mod:`preupload_guard.read.tarwalk`)."""
        gz = gzip.GzipFile(fileobj=raw, mode="rb")
        stream = _InflatingReader(gz, self.path.stat().st_size)  # type: ignore[arg-type]
        return tarwalk.TarWalk(stream, lambda: tarfile.TarFile(  # type: ignore[call-arg]
            fileobj=stream, mode="r", tarinfo=_BoundedTarInfo))

    def _list_tar(
        self, capture: Callable[[Member], bool] | None, capture_limit: int,
        fanout: Fanout | None = None,
    ) -> tuple[Member, ...]:
        members: list[Member] = []
        try:
            with self.path.open("rb") as raw:
                walk = self._open_tar(raw)
                self.passes += 1
                for entry in walk:
                    member = Member(name=entry.name, size=entry.size, kind=entry.kind,
                                    sparse=entry.sparse)
                    members.append(member)
                    if len(members) > MAX_MEMBERS:
                        raise ArchiveLimitExceeded(f"more than {MAX_MEMBERS:,} members")
                    if capture is not None and member.is_file and capture(member):
                        try:
                            fh = walk.open(entry)
                            if fh is not None:
                                self._captured[member.name] = _read_capped(
                                    fh, capture_limit, member.name  # type: ignore[arg-type]
                                )
                        except MemberTooLarge as exc:
                            self._capture_errors[member.name] = exc
                    if fanout is not None and member.is_file:
                        wanted, limit = fanout.begin(member)
                        if wanted:
                            self.member_reads[member.name] += 1
                            fh = walk.open(entry)
                            error = None if fh is None else _pump(
                                fh, fanout, limit, member.name,  # type: ignore[arg-type]
                                _TAR_ERRORS, _tar_read_error)
                            # A broken stream also breaks the next header: the
                            # listing then fails as it did before the pass existed.
                            fanout.finish_member(error)
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            reason = str(exc) or type(exc).__name__
            raise ArchiveError(f"not a readable gzip-compressed tar file: {reason}",
                               pypi_status=400) from None
        return tuple(members)

    # -- access ----------------------------------------------------------------------
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def take_central_sizes(self) -> dict[str, tuple[int, int]] | None:
        """The sizes the zip precheck read from the central directory, once, then forgotten.

        The framing rule (:func:`zipwalk.check_framing`) compares every local header with
        these; taking them from the listing's walk spares it a second walk of the central
        directory (the framing walk of the benchmark's 132 wheels, 41,084 entries, went
        from 0.32 to 0.19 s of CPU). ``None`` when the walk did not finish (zipfile listed
        the archive anyway) or the sizes were taken.
        """
        sizes, self._central_sizes = self._central_sizes, None
        return sizes

    def framing(self) -> zipwalk.FramingReport | None:
        """The zip framing rule's walk of every record (:func:`zipwalk.check_framing`), once.

        Made by the first call, which a pass worker makes for a rule that is selected
        (:mod:`.pass_pool`), so that the walk is off the runner's GIL and the report
        travels with the reader. ``None`` for a tar, or when the walk could not start
        (zipfile could not list the archive either: that is ``invalid-archive``).
        """
        if not self._framing_done:
            self._framing_done = True
            if self.kind == "zip":
                try:
                    self._framing = zipwalk.check_framing(
                        self.path, max_entries=MAX_MEMBERS, expected=self.take_central_sizes())
                except (zipwalk.ZipWalkError, OSError):
                    self._framing = None
        return self._framing

    def common_path(self) -> str:
        """``posixpath.commonpath`` of the member names (PyPI's sdist top), computed once.

        Raises ``ValueError`` as the stdlib does: no members, or absolute and relative
        names mixed. Both the PKG-INFO lookup and the layout rule ask for it.
        """
        if self._common is None and self._common_error is None:
            try:
                self._common = common_path(self.names())
            except ValueError as exc:
                self._common_error = str(exc)
        if self._common_error is not None:
            raise ValueError(self._common_error)
        assert self._common is not None
        return self._common

    def member(self, name: str) -> Member | None:
        return self._by_name.get(name)

    def _from_memory(self, name: str, limit: int) -> bytes | ArchiveError | None:
        """A member's content as the pass kept it, judged against this ``limit``; ``None``
        when it was not kept (or was refused under a smaller limit than this one)."""
        if name in self._captured:
            data = self._captured[name]
            if len(data) > limit:
                return MemberTooLarge(f"{name} is larger than {limit} bytes", member=name)
            return data
        error = self._capture_errors.get(name)
        if error is None:
            return None
        member = self._by_name.get(name)
        if isinstance(error, MemberTooLarge) and member is not None and member.size <= limit:
            return None
        return error

    def read(self, name: str, limit: int) -> bytes:
        """Read one member's content, at most ``limit`` bytes (else :class:`MemberTooLarge`)."""
        kept = self._from_memory(name, limit)
        if isinstance(kept, ArchiveError):
            raise kept
        if kept is not None:
            return kept
        member = self._by_name.get(name)
        if member is None:
            raise KeyError(name)
        if member.size > limit:
            raise MemberTooLarge(f"{name} is larger than {limit} bytes", member=name)
        for member, data in self.iter_contents(lambda m: m.name == name, limit):
            del member
            return data
        raise KeyError(name)

    def read_members(self, names: Iterator[str] | list[str] | tuple[str, ...],
                     limit: int) -> dict[str, bytes | ArchiveError]:
        """Read several members in one opening of the archive; errors are kept per member.

        Each listed member that exists maps to its content, or to the :class:`ArchiveError`
        its read raised (:class:`MemberTooLarge` past ``limit``). Names that are not
        members are left out. Checks that need a few small files (WHEEL, RECORD,
        entry_points.txt) pay for one zipfile opening instead of one each, and one bad
        member does not hide the others.
        """
        out: dict[str, bytes | ArchiveError] = {}
        wanted = []
        for name in dict.fromkeys(names):
            if name not in self._by_name:
                continue
            kept = self._from_memory(name, limit)
            if kept is None:
                wanted.append(name)
            else:
                out[name] = kept
        if not wanted:
            return out
        if self.kind != "zip":
            pending = set(wanted)
            try:
                for member, data in self.iter_contents(lambda m: m.name in pending, limit):
                    out[member.name] = data
            except ArchiveError as exc:
                for name in wanted:
                    out.setdefault(name, exc)
            for name in wanted:
                if name not in out and self._by_name[name].size > limit:
                    out[name] = MemberTooLarge(f"{name} is larger than {limit} bytes",
                                               member=name)
            return out
        try:
            zf = self._open_zip()
        except _ZIP_ERRORS as exc:
            error = ArchiveError(f"cannot read from the zip file: {exc}",
                                 pypi_status=_zip_status(exc))
            out.update(dict.fromkeys(wanted, error))
            return out
        with zf:
            for name in wanted:
                if self._by_name[name].size > limit:
                    out[name] = MemberTooLarge(f"{name} is larger than {limit} bytes",
                                               member=name)
                    continue
                self.member_reads[name] += 1
                try:
                    with zf.open(name) as fh:
                        out[name] = _read_capped(fh, limit, name)  # type: ignore[arg-type]
                except ArchiveError as exc:
                    out[name] = exc
                except _ZIP_ERRORS as exc:
                    out[name] = _zip_member_error(exc, name)
        return out

    def iter_contents(
        self, predicate: Callable[[Member], bool], limit: int
    ) -> Iterator[tuple[Member, bytes]]:
        """Yield ``(member, content)`` for regular-file members chosen by ``predicate``.

        Members whose listed size is over ``limit`` are skipped (callers that care look at
        ``Member.size``); a member that inflates past its listed size and the limit raises
        :class:`MemberTooLarge`. A member whose content cannot be read stops the iteration
        with an :class:`ArchiveError` naming it (``member``), as it stops PyPI's reading.
        """
        chosen = lambda m: m.size <= limit and predicate(m)  # noqa: E731
        for member, stream in self._streams(chosen, stream_errors=False):
            yield member, _read_capped(stream, limit, member.name)  # type: ignore[arg-type]

    def iter_streams(
        self, predicate: Callable[[Member], bool]
    ) -> Iterator[tuple[Member, MemberStream]]:
        """Yield ``(member, stream)`` for regular-file members chosen by ``predicate``.

        For checks that look at every byte of every member (secret scanners, binary
        header readers) without holding a whole member in memory: read the stream in
        chunks. A stream never yields more than the member's listed size, its read errors
        come out as :class:`ArchiveError` naming the member, and it is valid only until the
        next item is requested. Tar member streams seek forward only (
        ``io.UnsupportedOperation`` on a backward move); zip member streams may also seek
        backward, by decompressing again from the member's start.
        Bound the time you spend yourself: a member may declare gigabytes.
        """
        return self._streams(predicate, stream_errors=True)

    def _streams(
        self, predicate: Callable[[Member], bool], *, stream_errors: bool
    ) -> Iterator[tuple[Member, MemberStream]]:
        """The one pass over an archive behind ``iter_streams`` and ``iter_contents``.

        Only the wording of read errors differs. ``iter_contents`` speaks as PyPI's reading
        fails: a zip names the member and PyPI's status, a tar is about the whole compressed
        stream. ``iter_streams`` (``stream_errors``) always names the member it was reading.
        """
        if stream_errors:
            zip_fail = tar_fail = _stream_read_error
        else:
            zip_fail, tar_fail = _zip_read_error, _tar_read_error
        if self.kind == "zip":
            try:
                zf = self._open_zip()
            except _ZIP_ERRORS as exc:
                raise ArchiveError(f"cannot read from the zip file: {exc}",
                                   pypi_status=_zip_status(exc)) from None
            with zf:
                for info in zf.infolist():
                    member = self._by_name.get(info.filename)
                    if member is None or not member.is_file or not predicate(member):
                        continue
                    self.member_reads[member.name] += 1
                    try:
                        fh = zf.open(info)
                    except _ZIP_ERRORS as exc:
                        raise _zip_read_error(exc, info.filename) from None
                    with fh:
                        yield member, MemberStream(fh, member,  # type: ignore[arg-type]
                                                   _ZIP_ERRORS, zip_fail, backward=True)
            return

        try:
            with self.path.open("rb") as raw:
                walk = self._open_tar(raw)
                self.passes += 1
                for entry in walk:
                    member = Member(entry.name, entry.size, kind=entry.kind,
                                    sparse=entry.sparse)
                    if not member.is_file or not predicate(member):
                        continue
                    fh = walk.open(entry)
                    if fh is None:
                        continue
                    yield member, MemberStream(fh, member,  # type: ignore[arg-type]
                                               _TAR_ERRORS, tar_fail, backward=False)
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            raise _tar_read_error(exc) from None
