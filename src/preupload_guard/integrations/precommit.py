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
import contextlib
import fnmatch
import glob
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from preupload_guard.cli import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL_FAILED,
    add_check_options,
    blocked_plugins,
    cli_options,
    emit_report,
    run_check,
)
from preupload_guard.engine.config import load_settings
from preupload_guard.model.settings import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

KINDS = ("dist", "release", "version")
#: Release branches unless ``--branches`` says otherwise (fnmatch patterns, case-sensitive).
DEFAULT_BRANCHES = ("release/*", "release-*", "v[0-9]*")
PUSH_BRANCH_VARIABLES = ("PRE_COMMIT_LOCAL_BRANCH", "PRE_COMMIT_REMOTE_BRANCH")
DEFAULT_DIST = "dist"

#: What the ``version`` hook decides: the name rules, the version rules, and the framework's
#: own rules, which its selection must not drop (an unreachable index is not a pass).
VERSION_RULES = (
    "invalid-project-name",
    "stdlib-name",
    "similar-project-name",
    "project-archived",
    "project-quarantined",
    "new-project",
    "invalid-metadata",
    "local-version",
    "version-exists",
    "release-closed",
    "index-unreachable",
    "plugin-error",
)

HOOK_DESCRIPTION = (
    "The entries of the pre-commit hooks. On a branch that matches no --branches pattern "
    "(default: release/*, release-*, v[0-9]*) they print one line and exit 0. 'dist' checks "
    "dist/ (or the files, directories or globs given); 'release' builds the project with "
    "`python -m build` (isolated unless --no-isolation) into a temporary directory and checks "
    "what it built; 'version' builds nothing and checks the name and version of "
    "pyproject.toml against the index (is the version new, public, its release open?)."
)


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


# -- branches ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CurrentBranch:
    """The branch names a hook compares with the patterns, and where they came from.

    ``names`` is empty when there is no branch (detached HEAD, no git); ``problem`` then
    says why, for the skip message.
    """

    names: tuple[str, ...]
    source: str
    problem: str | None = None

    def describe(self) -> str:
        if not self.names:
            return self.problem or "no branch"
        shown = " / ".join(repr(n) for n in self.names)
        return f"branch {shown} ({self.source})"


def _short_ref(ref: str) -> str:
    return ref[len("refs/heads/"):] if ref.startswith("refs/heads/") else ref


def _git(args: Sequence[str], cwd: Path | None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)


def current_branch(environ: Mapping[str, str] | None = None,
                   cwd: Path | None = None) -> CurrentBranch:
    """The pushed branches at ``pre-push``, else the branch git has checked out."""
    env = os.environ if environ is None else environ
    pushed = [_short_ref(env[k].strip()) for k in PUSH_BRANCH_VARIABLES if env.get(k, "").strip()]
    if pushed:
        return CurrentBranch(tuple(dict.fromkeys(pushed)), "being pushed")
    try:
        result = _git(["rev-parse", "--abbrev-ref", "HEAD"], cwd)
        if result.returncode != 0:
            # A repository without commits has no HEAD to parse, but is on a branch.
            result = _git(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd)
    except (OSError, subprocess.SubprocessError) as exc:
        return CurrentBranch((), "git", f"the branch is unknown (cannot run git: {exc})")
    name = result.stdout.strip()
    if result.returncode != 0 or not name:
        lines = (result.stderr or "").strip().splitlines()
        why = lines[-1] if lines else "not on a branch"
        return CurrentBranch((), "git", f"the branch is unknown ({why})")
    if name == "HEAD":
        return CurrentBranch((), "git", "detached HEAD (not on a branch)")
    return CurrentBranch((name,), "checked out")


def matching_branch(branch: CurrentBranch, patterns: Sequence[str]) -> str | None:
    """The first of the branch's names that matches a pattern, or ``None``."""
    for name in branch.names:
        if any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns):
            return name
    return None


