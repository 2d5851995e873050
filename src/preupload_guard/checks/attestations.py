"""PEP 740 attestation rules: what PyPI refuses in the attestations sent with a file.

``twine upload --attestations`` (and pypa/gh-action-pypi-publish, which runs it so) sends
with each distribution every ``<filename>.*.attestation`` among its inputs: twine parses each
file as JSON (refusing the whole run, before any upload, when one is not JSON) and sends the
list as the ``attestations`` form field. PyPI checks it last, after every wheel check
(reference §2.13, step 29; ``warehouse/attestations/services.py``, pypi-attestations 0.0.29
``Attestation.verify``) and answers ``400 Invalid attestations supplied during upload: {e}``:

1. the upload must use Trusted Publishing with a publisher that has an attestation identity
   (not checked here: it needs the credential and the project's publisher);
2. the JSON must be a list of PEP 740 ``Attestation`` objects (``Malformed attestations``);
3. at most 2 per file (one per supported predicate type);
4. each one, in order, is verified: the Sigstore signature against the Trusted Publisher
   (online; not checked here), then its in-toto statement: exactly one subject, whose name
   parses as a distribution filename equal, component by component, to the uploaded
   file's, whose ``digest.sha256`` is the file's sha256, and a known predicate type;
5. no predicate type twice.

Everything but the signature and the identity is a pure function of the sidecar's bytes,
the filename and the file's sha256, so it is checked offline. When the signature does not
verify, PyPI answers with Sigstore's error instead: a structurally wrong attestation is
refused either way, only the wording differs. The Artifact finds and reads the sidecars
(bounded); this module never touches the disk.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from preupload_guard.checks.reuse import is_identical_upload
from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.attestations import MAX_ATTESTATION_BYTES, AttestationFile

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

FAMILY = "attestations"
INVALID = "attestation-invalid"
MISMATCH = "attestation-mismatch"
COUNT = "attestation-count"

#: twine refuses before sending anything (the metadata rules' STEP_TWINE).
STEP_TWINE = 0.5
#: Step 29 (reference §1): after every wheel check. Sub-steps in services.py's order.
STEP_MALFORMED = 29.1
STEP_COUNT = 29.2
STEP_VERIFY = 29.3  # + 0.01 per attestation before it, in the order twine sends them
STEP_DUPLICATE = 0.005  # after that attestation's verification

#: PyPI's documentation root, the namespace of its publish/v1 predicate type; assembled
#: because the project writes no index host into code or docs.
_PYPI_DOCS = "https://docs." + ".".join(("pypi", "org"))
#: ``SUPPORTED_ATTESTATION_TYPES`` = pypi-attestations' ``AttestationType`` values.
PREDICATE_TYPES = (
    f"{_PYPI_DOCS}/attestations/publish/v1",
    "https://slsa.dev/provenance/v1",
)
#: How the docs name them (``<PyPI docs>`` as in the reference).
PREDICATE_NAMES = ("<PyPI docs>/attestations/publish/v1", "https://slsa.dev/provenance/v1")
MAX_PER_FILE = len(PREDICATE_TYPES)
STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
#: sigstore's ``DigestSet`` keys (``dict[Literal[...], str]``).
DIGEST_KEYS = frozenset({"sha256", "sha384", "sha512", "sha3_256", "sha3_384", "sha3_512"})

ANSWER = "400 Invalid attestations supplied during upload: "
VERIFY = "Could not verify the uploaded artifact using the included attestation: "
UNLESS_SIGNATURE = (" (if the signature verifies; if it does not, PyPI answers with "
                    "Sigstore's error instead, and refuses the file all the same)")

_REBUILD = ("Make the attestation again for the file as it is now, after its last rebuild: "
            "pypa/gh-action-pypi-publish does so by itself; elsewhere sign the exact file "
            "(pypi-attestations sign dist/*) and upload that file with its attestation.")

RULES = [
    Rule(
        id=INVALID,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="An attestation file is not JSON, not a PEP 740 attestation, or its "
        "statement is not a valid in-toto statement of a type PyPI knows",
        explanation=(
            "With twine upload --attestations, each <filename>.*.attestation file next to a "
            "distribution is sent with it. twine refuses the whole upload, before sending "
            "anything, when one is not JSON (invalid JSON in attestation: PATH). PyPI then "
            "validates the list against PEP 740's Attestation: version 1, "
            "verification_material with a base64 certificate and at least one "
            "transparency entry (an object), and an envelope whose statement and signature "
            "are base64; otherwise it answers 400 Invalid attestations supplied during "
            "upload: Malformed attestations: ... . While verifying each attestation, the "
            "envelope's statement must be an in-toto v1 statement (_type "
            f"{STATEMENT_TYPE}, a subject list, a string predicateType) of a known predicate "
            f"type ({', '.join(PREDICATE_NAMES)}): otherwise ... Could not verify the "
            "uploaded artifact using the included attestation: Verification failed: invalid "
            "statement / unknown attestation type. The signature itself is verified by PyPI "
            "against the project's Trusted Publisher with Sigstore, which needs the network "
            f"and the publisher: it is not checked here. Files over {MAX_ATTESTATION_BYTES} "
            "bytes are not read (a warning)."
        ),
        fix=(
            "Do not edit attestation files by hand; delete the broken one and attest the "
            "file again (pypa/gh-action-pypi-publish does it itself with attestations: true; "
            "elsewhere pypi-attestations sign). Leave no stray *.attestation files in dist/."
        ),
        step=STEP_VERIFY,
    ),
    Rule(
        id=MISMATCH,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="An attestation's subject is not this file (name or sha256 digest)",
        explanation=(
            "PyPI verifies each attestation against the uploaded file: the in-toto "
            "statement must have exactly one subject; its name must parse as a distribution "
            "filename whose components (normalized name, version, and for wheels the build "
            "tag and the tag set) equal the uploaded file's, so a differently spelled but "
            "equivalent name passes; its digest.sha256 must be the file's sha256, in "
            "lowercase hex. Otherwise: 400 Invalid attestations supplied during upload: "
            "Could not verify the uploaded artifact using the included attestation: "
            "Verification failed: subject does not match distribution digest (or name, or "
            "too many subjects in statement (must be exactly one)). The usual cause is a "
            "file rebuilt or renamed after it was attested."
        ),
        fix=_REBUILD,
        step=STEP_VERIFY,
    ),
    Rule(
        id=COUNT,
        family=FAMILY,
        severity=Severity.ERROR,
        summary=f"More than {MAX_PER_FILE} attestations for one file, or two of one "
        "predicate type",
        explanation=(
            f"PyPI accepts at most {MAX_PER_FILE} attestations per file, one per supported "
            "predicate type (publish/v1 and SLSA provenance v1): more answers 400 Invalid "
            f"attestations supplied during upload: A maximum of {MAX_PER_FILE} attestations "
            "per file are supported, and two of the same type answer ... Multiple "
            "attestations for the same file with the same predicate type (TYPE) are not "
            "supported. twine sends every <filename>.*.attestation among its inputs, so a "
            "leftover copy (X.publish.attestation.bak is not one, X.old.attestation is) "
            "counts."
        ),
        fix="Keep one attestation per predicate type next to each file; delete the others.",
        step=STEP_COUNT,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@dataclass(frozen=True)
class Problem:
    """One reason PyPI (or twine) refuses an attestation: rule, step, our words, its answer."""

    rule: str
    step: float
    what: str
    answer: str


# -- the Attestation model (pypi-attestations ``Attestation``, pydantic, extra keys ignored) --
def _base64_problem(value: Any) -> str | None:
    """pydantic ``Base64Bytes`` from JSON: a string that ``base64.b64decode`` accepts."""
    if not isinstance(value, str):
        return "Input should be a valid string"
    try:
        base64.b64decode(value.encode("utf-8"))
    except (binascii.Error, ValueError) as exc:
        return f"Base64 decoding error: '{exc}'"
    return None


def shape_problems(data: Any) -> list[str]:
    """``loc: message`` for each way ``data`` is not a PEP 740 Attestation object."""
    if not isinstance(data, dict):
        return ["Input should be an object (an Attestation)"]
    problems: list[str] = []
    version = data.get("version")
    if "version" not in data:
        problems.append("version: Field required")
    elif isinstance(version, bool) or version != 1 or not isinstance(version, int):
        problems.append(f"version: Input should be 1 (got {json.dumps(version)})")
    material = data.get("verification_material")
    if not isinstance(material, dict):
        problems.append("verification_material: " + (
            "Field required" if "verification_material" not in data
            else "Input should be an object"))
    else:
        if "certificate" not in material:
            problems.append("verification_material.certificate: Field required")
        elif (why := _base64_problem(material["certificate"])) is not None:
            problems.append(f"verification_material.certificate: {why}")
        entries = material.get("transparency_entries")
        if "transparency_entries" not in material:
            problems.append("verification_material.transparency_entries: Field required")
        elif not isinstance(entries, list):
            problems.append("verification_material.transparency_entries: Input should be a "
                            "valid list")
        elif not entries:
            problems.append("verification_material.transparency_entries: List should have "
                            "at least 1 item")
        else:
            problems.extend(f"verification_material.transparency_entries.{i}: Input should "
                            "be an object" for i, e in enumerate(entries)
                            if not isinstance(e, dict))
    envelope = data.get("envelope")
    if not isinstance(envelope, dict):
        problems.append("envelope: " + ("Field required" if "envelope" not in data
                                        else "Input should be an object"))
    else:
        for key in ("statement", "signature"):
            if key not in envelope:
                problems.append(f"envelope.{key}: Field required")
            elif (why := _base64_problem(envelope[key])) is not None:
                problems.append(f"envelope.{key}: {why}")
    return problems


# -- the statement and the subject (``Attestation.verify`` after the signature) -------------
def _dist_parts(filename: str) -> tuple[Any, ...]:
    """pypi-attestations' ``_check_dist_filename``: the parsed components, or ValueError."""
    if filename.endswith(".whl"):
        return tuple(parse_wheel_filename(filename))
    if filename.endswith((".tar.gz", ".zip")):
        return tuple(parse_sdist_filename(filename))
    raise ValueError(f"unknown distribution format: {filename}")


