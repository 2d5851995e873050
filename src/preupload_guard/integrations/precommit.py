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

import contextlib
import fnmatch
import os
import subprocess
import sys
import tarfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
