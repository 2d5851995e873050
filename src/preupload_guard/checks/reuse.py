"""Reuse rules: existing files, reused filenames, closed releases, a second sdist.

Mirrors PyPI's steps 22-25 (reference §2.9). Releases are matched by canonical version
(``1.0`` == ``1.0.0``). A byte-identical re-upload is a no-op for PyPI (200, nothing
stored), so it is reported as information and none of the later steps apply to it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

from preupload_guard.model.facts import IndexFile, ProjectState, release_key
from preupload_guard.model.findings import Finding, Rule, Severity, Skipped
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

RELEASE_WINDOW = timedelta(days=14)

RULES = [
    Rule(
        id="file-exists",
        family="reuse",
        severity=Severity.ERROR,
        summary="A file with this name, but different content, is already on the index",
        explanation=(
            "PyPI keeps one file per filename forever. Uploading different bytes under a "
            "filename that exists is refused with: 400 File already exists ('FILENAME', "
            "with blake2_256 hash 'HASH'). twine --skip-existing treats that answer as "
            "'already uploaded' and goes on, so a different artifact would silently pass "
            "for the published one."
        ),
        fix=(
            "Never rebuild a published version. Release a new version (a post-release such "
            "as 1.2.0.post1 for packaging-only changes) or, for a wheel, add a build tag."
        ),
        needs_index=True,
        step=22,
    ),
    Rule(
        id="identical-file",
        family="reuse",
        severity=Severity.INFO,
        summary="This exact file is already on the index (PyPI answers 200 and stores nothing)",
        explanation=(
            "When the filename, sha256 and blake2b-256 all match a file on PyPI, the upload "
            "is a no-op: PyPI answers 200 with an empty body and stores nothing, so twine "
            "reports success although nothing happened."
        ),
        fix="Nothing to do: the file is already published. Leave it out of the upload.",
        needs_index=True,
        step=22,
    ),
    Rule(
        id="content-exists",
        family="reuse",
        severity=Severity.ERROR,
        summary="The same content is already on the index (or in this upload) under another name",
        explanation=(
            "PyPI refuses a file whose blake2b-256 digest matches any existing file, whatever "
            "its name, with: 400 File already exists ('FILENAME', with blake2_256 hash "
            "'HASH'). The index lists the digests of this project's files; two files with "
            "the same bytes in one upload also collide."
        ),
        fix=(
            "You are uploading the same bytes twice under different names, usually a renamed "
            "copy. Upload the file once, under its proper name."
        ),
        needs_index=True,
        step=22,
    ),
    Rule(
        id="filename-reused",
        family="reuse",
        severity=Severity.ERROR,
        summary="The filename was used before by a file that has since been deleted",
        explanation=(
            "PyPI records every filename ever uploaded, and refuses one used by a deleted "
            "file with: 400 This filename was previously used by a file that has since been "
            "deleted. Use a different version. No public API lists deleted filenames; "
            "preupload-guard knows them from its filename ledger (--history), which every run "
            "and every upload extends."
        ),
        fix=(
            "Use a new version: a post-release (1.2.0 -> 1.2.0.post1) when only packaging "
            "changed, or, for a wheel, a build tag (name-1.2.0-1-py3-none-any.whl)."
        ),
        needs_index=True,
        step=23,
    ),
    Rule(
        id="release-closed",
        family="reuse",
        severity=Severity.ERROR,
        summary="The release was created more than 14 days ago and takes no new files",
        explanation=(
            "Since July 2026 PyPI refuses new files for a release whose first file was "
            "uploaded more than 14 days ago: 400 Uploading new files to releases older than "
            "14 days is not allowed. The release is found by canonical version, so 1.0.0 "
            "adds to release 1.0. Byte-identical re-uploads are not affected."
        ),
        fix=(
            "Publish the new files (for example wheels for a new Python version) in a new "
            "release, such as a post-release 1.2.0.post1."
        ),
        needs_index=True,
        since="2026-07-08",
        step=24,
    ),
    Rule(
        id="duplicate-sdist",
        family="reuse",
        severity=Severity.ERROR,
        summary="The release already has an sdist, or this upload holds two for one release",
        explanation=(
            "PyPI allows one sdist per release (PEP 527), whatever its name or format, yanked "
            "or not: 400 Only one sdist may be uploaded per release."
        ),
        fix=(
            "Upload a single .tar.gz sdist per release; remove stray .zip sdists or sdists "
            "of another spelling of the version from dist/."
        ),
        needs_index=True,
        step=25,
    ),
]


def next_post_release(version: str | None) -> str | None:
    """The post-release that would give new filenames: ``1.2.0`` -> ``1.2.0.post1``."""
    if not version:
        return None
    try:
        v = Version(version)
    except InvalidVersion:
        return None
    parts = [".".join(str(x) for x in v.release)]
    if v.epoch:
        parts.insert(0, f"{v.epoch}!")
    if v.pre is not None:
        parts.append(f"{v.pre[0]}{v.pre[1]}")
    parts.append(f".post{(v.post or 0) + 1}")
    if v.dev is not None:
        parts.append(f".dev{v.dev}")
    return "".join(parts)


def _same_content(existing: IndexFile, artifact: Artifact) -> bool | None:
    """Whether an index file has the artifact's bytes (``None``: no comparable digest)."""
    return existing.same_content(artifact.sha256, artifact.blake2_256)


def is_identical_upload(state: ProjectState | None, artifact: Artifact) -> bool:
    """PyPI's no-op case: same filename and same digests as a file it holds."""
    return state is not None and state.holds_identical(
        artifact.filename, artifact.sha256, artifact.blake2_256)


def _version_hint(artifact: Artifact) -> str:
    post = next_post_release(artifact.version)
    hint = f"Bump the version to a post-release such as {post}" if post else "Use a new version"
    if artifact.is_wheel:
        hint += ", or give the wheel a build tag (for example -1-) if only the build changed"
    return hint + "."


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_check_artifact(
    artifact: Artifact, context: Context
) -> Iterator[Finding | Skipped]:
    state = context.project(artifact.project)
    if state is None:
        return
    fn = artifact.filename
    existing = state.file(fn)
    if existing is not None:
        same = _same_content(existing, artifact)
        if same:
            yield Finding(
                "identical-file",
                f"{fn} is already on the index, byte for byte: PyPI would answer 200 and store "
                "nothing (twine would still report success).",
                fn,
                hint="Nothing to upload for this file; leave it out.",
            )
            return
        if same is None:
            yield Finding(
                "file-exists",
                f"{fn} is already on the index and it lists no digest to compare with: PyPI "
                "answers 200 if the bytes are identical, otherwise 400 File already exists.",
                fn,
                hint="Download the published file and compare, or release a new version.",
                severity=Severity.WARNING,
            )
        else:
            yield Finding(
                "file-exists",
                f"{fn} is already on the index with different content; PyPI would answer: 400 "
                f"File already exists ({fn!r}, with blake2_256 hash {artifact.blake2_256!r}).",
                fn,
                hint="Never rebuild a published version. " + _version_hint(artifact),
            )
    else:
        for other in state.files:
            if other.filename != fn and _same_content(other, artifact):
                yield Finding(
                    "content-exists",
                    f"{fn} has the same content as {other.filename}, already on the index; "
                    f"PyPI would answer: 400 File already exists ({fn!r}, with blake2_256 hash "
                    f"{artifact.blake2_256 or other.blake2_256!r}).",
                    fn,
                    hint=f"This is {other.filename} under another name; upload it once, under "
                    "its proper name.",
                )
                break
        if fn in context.history:
            known = context.history_sources.get(fn) or "the filename ledger"
            yield Finding(
                "filename-reused",
                f"{fn} was used before by a file that has since been deleted (known from: "
                f"{known}; it is not on the index); PyPI would answer: 400 This filename "
                "was previously used by a file that has since been deleted. Use a different "
                "version.",
                fn,
                hint=_version_hint(artifact),
            )

    # Steps 24-25 concern the release the file joins.
    if not artifact.version:
        return
    release = state.release(artifact.version)
    if release is None:
        return
    if release.created is None:
        if not any(f.upload_time for f in state.files):
            yield Skipped("release-closed",
                          f"the index gives no upload times for {state.name}")
        else:
            yield Finding(
                "release-closed",
                f"release {release.version} of {state.name} exists but the index does not say "
                f"when it was created (all its files may have been deleted): {fn} is refused "
                "if the release is older than 14 days.",
                fn,
                hint="If in doubt, publish the file in a new release.",
                severity=Severity.WARNING,
            )
    elif release.created < context.now - RELEASE_WINDOW:
        age = context.now - release.created
        yield Finding(
            "release-closed",
            f"{fn} would be added to release {release.version}, created "
            f"{release.created:%Y-%m-%d %H:%M} UTC ({age.days} days ago); PyPI would answer: "
            "400 Uploading new files to releases older than 14 days is not allowed.",
            fn,
            hint=_version_hint(artifact).replace("Bump the version to", "Publish it as"),
        )
    if artifact.is_sdist:
        others = [f for f in release.files if f.is_sdist and f.filename != fn]
        if others:
            yield Finding(
                "duplicate-sdist",
                f"release {release.version} already has an sdist ({others[0].filename}); PyPI "
                "would answer: 400 Only one sdist may be uploaded per release.",
                fn,
                hint="Upload only wheels to an existing release, or release a new version.",
            )


@hookimpl
def preupload_guard_check_batch(
    artifacts: Sequence[Artifact], context: Context
) -> Iterator[Finding]:
    """Collisions inside the upload itself: no index needed."""
    seen_content: dict[str, Artifact] = {}
    seen_sdist: dict[tuple[str, str], Artifact] = {}
    for artifact in artifacts:
        state = context.project(artifact.project)
        if is_identical_upload(state, artifact):
            continue  # a no-op for PyPI: it collides with nothing
        digest = artifact.sha256
        if digest:
            first = seen_content.get(digest)
            if first is not None and first.filename != artifact.filename:
                yield Finding(
                    "content-exists",
                    f"{artifact.filename} has the same content as {first.filename} in this "
                    "upload; PyPI stores the first and answers the second with: 400 File "
                    "already exists.",
                    artifact.filename,
                    hint="Upload the file once, under its proper name.",
                )
            seen_content.setdefault(digest, artifact)
        if artifact.is_sdist and artifact.project and artifact.version:
            key = (artifact.project, release_key(artifact.version))
            first = seen_sdist.get(key)
            if first is not None:
                yield Finding(
                    "duplicate-sdist",
                    f"{artifact.filename} is a second sdist of release {key[1]} in this upload "
                    f"(after {first.filename}); PyPI would answer: 400 Only one sdist may be "
                    "uploaded per release.",
                    artifact.filename,
                    hint="Keep one .tar.gz sdist per release in the upload.",
                )
            else:
                seen_sdist[key] = artifact
