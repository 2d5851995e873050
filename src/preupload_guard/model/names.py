"""PyPI's name rules, computed the way Warehouse computes them.

Shared by the index (to key the project-name list) and the name checks. Each function cites
the reference section it mirrors, because a one-character difference here turns into a false
"your name is taken" or, worse, a missed refusal.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

#: ``PROJECT_NAME_RE`` (reference §3.8): starts and ends with an ASCII letter or digit.
PROJECT_NAME_RE = re.compile(
    r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE | re.ASCII
)

_SEPARATORS = str.maketrans("", "", "._-")
_LOOKALIKES = str.maketrans({"l": "1", "L": "1", "i": "1", "I": "1", "o": "0", "O": "0"})


def is_valid_project_name(name: str) -> bool:
    return PROJECT_NAME_RE.match(name) is not None


def ultranormalize_name(name: str) -> str:
    """Warehouse's ``ultranormalize_name`` SQL function (reference §3.10), step by step.

    Delete every ``.``, ``_`` and ``-``; turn ``l``/``L``/``i``/``I`` into ``1`` and
    ``o``/``O`` into ``0``; lowercase. ``Toast-ing`` and ``t0asting`` both give ``t0ast1ng``.
    """
    return name.translate(_SEPARATORS).translate(_LOOKALIKES).lower()


@functools.cache
def stdlib_prohibited() -> frozenset[str]:
    """``STDLIB_PROHIBITED`` (reference §3.9), built as Warehouse builds it.

    Every module name of every ``stdlib_list.short_versions`` entry, expanded to all its
    dotted prefixes, stripped of ``-_.`` at both ends, then canonicalized. With
    stdlib-list 0.12.0 this has 2,363 names.
    """
    from stdlib_list import short_versions, stdlib_list

    names: set[str] = set()
    for version in short_versions:
        for module in stdlib_list(version):
            parts = module.split(".")
            for end in range(1, len(parts) + 1):
                names.add(canonicalize_name(".".join(parts[:end]).strip("-_.")))
    return frozenset(names)


def is_stdlib_name(name: str) -> bool:
    return canonicalize_name(name) in stdlib_prohibited()


# -- Distribution filenames, parsed as PyPI's packaging 26.2 parses them. ------------------
# The installed packaging (26.3) refuses some names PyPI accepts (a non-identifier
# interpreter tag, an empty name part), so the artifact and the filename rules share these.
class WheelNameError(ValueError):
    """The wheel name fails PyPI's parse; the text is packaging 26.2's message."""


@dataclass(frozen=True)
class WheelName:
    """A wheel filename split the way PyPI splits it."""

    raw_name: str
    name: str  # canonical
    raw_version: str
    version: Version
    build: str | None
    interpreters: tuple[str, ...]
    abis: tuple[str, ...]
    platforms: tuple[str, ...]  # expanded and lower-cased, as packaging's Tag holds them


_WHEEL_NAME_PART = re.compile(r"[\w.]*")
_BUILD_TAG = re.compile(r"\d")


def parse_wheel_name(filename: str) -> WheelName:
    """Parse a ``.whl`` filename with the rules of packaging 26.2, which PyPI pins.

    The error texts are packaging's, because PyPI returns them verbatim (reference §2.12).
    Unlike packaging 26.3, an interpreter tag that is not an identifier, an empty tag
    component and an empty name part pass here, because they pass on PyPI; an empty
    platform then fails the platform-tag check, as it does there.
    """
    if not filename.endswith(".whl"):
        raise WheelNameError(f"Invalid wheel filename (extension must be '.whl'): {filename!r}")
    stem = filename[: -len(".whl")]
    dashes = stem.count("-")
    if dashes not in (4, 5):
        raise WheelNameError(f"Invalid wheel filename (wrong number of parts): {stem!r}")
    parts = stem.split("-", dashes - 2)
    raw_name = parts[0]
    if "__" in raw_name or _WHEEL_NAME_PART.fullmatch(raw_name) is None:
        raise WheelNameError(f"Invalid project name: {stem!r}")
    try:
        version = Version(parts[1])
    except InvalidVersion:
        raise WheelNameError(f"Invalid wheel filename (invalid version): {stem!r}") from None
    build = None
    if dashes == 5:
        build = parts[2]
        if _BUILD_TAG.match(build) is None:
            raise WheelNameError(f"Invalid build number: {build} in {stem!r}")
    interpreters, abis, platforms = parts[-1].split("-")
    return WheelName(
        raw_name=raw_name,
        name=canonicalize_name(raw_name),
        raw_version=parts[1],
        version=version,
        build=build,
        interpreters=tuple(p.lower() for p in interpreters.split(".")),
        abis=tuple(p.lower() for p in abis.split(".")),
        platforms=tuple(p.lower() for p in platforms.split(".")),
    )


@dataclass(frozen=True)
class SdistName:
    stem: str
    raw_name: str
    raw_version: str
    version: Version


def parse_sdist_name(filename: str) -> SdistName | None:
    """``parse_sdist_filename`` as in packaging 26.2: split at the last ``-``.

    26.2 accepts an empty name part (26.3 does not); PyPI then refuses it at the name
    comparison instead, so it must get that far here too.
    """
    if filename.endswith(".tar.gz"):
        stem = filename[: -len(".tar.gz")]
    elif filename.endswith(".zip"):
        stem = filename[: -len(".zip")]
    else:
        return None
    raw_name, sep, raw_version = stem.rpartition("-")
    if not sep:
        return None
    try:
        version = Version(raw_version)
    except InvalidVersion:
        return None
    return SdistName(stem, raw_name, raw_version, version)
