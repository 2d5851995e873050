"""Archive rules: what PyPI's ``_is_valid_dist_file`` and its wheel checks refuse.

PyPI opens every distribution at step 26 (reference §2.10): the archive type comes from
the filename's case-sensitive suffix (``.whl``/``.zip`` as zip, ``.tar.gz`` as tar), and
the checks run in a fixed order, the first failure answering ``400 Invalid distribution
file. {msg}``. Zips: polyglot (Z0), not a zip (Z1), compression bomb (Z2), compression
method (Z3), sdist layout (Z4, Z5), the WHEEL file (Z7), the scan for encrypted code and
API tokens (Z8),
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

from collections.abc import Iterator
from typing import TYPE_CHECKING

from preupload_guard.checks.archives.base import ScanVisitor
from preupload_guard.checks.archives.tar import TarChecks
from preupload_guard.checks.archives.token_scan import HELP_COMPROMISED_TOKEN
from preupload_guard.checks.archives.vocabulary import (
    ACCEPTABLE_USE,
    DOCS_ARCHIVES,
    FAMILY,
    PYARMOR_MARKERS,
    RECORD_LIMIT,
    SOURCEDEFENDER_MARKERS,
    STEP_ENTRY_POINTS,
    STEP_FRAMING,
    STEP_METHOD,
    STEP_NOT_ARCHIVE,
    STEP_RATIO,
    STEP_RECORD,
    STEP_SDIST_LICENSE,
    STEP_SPARSE,
    STEP_TOP,
    STEP_WHEEL,
    STEP_ZIP_SCAN,
)
from preupload_guard.checks.archives.zip import ZipChecks
from preupload_guard.checks.reuse import is_identical_upload
from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.archives import Member, archive_kind
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.members import Capture, MemberVisitor

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

#: The markers as text for the explanation (never written whole in this .py file).
_PYARMOR_CALL = PYARMOR_MARKERS[0].decode()
_PYARMOR_HOOKS = ", ".join(m.decode() for m in PYARMOR_MARKERS[1:])
_PYE_BEGIN, _PYE_END = (m.decode() for m in SOURCEDEFENDER_MARKERS)

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
            f"archive for PyArmor runtime markers ({_PYARMOR_HOOKS}, '{_PYARMOR_CALL}') and for "
            f"SourceDefender's '{_PYE_BEGIN}' with '{_PYE_END}'. A match "
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
    Rule(
        id="pypi-token",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A .py/.pye member contains a PyPI API token",
        explanation=(
            "PyPI's upload scanner has a third rule besides the two encryption rules "
            "(secrets_pypi_token): in the same members (.py and .pye in any case, regular "
            "files up to 5 MiB each) it looks for the regular expression "
            "pypi-AgEIcHlwaS5vcmcCJ[a-zA-Z0-9-_]{150,157}, case-sensitive and unanchored: the "
            "fixed head of every API token PyPI mints followed by at least 150 token "
            "characters. TestPyPI tokens have another head and do not match. A match is "
            "refused: 400 Invalid distribution file. We have detected a PyPI API token exposed "
            "in the uploaded file. Publishing it would allow anyone to perform actions on your "
            "behalf. For your own security, please revoke the token immediately. See "
            f"{HELP_COMPROMISED_TOKEN} for additional help. When one member holds both, the "
            "PyArmor rule answers first and this rule before the SourceDefender one; across "
            "members, the first matching member answers. The token is never printed: the "
            "finding names the member and line."
        ),
        fix=(
            "Revoke the token now (it is exposed wherever the file went: the build directory, "
            "version control, CI logs), delete it from the source and rebuild; pass the new "
            "token to twine through TWINE_PASSWORD, a keyring or trusted publishing. A test "
            "that needs a token-shaped string must assemble it at run time from parts."
        ),
        step=STEP_ZIP_SCAN,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_members(artifact: Artifact, context: Context) -> list[MemberVisitor]:
    """The archive checks' share of the one pass: the scanner rules' members, and a wheel's
    .dist-info files (WHEEL, RECORD, entry points, licenses), kept for the checks below and
    for any plugin that reads them too."""
    if archive_kind(artifact.filename) is None:
        return []
    visitors: list[MemberVisitor] = []
    if _scanning(context):
        visitors.append(ScanVisitor())
    if artifact.is_wheel:
        visitors.append(Capture(_in_dist_info, RECORD_LIMIT))
    return visitors


def _scanning(context: Context) -> bool:
    """Whether a scanner rule is reported (else its reading is skipped)."""
    return context.selected("encrypted-code") or context.selected("pypi-token")


def _in_dist_info(member: Member) -> bool:
    top, _, rest = member.name.partition("/")
    return bool(rest) and top.endswith(".dist-info")


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    kind = archive_kind(artifact.filename)  # case-sensitive, as PyPI decides
    if kind is None:
        return  # no archive check applies (the extension rules say why)
    if is_identical_upload(context.project(artifact.project), artifact):
        return  # PyPI answers 200 at step 22 and never opens the archive
    checks = ZipChecks if kind == "zip" else TarChecks
    checker = checks(artifact, scan=_scanning(context))
    yield from checker.run()