def _statement_problem(statement: Any) -> str | None:
    """Why ``statement`` is not a sigstore ``_Statement`` (in-toto v1), else ``None``."""
    if not isinstance(statement, dict):
        return "the statement is not a JSON object"
    if statement.get("_type") != STATEMENT_TYPE:
        return f"_type must be {STATEMENT_TYPE!r}, not {json.dumps(statement.get('_type'))}"
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return "subject must be a list of at least one subject"
    for i, subject in enumerate(subjects):
        if not isinstance(subject, dict):
            return f"subject {i} is not an object"
        if "name" not in subject:
            return f"subject {i} has no name field"
        if subject["name"] is not None and not isinstance(subject["name"], str):
            return f"subject {i}'s name is not a string"
        digest = subject.get("digest")
        if not isinstance(digest, dict):
            return f"subject {i} has no digest object"
        for key, value in digest.items():
            if key not in DIGEST_KEYS:
                return (f"subject {i}'s digest has the algorithm {key!r} (allowed: "
                        f"{', '.join(sorted(DIGEST_KEYS))})")
            if not isinstance(value, str):
                return f"subject {i}'s {key} digest is not a string"
    if not isinstance(statement.get("predicateType"), str):
        return "predicateType must be a string"
    predicate = statement.get("predicate")
    if predicate is not None and not isinstance(predicate, dict):
        return "predicate must be an object"
    return None


