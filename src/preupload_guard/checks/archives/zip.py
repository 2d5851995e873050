"""Zip archives (wheels and .zip sdists): the ratio check, compression methods, zip
framing, the WHEEL file, and the member reads PyPI does on a zip.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from preupload_guard.checks.archives.base import Checks, examples, pypi_answer, server_error
from preupload_guard.checks.archives.vocabulary import (
    DOCS_ARCHIVES,
    METHODS,
    RATIO_MIN_SIZE,
    RATIO_THRESHOLD,
    SMALL_FILE_LIMIT,
    STEP_FRAMING,
    STEP_METHOD,
    STEP_NOT_ARCHIVE,
    STEP_OPEN,
    STEP_PKG_INFO,
    STEP_RATIO,
    STEP_WHEEL,
    STEP_ZIP_SCAN,
)
from preupload_guard.checks.archives.wheel import WheelChecks
from preupload_guard.model.findings import Finding
from preupload_guard.model.settings import format_size
from preupload_guard.read import zipwalk
from preupload_guard.read.archives import (
    ArchiveError,
    ArchiveLimitExceeded,
    ArchiveReader,
    MemberTooLarge,
    is_zip_file,
    probe_tar,
)

if TYPE_CHECKING:
    pass


# -- zip (.whl, .zip) --------------------------------------------------------------------
class ZipChecks(Checks):
    def run(self) -> Iterator[Finding]:
        artifact = self.artifact
        path = artifact.path
        try:
            is_zip = is_zip_file(path)
        except ArchiveError as exc:  # zipfile raises instead of answering
            yield self.finding(
                "invalid-archive",
                f"{self.fn}: {exc}; " + pypi_answer("None"),
                "Rebuild the archive as a single-disk zip with your build backend.",
                step=STEP_NOT_ARCHIVE,
            )
            return
        yield from self.polyglot(is_zip, probe_tar(path).is_tar)
        if not is_zip:
            yield self.finding(
                "invalid-archive",
                f"{self.fn} is not a zip archive (no end-of-central-directory record: the "
                "file is truncated or is not a zip); " + pypi_answer("File is not a zipfile"),
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
                + (server_error("opening it.") if status == 500 else pypi_answer("None")),
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
        yield from self.framing(reader)
        if dist_info is not None:
            yield from WheelChecks(self, reader, dist_info).run()

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
                + pypi_answer(f"File exceeds compression ratio of {RATIO_THRESHOLD}"),
                f"The largest members are {top}. Leave absurdly compressible data (zero-filled "
                "or generated files) out of the distribution, or create it at run time.",
                step=STEP_RATIO,
            )

    def methods(self, reader: ArchiveReader) -> Iterator[Finding]:
        odd = [m for m in reader.members if m.compress_type not in (0, 8)]
        if not odd:
            return
        kinds = sorted({METHODS.get(m.compress_type or 0, f"method {m.compress_type}")
                        for m in odd})
        yield self.finding(
            "compression-method",
            f"{self.fn} has {len(odd)} member(s) compressed with {', '.join(kinds)} (for "
            f"example {odd[0].name}); PyPI accepts only stored and deflate: "
            + pypi_answer("File does not use a supported compression type"),
            "Rebuild with your build backend, or repack with Python's zipfile and "
            "ZIP_DEFLATED (for a wheel: python -m wheel unpack, then python -m wheel pack).",
            step=STEP_METHOD,
        )

    def zip_sdist(self, reader: ArchiveReader) -> Iterator[Finding]:
        yield from self.layout(reader, "zip")
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
                + server_error(f"{when} (zipfile wants a password)."),
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
            hint = (f"The wheel has {examples(present, 2)}/WHEEL, but PyPI looks in "
                    f"{dist_info!r}, spelled exactly as the filename starts (and the filename "
                    "must start with the normalized name). Rebuild with a current build "
                    "backend, which writes a normalized dist-info name; or unpack the wheel, "
                    f"rename the directory to {dist_info!r}, and repack it (python -m wheel "
                    "unpack / pack regenerates RECORD).")
        else:
            hint = "Rebuild the wheel with your build backend; a wheel needs .dist-info/WHEEL."
        yield self.finding(
            "wheel-missing-file",
            f"{self.fn} has no member {target!r}; " + pypi_answer(f"WHEEL not found at {target}"),
            hint,
            step=STEP_WHEEL,
        )

    def framing(self, reader: ArchiveReader) -> Iterator[Finding]:
        """Z9: the sequential record walk (made once by the reader, maybe in a worker)."""
        report = reader.framing()
        if report is None:
            return  # zipfile could not list it either: reported as invalid-archive
        if report.ok:
            return
        reason = report.reason or ""
        where = f" at byte {report.offset:,}" if report.offset is not None else ""
        about = f" ({report.name})" if report.name else ""
        yield self.finding(
            "zip-framing",
            f"{self.fn}: the zip records do not match its central directory: {reason}"
            f"{where}{about}; " + pypi_answer(
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
