"""Would PyPI grant a larger limit? Its published guidelines, applied to what we found.

Limit requests wait weeks on PyPI's support tracker, so a maintainer should know before
filing whether one stands a chance, and what counts against it. PyPI's guidelines say:
small increases (up to 200 MiB) are usually granted for small pre-trained models, a small JAR
or executable, or another well-motivated reason; large ones for large compiled binaries that
keep platform, architecture or GPU support, or for projects tied to an established project or
organization; requests are usually denied for nightly or very frequent releases, large
pre-trained ML models, large JARs or executables, a bundled runtime for another language,
projects not tied to an established project or organization, and projects that made no best
effort to reduce size.

This module maps the facts of :mod:`.size_breakdown` and the index's upload times onto those
categories. It says honestly what counts against a request; what only the maintainer can
know (the organization behind the project, why the binaries must stay) is listed as unknown,
never guessed. It decides nothing about formatting: :mod:`.limit_request` drafts the text.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from packaging.version import InvalidVersion, Version

from preupload_guard.advise.breakdown import SizeBreakdown
from preupload_guard.model.facts import IndexFile, ProjectState
from preupload_guard.model.settings import (
    DEFAULT_UPLOAD_LIMIT,
    UPLOAD_LIMIT_CAP,
    GiB,
    MiB,
    format_size,
)

#: Increases up to this are "small" in PyPI's guidelines, with easier criteria.
SMALL_INCREASE = 200 * MiB
#: Room for growth asked on top of the largest file.
HEADROOM = 0.2
#: More releases than this in the last 90 days is "very frequent" (more than one a week).
FREQUENT_PER_QUARTER = 13
#: Admins enter project limits in whole GiB; we ask in steps of this.
PROJECT_STEP = 5 * GiB
#: Savings below this share of the file are not worth holding against a request.
SOFT_SAVING_SHARE = 0.05
NEAR_LIMIT_RATIO = 0.9

# The guideline categories, worded as PyPI's guidelines word them.
SMALL_MODEL = "a small pre-trained model"
SMALL_EXECUTABLE = "a small JAR or executable"
WELL_MOTIVATED = "another well-motivated reason"
COMPILED_BINARIES = "large compiled binaries that keep platform, architecture or GPU support"
ESTABLISHED = "a project tied to an established project or organization"
FREQUENT = "nightly or very frequent releases"
LARGE_MODELS = "large pre-trained ML models"
LARGE_EXECUTABLES = "large JARs or executables"
BUNDLED_RUNTIME = "a bundled runtime for another language"
NO_EFFORT = "no best effort to reduce size"


@dataclass(frozen=True)
class Sized:
    """A file the request is about: its size and, when it could be read, its breakdown."""

    filename: str
    size: int
    breakdown: SizeBreakdown | None = None
    version: str | None = None


@dataclass(frozen=True)
class Cadence:
    """How often the project releases, from the index's upload times.

    ``known`` is false when the index was not asked or gives no upload times; nothing may
    then be claimed about the cadence.
    """

    known: bool
    releases: int = 0
    last_year: int = 0
    last_quarter: int = 0
    dev_last_quarter: int = 0
    first: datetime | None = None
    latest: datetime | None = None
    median_days: float | None = None
    reason: str | None = None

    @property
    def frequent(self) -> bool:
        return self.known and self.last_quarter >= FREQUENT_PER_QUARTER

    def describe(self) -> str:
        """One sentence a reviewer can check against the index."""
        if not self.known:
            return f"release cadence unknown ({self.reason or 'the index was not consulted'})"
        if not self.releases:
            return "no release on the index yet"
        text = (f"{self.releases} release(s) on the index since {self.first:%Y-%m-%d}, "
                f"{self.last_year} in the last 12 months, {self.last_quarter} in the last "
                f"90 days; the latest on {self.latest:%Y-%m-%d}")
        if self.median_days is not None:
            text += f"; a median of {_days(self.median_days)} between recent releases"
        if self.dev_last_quarter:
            text += f" ({self.dev_last_quarter} development release(s) in the last 90 days)"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "known": self.known, "releases": self.releases, "last_year": self.last_year,
            "last_90_days": self.last_quarter, "dev_last_90_days": self.dev_last_quarter,
            "first": self.first.isoformat() if self.first else None,
            "latest": self.latest.isoformat() if self.latest else None,
            "median_days": self.median_days, "frequent": self.frequent,
            "reason": self.reason,
        }


def _days(days: float) -> str:
    return "less than a day" if days < 1 else f"{round(days)} day(s)"


def release_cadence(state: ProjectState | None, now: datetime, *,
                    reason: str | None = None) -> Cadence:
    """The cadence of ``state``'s releases as of ``now`` (``None``: the index was not asked)."""
    if state is None:
        return Cadence(False, reason=reason or "the index was not consulted")
    if not state.exists:
        return Cadence(True)
    created = sorted((r.created, r.version) for r in state.releases.values()
                     if r.created is not None)
    if not created:
        if not state.releases:
            return Cadence(True)
        return Cadence(False, reason="the index gives no upload times")
    times = [c for c, _ in created]
    year, quarter = now - timedelta(days=365), now - timedelta(days=90)
    gaps = [(b - a).total_seconds() / 86400 for a, b in pairwise(times[-13:])]
    return Cadence(
        True,
        releases=len(created),
        last_year=sum(1 for t in times if t >= year),
        last_quarter=sum(1 for t in times if t >= quarter),
        dev_last_quarter=sum(1 for t, v in created if t >= quarter and _is_dev(v)),
        first=times[0],
        latest=times[-1],
        median_days=statistics.median(gaps) if gaps else None,
    )


