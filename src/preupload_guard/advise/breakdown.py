"""What takes the space in a distribution file, and what each usual fix would save.

A file over the index's size limit leaves two ways out: make it smaller, or ask for a larger
limit; PyPI's reviewers grant a request only when the size is justified and best efforts to
reduce it were made. Both start from the same facts, computed here: every member is put in
one *kind* (native libraries, model weights, JARs and executables, embedded runtimes, tests
and test data, ``.pyc`` files, other), with two cross-cutting views on top: debug information
inside ELF/Mach-O/PE binaries (what stripping would remove) and duplicated members (same
content under several names). Each comes with the bytes it takes in the file, the bytes the
usual fix would save, and that fix.

Reading is bounded and happens once: members are chosen from the listing first (binary
candidates by name, possible duplicates by equal size, since only members of equal size can
be equal), then each chosen member is streamed once, its head sniffed and its binary headers
read by :mod:`.binaries` while the same bytes feed the duplicate hash. Nothing is held whole
in memory, and a budget stops reading when an archive inflates absurdly: the breakdown then
says it is incomplete instead of taking minutes.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import struct
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO

from preupload_guard.read.archives import ArchiveError, ArchiveReader, Member
from preupload_guard.read.binaries import inspect_binary, sniff
from preupload_guard.read.members import StreamConsumer

if TYPE_CHECKING:
    from preupload_guard.read.artifact import Artifact
    from preupload_guard.read.binaries import BinaryInfo

#: Bytes of each member kept to recognise it (binary magic, model file signatures).
HEAD_BYTES = 64
#: Smaller duplicates are noise (empty ``__init__.py`` files, licence copies).
MIN_DUPLICATE_SIZE = 4096
#: Smaller members are not worth opening to sniff: no real binary is this small.
MIN_SNIFF_SIZE = 256
#: Stop reading members once this many bytes were inflated (or ``RATIO`` x the file).
MIN_READ_BUDGET = 1024**3
READ_BUDGET_RATIO = 16
_CHUNK = 1024 * 1024

# -- kinds -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One way of grouping members: its label, the usual fix, and whether the fix
    removes the whole group from the file (its saving is then the group's bytes)."""

    key: str
    label: str
    fix: str
    removable: bool


KINDS: dict[str, Kind] = {
    kind.key: kind
    for kind in (
        Kind("embedded-runtime", "embedded runtimes",
             "Depend on a runtime installed separately (a system package, or a separate "
             "package that provides it) instead of bundling one in every file.", True),
        Kind("tests", "tests and test data",
             "Leave tests and their data out of the wheel; they belong in the repository "
             "(an sdist may keep small ones).", True),
        Kind("model-weights", "model weights",
             "Download the weights at first use (cached, with a checksum) from where you "
             "host them, instead of bundling them in the package.", True),
        Kind("jar-executable", "JARs and executables",
             "Fetch them at first use or move them into an extra package installed on "
             "demand; shrink JARs to the classes actually used.", True),
        Kind("native-library", "native libraries",
             "Strip them (see debug information and symbols); move optional native parts "
             "(extra GPU architectures, optional backends) into extra packages.", False),
        Kind("bytecode", ".pyc files",
             "Leave .pyc files out: installers compile bytecode at install time.", True),
        Kind("other", "other files", "", False),
    )
}
DEBUG_INFO = Kind("debug-info", "debug information and symbols",
                  "Strip the binaries before packaging (strip --strip-unneeded, or at least "
                  "--strip-debug, on ELF; strip -S -x on Mach-O; link without /DEBUG on "
                  "Windows; or build with -g0) and publish debug information separately if "
                  "users need it.", True)
DUPLICATES = Kind("duplicates", "duplicated members",
                  "Keep one copy: load it from one place, or for versioned shared libraries "
                  "(libx.so, libx.so.1) ship only the name the loader asks for.", True)

_LIBRARY_RE = re.compile(r"\.(so(\.\d+)*|pyd|dll|dylib|node|bundle|o|a|lib)$")
_EXECUTABLE_EXTS = (".exe", ".jar", ".war", ".ear", ".aar")
MODEL_EXTS = (".pt", ".pth", ".onnx", ".safetensors", ".h5", ".hdf5", ".ckpt", ".gguf",
              ".ggml", ".tflite", ".keras", ".mlmodel", ".caffemodel", ".pdparams",
              ".pdiparams")
