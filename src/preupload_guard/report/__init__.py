"""Renderers: each formats a finished :class:`~preupload_guard.model.findings.Report` and decides
nothing.

Renderers stay pure: anything they would have to look up on disk (whether a
``pyproject.toml`` exists to point annotations at) is passed in by the caller.
"""

from __future__ import annotations

from typing import TextIO

from preupload_guard.model.findings import Report


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
