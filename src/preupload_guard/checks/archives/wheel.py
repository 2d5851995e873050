"""What PyPI checks inside a wheel's .dist-info: license files, RECORD, entry points and
the METADATA file, plus :func:`entry_points_problem`, public for plugins.
"""

from __future__ import annotations

import configparser
import csv
import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from preupload_guard.checks.archives.base import examples, license_files, server_error
from preupload_guard.checks.archives.vocabulary import (
    ENTRY_POINT_NAME,
    RECORD_LIMIT,
    SCRIPT_SECTIONS,
    STEP_ENTRY_POINTS,
    STEP_METADATA,
    STEP_RECORD,
    STEP_WHEEL_LICENSE,
)
from preupload_guard.model.findings import Finding, Severity
from preupload_guard.read.archives import (
    ArchiveError,
    ArchiveReader,
    MemberTooLarge,
)

if TYPE_CHECKING:
    from preupload_guard.checks.archives.zip import ZipChecks


class WheelChecks:
    """Step 28 (reference §2.12): License-File, RECORD, entry points, METADATA."""

    def __init__(self, parent: ZipChecks, reader: ArchiveReader, dist_info: str) -> None:
        self.parent = parent
        self.reader = reader
        self.dist_info = dist_info
        self.fn = parent.fn

    def run(self) -> Iterator[Finding]:
        reader = self.reader
        record = f"{self.dist_info}/RECORD"
        entry_points = f"{self.dist_info}/entry_points.txt"
        metadata = f"{self.dist_info}/METADATA"
        yield from self.licenses()
        wanted = [n for n in (record, entry_points, metadata)
                  if (m := reader.member(n)) is not None and m.is_file and not m.encrypted]
        contents = reader.read_members(wanted, RECORD_LIMIT)
        yield from self.record(record, contents.get(record))
        yield from self.entry_points(entry_points, contents.get(entry_points))
        yield from self.metadata(metadata, contents.get(metadata))

    def _finding(self, rule: str, message: str, hint: str, step: float,
                 severity: Severity | None = None) -> Finding:
        return self.parent.finding(rule, message, hint, step=step, severity=severity)

    def _unreadable(self, name: str, value: ArchiveError | None, step: float) -> Finding | None:
        """Encrypted or corrupt dist-info files: PyPI's read raises outside its handlers."""
        member = self.reader.member(name)
        if member is not None and member.encrypted:
            return self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} is encrypted (zip flag bit 0); "
                + server_error(f"reading {posixpath.basename(name)} (zipfile wants a "
                                "password)."),
                "Rebuild the wheel without encryption.", step)
        if isinstance(value, MemberTooLarge):
            return self.parent.limit_warning(value)
        if isinstance(value, ArchiveError):
            return self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} cannot be read ({value}); "
                + server_error(f"reading {posixpath.basename(name)}."),
                "Rebuild the wheel: the member is corrupt (bad CRC or compressed data).", step)
        return None

    def licenses(self) -> Iterator[Finding]:
        names = set(self.reader.names())
        for value in license_files(self.parent.artifact):
            path = f"{self.dist_info}/licenses/{value}"
            if path in names:
                continue
            at_root = f"{self.dist_info}/{value}" in names
            yield self._finding(
                "missing-license-file",
                f"{self.fn}: License-File {value} is in the metadata but {path!r} is not in "
                f"the wheel; PyPI would answer: 400 License-File {value} does not exist in "
                f"distribution file {self.fn} at {path}",
                ("The file is at the dist-info root, which PyPI does not accept: license "
                 "files belong in .dist-info/licenses/ (PEP 639). " if at_root else "")
                + "List the files in [project] license-files and rebuild with a backend that "
                "supports PEP 639, so that License-File and the copies agree.",
                STEP_WHEEL_LICENSE,
            )

    def record(self, name: str, value: bytes | ArchiveError | None) -> Iterator[Finding]:
        answer = (f"PyPI would answer: 400 Wheel '{self.fn}' does not contain the required "
                  f"RECORD file: {name}")
        problem = self._unreadable(name, value if isinstance(value, ArchiveError) else None,
                                   STEP_RECORD)
        if problem is not None:
            yield problem
            return
        member = self.reader.member(name)
        if member is None or not member.is_file or value is None:
            yield self._finding(
                "wheel-missing-file", f"{self.fn} has no {name!r}; {answer}",
                "Rebuild the wheel with your build backend; the dist-info directory must be "
                "spelled like the filename's name and version.", STEP_RECORD)
            return
        assert isinstance(value, bytes)
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} is not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                + answer,
                "Regenerate RECORD (python -m wheel unpack / pack); paths must be UTF-8.",
                STEP_RECORD)
            return
        try:
            rows = list(csv.reader(text.splitlines()))
        except csv.Error as exc:
            yield self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} is not valid CSV ({exc}); " + answer,
                "Regenerate RECORD (python -m wheel unpack / pack).", STEP_RECORD)
            return
        blank = [i + 1 for i, row in enumerate(rows) if not row]
        if blank:
            yield self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} has a blank line (line {blank[0]}); "
                + server_error("on it instead of answering."),
                "Remove the blank lines from RECORD, or regenerate it (python -m wheel unpack "
                "/ pack).", STEP_RECORD)
            return
        listed = {row[0].replace("\\", "/") for row in rows}
        skip = {f"{self.dist_info}/RECORD.jws", f"{self.dist_info}/RECORD.p7s"}
        actual = {n for n in self.reader.names() if not n.endswith(("/", "\\"))} - skip
        if listed == actual:
            return
        missing = actual - listed
        extra = listed - actual
        parts = []
        if missing:
            parts.append(f"not listed in RECORD: {examples(missing)}")
        if extra:
            parts.append(f"listed but not in the wheel: {examples(extra)}")
        hint = "Regenerate RECORD (rebuild, or python -m wheel unpack then pack)."
        if name in missing:
            hint = ("RECORD must list itself (as 'RECORD,,' with no hash and size). " + hint)
        yield self._finding(
            "record-mismatch",
            f"{self.fn}: RECORD does not match the files in the wheel ({'; '.join(parts)}); "
            "PyPI accepts the upload but emails every owner and maintainer of the project "
            "about it.",
            hint, STEP_RECORD)

    def entry_points(self, name: str, value: bytes | ArchiveError | None) -> Iterator[Finding]:
        if self.reader.member(name) is None:
            return
        answer = (f"PyPI would answer: 400 Wheel '{self.fn}' has invalid entry points defined "
                  "in the entry_points.txt file")
        if isinstance(value, MemberTooLarge):
            yield self.parent.limit_warning(value)
            return
        if value is None or isinstance(value, ArchiveError):
            why = "it is encrypted" if value is None else f"it cannot be read ({value})"
            yield self._finding(
                "invalid-entry-points", f"{self.fn}: {name}: {why}; " + answer,
                "Rebuild the wheel.", STEP_ENTRY_POINTS)
            return
        problem = entry_points_problem(value)
        if problem is not None:
            yield self._finding(
                "invalid-entry-points", f"{self.fn}: {name}: {problem}; " + answer,
                "Fix the entry points in pyproject.toml ([project.scripts], "
                "[project.gui-scripts], [project.entry-points]) and rebuild; script names "
                "may use only letters, digits, '_', '.' and '-'.", STEP_ENTRY_POINTS)

    def metadata(self, name: str, value: bytes | ArchiveError | None) -> Iterator[Finding]:
        problem = self._unreadable(name, value if isinstance(value, ArchiveError) else None,
                                   STEP_METADATA)
        if problem is not None:
            yield problem
            return
        member = self.reader.member(name)
        if member is None or not member.is_file:
            present = [n for n in self.reader.names()
                       if n.endswith(".dist-info/METADATA") and n.count("/") == 1]
            yield self._finding(
                "wheel-missing-file",
                f"{self.fn} has no {name!r}; PyPI would answer: 400 Wheel '{self.fn}' does not "
                f"contain the required METADATA file: {name}",
                (f"The wheel has {examples(present, 2)}: the dist-info directory must be "
                 "spelled like the filename's name and version. " if present else "")
                + "Rebuild the wheel with your build backend.", STEP_METADATA)


def entry_points_problem(data: bytes) -> str | None:
    """Why PyPI would refuse this entry_points.txt, or ``None`` when it is accepted."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"it is not valid UTF-8 ({exc.reason} at byte {exc.start})"
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"it does not parse ({first})"
    for section in SCRIPT_SECTIONS:
        if not parser.has_section(section):
            continue
        for key in parser[section]:  # includes names inherited from [DEFAULT]
            if not ENTRY_POINT_NAME.fullmatch(key):
                origin = (f"[DEFAULT] (inherited by [{section}])"
                          if key in parser.defaults() else f"[{section}]")
                return (f"the script name {key!r} in {origin} has characters other than "
                        "letters, digits, '_', '.' and '-'")
    return None
