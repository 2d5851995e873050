"""GitHub Actions workflow commands: one ``::error``/``::warning``/``::notice`` per finding.

GitHub turns only 10 errors, 10 warnings and 10 notices of a step into annotations and
drops the rest silently, so the findings are ordered errors first, anything past a limit
is printed as a plain log line, and a last annotation says how many were not shown (the
job summary and the JSON report have them all). Distribution files are not in the
repository, so annotations carry no ``file=`` except findings about the project's
metadata, which point at ``pyproject.toml`` when the caller says one exists.
"""

from __future__ import annotations

from preupload_guard.model.findings import Finding, Report, Severity
from preupload_guard.report.verdict import about_project, verdict

#: Annotations GitHub shows per step and per kind; later ones are dropped.
ANNOTATION_LIMIT = 10

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF would end or forge the command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A property value: as data, plus ``:`` and ``,`` which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _severity(finding: Finding) -> Severity:
    return finding.severity or Severity.ERROR


def finding_text(finding: Finding) -> str:
    """The message with the file name (when it does not already say it), the hint and
    whether PyPI would stop earlier."""
    text = finding.message
    if finding.file and finding.file not in text:
        text = f"{finding.file}: {text}"
    if finding.masked_by:
        text += f" (PyPI would stop earlier, at {finding.masked_by}; fix that first)"
    if finding.hint:
        text += f"\nFix: {finding.hint}"
    return text


def _command(report: Report, finding: Finding, project_file: str | None) -> str:
    props = []
    if project_file and about_project(report, finding):
        props.append(f"file={escape_property(project_file)}")
    props.append(f"title={escape_property(finding.rule)}")
    return (f"::{_COMMAND[_severity(finding)]} {','.join(props)}::"
            f"{escape_data(finding_text(finding))}")


def _plain(finding: Finding) -> str:
    """A log line for a finding past the annotation limit: one line, never a command."""
    text = " ".join(finding_text(finding).split())
    return f"{_severity(finding).value} {finding.rule}: {text}"


def render_github(report: Report, *, project_file: str | None = None) -> str:
    """The workflow commands, then the count of hidden annotations, then the verdict."""
    ordered = sorted(report.findings, key=lambda f: _severity(f).rank)  # stable
    by_kind = {sev: [f for f in ordered if _severity(f) is sev] for sev in Severity}
    overflow = any(len(items) > ANNOTATION_LIMIT for items in by_kind.values())
    # The closing count is itself a warning annotation: keep a slot free for it.
    budget = dict.fromkeys(Severity, ANNOTATION_LIMIT)
    if overflow:
        budget[Severity.WARNING] -= 1
    lines: list[str] = []
    hidden: list[Finding] = []
    for sev in Severity:
        shown = by_kind[sev][: budget[sev]]
        lines.extend(_command(report, f, project_file) for f in shown)
        hidden.extend(by_kind[sev][len(shown):])
    lines.extend(_plain(f) for f in hidden)
    if hidden:
        counts = []
        for sev in Severity:
            n = sum(1 for f in hidden if _severity(f) is sev)
            if n:
                counts.append(f"{n} more {_COMMAND[sev]}{'' if n == 1 else 's'}")
        listed = " and ".join([", ".join(counts[:-1]), counts[-1]] if len(counts) > 1
                              else counts)
        verb = "is" if len(hidden) == 1 else "are"
        lines.append(
            "::warning title=preupload-guard::"
            + escape_data(f"{listed} {verb} not shown as annotations; see the job summary "
                          "or the JSON report")
        )
    closing = f"preupload-guard: {verdict(report)}"
    if report.skipped:
        closing += f" {len(report.skipped)} rule(s) not checked (see the job summary)."
    lines.append(closing)
    return "\n".join(lines) + "\n"
