"""Run the real checks on files and read the findings back, for tests.

:func:`run_check` is the same pipeline as ``preupload-guard check`` (settings, plugin
manager, runner, renderers), with three differences that make tests exact: it is offline
unless an index is given, the ``[tool.preupload-guard]`` table is the ``config`` argument
(never a ``pyproject.toml`` that happens to lie in the working directory), and a plugin can
be passed as an object instead of being installed. The pytest fixture ``guard_check`` is
this function with a per-test cache directory.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preupload_guard.model.findings import Finding, Report, Severity
from preupload_guard.testing.index import FixtureIndex

__all__ = ["CheckRun", "run_check"]


@dataclass
class CheckRun:
    """The result of :func:`run_check`: the report plus the views tests ask for."""

    report: Report

    @property
    def findings(self) -> list[Finding]:
        return list(self.report.findings)

    @property
    def rules(self) -> list[str]:
        """Rule ids of the findings, in report order (errors first)."""
        return [f.rule for f in self.report.findings]

    def rules_for(self, filename: str) -> list[str]:
        """Rule ids of the findings about one file (its base name)."""
        return [f.rule for f in self.report.findings if f.file == filename]

    def finding(self, rule: str) -> Finding:
        """The first finding of ``rule``; fails the test, listing what was found, if none."""
        for f in self.report.findings:
            if f.rule == rule:
                return f
        raise AssertionError(f"no {rule!r} finding; found {self.rules or 'none'}")

    def findings_of(self, rule: str) -> list[Finding]:
        return [f for f in self.report.findings if f.rule == rule]

    @property
    def skipped(self) -> set[str]:
        return {s.rule for s in self.report.skipped}

    @property
    def plugin_errors(self) -> list[Finding]:
        """``plugin-error`` findings: a plugin that failed to load or raised."""
        return self.findings_of("plugin-error")

    @property
    def exit_code(self) -> int:
        """What ``preupload-guard check`` would exit with: 1 on any error finding, else 0."""
        return 0 if self.report.ok else 1

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.report.findings if f.severity is Severity.ERROR]

    @property
    def text(self) -> str:
        """The text report as the command prints it (no colour)."""
        from preupload_guard.report.text import render_text

        out = io.StringIO()
        render_text(self.report, out, color=False)
        return out.getvalue()

    @property
    def json(self) -> dict[str, Any]:
        """The JSON report (SPEC schema 1) as a dict."""
        from preupload_guard.report.json import render_json

        data: dict[str, Any] = json.loads(render_json(self.report))
        return data


def run_check(
    paths: Path | str | Iterable[Path | str],
    *,
    index: FixtureIndex | str | None = None,
    plugins: Mapping[str, object] | None = None,
    config: Mapping[str, Any] | None = None,
    autoload: bool | None = None,
    blocked: Sequence[str] = (),
    project_dir: Path | None = None,
    **options: Any,
) -> CheckRun:
    """Check ``paths`` (files, directories or globs) and return a :class:`CheckRun`.

    * ``index``: a :class:`FixtureIndex` (or a simple-API URL) to consult; ``None`` runs
      offline.
    * ``plugins``: name -> plugin object, registered as if installed under that entry-point
      name (rules become ``NAME/rule-id``).
    * ``config``: the ``[tool.preupload-guard]`` table as a dict, e.g.
      ``{"plugins": {"secrets": {"allow": ["tests/*"]}}}``; default empty.
    * ``autoload``: also load installed entry-point plugins; the default, ``None``, does so
      unless ``PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD`` is set, as the command does.
      ``False`` isolates the test from whatever else is installed. ``blocked``: names
      never loaded (``-p no:NAME``).
    * ``project_dir``: where relative paths in ``config`` (``history``) resolve; default the
      current directory.
    * other keyword arguments are the command-line options with ``_`` for ``-``
      (``select=["size"]``, ``upload_limit="200 MiB"``, ``history=path``, ...).
    """
    from preupload_guard.engine.config import load_settings
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks

    if isinstance(paths, (str, Path)):
        paths = [paths]
    cli: dict[str, Any] = dict(options)
    cli["paths"] = [str(p) for p in paths]
    if index is None:
        cli.setdefault("offline", True)
    else:
        if isinstance(index, FixtureIndex):
            cli.setdefault("index_url", index.simple_url)
            cli.setdefault("json_api_url", index.json_api_url)
        else:
            cli.setdefault("index_url", index)
        cli.setdefault("timeout", 5)
    settings = load_settings(cli, project_dir=project_dir, table=config or {})
    manager = PluginManager(load_entry_points=autoload, blocked=blocked, extra=plugins)
    return CheckRun(run_checks(settings, manager=manager))
