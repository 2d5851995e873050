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
    return expand_with_sidecars(arguments)[0]


def expand_with_sidecars(arguments: Iterable[str]) -> tuple[list[Path], dict[Path, list[Path]]]:
    """Like :func:`expand_inputs`, plus each file's signature and attestation files.

    twine pairs ``FILE.asc`` and ``FILE.<kind>.attestation`` with ``FILE`` among the paths it
    is given; ``upload`` passes them along with the files it sends, and drops them with the
    files it does not send.
    """
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
    extras: list[Path] = []
    for name in found:
        if is_signature_or_attestation(name):
            extras.append(Path(name))
            continue
        path = Path(name)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        files.append(path)
    # Wheels first, otherwise in the given order (a stable sort, as twine does).
    files.sort(key=lambda p: -1 if p.name.endswith(".whl") else 0)
    sidecars: dict[Path, list[Path]] = {f: [] for f in files}
    by_name = {f.name: f for f in files}
    for extra in extras:
        stem = extra.name[: -len(".asc")] if extra.name.endswith(".asc") else None
        owner = by_name.get(stem) if stem else None
        if owner is None:  # FILE.<kind>.attestation: the longest file name it starts with
            owner = next((by_name[n] for n in sorted(by_name, key=len, reverse=True)
                          if extra.name.startswith(n + ".")), None)
        if owner is not None and extra not in sidecars[owner]:
            sidecars[owner].append(extra)
    return files, sidecars
