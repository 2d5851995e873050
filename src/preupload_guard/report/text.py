"""The human report: readable in a terminal (colour) and in CI logs (plain text).

Findings are grouped under the file they concern, errors first, each with the rule id,
PyPI's answer and the hint; skipped rules are listed so that nothing looks like a pass
that was never checked.
"""

from __future__ import annotations

from typing import TextIO

from rich.console import Console
from rich.markup import escape

from preupload_guard.model.findings import Finding, Report, Severity
from preupload_guard.model.settings import format_size
from preupload_guard.report.verdict import verdict

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_LABEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "info"}


def _finding_lines(console: Console, finding: Finding) -> None:
    sev = finding.severity or Severity.ERROR
    console.print(
        f"  [{_STYLE[sev]}]{_LABEL[sev]}[/] [bold]{escape(finding.rule)}[/]: "
        f"{escape(finding.message)}"
    )
    if finding.masked_by:
        console.print(
            f"      [dim](PyPI would stop earlier, at {escape(finding.masked_by)}; fix that "
            "first)[/]"
        )
    if finding.hint:
        console.print(f"      [green]fix:[/] {escape(finding.hint)}")


def render_text(report: Report, stream: TextIO, *, color: bool | None = None) -> None:
    console = Console(
        file=stream,
        highlight=False,
        soft_wrap=True,
        force_terminal=color if color is not None else None,
        no_color=color is False,
        emoji=False,
    )
    by_file: dict[str | None, list[Finding]] = {}
    for finding in report.findings:
        by_file.setdefault(finding.file, []).append(finding)
    if report.index_url:
        console.print(f"[dim]index: {escape(report.index_url)}[/]")
    for summary in report.files:
        findings = by_file.pop(summary.filename, [])
        worst = min((f.severity or Severity.ERROR for f in findings),
                    key=lambda s: s.rank, default=None)
        mark = {Severity.ERROR: "[bold red]FAIL[/]", Severity.WARNING: "[yellow]WARN[/]"}.get(
            worst, "[green]OK[/]"  # type: ignore[arg-type]
        )
        console.print(
            f"{mark} [bold]{escape(summary.filename)}[/] [dim]({format_size(summary.size)}"
            + (f", sha256 {summary.sha256[:12]}…" if summary.sha256 else "")
            + ")[/]"
        )
        for finding in findings:
            _finding_lines(console, finding)
    for file, findings in by_file.items():
        console.print(f"[bold]{escape(file) if file else 'all files'}[/]")
        for finding in findings:
            _finding_lines(console, finding)
    if report.skipped:
        reasons: dict[str, list[str]] = {}
        for skip in report.skipped:
            reasons.setdefault(skip.reason, []).append(skip.rule)
        for reason, rules in reasons.items():
            console.print(f"[dim]skipped {', '.join(rules)}: {escape(reason)}[/]")
    head, _, counts = verdict(report).partition(": ")
    style = "bold green" if report.ok else "bold red"
    console.print(f"[{style}]{escape(head)}[/]: {counts}")
