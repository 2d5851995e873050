"""One distribution file and every fact about it that checks may ask for.

An :class:`Artifact` is lazy and reads as little as possible, once: the filename is parsed
without I/O; the digests come from a single sequential pass over the file (sha256 always,
blake2b-256 only when the runner knows it is needed, md5 never); the archive member list
and the core metadata are read once through the bounded readers of :mod:`.archives` and
cached, errors included, so every check sees the same answer.

Core metadata is located exactly as twine locates it, because PyPI validates the form
fields twine derives from it: for a wheel, the shortest path containing ``METADATA`` whose
bytes contain ``Metadata-Version``; for an sdist, ``<common root>/PKG-INFO``.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from packaging.metadata import RawMetadata, parse_email
from packaging.utils import canonicalize_name
from packaging.version import Version

from preupload_guard.model.names import (
    WheelNameError,
    is_valid_project_name,
    parse_sdist_name,
    parse_wheel_name,
)
from preupload_guard.read.archives import ArchiveError, ArchiveReader, Member, archive_kind
from preupload_guard.read.attestations import AttestationFile, read_attestations
from preupload_guard.read.members import Capture, Fanout, MemberVisitor

V = TypeVar("V", bound=MemberVisitor)

#: METADATA / PKG-INFO larger than this is absurd (a README of tens of MiB).
MAX_METADATA_BYTES = 16 * 1024 * 1024
_HASH_CHUNK = 1024 * 1024


@dataclass
class PassState:
    """What one file's pass left (see :meth:`Artifact.pass_state`); it pickles."""

    archive: ArchiveReader | None
    archive_error: ArchiveError | None
    visitors: list[MemberVisitor]
    failures: list[BaseException | None]
    metadata_bytes: bytes | None
    metadata_path: str | None
    metadata_error: str | None
    raw: RawMetadata | None
    unparsed: dict[str, Any]
    #: The process that made the pass.
    pid: int = 0


@dataclass(frozen=True)
class Digests:
    sha256: str
    blake2_256: str | None


class MetadataError(Exception):
    """The core metadata cannot be found or read the way twine reads it."""


def distribution_type(filename: str) -> str | None:
    """What twine sends as ``filetype``: ``bdist_wheel`` or ``sdist`` (``None``: neither).

    Decided on the lowercased name so that ``FOO.WHL`` is still read as a wheel; the
    case-sensitive extension rule is a check of its own.
    """
    lower = filename.lower()
    if lower.endswith(".whl"):
        return "bdist_wheel"
    if lower.endswith((".tar.gz", ".zip")):
        return "sdist"
    return None


#: Header fields parsed at most: packaging's parse_email (as twine and PyPI run it) calls
#: ``get_all`` per distinct field, quadratic in their count (10,000 fields take ~7 s).
MAX_HEADER_FIELDS = 5000
#: In the metadata error of a file over that cap (its finding words it apart).
TOO_MANY_FIELDS = "header fields, more than the"


def header_fields(data: bytes) -> int:
    """How many header fields (not continuation lines) precede the metadata's body."""
    head = data.replace(b"\r\n", b"\n")
    end = head.find(b"\n\n")
    if end >= 0:
        head = head[:end]
    return sum(1 for line in head.split(b"\n") if line and line[:1] not in b" \t")