_MODEL_NAME_RE = re.compile(
    r"^(saved_model\.pb|flax_model\.msgpack|pytorch_model.*\.bin|.*\.data-\d{5}-of-\d{5})$")
#: Extensions never worth sniffing: text, sources, images, and what is known by its name.
_NOT_BINARY_EXTS = frozenset((
    ".py", ".pyi", ".pyc", ".pyo", ".pyx", ".pxd", ".pxi", ".txt", ".md", ".rst", ".json",
    ".toml", ".yaml", ".yml", ".cfg", ".ini", ".html", ".htm", ".css", ".js", ".mjs", ".ts",
    ".map", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".ico", ".csv", ".tsv", ".xml", ".c",
    ".h", ".cc", ".cpp", ".hpp", ".cxx", ".hh", ".rs", ".go", ".java", ".f", ".f90", ".typed",
    ".in", ".sh", ".bat", ".ps1", ".pem", ".po", ".mo", ".cu", ".cuh", ".pc", ".cmake",
    ".zip", ".gz", ".tar", ".whl", ".npy", ".npz", ".ipynb", ".tex", ".license", ".la",
    *MODEL_EXTS, *_EXECUTABLE_EXTS[1:],
))
_TEST_DIRS = frozenset(("tests", "test", "testdata", "test_data", "fixtures"))
_PYTHON_RE = re.compile(
    r"^(lib)?python3(\.?\d+)?[dmu]*(\.exe|\.dll|\.so(\.[\d.]+)?|\.dylib|\.a)?$|^pythonw?\.exe$")


def _runtime(parts: Sequence[str], base: str, binary: bool) -> str | None:
    """Which runtime a member belongs to, by its path (``None``: not a runtime's)."""
    dirs = parts[:-1]
    path = "/".join(parts)
    if (any(d in ("jre", "jdk") or d.startswith(("jre-", "jdk-", "openjdk", "jre1", "jdk1"))
            for d in dirs)
            or "lib/jvm/" in path
            or base in ("libjvm.so", "jvm.dll", "libjvm.dylib")
            or (dirs[-1:] == ["bin"] and base in ("java", "java.exe", "javaw.exe"))):
        return "a Java runtime"
    if base.startswith("libnode.") or base == "node.exe" or (base == "node" and binary):
        return "Node.js"
    if base in ("coreclr.dll", "libcoreclr.so", "libcoreclr.dylib", "dotnet.exe") or (
            base == "dotnet" and binary):
        return "a .NET runtime"
    if (_PYTHON_RE.match(base) and (binary or "." in base)) or any(
            re.fullmatch(r"python3\.\d+", d) and i > 0 and dirs[i - 1] == "lib"
            for i, d in enumerate(dirs)) or "python.framework" in dirs:
        return "a Python interpreter"
    return None


def _model_magic(head: bytes) -> str | None:
    """The weight format a ``.bin`` file's first bytes announce, if any."""
    if head.startswith(b"GGUF"):
        return "GGUF"
    if head.startswith(b"\x89HDF\r\n\x1a\n"):
        return "HDF5"
    if head.startswith(b"PK\x03\x04"):
        return "PyTorch (zip)"
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        return "pickle"
    if len(head) >= 10:
        (header_len,) = struct.unpack("<Q", head[:8])
        if 2 <= header_len < 100 * 1024 * 1024 and head[8:10] == b'{"':
            return "safetensors"
    return None


