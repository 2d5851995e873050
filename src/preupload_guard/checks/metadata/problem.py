"""One metadata refusal before it becomes a finding, and the wording shared by every
metadata check (PyPI's answer with its link, the hint that says where a field is set).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from preupload_guard.checks.metadata.vocabulary import (
    CORE_METADATA_URL,
    FIELD_NAMES,
    PYPROJECT,
    STEP_METADATA,
)
from preupload_guard.model.findings import Severity

if TYPE_CHECKING:
    pass


@dataclass
class Problem:
    """One refusal, before it becomes a :class:`Finding`.

    ``what`` describes the problem in the user's terms; ``answer`` is PyPI's exact text
    (without the "See ..." link, added from ``see``), ``None`` when only twine refuses.
    ``field`` is the e-mail style key twine's errors are matched on; ``twine`` is twine's
    own refusal of the same field, when it has one.
    """

    rule: str
    field: str
    what: str
    answer: str | None
    hint: str
    step: float = STEP_METADATA
    see: str | None = CORE_METADATA_URL
    source: str = "packaging"  # packaging | warehouse | form | twine
    twine: str | None = None
    severity: Severity | None = None
    note: str | None = None


def pypi_text(answer: str, see: str | None) -> str:
    if see is None:
        return answer
    return f"{answer}{'' if answer.endswith('.') else '.'} See {see} for more information."


def field_hint(raw_key: str) -> str:
    where = PYPROJECT.get(raw_key)
    name = FIELD_NAMES.get(raw_key, raw_key)
    return f"Fix {name} at its source, {where}, and rebuild." if where else (
        f"Fix {name} in the build configuration and rebuild."
    )
