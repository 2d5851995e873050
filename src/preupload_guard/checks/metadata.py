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
from dataclasses import dataclass
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from packaging.metadata import InvalidMetadata, Metadata, RawMetadata
from packaging.version import InvalidVersion, Version

from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read import readme
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

CORE_METADATA_URL = "https://packaging.python.org/specifications/core-metadata"
LOCAL_VERSION_URL = (
    "https://packaging.python.org/en/latest/specifications/version-specifiers/"
    "#local-version-identifiers"
)

# twine refuses before sending anything: earlier than any step of PyPI (its step 1 is the
# sanitizer). Not 0, which the runner's sort would read as "no step".
STEP_TWINE = 0.5
STEP_FORM = 6
STEP_METADATA = 7
STEP_DESCRIPTION = 15

#: PyPI's accepted Metadata-Version values, oldest first (reference §3.4; 2.0 is refused).
PYPI_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")

#: The metadata version that introduced each field (raw key); unlisted fields are 1.0.
INTRODUCED_IN = {
    "supported_platforms": "1.1", "download_url": "1.1", "classifiers": "1.1",
    "requires": "1.1", "provides": "1.1", "obsoletes": "1.1",
    "maintainer": "1.2", "maintainer_email": "1.2", "requires_dist": "1.2",
    "requires_python": "1.2", "requires_external": "1.2", "project_urls": "1.2",
    "provides_dist": "1.2", "obsoletes_dist": "1.2",
    "description_content_type": "2.1", "provides_extra": "2.1",
    "dynamic": "2.2",
    "license_expression": "2.4", "license_files": "2.4",
    "import_names": "2.5", "import_namespaces": "2.5",
}

#: Raw (RawMetadata) key -> the core-metadata field name, as messages and packaging spell it.
FIELD_NAMES = {
    "metadata_version": "Metadata-Version", "name": "Name", "version": "Version",
    "platforms": "Platform", "summary": "Summary", "description": "Description",
    "keywords": "Keywords", "home_page": "Home-page", "author": "Author",
    "author_email": "Author-email", "license": "License",
    "supported_platforms": "Supported-Platform", "download_url": "Download-URL",
    "classifiers": "Classifier", "requires": "Requires", "provides": "Provides",
    "obsoletes": "Obsoletes", "maintainer": "Maintainer", "maintainer_email": "Maintainer-email",
    "requires_dist": "Requires-Dist", "provides_dist": "Provides-Dist",
    "obsoletes_dist": "Obsoletes-Dist", "requires_python": "Requires-Python",
    "requires_external": "Requires-External", "project_urls": "Project-URL",
    "description_content_type": "Description-Content-Type", "provides_extra": "Provides-Extra",
    "dynamic": "Dynamic", "license_expression": "License-Expression",
    "license_files": "License-File", "import_names": "Import-Name",
    "import_namespaces": "Import-Namespace",
}
#: The lowercase e-mail header name packaging uses as ``InvalidMetadata.field``.
EMAIL_KEYS = {raw: name.lower() for raw, name in FIELD_NAMES.items()}
_RAW_BY_EMAIL = {email: raw for raw, email in EMAIL_KEYS.items()}

#: twine 7's raw key -> upload form key. Import-Name/Import-Namespace are not sent.
TWINE_FORM_KEYS = {
    raw: raw for raw in FIELD_NAMES if raw not in {"import_names", "import_namespaces"}
}
TWINE_FORM_KEYS.update(
    platforms="platform", supported_platforms="supported_platform", license_files="license_file"
)

#: PyPI's form key -> raw key for single-use fields (sent more than once: refused).
FORM_SINGLE = {
    key: key for key in (
        "metadata_version", "name", "version", "summary", "description",
        "description_content_type", "keywords", "home_page", "download_url", "author",
        "author_email", "maintainer", "maintainer_email", "license", "license_expression",
        "requires_python",
    )
}
#: PyPI's form key -> raw key for multi-use fields. Any other key is silently ignored.
FORM_MULTI = {
    "platform": "platforms", "supported_platform": "supported_platforms",
    "license_file": "license_files", "import_name": "import_names",
    "import_namespace": "import_namespaces", "classifiers": "classifiers",
    "project_urls": "project_urls",
    **{key: key for key in (
        "requires_dist", "provides_dist", "obsoletes_dist", "requires_external",
        "provides_extra", "dynamic", "requires", "provides", "obsoletes",
    )},
}

#: Lowercased Dynamic values Warehouse accepts (packaging also accepts ``dynamic``).
WAREHOUSE_DYNAMIC = frozenset(
    name.lower() for name in (
        "Platform", "Supported-Platform", "Summary", "Description", "Description-Content-Type",
        "Keywords", "Home-Page", "Download-Url", "Author", "Author-Email", "Maintainer",
        "Maintainer-Email", "License", "License-Expression", "License-File", "Classifier",
        "Requires-Dist", "Requires-Python", "Requires-External", "Project-Url",
        "Provides-Extra", "Provides-Dist", "Obsoletes-Dist", "Requires", "Provides",
        "Obsoletes", "Import-Name", "Import-Namespace",
    )
)
_NOT_DYNAMIC = frozenset({"name", "version", "metadata-version"})

