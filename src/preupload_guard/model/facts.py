"""Typed facts about a project on a package index.

:mod:`preupload_guard.index.client` fetches and merges the simple API (PEP 691 JSON or PEP 503
HTML) and the optional JSON API into these frozen objects; checks only ever see these, never
raw JSON. Every field the index may not offer is optional: ``None`` means "not known", which
is different from zero or empty.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from packaging.utils import canonicalize_version


class IndexUnreachable(Exception):
    """The index could not be asked: network error, timeout, HTTP 5xx, malformed answer.

    The runner turns it into an ``index-unreachable`` error finding; it is never a pass.
    """

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


def release_key(version: str) -> str:
    """The key PyPI finds a release by: ``canonicalize_version`` (``1.0`` == ``1.0.0``)."""
    return canonicalize_version(version)


@dataclass(frozen=True)
class IndexFile:
    """One file of a project as the index lists it."""

    filename: str
    version: str | None = None
    size: int | None = None
    sha256: str | None = None
    blake2_256: str | None = None
    upload_time: datetime | None = None
    package_type: str | None = None  # "sdist", "bdist_wheel", ...; None if unknown
    yanked: bool = False

    def same_content(self, sha256: str | None, blake2_256: str | None) -> bool | None:
        """Whether this file has these digests (``None``: no digest to compare)."""
        checks = []
        if self.sha256 and sha256:
            checks.append(self.sha256.lower() == sha256.lower())
        if self.blake2_256 and blake2_256:
            checks.append(self.blake2_256.lower() == blake2_256.lower())
        return all(checks) if checks else None

    @property
    def is_sdist(self) -> bool:
        """As PyPI counts sdists: packagetype ``sdist``, else a .tar.gz/.zip filename."""
        if self.package_type is not None:
            return self.package_type == "sdist"
        return self.filename.endswith((".tar.gz", ".zip"))


@dataclass(frozen=True)
class Release:
    """A release, keyed by canonical version.

    ``created`` is the earliest upload time among its files (PyPI's ``release.created`` is
    the time of the first upload). ``None`` when no file carries an upload time or when
    the release is listed without files (all deleted): its 14-day window is then unknown.
    """

    version: str
    files: tuple[IndexFile, ...] = ()
    created: datetime | None = None

    @property
    def has_sdist(self) -> bool:
        return any(f.is_sdist for f in self.files)


@dataclass(frozen=True)
class ProjectState:
    """Everything the index says about one project, merged from its sources."""

    name: str  # canonical (PEP 503) name that was asked for
    exists: bool
    display_name: str | None = None
    status: str | None = None  # PEP 792: "active", "archived", "quarantined", "deprecated"
    status_reason: str | None = None
    files: tuple[IndexFile, ...] = ()
    releases: Mapping[str, Release] = field(default_factory=dict)
    sources: tuple[str, ...] = ()  # e.g. ("simple-json",), ("simple-html", "json-api")
    url: str | None = None

    def file(self, filename: str) -> IndexFile | None:
        for f in self.files:
            if f.filename == filename:
                return f
        return None

    def holds_identical(self, filename: str, sha256: str | None,
                        blake2_256: str | None) -> bool:
        """PyPI's no-op case: a file of this name with these very bytes is on the index."""
        existing = self.file(filename)
        return existing is not None and existing.same_content(sha256, blake2_256) is True

    def release(self, version: str) -> Release | None:
        return self.releases.get(release_key(version))

    @property
    def total_size(self) -> int | None:
        """Sum of sizes of all current files, or ``None`` if any size is unknown."""
        total = 0
        for f in self.files:
            if f.size is None:
                return None
            total += f.size
        return total

    @property
    def largest_file(self) -> IndexFile | None:
        sized = [f for f in self.files if f.size is not None]
        return max(sized, key=lambda f: f.size or 0) if sized else None
