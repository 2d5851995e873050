"""Archive rules: what PyPI's ``_is_valid_dist_file`` and its wheel checks refuse.

PyPI opens every distribution at step 26 (reference §2.10): the archive type comes from
the filename's case-sensitive suffix (``.whl``/``.zip`` as zip, ``.tar.gz`` as tar), and
the checks run in a fixed order, the first failure answering ``400 Invalid distribution
file. {msg}``. Zips: polyglot (Z0), not a zip (Z1), compression bomb (Z2), compression
method (Z3), sdist layout (Z4, Z5), the WHEEL file (Z7), the encrypted-code scan (Z8),
record framing (Z9), and any ``BadZipFile`` on the way (Z10). Tars: not a tar (T1), not a
readable gzip tar (T2), sparse members (T3), layout (T4, T5), the scan (T6). Then sdists'
License-File members (step 27) and, for wheels, License-File, RECORD, entry points and
METADATA under the dist-info directory spelled like the raw filename (step 28).

Every finding names the step where PyPI meets it, so the runner can mark what an earlier
refusal hides; we still report everything, since fixing one problem at a time by upload
is slow. A byte-identical re-upload stops at step 22 (200, nothing stored): none of these
rules apply to it. Nothing here decompresses more than a small cap per member, and the
zip framing is judged from headers alone (:mod:`..zipwalk`).
"""

from __future__ import annotations

import configparser
import csv
import posixpath
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from preupload_guard.checks.reuse import is_identical_upload
from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.model.settings import MiB, format_size
from preupload_guard.read import zipwalk
from preupload_guard.read.archives import (
    MAX_MEMBERS,
    ArchiveError,
    ArchiveLimitExceeded,
    ArchiveReader,
    MemberTooLarge,
    archive_kind,
    is_zip_file,
    probe_tar,
)
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

FAMILY = "archives"
#: PyPI's answers link to these pages; named here without host names (the index may not
#: be PyPI, and the project writes no index host into code or docs).
DOCS_ARCHIVES = "the archives page of PyPI's documentation"
ACCEPTABLE_USE = "PyPI's acceptable use policy"
INVALID = "400 Invalid distribution file."

#: Z2: PyPI's COMPRESSION_RATIO_MIN_SIZE and COMPRESSION_RATIO_THRESHOLD (reference §3.3).
RATIO_MIN_SIZE = 64 * MiB
RATIO_THRESHOLD = 50
#: The YARA scan reads .py/.pye members up to this size (reference §5).
SCAN_MAX_FILE_SIZE = 5 * MiB
SCAN_SUFFIXES = frozenset({".py", ".pye"})
#: Small dist-info files are read up to this size; RECORD may be large in big wheels.
SMALL_FILE_LIMIT = 16 * MiB
RECORD_LIMIT = 64 * MiB

PYARMOR_MARKERS = (
    b"__pyarmor__(__name__, __file__,",
    b"__pyarmor_enter__",
    b"__pyarmor_exit__",
    b"__pyarmor_assert__",
    b"__pyarmor_bcc__",
)
SOURCEDEFENDER_MARKERS = (b"---BEGIN PYE FILE---", b"---END PYE FILE---")
PYARMOR_MESSAGE = (
    f"PyArmor-encrypted content is not allowed. See {ACCEPTABLE_USE} for more information."
)
SOURCEDEFENDER_MESSAGE = (
    f"SourceDefender-encrypted content is not allowed. See {ACCEPTABLE_USE} for more "
    "information."
)
_ENTRY_POINT_NAME = re.compile(r"[\w.-]+")
_SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")
_METHODS = {0: "stored", 1: "shrunk", 6: "imploded", 8: "deflate", 9: "deflate64",
            12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 97: "wavpack", 98: "ppmd",
            99: "AES-encrypted"}

# Steps in PyPI's order (reference §1): 26.x are _is_valid_dist_file's sub-steps. Z10 has
# no place of its own: it is wherever zipfile raises (opening: right after Z1).
STEP_POLYGLOT = 26.0
STEP_NOT_ARCHIVE = 26.1
STEP_OPEN = 26.15
STEP_RATIO = 26.2
STEP_METHOD = 26.3
STEP_TOP = 26.4
STEP_PKG_INFO = 26.5
STEP_WHEEL = 26.7
STEP_ZIP_SCAN = 26.8
STEP_FRAMING = 26.9
STEP_TAR_READ = 26.2
STEP_SPARSE = 26.3
STEP_TAR_SCAN = 26.6
STEP_SDIST_LICENSE = 27.4
STEP_WHEEL_LICENSE = 28.6
STEP_RECORD = 28.7
STEP_ENTRY_POINTS = 28.8
STEP_METADATA = 28.9