#: Where each field comes from in pyproject.toml, for hints.
PYPROJECT = {
    "metadata_version": "the build backend (it chooses Metadata-Version)",
    "name": "[project] name",
    "version": "[project] version (or the version plugin that computes it)",
    "summary": "[project] description",
    "description": "[project] readme",
    "description_content_type": "[project] readme (its content-type)",
    "keywords": "[project] keywords",
    "home_page": "the url= argument of setup() (use [project.urls] instead)",
    "download_url": "the download_url= argument of setup() (use [project.urls] instead)",
    "author_email": "[project] authors (email)",
    "maintainer_email": "[project] maintainers (email)",
    "license": "[project] license",
    "license_expression": "[project] license (an SPDX expression string)",
    "license_files": "[project] license-files",
    "classifiers": "[project] classifiers",
    "requires_dist": "[project] dependencies / [project.optional-dependencies]",
    "requires_python": "[project] requires-python",
    "project_urls": "[project.urls]",
    "provides_extra": "the extra names in [project.optional-dependencies]",
    "dynamic": "[project] dynamic (or what the backend marks dynamic in an sdist)",
    "import_names": "[project] import-names",
    "import_namespaces": "[project] import-namespaces",
}

#: Backends that write PEP 639 metadata (License-Expression, License-File) under 2.4.
PEP639_BACKENDS = "setuptools >= 77, hatchling >= 1.27, flit-core >= 3.12, pdm-backend >= 2.4"

_UNSAFE_NAME_RE = re.compile(r"[^A-Za-z0-9.]+")
# twine's reading of a wheel filename: the first dash part after name, version and build.
_WHEEL_PYVER_RE = re.compile(
    r"^(?P<name>.+?)(-(?P<ver>\d.+?))?(-(?P<build>\d.*?))?-(?P<pyver>.+?)-(?P<abi>.+?)"
    r"-(?P<plat>.+?)\.whl$"
)

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


@dataclass
class _Problem:
    """One refusal, before it becomes a :class:`Finding`.

    ``what`` describes the problem in the user's terms; ``answer`` is PyPI's exact text
    (without the "See ..." link, added from ``see``), ``None`` when only twine refuses.
    ``field`` is the e-mail style key twine's errors are matched on; ``twine`` is twine's
    own refusal of the same field, when it has one.
    """

    rule: str
    field: str
    what: str
    answer: str | None
    hint: str
    step: float = STEP_METADATA
    see: str | None = CORE_METADATA_URL
    source: str = "packaging"  # packaging | warehouse | form | twine
    twine: str | None = None
    severity: Severity | None = None
    note: str | None = None


def _pypi_text(answer: str, see: str | None) -> str:
    if see is None:
        return answer
    return f"{answer}{'' if answer.endswith('.') else '.'} See {see} for more information."


def _field_hint(raw_key: str) -> str:
    where = PYPROJECT.get(raw_key)
    name = FIELD_NAMES.get(raw_key, raw_key)
    return f"Fix {name} at its source, {where}, and rebuild." if where else (
        f"Fix {name} in the build configuration and rebuild."
    )


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


def _check(artifact: Artifact, raw: RawMetadata, unparsed: dict[str, Any],
           context: Context) -> list[_Problem]:
    """Every problem of the pipeline (module docstring), twine's matched to PyPI's, sorted."""
    problems: list[_Problem] = []
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
    problems.extend(_unparsed_problems(unparsed))
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

    form = _twine_form(artifact, twine_raw)
    form, dropped = _sanitize(form)
    form_raw, form_problems = _parse_form(form)
    # A field twine could not parse is reported once, as such: not also as "missing".
    skip = {_RAW_BY_EMAIL.get(key, key) for key in unparsed}
    pypi = [*_form_problems(artifact, form, dropped), *form_problems,
            *_metadata_problems(form_raw, dropped)]
    problems.extend(p for p in pypi if _RAW_BY_EMAIL.get(p.field, p.field) not in skip)
    problems.extend(_description_problems(artifact, form_raw, context))

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


def _order(problem: _Problem) -> tuple[float, int, str]:
    """PyPI's order: the step, then metadata-version, name, version, then field name."""
    priority = {"metadata-version": 0, "name": 1, "version": 2}.get(problem.field, 3)
    return (problem.step, priority, problem.field)


def _attach_twine(problems: list[_Problem], twine_errors: dict[str, list[str]]) -> None:
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


def _twine_only(key: str, message: str) -> _Problem:
    """A problem only twine's validation sees (a field twine checks but never sends)."""
    raw_key = _RAW_BY_EMAIL.get(key, key)
    name = FIELD_NAMES.get(raw_key, key)
    match = _INTRODUCED_RE.search(message)
    if match is not None and raw_key in FIELD_NAMES:
        problem = _introduced(raw_key, match[1], match[2])
        problem.answer = None
    else:
        rule = "metadata-version" if key == "metadata-version" else "invalid-metadata"
        problem = _Problem(rule, key, f"{name} fails twine's metadata validation", None,
                           _field_hint(raw_key))
    if raw_key in {"import_names", "import_namespaces"}:
        problem.what += " (twine does not send it, so only twine checks it)"
    problem.step, problem.source, problem.twine = STEP_TWINE, "twine", message
    return problem


