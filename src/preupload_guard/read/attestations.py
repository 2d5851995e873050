"""PEP 740 attestation sidecars next to a distribution file: found and read, bounded.

``twine upload --attestations dist/*`` sends, with each distribution, every input matching
``*.*.attestation`` whose name starts with the distribution's name
(``twine.commands._split_inputs``), so ``X.publish.attestation`` and ``X.slsa.attestation``
both travel with ``X``. The files beside a distribution are what such an upload would send.
The :class:`~.artifact.Artifact` calls :func:`read_attestations` once and caches the result;
checks judge the bytes and never touch the disk.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from pathlib import Path

#: A PEP 740 attestation is a few KiB (a certificate, one log entry, a small statement);
#: sidecars larger than this are not read (the attestation rules say so instead).
MAX_ATTESTATION_BYTES = 1024 * 1024


@dataclass(frozen=True)
class AttestationFile:
    """One ``<filename>.<kind>.attestation`` sidecar.

    ``content`` is ``None`` when the file was not read; ``error`` then says why (too large,
    unreadable).
    """

    name: str
    path: Path
    size: int
    content: bytes | None
    error: str | None = None


def is_attestation_for(sidecar_name: str, filename: str) -> bool:
    """twine's pairing: ``*.*.attestation`` whose name starts with the distribution's name."""
    return (sidecar_name != filename and sidecar_name.startswith(filename)
            and fnmatch.fnmatch(sidecar_name, "*.*.attestation"))


def read_attestations(dist: Path) -> tuple[AttestationFile, ...]:
    """The sidecars of ``dist`` in its directory, sorted by name (as a sorted glob gives
    them to twine), each read up to :data:`MAX_ATTESTATION_BYTES`."""
    try:
        # Names, not Paths, and the cheap prefix test first: every file of a set lists the
        # same directory (Path objects and fnmatch for each entry took 0.45 s of the
        # benchmark's 172 files, all holding the GIL).
        siblings = [dist.parent / name for name in sorted(os.listdir(dist.parent))
                    if name.startswith(dist.name) and is_attestation_for(name, dist.name)]
    except OSError:
        return ()
    found: list[AttestationFile] = []
    too_large = f"larger than {MAX_ATTESTATION_BYTES} bytes"
    for path in siblings:
        try:
            if not path.is_file():
                continue
            size = path.stat().st_size
            if size > MAX_ATTESTATION_BYTES:
                found.append(AttestationFile(path.name, path, size, None, too_large))
                continue
            with path.open("rb") as fh:
                content = fh.read(MAX_ATTESTATION_BYTES + 1)
        except OSError as exc:
            found.append(AttestationFile(path.name, path, 0, None,
                                         f"cannot be read: {exc.strerror or exc}"))
            continue
        if len(content) > MAX_ATTESTATION_BYTES:  # it grew since the stat
            found.append(AttestationFile(path.name, path, len(content), None, too_large))
            continue
        found.append(AttestationFile(path.name, path, len(content), content))
    return tuple(found)