def _is_dev(version: str) -> bool:
    try:
        return Version(version).is_devrelease
    except InvalidVersion:
        return False


# -- what to ask for -----------------------------------------------------------------------


def requested_file_limit(largest: int) -> int | None:
    """The per-file limit to ask for: the largest file plus room to grow, rounded up.

    Rounded to 50 MiB up to 500 MiB, to 100 MiB above, and capped at PyPI's 1 GiB maximum.
    A file that fits a small increase (up to 200 MiB) with 5% to spare is not pushed into
    the large-increase category by the headroom alone, since that category has stricter
    criteria. ``None`` when the file is over 1 GiB: no limit can be granted for it.
    """
    if largest > UPLOAD_LIMIT_CAP:
        return None
    want = largest * (1 + HEADROOM)
    step = 50 * MiB if want <= 500 * MiB else 100 * MiB
    asked = math.ceil(want / step) * step
    if asked > SMALL_INCREASE >= largest * 1.05:
        asked = SMALL_INCREASE
    return min(asked, UPLOAD_LIMIT_CAP)


def requested_project_limit(after: int, growth_per_year: int | None, current: int) -> int:
    """The project limit to ask for: the total after this upload plus a year of growth.

    The growth is this release's size times the releases of the last year when the cadence
    is known, else half the total; rounded up to 5 GiB and always above the current limit.
    """
    growth = growth_per_year if growth_per_year is not None else after // 2
    want = after + growth
    asked = math.ceil(want / PROJECT_STEP) * PROJECT_STEP
    return max(asked, math.ceil((current + 1) / PROJECT_STEP) * PROJECT_STEP)


# -- the assessment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """A guideline category that applies, and the evidence for it."""

    guideline: str
    evidence: str
    strong: bool = False  # against: usually enough for a denial by itself

    def to_dict(self) -> dict[str, Any]:
        return {"guideline": self.guideline, "evidence": self.evidence}