def _finding(artifact: Artifact, problem: _Problem) -> Finding:
    text = f"{artifact.filename}: {problem.what}"
    if problem.twine is not None:
        text += f"; twine refuses the file before sending it ({problem.twine})"
        if problem.answer is not None:
            text += f", and PyPI would answer: 400 {_pypi_text(problem.answer, problem.see)}"
        else:
            text += "."
    elif problem.answer is not None:
        text += f"; PyPI would answer: 400 {_pypi_text(problem.answer, problem.see)}"
    if problem.note:
        text += f" {problem.note}"
    return Finding(problem.rule, text, artifact.filename, hint=problem.hint,
                   severity=problem.severity, step=problem.step)


# -- twine's side ----------------------------------------------------------------------


def _unparsed_problems(unparsed: dict[str, Any]) -> list[_Problem]:
    problems = []
    for key, values in unparsed.items():
        raw_key = _RAW_BY_EMAIL.get(key)
        twine = f"Invalid distribution metadata: unrecognized or malformed field {key!r}"
        count = len(values) if isinstance(values, list) else 1
        answer = None
        if raw_key is None:
            what = f"the field {key!r} is not a core-metadata field"
            hint = ("Remove the field (check its spelling): core metadata has a fixed set "
                    "of fields, and custom data belongs elsewhere (for example in an entry "
                    "point or a package data file).")
        elif raw_key == "project_urls":
            labels = [str(v).partition(",")[0].strip() for v in values]
            repeated = sorted({lbl for lbl in labels if labels.count(lbl) > 1})
            what = (f"Project-URL uses the label(s) {', '.join(map(repr, repeated))} more than "
                    "once" if repeated else "Project-URL could not be parsed")
            hint = "Give every entry of [project.urls] its own label."
            answer = "'project_urls' has invalid data"
        elif raw_key == "description" and count > 1:
            what = ("the description is given twice, as a Description header and as the "
                    "message body")
            hint = "Keep only one: modern backends write the README as the body."
        elif count > 1 and raw_key in FORM_SINGLE:
            what = f"{FIELD_NAMES[raw_key]} appears {count} times but may appear only once"
            hint = _field_hint(raw_key) + " Write the field once."
            answer = f"'{TWINE_FORM_KEYS.get(raw_key, raw_key)}' has invalid data"
        else:
            what = f"{FIELD_NAMES[raw_key]} could not be decoded (it is not valid UTF-8)"
            hint = "Write the metadata file as UTF-8; rebuild with a current backend."
        note = None
        if answer is not None:
            note = (f"A client that sent it anyway would get PyPI's 400 "
                    f"{_pypi_text(answer, CORE_METADATA_URL)}")
        problems.append(_Problem("invalid-metadata", key, what, None, hint, step=STEP_TWINE,
                                 source="twine", twine=twine, note=note))
    return problems


def _twine_form(artifact: Artifact, twine_raw: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) form fields twine 7 sends for this file, in its order."""
    form: list[tuple[str, str]] = []
    for raw_key, value in twine_raw.items():
        key = TWINE_FORM_KEYS.get(raw_key)
        if key is None:
            continue
        if raw_key == "name":
            form.append((key, _UNSAFE_NAME_RE.sub("-", str(value))))
        elif raw_key == "project_urls":
            form.extend((key, f"{label}, {url}") for label, url in value.items())
        elif raw_key == "keywords":
            form.append((key, ", ".join(value)))
        elif isinstance(value, list):
            form.extend((key, str(item)) for item in value)
        else:
            form.append((key, str(value)))
    if artifact.is_sdist:
        pyversion = "source"
    else:
        match = _WHEEL_PYVER_RE.match(artifact.filename)
        pyversion = match["pyver"] if match else "any"
    form.append(("pyversion", pyversion))
    # Always "bdist_wheel" or "sdist", from the extension, so the form's filetype choice
    # never fails for twine; an extension twine does not know is the filenames family's.
    form.append(("filetype", artifact.filetype or ""))
    return form


def _sanitize(form: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], set[str]]:
    """PyPI's sanitizer: drop values that are ``UNKNOWN`` once stripped, spell NUL out."""
    kept: list[tuple[str, str]] = []
    dropped: set[str] = set()
    for key, value in form:
        if value.strip() == "UNKNOWN":
            dropped.add(key)
            continue
        kept.append((key, value.replace("\x00", "\\x00")))
    return kept, dropped


