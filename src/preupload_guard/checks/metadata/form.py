"""Twine's side of the upload: what it parses from the file, the form fields it sends, and
what PyPI's sanitizer and upload form make of them (steps 0.5 and 6).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from preupload_guard.checks.metadata.problem import Problem, field_hint, pypi_text
from preupload_guard.checks.metadata.vocabulary import (
    CORE_METADATA_URL,
    FIELD_NAMES,
    FORM_MULTI,
    FORM_SINGLE,
    RAW_BY_EMAIL,
    STEP_FORM,
    STEP_TWINE,
    TWINE_FORM_KEYS,
    UNSAFE_NAME_RE,
    WHEEL_PYVER_RE,
)
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    pass


# -- twine's side ----------------------------------------------------------------------


def unparsed_problems(unparsed: dict[str, Any]) -> list[Problem]:
    problems = []
    # Unknown fields are one problem however many there are. packaging keeps them in no
    # stable order (twine names whichever comes first); sorted, the report is repeatable.
    unknown = sorted(key for key in unparsed if RAW_BY_EMAIL.get(key) is None)
    ordered = {key: unparsed[key] for key in unknown} | unparsed
    for key, values in ordered.items():
        raw_key = RAW_BY_EMAIL.get(key)
        twine = f"Invalid distribution metadata: unrecognized or malformed field {key!r}"
        count = len(values) if isinstance(values, list) else 1
        answer = None
        if raw_key is None:
            if key != unknown[0]:
                continue
            what = f"the field {key!r} is not a core-metadata field"
            if len(unknown) > 1:
                shown = ", ".join(map(repr, unknown[:5]))
                more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
                what = f"{len(unknown)} fields are not core-metadata fields: {shown}{more}"
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
            hint = field_hint(raw_key) + " Write the field once."
            answer = f"'{TWINE_FORM_KEYS.get(raw_key, raw_key)}' has invalid data"
        else:
            what = f"{FIELD_NAMES[raw_key]} could not be decoded (it is not valid UTF-8)"
            hint = "Write the metadata file as UTF-8; rebuild with a current backend."
        note = None
        if answer is not None:
            note = (f"A client that sent it anyway would get PyPI's 400 "
                    f"{pypi_text(answer, CORE_METADATA_URL)}")
        problems.append(Problem("invalid-metadata", key, what, None, hint, step=STEP_TWINE,
                                 source="twine", twine=twine, note=note))
    return problems


def twine_form(artifact: Artifact, twine_raw: dict[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) form fields twine 7 sends for this file, in its order."""
    form: list[tuple[str, str]] = []
    for raw_key, value in twine_raw.items():
        key = TWINE_FORM_KEYS.get(raw_key)
        if key is None:
            continue
        if raw_key == "name":
            form.append((key, UNSAFE_NAME_RE.sub("-", str(value))))
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
        match = WHEEL_PYVER_RE.match(artifact.filename)
        pyversion = match["pyver"] if match else "any"
    form.append(("pyversion", pyversion))
    # Always "bdist_wheel" or "sdist", from the extension, so the form's filetype choice
    # never fails for twine; an extension twine does not know is the filenames family's.
    form.append(("filetype", artifact.filetype or ""))
    return form


def sanitize(form: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], set[str]]:
    """PyPI's sanitizer: drop values that are ``UNKNOWN`` once stripped, spell NUL out."""
    kept: list[tuple[str, str]] = []
    dropped: set[str] = set()
    for key, value in form:
        if value.strip() == "UNKNOWN":
            dropped.add(key)
            continue
        kept.append((key, value.replace("\x00", "\\x00")))
    return kept, dropped


def parse_form(form: list[tuple[str, str]]) -> tuple[dict[str, Any], list[Problem]]:
    """Warehouse's form-to-metadata parser: known keys only, single-use keys once."""
    values: dict[str, list[str]] = {}
    for key, value in form:
        values.setdefault(key, []).append(value)
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for key, items in values.items():
        if items == [""]:
            continue  # an empty value counts as absent
        if key in FORM_SINGLE:
            if len(items) > 1:
                problems.append(Problem(
                    "invalid-metadata", key, f"the form field {key!r} would be sent "
                    f"{len(items)} times", f"'{key}' has invalid data",
                    field_hint(key), source="form",
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
                        problems.append(Problem(
                            "invalid-metadata", "project-url",
                            f"the Project-URL label {label!r} would be sent twice",
                            "'project_urls' has invalid data", field_hint("project_urls"),
                            source="form",
                        ))
                        break
                    urls[label] = url
                raw[raw_key] = urls
            else:
                raw[raw_key] = items
    return raw, problems


def form_field_problems(artifact: Artifact, form: list[tuple[str, str]],
                   dropped: set[str]) -> list[Problem]:
    """The upload form's own checks (step 6) that twine's fields can fail."""
    present = {key for key, value in form if value}
    problems = []
    if "name" not in present:
        was = "is UNKNOWN, which PyPI drops," if "name" in dropped else "is missing or empty,"
        problems.append(Problem(
            "invalid-metadata", "name", f"the project Name {was} so the name is missing",
            "'' is an invalid value for Name. Error: This field is required.",
            "Set [project] name in pyproject.toml (old setuptools wrote UNKNOWN when "
            "setup() had no name=) and rebuild.", step=STEP_FORM, source="form",
        ))
    if artifact.filetype != "sdist" and "pyversion" not in present:
        problems.append(Problem(
            "invalid-metadata", "pyversion",
            "the Python tag of the wheel filename is UNKNOWN, which PyPI drops",
            "Invalid value for pyversion. Error: Python version is required for binary "
            "distribution uploads.",
            "Rebuild the wheel so that its filename carries a real Python tag (py3, cp312).",
            step=STEP_FORM, source="form", see=None,
        ))
    return problems
