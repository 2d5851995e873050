"""``preupload-guard check`` (and its stand-alone parser, for ``twine guard``): files,
directories, globs and/or the files of a build report.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preupload_guard.cli.options import (
    CHECK_DESCRIPTION,
    COMMANDS,
    EXIT_FINDINGS,
    EXIT_OK,
    Parser,
    add_check_options,
    blocked_plugins,
    settings_from_args,
)
from preupload_guard.cli.output import emit_report, run_check
from preupload_guard.model.settings import ConfigError, Settings

if TYPE_CHECKING:
    pass


def check_parser(prog: str = "preupload-guard check") -> argparse.ArgumentParser:
    """A stand-alone parser for ``check``'s options (``twine guard`` uses it)."""
    parser = Parser(prog=prog, description=CHECK_DESCRIPTION)
    add_check_arguments(parser)
    return parser


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="FILE_OR_DIR_OR_GLOB")
    parser.add_argument("--build-report", metavar="PATH", help="check the files listed in "
                        "the JSON report of `python -m build --report PATH` (and make sure "
                        "they are unchanged)")
    add_check_options(parser)


def run_check_command(args: argparse.Namespace) -> int:
    """``check`` and ``twine guard``: files, directories, globs and/or a build report."""
    from preupload_guard.integrations.build_dists import read_build_report

    reported = read_build_report(Path(args.build_report)) if args.build_report else []
    paths = [str(r.path) for r in reported] + list(args.paths)
    settings = settings_from_args(args, paths or ["dist"])
    if not reported:
        return run_check(settings, blocked_plugins(args.plugin_blocks))
    return _check_reported(settings, blocked_plugins(args.plugin_blocks), reported)


def _check_reported(settings: Settings, blocked: Sequence[str], reported: Sequence[Any]) -> int:
    """Check, then make sure the files are the ones build reported (a usage error if not)."""
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks
    from preupload_guard.integrations.build_dists import report_mismatches

    report = run_checks(settings, manager=PluginManager(blocked=blocked))
    emit_report(report, settings)
    actual = {f.filename: (f.size, f.sha256) for f in report.files}
    problems = report_mismatches(reported, actual)
    if problems:
        raise ConfigError("the files changed after the build report was written: "
                          + "; ".join(problems))
    return EXIT_OK if report.ok else EXIT_FINDINGS


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``check`` to the command line."""
    check = sub.add_parser("check", help=COMMANDS["check"][1],
                           description=CHECK_DESCRIPTION)
    add_check_arguments(check)
    check.set_defaults(func=run_check_command)