def _parse_form(form: list[tuple[str, str]]) -> tuple[dict[str, Any], list[_Problem]]:
    """Warehouse's form-to-metadata parser: known keys only, single-use keys once."""
    values: dict[str, list[str]] = {}
    for key, value in form:
        values.setdefault(key, []).append(value)
    raw: dict[str, Any] = {}
    problems: list[_Problem] = []
    for key, items in values.items():
        if items == [""]:
            continue  # an empty value counts as absent
        if key in FORM_SINGLE:
            if len(items) > 1:
                problems.append(_Problem(
                    "invalid-metadata", key, f"the form field {key!r} would be sent "
                    f"{len(items)} times", f"'{key}' has invalid data",
                    _field_hint(key), source="form",
                ))
                continue
            if key == "keywords":
                raw[key] = [k.strip() for k in items[0].split(",")]
            else:
                raw[key] = items[0]
        elif key in FORM_MULTI:
            raw_key = FORM_MULTI[key]
            if raw_key == "project_urls":
                urls: dict[str, str] = {}
                for item in items:
                    label, _, url = item.partition(",")
                    label, url = label.strip(), url.strip()
                    if label in urls:
                        problems.append(_Problem(
                            "invalid-metadata", "project-url",
                            f"the Project-URL label {label!r} would be sent twice",
                            "'project_urls' has invalid data", _field_hint("project_urls"),
                            source="form",
                        ))
                        break
                    urls[label] = url
                raw[raw_key] = urls
            else:
                raw[raw_key] = items
    return raw, problems


def _form_problems(artifact: Artifact, form: list[tuple[str, str]],
                   dropped: set[str]) -> list[_Problem]:
    """The upload form's own checks (step 6) that twine's fields can fail."""
    present = {key for key, value in form if value}
    problems = []
    if "name" not in present:
        was = "is UNKNOWN, which PyPI drops," if "name" in dropped else "is missing or empty,"
        problems.append(_Problem(
            "invalid-metadata", "name", f"the project Name {was} so the name is missing",
            "'' is an invalid value for Name. Error: This field is required.",
            "Set [project] name in pyproject.toml (old setuptools wrote UNKNOWN when "
            "setup() had no name=) and rebuild.", step=STEP_FORM, source="form",
        ))
    if artifact.filetype != "sdist" and "pyversion" not in present:
        problems.append(_Problem(
            "invalid-metadata", "pyversion",
            "the Python tag of the wheel filename is UNKNOWN, which PyPI drops",
            "Invalid value for pyversion. Error: Python version is required for binary "
            "distribution uploads.",
            "Rebuild the wheel so that its filename carries a real Python tag (py3, cp312).",
            step=STEP_FORM, source="form", see=None,
        ))
    return problems


# -- metadata validation (packaging as PyPI pins it, then Warehouse) ----------------------


def _invalid(value: Any, email_key: str) -> str:
    return f"{value!r} is invalid for {email_key!r}"


