"""``preupload-guard hook {dist,release,version}``: the entries of the pre-commit hooks.

pre-commit has no branch filter, and a release check is only worth its cost (and its
network access) on a release branch, so every hook first finds the current branch and, on
any other branch, prints one line and exits 0 before reading any configuration. At
``pre-push`` pre-commit names the pushed refs in ``PRE_COMMIT_LOCAL_BRANCH`` and
``PRE_COMMIT_REMOTE_BRANCH``; otherwise git's ``HEAD`` decides. The three hooks:

* ``dist`` checks the files in ``dist/`` (expanded here: pre-commit runs no shell). A
  ``dist/`` with nothing in it is skipped with a message, not failed, so that the commit
  that bumps the version can happen before the build.
* ``release`` builds the project with ``python -m build`` into a temporary directory (never
  the user's ``dist/``) and checks exactly what it built. Isolated by default, like
  ``python -m build``; ``--no-isolation`` builds in the hook's own environment.
* ``version`` builds nothing: it reads the name and version from ``pyproject.toml`` and asks
  the index whether they can still be released. To reuse the rules' own logic and messages,
  it checks a stand-in for the sdist that the build would make (``name-version.tar.gz`` with
  only a ``PKG-INFO``), with the rules that are about the name and the version selected.
"""

from __future__ import annotations

import argparse
import glob
import tempfile
from dataclasses import replace
from pathlib import Path

from preupload_guard.cli.options import (
    COMMANDS,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL_FAILED,
    add_check_options,
    blocked_plugins,
    cli_options,
)
from preupload_guard.cli.output import emit_report, run_check
from preupload_guard.integrations import say
from preupload_guard.integrations.precommit import (
    DEFAULT_BRANCHES,
    DEFAULT_DIST,
    HOOK_DESCRIPTION,
    KINDS,
    VERSION_RULES,
    MetadataUnavailable,
    read_identity,
    skip_reason,
    write_sdist_stand_in,
)
from preupload_guard.model.settings import ConfigError


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """The arguments of ``preupload-guard hook`` (registered by ``cli.build_parser``)."""
    parser.add_argument("kind", choices=KINDS, help="which hook")
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="dist: files, directories or globs (default dist/); release and "
                        "version: the project directory (default .)")
    parser.add_argument("--branches", action="append", metavar="PATTERN",
                        help="act only on branches matching PATTERN (fnmatch, repeatable; "
                        f"default {', '.join(DEFAULT_BRANCHES)}; '*' for every branch)")
    parser.add_argument("--no-isolation", "-n", action="store_true",
                        help="release: build in this environment (passed to python -m "
                        "build); version: read a dynamic version in this environment only")
    add_check_options(parser)
    parser.set_defaults(func=run_hook)




def run_hook(args: argparse.Namespace) -> int:
    """``preupload-guard hook KIND``: skip off release branches, else run the hook."""
    patterns = tuple(args.branches) if args.branches else DEFAULT_BRANCHES
    reason = skip_reason(patterns)
    if reason is not None:
        say(f"hook {args.kind} skipped: {reason}")
        return EXIT_OK
    if args.kind == "dist":
        return _dist(args)
    srcdir = _project_dir(args)
    if args.kind == "release":
        return _release(args, srcdir)
    return _version(args, srcdir)


def _project_dir(args: argparse.Namespace) -> Path:
    if len(args.paths) > 1:
        raise ConfigError(f"hook {args.kind} takes one project directory, got "
                          f"{len(args.paths)} paths")
    srcdir = Path(args.paths[0] if args.paths else ".")
    if not srcdir.is_dir():
        raise ConfigError(f"project directory not found: {srcdir}")
    return srcdir


