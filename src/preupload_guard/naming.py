"""PyPI's name rules, computed the way Warehouse computes them.

Shared by the index (to key the project-name list) and the name checks. Each function cites
the reference section it mirrors, because a one-character difference here turns into a false
"your name is taken" or, worse, a missed refusal.
"""

from __future__ import annotations

import functools
import re

from packaging.utils import canonicalize_name

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
