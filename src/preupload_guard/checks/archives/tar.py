"""Tar sdists (.tar.gz): reading the stream as PyPI does, sparse members, the
encrypted-code scan and license files.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from preupload_guard.checks.archives.base import Checks, examples, license_files, pypi_answer
from preupload_guard.checks.archives.vocabulary import (
    DOCS_ARCHIVES,
    STEP_NOT_ARCHIVE,
    STEP_SDIST_LICENSE,
    STEP_SPARSE,
    STEP_TAR_READ,
    STEP_TAR_SCAN,
)
from preupload_guard.model.findings import Finding
from preupload_guard.read.archives import (
    ArchiveError,
    ArchiveLimitExceeded,
    is_zip_file,
    probe_tar,
)

if TYPE_CHECKING:
    pass


# -- tar (.tar.gz) -----------------------------------------------------------------------
class TarChecks(Checks):
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
                + pypi_answer("None"),
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
                f"{self.fn} is {what}; " + pypi_answer("File is not a tarfile"),
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
                "(tarfile.open(mode='r:gz')); " + pypi_answer("None"),
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
                f"{self.fn} is {exc}; " + pypi_answer("None"),
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
                f"{self.fn}: {examples(sparse, 2)} {are}; "
                + pypi_answer("tar archive not accepted: Sparse members are not allowed. See "
                          f"{DOCS_ARCHIVES} for more information"),
                "Build the sdist with python -m build --sdist (Python's tarfile never writes "
                "sparse members), or use GNU tar without --sparse/-S.",
                step=STEP_SPARSE,
            )
        names = reader.names()
        yield from self.layout(reader, "tar")
        yield from self.scan(reader, STEP_TAR_SCAN)
        yield from self.licenses(set(names))

    def licenses(self, names: set[str]) -> Iterator[Finding]:
        """S-license (step 27): ``{top}/{License-File}`` must be a member, exactly."""
        if self.top is None:
            return
        for value in license_files(self.artifact):
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
