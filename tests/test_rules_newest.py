"""PyPI's newest scanner rule, ``secrets_pypi_token``: a PyPI API token in a .py/.pye member.

Real wheels and sdists built with the testing kit, checked offline. Each case has its near
miss. Token-shaped strings are assembled at run time (a literal one in this file would make
an sdist of this project refused by the very rule under test).
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

from preupload_guard.checks.archives import RULES
from preupload_guard.checks.archives.token_scan import (
    PYPI_TOKEN_MESSAGE,
    TOKEN_HEAD,
    TokenScanner,
    find_pypi_token,
)
from preupload_guard.model.findings import Severity
from preupload_guard.testing import metadata_text

#: 150 token characters: the shortest run after the head that PyPI's regex matches.
BODY = (b"Ab9-_xYz01" * 20)[:150]
TOKEN = TOKEN_HEAD + BODY
#: TestPyPI tokens start with another macaroon location ("test.pypi.org").
TEST_HEAD = b"pypi-" + b"AgENdGVzdC5weXBpLm9yZw"
RULE = "pypi-token"
DIST_INFO = "tinyproj-1.0.0.dist-info"


def source(token: bytes) -> bytes:
    return b"import os\n\nTOKEN = '" + token + b"'\n"


# -- the rule's declaration --------------------------------------------------------------
def test_the_rule_is_declared_in_the_archives_family_at_the_scan_step() -> None:
    rule = next(r for r in RULES if r.id == RULE)
    encrypted = next(r for r in RULES if r.id == "encrypted-code")
    assert rule.family == "archives" and rule.severity is Severity.ERROR
    assert rule.step == encrypted.step and rule.explanation and rule.fix
    assert "150,157" in rule.explanation and not rule.needs_index


# -- fires / near misses -------------------------------------------------------------------
def test_a_token_in_a_wheel_py_member_is_refused(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/conf.py":
                                     source(TOKEN)})
    run = guard_check(wheel)
    finding = run.finding(RULE)
    assert finding.severity is Severity.ERROR and finding.masked_by is None
    assert "tinyproj/conf.py" in finding.message and "line 3" in finding.message
    assert f"400 Invalid distribution file. {PYPI_TOKEN_MESSAGE}" in finding.message
    assert run.exit_code == 1
    # The token itself is never repeated, in any output.
    assert BODY.decode() not in run.text and BODY.decode() not in str(run.json)


def test_149_token_characters_are_not_a_match(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/conf.py": source(TOKEN[:-1])})
    assert RULE not in guard_check(wheel).rules


def test_a_longer_run_still_matches_its_first_150_to_157(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/conf.py": source(TOKEN + BODY)})
    assert RULE in guard_check(wheel).rules


def test_a_character_outside_the_class_breaks_the_run(guard_dists, guard_check) -> None:
    broken = TOKEN[:100] + b"." + TOKEN[101:] + b"A"
    wheel = guard_dists.wheel(files={"tinyproj/conf.py": source(broken)})
    assert RULE not in guard_check(wheel).rules


def test_a_testpypi_token_does_not_match(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/conf.py": source(TEST_HEAD + BODY)})
    assert RULE not in guard_check(wheel).rules


def test_the_head_is_case_sensitive(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/conf.py": source(TOKEN.upper())})
    assert RULE not in guard_check(wheel).rules


def test_a_token_in_a_non_python_member_is_not_scanned(guard_dists, guard_check) -> None:
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/conf.toml":
                                     source(TOKEN), "tinyproj/conf.py.txt": source(TOKEN)})
    assert RULE not in guard_check(wheel).rules


def test_pye_and_uppercase_suffixes_are_scanned(guard_dists, guard_check) -> None:
    for member in ("tinyproj/payload.pye", "tinyproj/CONF.PY"):
        wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", member: source(TOKEN)})
        assert member in guard_check(wheel).finding(RULE).message


def test_a_token_in_an_sdist_is_refused_too(guard_dists, guard_check) -> None:
    sdist = guard_dists.sdist(files={"pyproject.toml": b"[project]\nname = 'x'\n",
                                     "src/tinyproj/__init__.py": source(TOKEN)})
    run = guard_check(sdist)
    assert "tinyproj-1.0.0/src/tinyproj/__init__.py" in run.finding(RULE).message


def test_a_member_over_5_mib_is_not_scanned(guard_dists, guard_check) -> None:
    filler = b"#" * (5 * 1024 * 1024)
    big = guard_dists.wheel(files={"tinyproj/big.py": filler + source(TOKEN)})
    assert RULE not in guard_check(big).rules
    # Near miss: exactly 5 MiB is still scanned.
    data = source(TOKEN)
    exact = guard_dists.wheel(files={"tinyproj/big.py": b"#" * (5 * 1024 * 1024 - len(data))
                                     + data})
    assert RULE in guard_check(exact).rules


def test_a_token_split_across_two_members_is_not_a_match(tmp_path: Path, guard_check) -> None:
    # PyPI's bulk scan of the concatenation matches, but no single member does: discarded.
    members = {
        "tinyproj/a.py": TOKEN[:80],
        "tinyproj/b.py": TOKEN[80:],
        f"{DIST_INFO}/METADATA": metadata_text().encode(),
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\n"
                              b"Tag: py3-none-any\n",
    }
    record = "".join(f"{n},,\n" for n in members) + f"{DIST_INFO}/RECORD,,\n"
    members[f"{DIST_INFO}/RECORD"] = record.encode()
    path = tmp_path / "tinyproj-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    assert RULE not in guard_check(path).rules


def test_a_token_in_a_tar_symlink_target_name_is_not_scanned(tmp_path: Path,
                                                                guard_check) -> None:
    # Only regular files are read: a symlink member named .py is skipped.
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tf:
        for name, data in {"tinyproj-1.0.0/PKG-INFO": metadata_text().encode(),
                           "tinyproj-1.0.0/pyproject.toml": b"[project]\n"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("tinyproj-1.0.0/conf.py")
        link.type = tarfile.SYMTYPE
        link.linkname = TOKEN.decode()
        tf.addfile(link)
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    path.write_bytes(raw.getvalue())
    assert RULE not in guard_check(path).rules


# -- which answer PyPI gives first -----------------------------------------------------------
def test_in_one_member_pyarmor_answers_before_the_token(guard_dists, guard_check) -> None:
    pyarmor = b"__pyarmor" + b"_enter__"
    wheel = guard_dists.wheel(files={"tinyproj/x.py": pyarmor + b"\n" + source(TOKEN)})
    run = guard_check(wheel)
    assert run.finding("encrypted-code").masked_by is None
    assert run.finding(RULE).masked_by == "encrypted-code"


def test_in_one_member_the_token_answers_before_sourcedefender(guard_dists,
                                                                guard_check) -> None:
    pye = b"---BEGIN PYE" + b" FILE---\n" + source(TOKEN) + b"---END PYE" + b" FILE---\n"
    run = guard_check(guard_dists.wheel(files={"tinyproj/x.py": pye}))
    assert run.finding(RULE).masked_by is None
    assert run.finding("encrypted-code").masked_by == RULE


def test_across_members_the_first_matching_member_answers(guard_dists, guard_check) -> None:
    pyarmor = b"__pyarmor" + b"_exit__"
    wheel = guard_dists.wheel(files={"tinyproj/a.py": source(TOKEN),
                                     "tinyproj/b.py": pyarmor})
    run = guard_check(wheel)
    assert run.finding(RULE).masked_by is None
    assert run.finding("encrypted-code").masked_by == RULE
    assert len(run.findings_of(RULE)) == 1


# -- the pure functions the shared member pass can call ---------------------------------------
def test_find_pypi_token_names_the_member_and_line_never_the_token() -> None:
    match = find_pypi_token("pkg/x.py", b"a\nb\n" + TOKEN)
    assert match is not None and match.line == 3 and match.offset == 4
    assert BODY.decode() not in repr(match) and match.redacted.endswith("…")
    assert find_pypi_token("pkg/x.txt", TOKEN) is None
    assert find_pypi_token("pkg/x.py", TOKEN[:-1]) is None


def test_the_chunked_scanner_finds_what_the_whole_content_scan_finds() -> None:
    content = b"\n".join([b"x = 1"] * 500) + b"\n" + TOKEN + b"\n"
    whole = find_pypi_token("m.py", content)
    for size in (1, 7, 64, 171, 172, 4096):
        scanner = TokenScanner("m.py")
        for i in range(0, len(content), size):
            scanner.feed(content[i:i + size])
        assert scanner.match == whole, size
    near = TokenScanner("m.py")
    for i in range(0, len(content) - 2, 5):
        near.feed(content[: len(content) - 2][i:i + 5])
    assert near.match is None


def test_no_python_file_of_this_project_trips_pypis_scanner() -> None:
    # preupload-guard's own wheel and sdist hold these files: a marker or a token-shaped
    # string written whole in one of them would make PyPI refuse the project's own upload.
    from preupload_guard.checks.archives.base import _match_rules

    root = Path(__file__).resolve().parent.parent
    tripped = [
        f"{path.relative_to(root)}: {rule}"
        for folder in ("src", "tests", "plugins", "examples", "scripts", "benchmarks")
        for path in sorted((root / folder).rglob("*.py*"))
        if path.suffix.lower() in {".py", ".pye"} and path.is_file()
        for rule, _, _ in _match_rules(path.name, path.read_bytes())
    ]
    assert tripped == []
