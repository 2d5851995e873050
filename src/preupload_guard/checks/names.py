"""Name rules: the project-name pattern, and who may create or upload to a project.

The name pattern is checked by PyPI's upload form for every upload (step 6). The creation
rules (stdlib names, names too similar to an existing one) apply only when the project does
not exist yet: an existing project keeps its name (reference §2.5). Archived and
quarantined projects refuse uploads to everyone (§2.6).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.model.names import is_stdlib_name, is_valid_project_name
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

_CORE_METADATA = "https://packaging.python.org/specifications/core-metadata"

RULES = [
    Rule(
        id="invalid-project-name",
        family="names",
        severity=Severity.ERROR,
        summary="The project name is not a valid name (letters, digits, '.', '_', '-')",
        explanation=(
            "PyPI's upload form checks the metadata Name on every upload: it must start and "
            "end with an ASCII letter or digit, with only letters, digits, '.', '_' and '-' "
            "in between. PyPI answers: 400 'NAME' is an invalid value for Name. Error: Start "
            "and end with a letter or numeral containing only ASCII numeric and '.', '_' and "
            f"'-'. See {_CORE_METADATA} for more information."
        ),
        fix="Rename the project in pyproject.toml ([project] name) to a valid name.",
        step=6,
    ),
    Rule(
        id="stdlib-name",
        family="names",
        severity=Severity.ERROR,
        summary="A new project may not be named like a standard-library module",
        explanation=(
            "PyPI refuses to create a project whose normalized name equals any module of the "
            "standard library of any Python version from 2.6 on, including every dotted "
            "prefix (os.path -> os-path) and Python-2-only modules (md5, sets, user). It "
            "answers: 400 The name 'NAME' isn't allowed (conflict with Python Standard "
            "Library module name). Existing projects keep their names."
        ),
        fix="Choose another name for the new project, for example with a prefix or suffix.",
        needs_index=True,
        step=9.3,
    ),
    Rule(
        id="similar-project-name",
        family="names",
        severity=Severity.ERROR,
        summary="A new project's name is too similar to an existing project's",
        explanation=(
            "PyPI refuses to create a project whose name, with '.', '_' and '-' removed, "
            "'l' and 'i' read as '1' and 'o' as '0', case ignored, equals that of any existing "
            "project, even one you own. It answers: 400 The name 'NAME' is too similar to an "
            "existing project, without saying which; preupload-guard names it."
        ),
        fix="Choose a name that differs from the existing project's in more than separators, "
        "case or l/i/1 and o/0.",
        needs_index=True,
        step=9.5,
    ),
    Rule(
        id="project-archived",
        family="names",
        severity=Severity.ERROR,
        summary="The project is archived: nobody may upload to it",
        explanation=(
            "An archived project (PEP 792 status 'archived') takes no uploads: PyPI answers "
            "403 The user 'USER' isn't allowed to upload to project 'NAME' (or: The given "
            "token isn't allowed to upload ...), which does not say why."
        ),
        fix="An owner must unarchive the project in its settings on the index first.",
        needs_index=True,
        step=10,
    ),
    Rule(
        id="project-quarantined",
        family="names",
        severity=Severity.ERROR,
        summary="The project is quarantined: uploads are refused",
        explanation=(
            "A quarantined project (PEP 792 status 'quarantined') loses upload rights for "
            "trusted publishers, and its owners' accounts are frozen, so every upload is "
            "refused with 403. PyPI usually hides quarantined projects from its APIs; when "
            "the index reports the status, preupload-guard says so."
        ),
        fix="Contact the index's administrators; uploads resume once the quarantine is lifted.",
        needs_index=True,
        step=10,
    ),
    Rule(
        id="new-project",
        family="names",
        severity=Severity.INFO,
        summary="The project does not exist on the index yet: this upload creates it",
        explanation=(
            "The first upload creates the project, and the account (or trusted publisher) "
            "that uploads becomes its owner. A trusted publisher can create a project only "
            "when it was registered as a pending publisher with exactly this name."
        ),
        fix="Check the name's spelling before the first upload: it cannot be changed later.",
        needs_index=True,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    name = artifact.name
    # Only a name read from metadata is what twine sends; a filename-derived one is already
    # canonical. PyPI's sanitizer drops a value of exactly "UNKNOWN".
    raw = artifact.raw_metadata
    if raw is None or not raw.get("name") or name is None or name.strip() == "UNKNOWN":
        return
    if not is_valid_project_name(name):
        shown = name if len(name) <= 60 else f"{name[:30]}...{name[-30:]}"
        yield Finding(
            "invalid-project-name",
            f"the project name {name!r} in {artifact.filename} is not valid; PyPI would answer: "
            f"400 {shown!r} is an invalid value for Name. Error: Start and end with a letter or "
            "numeral containing only ASCII numeric and '.', '_' and '-'.",
            artifact.filename,
            hint="Use only ASCII letters, digits, '.', '_' and '-', starting and ending with a "
            "letter or digit.",
        )


@hookimpl
def preupload_guard_check_batch(
    artifacts: Sequence[Artifact], context: Context
) -> Iterator[Finding]:
    first_of: dict[str, Artifact] = {}
    for artifact in artifacts:
        if artifact.project and artifact.name and is_valid_project_name(artifact.name):
            first_of.setdefault(artifact.project, artifact)
    for project, artifact in first_of.items():
        state = context.project(project)
        if state is None:
            continue
        name = artifact.name or project
        fn = artifact.filename
        if state.exists:
            shown = state.display_name or name
            if state.status == "archived":
                yield Finding(
                    "project-archived",
                    f"project {shown!r} is archived on the index: PyPI would refuse {fn} with "
                    f"403 ... isn't allowed to upload to project {shown!r}.",
                    fn,
                    hint="An owner must unarchive the project before uploading.",
                )
            elif state.status == "quarantined":
                yield Finding(
                    "project-quarantined",
                    f"project {shown!r} is quarantined on the index: every upload is refused "
                    "with 403.",
                    fn,
                    hint="Contact the index administrators; uploads resume after the quarantine.",
                )
            continue
        # The project is new: the creation rules apply.
        yield Finding(
            "new-project",
            f"{name!r} does not exist on the index yet: uploading {fn} creates it.",
            fn,
            hint="Check the spelling now; a project's name cannot be changed later.",
        )
        if is_stdlib_name(name):
            yield Finding(
                "stdlib-name",
                f"{name!r} is the name of a standard-library module; PyPI would answer: 400 The "
                f"name {name!r} isn't allowed (conflict with Python Standard Library module "
                "name).",
                fn,
                hint="Choose another name for the new project (a prefix or suffix helps).",
            )
        similar = context.similar_project(name)
        if similar is not None:
            yield Finding(
                "similar-project-name",
                f"{name!r} is too similar to the existing project {similar!r}; PyPI would "
                f"answer: 400 The name {name!r} is too similar to an existing project.",
                fn,
                hint=f"Choose a name that differs from {similar!r} by more than separators, "
                "case, l/i/1 or o/0.",
            )
