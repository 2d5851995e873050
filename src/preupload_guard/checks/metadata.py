"""Built-in metadata rules (to be filled in by issue 3)."""

from __future__ import annotations

from ..findings import Rule
from ..hookspecs import hookimpl

RULES: list[Rule] = []


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES
