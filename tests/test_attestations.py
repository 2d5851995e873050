"""PEP 740 attestation sidecars, checked offline as twine and PyPI would judge them.

Real wheels and sdists from the testing kit, with ``<filename>.<kind>.attestation`` files
written next to them; each refusal has its near miss that stays silent. Signatures are
placeholders: PyPI verifies them online against the Trusted Publisher, which is out of
reach offline, so only the structure is judged.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from preupload_guard.checks.attestations import (
    COUNT,
    INVALID,
    MISMATCH,
    PREDICATE_TYPES,
    RULES,
    STATEMENT_TYPE,
    STEP_TWINE,
)
from preupload_guard.model.findings import Severity
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.attestations import MAX_ATTESTATION_BYTES
from preupload_guard.testing import FixtureFile, FixtureProject

PUBLISH, SLSA = PREDICATE_TYPES
OURS = {rule.id for rule in RULES}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def statement(name: str, digest: str, predicate_type: str = PUBLISH,
              **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": name, "digest": {"sha256": digest}}],
        "predicateType": predicate_type,
        "predicate": {},
    }
    body.update(changes)
    return body


def attestation(dist: Path, *, stmt: dict[str, Any] | None = None,
                predicate_type: str = PUBLISH, **changes: Any) -> dict[str, Any]:
    """A PEP 740 Attestation of ``dist`` (placeholder certificate and signature)."""
    stmt = stmt if stmt is not None else statement(dist.name, sha256(dist), predicate_type)
    data: dict[str, Any] = {
        "version": 1,
        "verification_material": {"certificate": b64(b"0\x82\x01\x00cert"),
                                  "transparency_entries": [{"logIndex": "1"}]},
        "envelope": {"statement": b64(json.dumps(stmt).encode()),
                     "signature": b64(b"sig")},
    }
    data.update(changes)
    return data


def write(dist: Path, data: Any, kind: str = "publish") -> Path:
    path = dist.parent / f"{dist.name}.{kind}.attestation"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def ours(run: Any) -> list[str]:
    return [r for r in run.rules if r in OURS]


# -- declarations --------------------------------------------------------------------------
def test_the_rules_are_declared_after_every_wheel_check() -> None:
    assert {INVALID, MISMATCH, COUNT} == OURS
    for rule in RULES:
        assert rule.family == "attestations" and rule.severity is Severity.ERROR
        assert rule.explanation and rule.fix and rule.step and rule.step >= 29
        assert not rule.needs_index


# -- the near miss for everything: a well-formed attestation of this very file -------------
def test_a_matching_attestation_and_no_attestation_are_silent(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    assert ours(guard_check(wheel)) == []
    write(wheel, attestation(wheel))
    run = guard_check(wheel)
    assert ours(run) == [] and run.exit_code == 0


def test_sdists_are_checked_too(guard_dists, guard_check) -> None:
    sdist = guard_dists.sdist()
    write(sdist, attestation(sdist))
    assert ours(guard_check(sdist)) == []
    other = guard_dists.wheel()
    write(sdist, attestation(other))  # the wheel's subject next to the sdist
    assert ours(guard_check(sdist)) == [MISMATCH]


# -- attestation-invalid -------------------------------------------------------------------
def test_a_sidecar_that_is_not_json_stops_twine(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, b"{not json")
    finding = guard_check(wheel).finding(INVALID)
    assert finding.step == STEP_TWINE
    assert "invalid JSON in attestation: " in finding.message
    assert "twine refuses the upload before sending anything" in finding.message


def test_a_wrong_version_is_malformed(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, version=2))
    finding = guard_check(wheel).finding(INVALID)
    assert ("400 Invalid attestations supplied during upload: Malformed attestations"
            in finding.message) and "version" in finding.message
    write(wheel, attestation(wheel, version=True))  # a bool is not the integer 1
    assert ours(guard_check(wheel)) == [INVALID]


def test_missing_or_empty_transparency_entries_are_malformed(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    data = attestation(wheel)
    data["verification_material"]["transparency_entries"] = []
    write(wheel, data)
    assert "at least 1 item" in guard_check(wheel).finding(INVALID).message
    del data["verification_material"]["transparency_entries"]
    write(wheel, data)
    assert "Field required" in guard_check(wheel).finding(INVALID).message


def test_a_statement_that_is_not_base64_is_malformed(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    data = attestation(wheel)
    data["envelope"]["statement"] = "abc"  # incorrect padding
    write(wheel, data)
    assert "Base64 decoding error" in guard_check(wheel).finding(INVALID).message
    # Near miss: pydantic's b64decode skips characters outside the alphabet.
    data["envelope"]["statement"] = b64(json.dumps(statement(wheel.name, sha256(wheel)))
                                        .encode()) + "\n"
    write(wheel, data)
    assert ours(guard_check(wheel)) == []


def test_a_statement_that_is_not_in_toto_v1_is_invalid(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    stmt = statement(wheel.name, sha256(wheel), _type="https://in-toto.io/Statement/v0.1")
    write(wheel, attestation(wheel, stmt=stmt))
    finding = guard_check(wheel).finding(INVALID)
    assert "Verification failed: invalid statement" in finding.message
    assert "if the signature verifies" in finding.message


def test_an_unknown_digest_algorithm_is_an_invalid_statement(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    stmt = statement(wheel.name, sha256(wheel))
    stmt["subject"][0]["digest"]["md5"] = "0" * 32
    write(wheel, attestation(wheel, stmt=stmt))
    assert "md5" in guard_check(wheel).finding(INVALID).message
    stmt["subject"][0]["digest"] = {"sha256": sha256(wheel), "sha512": "0" * 128}
    write(wheel, attestation(wheel, stmt=stmt))
    assert ours(guard_check(wheel)) == []


def test_an_unknown_predicate_type_is_refused_and_slsa_is_known(guard_dists,
                                                                  guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, predicate_type="https://example.invalid/v1"))
    finding = guard_check(wheel).finding(INVALID)
    assert "unknown attestation type: https://example.invalid/v1" in finding.message
    write(wheel, attestation(wheel, predicate_type=SLSA))
    assert ours(guard_check(wheel)) == []


def test_a_sidecar_over_1_mib_is_not_read_and_says_so(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    data = attestation(wheel)
    data["padding"] = "x" * MAX_ATTESTATION_BYTES
    write(wheel, data)
    finding = guard_check(wheel).finding(INVALID)
    assert finding.severity is Severity.WARNING and "not checked" in finding.message


# -- attestation-mismatch ------------------------------------------------------------------
def test_a_digest_of_another_build_is_refused(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement(wheel.name, "0" * 64)))
    run = guard_check(wheel)
    finding = run.finding(MISMATCH)
    assert ("Could not verify the uploaded artifact using the included attestation: "
            "Verification failed: subject does not match distribution digest") in finding.message
    assert run.exit_code == 1


def test_the_digest_is_compared_as_the_exact_lowercase_string(guard_dists,
                                                               guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement(wheel.name, sha256(wheel).upper())))
    assert ours(guard_check(wheel)) == [MISMATCH]


def test_a_missing_sha256_is_refused(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    stmt = statement(wheel.name, sha256(wheel))
    stmt["subject"][0]["digest"] = {"sha512": "0" * 128}
    write(wheel, attestation(wheel, stmt=stmt))
    assert "has no sha256 digest" in guard_check(wheel).finding(MISMATCH).message


def test_a_subject_naming_another_version_is_refused(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    name = wheel.name.replace("1.0.0", "1.0.1")
    write(wheel, attestation(wheel, stmt=statement(name, sha256(wheel))))
    finding = guard_check(wheel).finding(MISMATCH)
    assert f"subject does not match distribution name: {name} != {wheel.name}" \
        in finding.message


def test_an_equivalent_spelling_of_the_name_is_accepted(guard_dists, guard_check) -> None:
    # pypi-attestations >= 0.0.27 compares the parsed components, not the strings.
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement("TinyProj-1.0-py3-none-any.whl",
                                                   sha256(wheel))))
    assert ours(guard_check(wheel)) == []


def test_a_subject_that_is_not_a_distribution_filename_is_refused(guard_dists,
                                                                    guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement("tinyproj.exe", sha256(wheel))))
    assert "invalid subject: unknown distribution format: tinyproj.exe" \
        in guard_check(wheel).finding(MISMATCH).message
    write(wheel, attestation(wheel, stmt=statement("", sha256(wheel))))
    assert "invalid subject: missing name" in guard_check(wheel).finding(MISMATCH).message


def test_two_subjects_are_refused_even_if_one_matches(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    stmt = statement(wheel.name, sha256(wheel))
    stmt["subject"].append({"name": wheel.name, "digest": {"sha256": sha256(wheel)}})
    write(wheel, attestation(wheel, stmt=stmt))
    assert "too many subjects in statement (must be exactly one)" \
        in guard_check(wheel).finding(MISMATCH).message


# -- attestation-count ---------------------------------------------------------------------
def test_one_of_each_predicate_type_is_accepted_a_third_is_not(guard_dists,
                                                                guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel))
    write(wheel, attestation(wheel, predicate_type=SLSA), kind="slsa")
    assert ours(guard_check(wheel)) == []
    write(wheel, attestation(wheel), kind="zzz")
    run = guard_check(wheel)
    finding = run.finding(COUNT)
    assert "A maximum of 2 attestations per file are supported" in finding.message


def test_two_attestations_of_one_type_are_refused(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel))
    write(wheel, attestation(wheel), kind="second")
    finding = guard_check(wheel).finding(COUNT)
    assert ("Multiple attestations for the same file with the same predicate type "
            f"({PUBLISH}) are not supported") in finding.message


# -- what twine pairs with a file ----------------------------------------------------------
def test_only_this_files_attestations_are_paired(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel()
    sdist = guard_dists.sdist()
    write(sdist, attestation(sdist))
    (wheel.parent / f"{wheel.name}.publish.attestation.bak").write_text("junk")
    (wheel.parent / "tinyproj.publish.attestation").write_text("junk")  # names no file
    assert [a.name for a in Artifact(wheel).attestations] == []
    assert [a.name for a in Artifact(sdist).attestations] == [f"{sdist.name}.publish.attestation"]
    assert ours(guard_check([wheel, sdist])) == []
    # twine's own test is only fnmatch("*.*.attestation") plus the name prefix, so even
    # "<filename>.attestation" travels with the file (the filename has dots of its own).
    (wheel.parent / f"{wheel.name}.attestation").write_text("junk")
    assert [a.name for a in Artifact(wheel).attestations] == [f"{wheel.name}.attestation"]


def test_a_directory_argument_checks_the_attestations_beside_its_files(guard_dists,
                                                                        guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement(wheel.name, "1" * 64)))
    run = guard_check(wheel.parent)
    assert ours(run) == [MISMATCH] and run.finding(MISMATCH).file == wheel.name
    # The sidecar is not itself taken for a distribution file.
    assert [f.filename for f in run.report.files] == [wheel.name]


# -- PyPI's order: the first refusal hides the later ones ----------------------------------
def test_a_later_attestation_is_hidden_behind_the_first_ones_refusal(guard_dists,
                                                                     guard_check) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement(wheel.name, "0" * 64)), kind="a")
    write(wheel, attestation(wheel, predicate_type="https://example.invalid/v1"), kind="b")
    run = guard_check(wheel)
    assert run.finding(MISMATCH).masked_by is None
    assert run.finding(INVALID).masked_by == MISMATCH


def test_an_earlier_archive_refusal_hides_the_attestation_findings(guard_dists,
                                                                    guard_check) -> None:
    wheel = guard_dists.wheel(omit=("RECORD",))  # refused at step 28
    write(wheel, attestation(wheel, stmt=statement(wheel.name, "0" * 64)))
    run = guard_check(wheel)
    assert run.finding(MISMATCH).masked_by == "wheel-missing-file"


def test_an_identical_reupload_never_reaches_the_attestation_check(guard_dists, guard_check,
                                                                    guard_index) -> None:
    wheel = guard_dists.wheel()
    write(wheel, attestation(wheel, stmt=statement(wheel.name, "0" * 64)))
    index = guard_index(projects=[FixtureProject(
        "tinyproj", files=[FixtureFile(wheel.name, content=wheel.read_bytes())])])
    assert MISMATCH not in guard_check(wheel, index=index).rules
