"""The checks every archive kind shares: polyglot files, the sdist layout, the
encrypted-code scan, read errors, and the helpers that word their findings.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from preupload_guard.checks.archives.token_scan import (
    PYPI_TOKEN_MESSAGE,
    find_pypi_token,
    is_scanned_member,
)
from preupload_guard.checks.archives.vocabulary import (
    INVALID,
    PYARMOR_MARKERS,
    PYARMOR_MESSAGE,
    SCAN_MAX_FILE_SIZE,
    SOURCEDEFENDER_MARKERS,
    SOURCEDEFENDER_MESSAGE,
    STEP_PKG_INFO,
    STEP_POLYGLOT,
    STEP_TOP,
)
from preupload_guard.model.findings import Finding, Severity
from preupload_guard.read.archives import (
    ArchiveError,
    ArchiveLimitExceeded,
    ArchiveReader,
    Member,
    MemberTooLarge,
)
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.members import MemberVisitor

if TYPE_CHECKING:
    pass


# -- shared helpers ----------------------------------------------------------------------
def pypi_answer(msg: str) -> str:
    return f"PyPI would answer: {INVALID} {msg}"


def server_error(what: str) -> str:
    return f"PyPI fails with HTTP 500 (an internal server error) {what}"


def examples(items: list[str] | set[str], limit: int = 3) -> str:
    shown = sorted(items)[:limit]
    text = ", ".join(shown)
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text


def _match_pyarmor(data: bytes) -> tuple[bytes, str] | None:
    if b"__pyarmor" in data:
        for marker in PYARMOR_MARKERS:
            if marker in data:
                return marker, PYARMOR_MESSAGE
    return None


def _match_sourcedefender(data: bytes) -> tuple[bytes, str] | None:
    if all(marker in data for marker in SOURCEDEFENDER_MARKERS):
        return SOURCEDEFENDER_MARKERS[0], SOURCEDEFENDER_MESSAGE
    return None


def _match_rules(name: str, data: bytes) -> list[tuple[str, str, str]]:
    """PyPI's scanner rules on one member, in its rule order: (rule id, what, message).

    Warehouse compiles ``sorted(*.yar)``: pyarmor, pypi_token, sourcedefender; for the first
    matching member it answers with that member's first matching rule.
    """
    hits: list[tuple[str, str, str]] = []
    hit = _match_pyarmor(data)
    if hit is not None:
        hits.append(("encrypted-code", f"contains {hit[0].decode()!r}", hit[1]))
    token = find_pypi_token(name, data)
    if token is not None:
        hits.append(("pypi-token", f"contains a PyPI API token ({token.redacted}, line "
                     f"{token.line})", PYPI_TOKEN_MESSAGE))
    hit = _match_sourcedefender(data)
    if hit is not None:
        hits.append(("encrypted-code", f"contains {hit[0].decode()!r}", hit[1]))
    return hits


_SCAN_HINTS = {
    "encrypted-code": (
        "PyPI's acceptable-use policy forbids encrypted or obfuscated code: publish readable "
        "source. If the file only mentions the marker (a detector, a test, a comment), build "
        "the string from parts or move it out of .py files."),
    "pypi-token": (
        "Revoke this token now in your account settings on the index (it is exposed wherever "
        "this file went: the build directory, version control, CI logs), remove it from the "
        "source, and give the new one to twine through TWINE_PASSWORD, a keyring or trusted "
        "publishing. A test fixture that needs a token-like string must build it from parts."),
}


def license_files(artifact: Artifact) -> list[str]:
    """License-File values twine sends: none below Metadata-Version 2.4 (it drops them)."""
    raw = artifact.raw_metadata
    if not raw:
        return []
    values = raw.get("license_files") or []
    try:
        if Version(str(raw.get("metadata_version") or "0")) < Version("2.4"):
            return []
    except InvalidVersion:
        return []
    return [str(v) for v in values]


class ScanVisitor(MemberVisitor):
    """PyPI's scanner rules over the shared member pass (Z8/T6).

    The rules look at each ``.py``/``.pye`` member of at most 5 MiB whole, so one member at
    a time is buffered and judged when it ends; only the matches are kept, in archive
    order, with the read error (or the member that inflated past its size) where PyPI's
    own reading would stop. :meth:`Checks.scan` reports from them in PyPI's order.
    """

    limit = SCAN_MAX_FILE_SIZE + 1
    portable = True

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._items: list[tuple[Member, list[tuple[str, str, str]]] | ArchiveError] = []

    def wants(self, member: Member) -> bool:
        return member.is_file and is_scanned_member(member.name, member.size)

    def start(self, member: Member) -> None:
        self._parts = []

    def feed(self, data: bytes) -> bool | None:
        self._parts.append(data)
        return None

    def end(self, member: Member, error: ArchiveError | None) -> None:
        data, self._parts = b"".join(self._parts), []
        if error is not None:
            self._items.append(error)
        elif len(data) > SCAN_MAX_FILE_SIZE:
            self._items.append(MemberTooLarge(
                f"{member.name} is larger than {SCAN_MAX_FILE_SIZE} bytes", member=member.name))
        else:
            matches = _match_rules(member.name, data)
            if matches:
                self._items.append((member, matches))

    def results(self) -> Iterator[tuple[Member, list[tuple[str, str, str]]]]:
        """The members that matched, in archive order; raises where the reading stopped."""
        for item in self._items:
            if isinstance(item, ArchiveError):
                raise item
            yield item


class Checks:
    """The checks of one file; subclasses follow PyPI's zip and tar branches."""

    def __init__(self, artifact: Artifact, *, scan: bool = True) -> None:
        self.artifact = artifact
        self.fn = artifact.filename
        # False when every scanner rule is ignored: then no member is read for them.
        self.scanning = scan
        self.top: str | None = None  # the sdist's common path, once layout() found one

    def finding(self, rule: str, message: str, hint: str | None, *, step: float | None = None,
                severity: Severity | None = None) -> Finding:
        return Finding(rule, message, self.fn, hint=hint, severity=severity, step=step)

    def limit_warning(self, exc: ArchiveError, *, sdist_bomb: bool = False) -> Finding:
        if sdist_bomb:
            why = (" PyPI does not check sdists for decompression bombs (it inflates the "
                   "whole stream), so it would most likely accept the file, but")
        else:
            why = " PyPI does not refuse a file for that, but"
        return self.finding(
            "invalid-archive",
            f"{self.fn} could not be inspected fully: {exc}.{why} the archive rules after "
            "this point were not checked.",
            "If the archive is legitimate, inspect it by other means (python -m zipfile -l, "
            "tar -tzf); if it inflates absurdly, find out which member does and remove it.",
            severity=Severity.WARNING,
        )

    def polyglot(self, is_zip: bool, is_tar: bool) -> Iterator[Finding]:
        if is_zip and is_tar:
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is both a zip archive and a tar archive (a polyglot file); "
                + pypi_answer("File is both a zip and a tar file"),
                "Rebuild the file with your build backend. A polyglot usually means another "
                "archive was appended to or embedded at the edge of this one.",
                step=STEP_POLYGLOT,
            )

    def layout(self, reader: ArchiveReader, kind: str) -> Iterator[Finding]:
        """Z4/Z5 and T4/T5: one common top directory holding PKG-INFO, exactly spelled."""
        self.top = None
        names = reader.names()
        try:
            top = reader.common_path() if names else ""  # PyPI's os.path.commonpath
        except ValueError:
            absolute = [n for n in names if n.startswith("/")]
            relative = [n for n in names if not n.startswith("/")]
            yield self.finding(
                "sdist-layout",
                f"{self.fn} mixes absolute member names ({examples(absolute, 2)}) with "
                f"relative ones ({examples(relative, 2)}); "
                + server_error("on it (os.path.commonpath refuses to mix them)."),
                "Rebuild the sdist so that every member is 'name-version/...', relative.",
                step=STEP_TOP,
            )
            return
        if top in ("", ".", "/"):
            tops = sorted({n.lstrip("/").split("/", 1)[0] for n in names} - {"", "."})
            detail = ("it is empty" if not names
                      else f"its members start with {examples(tops)}")
            yield self.finding(
                "sdist-layout",
                f"{self.fn} does not have a single top-level directory ({detail}); "
                + pypi_answer("Incorrect number of top-level directories in sdist"),
                "Put every file of the sdist under one directory named 'name-version/' "
                "(python -m build --sdist does); remove stray members such as '../x' or "
                "files at the root.",
                step=STEP_TOP,
            )
            return
        self.top = top
        target = posixpath.join(top, "PKG-INFO")
        name_set = set(names)
        if target in name_set:
            return
        if ("./" + target) in name_set or any(n.startswith("./") for n in names):
            hint = (f"The members are stored with a './' prefix ('./{target}'): PyPI takes "
                    "the common path without './' but looks the member up with it. Create "
                    "the archive from the parent directory, naming the top directory itself "
                    f"(tar -czf {self.fn} {top.split('/')[0]}), or use python -m build --sdist.")
        elif top in name_set:
            hint = (f"The sdist holds only {top!r}, so its common path is that file itself. "
                    "Include the project's files (pyproject.toml, sources) beside PKG-INFO.")
        else:
            found = [n for n in names if posixpath.basename(n) == "PKG-INFO"]
            hint = ("Add PKG-INFO (the core metadata) at the top directory; "
                    + (f"this sdist has it at {examples(found, 2)}. " if found else "")
                    + "python -m build --sdist writes it.")
        yield self.finding(
            "sdist-layout",
            f"{self.fn} has no member named exactly {target!r}; "
            + pypi_answer(f"PKG-INFO not found at {target}"),
            hint,
            step=STEP_PKG_INFO,
        )

    def scan(self, reader: ArchiveReader, step: float) -> Iterator[Finding]:
        """Z8/T6: PyPI's scanner rules (encrypted code, API tokens), member by member.

        PyPI answers with the first matching member's first rule; the first match of the
        other rule, if any, is reported too, just after that step, so it shows as hidden
        behind the first (it is what PyPI says once the first is fixed).
        """
        if not self.scanning:
            return
        if not any(m.is_file and is_scanned_member(m.name) for m in reader.members):
            return
        seen: set[str] = set()
        visitor = self.artifact.subscribed(ScanVisitor)
        hits = (visitor.results() if visitor is not None else
                ((m, _match_rules(m.name, d)) for m, d in reader.iter_contents(
                    lambda m: is_scanned_member(m.name), SCAN_MAX_FILE_SIZE)))
        try:
            for member, matches in hits:
                for rule, what, message in matches:
                    if rule in seen:
                        continue
                    yield self.finding(
                        rule,
                        f"{self.fn}: {member.name} {what}; " + pypi_answer(message),
                        _SCAN_HINTS[rule],
                        step=step if not seen else step + 0.01,
                    )
                    seen.add(rule)
                if len(seen) == len(_SCAN_HINTS):
                    return
        except ArchiveLimitExceeded as exc:
            yield self.limit_warning(exc)
        except ArchiveError as exc:
            yield self.read_error(exc, step, "while scanning .py files")

    def read_error(self, exc: ArchiveError, step: float, when: str) -> Finding:
        """A member PyPI reads fails: 400 ``None`` for BadZipFile, else HTTP 500."""
        where = f" ({exc.member})" if exc.member else ""
        if exc.pypi_status == 500:
            answer = server_error(f"{when}{where}.")
        else:
            answer = pypi_answer("None")
        return self.finding(
            "invalid-archive",
            f"{self.fn} cannot be read {when}{where}: {exc}; {answer}",
            "Rebuild the archive; a bad CRC or an encrypted member means the file was "
            "corrupted or written by an unusual tool.",
            step=step,
        )