def _dist(args: argparse.Namespace) -> int:
    """Check what ``dist/`` holds; nothing built yet is a skip, not a failure."""
    from preupload_guard.engine.config import load_settings
    from preupload_guard.read.inputs import InputError, expand_inputs

    if args.no_isolation:
        raise ConfigError("--no-isolation applies to the release and version hooks only")
    arguments = list(args.paths) or [DEFAULT_DIST]
    present = [a for a in arguments if Path(a).exists() or glob.glob(a, recursive=True)]
    try:
        files = expand_inputs(present) if present else []
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if not files:
        say(f"hook dist: no distribution files in {', '.join(arguments)}: nothing to check "
             "(build them first, for example with python -m build)")
        return EXIT_OK
    settings = load_settings(cli_options(args, [str(f) for f in files]))
    return run_check(settings, blocked_plugins(args.plugin_blocks))


def _release(args: argparse.Namespace, srcdir: Path) -> int:
    """Build into a temporary directory (never ``dist/``) and check exactly those files."""
    from preupload_guard.engine.config import load_settings
    from preupload_guard.integrations.build_dists import BuildFailed, build_dists

    with tempfile.TemporaryDirectory(prefix="preupload-guard-release-") as tmp:
        try:
            built = build_dists(srcdir, Path(tmp), isolation=not args.no_isolation,
                                report_format=args.format or "text")
        except BuildFailed as exc:
            say(f"{exc}; nothing was checked")
            return EXIT_TOOL_FAILED
        if not built:
            raise ConfigError("python -m build succeeded but wrote no file")
        say(f"built {', '.join(p.name for p in built)} into a temporary directory "
             "(dist/ is untouched)")
        settings = load_settings(cli_options(args, [str(p) for p in built]),
                                 project_dir=srcdir)
        return run_check(settings, blocked_plugins(args.plugin_blocks))


def _version(args: argparse.Namespace, srcdir: Path) -> int:
    """Check the name and version of ``pyproject.toml`` against the index, building nothing."""
    from preupload_guard.engine.config import load_settings
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.policy import Policy
    from preupload_guard.engine.runner import run_checks
    from preupload_guard.model.findings import FileSummary
    from preupload_guard.read.artifact import Artifact

    try:
        identity = read_identity(srcdir, allow_isolated=not args.no_isolation)
    except MetadataUnavailable as exc:
        say(f"{exc}; nothing was checked")
        return EXIT_TOOL_FAILED
    settings = load_settings(cli_options(args, []), project_dir=srcdir)
    manager = PluginManager(blocked=blocked_plugins(args.plugin_blocks))
    # The user's --select/--ignore, validated; the hook itself selects the opt-in
    # version-exists (its reason to exist) unless the user ignores it.
    wanted = Policy(manager.rules, replace(settings, select=(
        (*settings.select, *(r for r in VERSION_RULES if r in manager.rules
                             and manager.rules[r].opt_in)) if settings.select else
        (*(r for r in VERSION_RULES if r in manager.rules and manager.rules[r].opt_in), "all"))))
    selected = tuple(r for r in VERSION_RULES if r in manager.rules and wanted.selected(r))
    if not selected:
        say("hook version: --select/--ignore leave none of its rules: nothing to check")
        return EXIT_OK
    with tempfile.TemporaryDirectory(prefix="preupload-guard-version-") as tmp:
        probe = write_sdist_stand_in(Path(tmp), identity.name, identity.version)
        say(f"checking {identity.name} {identity.version} ({identity.source}; nothing is "
             f"built) as its sdist {probe.name} would be checked")
        settings = replace(settings, select=selected, paths=(str(probe),))
        artifact = Artifact(probe)
        report = run_checks(settings, manager=manager, artifacts=[artifact])
    # The stand-in is no file to report on: the report names the project file instead.
    report.files = [FileSummary(probe.name, str(srcdir / "pyproject.toml"), 0, None, None,
                                artifact.project, identity.version)]
    emit_report(report, settings)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``hook`` to the command line."""
    hook = sub.add_parser("hook", help=COMMANDS["hook"][1],
                          description=HOOK_DESCRIPTION)
    configure_parser(hook)