@dataclass(frozen=True)
class Assessment:
    """Whether a request is needed and likely to be granted, and why.

    ``verdict``: ``not-needed``, ``likely``, ``possible``, ``unlikely``, ``impossible``
    (a file over 1 GiB), or ``unknown`` (a project request without the index's totals).
    ``unknown`` lists what only the maintainer can say.
    """

    request: str  # "file" or "project"
    verdict: str
    summary: str
    current_limit: int
    requested_limit: int | None
    subject: str
    subject_size: int | None
    tier: str | None = None
    favourable: tuple[Reason, ...] = ()
    against: tuple[Reason, ...] = ()
    unknown: tuple[str, ...] = ()
    cadence: Cadence = field(default_factory=lambda: Cadence(False))

    @property
    def needed(self) -> bool:
        return self.verdict != "not-needed"

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request, "verdict": self.verdict, "summary": self.summary,
            "current_limit": self.current_limit, "requested_limit": self.requested_limit,
            "subject": self.subject, "subject_size": self.subject_size, "tier": self.tier,
            "favourable": [r.to_dict() for r in self.favourable],
            "against": [r.to_dict() for r in self.against],
            "unknown": list(self.unknown), "cadence": self.cadence.to_dict(),
        }


ORGANIZATION_UNKNOWN = (
    "whether the project is tied to an established project or organization: it counts "
    "for a request (and is nearly required above 200 MiB); its absence counts against")


def _names(names: Sequence[str], count: int = 2) -> str:
    shown = ", ".join(names[:count])
    return shown + (", ..." if len(names) > count else "")


def _effort(b: SizeBreakdown, size: int, limit: int) -> Reason | None:
    """What cheap fixes (strip, drop tests, .pyc and duplicates) would still save."""
    easy = b.easy_saving
    if easy <= 0:
        return None
    parts = [f"{g.label} {format_size(g.saving or 0)}" for g in b.groups
             if g.kind in ("debug-info", "tests", "bytecode", "duplicates") and g.saving]
    what = "; ".join(parts)
    if size - easy <= limit:
        return Reason(NO_EFFORT, f"the cheap fixes alone ({what}) would bring "
                      f"{b.filename} to about {format_size(size - easy)}, within the "
                      f"current {format_size(limit)} limit: no request is needed after them",
                      strong=True)
    if easy >= SOFT_SAVING_SHARE * size:
        return Reason(NO_EFFORT, f"about {format_size(easy)} could still be saved in "
                      f"{b.filename} ({what}); reviewers expect that done first")
    return None


def _frequency(cadence: Cadence) -> Reason | None:
    if not cadence.frequent:
        return None
    dev = (f", {cadence.dev_last_quarter} of them development releases"
           if cadence.dev_last_quarter else "")
    return Reason(FREQUENT, f"{cadence.last_quarter} releases in the last 90 days{dev}",
                  strong=True)


def assess_file_request(files: Sequence[Sized], limit: int, cadence: Cadence, *,
                        proven: IndexFile | None = None) -> Assessment:
    """Is a per-file limit request needed for ``files``, and would it likely be granted?

    ``proven`` is the largest file already on the index: when it is larger than the stated
    limit, the project evidently has a larger grant, and a file no larger needs no request.
    """
    if not files:
        raise ValueError("no files to assess")
    largest = max(files, key=lambda f: f.size)
    base = {"request": "file", "current_limit": limit, "subject": largest.filename,
            "subject_size": largest.size, "cadence": cadence}
    if (proven is not None and proven.size is not None and proven.size > limit
            and largest.size <= proven.size):
        return Assessment(verdict="not-needed", requested_limit=None, summary=(
            f"No request needed: the index already holds {proven.filename} of "
            f"{format_size(proven.size)}, so the project evidently has a granted limit of at "
            f"least that; record it with --upload-limit '{format_size(proven.size)}'."),
            **base)
    if largest.size < NEAR_LIMIT_RATIO * limit:
        return Assessment(verdict="not-needed", requested_limit=None, summary=(
            f"No request needed: the largest file, {largest.filename}, is "
            f"{format_size(largest.size)}, {largest.size / limit:.0%} of the "
            f"{format_size(limit)} limit."), **base)
    asked = requested_file_limit(largest.size)
    if asked is None:
        return Assessment(verdict="impossible", requested_limit=None, summary=(
            f"{largest.filename} is {format_size(largest.size)}: PyPI never grants a "
            f"per-file limit above {format_size(UPLOAD_LIMIT_CAP)}. Split it (move "
            "optional parts into extra packages) or reduce it; no request can help."),
            **base)
    tier = "small" if asked <= SMALL_INCREASE else "large"
    favourable: list[Reason] = []
    against: list[Reason] = []
    unknown: list[str] = [ORGANIZATION_UNKNOWN]
    b = largest.breakdown
    if b is None:
        unknown.append(f"what {largest.filename} holds: it could not be read")
    else:
        _judge_contents(b, largest.size, limit, tier, favourable, against, unknown)
    if (reason := _frequency(cadence)) is not None:
        against.append(reason)
    if not cadence.known:
        unknown.append(cadence.describe())
    if largest.version and _is_dev(largest.version):
        against.append(Reason(FREQUENT, f"{largest.filename} is a development release "
                              f"({largest.version}); nightly builds are usually denied"))
    verdict, summary = _file_verdict(tier, asked, favourable, against)
    return Assessment(verdict=verdict, requested_limit=asked, summary=summary, tier=tier,
                      favourable=tuple(favourable), against=tuple(against),
                      unknown=tuple(unknown), **base)


