"""Command line: ``preupload-guard check | rules | plugins``.

Exit status: 0 no error finding, 1 at least one error finding, 2 usage error, unreadable
configuration or internal failure. Bad input never ends in a traceback: every failure is
one plain line on stderr (``--debug`` shows the traceback of an internal error).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Sequence
from typing import Any

from . import __version__
from .settings import FORMATS, ConfigError, Settings, load_settings

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, like the rest of the tool."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_check_options(parser: argparse.ArgumentParser, *, twine_compatible: bool = False) -> None:
    """The options of ``check`` (shared with ``twine guard`` and ``upload``).

    With ``twine_compatible`` the repository options are left out, because twine's own
    argument registration provides them.
    """
    target = parser.add_argument_group("target index")
    if not twine_compatible:
        target.add_argument("-r", "--repository", help="repository name in .pypirc, as for "
                            "twine (default: pypi, or $TWINE_REPOSITORY)")
        target.add_argument("--repository-url", help="upload URL, as for twine; implies the "
                            "index to compare against ($TWINE_REPOSITORY_URL)")
        target.add_argument("--config-file", help="the .pypirc to read (default ~/.pypirc)")
    target.add_argument("--index-url", help="simple API root (…/simple/); overrides what the "
                        "repository implies")
    target.add_argument("--json-api-url", help="root of a PyPI-style JSON API "
                        "(URL<project>/json), for sizes, upload times and blake2 digests")
    target.add_argument("--offline", action="store_true", default=None,
                        help="ask no index; index rules are listed as skipped")
    target.add_argument("--timeout", type=float, help="seconds per index request (default 30)")
    target.add_argument("--cache-dir", help="HTTP and name-list cache directory")

    limits = parser.add_argument_group("limits and history")
    limits.add_argument("--upload-limit", metavar="SIZE", help="per-file limit granted to the "
                        "project (default 100 MiB, at most 1 GiB); e.g. '300 MiB'")
    limits.add_argument("--project-limit", metavar="SIZE", help="total size limit granted to "
                        "the project (default 10 GiB)")
    limits.add_argument("--history", metavar="PATH", help="the filename ledger (default: a "
                        "per-index file in the user cache)")

    rules = parser.add_argument_group("rules and report")
    rules.add_argument("--select", action="append", metavar="RULE_OR_FAMILY",
                       help="run only these rules or families (repeatable, comma-separated)")
    rules.add_argument("--ignore", action="append", metavar="RULE_OR_FAMILY",
                       help="do not run these rules or families (repeatable, comma-separated)")
    rules.add_argument("--severity", action="append", metavar="RULE=LEVEL",
                       help="override a rule's or family's severity (error, warning, info)")
    rules.add_argument("--format", choices=FORMATS, help="report format (default text)")
    rules.add_argument("--output", metavar="PATH", help="also write the report to PATH")
    rules.add_argument("--no-progress", action="store_true", help="no progress bar")
    rules.add_argument("-p", dest="plugin_blocks", action="append", metavar="no:NAME",
                       default=[], help="block a plugin by name (-p no:NAME)")


def _parse_severity(values: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for value in values or ():
        for item in value.split(","):
            if not item.strip():
                continue
            if "=" not in item:
                raise ConfigError(f"--severity takes RULE=LEVEL, got {item!r}")
            key, _, level = item.partition("=")
            out[key.strip()] = level.strip()
    return out


def blocked_plugins(values: Sequence[str]) -> list[str]:
    names = []
    for value in values:
        if not value.startswith("no:") or len(value) <= 3:
            raise ConfigError(f"-p takes no:NAME to block a plugin, got {value!r}")
        names.append(value[3:])
    return names


def settings_from_args(args: argparse.Namespace, paths: Sequence[str]) -> Settings:
    """Build Settings from parsed ``check`` options (the pyproject table fills the gaps)."""
    cli: dict[str, Any] = {
        "paths": list(paths),
        "repository": getattr(args, "repository", None),
        "repository_url": getattr(args, "repository_url", None),
        "config_file": getattr(args, "config_file", None),
        "index_url": args.index_url,
        "json_api_url": args.json_api_url,
        "upload_limit": args.upload_limit,
        "project_limit": args.project_limit,
        "history": args.history,
        "offline": args.offline,
        "select": args.select,
        "ignore": args.ignore,
        "severity": _parse_severity(args.severity),
        "format": args.format,
        "output": args.output,
        "cache_dir": args.cache_dir,
        "timeout": args.timeout,
        "progress": not args.no_progress,
    }
    return load_settings(cli)


def run_check(settings: Settings, blocked: Sequence[str] = ()) -> int:
    """Run the checks, print the report, write ``--output``; return the exit status."""
    from .plugins import PluginManager
    from .report import render
    from .runner import run_checks

    manager = PluginManager(blocked=blocked)
    report = run_checks(settings, manager=manager)
    render(report, settings.format, sys.stdout)
    sys.stdout.flush()
    if settings.output is not None:
        try:
            settings.output.parent.mkdir(parents=True, exist_ok=True)
            with settings.output.open("w", encoding="utf-8") as fh:
                render(report, settings.format, fh, color=False)
        except OSError as exc:
            raise ConfigError(f"cannot write the report to {settings.output}: {exc}") from None
    return EXIT_OK if report.ok else EXIT_FINDINGS


def _cmd_check(args: argparse.Namespace) -> int:
    paths = args.paths or ["dist"]
    settings = settings_from_args(args, paths)
    return run_check(settings, blocked_plugins(args.plugin_blocks))


def _cmd_rules(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from .plugins import PluginManager

    manager = PluginManager()
    console = Console(highlight=False, soft_wrap=True)
    if args.rule:
        rule = manager.rules.get(args.rule)
        if rule is None:
            raise ConfigError(f"unknown rule {args.rule!r}; `preupload-guard rules` lists them")
        console.print(f"[bold]{rule.id}[/] ({rule.family}, {rule.severity.value}"
                      f"{', needs the index' if rule.needs_index else ''}"
                      f"{', since ' + rule.since if rule.since else ''})")
        console.print(escape(rule.summary))
        console.print()
        console.print(escape(textwrap.fill(rule.explanation, 88)) if rule.explanation else "")
        if rule.fix:
            console.print()
            console.print("[green]How to fix[/]")
            console.print(escape(textwrap.fill(rule.fix, 88)))
        return EXIT_OK
    table = Table(show_edge=False, pad_edge=False)
    for column in ("rule", "family", "severity", "index", "summary"):
        table.add_column(column)
    for rule in sorted(manager.rules.values(), key=lambda r: (r.family, r.id)):
        table.add_row(rule.id, rule.family, rule.severity.value,
                      "yes" if rule.needs_index else "", escape(rule.summary))
    console.print(table)
    return EXIT_OK


def _cmd_plugins(args: argparse.Namespace) -> int:
    from .plugins import PluginManager

    manager = PluginManager()
    for info in manager.plugin_infos():
        origin = "built-in" if info.builtin else f"{info.distribution or '?'} {info.version or ''}"
        print(f"{info.name}  ({origin.strip()})")
        for rule in info.rules:
            print(f"    {rule}")
    for finding in manager.load_errors:
        print(f"error: {finding.message}", file=sys.stderr)
    return EXIT_FINDINGS if manager.load_errors else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="preupload-guard",
        description="Would the package index refuse these files? Find out before uploading.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check distribution files against the index's rules",
                           description="Check distribution files (files, directories or globs; "
                           "default dist/) against every rule PyPI applies on upload.")
    check.add_argument("paths", nargs="*", metavar="FILE_OR_DIR_OR_GLOB")
    add_check_options(check)
    check.set_defaults(func=_cmd_check)

    rules = sub.add_parser("rules", help="list the rules, or explain one")
    rules.add_argument("rule", nargs="?", help="a rule id")
    rules.set_defaults(func=_cmd_rules)

    plugins = sub.add_parser("plugins", help="list installed plugins, their versions and rules")
    plugins.set_defaults(func=_cmd_plugins)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"preupload-guard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("preupload-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback for the user
        if args.debug:
            raise
        print(f"preupload-guard: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug for details, and please report it)", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
