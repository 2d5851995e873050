"""Size rules: the per-file limit and the project's total (reference §2.8, §3.1).

PyPI counts the bytes while the upload streams and refuses as soon as the count is strictly
greater than the project's effective limit: ``max(100 MiB, granted)`` per file and
``max(10 GiB, granted)`` for the total of every current file of every release. Granted limits
are private; the user states them with ``--upload-limit`` / ``--project-limit``, and a file
already on the index that is larger than the stated limit proves a larger grant.

A file over or near its limit also gets an explanation: the three biggest contributors to
its size and the fix that saves the most (:mod:`..size_breakdown`). That breakdown reads
the file's members, so it is computed only for those files: every other file costs nothing
more than its size from the file system.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from preupload_guard.advise.breakdown import BreakdownReader, breakdown_of
from preupload_guard.model.findings import Finding, Rule, Severity, Skipped
from preupload_guard.model.hooks import hookimpl
from preupload_guard.model.settings import GiB, MiB, format_size
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

NEAR_LIMIT_RATIO = 0.9
STEP = 20  # the body is streamed and counted (reference §1, step 20)

RULES = [
    Rule(
        id="file-too-large",
        family="size",
        severity=Severity.ERROR,
        summary="The file is larger than the project's per-file upload limit",
        explanation=(
            "PyPI counts the bytes of each file as it arrives and refuses the upload once the "
            "count is strictly greater than the project's limit: 100 MiB by default, or a "
            "larger limit granted to the project (at most 1 GiB). A file of exactly the limit "
            "passes. PyPI answers: 400 File too large. Limit for project 'NAME' is 100 MB. "
            "See ... for more information. (the link points to the file-size limit section "
            "of PyPI's storage-limits documentation)"
        ),
        fix=(
            "Make the file smaller (strip debug symbols, drop test data and bundled models, "
            "split optional parts into extra packages), or request a file-size limit "
            "increase on PyPI's support tracker before releasing. If the project already "
            "has a larger limit, record it with --upload-limit (or upload-limit in "
            "[tool.preupload-guard]). `preupload-guard size FILE` shows what takes the space "
            "and what each fix saves; `preupload-guard limit-request FILE` drafts the request."
        ),
        step=STEP,
    ),
    Rule(
        id="project-too-large",
        family="size",
        severity=Severity.ERROR,
        summary="The project's total size on the index would exceed its limit",
        explanation=(
            "PyPI adds each file's bytes to the total size of every current file of every "
            "release of the project (yanked files count; deleted ones do not) and refuses "
            "the file once the sum is strictly greater than the project limit: 10 GiB by "
            "default, or a larger granted limit. Files are counted in upload order, wheels "
            "first; a byte-identical re-upload is counted too, then stores nothing. PyPI "
            "answers: 400 Project size too large. Limit for project 'NAME' total size is "
            "10 GB. See ... (a link to the project-size limit section of PyPI's "
            "storage-limits documentation)"
        ),
        fix=(
            "Delete files of old releases you no longer need (yanking does not free space), "
            "or request a project-size limit increase on PyPI's support tracker. If the "
            "project already has one, record it with --project-limit."
        ),
        needs_index=True,
        step=STEP + 0.1,
    ),
    Rule(
        id="size-near-limit",
        family="size",
        severity=Severity.WARNING,
        summary="A file or the project total uses 90% or more of its limit",
        explanation=(
            "Not a refusal yet: the file (or the project's total after this upload) is at or "
            "above 90% of its limit. The next release is likely to cross it, and limit "
            "requests take weeks to be answered."
        ),
        fix=(
            "Start reducing the size now, or request a limit increase on PyPI's support "
            "tracker well before the release that needs it. `preupload-guard size FILE` "
            "shows what takes the space; `preupload-guard limit-request FILE` drafts the "
            "request."
        ),
    ),
]


def explain_size(artifact: Artifact) -> tuple[str, str]:
    """What takes the space: a message suffix naming the three biggest contributors, and a
    hint prefix with the fix that saves the most (both empty when the file cannot be read).

    Never raises: the explanation must not hide the refusal it explains, and an archive
    that cannot be read is reported by the archive rules.
    """
    try:
        breakdown = breakdown_of(artifact)
    except Exception:  # a broken archive, or a bug here: the finding stands without it
        return "", ""
    parts = []
    for c in breakdown.contributors(3):
        example = f", e.g. {c.example}" if c.example else ""
        removable = " removable" if c.kind in ("debug-info", "duplicates") else ""
        parts.append(f"{c.label} {format_size(c.compressed)}{removable} "
                     f"({c.members} member{'s' if c.members != 1 else ''}{example})")
    message = f" Biggest contributors: {'; '.join(parts)}." if parts else ""
    best = breakdown.best_fix()
    hint = ""
    if best is not None and best.saving:
        hint = f"Biggest saving, {best.label} ({format_size(best.saving)}): {best.fix} "
    return message, hint


def _more(artifact: Artifact) -> str:
    return (f" `preupload-guard size {artifact.filename}` shows the whole breakdown; "
            f"`preupload-guard limit-request {artifact.filename}` drafts a limit request.")


def _limit_text(limit: int, unit: int, label: str) -> str:
    # PyPI prints ``limit // MiB`` with "MB" (and ``// GiB`` with "GB").
    return f"{limit // unit} {label}"


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_members(artifact: Artifact, context: Context) -> BreakdownReader | None:
    """A file over or near its limit is explained by what takes its space: that reading
    joins the file's one pass. Files below 90% of the limit are never read for it."""
    if artifact.archive_kind is None:
        return None
    if artifact.size < NEAR_LIMIT_RATIO * context.settings.effective_upload_limit:
        return None
    if not (context.selected("file-too-large") or context.selected("size-near-limit")):
        return None
    return BreakdownReader(artifact)


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    settings = context.settings
    limit = settings.effective_upload_limit
    display = artifact.name or artifact.project or "?"
    state = context.project(artifact.project)
    largest = state.largest_file if state is not None else None
    proven = largest.size if largest is not None and largest.size is not None else 0

    if artifact.size > limit:
        message = (
            f"{artifact.filename} is {format_size(artifact.size)} ({artifact.size:,} bytes), "
            f"over the {format_size(limit)} per-file limit; PyPI would answer: 400 File too "
            f"large. Limit for project {display!r} is {_limit_text(limit, MiB, 'MB')}."
        )
        if largest is not None and proven > limit:
            # A file this large is already on the index: a grant of at least that exists.
            evident = (
                f" The index already holds {largest.filename} of {format_size(proven)}, so this "
                f"project evidently has a granted limit of at least {format_size(proven)}"
            )
            if artifact.size <= proven:
                yield Finding(
                    "file-too-large",
                    message + evident + ": PyPI will most likely accept this file.",
                    artifact.filename,
                    hint=f"Record the granted limit: --upload-limit '{format_size(proven)}' "
                    "(or upload-limit in [tool.preupload-guard]).",
                    severity=Severity.WARNING,
                )
                return
            message += evident + ", and this file is larger still."
        contributors, fix = explain_size(artifact)
        yield Finding(
            "file-too-large",
            message + contributors,
            artifact.filename,
            hint=(
                f"{fix}Reduce the file below {format_size(limit)}, or request a file-size limit "
                "increase on PyPI's support tracker; if the project already has one, pass "
                "--upload-limit." + _more(artifact)
            ),
        )
    elif artifact.size >= NEAR_LIMIT_RATIO * limit:
        contributors, fix = explain_size(artifact)
        yield Finding(
            "size-near-limit",
            f"{artifact.filename} is {format_size(artifact.size)}, "
            f"{artifact.size / limit:.0%} of the {format_size(limit)} per-file limit."
            + contributors,
            artifact.filename,
            hint=(f"{fix}Reduce the size or request a limit "
                  "increase before the next release needs it." + _more(artifact)),
        )