class Artifact:
    """A distribution file under test. Construct with a path; nothing is read yet."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.filename = self.path.name
        self.size = self.path.stat().st_size
        self.filetype = distribution_type(self.filename)
        self._lock = threading.RLock()
        self._digests: Digests | None = None
        self._archive: ArchiveReader | None = None
        self._archive_error: ArchiveError | None = None
        self._archive_loaded = False
        self._visitors: list[MemberVisitor] = []
        self._fanout: Fanout | None = None
        self._metadata_loaded = False
        self._metadata_bytes: bytes | None = None
        self._metadata_path: str | None = None
        self._metadata_error: str | None = None
        self._raw: RawMetadata | None = None
        self._unparsed: dict[str, Any] = {}
        self._attestations: tuple[AttestationFile, ...] | None = None
        #: A visitor subscribed here -> its copy that made the pass in a worker (adopt).
        self._adopted: dict[int, MemberVisitor] = {}
        #: The process that made the pass, when another one did (see adopt); else ``None``.
        self.pass_pid: int | None = None
        self._parse_filename()

    def __repr__(self) -> str:
        return f"Artifact({str(self.path)!r})"

    # -- filename ------------------------------------------------------------------
    def _parse_filename(self) -> None:
        """Name and version from the filename, parsed the way PyPI parses it.

        Used only where the metadata does not say (the filename rules compare the two).
        """
        self.filename_project: str | None = None
        self.filename_version: Version | None = None
        self.filename_error: str | None = None
        if self.filename.endswith(".whl"):
            try:
                wheel = parse_wheel_name(self.filename)
            except WheelNameError as exc:
                self.filename_error = str(exc)
                return
            self.filename_project, self.filename_version = wheel.name or None, wheel.version
        elif self.filename.endswith((".tar.gz", ".zip")):
            sdist = parse_sdist_name(self.filename)
            if sdist is None:
                self.filename_error = f"Invalid source distribution filename: {self.filename}"
                return
            self.filename_project = canonicalize_name(sdist.raw_name) or None
            self.filename_version = sdist.version
        else:
            self.filename_error = "not a .whl, .tar.gz or .zip file name"

    @property
    def is_wheel(self) -> bool:
        return self.filetype == "bdist_wheel"

    @property
    def is_sdist(self) -> bool:
        return self.filetype == "sdist"

    @property
    def raw_name_parts(self) -> tuple[str, str] | None:
        """The first two ``-``-separated parts of a wheel name, as PyPI splits them raw.

        PyPI finds ``{name}-{version}.dist-info/`` from these, unnormalized.
        """
        stem = self.filename[: -len(".whl")] if self.filename.lower().endswith(".whl") else None
        if stem is None:
            return None
        parts = stem.split("-")
        if len(parts) < 3:
            return None
        return parts[0], parts[1]

    # -- digests -------------------------------------------------------------------
    def compute_digests(
        self, *, blake2: bool = False, progress: Callable[[int], None] | None = None
    ) -> Digests:
        """Hash the file in one sequential pass; ``progress`` gets the bytes read so far.

        Computing again with ``blake2=True`` after a sha256-only pass reads the file once
        more, so the runner decides up front.
        """
        with self._lock:
            if self._digests is not None and (self._digests.blake2_256 or not blake2):
                return self._digests
            sha = hashlib.sha256()
            b2 = hashlib.blake2b(digest_size=32) if blake2 else None
            done = 0
            with self.path.open("rb", buffering=0) as fh:
                while True:
                    chunk = fh.read(_HASH_CHUNK)
                    if not chunk:
                        break
                    sha.update(chunk)
                    if b2 is not None:
                        b2.update(chunk)
                    done += len(chunk)
                    if progress is not None:
                        progress(done)
            self._digests = Digests(sha.hexdigest(), b2.hexdigest() if b2 else None)
            return self._digests

    @property
    def sha256(self) -> str | None:
        return self._digests.sha256 if self._digests else None

    @property
    def blake2_256(self) -> str | None:
        return self._digests.blake2_256 if self._digests else None

    # -- archive -------------------------------------------------------------------
    @property
    def archive_kind(self) -> str | None:
        """``zip`` or ``tar``, from the lowercased extension."""
        return archive_kind(self.filename.lower())

    def subscribe(self, visitor: MemberVisitor) -> None:
        """Join the one pass over this file's members (see :mod:`.members`).

        Only before the archive is first read: a subscriber that comes later would need a
        pass of its own, which is what the shared pass exists to avoid (``RuntimeError``).
        """
        with self._lock:
            if self._archive_loaded:
                raise RuntimeError(f"{self.filename} has been read already: subscribe to its "
                                   "members in the preupload_guard_members hook")
            self._visitors.append(visitor)

    def subscribed(self, kind: type[V]) -> V | None:
        """The first subscriber of this class (a check finds what its visitor gathered)."""
        return next((v for v in self._visitors if isinstance(v, kind)), None)

    def visitor_failure(self, visitor: MemberVisitor) -> BaseException | None:
        """What ``visitor`` raised during the pass (the runner reports it as its plugin's)."""
        return self._fanout.failure(visitor) if self._fanout is not None else None

    def archive(self) -> ArchiveReader:
        """The member list and bounded readers; raises :class:`ArchiveError` (cached).

        The first call makes the pass: the listing, the core metadata kept on the way, and
        every subscriber fed; what :class:`~.members.Capture` subscribers kept is served to
        later ``read``/``read_members`` calls, so no member is read twice.
        """
        with self._lock:
            if not self._archive_loaded:
                self._archive_loaded = True
                kind = self.archive_kind
                own = Capture(self._is_metadata_candidate, MAX_METADATA_BYTES)
                self._fanout = Fanout([own, *self._visitors])
                try:
                    if kind is None:
                        raise ArchiveError("not a .whl, .zip or .tar.gz file")
                    self._archive = ArchiveReader(self.path, kind, fanout=self._fanout)
                    for visitor in (own, *self._visitors):
                        if isinstance(visitor, Capture):
                            self._archive.remember(visitor.kept)
                except ArchiveError as exc:
                    self._archive_error = exc
                    self._fanout.close(exc)
        if self._archive_error is not None:
            raise self._archive_error
        assert self._archive is not None
        return self._archive

    # -- the pass made in another process (read/pass_pool.py) ------------------------
    def pass_state(self) -> PassState:
        """What the pass left: the reader, each subscriber as it ended, the metadata.

        Made (if it was not yet) by the call; a worker process sends it to the Artifact of
        the same file in the runner's process, which adopts it (:meth:`adopt`).
        """
        with self._lock:
            self._load_metadata()
            fanout = self._fanout
            return PassState(
                archive=self._archive,
                archive_error=self._archive_error,
                visitors=list(self._visitors),
                failures=[fanout.failure(v) if fanout is not None else None
                          for v in self._visitors],
                metadata_bytes=self._metadata_bytes,
                metadata_path=self._metadata_path,
                metadata_error=self._metadata_error,
                raw=self._raw,
                unparsed=self._unparsed,
                pid=self.pass_pid or os.getpid(),
            )

    def adopt(self, state: PassState) -> None:
        """Take a pass another process made of this file as if it had been made here.

        ``state`` holds copies of this Artifact's subscribers, in order; a check finds the
        copy (:meth:`subscribed`, :meth:`adopted`), with what it gathered and raised.
        """
        with self._lock:
            if self._archive_loaded:
                raise RuntimeError(f"{self.filename} has been read already")
            if len(state.visitors) != len(self._visitors) or len(state.failures) != len(
                    state.visitors):
                raise ValueError(f"the pass of {self.filename} was made for other subscribers")
            self._adopted = {id(old): new for old, new in zip(self._visitors, state.visitors,
                                                               strict=True)}
            self._visitors = list(state.visitors)
            fanout = Fanout(self._visitors)
            fanout.closed = True
            for visitor, failure in zip(self._visitors, state.failures, strict=True):
                if failure is not None:
                    fanout.failures[id(visitor)] = failure
            self._fanout = fanout
            if state.archive is not None:
                state.archive.path = self.path  # the worker may have resolved it
            self._archive, self._archive_error = state.archive, state.archive_error
            self._archive_loaded = True
            self._metadata_bytes, self._metadata_path = state.metadata_bytes, state.metadata_path
            self._metadata_error = state.metadata_error
            self._raw, self._unparsed = state.raw, state.unparsed
            self._metadata_loaded = True
            self.pass_pid = state.pid

    def adopted(self, visitor: V) -> V:
        """The copy of ``visitor`` that made an adopted pass (``visitor`` itself if none)."""
        return self._adopted.get(id(visitor), visitor)  # type: ignore[return-value]

    def _is_metadata_candidate(self, member: Member) -> bool:
        """Members twine may take the core metadata from, kept from the pass."""
        if self.is_wheel:
            return "METADATA" in member.name
        return _is_pkg_info_candidate(member)

    @property
    def archive_error(self) -> ArchiveError | None:
        try:
            self.archive()
        except ArchiveError as exc:
            return exc
        return None

    @property
    def members(self) -> tuple[Member, ...]:
        """Archive members, or ``()`` when the archive cannot be read."""
        try:
            return self.archive().members
        except ArchiveError:
            return ()

    # -- core metadata ---------------------------------------------------------------
    def _load_metadata(self) -> None:
        if self._metadata_loaded:
            return
        self._metadata_loaded = True
        try:
            path, data = self._find_metadata()
        except MetadataError as exc:
            self._metadata_error = str(exc)
            return
        except ArchiveError as exc:
            self._metadata_error = f"cannot read the archive: {exc}"
            return
        self._metadata_path, self._metadata_bytes = path, data
        fields = header_fields(data)
        if fields > MAX_HEADER_FIELDS:
            self._metadata_error = (
                f"{path} has {fields} {TOO_MANY_FIELDS} {MAX_HEADER_FIELDS} "
                "preupload-guard parses (the email parser twine and PyPI use takes time "
                "quadratic in their number: minutes for 100,000); real metadata has a few "
                "hundred at most")
            return
        self._raw, self._unparsed = parse_email(data)

    def _find_metadata(self) -> tuple[str, bytes]:
        reader = self.archive()
        if self.is_wheel:
            candidates = sorted(
                (len(n.split("/")), n.split("/")) for n in reader.names() if "METADATA" in n
            )
            for _, parts in candidates:
                name = "/".join(parts)
                member = reader.member(name)
                if member is None or not member.is_file:
                    continue
                data = reader.read(name, MAX_METADATA_BYTES)
                if b"Metadata-Version" in data:
                    return name, data
            raise MetadataError("no METADATA file with a Metadata-Version field in the wheel")
        if self.is_sdist:
            try:
                root = posixpath.normpath(reader.common_path()) if reader.members else ""
            except ValueError as exc:  # absolute and relative paths mixed
                raise MetadataError(f"cannot find the sdist's top-level directory: {exc}") from None
            if root in {".", "/", ""}:
                raise MetadataError("the sdist does not have exactly one top-level directory")
            wanted = root.rstrip("/") + "/PKG-INFO"
            for member in reader.members:
                # normpath only drops components, so a name without "PKG-INFO" cannot
                # become ``wanted``: the test spares a normpath per member.
                if "PKG-INFO" in member.name and posixpath.normpath(member.name) == wanted:
                    if not member.is_file:
                        raise MetadataError(f"{member.name} is not a regular file")
                    data = reader.read(member.name, MAX_METADATA_BYTES)
                    if b"Metadata-Version" in data:
                        return member.name, data
                    break
            raise MetadataError(f"no PKG-INFO with a Metadata-Version field at {wanted}")
        raise MetadataError("not a wheel or sdist")

    @property
    def metadata_error(self) -> str | None:
        """Why the metadata could not be read (``None`` when it was)."""
        with self._lock:
            self._load_metadata()
        return self._metadata_error

    @property
    def metadata_path(self) -> str | None:
        with self._lock:
            self._load_metadata()
        return self._metadata_path

    @property
    def metadata_bytes(self) -> bytes | None:
        with self._lock:
            self._load_metadata()
        return self._metadata_bytes

    @property
    def raw_metadata(self) -> RawMetadata | None:
        """``packaging.metadata.parse_email`` of the metadata file, or ``None``."""
        with self._lock:
            self._load_metadata()
        return self._raw

    @property
    def unparsed_metadata(self) -> dict[str, Any]:
        with self._lock:
            self._load_metadata()
        return self._unparsed

    # -- attestation sidecars --------------------------------------------------------
    @property
    def attestations(self) -> tuple[AttestationFile, ...]:
        """The PEP 740 attestation files next to this file, as twine pairs them.

        ``twine upload --attestations dist/*`` (and pypa/gh-action-pypi-publish, which calls
        it that way) sends, with each distribution, every ``<filename>.*.attestation`` among
        its inputs; the files beside this one are the ones such an upload would send. Listed
        once (one directory listing), sorted by name as a sorted glob gives them to twine,
        each read up to 1 MiB (:mod:`.attestations`).
        """
        with self._lock:
            if self._attestations is None:
                self._attestations = read_attestations(self.path)
            return self._attestations


    # -- identity --------------------------------------------------------------------
    @property
    def name(self) -> str | None:
        """The project name as twine sends it (metadata ``Name``), else from the filename."""
        raw = self.raw_metadata
        if raw and raw.get("name"):
            return str(raw["name"])
        return self.filename_project

    @property
    def project(self) -> str | None:
        """The canonical project name used to look the project up on the index."""
        name = self.name
        if name and is_valid_project_name(name):
            return canonicalize_name(name)
        return self.filename_project

    @property
    def version(self) -> str | None:
        """The version as twine sends it (metadata ``Version``), else from the filename."""
        raw = self.raw_metadata
        if raw and raw.get("version"):
            return str(raw["version"])
        return str(self.filename_version) if self.filename_version is not None else None


def _is_pkg_info_candidate(member: Member) -> bool:
    """Tar members worth keeping from the listing pass: ``<top>/PKG-INFO`` spellings."""
    name = member.name
    return name.endswith("PKG-INFO") and name.strip("/").count("/") <= 2
