"""Renderers: each formats a finished :class:`~preupload_guard.model.findings.Report` and decides
nothing.

Renderers stay pure: anything they would have to look up on disk (whether a
``pyproject.toml`` exists to point annotations at) is passed in by the caller.
"""

from __future__ import annotations

from typing import TextIO

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


def render(
    report: Report,
    fmt: str,
    stream: TextIO,
    *,
    color: bool | None = None,
    project_file: str | None = None,
) -> None:
    """Write ``report`` to ``stream`` in format ``fmt``.

    ``project_file`` is the repository-relative ``pyproject.toml`` when one exists; the
    ``github`` format points metadata annotations at it (others ignore it).
    """
    if fmt == "json":
        from preupload_guard.report.json import render_json

        stream.write(render_json(report))
    elif fmt == "text":
        from preupload_guard.report.text import render_text

        render_text(report, stream, color=color)
    elif fmt == "github":
        from preupload_guard.report.github import render_github

        stream.write(render_github(report, project_file=project_file))
    elif fmt == "markdown":
        from preupload_guard.report.markdown import render_markdown

        stream.write(render_markdown(report))
    elif fmt == "sarif":
        from preupload_guard.report.sarif import render_sarif

        stream.write(render_sarif(report))
    else:
        raise ValueError(f"unknown report format {fmt!r}")