def classify(name: str, head: bytes = b"", binary_format: str | None = None
             ) -> tuple[str, str | None]:
    """The kind of a member (a key of :data:`KINDS`) and a detail worth showing.

    Precedence follows what the fix is: a runtime is removed whole, whatever it holds;
    tests go before models (a model under ``tests/`` is test data); then weights,
    executables, libraries, bytecode. ``head`` and ``binary_format`` are what sniffing the
    member found, when it was read.
    """
    lower = name.lower()
    parts = [p for p in lower.split("/") if p]
    base = parts[-1] if parts else lower
    ext = posixpath.splitext(base)[1]
    runtime = _runtime(parts, base, binary_format is not None)
    if runtime is not None:
        return "embedded-runtime", runtime
    if any(d in _TEST_DIRS for d in parts[:-1]):
        return "tests", None
    if ext in MODEL_EXTS or _MODEL_NAME_RE.match(base):
        return "model-weights", ext.lstrip(".") or None
    if ext == ".bin" and (magic := _model_magic(head)):
        return "model-weights", magic
    if ext in _EXECUTABLE_EXTS:
        return "jar-executable", "JAR" if ext != ".exe" else "executable"
    if _LIBRARY_RE.search(base):
        return "native-library", binary_format
    if binary_format is not None:
        return "jar-executable", "executable"
    if ext in (".pyc", ".pyo"):
        return "bytecode", None
    return "other", None


def _worth_sniffing(member: Member) -> bool:
    if member.size < MIN_SNIFF_SIZE:
        return False
    ext = posixpath.splitext(member.name.rsplit("/", 1)[-1].lower())[1]
    return ext not in _NOT_BINARY_EXTS


# -- results -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MemberFacts:
    """One member: its sizes (``compressed`` is estimated for tar members), kind, digest."""

    name: str
    size: int
    compressed: int
    kind: str
    detail: str | None = None
    digest: str | None = None
    binary: BinaryInfo | None = None

    @property
    def description(self) -> str:
        """The kind in words, with the detail: ``model weights (safetensors)``."""
        label = KINDS[self.kind].label if self.kind in KINDS else self.kind
        return label + (f" ({self.detail})" if self.detail else "")

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "detail": self.detail,
                "size": self.size, "compressed": self.compressed}


@dataclass(frozen=True)
class Group:
    """All members of one kind (or one cross-cutting view) and what its fix saves.

    ``saving`` is in bytes of the file (compressed); ``None`` when no fix removes a known
    amount (native code the package needs, files we cannot judge).
    """

    kind: str
    label: str
    members: int
    compressed: int
    size: int
    saving: int | None
    fix: str
    largest: tuple[str, ...]
    detail: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "members": self.members,
                "compressed": self.compressed, "uncompressed": self.size,
                "saving": self.saving, "fix": self.fix or None, "largest": list(self.largest),
                "detail": self.detail}


@dataclass(frozen=True)
class DebugBinary:
    """A binary that carries debug information: what stripping it would remove."""

    name: str
    format: str
    arch: str | None
    debug_bytes: int
    strippable_bytes: int
    saving: int  # estimated bytes of the file (the member's compression ratio applied)
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        return {"member": self.name, "format": self.format, "arch": self.arch,
                "debug_bytes": self.debug_bytes, "strippable_bytes": self.strippable_bytes,
                "saving": self.saving, "complete": self.complete}


@dataclass(frozen=True)
class DuplicateSet:
    """Members with the same content: all copies but one could go."""

    digest: str
    size: int
    members: tuple[str, ...]
    saving: int

    def to_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "size": self.size, "members": list(self.members),
                "saving": self.saving}


@dataclass(frozen=True)
class Contributor:
    """One line of "what takes the space": a group, its bytes in the file, its fix."""

    kind: str
    label: str
    compressed: int
    saving: int | None
    fix: str
    example: str | None
    members: int


