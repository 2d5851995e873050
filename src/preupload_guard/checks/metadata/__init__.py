"""Metadata rules: what PyPI's upload form, metadata validation and README rendering refuse.

PyPI never reads the METADATA/PKG-INFO inside the uploaded file for validation: it validates
the **form fields twine sends**, which twine derives from that file (reference §2.4). So this
module replays the whole pipeline rather than validating the file directly:

1. twine reads the file with ``packaging.metadata.parse_email``. A field it cannot parse
   (unknown name, a single-use field repeated, bytes that are not UTF-8, two Project-URLs
   with one label) makes **twine** refuse the file before sending anything.
2. twine drops ``License-File`` below Metadata-Version 2.4 (setuptools wrote it under 2.1
   for years), then validates with packaging's ``Metadata.from_raw`` and refuses on any
   error. Those refusals are client-side: they get step 0.5, before any step of PyPI.
3. twine turns the metadata into form fields: renamed multi-use keys, one ``name, url``
   string per Project-URL, keywords joined with ``", "``, the name passed through its
   ``safe_name``; Import-Name and Import-Namespace are not sent at all.
4. PyPI's sanitizer drops every value that is exactly ``UNKNOWN`` once stripped (old
   setuptools wrote ``UNKNOWN`` for every missing field) and rewrites NUL as the text
   ``\\x00``. Then the upload form (step 6), the form-to-metadata parser, packaging's
   validation and Warehouse's own checks (step 7), and the README rendering (step 15).

PyPI answers with the first problem only; this module reports every problem, each with the
answer PyPI would give once the ones before it are fixed, so the user fixes all in one go.
Where the installed libraries disagree with PyPI's pins the pins win: the version set,
"introduced in" table and ``Description-Content-Type`` rules are implemented here as
packaging 26.2 applies them (26.3 accepts Metadata-Version 2.6 and a lowercase ``utf-8``
charset; PyPI refuses both). The project-name pattern is the ``names`` family's rule.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from packaging.metadata import InvalidMetadata, Metadata, RawMetadata
from packaging.version import InvalidVersion, Version

from preupload_guard.checks.metadata.description import description_problems, prefetch_render
from preupload_guard.checks.metadata.fields import introduced, metadata_problems
from preupload_guard.checks.metadata.form import (
    form_field_problems,
    parse_form,
    sanitize,
    twine_form,
    unparsed_problems,
)
from preupload_guard.checks.metadata.problem import Problem, field_hint, pypi_text
from preupload_guard.checks.metadata.vocabulary import (
    FIELD_NAMES,
    LOCAL_VERSION_URL,
    PEP639_BACKENDS,
    RAW_BY_EMAIL,
    STEP_DESCRIPTION,
    STEP_METADATA,
    STEP_TWINE,
)
from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.artifact import TOO_MANY_FIELDS, Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

RULES = [
    Rule(
        id="metadata-version",
        family="metadata",
        severity=Severity.ERROR,
        summary="Metadata-Version is one PyPI refuses, or a field is newer than it declares",
        explanation=(
            "PyPI accepts Metadata-Version 1.0, 1.1, 1.2 and 2.1 to 2.5. 2.0 was never a "
            "final standard and has been refused since PyPI moved to packaging's metadata "
            "validation (March 2024): 400 '2.0' is not a valid metadata version. Each field "
            "also has the version that introduced it, and a field newer than the declared "
            "version is refused, for example: 400 license-expression introduced in metadata "
            "version 2.4, not 2.1. twine 7 checks the same thing before sending. Note that "
            "older twine releases (including the one inside gh-action-pypi-publish before "
            "v1.14.2) refuse 2.5 themselves: '2.5' is not a valid metadata version."
        ),
        fix=(
            "Rebuild with a current build backend: it chooses Metadata-Version from the "
            "fields it writes. License-Expression and License-File need 2.4 "
            f"({PEP639_BACKENDS}); Import-Name needs 2.5. A hand-written or patched "
            "METADATA/PKG-INFO must declare a version that has every field it uses."
        ),
        since="2024-03-19",
        step=STEP_METADATA,
    ),
    Rule(
        id="invalid-metadata",
        family="metadata",
        severity=Severity.ERROR,
        summary="A core-metadata field is refused by PyPI's validation (or by twine first)",
        explanation=(
            "PyPI validates the form fields twine derives from METADATA/PKG-INFO: a name is "
            "required; the version must be PEP 440; the summary one line of at most 512 "
            "characters; Description-Content-Type text/plain, text/x-rst or text/markdown "
            "with charset exactly UTF-8 and a Markdown variant GFM or CommonMark; valid "
            "Requires-Dist, Requires-Python, Provides-Extra, Dynamic, License-Expression "
            "(SPDX) and License-File values; no direct URL dependencies; e-mail addresses "
            "that pass email-validator; http(s) URLs; Project-URL labels of 1 to 32 "
            "characters; not both License and License-Expression. PyPI answers 400 with the "
            "first problem, followed by 'See https://packaging.python.org/specifications/"
            "core-metadata for more information.' Many of these twine itself checks first "
            "(Invalid distribution metadata: ...), and a field twine cannot parse at all, "
            "or a file without readable metadata, stops twine before anything is sent. "
            "Values that are exactly UNKNOWN are dropped by PyPI, so Name: UNKNOWN or "
            "Version: UNKNOWN read as missing."
        ),
        fix=(
            "Fix the field where it comes from, usually pyproject.toml ([project] "
            "description, readme, dependencies, requires-python, license, license-files, "
            "authors, urls), and rebuild. Each finding names the field and the change."
        ),
        step=STEP_METADATA,
    ),
    Rule(
        id="local-version",
        family="metadata",
        severity=Severity.ERROR,
        summary="The version has a local segment (+...), which PyPI never accepts",
        explanation=(
            "Local version labels (1.0+local) are for builds that are never published. "
            "PyPI answers: 400 The use of local versions in '1.0+local' is not allowed. See "
            f"{LOCAL_VERSION_URL} for more information."
        ),
        fix=(
            "Publish the public version (drop everything from '+'). setuptools-scm and "
            "similar plugins add +g<hash> or +d<date> on a dirty or untagged checkout: build "
            "from a clean, tagged commit, or set local_scheme = \"no-local-version\"."
        ),
        step=STEP_METADATA,
    ),
    Rule(
        id="invalid-classifier",
        family="metadata",
        severity=Severity.ERROR,
        summary="A classifier is unknown, deprecated, or a 'Private ::' do-not-upload marker",
        explanation=(
            "PyPI accepts only the classifiers of trove-classifiers. An unknown one gets "
            "400 'X' is not a valid classifier.; a deprecated one gets 400 The classifier 'X' "
            "has been deprecated, use one of [...] instead. Any 'Private :: ...' classifier "
            "is refused on purpose: it is the conventional marker for packages that must "
            "never be uploaded, so a refusal there means the guard works."
        ),
        fix=(
            "Correct the spelling against `python -m trove_classifiers`, replace deprecated "
            "classifiers by the suggested ones, in [project] classifiers. Remove a Private :: "
            "classifier only if the package really is meant to be public. An outdated "
            "trove-classifiers here may report new classifiers as unknown: upgrade it."
        ),
        step=STEP_METADATA,
    ),
    Rule(
        id="description-render",
        family="metadata",
        severity=Severity.ERROR,
        summary="The README (long description) does not render the way PyPI renders it",
        explanation=(
            "PyPI renders the description with readme-renderer and refuses the upload when "
            "that yields nothing: 400 The description failed to render for 'text/x-rst'. "
            "(or: ... failed to render in the default format of reStructuredText. when no "
            "content type was sent), followed by a link to PyPI's help on "
            "description-content-type. reStructuredText (also the default) fails on any "
            "docutils warning: a title underline shorter than the title, unclosed markup, "
            "unknown roles or directives (Sphinx ones such as :ref: included), raw and "
            "include directives, a document that is only a title, comments or whitespace. "
            "Markdown is always rendered as GFM and fails only when it renders to nothing "
            "(whitespace only, only link definitions). text/plain never fails. twine check "
            "passes Markdown unrendered, so it misses the Markdown cases."
        ),
        fix=(
            "Fix the line docutils names (python -m readme_renderer README.rst shows it), or "
            "declare the right format: readme = \"README.md\" in [project] makes the "
            "content type text/markdown. A description that cannot be checked in time is a "
            "warning; raise the limit with the PREUPLOAD_GUARD_RENDER_TIMEOUT environment "
            "variable (seconds)."
        ),
        step=STEP_DESCRIPTION,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


# -- the pipeline ------------------------------------------------------------------------


@hookimpl
def preupload_guard_file_read(artifact: Artifact, context: Context) -> None:
    """Start rendering the README in the background while the other files are read."""
    if len(context.artifacts) < 2:
        return  # nothing left to overlap with: render in-process, without a child
    if artifact.archive_error is None and artifact.metadata_error is None:
        prefetch_render(artifact.raw_metadata, context)


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    """Replay twine's and PyPI's handling of this file's metadata; one finding per problem."""
    if artifact.archive_error is not None:
        return  # unreadable archive: the archives family reports it
    if artifact.metadata_error is not None:
        yield _unreadable(artifact)
        return
    raw = artifact.raw_metadata
    if raw is None:
        return
    problems = _check(artifact, raw, dict(artifact.unparsed_metadata), context)
    for problem in problems:
        yield _finding(artifact, problem)


