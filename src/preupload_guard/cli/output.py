"""How a finished report leaves the process: printed in the chosen format, appended to the
GitHub job summary, written to ``--output``; and :func:`run_check`, the run-and-emit step
that ``check``, ``build`` and the hooks share.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from preupload_guard.cli.options import EXIT_FINDINGS, EXIT_OK
from preupload_guard.model.settings import ConfigError, Settings

if TYPE_CHECKING:
    from preupload_guard.model.findings import Report


def output_format(path: Path, fmt: str) -> str:
    """The format of ``--output PATH``: its suffix decides (``.json``, ``.sarif``,
    ``.sarif.json``, ``.md``), anything else keeps ``--format``. So the GitHub Action can
    annotate with ``--format github`` and keep ``--output report.json`` machine-readable."""
    name = path.name.lower()
    if name.endswith((".sarif", ".sarif.json")):
        return "sarif"
    if name.endswith(".json"):
        return "json"
    if name.endswith(".md"):
        return "markdown"
    return fmt


def _append_step_summary(report: Report) -> None:
    """Append the Markdown summary to ``$GITHUB_STEP_SUMMARY`` (never truncate it: other
    steps' summaries may be there). A file that cannot be written is a warning only."""
    import os

    from preupload_guard.report.markdown import render_markdown

    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    text = render_markdown(report).encode("utf-8")
    try:
        with open(target, "ab+") as fh:
            if fh.seek(0, os.SEEK_END):  # keep our heading off the previous last line
                fh.seek(-1, os.SEEK_END)
                if fh.read(1) != b"\n":
                    text = b"\n" + text
            fh.write(text)
    except OSError as exc:
        print(f"preupload-guard: warning: cannot append the job summary to {target}: {exc}",
              file=sys.stderr)


def emit_report(report: Report, settings: Settings) -> None:
    """Print the report in the chosen format, append the job summary under GitHub Actions
    (``--format github``), and write ``--output`` (format from its suffix) if asked."""
    from preupload_guard.report import render

    project_file = "pyproject.toml" if Path("pyproject.toml").is_file() else None
    render(report, settings.format, sys.stdout, project_file=project_file)
    sys.stdout.flush()
    if settings.format == "github":
        _append_step_summary(report)
    if settings.output is not None:
        fmt = output_format(settings.output, settings.format)
        try:
            settings.output.parent.mkdir(parents=True, exist_ok=True)
            with settings.output.open("w", encoding="utf-8") as fh:
                render(report, fmt, fh, color=False, project_file=project_file)
        except OSError as exc:
            raise ConfigError(f"cannot write the report to {settings.output}: {exc}") from None


def run_check(settings: Settings, blocked: Sequence[str] = ()) -> int:
    """Run the checks, print the report, write ``--output``; return the exit status."""
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks

    report = run_checks(settings, manager=PluginManager(blocked=blocked))
    emit_report(report, settings)
    return EXIT_OK if report.ok else EXIT_FINDINGS