def _judge_contents(b: SizeBreakdown, size: int, limit: int, tier: str,
                    favourable: list[Reason], against: list[Reason],
                    unknown: list[str]) -> None:
    models = b.group("model-weights")
    if models is not None:
        what = f"{format_size(models.compressed)} of model weights ({_names(models.largest)})"
        if models.compressed > DEFAULT_UPLOAD_LIMIT:
            against.append(Reason(LARGE_MODELS, what + "; download them at first use "
                                  "instead", strong=True))
        elif tier == "small":
            favourable.append(Reason(SMALL_MODEL, what))
        elif size - models.compressed <= limit:
            against.append(Reason(NO_EFFORT, what + f": without them {b.filename} would "
                                  "fit the current limit"))
    executables = b.group("jar-executable")
    if executables is not None:
        what = (f"{format_size(executables.compressed)} of JARs and executables "
                f"({_names(executables.largest)})")
        if executables.compressed > DEFAULT_UPLOAD_LIMIT:
            against.append(Reason(LARGE_EXECUTABLES, what, strong=True))
        elif tier == "small":
            favourable.append(Reason(SMALL_EXECUTABLE, what))
    runtime = b.group("embedded-runtime")
    if runtime is not None:
        against.append(Reason(BUNDLED_RUNTIME, f"{runtime.detail or 'a runtime'} is bundled "
                              f"({format_size(runtime.compressed)}, {_names(runtime.largest)})",
                              strong=True))
    native = b.group("native-library")
    if native is not None and native.compressed >= b.file_size // 2:
        what = (f"{format_size(native.compressed)} of the {format_size(b.file_size)} file is "
                f"compiled native code ({native.members} libraries, the largest "
                f"{_names(native.largest, 1)})")
        favourable.append(Reason(COMPILED_BINARIES if tier == "large" else WELL_MOTIVATED,
                                 what))
        unknown.append("which platforms, architectures or GPU targets the binaries support, "
                       "and why they cannot be split into separate packages")
    if (effort := _effort(b, size, limit)) is not None:
        against.append(effort)
    if not b.complete:
        unknown.append(f"part of {b.filename} could not be read: " + "; ".join(b.notes))


def _file_verdict(tier: str, asked: int, favourable: list[Reason],
                  against: list[Reason]) -> tuple[str, str]:
    request = f"A {tier} increase to {format_size(asked)}"
    if any(r.strong for r in against):
        return "unlikely", (f"{request} is unlikely to be granted: "
                            + "; ".join(r.guideline for r in against if r.strong) + ".")
    if tier == "small":
        if favourable and not against:
            return "likely", (f"{request} is usually granted for "
                              + " and ".join(r.guideline for r in favourable) + ".")
        if against:
            return "possible", (f"{request} is possible, more likely once you fix what "
                                "counts against it: "
                                + "; ".join(r.guideline for r in against) + ".")
        return "possible", (f"{request} needs {WELL_MOTIVATED}: say in the request why the "
                            "size is needed.")
    if any(r.guideline == COMPILED_BINARIES for r in favourable) and not against:
        return "possible", (f"{request} is possible for {COMPILED_BINARIES}, and much more "
                            f"likely for {ESTABLISHED}.")
    return "unlikely", (f"{request} is usually granted only for {COMPILED_BINARIES} or "
                        f"{ESTABLISHED}; " + ("what counts against it: "
                                              + "; ".join(r.guideline for r in against)
                                              if against else "neither was found in the file")
                        + ".")


