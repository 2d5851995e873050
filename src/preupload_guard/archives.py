"""Safe, bounded readers for the zip and tar archives under test.

Nothing is ever extracted to disk, and memory stays bounded however large or hostile the
file is: the member count is capped, member contents are read through a size cap while
they decompress, tar header extensions (PAX, GNU long names) may not be huge, and a tar
stream that inflates absurdly is stopped. Errors come out as :class:`ArchiveError` (the
archive cannot be read) or :class:`ArchiveLimitExceeded` (we refused to read further; PyPI
might still accept the file), never as zipfile/tarfile/zlib exceptions.

The readers follow what PyPI does: zip archives through :mod:`zipfile` (the central
directory), ``.tar.gz`` through gzip + :mod:`tarfile` read as a stream, which like
``tarfile.open(mode="r:gz")`` stops at the end-of-archive marker.
"""

from __future__ import annotations

import gzip
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

#: At most this many members; real wheels have tens of thousands at the very most.
MAX_MEMBERS = 250_000
#: A tar PAX header or GNU long name larger than this is hostile, not a file name.
MAX_TAR_HEADER_EXTENSION = 1024 * 1024
#: A tar stream may inflate to this ratio of the compressed size before we stop...
MAX_TAR_RATIO = 200
#: ...once it is past this many bytes (small archives may have any ratio).
TAR_RATIO_FLOOR = 256 * 1024 * 1024
_CHUNK = 1024 * 1024


class ArchiveError(Exception):
    """The archive cannot be read: not an archive, corrupt, truncated."""


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


def archive_kind(filename: str) -> str | None:
    """``zip`` for .whl/.zip, ``tar`` for .tar.gz (case-sensitive, as PyPI decides)."""
    if filename.endswith((".whl", ".zip")):
        return "zip"
    if filename.endswith(".tar.gz"):
        return "tar"
    return None


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


class _CountingReader:
    """File wrapper counting decompressed bytes, stopping a stream that inflates absurdly."""

    def __init__(self, raw: BinaryIO, compressed_size: int) -> None:
        self._raw = raw
        self._limit = max(TAR_RATIO_FLOOR, compressed_size * MAX_TAR_RATIO)
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self.count += len(data)
        if self.count > self._limit:
            raise ArchiveLimitExceeded(
                f"the tar stream inflates past {self._limit // (1024 * 1024)} MiB "
                f"({MAX_TAR_RATIO}x the file); stopped reading"
            )
        return data


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.isreg():
        return "file"
    if info.isdir():
        return "dir"
    if info.issym():
        return "symlink"
    if info.islnk():
        return "hardlink"
    return "other"


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
            raise MemberTooLarge(f"{name} is larger than {limit} bytes")
    return b"".join(chunks)


