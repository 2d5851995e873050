"""Scan one distribution file: member names first, then every member's bytes, streaming.

Bounds, all per distribution file and configurable (:mod:`.config`): at most
``max-member-size`` bytes of any one member, ``max-total-size`` bytes in all, and
``time-limit`` seconds of wall-clock time. Whatever a bound leaves unscanned is reported
(``scan-incomplete``), never skipped silently; so is a member whose content cannot be
read. An archive that cannot be opened at all is left to preupload-guard's own
``invalid-archive`` rule: there is nothing to scan.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from preupload_guard import ArchiveError, Artifact, Finding, Member, format_size

from .config import TABLE, SecretsConfig
from .detectors import AWS_KEY, PRIVATE_KEY, TOKEN
from .paths import PEM_OR_KEY_REASON, git_dir, is_pem_or_key, sensitive_name
from .stream import Hit, StreamScan

SENSITIVE_FILE = "sensitive-file"
SCAN_INCOMPLETE = "scan-incomplete"

#: Bytes read from a member stream at a time.
CHUNK = 1024 * 1024
#: Findings listed per distribution file; the rest are counted per rule.
MAX_FINDINGS_PER_FILE = 100
#: Member names listed in a scan-incomplete message.
LISTED = 5

#: The clock of the time limit (a module attribute, so that tests can replace it).
monotonic = time.monotonic

_PLURAL = {TOKEN: "tokens", AWS_KEY: "AWS keys", PRIVATE_KEY: "private keys",
           SENSITIVE_FILE: "sensitive files"}


@dataclass
class _Findings:
    """The findings of one file, capped; what the cap hides is counted per rule."""

    filename: str
    limit: int = MAX_FINDINGS_PER_FILE
    items: list[Finding] = field(default_factory=list)
    hidden: Counter[str] = field(default_factory=Counter)

    def add(self, rule: str, message: str, hint: str | None = None, *, count: int = 1) -> None:
        """Add a finding that stands for ``count`` occurrences (a summary: more than 1).

        ``scan-incomplete`` findings are never hidden: what was not scanned must be said.
        """
        if len(self.items) >= self.limit and rule != SCAN_INCOMPLETE:
            self.hidden[rule] += count
            return
        self.items.append(Finding(rule=rule, message=message, hint=hint, file=self.filename))

    def finish(self) -> list[Finding]:
        out = list(self.items)
        for rule, count in sorted(self.hidden.items()):
            out.append(Finding(
                rule=rule, file=self.filename,
                message=f"{count} more {_PLURAL.get(rule, rule)} not listed (at most "
                        f"{self.limit} findings are listed per file)",
                hint="Fix the findings listed first, then run again.",
            ))
        return out


def sdist_top(members: Sequence[Member]) -> str | None:
    """The single top-level directory all members share, if there is one."""
    tops = {m.name.lstrip("/").split("/", 1)[0] for m in members}
    if len(tops) != 1:
        return None
    top = tops.pop()
    return top if any("/" in m.name.strip("/") for m in members) else None


def _members(count: int) -> str:
    return f"{count} member" + ("" if count == 1 else "s")


def _list(names: Sequence[str]) -> str:
    shown = ", ".join(names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


_ACTION = {
    TOKEN: "Remove it and revoke the token now",
    AWS_KEY: "Remove it and deactivate the access key in IAM now",
    PRIVATE_KEY: "Remove the key and replace it wherever it is trusted",
}


def _hint(rule: str, fingerprint: str) -> str:
    return (f"{_ACTION[rule]}: it may already be public. A fake value for tests can be "
            f'allowed with allow-secrets = ["{fingerprint}"] in {TABLE}.')


def _hit_message(name: str, hit: Hit, binary: bool) -> str:
    where = f"{name} (byte offset {hit.offset})" if binary else f"{name}:{hit.line}"
    secret = hit.secret
    if hit.rule == PRIVATE_KEY:
        detail = f"key material not shown, {secret.short_fingerprint}"
    else:
        detail = f"{secret.length} chars, {secret.short_fingerprint}"
    return f"{where}: {secret.label} {secret.masked} ({detail})"


SENSITIVE_HINT = (
    "Exclude it from the distribution (MANIFEST.in exclude/prune, or the build backend's "
    "exclude setting) and rotate any credential it held. A harmless fixture can be allowed "
    f"by path (allow in {TABLE})."
)


@dataclass
class _Recorder:
    """Findings of the content scan, in order, replayed after the member-name findings."""

    calls: list[tuple[str, str, str | None, int]] = field(default_factory=list)

    def add(self, rule: str, message: str, hint: str | None = None, *, count: int = 1) -> None:
        self.calls.append((rule, message, hint, count))


@dataclass
class ContentScan:
    """What scanning the members' bytes found and where it stopped."""

    found: _Recorder = field(default_factory=_Recorder)
    visited: set[str] = field(default_factory=set)
    capped: list[str] = field(default_factory=list)  # scanned only up to max-member-size
    unreadable: list[str] = field(default_factory=list)
    stop: str | None = None  # why scanning stopped early
    cut_short: str | None = None  # the member a stop interrupted


