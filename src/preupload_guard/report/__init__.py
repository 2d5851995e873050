"""Renderers: each formats a finished :class:`~preupload_guard.findings.Report` and decides
nothing."""

from __future__ import annotations

from typing import TextIO

from ..findings import Report


def render(report: Report, fmt: str, stream: TextIO, *, color: bool | None = None) -> None:
    """Write ``report`` to ``stream`` in format ``fmt``."""
    if fmt == "json":
        from .json import render_json

        stream.write(render_json(report))
    elif fmt == "text":
        from .text import render_text

        render_text(report, stream, color=color)
    else:
        raise ValueError(f"the {fmt!r} report format is not available yet")
