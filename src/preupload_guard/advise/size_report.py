"""The facts behind ``preupload-guard size`` and ``limit-request``, gathered once.

Both commands need the same things: the files (expanded like ``check`` expands them), each
one's :class:`~.size_breakdown.SizeBreakdown`, and what the index says about the project
(its total, its releases' upload times). This module asks for them, the index through the
same :class:`~.runner.Context` the checks use (so an unreachable index is recorded, never
mistaken for an empty project), and returns plain results that the renderers of
:mod:`.report.size` only format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from packaging.utils import canonicalize_name

from preupload_guard.advise.breakdown import SizeBreakdown, breakdown_of
from preupload_guard.advise.guidelines import (
    NEAR_LIMIT_RATIO,
    Assessment,
    Cadence,
    Sized,
    assess_file_request,
    assess_project_request,
    release_cadence,
)
from preupload_guard.advise.limit_request import DraftContext, draft_request
from preupload_guard.model.context import Context
from preupload_guard.model.facts import ProjectState
from preupload_guard.model.settings import ConfigError, Settings
from preupload_guard.read.archives import ArchiveError
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.inputs import expand_inputs


@dataclass(frozen=True)
class FileSize:
    """One file: its size against the limit and, when readable, its breakdown."""

    filename: str
    path: str
    size: int
    project: str | None
    version: str | None
    limit: int
    breakdown: SizeBreakdown | None
    error: str | None = None

    @property
    def status(self) -> str:
        """``over``, ``near`` (90% of the limit or more) or ``ok``."""
        if self.size > self.limit:
            return "over"
        return "near" if self.size >= NEAR_LIMIT_RATIO * self.limit else "ok"

    def sized(self) -> Sized:
        return Sized(self.filename, self.size, self.breakdown, self.version)

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "filename": self.filename, "path": self.path, "size": self.size,
            "project": self.project, "version": self.version, "limit": self.limit,
            "share_of_limit": round(self.size / self.limit, 4), "status": self.status,
            "breakdown": self.breakdown.to_dict(top) if self.breakdown else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class ProjectFacts:
    """What the index says about one project (``state`` is ``None`` when not asked)."""

    name: str
    display: str
    state: ProjectState | None
    cadence: Cadence
    url: str | None

    def to_dict(self) -> dict[str, Any]:
        state = self.state
        return {
            "name": self.name, "display_name": self.display, "url": self.url,
            "exists": state.exists if state is not None else None,
            "total_on_index": state.total_size if state is not None and state.exists
            else (0 if state is not None else None),
            "cadence": self.cadence.to_dict(),
        }


@dataclass
class SizeReport:
    """Everything ``size`` shows: files, projects, one assessment per file near its limit."""

    files: list[FileSize]
    projects: dict[str, ProjectFacts]
    upload_limit: int
    project_limit: int
    index_url: str | None
    index_errors: list[str] = field(default_factory=list)
    assessments: dict[str, Assessment] = field(default_factory=dict)  # by filename

    def to_dict(self, top: int = 10) -> dict[str, Any]:
        return {
            "schema": 1,
            "command": "size",
            "index_url": self.index_url,
            "index_errors": self.index_errors,
            "limits": {"file": self.upload_limit, "project": self.project_limit},
            "projects": [p.to_dict() for p in self.projects.values()],
            "files": [
                {**f.to_dict(top), "assessment": (self.assessments[f.filename].to_dict()
                                                  if f.filename in self.assessments else None)}
                for f in self.files
            ],
        }


def project_url(settings: Settings, name: str) -> str | None:
    """The project's page on the index, derived from the settings, never hard-coded.

    A Warehouse-style JSON API root ``<host>/pypi/`` implies the page ``<host>/project/NAME/``;
    any other index only has its simple page ``<index>/NAME/``.
    """
    if settings.json_api_url and settings.json_api_url.rstrip("/").endswith("/pypi"):
        return settings.json_api_url.rstrip("/")[: -len("pypi")] + f"project/{name}/"
    if settings.index_url:
        return settings.index_url.rstrip("/") + f"/{name}/"
    return None


def index_label(settings: Settings) -> str | None:
    """``PyPI`` or ``TestPyPI`` when the target is twine's repository of that name."""
    name = settings.repository
    if name is None and settings.repository_url is None and settings.upload_url:
        name = "pypi"  # twine's default repository
    return {"pypi": "PyPI", "testpypi": "TestPyPI"}.get((name or "").lower())


def _open_context(settings: Settings, now: datetime) -> Context:
    index = None
    if not settings.offline and settings.index_url:
        from preupload_guard.index.client import Index

        index = Index(settings.index_url, settings.json_api_url,
                      cache_dir=settings.resolved_cache_dir, timeout=settings.timeout)
    return Context(settings=settings, now=now, index=index)


def _artifacts(settings: Settings) -> list[Artifact]:
    try:
        paths = expand_inputs(settings.paths)
    except Exception as exc:  # InputError, OSError from odd paths
        raise ConfigError(str(exc)) from None
    if not paths:
        raise ConfigError("no distribution files given")
    return [Artifact(p) for p in paths]