def _unreadable(artifact: Artifact) -> Finding:
    error = artifact.metadata_error or ""
    if TOO_MANY_FIELDS in error:
        return _too_many_fields(artifact, error)
    if artifact.is_wheel:
        twine = "No METADATA in archive or METADATA missing 'Metadata-Version'"
        where = "a *.dist-info/METADATA file that contains a Metadata-Version field"
    elif "top-level" in error:
        twine = "Too many top-level members in sdist archive"
        where = "exactly one top-level directory holding PKG-INFO"
    elif "regular file" in error:
        twine = "PKG-INFO is not a regular file"
        where = "<top-level directory>/PKG-INFO as a regular file"
    else:
        twine = "No PKG-INFO in archive or PKG-INFO missing 'Metadata-Version'"
        where = "<top-level directory>/PKG-INFO with a Metadata-Version field"
    return Finding(
        "invalid-metadata",
        f"{artifact.filename}: twine cannot read its core metadata ({error}), so it refuses "
        f"the file before sending anything: InvalidDistribution: {twine}: "
        f"{artifact.filename}. PyPI would refuse a file without it too.",
        artifact.filename,
        hint=f"Rebuild with a standard build frontend (python -m build); the file needs {where}.",
        step=STEP_TWINE,
    )


def _too_many_fields(artifact: Artifact, error: str) -> Finding:
    """The metadata was found but not parsed (read/artifact.py, MAX_HEADER_FIELDS).

    twine would parse it, slowly, and go on: this is not its "no METADATA" refusal, and
    nothing else about the metadata is known.
    """
    return Finding(
        "invalid-metadata",
        f"{artifact.filename}: {error}. Its core metadata was not checked any further, "
        "and the upload may stall or time out while twine and PyPI parse it.",
        artifact.filename,
        hint="Find what writes so many fields (a build-backend plugin, a generated "
        "Classifier, Requires-Dist or Project-URL list), fix it, and rebuild.",
        step=STEP_TWINE,
    )