_TAR_ERRORS = (tarfile.TarError, EOFError, zlib.error, OSError, ValueError)
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError,
               ValueError, NotImplementedError, RuntimeError)


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
    ) -> None:
        self.path = path
        self.kind = kind
        self._captured: dict[str, bytes] = {}
        self._capture_errors: dict[str, ArchiveError] = {}
        if kind == "zip":
            self.members = self._list_zip()
        elif kind == "tar":
            self.members = self._list_tar(capture, capture_limit)
        else:
            raise ArchiveError(f"not an archive type we read: {kind!r}")
        self._by_name = {m.name: m for m in self.members}

    # -- listing -------------------------------------------------------------------
    def _list_zip(self) -> tuple[Member, ...]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                infos = zf.infolist()
                if len(infos) > MAX_MEMBERS:
                    raise ArchiveLimitExceeded(f"more than {MAX_MEMBERS} members")
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
            raise ArchiveError(f"not a readable zip file: {exc}") from None

    def _list_tar(
        self, capture: Callable[[Member], bool] | None, capture_limit: int
    ) -> tuple[Member, ...]:
        members: list[Member] = []
        size = self.path.stat().st_size
        try:
            with self.path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                counted = _CountingReader(gz, size)  # type: ignore[arg-type]
                with tarfile.open(
                    fileobj=counted, mode="r|", tarinfo=_BoundedTarInfo  # type: ignore[call-overload]
                ) as tf:
                    for info in tf:
                        member = Member(
                            name=info.name,
                            size=info.size,
                            kind=_tar_kind(info),
                            sparse=info.issparse(),
                        )
                        members.append(member)
                        if len(members) > MAX_MEMBERS:
                            raise ArchiveLimitExceeded(f"more than {MAX_MEMBERS} members")
                        if capture is not None and member.is_file and capture(member):
                            try:
                                fh = tf.extractfile(info)
                                if fh is not None:
                                    self._captured[member.name] = _read_capped(
                                        fh, capture_limit, member.name  # type: ignore[arg-type]
                                    )
                            except MemberTooLarge as exc:
                                self._capture_errors[member.name] = exc
                        # Drop the TarInfo list tarfile keeps, so memory stays flat.
                        tf.members = []
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            reason = str(exc) or type(exc).__name__
            raise ArchiveError(f"not a readable gzip-compressed tar file: {reason}") from None
        return tuple(members)

    # -- access ----------------------------------------------------------------------
    def names(self) -> list[str]:
        return [m.name for m in self.members]

    def member(self, name: str) -> Member | None:
        return self._by_name.get(name)

    def read(self, name: str, limit: int) -> bytes:
        """Read one member's content, at most ``limit`` bytes (else :class:`MemberTooLarge`)."""
        if name in self._captured:
            return self._captured[name]
        if name in self._capture_errors:
            raise self._capture_errors[name]
        member = self._by_name.get(name)
        if member is None:
            raise KeyError(name)
        if member.size > limit:
            raise MemberTooLarge(f"{name} is larger than {limit} bytes")
        for member, data in self.iter_contents(lambda m: m.name == name, limit):
            del member
            return data
        raise KeyError(name)

    def iter_contents(
        self, predicate: Callable[[Member], bool], limit: int
    ) -> Iterator[tuple[Member, bytes]]:
        """Yield ``(member, content)`` for regular-file members chosen by ``predicate``.

        Members whose listed size is over ``limit`` are skipped (callers that care look at
        ``Member.size``); a member that inflates past its listed size and the limit raises
        :class:`MemberTooLarge`.
        """
        if self.kind == "zip":
            yield from self._iter_zip(predicate, limit)
        else:
            yield from self._iter_tar(predicate, limit)

    def _iter_zip(
        self, predicate: Callable[[Member], bool], limit: int
    ) -> Iterator[tuple[Member, bytes]]:
        try:
            with zipfile.ZipFile(self.path) as zf:
                for info in zf.infolist():
                    member = self._by_name.get(info.filename)
                    if member is None or not member.is_file or member.size > limit:
                        continue
                    if not predicate(member):
                        continue
                    with zf.open(info) as fh:
                        data = _read_capped(fh, limit, info.filename)  # type: ignore[arg-type]
                    yield member, data
        except ArchiveError:
            raise
        except _ZIP_ERRORS as exc:
            raise ArchiveError(f"cannot read from the zip file: {exc}") from None

    def _iter_tar(
        self, predicate: Callable[[Member], bool], limit: int
    ) -> Iterator[tuple[Member, bytes]]:
        size = self.path.stat().st_size
        try:
            with self.path.open("rb") as raw, gzip.GzipFile(fileobj=raw, mode="rb") as gz:
                counted = _CountingReader(gz, size)  # type: ignore[arg-type]
                with tarfile.open(
                    fileobj=counted, mode="r|", tarinfo=_BoundedTarInfo  # type: ignore[call-overload]
                ) as tf:
                    for info in tf:
                        tf.members = []
                        member = Member(info.name, info.size, kind=_tar_kind(info),
                                        sparse=info.issparse())
                        if not member.is_file or member.size > limit or not predicate(member):
                            continue
                        fh = tf.extractfile(info)
                        if fh is None:
                            continue
                        yield member, _read_capped(fh, limit, member.name)  # type: ignore[arg-type]
        except ArchiveError:
            raise
        except _TAR_ERRORS as exc:
            raise ArchiveError(f"cannot read from the tar file: {exc}") from None
