"""``version-exists``: the version about to be released is already on the index.

PyPI has no refusal named "this version exists": a rebuilt version is refused file by file
(``file-exists``, ``duplicate-sdist``, after 14 days ``release-closed``), and adding files to
a recent release (wheels for another platform) is allowed. So this rule is **opt-in**: it
runs only when selected by its id (``--select version-exists``, or ``all,version-exists``
to keep the others). The pre-commit hook ``preupload-guard-version`` selects it, to catch a
release branch whose version was not bumped before anything is built.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from preupload_guard.checks.reuse import next_post_release
from preupload_guard.model.facts import release_key
from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

VERSION_EXISTS = "version-exists"

RULES = [
    Rule(
        id=VERSION_EXISTS,
        family="reuse",
        severity=Severity.ERROR,
        summary="This version is already released on the index (opt-in: select it by id)",
        explanation=(
            "A version is released once the index holds a file of it; releases are matched "
            "by canonical version, so 1.0.0 is release 1.0. Building it again gives files "
            "PyPI refuses: the same filenames with other bytes (400 File already exists), a "
            "second sdist (400 Only one sdist may be uploaded per release), and after 14 days "
            "any new file (400 Uploading new files to releases older than 14 days is not "
            "allowed). Adding files to a recent release is allowed, so this rule runs only "
            "when selected by its id: the pre-commit hook preupload-guard-version selects it "
            "to catch a release branch whose version was not bumped, before anything is "
            "built; `check --select all,version-exists` adds it to a normal check."
        ),
        fix=(
            "Bump the version ([project] version in pyproject.toml, or the tag your version "
            "plugin reads): a post-release such as 1.2.0.post1 when only packaging changed, "
            "otherwise the next release."
        ),
        needs_index=True,
        opt_in=True,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_check_batch(
    artifacts: Sequence[Artifact], context: Context
) -> Iterator[Finding]:
    """One finding per released version among the files (opt-in: the runner calls this
    plugin only when ``version-exists`` is selected by id)."""
    seen: set[tuple[str, str]] = set()
    for artifact in artifacts:
        if not artifact.project or not artifact.version:
            continue
        key = (artifact.project, release_key(artifact.version))
        if key in seen:
            continue
        seen.add(key)
        state = context.project(artifact.project)
        release = state.release(artifact.version) if state is not None else None
        if state is None or release is None or not release.files:
            continue
        names = ", ".join(f.filename for f in release.files[:3])
        more = f" and {len(release.files) - 3} more" if len(release.files) > 3 else ""
        when = (f", first uploaded {release.created:%Y-%m-%d}" if release.created is not None
                else "")
        post = next_post_release(artifact.version)
        yield Finding(
            VERSION_EXISTS,
            f"{state.display_name or artifact.name or state.name} {artifact.version} is already "
            f"released on the index (release {release.version}: {names}{more}{when}); PyPI "
            "refuses a rebuilt file under a published name (400 File already exists) and a "
            "second sdist (400 Only one sdist may be uploaded per release).",
            artifact.filename,
            hint=(f"Bump the version: to a post-release such as {post} if only packaging "
                  "changed, otherwise to the next release." if post else
                  "Bump the version to one that is not on the index yet."),
        )
