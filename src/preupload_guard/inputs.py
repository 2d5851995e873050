"""Turn ``FILE_OR_DIR_OR_GLOB...`` arguments into the list of files twine would upload.

Expanded by the tool itself, because pre-commit and CI do not always run a shell. Like
twine: an argument that exists is taken as is, otherwise it is a glob that must match;
``*.asc`` signatures and ``*.*.attestation`` files are recognised and set aside; wheels are
ordered before sdists (twine uploads them in that order, which matters for running totals).
A directory stands for the distribution-like files directly inside it.
"""

from __future__ import annotations

import fnmatch
import glob
from collections.abc import Iterable
from pathlib import Path

#: Files picked from a directory: everything twine knows plus legacy formats users still
#: find in ``dist/`` (so that a stray ``.egg`` is reported, not silently ignored).
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar", ".egg", ".exe", ".msi")


class InputError(Exception):
    """An argument names nothing: reported as a usage error (exit 2)."""


def is_signature_or_attestation(path: str) -> bool:
    name = Path(path).name
    return fnmatch.fnmatch(name, "*.asc") or fnmatch.fnmatch(name, "*.*.attestation")


def _from_directory(directory: Path) -> list[str]:
    return sorted(
        str(p)
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(_DIST_SUFFIXES)
    )


def expand_inputs(arguments: Iterable[str]) -> list[Path]:
    """Files to check, in twine's upload order, without signatures or attestations."""
    found: list[str] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            found.extend(_from_directory(path))
        elif path.exists():
            found.append(argument)
        else:
            matches = sorted(glob.glob(argument, recursive=True))
            if not matches:
                raise InputError(f"cannot find file (or expand pattern): {argument!r}")
            for match in matches:
                if Path(match).is_dir():
                    found.extend(_from_directory(Path(match)))
                else:
                    found.append(match)
    seen: set[Path] = set()
    files: list[Path] = []
    for name in found:
        if is_signature_or_attestation(name):
            continue
        path = Path(name)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        files.append(path)
    # Wheels first, otherwise in the given order (a stable sort, as twine does).
    files.sort(key=lambda p: -1 if p.name.endswith(".whl") else 0)
    return files