def _metadata_problems(raw: dict[str, Any], dropped: set[str]) -> list[_Problem]:
    problems: list[_Problem] = []
    add = problems.append

    # Metadata-Version, and the fields newer than it.
    mv = raw.get("metadata_version")
    if mv not in PYPI_METADATA_VERSIONS:
        if mv is None:
            what = ("Metadata-Version is UNKNOWN, which PyPI drops" if "metadata_version"
                    in dropped else "Metadata-Version is missing or empty")
            answer = "None is not a valid metadata version"
        else:
            what = f"Metadata-Version {mv!r} is not one PyPI accepts"
            answer = f"{mv!r} is not a valid metadata version"
        hint = ("Rebuild with a current build backend; Metadata-Version 2.0 was never a final "
                "standard and is refused." if mv == "2.0" else
                "Rebuild with a build backend that writes Metadata-Version 1.0-1.2 or 2.1-2.5.")
        add(_Problem("metadata-version", "metadata-version", what, answer, hint))
    else:
        age = PYPI_METADATA_VERSIONS.index(mv)
        for raw_key in raw:
            added = INTRODUCED_IN.get(raw_key, "1.0")
            if PYPI_METADATA_VERSIONS.index(added) > age:
                add(_introduced(raw_key, added, mv))

    # Version: required, PEP 440, and (Warehouse) no local segment.
    version = raw.get("version")
    if version is None:
        was = "is UNKNOWN, which PyPI drops" if "version" in dropped else "is missing or empty"
        add(_Problem("invalid-metadata", "version", f"Version {was}",
                     "'version' is a required field",
                     "Set [project] version (or make the version plugin produce one) and "
                     "rebuild."))
    else:
        try:
            parsed = Version(version)
        except InvalidVersion:
            add(_Problem("invalid-metadata", "version",
                         f"Version {version!r} is not a PEP 440 version",
                         _invalid(version, "version"),
                         "Use a PEP 440 version such as 1.2.0, 1.2.0rc1 or 1.2.0.post1 in "
                         "[project] version (or in the tag your version plugin reads)."))
        else:
            if parsed.local is not None:
                add(_Problem(
                    "local-version", "version",
                    f"Version {version!r} has the local segment '+{parsed.local}'",
                    f"The use of local versions in {str(parsed)!r} is not allowed.",
                    f"Publish {parsed.public!r} instead. A version plugin such as "
                    "setuptools-scm adds +g<hash>/+d<date> on an untagged or dirty "
                    "checkout: build from a clean tagged commit, or set local_scheme = "
                    "\"no-local-version\".",
                    see=LOCAL_VERSION_URL, source="warehouse",
                ))

    summary = raw.get("summary")
    if summary is not None:
        if "\n" in summary:
            add(_Problem("invalid-metadata", "summary", "Summary spans several lines",
                         "'summary' must be a single line",
                         "Make [project] description (the one-line summary) a single line."))
        if len(summary) > 512:
            add(_Problem("invalid-metadata", "summary",
                         f"Summary is {len(summary)} characters long",
                         "'summary' field must be 512 characters or less.",
                         "Shorten [project] description to at most 512 characters; the "
                         "README is the place for the long text.", source="warehouse"))

    content_type = raw.get("description_content_type")
    if content_type is not None:
        problem = _content_type_problem(content_type)
        if problem is not None:
            add(problem)

    for value in raw.get("dynamic", []):
        lowered = value.lower()
        if lowered in _NOT_DYNAMIC:
            add(_Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"{lowered!r} is not allowed as a dynamic field",
                         f"Name, Version and Metadata-Version are never dynamic in core "
                         f"metadata: remove {value!r} from Dynamic (a backend bug, or a "
                         "hand-edited PKG-INFO)."))
        elif lowered not in EMAIL_KEYS.values():
            add(_Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"{lowered!r} is not a valid dynamic field",
                         "Dynamic may only name core-metadata fields; fix the value."))
        elif lowered not in WAREHOUSE_DYNAMIC:
            add(_Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"Dynamic field {lowered!r} is not a valid dynamic field.",
                         "Remove 'Dynamic' from the Dynamic field.", source="warehouse"))

    from packaging.utils import InvalidName, canonicalize_name

    for extra in raw.get("provides_extra", []):
        try:
            canonicalize_name(extra, validate=True)
        except InvalidName:
            add(_Problem("invalid-metadata", "provides-extra",
                         f"the extra name {extra!r} is not a valid name",
                         _invalid(extra, "provides-extra"),
                         "Rename the extra in [project.optional-dependencies]: letters, "
                         "digits, '.', '_' and '-', starting and ending with a letter or "
                         "digit."))

    requires_python = raw.get("requires_python")
    if requires_python is not None:
        from packaging.specifiers import InvalidSpecifier, SpecifierSet

        try:
            SpecifierSet(requires_python)
        except InvalidSpecifier:
            add(_Problem("invalid-metadata", "requires-python",
                         f"Requires-Python {requires_python!r} is not a version specifier",
                         _invalid(requires_python, "requires-python"),
                         "Write [project] requires-python as a specifier set such as "
                         "\">=3.10\" (a bare \"3.10\" is not one)."))

    problems.extend(_requirement_problems(raw))
    problems.extend(_license_problems(raw))
    problems.extend(_email_problems(raw))
    problems.extend(_url_problems(raw))
    problems.extend(_classifier_problems(raw))
    return problems


def _introduced(raw_key: str, added: str, declared: str) -> _Problem:
    email = EMAIL_KEYS[raw_key]
    name = FIELD_NAMES[raw_key]
    if raw_key in {"license_expression", "license_files"}:
        hint = (f"{name} needs Metadata-Version 2.4: upgrade the build backend to one that "
                f"writes it ({PEP639_BACKENDS}) and rebuild.")
    elif raw_key in {"import_names", "import_namespaces"}:
        hint = (f"{name} needs Metadata-Version 2.5: upgrade the build backend, or remove "
                f"{PYPROJECT[raw_key]}.")
    else:
        hint = (f"{name} needs Metadata-Version {added}: upgrade the build backend (it picks "
                f"the version from the fields it writes), or drop the field.")
    return _Problem("metadata-version", email,
                    f"{name} is used, but Metadata-Version {declared} predates it",
                    f"{email} introduced in metadata version {added}, not {declared}", hint)


def _content_type_problem(value: str) -> _Problem | None:
    """``Description-Content-Type`` as packaging 26.2 (PyPI's pin) judges it."""
    key = "description-content-type"
    hint = ("Set the readme's content type in pyproject.toml: readme = {file = \"README.md\", "
            "content-type = \"text/markdown\"} (or text/x-rst, text/plain); the backend "
            "infers it from a .md/.rst extension.")
    message = EmailMessage()
    try:
        message["content-type"] = value
        header = message["content-type"]
        defects = header.defects
    except (ValueError, IndexError) as exc:
        return _Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} cannot be parsed ({exc})",
                        f"{value!r} is not a valid content type for {key!r}", hint)
    if defects:
        return _Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} cannot be parsed",
                        f"{value!r} is not a valid content type for {key!r}: {defects[0]}",
                        hint)
    content_type = message.get_content_type().lower()
    params = header.params
    allowed = ["text/markdown", "text/plain", "text/x-rst"]
    if content_type not in allowed or content_type not in value.lower():
        return _Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} is not a README format PyPI "
                        "renders", f"{key!r} must be one of {allowed}, not {value!r}", hint)
    charset = params.get("charset", "UTF-8")
    if charset != "UTF-8":
        return _Problem(
            "invalid-metadata", key,
            f"Description-Content-Type {value!r} has charset {charset!r}; PyPI accepts only "
            "the exact spelling UTF-8 (twine with packaging >= 26.3 accepts other spellings, "
            "PyPI's packaging 26.2 does not)",
            f"{key!r} can only specify the UTF-8 charset, not {charset!r}",
            "Write the charset exactly as charset=UTF-8, or leave it out (UTF-8 is the "
            "default).",
        )
    variant = params.get("variant", "GFM")
    if content_type == "text/markdown" and variant not in {"GFM", "CommonMark"}:
        return _Problem(
            "invalid-metadata", key,
            f"Description-Content-Type {value!r} names the Markdown variant {variant!r}; "
            "only GFM and CommonMark are accepted, spelled exactly so",
            f"valid Markdown variants for {key!r} are ['CommonMark', 'GFM'], not {variant!r}",
            "Write variant=GFM or variant=CommonMark, or leave the variant out.",
        )
    return None


