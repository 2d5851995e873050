"""What a report means, shared by every renderer: the one-sentence verdict (would the index
refuse anything?), which errors are the index's refusals rather than a plugin's own
checks, and which findings are fixed in the project's metadata rather than in a file.
"""

from __future__ import annotations

from preupload_guard.model.findings import PLUGIN_ERROR, Finding, Report, Severity

#: Rule families whose findings are about the project's metadata, which comes from
#: ``pyproject.toml``; CI formats point those at that file, the one place to fix them.
PROJECT_FAMILIES = frozenset({"metadata", "names"})


def about_project(report: Report, finding: Finding) -> bool:
    """Whether ``finding`` is fixed in the project's metadata rather than in a dist file."""
    rule = report.rules.get(finding.rule)
    return rule is not None and rule.family in PROJECT_FAMILIES


def is_refusal(report: Report, finding: Finding) -> bool:
    """Whether an error finding predicts PyPI's refusal (a built-in rule) rather than one of
    a plugin's own checks, or a plugin that failed: PyPI accepts a file with a token in it."""
    if finding.rule == PLUGIN_ERROR:
        return False
    rule = report.rules.get(finding.rule)
    return rule is None or not rule.plugin or rule.plugin.startswith("builtin:")


def verdict(report: Report) -> str:
    """One plain sentence: would the index refuse anything, with the counts."""
    counts = (f"{report.count(Severity.ERROR)} error(s), {report.count(Severity.WARNING)} "
              f"warning(s), {report.count(Severity.INFO)} note(s)")
    if report.ok:
        return f"No refusal predicted for {len(report.files)} file(s): {counts}."
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    refusals = [f for f in errors if is_refusal(report, f)]
    if not refusals:
        return f"No refusal by the index predicted, but checks failed: {counts}."
    also = " (and other checks failed)" if len(refusals) < len(errors) else ""
    refused = len({f.file for f in refusals if f.file})
    if not refused:  # only batch-wide errors (index unreachable, project too large...)
        return f"The index would refuse the upload{also}: {counts}."
    return f"The index would refuse {refused} of {len(report.files)} file(s){also}: {counts}."
