"""Validation of the metadata fields as PyPI runs it (step 7): packaging as PyPI pins it,
then Warehouse's own checks of versions, content types, requirements, licenses,
e-mail addresses and URLs.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from preupload_guard.checks.metadata.classifiers import classifier_problems
from preupload_guard.checks.metadata.problem import Problem
from preupload_guard.checks.metadata.vocabulary import (
    EMAIL_KEYS,
    FIELD_NAMES,
    INTRODUCED_IN,
    LOCAL_VERSION_URL,
    NOT_DYNAMIC,
    PEP639_BACKENDS,
    PYPI_METADATA_VERSIONS,
    PYPROJECT,
    WAREHOUSE_DYNAMIC,
)

if TYPE_CHECKING:
    pass


# -- metadata validation (packaging as PyPI pins it, then Warehouse) ----------------------


def _invalid(value: Any, email_key: str) -> str:
    return f"{value!r} is invalid for {email_key!r}"


def metadata_problems(raw: dict[str, Any], dropped: set[str]) -> list[Problem]:
    problems: list[Problem] = []
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
        add(Problem("metadata-version", "metadata-version", what, answer, hint))
    else:
        age = PYPI_METADATA_VERSIONS.index(mv)
        for raw_key in raw:
            added = INTRODUCED_IN.get(raw_key, "1.0")
            if PYPI_METADATA_VERSIONS.index(added) > age:
                add(introduced(raw_key, added, mv))

    # Version: required, PEP 440, and (Warehouse) no local segment.
    version = raw.get("version")
    if version is None:
        was = "is UNKNOWN, which PyPI drops" if "version" in dropped else "is missing or empty"
        add(Problem("invalid-metadata", "version", f"Version {was}",
                     "'version' is a required field",
                     "Set [project] version (or make the version plugin produce one) and "
                     "rebuild."))
    else:
        try:
            parsed = Version(version)
        except InvalidVersion:
            add(Problem("invalid-metadata", "version",
                         f"Version {version!r} is not a PEP 440 version",
                         _invalid(version, "version"),
                         "Use a PEP 440 version such as 1.2.0, 1.2.0rc1 or 1.2.0.post1 in "
                         "[project] version (or in the tag your version plugin reads)."))
        else:
            if parsed.local is not None:
                add(Problem(
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
            add(Problem("invalid-metadata", "summary", "Summary spans several lines",
                         "'summary' must be a single line",
                         "Make [project] description (the one-line summary) a single line."))
        if len(summary) > 512:
            add(Problem("invalid-metadata", "summary",
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
        if lowered in NOT_DYNAMIC:
            add(Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"{lowered!r} is not allowed as a dynamic field",
                         f"Name, Version and Metadata-Version are never dynamic in core "
                         f"metadata: remove {value!r} from Dynamic (a backend bug, or a "
                         "hand-edited PKG-INFO)."))
        elif lowered not in EMAIL_KEYS.values():
            add(Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"{lowered!r} is not a valid dynamic field",
                         "Dynamic may only name core-metadata fields; fix the value."))
        elif lowered not in WAREHOUSE_DYNAMIC:
            add(Problem("invalid-metadata", "dynamic", f"Dynamic lists {value!r}",
                         f"Dynamic field {lowered!r} is not a valid dynamic field.",
                         "Remove 'Dynamic' from the Dynamic field.", source="warehouse"))

    from packaging.utils import InvalidName, canonicalize_name

    for extra in raw.get("provides_extra", []):
        try:
            canonicalize_name(extra, validate=True)
        except InvalidName:
            add(Problem("invalid-metadata", "provides-extra",
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
            add(Problem("invalid-metadata", "requires-python",
                         f"Requires-Python {requires_python!r} is not a version specifier",
                         _invalid(requires_python, "requires-python"),
                         "Write [project] requires-python as a specifier set such as "
                         "\">=3.10\" (a bare \"3.10\" is not one)."))

    problems.extend(_requirement_problems(raw))
    problems.extend(_license_problems(raw))
    problems.extend(_email_problems(raw))
    problems.extend(_url_problems(raw))
    problems.extend(classifier_problems(raw))
    return problems


def introduced(raw_key: str, added: str, declared: str) -> Problem:
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
    return Problem("metadata-version", email,
                    f"{name} is used, but Metadata-Version {declared} predates it",
                    f"{email} introduced in metadata version {added}, not {declared}", hint)


def _content_type_problem(value: str) -> Problem | None:
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
        return Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} cannot be parsed ({exc})",
                        f"{value!r} is not a valid content type for {key!r}", hint)
    if defects:
        return Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} cannot be parsed",
                        f"{value!r} is not a valid content type for {key!r}: {defects[0]}",
                        hint)
    content_type = message.get_content_type().lower()
    params = header.params
    allowed = ["text/markdown", "text/plain", "text/x-rst"]
    if content_type not in allowed or content_type not in value.lower():
        return Problem("invalid-metadata", key,
                        f"Description-Content-Type {value!r} is not a README format PyPI "
                        "renders", f"{key!r} must be one of {allowed}, not {value!r}", hint)
    charset = params.get("charset", "UTF-8")
    if charset != "UTF-8":
        return Problem(
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
        return Problem(
            "invalid-metadata", key,
            f"Description-Content-Type {value!r} names the Markdown variant {variant!r}; "
            "only GFM and CommonMark are accepted, spelled exactly so",
            f"valid Markdown variants for {key!r} are ['CommonMark', 'GFM'], not {variant!r}",
            "Write variant=GFM or variant=CommonMark, or leave the variant out.",
        )
    return None


def _requirement_problems(raw: dict[str, Any]) -> list[Problem]:
    from packaging.requirements import InvalidRequirement, Requirement

    problems = []
    for value in raw.get("requires_dist", []):
        try:
            req = Requirement(value)
        except InvalidRequirement as exc:
            problems.append(Problem(
                "invalid-metadata", "requires-dist",
                f"Requires-Dist {value!r} is not a PEP 508 requirement ({_first_line(exc)})",
                _invalid(value, "requires-dist"),
                "Fix the requirement in [project] dependencies or "
                "[project.optional-dependencies] (PEP 508: name, extras, specifier, marker).",
            ))
            continue
        if req.url:
            problems.append(Problem(
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
                problems.append(Problem(
                    "invalid-metadata", email,
                    f"{FIELD_NAMES[raw_key]} {value!r} is not a PEP 508 requirement",
                    f"{value!r} is invalid: {_first_line(exc)}",
                    f"Fix or remove {FIELD_NAMES[raw_key]} (rarely needed at all).",
                    source="warehouse",
                ))
                continue
            if req.url:
                problems.append(Problem(
                    "invalid-metadata", email, f"{FIELD_NAMES[raw_key]} {value!r} has a URL",
                    f"Can't have direct dependency: {value!r}",
                    f"Remove the URL from {FIELD_NAMES[raw_key]}.", source="warehouse",
                ))
    return problems


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _license_problems(raw: dict[str, Any]) -> list[Problem]:
    problems = []
    expression = raw.get("license_expression")
    if expression is not None:
        from packaging.licenses import canonicalize_license_expression

        try:
            canonicalize_license_expression(expression)
        except ValueError as exc:
            problems.append(Problem(
                "invalid-metadata", "license-expression",
                f"License-Expression {expression!r} is not a valid SPDX expression ({exc})",
                _invalid(expression, "license-expression"),
                "Write [project] license as an SPDX expression such as \"MIT\" or "
                "\"Apache-2.0 OR MIT\"; a license without an SPDX id is "
                "\"LicenseRef-<Name>\".",
            ))
        if raw.get("license") is not None:
            problems.append(Problem(
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
            problems.append(Problem(
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


def _email_problems(raw: dict[str, Any]) -> list[Problem]:
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
            problems.append(Problem(
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


def _url_problems(raw: dict[str, Any]) -> list[Problem]:
    problems = []
    for raw_key in ("home_page", "download_url"):
        url = raw.get(raw_key)
        if url is None:
            continue
        ok, why = _valid_url(url)
        if not ok:
            problems.append(Problem(
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
            problems.append(Problem(
                "invalid-metadata", "project-url", what, answer,
                "In [project.urls], use labels of 1 to 32 characters and full http(s) URLs "
                "(\"Documentation\" = \"https://...\").", source="warehouse",
            ))
    return problems