def verify_problems(attestation: dict[str, Any], filename: str, sha256: str,
                    step: float) -> tuple[list[Problem], str | None]:
    """What ``Attestation.verify(identity, Distribution(filename, sha256))`` would refuse.

    Returns the problems (at most one: verification stops at the first) and the predicate
    type when the statement got that far. ``attestation`` has passed :func:`shape_problems`.
    """
    def fail(rule: str, what: str, error: str) -> tuple[list[Problem], str | None]:
        return [Problem(rule, step, what, f"{ANSWER}{VERIFY}Verification failed: {error}")], None

    raw = base64.b64decode(attestation["envelope"]["statement"].encode("utf-8"))
    try:
        statement = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return fail(INVALID, "its envelope's statement does not decode to JSON",
                    "invalid statement: ...")
    if (why := _statement_problem(statement)) is not None:
        return fail(INVALID, f"its in-toto statement is invalid: {why}",
                    "invalid statement: ...")
    subjects = statement["subject"]
    if len(subjects) != 1:
        return fail(MISMATCH, f"its statement has {len(subjects)} subjects, not exactly one",
                    "too many subjects in statement (must be exactly one)")
    subject = subjects[0]
    name = subject["name"]
    if not name:
        return fail(MISMATCH, "its subject has no name", "invalid subject: missing name")
    try:
        subject_parts = _dist_parts(name)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError) as exc:
        return fail(MISMATCH, f"its subject name {name!r} is not a distribution filename",
                    f"invalid subject: {exc}")
    try:
        dist_parts: tuple[Any, ...] | None = _dist_parts(filename)
    except (InvalidWheelFilename, InvalidSdistFilename, ValueError):
        dist_parts = None  # the filename rules refuse this file earlier
    if dist_parts is not None and subject_parts != dist_parts:
        return fail(MISMATCH, f"its subject is {name!r}, another distribution",
                    f"subject does not match distribution name: {name} != {filename}")
    digest = subject["digest"].get("sha256")
    if digest is None or digest != sha256:
        what = ("its subject has no sha256 digest" if digest is None else
                f"its subject's sha256 is {digest}, the file's is {sha256}")
        return fail(MISMATCH, what, "subject does not match distribution digest")
    predicate_type = statement["predicateType"]
    if predicate_type not in PREDICATE_TYPES:
        return fail(INVALID, f"its predicate type {predicate_type!r} is not one PyPI knows",
                    f"unknown attestation type: {predicate_type}")
    return [], predicate_type


