"""Renderers for ``preupload-guard size`` and ``limit-request``: text and JSON.

They format what :mod:`..size_report` gathered and decide nothing. The text of ``size``
reads top-down the way a maintainer fixes a file: what takes the space, the largest members,
what each fix would save, then whether a limit request stands a chance. The JSON carries
the same facts (``schema`` 1; fields are added, never renamed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.markup import escape

from preupload_guard.model.settings import format_size

if TYPE_CHECKING:
    from preupload_guard.advise.breakdown import SizeBreakdown
    from preupload_guard.advise.guidelines import Assessment
    from preupload_guard.advise.size_report import FileSize, LimitRequestResult, SizeReport

_VERDICT_STYLE = {"likely": "green", "possible": "yellow", "unlikely": "bold red",
                  "impossible": "bold red", "not-needed": "green", "unknown": "dim"}
_STATUS = {"over": "[bold red]over[/] the", "near": "[yellow]near[/] the", "ok": "of the"}


def _console(stream: TextIO, color: bool | None) -> Console:
    return Console(file=stream, highlight=False, soft_wrap=True, emoji=False,
                   force_terminal=color if color is not None else None,
                   no_color=color is False)


def _size(n: int | None) -> str:
    return format_size(n) if n else "-"


def _file_heading(console: Console, f: FileSize) -> None:
    share = f"{f.size / f.limit:.0%}"
    status = _STATUS[f.status]
    if f.status == "ok":
        text = f"{share} {status} {format_size(f.limit)} per-file limit"
    else:
        text = f"{status} {format_size(f.limit)} per-file limit ({share})"
    console.print(f"[bold]{escape(f.filename)}[/]: {format_size(f.size)}, {text}")


def _breakdown(console: Console, b: SizeBreakdown, top: int) -> None:
    estimated = " (per-member sizes in the file estimated)" if b.compressed_estimated else ""
    console.print(f"  {format_size(b.size)} uncompressed in {len(b.members):,} members"
                  f"{estimated}")
    console.print(f"  [dim]{'contents':<44} {'members':>7} {'in file':>10} "
                  f"{'uncompressed':>12} {'saving':>10}[/]")
    for g in b.groups:
        label = g.label + (f" ({g.detail})" if g.detail else "")
        console.print(f"  {escape(label[:44]):<44} {g.members:>7} {_size(g.compressed):>10} "
                      f"{_size(g.size):>12} {_size(g.saving):>10}")
    console.print("  [dim]largest members[/]")
    for m in b.largest(top):
        console.print(f"    {format_size(m.compressed):>10} ({format_size(m.size)})  "
                      f"{escape(m.name)}  [dim]{escape(m.description)}[/]")
    if b.debug:
        console.print("  [dim]debug information and symbols[/]")
        for d in b.debug[:top]:
            arch = f" {d.arch}" if d.arch else ""
            partial = " (at least)" if not d.complete else ""
            console.print(f"    {escape(d.name)} ({d.format}{arch}): "
                          f"{format_size(d.strippable_bytes)} strippable{partial}, "
                          f"{format_size(d.debug_bytes)} of it debug information; about "
                          f"{format_size(d.saving)} of the file")
    if b.duplicates:
        console.print("  [dim]duplicated members[/]")
        for dup in b.duplicates[:top]:
            console.print(f"    {len(dup.members)} copies of {format_size(dup.size)}: "
                          f"{escape(', '.join(dup.members))} (saves {format_size(dup.saving)})")
    fixes = sorted((g for g in b.groups if g.saving and g.fix), key=lambda g: -(g.saving or 0))
    if fixes:
        console.print("  [dim]fixes, biggest saving first[/]")
        for g in fixes:
            console.print(f"    [green]{escape(g.label)}[/] (saves {format_size(g.saving or 0)})"
                          f": {escape(g.fix)}")
    if b.easy_saving or b.full_saving:
        console.print(
            f"  together: stripping and leaving out tests, .pyc files and duplicates saves "
            f"about {format_size(b.easy_saving)} ({format_size(b.file_size - b.easy_saving)} "
            f"left); moving model weights, runtimes and executables out too, about "
            f"{format_size(b.full_saving)} ({format_size(b.file_size - b.full_saving)} left)")
    for note in b.notes:
        console.print(f"  [yellow]note:[/] {escape(note)}")


def render_assessment(console: Console, a: Assessment, indent: str = "  ") -> None:
    """The guideline check: verdict, then what counts for, against, and is unknown."""
    style = _VERDICT_STYLE.get(a.verdict, "")
    kind = "per-file" if a.request == "file" else "project-size"
    console.print(f"{indent}guideline check ({kind} request): [{style}]{a.verdict}[/] - "
                  f"{escape(a.summary)}")
    for reason in a.favourable:
        console.print(f"{indent}  [green]for[/]: {escape(reason.guideline)}: "
                      f"{escape(reason.evidence)}")
    for reason in a.against:
        console.print(f"{indent}  [red]against[/]: {escape(reason.guideline)}: "
                      f"{escape(reason.evidence)}")
    for item in a.unknown:
        console.print(f"{indent}  [dim]unknown[/]: {escape(item)}")


def render_size_text(report: SizeReport, stream: TextIO, *, color: bool | None = None,
                     top: int = 10) -> None:
    console = _console(stream, color)
    if report.index_url:
        console.print(f"[dim]index: {escape(report.index_url)}[/]")
    for error in report.index_errors:
        console.print(f"[yellow]warning:[/] could not ask the index: {escape(error)}; the "
                      "release cadence is unknown")
    for f in report.files:
        _file_heading(console, f)
        if f.breakdown is not None:
            _breakdown(console, f.breakdown, top)
        elif f.error:
            console.print(f"  [red]{escape(f.error)}[/]")
        if f.filename in report.assessments:
            render_assessment(console, report.assessments[f.filename])
            if report.assessments[f.filename].requested_limit:
                console.print(f"  [dim]`preupload-guard limit-request {escape(f.path)}` "
                              "drafts the request[/]")
    for project in report.projects.values():
        state = project.state
        if state is not None and state.exists and state.total_size is not None:
            console.print(f"project {escape(project.display)}: {format_size(state.total_size)} "
                          f"on the index, {state.total_size / report.project_limit:.0%} of "
                          f"the {format_size(report.project_limit)} project limit; "
                          f"{escape(project.cadence.describe())}")


def render_size_json(report: SizeReport, top: int = 10) -> str:
    return json.dumps(report.to_dict(top), indent=2, ensure_ascii=False) + "\n"


def render_limit_request_json(result: LimitRequestResult) -> str:
    return json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n"


#: Between two drafts on one output: PyPI wants one issue per request.
SEPARATOR = "\n<!-- ===== a second, separate request: file it as its own issue ===== -->\n\n"


def render_drafts(result: LimitRequestResult) -> str:
    """The Markdown drafts, ready to paste (empty when no request is needed)."""
    return SEPARATOR.join(result.drafts[a.request] for a in result.assessments
                          if a.request in result.drafts)


def render_limit_request_notes(result: LimitRequestResult, stream: TextIO, *,
                               color: bool | None = None) -> None:
    """What the maintainer should know before filing (for stderr, beside the draft)."""
    console = _console(stream, color)
    for error in result.index_errors:
        console.print(f"[yellow]warning:[/] could not ask the index: {escape(error)}")
    for a in result.assessments:
        render_assessment(console, a, indent="")
    if result.drafts:
        console.print("[dim]Fill in every [FILL IN: ...] placeholder before filing; "
                      "nothing was filed.[/]")
    else:
        console.print("No request drafted.")
