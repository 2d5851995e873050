"""Command line: ``preupload-guard check | upload | build | hook | size | limit-request |
rules | plugins``.

Exit status: 0 no error finding, 1 at least one error finding, 2 usage error, unreadable
configuration or internal failure, 3 (``upload``, ``build``) the wrapped tool failed. Bad
input never ends in a traceback: every failure is one plain line on stderr (``--debug``
shows the traceback of an internal error).
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from preupload_guard import __version__
from preupload_guard.engine.config import load_settings
from preupload_guard.model.settings import FORMATS, ConfigError, Settings

if TYPE_CHECKING:
    from preupload_guard.model.findings import Report

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2
#: ``upload`` and ``build``: the wrapped tool (twine, build) failed.
EXIT_TOOL_FAILED = 3


class _Parser(argparse.ArgumentParser):
    """argparse that exits with status 2 and one line, like the rest of the tool."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def add_check_options(
    parser: argparse.ArgumentParser, *, twine_compatible: bool = False, prefix: str = ""
) -> None:
    """The options of ``check`` (shared with ``twine guard``, ``build`` and ``upload``).

    With ``twine_compatible`` the repository options are left out, because twine's own
    argument registration provides them. ``prefix`` (``"guard-"`` for ``upload``) renames
    every long option ``--x`` to ``--guard-x`` and drops the short ones, so that no option
    of ours can ever collide with one twine has or adds later; the destinations stay the
    same, so :func:`settings_from_args` reads either spelling.
    """

    def names(*flags: str) -> list[str]:
        if not prefix:
            return list(flags)
        return ["--" + prefix + f[2:] for f in flags if f.startswith("--")]

    title = f"preupload-guard options (all prefixed --{prefix})" if prefix else None
    target = parser.add_argument_group(f"{title}: target index" if title else "target index")
    if not twine_compatible:
        target.add_argument(*names("-r", "--repository"), help="repository name in .pypirc, "
                            "as for twine (default: pypi, or $TWINE_REPOSITORY)")
        target.add_argument(*names("--repository-url"), help="upload URL, as for twine; "
                            "implies the index to compare against ($TWINE_REPOSITORY_URL)")
        target.add_argument(*names("--config-file"), help="the .pypirc to read (default "
                            "~/.pypirc)")
    target.add_argument(*names("--index-url"), dest="index_url", help="simple API root "
                        "(…/simple/); overrides what the repository implies")
    target.add_argument(*names("--json-api-url"), dest="json_api_url", help="root of a "
                        "PyPI-style JSON API (URL<project>/json), for sizes, upload times and "
                        "blake2 digests")
    target.add_argument(*names("--offline"), dest="offline", action="store_true",
                        default=None, help="ask no index; index rules are listed as skipped")
    target.add_argument(*names("--timeout"), dest="timeout", type=float,
                        help="seconds per index request (default 30)")
    target.add_argument(*names("--cache-dir"), dest="cache_dir",
                        help="HTTP and name-list cache directory")

    limits = parser.add_argument_group(f"{title}: limits and history" if title
                                       else "limits and history")
    limits.add_argument(*names("--upload-limit"), dest="upload_limit", metavar="SIZE",
                        help="per-file limit granted to the project (default 100 MiB, at most "
                        "1 GiB); e.g. '300 MiB'")
    limits.add_argument(*names("--project-limit"), dest="project_limit", metavar="SIZE",
                        help="total size limit granted to the project (default 10 GiB)")
    limits.add_argument(*names("--history"), dest="history", metavar="PATH",
                        help="the filename ledger (default: a per-index file in the user "
                        "cache)")

    rules = parser.add_argument_group(f"{title}: rules and report" if title
                                      else "rules and report")
    rules.add_argument(*names("--select"), dest="select", action="append",
                       metavar="RULE_OR_FAMILY",
                       help="run only these rules or families (repeatable, comma-separated)")
    rules.add_argument(*names("--ignore"), dest="ignore", action="append",
                       metavar="RULE_OR_FAMILY",
                       help="do not run these rules or families (repeatable, comma-separated)")
    rules.add_argument(*names("--severity"), dest="severity", action="append",
                       metavar="RULE=LEVEL",
                       help="override a rule's or family's severity (error, warning, info)")
    rules.add_argument(*names("--format"), dest="format", choices=FORMATS,
                       help="report format (default text)")
    rules.add_argument(*names("--output"), dest="output", metavar="PATH",
                       help="also write the report to PATH, in the format its suffix names "
                       "(.json, .sarif or .sarif.json, .md); any other suffix keeps --format")
    rules.add_argument(*names("--no-progress"), dest="no_progress", action="store_true",
                       help="no progress bar")
    rules.add_argument(*names("-p", "--plugin"), dest="plugin_blocks", action="append",
                       metavar="no:NAME", default=[],
                       help="block a plugin by name (no:NAME), as pytest's -p does")
    rules.add_argument(*names("--debug"), dest="debug", action="store_true",
                       default=argparse.SUPPRESS,
                       help="show tracebacks of internal errors")


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
    return load_settings(cli_options(args, paths))


