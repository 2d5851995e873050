"""Shared by every command: the exit statuses, the parser class, the options of ``check``
(which ``build``, ``hook``, ``upload`` and ``twine guard`` take too) and of ``size``, and
:func:`guarded`, which turns every failure into one plain line and an exit status.

Commands import this module, never each other.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

# model.settings (dataclasses, enum) is imported where it is used: ``preupload-guard --help``
# needs only this module's Parser and COMMANDS.
if TYPE_CHECKING:
    from preupload_guard.model.settings import Settings


EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

#: Every command, in ``--help`` order: name -> (its module under ``preupload_guard.cli``, its
#: line in ``--help``). The top-level parser lists the commands from this table alone and
#: imports only the module of the command that runs, so ``--help`` and each command pay for
#: their own imports, never for the other commands'. A command's ``register`` takes its help
#: line from here, so the listing and the command's own parser cannot disagree.
COMMANDS: dict[str, tuple[str, str]] = {
    "check": ("check", "check distribution files against the index's rules"),
    "upload": ("upload", "check, then upload with twine (takes every `twine upload` option; "
               "see `upload --help`)"),
    "build": ("build", "build sdist and wheel with `build`, then check them"),
    "hook": ("hook", "pre-commit hooks (dist, release, version); they act on release "
             "branches only"),
    "size": ("size", "what takes the space in each file, against the limits"),
    "limit-request": ("size", "draft a file-size or project-size limit request (Markdown, "
                      "never filed)"),
    "rules": ("rules", "list the rules, or explain one"),
    "plugins": ("plugins", "list installed plugins, their versions and rules"),
}


#: ``upload`` and ``build``: the wrapped tool (twine, build) failed.
EXIT_TOOL_FAILED = 3


class Parser(argparse.ArgumentParser):
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

    from preupload_guard.model.settings import FORMATS

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
    target.add_argument(*names("-j", "--jobs"), dest="jobs", type=int, metavar="N",
                        help="files checked at once (default: one per CPU)")
    target.add_argument(*names("--readers"), dest="readers",
                        choices=("auto", "threads", "processes"),  # model.settings.READERS
                        help="where files are read: worker processes (faster on several "
                        "CPUs) or threads; auto (default) uses processes for sets over "
                        "32 MiB when --jobs is 2 or more")

    limits = parser.add_argument_group(f"{title}: limits and history" if title
                                       else "limits and history")
    limits.add_argument(*names("--upload-limit"), dest="upload_limit", metavar="SIZE",
                        help="per-file limit granted to the project (default 100 MiB, at most "
                        "1 GiB); e.g. '300 MiB'")
    limits.add_argument(*names("--project-limit"), dest="project_limit", metavar="SIZE",
                        help="total size limit granted to the project (default 10 GiB)")
    limits.add_argument(*names("--history"), dest="history", metavar="PATH|URL",
                        help="the filename ledger (default: a per-index file in the user "
                        "cache); an http(s) URL is a shared ledger, read only, used beside "
                        "the local one")

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
    from preupload_guard.model.settings import ConfigError

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
    from preupload_guard.model.settings import ConfigError

    names = []
    for value in values:
        if not value.startswith("no:") or len(value) <= 3:
            raise ConfigError(f"-p takes no:NAME to block a plugin, got {value!r}")
        names.append(value[3:])
    return names


def settings_from_args(args: argparse.Namespace, paths: Sequence[str]) -> Settings:
    """Build Settings from parsed ``check`` options (the pyproject table fills the gaps)."""
    from preupload_guard.engine.config import load_settings  # tomllib: not for --help

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
        "jobs": args.jobs,
        "readers": args.readers,
        "progress": not args.no_progress,
    }


CHECK_DESCRIPTION = ("Check distribution files (files, directories or globs; default dist/) "
                     "against every rule PyPI applies on upload.")


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
    from preupload_guard.engine.config import load_settings

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


def write_output(path: str | None, text: str) -> None:
    from preupload_guard.model.settings import ConfigError

    if path is None:
        return
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc}") from None


def guarded(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command: plain one-line errors and exit statuses, never a traceback.

    ``--debug`` re-raises internal errors so that their traceback shows.
    """
    from preupload_guard.model.settings import ConfigError

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


def add_plugin_blocks(parser: argparse.ArgumentParser) -> None:
    """``-p no:NAME`` for the listing commands (``rules``, ``plugins``), as check has it."""
    parser.add_argument("-p", "--plugin", dest="plugin_blocks", action="append",
                        metavar="no:NAME", default=[],
                        help="leave a plugin out, as check's -p no:NAME does")