@dataclass(frozen=True)
class SizeBreakdown:
    """What takes the space in one file. ``complete`` is false when reading stopped early
    (budget, unreadable member): debug information and duplicates may then be missing."""

    filename: str
    file_size: int
    archive: str
    size: int  # all members, uncompressed
    members: tuple[MemberFacts, ...]
    groups: tuple[Group, ...]
    debug: tuple[DebugBinary, ...]
    duplicates: tuple[DuplicateSet, ...]
    compressed_estimated: bool
    complete: bool = True
    notes: tuple[str, ...] = ()
    easy_saving: int = 0
    full_saving: int = 0

    def group(self, kind: str) -> Group | None:
        """The group of ``kind`` (also ``debug-info`` and ``duplicates``), if not empty."""
        return next((g for g in self.groups if g.kind == kind), None)

    def largest(self, count: int = 10) -> list[MemberFacts]:
        """The members taking the most bytes of the file."""
        return sorted(self.members, key=lambda m: (-m.compressed, m.name))[:count]

    @property
    def debug_bytes(self) -> int:
        return sum(d.strippable_bytes for d in self.debug)

    @property
    def binaries(self) -> list[MemberFacts]:
        """Members recognised as ELF/Mach-O/PE binaries."""
        return [m for m in self.members if m.binary is not None]

    def contributors(self, count: int = 3) -> list[Contributor]:
        """The biggest contributors to the file's size, most bytes first.

        Kinds and the two cross-cutting views compete on the bytes they take in the file
        (for debug information and duplicates: the bytes their fix would free); "other
        files" only when it has a clear share, since it comes with no fix.
        """
        out = []
        for group in self.groups:
            if group.kind == "other" and group.compressed < self.file_size // 4:
                continue
            out.append(Contributor(group.kind, group.label, group.compressed, group.saving,
                                   group.fix, group.largest[0] if group.largest else None,
                                   group.members))
        out.sort(key=lambda c: -c.compressed)
        return out[:count]

    def best_fix(self) -> Group | None:
        """The group whose fix saves the most bytes of the file."""
        fixable = [g for g in self.groups if g.saving and g.fix]
        return max(fixable, key=lambda g: g.saving or 0, default=None)

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "archive": self.archive,
            "members": len(self.members),
            "uncompressed": self.size,
            "compressed_estimated": self.compressed_estimated,
            "complete": self.complete,
            "notes": list(self.notes),
            "groups": [g.to_dict() for g in self.groups],
            "debug_info": [d.to_dict() for d in self.debug],
            "duplicates": [d.to_dict() for d in self.duplicates],
            "largest_members": [m.to_dict() for m in self.largest(top)],
            "savings": {"easy": self.easy_saving, "all": self.full_saving},
        }


# -- reading -----------------------------------------------------------------------------


class _TeeStream:
    """A member stream for :func:`inspect_binary` that also hashes every byte, in order.

    Forward seeks are read through while a hash is wanted, so that each byte is hashed
    exactly once whatever the header reader skips; the first bytes are kept so that going
    back to the start after sniffing costs no backward seek (tar streams can hardly seek
    back). ``consumed`` counts what was taken from the archive: the effort spent.
    """

    def __init__(self, raw: BinaryIO, size: int, hasher: Any | None) -> None:
        self._raw = raw
        self._size = size
        self._hasher = hasher
        self._pos = 0
        self._raw_pos = 0
        self._hashed = 0
        self._head = b""
        self.consumed = 0

    def _take(self, size: int) -> bytes:
        if self._raw_pos != self._pos:
            self._raw.seek(self._pos)
            self.consumed += max(0, self._pos - self._raw_pos)
            self._raw_pos = self._pos
        data = self._raw.read(size)
        start, end = self._pos, self._pos + len(data)
        self.consumed += len(data)
        if self._hasher is not None and start <= self._hashed < end:
            self._hasher.update(memoryview(data)[self._hashed - start:])
            self._hashed = end
        if start == len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - start]
        self._pos = self._raw_pos = end
        return data

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self._size - self._pos)
        pieces = []
        if self._pos < len(self._head):
            piece = self._head[self._pos:self._pos + size]
            pieces.append(piece)
            self._pos += len(piece)
            size -= len(piece)
        while size > 0:
            data = self._take(min(size, _CHUNK))
            if not data:
                break
            pieces.append(data)
            size -= len(data)
        return b"".join(pieces)

    def seek(self, offset: int, whence: int = 0) -> int:
        if whence == 1:
            offset += self._pos
        elif whence == 2:
            offset += self._size
        if offset < 0:
            raise ValueError("negative seek position")
        if self._hasher is not None and offset > self._hashed:
            self._pos = self._hashed
            while self._pos < offset and self._take(min(_CHUNK, offset - self._pos)):
                pass
        self._pos = offset
        return offset

    def tell(self) -> int:
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def finish(self) -> str | None:
        """Hash the rest of the member; the digest, or ``None`` when none was wanted."""
        if self._hasher is None:
            return None
        self._pos = self._hashed
        while self._take(_CHUNK):
            pass
        return str(self._hasher.hexdigest())