def wanted_by(config: SecretsConfig, top: str | None) -> Callable[[Member], bool]:
    """The members whose bytes are scanned: not empty, not allowed by path."""
    return lambda member: member.size > 0 and not config.allows_member(member.name, top)


class ContentScanner:
    """The content scan of one distribution file, fed member by member, within the bounds
    of ``config``; what it found and where it stopped is :attr:`result`.

    It is driven as a subscriber of preupload-guard's shared pass (the plugin's visitor
    calls it on the reading thread, chunk by chunk) or from ``(member, stream)`` pairs
    (:func:`scan_contents`). For each member: :meth:`admit` (``False``: a bound was reached
    and the scan is over), :meth:`start` (the member's byte budget), :meth:`feed` for each
    chunk up to the budget (``False``: the time ran out inside the member), :meth:`end`.
    :meth:`fail` records that the archive stopped between members.
    """

    def __init__(self, config: SecretsConfig,
                 clock: Callable[[], float] | None = None) -> None:
        self.config = config
        self.clock = clock or monotonic
        self.result = ContentScan()
        self._deadline: float | None = None
        self._total = 0
        self._member: Member | None = None
        self._scan: StreamScan | None = None
        self._budget = 0
        self._pem_or_key = False

    def _time_limit(self) -> str:
        return f"the time limit ({self.config.time_limit:g} s, time-limit) was reached"

    def _total_limit(self) -> str:
        return f"max-total-size ({format_size(self.config.max_total_size)}) was reached"

    def admit(self, member: Member) -> bool:
        """Whether ``member`` is scanned; ``False`` (and :attr:`result` says why) once a
        bound is reached: no member after it is."""
        result = self.result
        if result.stop is not None:
            return False
        if self._deadline is None:  # the clock starts with the first member
            self._deadline = self.clock() + self.config.time_limit
        if self.clock() > self._deadline:
            result.stop = self._time_limit()
            return False
        if self._total >= self.config.max_total_size:
            result.stop = self._total_limit()
            return False
        return True

    def budget(self, member: Member) -> int:
        """How many of ``member``'s bytes are scanned."""
        config = self.config
        return min(member.size, config.max_member_size, config.max_total_size - self._total)

    def start(self, member: Member) -> int:
        """Begin ``member`` (admitted); returns its byte budget."""
        self.result.visited.add(member.name)
        self._member = member
        self._budget = self.budget(member)
        self._pem_or_key = is_pem_or_key(member.name)
        self._scan = StreamScan(is_allowed=self.config.allows_secret,
                                watch_pem=self._pem_or_key)
        return self._budget

    @property
    def size(self) -> int:
        """Bytes of the current member scanned so far."""
        return self._scan.size if self._scan is not None else 0

    def feed(self, chunk: bytes) -> bool:
        """Scan the member's next bytes (at most its budget in all); ``False`` when the time
        ran out before the member's end, so the rest of it is not wanted."""
        scan, member = self._scan, self._member
        assert scan is not None and member is not None
        scan.feed(chunk, last=scan.size + len(chunk) >= self._budget)
        if self.clock() > self._deadline and scan.size < member.size:  # type: ignore[operator]
            self.result.stop = self._time_limit()
            self.result.cut_short = member.name
            return False
        return True

    def end(self, member: Member, error: ArchiveError | None) -> None:
        """The member is over; ``error`` is why it could not be read to its budget."""
        scan, result = self._scan, self.result
        assert scan is not None
        self._scan = self._member = None
        if error is not None and scan.size < self._budget:  # past the budget: not read
            reason = str(error).removeprefix(f"cannot read {member.name}: ")
            result.unreadable.append(f"{member.name} ({reason})")
        scan.close()  # a no-op when the last feed closed it
        self._total += scan.size
        _report_hits(result.found, member.name, scan)  # type: ignore[arg-type]
        if (self._pem_or_key and not scan.saw_pem_block
                and PRIVATE_KEY not in scan.rules_found):
            result.found.add(SENSITIVE_FILE, f"{member.name}: {PEM_OR_KEY_REASON}",
                             SENSITIVE_HINT)
        if result.stop is None and scan.size < member.size and scan.size == self._budget:
            if self._budget == self.config.max_member_size:
                result.capped.append(f"{member.name} ({format_size(member.size)})")
            else:
                result.stop = self._total_limit()
                result.cut_short = member.name

    def fail(self, error: ArchiveError) -> None:
        """The archive could not be read past a member boundary: the scan stops there."""
        if self.result.stop is None:
            self.result.stop = f"the archive could not be read further ({error})"