def assess_project_request(files: Sequence[Sized], state: ProjectState | None, limit: int,
                           cadence: Cadence) -> Assessment:
    """Is a project-size limit request needed after uploading ``files``, and likely?"""
    project = state.display_name or state.name if state is not None else None
    new = [f for f in files if state is None or state.file(f.filename) is None]
    adding = sum(f.size for f in new)
    total = (state.total_size if state.exists else 0) if state is not None else None
    base = {"request": "project", "current_limit": limit, "subject": project or "the project",
            "cadence": cadence}
    if total is None:
        why = ("the index was not consulted or could not be reached" if state is None
               else "the index does not list every file's size")
        return Assessment(verdict="unknown", requested_limit=None, subject_size=None,
                          summary=f"The project's total size is unknown ({why}).",
                          unknown=("the project's current total size (shown on its "
                                   "settings page on the index)",), **base)
    after = total + adding
    if after < NEAR_LIMIT_RATIO * limit:
        return Assessment(verdict="not-needed", requested_limit=None, subject_size=after,
                          summary=(f"No request needed: the project would total "
                                   f"{format_size(after)}, {after / limit:.0%} of its "
                                   f"{format_size(limit)} limit."), **base)
    growth = adding * cadence.last_year if cadence.known and cadence.last_year else None
    asked = requested_project_limit(after, growth, limit)
    favourable: list[Reason] = []
    against: list[Reason] = []
    unknown = [ORGANIZATION_UNKNOWN]
    if (reason := _frequency(cadence)) is not None:
        against.append(reason)
    elif cadence.known and cadence.releases:
        favourable.append(Reason("a steady release cadence",
                                 f"{cadence.last_year} release(s) in the last 12 months, "
                                 f"{cadence.last_quarter} in the last 90 days"))
    if not cadence.known:
        unknown.append(cadence.describe())
    wheels = [f for f in files if f.filename.endswith(".whl")]
    if len(wheels) >= 4:
        favourable.append(Reason(COMPILED_BINARIES, f"each release ships {len(wheels)} "
                                 "wheels, one per supported platform"))
    if cadence.releases >= 10:
        against.append(Reason(NO_EFFORT, f"{cadence.releases} releases are on the index; "
                              "reviewers usually ask to delete files of old releases first "
                              "(yanking frees nothing)"))
    wasted = sum(f.breakdown.easy_saving for f in files if f.breakdown is not None)
    if adding and wasted >= SOFT_SAVING_SHARE * adding:
        against.append(Reason(NO_EFFORT, f"about {format_size(wasted)} of this release "
                              "could be saved by stripping debug information and leaving "
                              "out tests, .pyc files and duplicates"))
    if any(r.strong for r in against):
        verdict = "unlikely"
        summary = (f"A project limit of {format_size(asked)} is unlikely to be granted: "
                   + "; ".join(r.guideline for r in against if r.strong) + ".")
    elif against:
        verdict = "possible"
        summary = (f"A project limit of {format_size(asked)} is possible, more likely once "
                   "you fix what counts against it: "
                   + "; ".join(r.guideline for r in against) + ".")
    else:
        verdict = "likely" if cadence.known else "possible"
        summary = (f"A project limit of {format_size(asked)} is {verdict} to be granted for "
                   "a project that releases at a steady pace and made efforts to reduce size."
                   if verdict == "likely" else
                   f"A project limit of {format_size(asked)} is possible; the release "
                   "cadence (unknown here) weighs heavily.")
    return Assessment(verdict=verdict, requested_limit=asked, subject_size=after,
                      summary=summary, favourable=tuple(favourable), against=tuple(against),
                      unknown=tuple(unknown), **base)