@dataclass
class _Read:
    head: bytes = b""
    digest: str | None = None
    binary: BinaryInfo | None = None
    binary_format: str | None = None
    note: str | None = None


_HEADER_ERRORS = (ValueError, OSError, EOFError, struct.error, OverflowError, IndexError)


def _read_member(stream: BinaryIO, member: Member, *, want_hash: bool, want_sniff: bool,
                 cheap_seek: bool, inspect: bool = True) -> tuple[_Read, int]:
    """Sniff, inspect and hash one member in one pass; returns what was found and the
    bytes it cost. An unreadable binary header is a note, not a failure. Without
    ``inspect`` only the head is read (a binary is recognised, its headers are not read)."""
    tee = _TeeStream(stream, member.size, hashlib.blake2b(digest_size=20) if want_hash else None)
    found = _Read(head=tee.read(HEAD_BYTES))
    if want_sniff:
        found.binary_format = sniff(found.head)
    trusted = True
    if found.binary_format is not None and inspect:
        tee.seek(0)
        try:
            found.binary = inspect_binary(tee, member.size,  # type: ignore[arg-type]
                                          cheap_seek=cheap_seek and not want_hash)
        except ArchiveError as exc:  # a seek the stream refused, or a corrupt member
            found.note = f"could not read the headers of {member.name}: {exc}"
            trusted = False  # the stream may be anywhere now: no digest from it
        except _HEADER_ERRORS as exc:
            found.note = f"could not read the headers of {member.name}: {exc}"
    if trusted:
        found.digest = tee.finish()
    return found, tee.consumed


def _member_list(reader: ArchiveReader) -> list[Member]:
    """Regular files, one per name (the last, as readers resolve a repeated name)."""
    by_name: dict[str, Member] = {}
    for member in reader.members:
        if member.is_file:
            by_name.pop(member.name, None)
            by_name[member.name] = member
    return list(by_name.values())


def read_budget(file_size: int) -> int:
    """How many bytes of member content a breakdown may read."""
    return max(MIN_READ_BUDGET, READ_BUDGET_RATIO * file_size)


def read_members(streams: Iterator[tuple[Member, Any]], kind: str, budget: int, *,
                 want_hash: Callable[[Member], bool], want_sniff: Callable[[Member], bool],
                 listing: Mapping[str, Member] | None = None,
                 ) -> tuple[dict[str, _Read], list[str], bool]:
    """Sniff, inspect and hash the members ``streams`` yields, within ``budget`` bytes.

    Returns what was found per member, the notes, and whether reading was complete.
    ``streams`` is :meth:`ArchiveReader.iter_streams` or the shared pass's stream consumer.
    """
    reads: dict[str, _Read] = {}
    notes: list[str] = []
    complete = True
    spent = 0
    by_name = listing or {}
    try:
        for member, stream in streams:
            if spent > budget:
                complete = False
                notes.append(f"stopped reading after {spent // 1024**2} MiB of member "
                             "content; debug information and duplicates may be missing")
                break
            listed = by_name.get(member.name, member)
            cheap = (kind == "zip" and listed.compress_type == 0
                     and sys.version_info >= (3, 12))
            # A member larger than what is left of the budget (a bomb, or a huge
            # declared size) is only sniffed: neither hashed nor inspected.
            affordable = listed.size <= budget - spent
            if not affordable:
                complete = False
                notes.append(f"{member.name} ({listed.size // 1024**2} MiB) was not read "
                             "whole: it is larger than what is left of the read budget")
            found, cost = _read_member(stream, listed,  # type: ignore[arg-type]
                                       want_hash=affordable and want_hash(member),
                                       want_sniff=want_sniff(member),
                                       cheap_seek=cheap, inspect=affordable)
            spent += cost
            reads[member.name] = found
            if found.note:
                notes.append(found.note)
    except ArchiveError as exc:
        complete = False
        notes.append(f"stopped reading: {exc}")
    finally:
        close = getattr(streams, "close", None)
        if close is not None:
            close()
    return reads, notes, complete


def analyze(reader: ArchiveReader, filename: str, file_size: int, *,
            budget: int | None = None,
            pass_reads: tuple[dict[str, _Read], list[str], bool] | None = None,
            ) -> SizeBreakdown:
    """Break one archive down by kind, with debug information and duplicates.

    Raises :class:`ArchiveError` only when the member list cannot be read; a member that
    cannot be read stops reading and makes the breakdown incomplete, with a note.
    """
    members = _member_list(reader)
    total = sum(m.size for m in members)
    estimated = any(m.compressed_size is None for m in members)
    ratio = min(1.0, file_size / total) if total else 1.0

    def compressed(member: Member) -> int:
        if member.compressed_size is not None:
            return member.compressed_size
        return round(member.size * ratio)

    sizes = Counter(m.size for m in members if m.size >= MIN_DUPLICATE_SIZE)
    to_hash = {m.name for m in members if sizes[m.size] > 1}
    to_sniff = {m.name for m in members if _worth_sniffing(m)}
    wanted = to_hash | to_sniff
    budget = budget if budget is not None else read_budget(file_size)
    if pass_reads is not None:  # read during the shared pass (read/members.py)
        reads, notes, complete = pass_reads
    elif wanted:
        by_name = {m.name: m for m in members}
        reads, notes, complete = read_members(
            reader.iter_streams(lambda m: m.name in wanted), reader.kind, budget,
            want_hash=lambda m: m.name in to_hash, want_sniff=lambda m: m.name in to_sniff,
            listing=by_name)
    else:
        reads, notes, complete = {}, [], True

    facts = []
    for m in members:
        got = reads.get(m.name, _Read())
        kind, detail = classify(m.name, got.head, got.binary_format)
        if got.binary is not None and got.binary.arch and kind in ("native-library",
                                                                   "jar-executable"):
            detail = f"{got.binary.format} {got.binary.arch}"
        facts.append(MemberFacts(m.name, m.size, compressed(m), kind, detail, got.digest,
                                 got.binary))
    return summarize(filename, file_size, facts, archive=reader.kind, estimated=estimated,
                     complete=complete, notes=notes)


def summarize(filename: str, file_size: int, facts: Sequence[MemberFacts], *,
              archive: str = "zip", estimated: bool = False, complete: bool = True,
              notes: Sequence[str] = ()) -> SizeBreakdown:
    """Group members already classified (and read) into a :class:`SizeBreakdown`.

    :func:`analyze` ends here; tests and plugins can start here with members of their own.
    """
    total = sum(f.size for f in facts)
    groups: list[Group] = []
    for kind in KINDS.values():
        chosen = [f for f in facts if f.kind == kind.key]
        if not chosen:
            continue
        chosen.sort(key=lambda f: (-f.compressed, f.name))
        packed = sum(f.compressed for f in chosen)
        details = sorted({f.detail for f in chosen if f.detail and kind.key in (
            "embedded-runtime", "model-weights")})
        groups.append(Group(kind.key, kind.label, len(chosen), packed,
                            sum(f.size for f in chosen), packed if kind.removable else None,
                            kind.fix, tuple(f.name for f in chosen[:3]),
                            ", ".join(details) or None))

    debug = []
    for f in facts:
        info = f.binary
        if info is None or info.strippable_bytes <= 0:
            continue
        saving = round(info.strippable_bytes * f.compressed / f.size) if f.size else 0
        debug.append(DebugBinary(f.name, info.format, info.arch, info.debug_bytes,
                                 info.strippable_bytes, saving, info.complete))
    debug.sort(key=lambda d: (-d.saving, d.name))
    if debug:
        groups.append(Group(DEBUG_INFO.key, DEBUG_INFO.label, len(debug),
                            sum(d.saving for d in debug), sum(d.strippable_bytes for d in debug),
                            sum(d.saving for d in debug), DEBUG_INFO.fix,
                            tuple(d.name for d in debug[:3])))

    copies: dict[str, list[MemberFacts]] = {}
    for f in facts:
        if f.digest is not None:
            copies.setdefault(f.digest, []).append(f)
    duplicates = []
    for digest, same in copies.items():
        if len(same) < 2:
            continue
        same.sort(key=lambda f: f.name)
        saving = sum(f.compressed for f in same) - min(f.compressed for f in same)
        duplicates.append(DuplicateSet(digest, same[0].size, tuple(f.name for f in same),
                                       saving))
    duplicates.sort(key=lambda d: (-d.saving, d.members))
    if duplicates:
        groups.append(Group(DUPLICATES.key, DUPLICATES.label,
                            sum(len(d.members) for d in duplicates),
                            sum(d.saving for d in duplicates),
                            sum(d.size * (len(d.members) - 1) for d in duplicates),
                            sum(d.saving for d in duplicates), DUPLICATES.fix,
                            tuple(d.members[0] for d in duplicates[:3])))
    groups.sort(key=lambda g: (-g.compressed, g.kind))
    easy = _saving(facts, duplicates, removed=("tests", "bytecode"))
    full = _saving(facts, duplicates, removed=("tests", "bytecode", "model-weights",
                                               "embedded-runtime", "jar-executable"))
    return SizeBreakdown(filename, file_size, archive, total, tuple(facts), tuple(groups),
                         tuple(debug), tuple(duplicates), estimated, complete,
                         tuple(dict.fromkeys(notes)), easy, full)