def _check(artifact: Artifact, raw: RawMetadata, unparsed: dict[str, Any],
           context: Context) -> list[Problem]:
    """Every problem of the pipeline (module docstring), twine's matched to PyPI's, sorted."""
    problems: list[Problem] = []
    twine_raw: dict[str, Any] = dict(raw)

    # twine: License-File is dropped below 2.4; an unparseable version crashes twine.
    twine_errors: dict[str, list[str]] = {}
    metadata_version = twine_raw.get("metadata_version")
    crash = None
    try:
        declared = Version(metadata_version if metadata_version is not None else "0")
    except InvalidVersion as exc:
        declared = None
        crash = f"it stops with packaging.version.InvalidVersion: {exc}"
    if declared is not None and declared < Version("2.4"):
        twine_raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    problems.extend(unparsed_problems(unparsed))
    # twine stops at the first of these stages; every stage is reported all the same, so
    # that one round of fixes is enough. A field already reported as unparseable is not
    # reported again as missing.
    for error in _twine_validation(twine_raw):
        if error.field not in unparsed:
            twine_errors.setdefault(error.field, []).append(
                f"Invalid distribution metadata: {error}"
            )
    if crash is not None:  # twine compares Metadata-Version before anything else
        twine_errors["metadata-version"] = [crash]
    # The name pattern is the names family's rule (invalid-project-name).
    if any("is invalid for 'name'" in e for e in twine_errors.get("name", [])):
        del twine_errors["name"]

    form = twine_form(artifact, twine_raw)
    form, dropped = sanitize(form)
    form_raw, form_problems = parse_form(form)
    # A field twine could not parse is reported once, as such: not also as "missing".
    skip = {RAW_BY_EMAIL.get(key, key) for key in unparsed}
    pypi = [*form_field_problems(artifact, form, dropped), *form_problems,
            *metadata_problems(form_raw, dropped)]
    problems.extend(p for p in pypi if RAW_BY_EMAIL.get(p.field, p.field) not in skip)
    problems.extend(description_problems(artifact, form_raw, context))

    _attach_twine(problems, twine_errors)
    problems.sort(key=_order)
    return problems


