"""Rules, findings and the report: the vocabulary every other module speaks.

A :class:`Rule` is declared once (by a built-in check module or a plugin) and that single
declaration feeds ``preupload-guard rules``, the docs page, ``--select/--ignore``
validation and the report. A :class:`Finding` is what a check says about one file (or
about the batch); the runner fills in the effective severity after applying the user's
policy, and renderers only format the finished :class:`Report`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Any


class Severity(str, enum.Enum):
    """How bad a finding is. Only ``error`` findings make the run fail (exit 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Sort key: errors first."""
        return {"error": 0, "warning": 1, "info": 2}[self.value]

    @classmethod
    def parse(cls, value: str) -> Severity:
        """Accept ``error``, ``warning``/``warn`` and ``info``, in any case."""
        text = value.strip().lower()
        if text == "warn":
            text = "warning"
        try:
            return cls(text)
        except ValueError:
            raise ValueError(
                f"unknown severity {value!r}: use 'error', 'warning' or 'info'"
            ) from None


#: The framework's own rules (declared in ``checks/core.py``): an index that could not be
#: asked, and a plugin that failed. Renderers and the engine name them, so they live here.
INDEX_UNREACHABLE = "index-unreachable"
PLUGIN_ERROR = "plugin-error"
#: A shared ledger (``history`` as a URL) that could not be read: a warning.
HISTORY_UNAVAILABLE = "history-unavailable"


@dataclass(frozen=True)
class Rule:
    """The single declaration of a rule.

    ``explanation`` says what PyPI checks and what it answers; ``fix`` says what to do.
    ``step`` is the rule's position in PyPI's upload order (reference §1): when PyPI
    would stop at an earlier refusal, later findings are marked as hidden behind it.
    ``needs_index`` rules are listed as skipped when the index is not consulted.
    ``opt_in`` rules (not refusals by themselves, e.g. ``version-exists``) run only when
    ``--select`` names them by id; ``all`` or their family does not select them.
    """

    id: str
    family: str
    severity: Severity
    summary: str
    explanation: str = ""
    fix: str = ""
    needs_index: bool = False
    since: str | None = None
    step: float | None = None
    plugin: str = ""
    opt_in: bool = False

    def with_plugin(self, plugin: str) -> Rule:
        return replace(self, plugin=plugin)


@dataclass(frozen=True)
class Finding:
    """One thing a check found.

    ``severity`` is normally left ``None`` so the rule's default (or the user's override)
    applies; a check may set it when one rule has a milder case (for example a release
    whose creation time cannot be known is a warning, not an error).
    ``masked_by`` names the rule of an earlier refusal that PyPI would answer first.
    ``step`` overrides the rule's step when one rule covers refusals at several points of
    PyPI's order (a missing WHEEL file is found at step 26, a missing RECORD at step 28).
    """

    rule: str
    message: str
    file: str | None = None
    hint: str | None = None
    severity: Severity | None = None
    masked_by: str | None = None
    step: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "rule": self.rule,
            "severity": (self.severity or Severity.ERROR).value,
            "file": self.file,
            "message": self.message,
            "hint": self.hint,
        }
        if self.masked_by:
            data["masked_by"] = self.masked_by
        return data


@dataclass(frozen=True)
class Skipped:
    """A rule that did not run, and why (``--offline``, index unreachable, ...)."""

    rule: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "reason": self.reason}


@dataclass(frozen=True)
class FileSummary:
    """What the report says about each file checked."""

    filename: str
    path: str
    size: int
    sha256: str | None
    blake2_256: str | None
    project: str | None
    version: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "path": self.path,
            "size": self.size,
            "sha256": self.sha256,
            "blake2_256": self.blake2_256,
            "project": self.project,
            "version": self.version,
        }


@dataclass
class Report:
    """The finished result of one run; renderers format it and decide nothing."""

    files: list[FileSummary] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    rules: dict[str, Rule] = field(default_factory=dict)
    index_url: str | None = None
    #: Files the index already holds byte for byte (whatever rules were selected): ``upload``
    #: never sends them again. Not part of the JSON report.
    on_index: frozenset[str] = frozenset()
    #: The per-file and project size limits the run checked against (granted or default),
    #: for reports that show sizes as a share of them. Not part of the JSON report.
    upload_limit: int | None = None
    project_limit: int | None = None

    @property
    def ok(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity is severity)

    def to_dict(self) -> dict[str, Any]:
        """SPEC JSON schema 1. Fields may be added, never renamed."""
        return {
            "schema": 1,
            "ok": self.ok,
            "files": [f.to_dict() for f in self.files],
            "findings": [f.to_dict() for f in self.findings],
            "skipped": [s.to_dict() for s in self.skipped],
        }