def _saving(facts: Iterable[MemberFacts], duplicates: Iterable[DuplicateSet],
            removed: tuple[str, ...]) -> int:
    """Bytes of the file the fixes would save together, each byte counted once: members
    removed whole, then the extra copies among what stays, then debug information in the
    binaries that stay."""
    by_name = {f.name: f for f in facts}
    gone = {f.name for f in by_name.values() if f.kind in removed}
    saving = sum(by_name[n].compressed for n in gone)
    for dup in duplicates:
        kept = [by_name[n] for n in dup.members if n not in gone]
        if len(kept) > 1:
            keep = min(kept, key=lambda f: f.compressed)
            saving += sum(f.compressed for f in kept) - keep.compressed
            gone.update(f.name for f in kept if f is not keep)
    for f in by_name.values():
        if f.name not in gone and f.binary is not None and f.size:
            saving += round(f.binary.strippable_bytes * f.compressed / f.size)
    return saving


# -- per artifact, once ------------------------------------------------------------------

_cache: weakref.WeakKeyDictionary[Artifact, SizeBreakdown] = weakref.WeakKeyDictionary()
_cache_lock = threading.Lock()


class BreakdownReader(StreamConsumer):
    """The breakdown's reading, done during the shared pass over the file (read/members.py).

    Which members share a size (the duplicate candidates) is known only once the whole
    listing is, and a tar lists its members as it goes: so every member large enough to
    be a duplicate is hashed, and the comparison is made afterwards by :func:`analyze`.
    """

    def __init__(self, artifact: Artifact) -> None:
        budget = read_budget(artifact.size)
        kind = artifact.archive_kind or "zip"
        super().__init__(
            lambda m: _worth_sniffing(m) or m.size >= MIN_DUPLICATE_SIZE,
            lambda items: read_members(items, kind, budget,
                                       want_hash=lambda m: m.size >= MIN_DUPLICATE_SIZE,
                                       want_sniff=_worth_sniffing),
            name="size breakdown")

    def findings(self) -> None:
        return None  # the size rules ask breakdown_of()


def breakdown_of(artifact: Artifact) -> SizeBreakdown:
    """The breakdown of a distribution file, computed once per :class:`Artifact`.

    Uses what a :class:`BreakdownReader` subscribed to the file's pass read; otherwise
    reads the members itself. Raises :class:`ArchiveError` when the archive cannot be
    listed (other rules say why).
    """
    with _cache_lock:
        cached = _cache.get(artifact)
    if cached is not None:
        return cached
    subscribed = artifact.subscribed(BreakdownReader)
    result = analyze(artifact.archive(), artifact.filename, artifact.size,
                     pass_reads=subscribed.result() if subscribed is not None else None)
    with _cache_lock:
        _cache[artifact] = result
    return result