def skip_reason(patterns: Sequence[str], environ: Mapping[str, str] | None = None,
                cwd: Path | None = None) -> str | None:
    """Why the hook does nothing here (``None``: on a release branch, go on)."""
    branch = current_branch(environ, cwd)
    if matching_branch(branch, patterns) is not None:
        return None
    what = branch.describe() if branch.names else branch.problem
    return (f"{what} is not a release branch (patterns: {', '.join(patterns)}; "
            "change them with --branches)")


# -- name and version without building -----------------------------------------------------


class MetadataUnavailable(Exception):
    """The build backend could not say the project's name and version."""


@dataclass(frozen=True)
class ProjectIdentity:
    """A project's name and version, and where they were read (for the hook's output)."""

    name: str
    version: str
    source: str


def read_identity(srcdir: Path, *, allow_isolated: bool = True) -> ProjectIdentity:
    """Name and version: static ``[project]`` values, else the build backend's metadata.

    The backend is asked in this environment first (fast, offline: it works when the
    backend and its plugins are installed here), then, unless ``allow_isolated`` is false,
    in an isolated environment, which installs them from the package index.
    """
    pyproject = srcdir / "pyproject.toml"
    project: dict[str, Any] = {}
    if pyproject.is_file():
        try:
            with pyproject.open("rb") as fh:
                table = tomllib.load(fh).get("project", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read {pyproject}: {exc}") from None
        project = table if isinstance(table, dict) else {}
    elif not (srcdir / "setup.py").is_file():
        raise ConfigError(f"{srcdir} has no pyproject.toml or setup.py: not a project")
    dynamic = project.get("dynamic") or []
    name, version = project.get("name"), project.get("version")
    if (isinstance(name, str) and isinstance(version, str)
            and "name" not in dynamic and "version" not in dynamic):
        return ProjectIdentity(name, version, "static in pyproject.toml")
    metadata, source = _wheel_metadata(srcdir, allow_isolated)
    name, version = metadata.get("Name"), metadata.get("Version")
    if not name or not version:
        raise MetadataUnavailable(f"the build backend of {srcdir} gave no Name or Version")
    return ProjectIdentity(str(name), str(version), source)


def _wheel_metadata(srcdir: Path, allow_isolated: bool) -> tuple[Any, str]:
    from build.util import project_wheel_metadata

    try:
        found = project_wheel_metadata(srcdir, isolated=False)
        return found, "dynamic, from the build backend in this environment"
    except Exception as exc:  # any failure: the backend may just not be installed here
        here = _failure_text(exc)
    if not allow_isolated:
        raise MetadataUnavailable(f"could not read the version of {srcdir} from its build "
                                  f"backend in this environment ({here})")
    try:
        found = project_wheel_metadata(srcdir, isolated=True)
    except Exception as exc:
        raise MetadataUnavailable(
            f"could not read the version of {srcdir} from its build backend: in this "
            f"environment: {here}; in an isolated one: {_failure_text(exc)}") from None
    return found, "dynamic, from the build backend in an isolated environment"


def _failure_text(exc: BaseException) -> str:
    """The last line the backend wrote, else the exception: what the user can act on."""
    inner = getattr(exc, "exception", None)
    for stream in (getattr(inner, "output", None), getattr(inner, "stderr", None)):
        if isinstance(stream, bytes):
            stream = stream.decode("utf-8", "replace")
        lines = [line.strip() for line in (stream or "").splitlines() if line.strip()]
        if lines:
            return lines[-1]
    text = str(inner or exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


# -- the hooks ---------------------------------------------------------------------------


def _say(message: str) -> None:
    print(f"preupload-guard: {message}", file=sys.stderr)
    sys.stderr.flush()


def run_hook(args: argparse.Namespace) -> int:
    """``preupload-guard hook KIND``: skip off release branches, else run the hook."""
    patterns = tuple(args.branches) if args.branches else DEFAULT_BRANCHES
    reason = skip_reason(patterns)
    if reason is not None:
        _say(f"hook {args.kind} skipped: {reason}")
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
        _say(f"hook dist: no distribution files in {', '.join(arguments)}: nothing to check "
             "(build them first, for example with python -m build)")
        return EXIT_OK
    settings = load_settings(cli_options(args, [str(f) for f in files]))
    return run_check(settings, blocked_plugins(args.plugin_blocks))


def _release(args: argparse.Namespace, srcdir: Path) -> int:
    """Build into a temporary directory (never ``dist/``) and check exactly those files."""
    from preupload_guard.integrations.build_dists import BuildFailed, build_dists

    with tempfile.TemporaryDirectory(prefix="preupload-guard-release-") as tmp:
        try:
            built = build_dists(srcdir, Path(tmp), isolation=not args.no_isolation,
                                report_format=args.format or "text")
        except BuildFailed as exc:
            _say(f"{exc}; nothing was checked")
            return EXIT_TOOL_FAILED
        if not built:
            raise ConfigError("python -m build succeeded but wrote no file")
        _say(f"built {', '.join(p.name for p in built)} into a temporary directory "
             "(dist/ is untouched)")
        settings = load_settings(cli_options(args, [str(p) for p in built]),
                                 project_dir=srcdir)
        return run_check(settings, blocked_plugins(args.plugin_blocks))


def _version(args: argparse.Namespace, srcdir: Path) -> int:
    """Check the name and version of ``pyproject.toml`` against the index, building nothing."""
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.policy import Policy
    from preupload_guard.engine.runner import run_checks
    from preupload_guard.model.findings import FileSummary
    from preupload_guard.read.artifact import Artifact

    try:
        identity = read_identity(srcdir, allow_isolated=not args.no_isolation)
    except MetadataUnavailable as exc:
        _say(f"{exc}; nothing was checked")
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
        _say("hook version: --select/--ignore leave none of its rules: nothing to check")
        return EXIT_OK
    with tempfile.TemporaryDirectory(prefix="preupload-guard-version-") as tmp:
        probe = write_sdist_stand_in(Path(tmp), identity.name, identity.version)
        _say(f"checking {identity.name} {identity.version} ({identity.source}; nothing is "
             f"built) as its sdist {probe.name} would be checked")
        settings = replace(settings, select=selected, paths=(str(probe),))
        artifact = Artifact(probe)
        report = run_checks(settings, manager=manager, artifacts=[artifact])
    # The stand-in is no file to report on: the report names the project file instead.
    report.files = [FileSummary(probe.name, str(srcdir / "pyproject.toml"), 0, None, None,
                                artifact.project, identity.version)]
    emit_report(report, settings)
    return EXIT_OK if report.ok else EXIT_FINDINGS


def sdist_filename(name: str, version: str) -> str:
    """The sdist name a build backend gives the release (PEP 625, normalized version)."""
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    with contextlib.suppress(InvalidVersion):
        version = str(Version(version))
    stem = canonicalize_name(name, validate=False).replace("-", "_") or "UNKNOWN"
    return f"{stem}-{version}.tar.gz"


def write_sdist_stand_in(directory: Path, name: str, version: str) -> Path:
    """A ``.tar.gz`` holding only ``<stem>/PKG-INFO`` (and its directory) with these values."""
    import io

    name, version = " ".join(name.split()), " ".join(version.split())  # one header line each
    path = directory / sdist_filename(name, version).replace("/", "_").replace("\\", "_")
    data = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    stem = path.name[: -len(".tar.gz")]
    with tarfile.open(path, "w:gz") as tar:
        top = tarfile.TarInfo(stem)
        top.type, top.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(top)
        info = tarfile.TarInfo(f"{stem}/PKG-INFO")
        info.size = len(data)
        info.mode = 0o644
        tar.addfile(info, io.BytesIO(data))
    return path