def attestation_problems(files: tuple[AttestationFile, ...] | list[AttestationFile],
                         filename: str, sha256: str) -> list[tuple[AttestationFile, Problem]]:
    """Every refusal twine and PyPI would make for these sidecars of ``filename``.

    Problems carry the step where they are met, so that the runner marks those hidden
    behind an earlier one (PyPI stops at the first).
    """
    found: list[tuple[AttestationFile, Problem]] = []
    parsed: list[tuple[AttestationFile, Any]] = []
    for sidecar in files:
        if sidecar.content is None:
            continue
        try:
            data = json.loads(sidecar.content)
        except (UnicodeDecodeError, ValueError):
            found.append((sidecar, Problem(
                INVALID, STEP_TWINE, "is not valid JSON",
                f"twine refuses the upload before sending anything: invalid JSON in "
                f"attestation: {sidecar.name}")))
            continue
        parsed.append((sidecar, data))
    well_formed: list[tuple[AttestationFile, dict[str, Any]]] = []
    for sidecar, data in parsed:
        problems = shape_problems(data)
        if problems:
            count = len(problems)
            found.append((sidecar, Problem(
                INVALID, STEP_MALFORMED,
                "is not a PEP 740 attestation (" + "; ".join(problems) + ")",
                f"{ANSWER}Malformed attestations: {count} validation error"
                f"{'s' if count > 1 else ''} for list[Attestation] ({problems[0]})")))
        else:
            well_formed.append((sidecar, data))
    if len(parsed) > MAX_PER_FILE:
        found.append((parsed[MAX_PER_FILE][0], Problem(
            COUNT, STEP_COUNT, f"is attestation number {len(parsed)} for this file",
            f"{ANSWER}A maximum of {MAX_PER_FILE} attestations per file are supported")))
    seen: dict[str, str] = {}
    for index, (sidecar, data) in enumerate(well_formed):
        step = round(STEP_VERIFY + 0.01 * index, 3)
        problems, predicate_type = verify_problems(data, filename, sha256, step)
        found.extend((sidecar, p) for p in problems)
        if predicate_type is None:
            continue
        if predicate_type in seen:
            found.append((sidecar, Problem(
                COUNT, round(step + STEP_DUPLICATE, 3),
                f"has the predicate type of {seen[predicate_type]} ({predicate_type})",
                f"{ANSWER}Multiple attestations for the same file with the same predicate "
                f"type ({predicate_type}) are not supported")))
        else:
            seen[predicate_type] = sidecar.name
    return found


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context) -> Iterator[Finding]:
    if artifact.filetype is None:
        return  # not something twine uploads (the extension rules say why)
    sidecars = artifact.attestations
    if not sidecars:
        return
    if artifact.sha256 is None:
        artifact.compute_digests()  # the Artifact's own cached pass over the file
    sha256 = artifact.sha256 or ""
    if is_identical_upload(context.project(artifact.project), artifact):
        return  # PyPI answers 200 at step 22, before it looks at attestations
    fn = artifact.filename
    for sidecar in sidecars:
        if sidecar.content is None:
            yield Finding(
                INVALID,
                f"{fn}: the attestation {sidecar.name} was not checked: {sidecar.error}.",
                fn,
                hint="A PEP 740 attestation is a few KiB; check that this is the right file.",
                severity=Severity.WARNING,
                step=STEP_MALFORMED,
            )
    for sidecar, problem in attestation_problems(sidecars, fn, sha256):
        later = problem.step >= STEP_VERIFY and problem.rule != COUNT
        yield Finding(
            problem.rule,
            f"{fn}: the attestation {sidecar.name} {problem.what}; "
            + ("" if problem.step == STEP_TWINE else "PyPI would answer: ")
            + problem.answer + (UNLESS_SIGNATURE if later else "") + ".",
            fn,
            hint=_HINTS[problem.rule],
            step=problem.step,
        )


_HINTS = {
    INVALID: RULES[0].fix,
    MISMATCH: _REBUILD,
    COUNT: RULES[2].fix,
}