def _file_size(artifact: Artifact, limit: int, analyze: bool) -> FileSize:
    breakdown, error = None, None
    if analyze:
        try:
            breakdown = breakdown_of(artifact)
        except ArchiveError as exc:
            error = f"cannot read the archive: {exc}"
    return FileSize(artifact.filename, str(artifact.path), artifact.size, artifact.project,
                    artifact.version, limit, breakdown, error)


def _projects(context: Context, artifacts: Sequence[Artifact]) -> dict[str, ProjectFacts]:
    out: dict[str, ProjectFacts] = {}
    for artifact in artifacts:
        name = artifact.project
        if not name or name in out:
            continue
        state = context.project(name)
        reason = None
        if state is None and context.online:
            reason = "the index could not be reached"
        display = artifact.name or (state.display_name if state else None) or name
        out[name] = ProjectFacts(name, display, state,
                                 release_cadence(state, context.now, reason=reason),
                                 project_url(context.settings, canonicalize_name(name)))
    return out


def _index_errors(context: Context) -> list[str]:
    return list(dict.fromkeys(f"{e.url}: {e.reason}" for e in context.index_errors))


def recent_releases(state: ProjectState | None, count: int = 5
                    ) -> tuple[tuple[str, int | None, int], ...]:
    """The latest releases with files, newest first: version, total size, file count."""
    if state is None:
        return ()
    dated = sorted((r for r in state.releases.values() if r.files and r.created is not None),
                   key=lambda r: r.created, reverse=True)  # type: ignore[arg-type,return-value]
    out = []
    for release in dated[:count]:
        sizes = [f.size for f in release.files]
        total = None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
        out.append((release.version, total, len(release.files)))
    return tuple(out)


def build_size_report(settings: Settings, *, now: datetime | None = None) -> SizeReport:
    """Break every file down, and assess a per-file request for each one near its limit."""
    artifacts = _artifacts(settings)
    context = _open_context(settings, now or datetime.now(timezone.utc))
    limit = settings.effective_upload_limit
    try:
        projects = _projects(context, artifacts)
    finally:
        if context.index is not None:
            context.index.close()
    files = [_file_size(a, limit, analyze=True) for a in artifacts]
    report = SizeReport(files, projects, limit, settings.effective_project_limit,
                        None if settings.offline else settings.index_url,
                        _index_errors(context))
    for f in files:
        if f.status != "ok":
            facts = projects.get(f.project or "")
            cadence = facts.cadence if facts else Cadence(False)
            state = facts.state if facts else None
            report.assessments[f.filename] = assess_file_request(
                [f.sized()], limit, cadence, proven=state.largest_file if state else None)
    return report


@dataclass
class LimitRequestResult:
    """What ``limit-request`` produces: the assessments and, for each needed one, a draft."""

    project: ProjectFacts
    files: list[FileSize]
    assessments: list[Assessment]
    drafts: dict[str, str]  # by request kind ("file", "project")
    index_url: str | None
    index_errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": 1,
            "command": "limit-request",
            "index_url": self.index_url,
            "index_errors": self.index_errors,
            "project": self.project.to_dict(),
            "files": [f.to_dict() for f in self.files],
            "requests": [{**a.to_dict(), "draft": self.drafts.get(a.request)}
                         for a in self.assessments],
        }


def build_limit_request(settings: Settings, *, kind: str = "auto",
                        now: datetime | None = None, tool: str = "preupload-guard"
                        ) -> LimitRequestResult:
    """Assess the file-size and the project-size request for one project's files, and
    draft each one that is needed (``kind``: ``auto`` for both, ``file`` or ``project``).

    A project request whose need is unknown (offline: no project total) is drafted only
    when asked for by ``kind``, with the total left as a placeholder; a file over 1 GiB
    gets no draft at all, since no limit can be granted for it.
    """
    artifacts = _artifacts(settings)
    when = now or datetime.now(timezone.utc)
    context = _open_context(settings, when)
    try:
        projects = _projects(context, artifacts)
    finally:
        if context.index is not None:
            context.index.close()
    if len(projects) != 1:
        names = ", ".join(sorted(projects)) or "none"
        raise ConfigError(f"limit-request drafts one project's request; these files belong "
                          f"to {len(projects)} projects ({names}): run it once per project")
    project = next(iter(projects.values()))
    limit = settings.effective_upload_limit
    largest = max(a.size for a in artifacts)
    files = [_file_size(a, limit, analyze=a.size >= NEAR_LIMIT_RATIO * limit
                        or a.size == largest) for a in artifacts]
    sized = [f.sized() for f in files]
    assessments: list[Assessment] = []
    if kind in ("auto", "file"):
        proven = project.state.largest_file if project.state is not None else None
        assessments.append(assess_file_request(sized, limit, project.cadence, proven=proven))
    if kind in ("auto", "project"):
        assessments.append(assess_project_request(
            sized, project.state, settings.effective_project_limit, project.cadence))
    state = project.state
    ctx = DraftContext(project.display, project.url, index_label(settings),
                       state.exists if state is not None else None, tuple(sized), when, tool,
                       recent_releases(state))
    drafts = {
        a.request: draft_request(a, ctx) for a in assessments
        if a.needed and a.verdict != "impossible"
        and (a.verdict != "unknown" or kind == a.request)
    }
    return LimitRequestResult(project, files, assessments, drafts,
                              None if settings.offline else settings.index_url,
                              _index_errors(context))