def _twine_validation(twine_raw: dict[str, Any]) -> list[InvalidMetadata]:
    """What twine's own ``Metadata.from_raw`` refuses, with the installed packaging."""
    try:
        Metadata.from_raw(twine_raw)  # type: ignore[arg-type]
    except Exception as group:  # ExceptionGroup (a backport on Python 3.10)
        errors = getattr(group, "exceptions", ())
        return [e for e in errors if isinstance(e, InvalidMetadata)]
    return []


def _order(problem: Problem) -> tuple[float, int, str]:
    """PyPI's order: the step, then metadata-version, name, version, then field name."""
    priority = {"metadata-version": 0, "name": 1, "version": 2}.get(problem.field, 3)
    return (problem.step, priority, problem.field)


def _attach_twine(problems: list[Problem], twine_errors: dict[str, list[str]]) -> None:
    """Note twine's own refusal on the problems of the same field; the rest stand alone.

    twine and PyPI usually see the same error; when they word it differently (twine sees
    ``Version: UNKNOWN`` that PyPI drops), twine's text goes on the first problem of that
    field. A twine error on a field PyPI never sees (Import-Name) becomes its own problem.
    """
    for key, messages in twine_errors.items():
        candidates = [p for p in problems if p.field == key and p.source != "warehouse"]
        unused = list(messages)
        for problem in candidates:
            for message in unused:
                if problem.answer and message.endswith(problem.answer):
                    problem.twine = message
                    unused.remove(message)
                    break
        for message in unused:
            target = next((p for p in candidates if p.twine is None), None)
            if target is not None:
                target.twine = message
                continue
            problems.append(_twine_only(key, message))
    for problem in problems:
        if problem.twine is not None:
            problem.step = STEP_TWINE


_INTRODUCED_RE = re.compile(r"introduced in metadata version (\S+), not (\S+)$")


def _twine_only(key: str, message: str) -> Problem:
    """A problem only twine's validation sees (a field twine checks but never sends)."""
    raw_key = RAW_BY_EMAIL.get(key, key)
    name = FIELD_NAMES.get(raw_key, key)
    match = _INTRODUCED_RE.search(message)
    if match is not None and raw_key in FIELD_NAMES:
        problem = introduced(raw_key, match[1], match[2])
        problem.answer = None
    else:
        rule = "metadata-version" if key == "metadata-version" else "invalid-metadata"
        problem = Problem(rule, key, f"{name} fails twine's metadata validation", None,
                           field_hint(raw_key))
    if raw_key in {"import_names", "import_namespaces"}:
        problem.what += " (twine does not send it, so only twine checks it)"
    problem.step, problem.source, problem.twine = STEP_TWINE, "twine", message
    return problem


def _finding(artifact: Artifact, problem: Problem) -> Finding:
    text = f"{artifact.filename}: {problem.what}"
    if problem.twine is not None:
        text += f"; twine refuses the file before sending it ({problem.twine})"
        if problem.answer is not None:
            text += f", and PyPI would answer: 400 {pypi_text(problem.answer, problem.see)}"
        else:
            text += "."
    elif problem.answer is not None:
        text += f"; PyPI would answer: 400 {pypi_text(problem.answer, problem.see)}"
    if problem.note:
        text += f" {problem.note}"
    return Finding(problem.rule, text, artifact.filename, hint=problem.hint,
                   severity=problem.severity, step=problem.step)