def cli_options(args: argparse.Namespace, paths: Sequence[str]) -> dict[str, Any]:
    """The parsed options as :func:`load_settings` takes them (``None``: not given)."""
    return {
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


def _cmd_build(args: argparse.Namespace) -> int:
    """``build``: python -m build into --outdir, then check exactly the files it built."""
    from preupload_guard.integrations.build_dists import BuildFailed, build_dists

    srcdir = Path(args.srcdir)
    outdir = Path(args.outdir) if args.outdir else srcdir / "dist"
    try:
        built = build_dists(srcdir, outdir, isolation=not args.no_isolation,
                            report_format=args.format or "text")
    except BuildFailed as exc:
        print(f"preupload-guard: {exc}; nothing was checked", file=sys.stderr)
        return EXIT_TOOL_FAILED
    if not built:
        raise ConfigError("python -m build succeeded but wrote no file")
    print(f"preupload-guard: built {', '.join(p.name for p in built)} into {outdir}",
          file=sys.stderr)
    settings = load_settings(cli_options(args, [str(p) for p in built]), project_dir=srcdir)
    return run_check(settings, blocked_plugins(args.plugin_blocks))


def _cmd_rules(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from preupload_guard.engine.plugins import PluginManager

    manager = PluginManager(blocked=blocked_plugins(args.plugin_blocks))
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
    # Ids and families are copied into --select/--ignore: they never wrap; summaries do.
    for column in ("rule", "family", "severity", "index"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary")
    for rule in sorted(manager.rules.values(), key=lambda r: (r.family, r.id)):
        table.add_row(rule.id, rule.family, rule.severity.value,
                      "yes" if rule.needs_index else "", escape(rule.summary))
    console.print(table)
    return EXIT_OK


def _cmd_plugins(args: argparse.Namespace) -> int:
    from preupload_guard.engine.plugins import PluginManager

    blocked = blocked_plugins(args.plugin_blocks)
    manager = PluginManager(blocked=blocked)
    for info in manager.plugin_infos():
        origin = "built-in" if info.builtin else f"{info.distribution or '?'} {info.version or ''}"
        print(f"{info.name}  ({origin.strip()})")
        for rule in info.rules:
            print(f"    {rule}")
    for name in blocked:
        print(f"{name}  (blocked by -p no:{name})")
    for finding in manager.load_errors:
        print(f"error: {finding.message}", file=sys.stderr)
    return EXIT_FINDINGS if manager.load_errors else EXIT_OK


def add_size_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``size`` and ``limit-request``: the index (for the project's total
    and its release cadence) and the limits, as ``check`` spells them, plus the format."""
    parser.add_argument("paths", nargs="*", metavar="FILE_OR_DIR_OR_GLOB",
                        help="distribution files, directories or globs (default: dist)")
    target = parser.add_argument_group("target index")
    target.add_argument("-r", "--repository", help="repository name in .pypirc, as for twine")
    target.add_argument("--repository-url", help="upload URL, as for twine")
    target.add_argument("--config-file", help="the .pypirc to read (default ~/.pypirc)")
    target.add_argument("--index-url", help="simple API root (…/simple/)")
    target.add_argument("--json-api-url", help="root of a PyPI-style JSON API, for upload "
                        "times (release cadence) and sizes")
    target.add_argument("--offline", action="store_true", default=None,
                        help="ask no index: the project's total and release cadence are "
                        "then unknown")
    target.add_argument("--timeout", type=float, help="seconds per index request")
    target.add_argument("--cache-dir", help="HTTP cache directory")
    limits = parser.add_argument_group("limits")
    limits.add_argument("--upload-limit", metavar="SIZE",
                        help="per-file limit granted to the project (default 100 MiB)")
    limits.add_argument("--project-limit", metavar="SIZE",
                        help="total size limit granted to the project (default 10 GiB)")
    out = parser.add_argument_group("output")
    out.add_argument("--format", choices=("text", "json"), default="text",
                     help="output format (default text)")
    out.add_argument("--output", metavar="PATH", help="also write the output to PATH")
    out.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                     help="show tracebacks of internal errors")


def size_settings(args: argparse.Namespace) -> Settings:
    """Settings for ``size``/``limit-request`` (the pyproject table fills the gaps)."""
    return load_settings({
        "paths": list(args.paths) or ["dist"],
        "repository": args.repository,
        "repository_url": args.repository_url,
        "config_file": args.config_file,
        "index_url": args.index_url,
        "json_api_url": args.json_api_url,
        "upload_limit": args.upload_limit,
        "project_limit": args.project_limit,
        "offline": args.offline,
        "cache_dir": args.cache_dir,
        "timeout": args.timeout,
        "progress": False,
    })


def _write_output(path: str | None, text: str) -> None:
    if path is None:
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from None


def _cmd_size(args: argparse.Namespace) -> int:
    """``size``: what takes the space in each file, the fixes, the guideline check."""
    import io

    from preupload_guard.advise.size_report import build_size_report
    from preupload_guard.report.size import render_size_json, render_size_text

    report = build_size_report(size_settings(args))
    if args.format == "json":
        text = render_size_json(report, args.top)
        sys.stdout.write(text)
    else:
        render_size_text(report, sys.stdout, top=args.top)
        if args.output is None:
            return EXIT_OK
        buffer = io.StringIO()
        render_size_text(report, buffer, color=False, top=args.top)
        text = buffer.getvalue()
    _write_output(args.output, text)
    return EXIT_OK


def _cmd_limit_request(args: argparse.Namespace) -> int:
    """``limit-request``: the draft on stdout (ready to paste), the assessment on stderr."""
    from preupload_guard.advise.size_report import build_limit_request
    from preupload_guard.report.size import (
        render_drafts,
        render_limit_request_json,
        render_limit_request_notes,
    )

    result = build_limit_request(size_settings(args), kind=args.kind,
                                 tool=f"preupload-guard {__version__}")
    if args.format == "json":
        text = render_limit_request_json(result)
    else:
        text = render_drafts(result)
        render_limit_request_notes(result, sys.stderr)
    sys.stdout.write(text)
    _write_output(args.output, text)
    return EXIT_OK


def check_parser(prog: str = "preupload-guard check") -> argparse.ArgumentParser:
    """A stand-alone parser for ``check``'s options (``twine guard`` uses it)."""
    parser = _Parser(prog=prog, description=CHECK_DESCRIPTION)
    _add_check_arguments(parser)
    return parser


CHECK_DESCRIPTION = ("Check distribution files (files, directories or globs; default dist/) "
                     "against every rule PyPI applies on upload.")


def _add_check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="FILE_OR_DIR_OR_GLOB")
    parser.add_argument("--build-report", metavar="PATH", help="check the files listed in "
                        "the JSON report of `python -m build --report PATH` (and make sure "
                        "they are unchanged)")
    add_check_options(parser)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="preupload-guard",
        description="Would the package index refuse these files? Find out before uploading.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    check = sub.add_parser("check", help="check distribution files against the index's rules",
                           description=CHECK_DESCRIPTION)
    _add_check_arguments(check)
    check.set_defaults(func=run_check_command)

    # Parsed by its own parser (twine's options plus ours; see integrations/upload.py):
    # main() hands it everything after the word "upload". Listed here for --help.
    sub.add_parser("upload", add_help=False,
                   help="check, then upload with twine (takes every `twine upload` option; "
                   "see `upload --help`)")

    build = sub.add_parser("build", help="build sdist and wheel with `build`, then check them",
                           description="Build the sdist and the wheel with `python -m build` "
                           "(in an isolated environment unless --no-isolation), then check "
                           "exactly the files it built.")
    build.add_argument("srcdir", nargs="?", default=".", metavar="SRCDIR",
                       help="the project to build (default: the current directory)")
    build.add_argument("--outdir", "-o", metavar="DIR",
                       help="where the files go (default: SRCDIR/dist)")
    build.add_argument("--no-isolation", "-n", action="store_true",
                       help="build in this environment (passed to python -m build)")
    add_check_options(build)
    build.set_defaults(func=_cmd_build)

    from preupload_guard.integrations import precommit

    hook = sub.add_parser("hook", help="pre-commit hooks (dist, release, version); they act "
                          "on release branches only", description=precommit.HOOK_DESCRIPTION)
    precommit.configure_parser(hook)

    size = sub.add_parser("size", help="what takes the space in each file, against the "
                          "limits", description="Break each file down: the largest members "
                          "by kind (native libraries, debug information, model weights, JARs "
                          "and executables, embedded runtimes, duplicates, tests, .pyc), what "
                          "each usual fix would save, and, for a file near or over its limit, "
                          "whether a limit request would likely be granted.")
    add_size_options(size)
    size.add_argument("--top", type=int, default=10, metavar="N",
                      help="largest members shown per file (default 10)")
    size.set_defaults(func=_cmd_size)

    request = sub.add_parser("limit-request", help="draft a file-size or project-size limit "
                             "request (Markdown, never filed)",
                             description="Draft the text of a limit request for PyPI's "
                             "support tracker, from the files and the index: Markdown on "
                             "stdout, ready to paste once every [FILL IN: ...] placeholder is "
                             "filled; the honest assessment goes to stderr. Nothing is filed.")
    add_size_options(request)
    request.add_argument("--kind", choices=("auto", "file", "project"), default="auto",
                         help="which request: auto (whatever is needed), file or project")
    request.set_defaults(func=_cmd_limit_request)

    rules = sub.add_parser("rules", help="list the rules, or explain one")
    rules.add_argument("rule", nargs="?", help="a rule id")
    plugins = sub.add_parser("plugins", help="list installed plugins, their versions and rules")
    for listing in (rules, plugins):
        listing.add_argument("-p", "--plugin", dest="plugin_blocks", action="append",
                             metavar="no:NAME", default=[],
                             help="leave a plugin out, as check's -p no:NAME does")
    rules.set_defaults(func=_cmd_rules)
    plugins.set_defaults(func=_cmd_plugins)
    return parser


def guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command: plain one-line errors and exit statuses, never a traceback.

    ``--debug`` re-raises internal errors so that their traceback shows.
    """
    try:
        return int(func(args))
    except ConfigError as exc:
        print(f"preupload-guard: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("preupload-guard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # never a traceback for the user
        if getattr(args, "debug", False):
            raise
        print(f"preupload-guard: internal error: {type(exc).__name__}: {exc} "
              "(run with --debug for details, and please report it)", file=sys.stderr)
        return EXIT_USAGE


def _upload(args: argparse.Namespace) -> int:
    from preupload_guard.integrations.upload import upload

    return upload(args.argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `upload` has a parser of its own (twine's options): hand it the rest of the line.
    leading = 0
    while leading < len(argv) and argv[leading] == "--debug":
        leading += 1
    if leading < len(argv) and argv[leading] == "upload":
        debug = leading > 0 or "--guard-debug" in argv
        return guarded(_upload, argparse.Namespace(argv=argv[leading + 1 :], debug=debug))
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return guarded(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
