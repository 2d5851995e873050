"""RECORD, row by row and member by member.

wheel-inspect parses a RECORD with :func:`wheel_inspect.record.parse_record` and verifies
it with :func:`wheel_inspect.inspecting.verify_record`; both stop at the first problem and
the verifier reads members through ``zipfile`` directly. Here each row goes through
wheel-inspect's own row parser (:meth:`RecordEntry.from_csv_fields`, with its error classes
and messages) so that *every* malformed row is reported, and the members are hashed in one
pass through the core's bounded member streams, chunk by chunk, so that every mismatch is
reported and memory stays flat whatever the members' sizes.

Which members RECORD lists (and which are missing from it) is the core rule
``record-mismatch``; this module checks what the rows say, not which rows exist.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from preupload_guard import ArchiveError, ArchiveReader, Member, MemberStream, MemberVisitor
from wheel_inspect import errors as wi_errors
from wheel_inspect.record import RecordEntry

CHUNK = 1024 * 1024
#: After this many members that cannot even be opened, stop trying (a wholly corrupt zip).
MAX_OPEN_FAILURES = 25
_SIGNATURES = ("RECORD.jws", "RECORD.p7s")


@dataclass
class ParsedRecord:
    """The usable rows of a RECORD (by member name) and what was wrong with the others."""

    entries: dict[str, RecordEntry] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def parse_record(text: str, dist_info: str) -> ParsedRecord:
    """Parse every row; rows wheel-inspect rejects become problems, the rest entries.

    A row whose path uses backslashes is reported and still used (under the '/' spelling),
    so its member is verified anyway. Raises :class:`csv.Error` when the CSV itself breaks.
    """
    parsed = ParsedRecord()
    own = f"{dist_info}/RECORD"
    exempt = {own, *(f"{dist_info}/{s}" for s in _SIGNATURES)}
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=",", quotechar='"')
    for fields in reader:
        if not fields:
            continue  # blank lines: the core rule wheel-missing-file reports them
        where = f"line {reader.line_num}"
        try:
            entry = RecordEntry.from_csv_fields(fields)
        except wi_errors.MalformedRecordError as exc:
            parsed.problems.append(f"{where}: {exc}")
            continue
        except ValueError:  # "alg_digest.split('=', 1)" on a hash with no '=', bad base64
            parsed.problems.append(
                f"{where}: the hash of {fields[0]!r} is not 'algorithm=digest' ({fields[1]!r})")
            continue
        if entry.digest_algorithm is not None and entry.digest_algorithm.startswith("shake_"):
            parsed.problems.append(
                f"{where}: RECORD entry for {entry.path!r} uses a variable-length digest "
                f"({entry.digest_algorithm!r}); the spec wants sha256 or stronger")
            continue
        path = entry.path
        if "\\" in path:
            parsed.problems.append(
                f"{where}: RECORD entry {path!r} uses backslashes; paths must use '/'")
            path = path.replace("\\", "/")
        if path.endswith("/"):
            continue  # a directory row: nothing to hash
        previous = parsed.entries.get(path)
        if previous is not None:
            if (previous.digest, previous.size) != (entry.digest, entry.size):
                parsed.problems.append(f"{where}: {wi_errors.RecordConflictError(path)}")
            continue
        if path == own:
            if entry.digest is not None:
                parsed.problems.append(
                    f"{where}: RECORD lists a hash for itself; its own row must be "
                    f"'{own},,' (a file cannot hold its own digest)")
            continue
        if entry.digest is None:
            if path not in exempt:
                parsed.problems.append(
                    f"{where}: {wi_errors.NullEntryError(path)}, so its content cannot be "
                    "verified")
            continue
        parsed.entries[path] = entry
    return parsed


@dataclass
class Verification:
    """What hashing the listed members found."""

    mismatched: list[str] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    verified: int = 0
    #: Members left unverified because of the byte budget: (count, bytes).
    over_budget: tuple[int, int] = (0, 0)


class MemberHashes(MemberVisitor):
    """The sha256 and size of each file member, taken during preupload-guard's one pass.

    RECORD is usually the last member of a wheel, so which members it lists is not known
    while the archive is read; every regular, unencrypted member is hashed (sha256, which
    every RECORD written by a current backend uses) until ``budget`` bytes are planned, and
    :func:`verify_members` compares afterwards. Rows with another algorithm are read again.
    """

    #: Its state is its own, so preupload-guard may feed it in a worker process.
    portable = True

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.planned = 0
        self.hashes: dict[str, tuple[str, int]] = {}
        self.errors: dict[str, ArchiveError] = {}
        self._digest: Any = None
        self._size = 0

    def wants(self, member: Member) -> bool:
        if not member.is_file or member.encrypted or self.planned + member.size > self.budget:
            return False
        self.planned += member.size
        return True

    def start(self, member: Member) -> None:
        self._digest, self._size = hashlib.sha256(), 0

    def feed(self, data: bytes) -> bool | None:
        self._digest.update(data)
        self._size += len(data)
        return None

    def end(self, member: Member, error: ArchiveError | None) -> None:
        if error is not None:
            self.errors[member.name] = error
        else:
            self.hashes[member.name] = (self._digest.hexdigest(), self._size)
        self._digest = None  # no hash object between members: the visitor pickles


def verify_members(
    reader: ArchiveReader,
    entries: dict[str, RecordEntry],
    *,
    budget: int,
    quiet_failure: Callable[[Member], bool] = lambda m: False,
    hashed: MemberHashes | None = None,
) -> Verification:
    """Hash every member ``entries`` lists (with a digest) and compare digest and size.

    Members are read in archive order through :meth:`ArchiveReader.iter_streams`, in
    ``CHUNK``-sized reads, until ``budget`` uncompressed bytes are planned; the rest is
    counted in ``over_budget``. A member whose content cannot be read (bad CRC, corrupt
    deflate data, encrypted) is listed in ``unreadable`` unless ``quiet_failure`` says the
    core already reports it; reading goes on with the next member.
    """
    result = Verification()
    targets: dict[str, Member] = {}
    planned = 0
    skipped_count = skipped_bytes = 0
    for member in reader.members:
        if not member.is_file or member.name not in entries:
            continue
        if member.encrypted:
            if not quiet_failure(member):
                result.unreadable.append((member.name, "it is encrypted (zip flag bit 0)"))
            continue
        if planned + member.size > budget:
            skipped_count += 1
            skipped_bytes += member.size
            continue
        planned += member.size
        targets[member.name] = member
    result.over_budget = (skipped_count, skipped_bytes)

    done: set[str] = set()
    if hashed is not None:  # what the shared pass already hashed
        for name, member in targets.items():
            entry = entries[name]
            if (entry.digest_algorithm or "sha256") != "sha256":
                continue
            if name in hashed.errors:
                done.add(name)
                _note_unreadable(result, member, hashed.errors[name], quiet_failure)
            elif name in hashed.hashes:
                done.add(name)
                result.verified += 1
                problem = _compare(entry, *hashed.hashes[name])
                if problem:
                    result.mismatched.append(f"{name} ({problem})")
    failures = 0
    while len(done) < len(targets):
        try:
            for member, stream in reader.iter_streams(
                    lambda m: m.name in targets and m.name not in done):
                done.add(member.name)
                entry = entries[member.name]
                try:
                    digest, size = _hash(stream, entry.digest_algorithm)
                except ArchiveError as exc:
                    _note_unreadable(result, member, exc, quiet_failure)
                    continue
                result.verified += 1
                problem = _compare(entry, digest, size)
                if problem:
                    result.mismatched.append(f"{member.name} ({problem})")
        except ArchiveError as exc:  # a member that cannot even be opened ends the pass
            failures += 1
            name = exc.member
            if name is None or name in done or failures > MAX_OPEN_FAILURES:
                left = len(set(targets) - done)
                result.unreadable.append(
                    (f"{left} member(s)", f"verification stopped: {exc}"))
                break
            done.add(name)
            member = targets.get(name)
            if member is not None:
                _note_unreadable(result, member, exc, quiet_failure)
            continue
        break
    return result


def _hash(stream: MemberStream, algorithm: str | None) -> tuple[str, int]:
    digest = hashlib.new(algorithm or "sha256")
    size = 0
    while True:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _compare(entry: RecordEntry, digest: str, size: int) -> str | None:
    parts = []
    if entry.size != size:
        parts.append(f"size {entry.size} in RECORD, actually {size}")
    if entry.digest != digest:
        parts.append(f"{entry.digest_algorithm} digest differs")
    return "; ".join(parts) or None


def _note_unreadable(result: Verification, member: Member, exc: ArchiveError,
                     quiet_failure: Callable[[Member], bool]) -> None:
    if quiet_failure(member):
        return
    text = str(exc)
    prefix = f"cannot read {member.name}"
    if text.startswith(prefix):
        text = text[len(prefix):].lstrip(" :") or text
    result.unreadable.append((member.name, text))


def examples(items: Iterable[str], limit: int = 5) -> str:
    """``a, b, c and 4 more``: a capped list for messages."""
    items = list(items)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text