def _requirement_problems(raw: dict[str, Any]) -> list[_Problem]:
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for value in raw.get("requires_dist", []):
        try:
            req = Requirement(value)
        except InvalidRequirement as exc:
            problems.append(_Problem(
                "invalid-metadata", "requires-dist",
                f"Requires-Dist {value!r} is not a PEP 508 requirement ({_first_line(exc)})",
                _invalid(value, "requires-dist"),
                "Fix the requirement in [project] dependencies or "
                "[project.optional-dependencies] (PEP 508: name, extras, specifier, marker).",
            ))
            continue
        if req.url:
            problems.append(_Problem(
                "invalid-metadata", "requires-dist",
                f"Requires-Dist {value!r} depends on a URL", f"Can't have direct dependency: "
                f"{req}", f"PyPI refuses URL dependencies: depend on {req.name!r} by name and "
                "version once it is published on PyPI, or drop it from [project] dependencies "
                "(keep URL pins in a requirements or constraints file).", source="warehouse",
            ))
    for raw_key, email in (("provides_dist", "provides-dist"),
                           ("obsoletes_dist", "obsoletes-dist")):
        for value in raw.get(raw_key, []):
            try:
                req = Requirement(value)
            except InvalidRequirement as exc:
                problems.append(_Problem(
                    "invalid-metadata", email,
                    f"{FIELD_NAMES[raw_key]} {value!r} is not a PEP 508 requirement",
                    f"{value!r} is invalid: {_first_line(exc)}",
                    f"Fix or remove {FIELD_NAMES[raw_key]} (rarely needed at all).",
                    source="warehouse",
                ))
                continue
            if req.url:
                problems.append(_Problem(
                    "invalid-metadata", email, f"{FIELD_NAMES[raw_key]} {value!r} has a URL",
                    f"Can't have direct dependency: {value!r}",
                    f"Remove the URL from {FIELD_NAMES[raw_key]}.", source="warehouse",
                ))
    return problems


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _license_problems(raw: dict[str, Any]) -> list[_Problem]:
    problems = []
    expression = raw.get("license_expression")
    if expression is not None:
        from packaging.licenses import canonicalize_license_expression

        try:
            canonicalize_license_expression(expression)
        except ValueError as exc:
            problems.append(_Problem(
                "invalid-metadata", "license-expression",
                f"License-Expression {expression!r} is not a valid SPDX expression ({exc})",
                _invalid(expression, "license-expression"),
                "Write [project] license as an SPDX expression such as \"MIT\" or "
                "\"Apache-2.0 OR MIT\"; a license without an SPDX id is "
                "\"LicenseRef-<Name>\".",
            ))
        if raw.get("license") is not None:
            problems.append(_Problem(
                "invalid-metadata", "license",
                "both License and License-Expression are present",
                "License is deprecated when License-Expression is present. Only "
                "License-Expression should be present.",
                "Keep only the SPDX string form, [project] license = \"MIT\"; drop the "
                "license table ({text = ...} / {file = ...}) and any license= argument of "
                "setup().", source="warehouse",
            ))
    for path in raw.get("license_files", []):
        reason = _license_file_error(path)
        if reason is not None:
            problems.append(_Problem(
                "invalid-metadata", "license-file",
                f"License-File {path!r} is not a plain relative path",
                f"{path!r} is invalid for 'license-file', {reason}",
                "List license files in [project] license-files as paths relative to the "
                "project root, with '/' and without '..' (globs there are expanded at build "
                "time, never written as '*').",
            ))
    return problems


def _license_file_error(path: str) -> str | None:
    from pathlib import PurePosixPath, PureWindowsPath

    if ".." in path:
        return "parent directory indicators are not allowed"
    if "*" in path:
        return "paths must be resolved"
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return "paths must be relative"
    if PureWindowsPath(path).as_posix() != path:
        return "paths must use '/' delimiter"
    return None


def _parse_first_address(value: str) -> str:
    """``email.utils.parseaddr`` as PyPI's Python (3.14) runs it: strict mode.

    Strict parsing answers nothing for a value that holds several addresses, so only a
    single address is ever checked. Pythons without ``strict`` get the same result from
    counting the addresses first.
    """
    import email.utils

    try:
        return email.utils.parseaddr(value, strict=True)[1]  # type: ignore[call-arg]
    except TypeError:
        if len(email.utils.getaddresses([value])) != 1:
            return ""
        return email.utils.parseaddr(value)[1]