RULES = [
    Rule(
        id="invalid-archive",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The file is not a readable zip (.whl/.zip) or gzip-compressed tar (.tar.gz)",
        explanation=(
            "PyPI opens every file as the archive its name says: .whl and .zip with Python's "
            "zipfile, .tar.gz with tarfile in 'r:gz' mode. It refuses a file that is both a "
            "zip and a tar (a polyglot), a .whl/.zip with no end-of-central-directory record "
            "(400 Invalid distribution file. File is not a zipfile), a .tar.gz that is not a "
            "tar with any compression (... File is not a tarfile), and answers '400 Invalid "
            "distribution file. None' when the archive breaks while it reads it: a truncated "
            "file, an uncompressed, bz2 or xz tar named .tar.gz, a corrupt central directory, "
            "a bad CRC in a scanned .py file. When preupload-guard itself stops reading a "
            "hostile-looking archive (too many members, a decompression bomb in a .tar.gz), "
            "this rule reports a warning: the file could not be inspected fully."
        ),
        fix=(
            "Rebuild the distribution with your build backend (python -m build) and upload "
            "the files it wrote, unmodified. Check that the copy is complete (compare sizes); "
            "an sdist must be a gzip-compressed tar, whatever tool wrote it."
        ),
        step=STEP_NOT_ARCHIVE,
    ),
    Rule(
        id="compression-bomb",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The zip declares more than 64 MiB uncompressed at a ratio over 50",
        explanation=(
            "PyPI adds up the uncompressed sizes declared in a .whl/.zip central directory. "
            "When the total is over 64 MiB and over 50 times the file's size (both strictly) "
            "it answers: 400 Invalid distribution file. File exceeds compression ratio of "
            "50. Nothing is decompressed to decide: the declared sizes count."
        ),
        fix=(
            "Find the members that compress absurdly well (zero-filled test data, padded "
            "binaries, huge generated text) and leave them out of the distribution, generate "
            "them at run time, or ship them compressed."
        ),
        step=STEP_RATIO,
    ),
    Rule(
        id="compression-method",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A zip member uses a compression other than stored or deflate",
        explanation=(
            "PyPI accepts .whl/.zip members that are stored (method 0) or deflated (method "
            "8) only; bzip2, lzma, zstandard, deflate64 and others are refused with: 400 "
            "Invalid distribution file. File does not use a supported compression type. "
            "Installers cannot be relied on to read them either."
        ),
        fix=(
            "Rebuild with your build backend, or repack the archive with Python's zipfile "
            "using ZIP_DEFLATED (for a wheel: python -m wheel unpack, then python -m wheel "
            "pack)."
        ),
        step=STEP_METHOD,
    ),
    Rule(
        id="zip-framing",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The zip's local headers and central directory disagree (or extra bytes)",
        explanation=(
            "PyPI walks every zip record from byte 0 and refuses any difference between what "
            "a streaming reader (local headers) and zipfile (central directory) would see: "
            "prepended or trailing bytes, data descriptors from streaming writers, per-file "
            "comments (an archive comment is fine), control characters or undecodable names "
            "(a non-ASCII name without the UTF-8 flag), duplicate names, sizes that differ, "
            "duplicate ZIP64 or Unicode-path extras, ZIP64 oddities and end records that "
            f"disagree with the walk. It answers: 400 Invalid distribution file. ZIP archive "
            f"not accepted: REASON. See {DOCS_ARCHIVES} for more information"
        ),
        fix=(
            "Rebuild the archive with your build backend, or rewrite it with Python's "
            "zipfile to a regular file (for a wheel: python -m wheel unpack, then python -m "
            "wheel pack). Do not append to, sign into, or prepend to the file afterwards."
        ),
        step=STEP_FRAMING,
    ),
    Rule(
        id="sdist-layout",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The sdist has no single top-level directory with PKG-INFO in it",
        explanation=(
            "PyPI takes the common path of every member name of an sdist (.tar.gz or .zip); "
            "it must be one directory, and '{that directory}/PKG-INFO' must be a member, "
            "spelled exactly. It answers: 400 Invalid distribution file. Incorrect number of "
            "top-level directories in sdist, or: ... PKG-INFO not found at PATH. Members "
            "spelled './name-1.0/...' fail (the common path drops './', the member names "
            "keep it), and so does an sdist holding only 'name-1.0/PKG-INFO' (its common "
            "path is the file itself). Mixing absolute and relative member names makes PyPI "
            "fail with HTTP 500."
        ),
        fix=(
            "Build the sdist with python -m build --sdist. If you create the tar yourself, "
            "add the files as 'name-version/...' with no './' prefix and no absolute paths, "
            "and include PKG-INFO at 'name-version/PKG-INFO'."
        ),
        step=STEP_TOP,
    ),
    Rule(
        id="sparse-tar-member",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The .tar.gz holds a sparse member (GNU sparse or PAX GNU.sparse)",
        explanation=(
            "Since August 2026 PyPI refuses tar archives with sparse members (GNU type 'S' or "
            "PAX GNU.sparse.* headers of any version), whose contents extractors disagree on: "
            "400 Invalid distribution file. tar archive not accepted: Sparse members are not "
            f"allowed. See {DOCS_ARCHIVES} for more information"
        ),
        fix=(
            "Build the sdist with python -m build --sdist (Python's tarfile never writes "
            "sparse members), or create it with GNU tar without --sparse/-S."
        ),
        since="2026-08-17",
        step=STEP_SPARSE,
    ),
    Rule(
        id="wheel-missing-file",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The wheel lacks WHEEL, RECORD or METADATA under the dist-info PyPI expects",
        explanation=(
            "PyPI looks for '{name}-{version}.dist-info/' spelled exactly like the first two "
            "hyphen-separated parts of the filename (same case, same separators). It refuses "
            "a wheel without WHEEL there (400 Invalid distribution file. WHEEL not found at "
            "PATH), without a RECORD that is UTF-8 and CSV (400 Wheel 'FILE' does not contain "
            "the required RECORD file: PATH) or without METADATA (400 Wheel 'FILE' does not "
            "contain the required METADATA file: PATH). A blank line inside RECORD, or an "
            "encrypted WHEEL, METADATA or RECORD, makes PyPI fail with HTTP 500."
        ),
        fix=(
            "Rebuild the wheel with your build backend. If you renamed the file, rename it "
            "back: the dist-info directory inside must match the filename's name and version "
            "exactly. Regenerate RECORD with python -m wheel unpack / python -m wheel pack."
        ),
        step=STEP_WHEEL,
    ),
    Rule(
        id="invalid-entry-points",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The wheel's entry_points.txt does not parse the way PyPI parses it",
        explanation=(
            "PyPI reads '{dist-info}/entry_points.txt' as strict UTF-8 with a strict, "
            "case-sensitive configparser where only '=' separates a name from its value: no "
            "line outside a section, no 'name: value' line, no duplicate section or name. "
            "Script names in [console_scripts] and [gui_scripts] (including names inherited "
            "from [DEFAULT]) must consist of letters, digits, '_', '.' and '-'. It answers: "
            "400 Wheel 'FILE' has invalid entry points defined in the entry_points.txt file"
        ),
        fix=(
            "Fix the entry points in pyproject.toml ([project.scripts], "
            "[project.gui-scripts], [project.entry-points]) and rebuild: script names may "
            "use only letters, digits, '_', '.' and '-'."
        ),
        step=STEP_ENTRY_POINTS,
    ),
    Rule(
        id="missing-license-file",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A License-File named in the metadata is not in the archive where PyPI looks",
        explanation=(
            "For every License-File in the metadata twine sends (only from Metadata-Version "
            "2.4 on), PyPI requires a member '{top directory}/FILE' in an sdist and "
            "'{dist-info}/licenses/FILE' in a wheel (a copy at the dist-info root does not "
            "count). It answers: 400 License-File FILE does not exist in distribution file "
            "NAME at PATH"
        ),
        fix=(
            "Let the build backend copy the files: list them in [project] license-files "
            "(PEP 639) and rebuild with a backend that supports it (setuptools >= 77, "
            "hatchling, flit-core, ...). Do not edit License-File by hand."
        ),
        step=STEP_SDIST_LICENSE,
    ),
    Rule(
        id="record-mismatch",
        family=FAMILY,
        severity=Severity.WARNING,
        summary="The wheel's RECORD does not list exactly the files in the wheel",
        explanation=(
            "PyPI compares the paths in RECORD (first column) with the wheel's file names "
            "(directories, RECORD.jws and RECORD.p7s left out); RECORD must list itself. A "
            "difference is accepted, but PyPI emails every owner and maintainer of the "
            "project about it on each such upload, and installers may refuse the wheel."
        ),
        fix=(
            "Regenerate RECORD: rebuild the wheel, or run python -m wheel unpack then python "
            "-m wheel pack after editing it."
        ),
        step=STEP_RECORD,
    ),
    Rule(
        id="encrypted-code",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A .py/.pye member carries PyArmor or SourceDefender encryption markers",
        explanation=(
            "PyPI scans every .py and .pye member (any case, up to 5 MiB each) of every "
            "archive for PyArmor runtime markers (__pyarmor_enter__, __pyarmor_exit__, "
            "__pyarmor_assert__, __pyarmor_bcc__, '__pyarmor__(__name__, __file__,') and for "
            "SourceDefender's '---BEGIN PYE FILE---' with '---END PYE FILE---'. A match "
            "anywhere in one member, even in a comment, is refused: 400 Invalid distribution "
            f"file. PyArmor-encrypted content is not allowed. See {ACCEPTABLE_USE} for more "
            "information. (or the SourceDefender equivalent). Other files are not scanned."
        ),
        fix=(
            "Publish readable source: PyPI's acceptable-use policy forbids encrypted or "
            "obfuscated code. If the file only mentions a marker (a detector, a test), build "
            "the string from parts (\"__pyarmor\" + \"_enter__\") or move it to a non-.py file."
        ),
        step=STEP_ZIP_SCAN,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    kind = archive_kind(artifact.filename)  # case-sensitive, as PyPI decides
    if kind is None:
        return  # no archive check applies (the extension rules say why)
    if is_identical_upload(context.project(artifact.project), artifact):
        return  # PyPI answers 200 at step 22 and never opens the archive
    checker = _ZipChecks(artifact) if kind == "zip" else _TarChecks(artifact)
    yield from checker.run()


# -- shared helpers ----------------------------------------------------------------------
def _answer(msg: str) -> str:
    return f"PyPI would answer: {INVALID} {msg}"


def _server_error(what: str) -> str:
    return f"PyPI fails with HTTP 500 (an internal server error) {what}"


def _examples(items: list[str] | set[str], limit: int = 3) -> str:
    shown = sorted(items)[:limit]
    text = ", ".join(shown)
    if len(items) > limit:
        text += f" and {len(items) - limit} more"
    return text


def _is_scanned(member_name: str) -> bool:
    """The YARA scan's choice: the last suffix is .py or .pye, in any case."""
    return PurePosixPath(member_name).suffix.lower() in SCAN_SUFFIXES


def _match_markers(data: bytes) -> tuple[bytes, str] | None:
    """PyPI's two rules on one member: (the marker that matched, PyPI's message)."""
    if b"__pyarmor" in data:
        for marker in PYARMOR_MARKERS:
            if marker in data:
                return marker, PYARMOR_MESSAGE
    if all(marker in data for marker in SOURCEDEFENDER_MARKERS):
        return SOURCEDEFENDER_MARKERS[0], SOURCEDEFENDER_MESSAGE
    return None


def _license_files(artifact: Artifact) -> list[str]:
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


class _Checks:
    """The checks of one file; subclasses follow PyPI's zip and tar branches."""

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact
        self.fn = artifact.filename
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
                + _answer("File is both a zip and a tar file"),
                "Rebuild the file with your build backend. A polyglot usually means another "
                "archive was appended to or embedded at the edge of this one.",
                step=STEP_POLYGLOT,
            )

    def layout(self, names: list[str], kind: str) -> Iterator[Finding]:
        """Z4/Z5 and T4/T5: one common top directory holding PKG-INFO, exactly spelled."""
        self.top = None
        try:
            top = posixpath.commonpath(names) if names else ""
        except ValueError:
            absolute = [n for n in names if n.startswith("/")]
            relative = [n for n in names if not n.startswith("/")]
            yield self.finding(
                "sdist-layout",
                f"{self.fn} mixes absolute member names ({_examples(absolute, 2)}) with "
                f"relative ones ({_examples(relative, 2)}); "
                + _server_error("on it (os.path.commonpath refuses to mix them)."),
                "Rebuild the sdist so that every member is 'name-version/...', relative.",
                step=STEP_TOP,
            )
            return
        if top in ("", ".", "/"):
            tops = sorted({n.lstrip("/").split("/", 1)[0] for n in names} - {"", "."})
            detail = ("it is empty" if not names
                      else f"its members start with {_examples(tops)}")
            yield self.finding(
                "sdist-layout",
                f"{self.fn} does not have a single top-level directory ({detail}); "
                + _answer("Incorrect number of top-level directories in sdist"),
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
                    + (f"this sdist has it at {_examples(found, 2)}. " if found else "")
                    + "python -m build --sdist writes it.")
        yield self.finding(
            "sdist-layout",
            f"{self.fn} has no member named exactly {target!r}; "
            + _answer(f"PKG-INFO not found at {target}"),
            hint,
            step=STEP_PKG_INFO,
        )

    def scan(self, reader: ArchiveReader, step: float) -> Iterator[Finding]:
        """Z8/T6: the encrypted-code markers, member by member, as PyPI's YARA rules."""
        if not any(m.is_file and _is_scanned(m.name) for m in reader.members):
            return
        try:
            for member, data in reader.iter_contents(
                    lambda m: _is_scanned(m.name), SCAN_MAX_FILE_SIZE):
                hit = _match_markers(data)
                if hit is None:
                    continue
                marker, message = hit
                yield self.finding(
                    "encrypted-code",
                    f"{self.fn}: {member.name} contains {marker.decode()!r}; "
                    + _answer(message),
                    "PyPI's acceptable-use policy forbids encrypted or obfuscated code: "
                    "publish readable source. If the file only mentions the marker (a "
                    "detector, a test, a comment), build the string from parts or move it "
                    "out of .py files.",
                    step=step,
                )
                return  # PyPI answers with the first matching member
        except ArchiveLimitExceeded as exc:
            yield self.limit_warning(exc)
        except ArchiveError as exc:
            yield self.read_error(exc, step, "while scanning .py files")

    def read_error(self, exc: ArchiveError, step: float, when: str) -> Finding:
        """A member PyPI reads fails: 400 ``None`` for BadZipFile, else HTTP 500."""
        where = f" ({exc.member})" if exc.member else ""
        if exc.pypi_status == 500:
            answer = _server_error(f"{when}{where}.")
        else:
            answer = _answer("None")
        return self.finding(
            "invalid-archive",
            f"{self.fn} cannot be read {when}{where}: {exc}; {answer}",
            "Rebuild the archive; a bad CRC or an encrypted member means the file was "
            "corrupted or written by an unusual tool.",
            step=step,
        )


# -- zip (.whl, .zip) --------------------------------------------------------------------
class _ZipChecks(_Checks):
    def run(self) -> Iterator[Finding]:
        artifact = self.artifact
        path = artifact.path
        try:
            is_zip = is_zip_file(path)
        except ArchiveError as exc:  # zipfile raises instead of answering
            yield self.finding(
                "invalid-archive",
                f"{self.fn}: {exc}; " + _answer("None"),
                "Rebuild the archive as a single-disk zip with your build backend.",
                step=STEP_NOT_ARCHIVE,
            )
            return
        yield from self.polyglot(is_zip, probe_tar(path).is_tar)
        if not is_zip:
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is not a zip archive (no end-of-central-directory record: the "
                "file is truncated or is not a zip); " + _answer("File is not a zipfile"),
                "Rebuild it with your build backend and upload the file it wrote; compare "
                "the size with the original if it was copied or downloaded.",
                step=STEP_NOT_ARCHIVE,
            )
            return
        try:
            reader = artifact.archive()
        except ArchiveLimitExceeded as exc:
            yield self.limit_warning(exc)
            return
        except ArchiveError as exc:
            status = getattr(exc, "pypi_status", 400)
            yield self.finding(
                "invalid-archive",
                f"{self.fn} cannot be opened as a zip archive: {exc}; "
                + (_server_error("opening it.") if status == 500 else _answer("None")),
                "Rebuild the archive with your build backend; the central directory is "
                "corrupt or uses features Python's zipfile does not support.",
                step=STEP_OPEN,
            )
            return
        yield from self.ratio(reader)
        yield from self.methods(reader)
        dist_info = None
        if self.fn.endswith(".zip"):
            yield from self.zip_sdist(reader)
        elif self.fn.endswith(".whl"):
            parts = artifact.raw_name_parts
            if parts is not None:  # else Z6, reported by the wheel-filename rule
                dist_info = f"{parts[0]}-{parts[1]}.dist-info"
                yield from self.wheel_file(reader, dist_info)
        yield from self.scan(reader, STEP_ZIP_SCAN)
        yield from self.framing()
        if dist_info is not None:
            yield from _WheelChecks(self, reader, dist_info).run()

    def ratio(self, reader: ArchiveReader) -> Iterator[Finding]:
        total = sum(m.size for m in reader.members)
        size = self.artifact.size
        if total > RATIO_MIN_SIZE and size > 0 and total / size > RATIO_THRESHOLD:
            biggest = sorted(reader.members, key=lambda m: m.size, reverse=True)[:3]
            top = ", ".join(f"{m.name} ({format_size(m.size)})" for m in biggest)
            yield self.finding(
                "compression-bomb",
                f"{self.fn} declares {format_size(total)} ({total:,} bytes) uncompressed in "
                f"{format_size(size)} on disk, a ratio of {total / size:.1f} (PyPI refuses "
                f"over {RATIO_THRESHOLD} once the total is over 64 MiB); "
                + _answer(f"File exceeds compression ratio of {RATIO_THRESHOLD}"),
                f"The largest members are {top}. Leave absurdly compressible data (zero-filled "
                "or generated files) out of the distribution, or create it at run time.",
                step=STEP_RATIO,
            )

    def methods(self, reader: ArchiveReader) -> Iterator[Finding]:
        odd = [m for m in reader.members if m.compress_type not in (0, 8)]
        if not odd:
            return
        kinds = sorted({_METHODS.get(m.compress_type or 0, f"method {m.compress_type}")
                        for m in odd})
        yield self.finding(
            "compression-method",
            f"{self.fn} has {len(odd)} member(s) compressed with {', '.join(kinds)} (for "
            f"example {odd[0].name}); PyPI accepts only stored and deflate: "
            + _answer("File does not use a supported compression type"),
            "Rebuild with your build backend, or repack with Python's zipfile and "
            "ZIP_DEFLATED (for a wheel: python -m wheel unpack, then python -m wheel pack).",
            step=STEP_METHOD,
        )

    def zip_sdist(self, reader: ArchiveReader) -> Iterator[Finding]:
        yield from self.layout(reader.names(), "zip")
        if self.top is None:
            return
        target = posixpath.join(self.top, "PKG-INFO")
        member = reader.member(target)
        if member is None:
            return
        yield from self.read_once(reader, target, STEP_PKG_INFO, "reading PKG-INFO")

    def read_once(self, reader: ArchiveReader, name: str, step: float,
                  when: str) -> Iterator[Finding]:
        """PyPI reads this member in full at this step: a bad CRC or encryption shows."""
        member = reader.member(name)
        if member is None or not member.is_file:
            return
        if member.encrypted:
            yield self.finding(
                "wheel-missing-file" if self.fn.endswith(".whl") else "invalid-archive",
                f"{self.fn}: {name} is encrypted (zip flag bit 0); "
                + _server_error(f"{when} (zipfile wants a password)."),
                "Rebuild the archive without encryption.",
                step=step,
            )
            return
        result = reader.read_members([name], SMALL_FILE_LIMIT).get(name)
        if isinstance(result, ArchiveError) and not isinstance(result, MemberTooLarge):
            yield self.read_error(result, step, when)

    def wheel_file(self, reader: ArchiveReader, dist_info: str) -> Iterator[Finding]:
        """Z7: WHEEL under the dist-info spelled exactly like the raw filename."""
        target = f"{dist_info}/WHEEL"
        if reader.member(target) is not None:
            yield from self.read_once(reader, target, STEP_WHEEL, "reading WHEEL")
            return
        present = sorted({n.split("/", 1)[0] for n in reader.names()
                          if n.endswith(".dist-info/WHEEL") and n.count("/") == 1})
        if present:
            hint = (f"The wheel has {_examples(present, 2)}/WHEEL, but PyPI looks in "
                    f"{dist_info!r}, spelled exactly as the filename starts (and the filename "
                    "must start with the normalized name). Rebuild with a current build "
                    "backend, which writes a normalized dist-info name; or unpack the wheel, "
                    f"rename the directory to {dist_info!r}, and repack it (python -m wheel "
                    "unpack / pack regenerates RECORD).")
        else:
            hint = "Rebuild the wheel with your build backend; a wheel needs .dist-info/WHEEL."
        yield self.finding(
            "wheel-missing-file",
            f"{self.fn} has no member {target!r}; " + _answer(f"WHEEL not found at {target}"),
            hint,
            step=STEP_WHEEL,
        )

    def framing(self) -> Iterator[Finding]:
        """Z9: the sequential record walk."""
        try:
            report = zipwalk.check_framing(self.artifact.path, max_entries=MAX_MEMBERS)
        except (zipwalk.ZipWalkError, OSError):
            return  # zipfile could not list it either: reported as invalid-archive
        if report.ok:
            return
        reason = report.reason or ""
        where = f" at byte {report.offset:,}" if report.offset is not None else ""
        about = f" ({report.name})" if report.name else ""
        yield self.finding(
            "zip-framing",
            f"{self.fn}: the zip records do not match its central directory: {reason}"
            f"{where}{about}; " + _answer(
                f"ZIP archive not accepted: {reason}. See {DOCS_ARCHIVES} for more information"),
            _framing_hint(reason, report.offset),
            step=STEP_FRAMING,
        )


def _framing_hint(reason: str, offset: int | None) -> str:
    rebuild = ("Rebuild the archive with your build backend, or rewrite it with Python's "
               "zipfile (for a wheel: python -m wheel unpack, then python -m wheel pack).")
    if reason == zipwalk.UNKNOWN_SIGNATURE and offset == 0:
        return ("Bytes were prepended to the archive (a shebang, a self-extractor stub); "
                "upload the plain zip. " + rebuild)
    hints = {
        zipwalk.UNKNOWN_SIGNATURE: "Something that is not a zip record sits inside the file "
        "(a data-descriptor record, a signature, a second archive). ",
        zipwalk.DATA_DESCRIPTOR: "The archive was written by a streaming zip writer (data "
        "descriptors after each member). ",
        zipwalk.TRAILING_DATA: "Bytes follow the end of the archive (an appended signature "
        "or a second archive). ",
        zipwalk.CENTRAL_COMMENT: "A member has a per-file comment; only the archive comment "
        "is allowed. ",
        zipwalk.NAME_NOT_IN_CENTRAL: "A member name reads differently in its local header "
        "and in the central directory, usually a non-ASCII name stored without the UTF-8 "
        "flag (bit 11). ",
        zipwalk.NAME_NOT_UNICODE: "A member name is not UTF-8. ",
        zipwalk.INVALID_CHARACTER: "A member name contains a control character; rename it. ",
        zipwalk.DUPLICATE_LOCAL: "Two members have the same name (the archive was appended "
        "to). ",
        zipwalk.DUPLICATE_CENTRAL: "Two members have the same name (the archive was appended "
        "to). ",
        zipwalk.DATA_SIZE_MISMATCH: "Sizes differ between a local header and the central "
        "directory (often a duplicate name, or an archive edited in place). ",
        zipwalk.FILE_SIZE_MISMATCH: "Sizes differ between a local header and the central "
        "directory (often a duplicate name, or an archive edited in place). ",
    }
    return hints.get(reason, "") + rebuild


class _WheelChecks:
    """Step 28 (reference §2.12): License-File, RECORD, entry points, METADATA."""

    def __init__(self, parent: _ZipChecks, reader: ArchiveReader, dist_info: str) -> None:
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
                + _server_error(f"reading {posixpath.basename(name)} (zipfile wants a "
                                "password)."),
                "Rebuild the wheel without encryption.", step)
        if isinstance(value, MemberTooLarge):
            return self.parent.limit_warning(value)
        if isinstance(value, ArchiveError):
            return self._finding(
                "wheel-missing-file",
                f"{self.fn}: {name} cannot be read ({value}); "
                + _server_error(f"reading {posixpath.basename(name)}."),
                "Rebuild the wheel: the member is corrupt (bad CRC or compressed data).", step)
        return None

    def licenses(self) -> Iterator[Finding]:
        names = set(self.reader.names())
        for value in _license_files(self.parent.artifact):
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
                + _server_error("on it instead of answering."),
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
            parts.append(f"not listed in RECORD: {_examples(missing)}")
        if extra:
            parts.append(f"listed but not in the wheel: {_examples(extra)}")
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
                (f"The wheel has {_examples(present, 2)}: the dist-info directory must be "
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
    for section in _SCRIPT_SECTIONS:
        if not parser.has_section(section):
            continue
        for key in parser[section]:  # includes names inherited from [DEFAULT]
            if not _ENTRY_POINT_NAME.fullmatch(key):
                origin = (f"[DEFAULT] (inherited by [{section}])"
                          if key in parser.defaults() else f"[{section}]")
                return (f"the script name {key!r} in {origin} has characters other than "
                        "letters, digits, '_', '.' and '-'")
    return None


# -- tar (.tar.gz) -----------------------------------------------------------------------
class _TarChecks(_Checks):
    def run(self) -> Iterator[Finding]:
        artifact = self.artifact
        path = artifact.path
        probe = probe_tar(path)
        try:
            is_zip = is_zip_file(path)
        except ArchiveError:
            is_zip = False
        yield from self.polyglot(is_zip, probe.is_tar)
        if probe.error is not None:
            yield self.finding(
                "invalid-archive",
                f"{self.fn} breaks off inside its first block ({probe.error}); "
                + _answer("None"),
                "The file is truncated or corrupt: rebuild it and upload the file the build "
                "wrote, unmodified.",
                step=STEP_TAR_READ,
            )
            return
        if not probe.is_tar:
            what = {"gz": "a gzip file that does not hold a tar archive",
                    "bz2": "a bzip2 file that does not hold a tar archive",
                    "xz": "an xz file that does not hold a tar archive"}.get(
                probe.compression or "", "not a tar archive with any compression")
            if is_zip:
                what = "a zip archive, not a tar"
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is {what}; " + _answer("File is not a tarfile"),
                "An sdist must be a gzip-compressed tar: build it with python -m build "
                "--sdist, or tar -czf NAME-VERSION.tar.gz NAME-VERSION/.",
                step=STEP_NOT_ARCHIVE,
            )
            return
        if probe.compression != "gz":
            kind = {"": "an uncompressed tar", "bz2": "a bzip2-compressed tar",
                    "xz": "an xz-compressed tar", "zst": "a zstd-compressed tar"}.get(
                probe.compression or "", "a tar")
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is {kind}, but PyPI opens .tar.gz files as gzip only "
                "(tarfile.open(mode='r:gz')); " + _answer("None"),
                "Compress the sdist with gzip (tar -czf), or build it with python -m build "
                "--sdist.",
                step=STEP_TAR_READ,
            )
            return
        try:
            reader = artifact.archive()
        except ArchiveLimitExceeded as exc:
            yield self.limit_warning(exc, sdist_bomb="inflates" in str(exc))
            return
        except ArchiveError as exc:
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is {exc}; " + _answer("None"),
                "The file is truncated or corrupt: rebuild it and upload the file the build "
                "wrote, unmodified.",
                step=STEP_TAR_READ,
            )
            return
        sparse = [m.name for m in reader.members if m.sparse]
        if sparse:
            are = "is a sparse member" if len(sparse) == 1 else "are sparse members"
            yield self.finding(
                "sparse-tar-member",
                f"{self.fn}: {_examples(sparse, 2)} {are}; "
                + _answer("tar archive not accepted: Sparse members are not allowed. See "
                          f"{DOCS_ARCHIVES} for more information"),
                "Build the sdist with python -m build --sdist (Python's tarfile never writes "
                "sparse members), or use GNU tar without --sparse/-S.",
                step=STEP_SPARSE,
            )
        names = reader.names()
        yield from self.layout(names, "tar")
        yield from self.scan(reader, STEP_TAR_SCAN)
        yield from self.licenses(set(names))

    def licenses(self, names: set[str]) -> Iterator[Finding]:
        """S-license (step 27): ``{top}/{License-File}`` must be a member, exactly."""
        if self.top is None:
            return
        for value in _license_files(self.artifact):
            path = f"{self.top}/{value}"
            if path in names:
                continue
            yield self.finding(
                "missing-license-file",
                f"{self.fn}: License-File {value} is in PKG-INFO but {path!r} is not in the "
                f"sdist; PyPI would answer: 400 License-File {value} does not exist in "
                f"distribution file {self.fn} at {path}",
                "List the license files in [project] license-files and rebuild the sdist with "
                "a PEP 639 backend, so that they are copied next to PKG-INFO's directory "
                "root as named.",
                step=STEP_SDIST_LICENSE,
            )