def scan_contents(items: Iterable[tuple[Member, Any]], config: SecretsConfig,
                  clock: Callable[[], float] | None = None) -> ContentScan:
    """Scan every ``(member, stream)`` of ``items`` within the bounds of ``config``.

    ``items`` is the shape of :meth:`ArchiveReader.iter_streams`: the scan of a file read
    outside preupload-guard's shared pass (which feeds a :class:`ContentScanner` directly).
    """
    scanner = ContentScanner(config, clock)
    try:
        for member, stream in items:
            if not scanner.admit(member):
                break
            budget = scanner.start(member)
            error: ArchiveError | None = None
            try:
                while scanner.size < budget:
                    chunk = stream.read(min(CHUNK, budget - scanner.size))
                    if not chunk or not scanner.feed(chunk):
                        break
            except ArchiveError as exc:
                error = exc
            scanner.end(member, error)
            if scanner.result.stop is not None:
                break
    except ArchiveError as exc:
        scanner.fail(exc)
    return scanner.result


def scan_artifact(
    artifact: Artifact,
    config: SecretsConfig,
    *,
    clock: Callable[[], float] | None = None,
    content: ContentScan | None = None,
) -> list[Finding]:
    """Every finding about ``artifact``; never raises for a bad archive.

    ``clock`` (default :data:`monotonic`) measures the time limit. ``content`` is the
    content scan already made during the shared pass; without it the members are read
    here (a pass of its own, for use outside a preupload-guard run).
    """
    try:
        reader = artifact.archive()
    except ArchiveError:
        return []  # invalid-archive (a built-in rule) says why; there is nothing to scan
    members = reader.members
    top = sdist_top(members) if artifact.is_sdist else None
    out = _Findings(artifact.filename)

    def allowed(member: Member) -> bool:
        return config.allows_member(member.name, top)

    # -- names ---------------------------------------------------------------------------
    git_dirs: Counter[str] = Counter()
    for member in members:
        if allowed(member):
            continue
        repo = git_dir(member.name, is_dir=member.is_dir)
        if repo is not None:
            git_dirs[repo] += 1
            continue
        if member.is_dir:
            continue
        reason = sensitive_name(member.name)
        if reason is not None:
            out.add(SENSITIVE_FILE, f"{member.name}: {reason}", SENSITIVE_HINT)
    for repo, count in git_dirs.items():
        out.add(SENSITIVE_FILE,
                f"{repo}/: a Git repository directory ({_members(count)}): its history, "
                "configuration (remote URLs may carry credentials) and objects, including "
                "files deleted long ago", SENSITIVE_HINT)

    # -- content ---------------------------------------------------------------------------
    wanted = wanted_by(config, top)
    if content is None:
        content = scan_contents(reader.iter_streams(wanted), config, clock)
    for rule, message, hint, count in content.found.calls:
        out.add(rule, message, hint, count=count)
    capped, unreadable = content.capped, content.unreadable
    stop, cut_short = content.stop, content.cut_short

    # -- what was not scanned ----------------------------------------------------------------
    if capped:
        out.add(SCAN_INCOMPLETE,
                f"{_members(len(capped))} scanned only up to max-member-size "
                f"({format_size(config.max_member_size)}): {_list(capped)}",
                f"Raise max-member-size in {TABLE}, or allow these members if you know what "
                "they hold.")
    if unreadable:
        out.add(SCAN_INCOMPLETE,
                f"{_members(len(unreadable))} could not be read to the end: "
                f"{_list(unreadable)}",
                "The archive is damaged: rebuild it.")
    if stop is not None:
        rest = [m for m in members
                if m.is_file and m.name not in content.visited and wanted(m)]
        for member in rest:
            if is_pem_or_key(member.name):
                out.add(SENSITIVE_FILE,
                        f"{member.name}: a .pem/.key file whose content was not scanned",
                        SENSITIVE_HINT)
        parts = []
        if cut_short is not None:
            parts.append(f"{cut_short} was scanned only in part")
        if rest:
            size = sum(m.size for m in rest)
            parts.append(f"{_members(len(rest))} ({format_size(size)}) not scanned: "
                         f"{_list([m.name for m in rest])}")
        if parts:
            out.add(SCAN_INCOMPLETE,
                    f"scanning stopped because {stop}; " + "; ".join(parts),
                    f"Raise the bound in {TABLE} (max-total-size, time-limit), or allow "
                    "members you know are safe, such as large data files.")
    return out.finish()


def _report_hits(out: _Findings, name: str, scan: StreamScan) -> None:
    binary = bool(scan.binary)
    for hit in scan.hits:
        out.add(hit.rule, _hit_message(name, hit, binary),
                _hint(hit.rule, hit.secret.short_fingerprint))
    for rule, count in sorted(scan.extra.items()):
        out.add(rule, f"{name}: {count} more {_PLURAL[rule]} in this member not listed (at "
                      f"most {scan.max_hits} findings are listed per member)",
                f"{_ACTION[rule]}: it may already be public.", count=count)