def _email_problems(raw: dict[str, Any]) -> list[_Problem]:
    problems = []
    for raw_key in ("author_email", "maintainer_email"):
        value = raw.get(raw_key)
        if not value:
            continue
        address = _parse_first_address(value)
        if not address:
            continue
        from email_validator import EmailNotValidError, validate_email

        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError as exc:
            who = "authors" if raw_key == "author_email" else "maintainers"
            problems.append(_Problem(
                "invalid-metadata", EMAIL_KEYS[raw_key],
                f"{FIELD_NAMES[raw_key]} {address!r} is not an address PyPI accepts",
                f"{address!r} is not a valid email address: {exc}",
                f"Fix the email in [project] {who}: it needs a public domain with a dot "
                "(not localhost, nor a special-use one such as .test, .local or .invalid) "
                "and an unquoted part before the @.", source="warehouse",
            ))
    return problems


def _valid_url(url: str) -> tuple[bool, str]:
    """Warehouse's URL test: rfc3986, http(s) scheme required, host not required."""
    from rfc3986 import exceptions, uri_reference, validators

    validator = (
        validators.Validator()
        .allow_schemes("http", "https")
        .require_presence_of("scheme")
        .check_validity_of("scheme", "host", "port", "path", "query")
    )
    try:
        validator.validate(uri_reference(url).normalize())
    except exceptions.ValidationError as exc:
        if isinstance(exc, exceptions.MissingComponentError):
            return False, "it has no http:// or https:// scheme"
        if isinstance(exc, exceptions.UnpermittedComponentError):
            return False, "only http and https URLs are accepted"
        return False, f"its {', '.join(getattr(exc, 'components', ()) or ['syntax'])} is invalid"
    return True, ""


def _url_problems(raw: dict[str, Any]) -> list[_Problem]:
    problems = []
    for raw_key in ("home_page", "download_url"):
        url = raw.get(raw_key)
        if url is None:
            continue
        ok, why = _valid_url(url)
        if not ok:
            problems.append(_Problem(
                "invalid-metadata", EMAIL_KEYS[raw_key],
                f"{FIELD_NAMES[raw_key]} {url!r} is not a valid URL: {why}",
                f"{url!r} is not a valid url.",
                f"It comes from {PYPROJECT[raw_key]}: give a full https:// URL there, or "
                "drop it and list the URL in [project.urls].", source="warehouse",
            ))
    for label, url in (raw.get("project_urls") or {}).items():
        answer = what = None
        if not label:
            what, answer = f"the Project-URL {url!r} has no label", "Must have a label"
        elif len(label) > 32:
            what = f"the Project-URL label {label!r} is {len(label)} characters long"
            answer = f"{label!r} must be 32 characters or less."
        elif not url:
            what, answer = f"the Project-URL {label!r} has no URL", "Must have a URL"
        else:
            ok, why = _valid_url(url)
            if not ok:
                what = f"the Project-URL {label!r} = {url!r} is not a valid URL: {why}"
                answer = f"{url!r} is not a valid url"
        if answer is not None and what is not None:
            problems.append(_Problem(
                "invalid-metadata", "project-url", what, answer,
                "In [project.urls], use labels of 1 to 32 characters and full http(s) URLs "
                "(\"Documentation\" = \"https://...\").", source="warehouse",
            ))
    return problems


def _classifier_problems(raw: dict[str, Any]) -> list[_Problem]:
    classifiers = raw.get("classifiers")
    if not classifiers:
        return []
    from trove_classifiers import classifiers as known
    from trove_classifiers import deprecated_classifiers, sorted_classifiers

    problems = []
    for value in sorted(set(classifiers)):
        if value.split("::", 1)[0].strip() == "Private":
            problems.append(_Problem(
                "invalid-classifier", "classifier",
                f"the classifier {value!r} marks the package as never to be uploaded, and "
                "PyPI refuses it on purpose: the upload is blocked as intended",
                f"{value!r} is not a valid classifier.",
                "Nothing to fix if this package is private: this is the guard working. If "
                "it really is meant for PyPI, remove the Private :: classifier from "
                "[project] classifiers.", source="warehouse",
            ))
        elif value in deprecated_classifiers:
            replacements = list(deprecated_classifiers[value])
            if replacements:
                answer = (f"The classifier {value!r} has been deprecated, use one of "
                          f"{replacements} instead.")
                hint = (f"Replace it in [project] classifiers by "
                        f"{' or '.join(map(repr, replacements))}.")
            else:
                answer = f"The classifier {value!r} has been deprecated."
                hint = "Remove it from [project] classifiers; it has no replacement."
            problems.append(_Problem("invalid-classifier", "classifier",
                                     f"the classifier {value!r} is deprecated", answer, hint,
                                     source="warehouse"))
        elif value not in known:
            import difflib

            close = difflib.get_close_matches(value, sorted_classifiers, n=1, cutoff=0.8)
            hint = (f"Did you mean {close[0]!r}? " if close else "") + (
                "Use only classifiers listed by `python -m trove_classifiers`, in [project] "
                "classifiers (a newer trove-classifiers may know a very new one)."
            )
            problems.append(_Problem("invalid-classifier", "classifier",
                                     f"the classifier {value!r} is not a known classifier",
                                     f"{value!r} is not a valid classifier.", hint,
                                     source="warehouse"))
    return problems