@hookimpl
def preupload_guard_check_batch(
    artifacts: Sequence[Artifact], context: Context
) -> Iterator[Finding | Skipped]:
    limit = context.settings.effective_project_limit
    by_project: dict[str, list[Artifact]] = {}
    for artifact in artifacts:  # already in twine's upload order
        if artifact.project:
            by_project.setdefault(artifact.project, []).append(artifact)
    for project, files in by_project.items():
        state = context.project(project)
        if state is None:
            continue
        total = state.total_size if state.exists else 0
        if total is None:
            yield Skipped("project-too-large",
                          f"the index does not list file sizes for {project}")
            continue
        display = files[0].name or project
        evident = ""
        if total > limit:
            evident = (
                f" The project already totals {format_size(total)} on the index, so it "
                f"evidently has a larger granted limit; pass --project-limit to record it."
            )
        running = total
        for artifact in files:
            existing = state.file(artifact.filename)
            identical = existing is not None and existing.sha256 == artifact.sha256
            after = running + artifact.size
            if after > limit:
                yield Finding(
                    "project-too-large",
                    f"{artifact.filename} would bring project {display!r} to "
                    f"{format_size(after)} ({format_size(running)} already counted), over "
                    f"its {format_size(limit)} total; PyPI would answer: 400 Project size too "
                    f"large. Limit for project {display!r} total size is "
                    f"{_limit_text(limit, GiB, 'GB')}." + evident,
                    artifact.filename,
                    hint=(
                        "Delete files of old releases you no longer need (yanking frees "
                        "nothing), or request a project-size limit increase; if granted, "
                        "pass --project-limit."
                    ),
                )
                continue  # refused: it adds nothing to the total
            if not identical:
                running = after
        if NEAR_LIMIT_RATIO * limit <= running <= limit and running > total:
            yield Finding(
                "size-near-limit",
                f"project {display!r} would total {format_size(running)} after this upload, "
                f"{running / limit:.0%} of its {format_size(limit)} limit.",
                files[-1].filename,
                hint="Delete old files you no longer need, or request a project-size limit "
                "increase before it is reached.",
            )