# -- the description (step 15) -------------------------------------------------------------


def _description_problems(artifact: Artifact, raw: dict[str, Any],
                          context: Context) -> list[_Problem]:
    description = raw.get("description")
    if not description:
        return []  # absent, empty, or UNKNOWN (dropped): PyPI renders nothing
    content_type = raw.get("description_content_type")
    renderer = readme.renderer_for(content_type)
    if renderer is None:
        return []  # an unrenderable content type is refused at step 7 already
    result = readme.render(description, renderer)
    if result.status == "ok":
        return []
    if result.status == "unavailable":
        context.skip("description-render",
                     "Markdown descriptions were not rendered: comrak is missing (install "
                     "readme-renderer[md])")
        return []
    name = readme.RENDERER_NAMES[renderer]
    if result.status in {"timeout", "crashed"}:
        if result.status == "timeout":
            kib = len(description.encode("utf-8", "surrogatepass")) / 1024
            what = (f"the {kib:,.0f} KiB {name} description could not be rendered within "
                    f"{result.timeout:g} s, so whether PyPI accepts it is not verified")
            hint = (f"Raise the limit with {readme.TIMEOUT_ENV}=<seconds>, or check it with "
                    "`python -m readme_renderer README.rst`. A README this slow to render "
                    "may also be slow or fail on PyPI: consider shortening it.")
        else:
            what = (f"the {name} renderer crashed on the description ({result.message}), so "
                    "whether PyPI accepts it is not verified (PyPI's renderer would likely "
                    "fail the same way)")
            hint = ("Simplify the README where it is deeply nested, and check it with "
                    "`python -m readme_renderer README.rst`.")
        return [_Problem("description-render", "description", what, None, hint,
                         step=STEP_DESCRIPTION, see=None, source="render",
                         severity=Severity.WARNING)]
    what, answer, hint = _render_failure(result, content_type, description)
    return [_Problem("description-render", "description", what, answer, hint,
                     step=STEP_DESCRIPTION, see=None, source="render")]


def _render_failure(result: readme.Rendered, content_type: str | None,
                    description: str) -> tuple[str, str, str]:
    """What failed, PyPI's exact answer, and what to do about it."""
    if content_type:
        answer = f"The description failed to render for {content_type!r}."
    else:
        answer = ("The description failed to render in the default format of "
                  "reStructuredText.")
    if result.renderer == readme.MARKDOWN:
        return (
            "the Markdown description renders to nothing (it is empty, whitespace or only "
            "link reference definitions)", answer,
            "Put the README's text in the description ([project] readme), or remove the "
            "readme so that no description is sent.",
        )
    if result.message is None:
        what = ("the reStructuredText description renders to nothing (it is only a title, "
                "only comments, or whitespace)")
        hint = ("Add at least one paragraph below the title: PyPI turns a lone title into the "
                "document title and shows nothing.")
    else:
        where = f"line {result.line}" if result.line else "the description"
        what = (f"the description is not valid reStructuredText as PyPI renders it: "
                f"{where}: {result.message.rstrip('.')} (docutils {result.level})")
        hint = _rst_hint(result.message, where)
    if not content_type and _looks_like_markdown(description):
        hint = ("No Description-Content-Type was sent, so PyPI reads the description as "
                "reStructuredText, but it looks like Markdown: set readme = \"README.md\" "
                "(or content-type = \"text/markdown\") in [project]. " + hint)
    return what, answer, hint


def _rst_hint(message: str, where: str) -> str:
    text = message.lower()
    if "underline too short" in text or "overline too short" in text:
        fix = "make the title's underline at least as long as the title"
    elif "directive disabled" in text:
        fix = ("PyPI disables raw and include directives (and file options): write the "
               "content inline")
    elif "unknown interpreted text role" in text or "unknown directive" in text:
        fix = ("Sphinx-only roles and directives (:ref:, :doc:, .. automodule::, "
               ".. versionadded::) are unknown to plain docutils, which PyPI uses; "
               "standard ones such as .. note:: and .. code-block:: work")
    elif "start-string without end-string" in text:
        fix = "close the inline markup, or escape the character with a backslash"
    elif "line-length-limit" in text:
        fix = "split the overlong line (docutils refuses lines over 10,000 characters)"
    else:
        fix = "fix the markup docutils names"
    return (f"At {where}: {fix}. `python -m readme_renderer README.rst` shows the same "
            "message; fix each one it reports.")


def _looks_like_markdown(text: str) -> bool:
    head = text.lstrip()[:2000]
    return bool(re.search(r"^(#{1,6} |```|\* \[|- \[)", head, re.MULTILINE)
                or re.search(r"\]\(https?://", head))

