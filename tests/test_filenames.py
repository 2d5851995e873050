"""The filename rules, on real files: each refusal next to the near miss PyPI accepts.

Archives are built in ``tmp_path`` and checked through the public ``check()`` entry point,
so every test also proves that the rules are registered, selected and ordered (masked) by
the real runner. Where a condition cannot exist on a Linux disk (a name over 255 bytes), an
:class:`Artifact` reports a longer name for a real file and goes through ``run_checks``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable
from pathlib import Path

import pytest

from preupload_guard import Report, check
from preupload_guard.checks.filenames import (
    RULES,
    WheelNameError,
    is_allowed_platform_tag,
    parse_wheel_name,
)
from preupload_guard.engine.config import load_settings
from preupload_guard.engine.runner import run_checks
from preupload_guard.model.findings import Finding, Severity
from preupload_guard.read.artifact import Artifact, distribution_type
from preupload_guard.testing import (
    make_sdist,
    make_wheel,
    make_zip_sdist,
    metadata_text,
    sized_file,
)

OURS = {rule.id for rule in RULES}


def run(*paths: Path) -> Report:
    report = check(list(paths), offline=True)
    crashes = [f for f in report.findings if f.rule == "plugin-error" and "filenames" in f.message]
    assert not crashes, crashes
    return report


def found(*paths: Path) -> list[Finding]:
    """The filename-family findings for ``paths``, in the runner's order."""
    return [f for f in run(*paths).findings if f.rule in OURS]


def rules(findings: Iterable[Finding]) -> list[str]:
    return [f.rule for f in findings]


def only(findings: list[Finding], rule: str) -> Finding:
    hits = [f for f in findings if f.rule == rule]
    assert len(hits) == 1, findings
    return hits[0]


def wheel_named(directory: Path, filename: str, name: str = "tinyproj",
                version: str = "1.0.0", **kwargs: object) -> Path:
    """A valid wheel under ``filename``, its .dist-info spelled like the filename's start
    (as PyPI's archive check wants), with metadata ``name``/``version``."""
    parts = filename.split("-")
    dist_info = f"{parts[0]}-{parts[1]}.dist-info" if len(parts) > 2 else None
    kwargs.setdefault("metadata", metadata_text(name, version))
    return make_wheel(directory, name, version, filename=filename, dist_info=dist_info,
                      **kwargs)  # type: ignore[arg-type]


# -- the declarations ---------------------------------------------------------------------

def test_rules_are_declared_as_the_spec_lists_them() -> None:
    spec = {
        "filename-characters", "filename-too-long", "invalid-extension", "sdist-filename",
        "wheel-filename", "filename-project-mismatch", "filename-version-mismatch",
        "unsupported-platform-tag",
    }
    assert spec == OURS
    for rule in RULES:
        assert rule.family == "filenames"
        assert rule.severity is Severity.ERROR
        assert not rule.needs_index
        assert rule.summary and rule.fix and "PyPI" in rule.explanation
        assert rule.step is not None and 17 <= rule.step < 29
        assert "://" not in rule.explanation + rule.fix  # no links, no host names


def test_valid_wheel_and_sdist_have_no_filename_findings(tmp_path: Path) -> None:
    report = run(make_wheel(tmp_path), make_sdist(tmp_path))
    assert [f for f in report.findings if f.rule in OURS] == []
    assert [s for s in report.skipped if s.rule in OURS] == []


# -- step 17: characters and separators -----------------------------------------------------

@pytest.mark.parametrize("char", ["\x01", "\t", "\n", "\x1b", "\x1f", "\x7f"])
def test_control_character_in_the_name_is_refused(tmp_path: Path, char: str) -> None:
    # In the build tag, so that nothing but the character is wrong with the name.
    path = wheel_named(tmp_path, f"tinyproj-1.0.0-1{char}-py3-none-any.whl")
    findings = found(path)
    assert rules(findings)[0] == "filename-characters"
    # PyPI's extension pattern does not cross a line break either: that refusal is real,
    # but hidden behind this one.
    assert rules(findings)[1:] == (["invalid-extension"] if char == "\n" else [])
    assert all(f.masked_by == "filename-characters" for f in findings[1:])
    assert repr(char) in findings[0].message
    # twine's HTTP library sends a line break as the text %0A: then PyPI sees another name.
    assert ("'tinyproj-1.0.0-1%0A-py3-none-any.whl'" in findings[0].message) is (char == "\n")
    assert ("Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL "
            "character (ordinal 127) in the name.") in findings[0].message
    assert findings[0].step == 17


@pytest.mark.parametrize("char", ["~", " ", "é", "_", "!"])
def test_printable_characters_are_fine(tmp_path: Path, char: str) -> None:
    assert found(wheel_named(tmp_path, f"tinyproj-1.0.0-1{char}-py3-none-any.whl")) == []


def test_backslash_in_the_name_is_refused(tmp_path: Path) -> None:
    findings = found(wheel_named(tmp_path, "tinyproj-1.0.0-1\\x-py3-none-any.whl"))
    assert rules(findings) == ["filename-characters"]
    assert "Cannot upload a file with '/' or '\\' in the name." in findings[0].message


def test_later_refusals_are_hidden_behind_the_character_check(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, filename="tinyproj-1.0.0\x07.tar.gz")
    findings = found(path)
    first = only(findings, "filename-characters")
    assert first.masked_by is None
    later = only(findings, "sdist-filename")  # the version '1.0.0\x07' does not parse
    assert later.masked_by == "filename-characters"


# -- step 17: extensions ---------------------------------------------------------------------

def test_upper_case_wheel_extension_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, filename="tinyproj-1.0.0-py3-none-any.WHL")
    findings = found(path)
    assert rules(findings) == ["invalid-extension"]
    f = findings[0]
    assert "twine refuses it before sending anything" in f.message
    assert "Unknown distribution format: 'tinyproj-1.0.0-py3-none-any.WHL'" in f.message
    assert "Extension WHL is invalid for filetype bdist_wheel." in f.message
    assert f.hint is not None and "'tinyproj-1.0.0-py3-none-any.whl'" in f.hint


def test_lower_case_wheel_extension_is_fine(tmp_path: Path) -> None:
    assert found(make_wheel(tmp_path, filename="tinyproj-1.0.0-py3-none-any.whl")) == []


def test_upper_case_sdist_extension_is_refused_with_the_expected_name(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, version="1.0", filename="tinyproj-1.0.TAR.GZ")
    f = only(found(path), "invalid-extension")
    assert "Extension TAR.GZ is invalid for filetype sdist." in f.message
    assert f.hint is not None and "'tinyproj-1.0.tar.gz'" in f.hint


@pytest.mark.parametrize(("filename", "hint_word"), [
    ("tinyproj-1.0.0.tar.bz2", "gzip"),
    ("tinyproj-1.0.0.tgz", "rename it to tinyproj-1.0.0.tar.gz"),
    ("tinyproj-1.0.0-py3.12.egg", "eggs"),
    ("tinyproj-1.0.0.win-amd64.exe", "Installers"),
    ("tinyproj-1.0.0.txt", "Only wheels and sdists"),
])
def test_unknown_extensions_are_refused_by_twine_and_pypi(
    tmp_path: Path, filename: str, hint_word: str
) -> None:
    if filename.endswith(".tar.bz2"):
        path = make_sdist(tmp_path, filename=filename, fmt="bz2")
    elif filename.endswith(".egg"):
        path = tmp_path / filename
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("EGG-INFO/PKG-INFO", metadata_text())
    else:
        path = sized_file(tmp_path / filename, 1000)
    findings = found(path)
    assert rules(findings) == ["invalid-extension"]  # nothing else is judged by name
    f = findings[0]
    assert f"Unknown distribution format: '{filename}'" in f.message
    assert "Invalid file extension: Use .tar.gz, .whl or .zip extension." in f.message
    assert f.hint is not None and hint_word in f.hint


# -- steps 19 and 28.10: length ----------------------------------------------------------------

def _wheel_of_bytes(directory: Path, total: int, filler: str = "a", tag: str = "py3-none-any",
                    version: str = "1.0.0") -> Path:
    """``tinyproj-1.0.0-1<filler...>-<tag>.whl`` of ``total`` UTF-8 bytes."""
    base = f"tinyproj-1.0.0-1-{tag}.whl"
    room = total - len(base.encode())
    build = filler * (room // len(filler.encode())) + "a" * (room % len(filler.encode()))
    filename = f"tinyproj-1.0.0-1{build}-{tag}.whl"
    assert len(filename.encode()) == total
    return wheel_named(directory, filename, version=version)


def test_wheel_name_of_246_bytes_is_fine(tmp_path: Path) -> None:
    assert found(_wheel_of_bytes(tmp_path, 246)) == []


@pytest.mark.parametrize("total", [247, 255])
def test_wheel_name_of_247_to_255_bytes_is_refused(tmp_path: Path, total: int) -> None:
    path = _wheel_of_bytes(tmp_path, total)
    f = only(found(path), "filename-too-long")
    assert f"400 Filename is too long: '{path.name}'" in f.message
    assert f.step is not None and f.step > 28.9  # after every other wheel check
    assert f.hint is not None and f"by at least {total - 246}" in f.hint


def test_wheel_name_length_counts_utf8_bytes(tmp_path: Path) -> None:
    path = _wheel_of_bytes(tmp_path, 247, filler="é")
    assert len(path.name) < 247
    assert rules(found(path)) == ["filename-too-long"]


def test_sdist_name_of_255_bytes_is_fine(tmp_path: Path) -> None:
    name = "a" * (255 - len("-1.0.0.tar.gz"))
    path = make_sdist(tmp_path, name, "1.0.0")
    assert len(path.name.encode()) == 255
    assert found(path) == []


class _RenamedArtifact(Artifact):
    """A real file reported under another name, e.g. one only Windows can store: NTFS
    allows 255 UTF-16 units, which can be up to 765 UTF-8 bytes; Linux allows 255 bytes."""

    def __init__(self, path: Path, filename: str) -> None:
        super().__init__(path)
        self.filename = filename
        self.filetype = distribution_type(filename)


def test_name_over_255_bytes_makes_pypi_fail_with_http_500(tmp_path: Path) -> None:
    filename = "tinyproj-1.0.0-1" + "é" * 120 + "-py3-none-any.whl"
    size = len(filename.encode())
    assert size == 273 and len(filename) < 255
    artifact = _RenamedArtifact(make_wheel(tmp_path), filename)
    settings = load_settings({"paths": [], "offline": True}, cwd=tmp_path)
    report = run_checks(settings, artifacts=[artifact])
    findings = [f for f in report.findings if f.rule in OURS]
    f = only(findings, "filename-too-long")  # the 500 only, not also the wheel's 400
    assert f.step == 19
    assert f"{size} bytes" in f.message
    assert "internal error (HTTP 500" in f.message
    assert f.hint is not None and "at least 18 bytes" in f.hint


# -- step 26.6 and 28.1: wheel name parsing ---------------------------------------------------

@pytest.mark.parametrize("filename", ["tinyproj.whl", "tinyproj-1.0.0.whl"])
def test_wheel_name_with_fewer_than_two_hyphens(tmp_path: Path, filename: str) -> None:
    findings = found(make_wheel(tmp_path, filename=filename))
    f = only(findings, "wheel-filename")  # one finding, not also the parse error
    assert ("Invalid distribution file. Unable to parse name and version from wheel "
            "filename") in f.message
    assert f.step == 26.6


def test_wheel_name_with_two_hyphens_fails_the_parse_instead(tmp_path: Path) -> None:
    f = only(found(make_wheel(tmp_path, filename="tinyproj-1.0.0-any.whl")), "wheel-filename")
    assert "Invalid wheel filename (wrong number of parts): 'tinyproj-1.0.0-any'" in f.message
    assert f.step == 28.1


@pytest.mark.parametrize(("filename", "answer"), [
    ("tinyproj-1.0.0-py3-any.whl",
     "Invalid wheel filename (wrong number of parts): 'tinyproj-1.0.0-py3-any'"),
    ("tiny-proj-1.0.0-1-py3-none-any.whl",
     "Invalid wheel filename (wrong number of parts): 'tiny-proj-1.0.0-1-py3-none-any'"),
    ("foo__bar-1.0.0-py3-none-any.whl", "Invalid project name: 'foo__bar-1.0.0-py3-none-any'"),
    ("tiny+proj-1.0.0-py3-none-any.whl",
     "Invalid project name: 'tiny+proj-1.0.0-py3-none-any'"),
    ("tinyproj-one-py3-none-any.whl",
     "Invalid wheel filename (invalid version): 'tinyproj-one-py3-none-any'"),
    ("tinyproj-1.0.0-x1-py3-none-any.whl",
     "Invalid build number: x1 in 'tinyproj-1.0.0-x1-py3-none-any'"),
])
def test_unparseable_wheel_names_get_packagings_message(
    tmp_path: Path, filename: str, answer: str
) -> None:
    findings = found(wheel_named(tmp_path, filename))
    f = only(findings, "wheel-filename")
    assert f"PyPI would answer: 400 {answer}" in f.message
    assert rules(findings) == ["wheel-filename"]  # nothing after the parse is judged


@pytest.mark.parametrize("filename", [
    "tinyproj-1.0.0-1x-py3-none-any.whl",  # a build tag only has to start with a digit
    "tinyproj-1.0.0-39-none-any.whl",  # packaging 26.3 refuses; PyPI's 26.2 does not
    "tinyproj-1.0.0-py2.py3-none-any.whl",
])
def test_wheel_names_pypi_parses(tmp_path: Path, filename: str) -> None:
    assert found(wheel_named(tmp_path, filename)) == []


def test_parse_wheel_name_expands_and_lowercases_tags() -> None:
    wheel = parse_wheel_name("Foo.Bar-1.0-7b-CP312.cp313-abi3-MANYLINUX_2_17_X86_64.any.whl")
    assert (wheel.raw_name, wheel.name, wheel.raw_version, wheel.build) == (
        "Foo.Bar", "foo-bar", "1.0", "7b")
    assert wheel.interpreters == ("cp312", "cp313")
    assert wheel.platforms == ("manylinux_2_17_x86_64", "any")
    with pytest.raises(WheelNameError, match="extension must be"):
        parse_wheel_name("foo-1.0.tar.gz")


# -- step 28.2: platform tags ---------------------------------------------------------------------

@pytest.mark.parametrize(("tag", "bad", "hint_words"), [
    ("py3-none-linux_x86_64", ["linux_x86_64"],
     ["cibuildwheel/auditwheel", "manylinux", "py3-none-any"]),
    ("cp312-cp312-linux_x86_64", ["linux_x86_64"], ["auditwheel repair", "manylinux_2_28"]),
    ("cp312-cp312-linux_aarch64", ["linux_aarch64"], ["auditwheel"]),
    ("cp312-cp312-macosx_11_1_arm64", ["macosx_11_1_arm64"],
     ["MACOSX_DEPLOYMENT_TARGET=11.0", "macosx_11_0_arm64"]),
    ("cp312-cp312-macosx_11_00_arm64", ["macosx_11_00_arm64"], ["macosx_11_0_arm64"]),
    ("cp312-cp312-macosx_16_0_arm64", ["macosx_16_0_arm64"], ["MACOSX_DEPLOYMENT_TARGET"]),
    ("cp312-cp312-macosx_14_0_arm64e", ["macosx_14_0_arm64e"], ["arm64"]),
    ("cp312-cp312-manylinux1_aarch64", ["manylinux1_aarch64"], ["manylinux2014_aarch64"]),
    ("cp312-cp312-manylinux2014_riscv64", ["manylinux2014_riscv64"], ["PEP 600"]),
    ("cp312-cp312-manylinux_2_36_loongarch64", ["manylinux_2_36_loongarch64"],
     ["'loongarch64'"]),
    ("cp312-cp312-musllinux_1_2_ppc64", ["musllinux_1_2_ppc64"], ["musllinux"]),
    ("cp312-cp312-emscripten_3_1_58_wasm32", ["emscripten_3_1_58_wasm32"], ["pyemscripten"]),
    ("cp312-cp312-pyodide_2024_0_wasm32", ["pyodide_2024_0_wasm32"], ["pyemscripten"]),
    ("cp312-cp312-win_arm32", ["win_arm32"], ["win_arm64"]),
    ("cp312-cp312-manylinux_2_17_x86_64.linux_x86_64", ["linux_x86_64"], ["manylinux"]),
    ("cp312-cp312-linux_i686.linux_x86_64", ["linux_i686", "linux_x86_64"], ["auditwheel"]),
])
def test_unsupported_platform_tags_are_refused(
    tmp_path: Path, tag: str, bad: list[str], hint_words: list[str]
) -> None:
    path = make_wheel(tmp_path, tag=tag)
    findings = found(path)
    assert rules(findings) == ["unsupported-platform-tag"] * len(bad)
    for finding, platform in zip(findings, bad, strict=True):
        assert (f"400 Binary wheel '{path.name}' has an unsupported platform tag "
                f"'{platform}'.") in finding.message
        assert finding.step == 28.2
        for word in hint_words:
            assert finding.hint is not None and word in finding.hint, finding.hint


@pytest.mark.parametrize("tag", [
    "py3-none-any",
    "py3-none-ANY",  # packaging lower-cases before PyPI checks
    "cp312-cp312-manylinux_2_17_x86_64",
    "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
    "cp312-abi3-musllinux_1_2_aarch64",
    "cp312-cp312-manylinux_0_0_riscv64",
    "cp312-cp312-macosx_11_0_arm64",
    "cp312-cp312-macosx_26_0_arm64",
    "cp312-cp312-macosx_10_100_x86_64",
    "cp312-cp312-macosx_10_9_universal2",
    "cp312-cp312-win_arm64",
    "cp312-cp312-linux_armv7l",
    "cp313-cp313-ios_13_0_arm64_iphoneos_extra",
    "cp313-cp313-ios_13_0_x86_64_iphonesimulator",
    "cp313-cp313-android_21_arm64_v8a",
    "cp313-cp313-pyemscripten_2024_0_wasm32foo",
])
def test_supported_platform_tags_pass(tmp_path: Path, tag: str) -> None:
    assert found(make_wheel(tmp_path, tag=tag)) == []


@pytest.mark.parametrize(("tag", "allowed"), [
    # static set
    ("any", True), ("win32", True), ("win_amd64", True), ("win_arm64", True),
    ("win_ia64", True), ("win_arm32", False), ("ANY", False), ("", False),
    ("manylinux1_x86_64", True), ("manylinux1_i686", True), ("manylinux1_aarch64", False),
    ("manylinux2010_x86_64", True), ("manylinux2010_aarch64", False),
    ("manylinux2014_aarch64", True), ("manylinux2014_ppc64", True),
    ("manylinux2014_s390x", True), ("manylinux2014_riscv64", False),
    ("linux_armv6l", True), ("linux_armv7l", True), ("linux_x86_64", False),
    ("linux_aarch64", False), ("linux_i686", False),
    # macOS
    ("macosx_10_0_x86_64", True), ("macosx_10_9_x86_64", True),
    ("macosx_10_100_x86_64", True), ("macosx_10_15_universal2", True),
    ("macosx_10_9_fat3", True), ("macosx_10_9_intel", True), ("macosx_10_6_ppc", True),
    ("macosx_11_0_arm64", True), ("macosx_15_0_arm64", True), ("macosx_26_0_arm64", True),
    ("macosx_11_1_arm64", False), ("macosx_11_00_arm64", False), ("macosx_14_2_x86_64", False),
    ("macosx_16_0_arm64", False), ("macosx_25_0_arm64", False), ("macosx_27_0_arm64", False),
    ("macosx_010_9_x86_64", False), ("macosx_11_0_arm64e", False),
    ("macosx_11_0_arm64_extra", False), ("macosx_10_9_fat32", False), ("macosx_arm64", False),
    # PEP 600 / 656: the architecture decides alone
    ("manylinux_2_17_x86_64", True), ("manylinux_0_0_x86_64", True),
    ("manylinux_2_28_ppc64", True), ("manylinux_2_31_riscv64", True),
    ("manylinux_2_36_loongarch64", False), ("musllinux_1_1_x86_64", True),
    ("musllinux_1_2_riscv64", True), ("musllinux_1_2_ppc64", False),
    ("musllinux_1_2_loongarch64", False), ("manylinux_2_17_x86_64_extra", False),
    ("manylinux_x_17_x86_64", False),
    # iOS: no end anchor, greedy arch up to the last SDK name
    ("ios_13_0_arm64_iphoneos", True), ("ios_13_0_arm64_iphonesimulator", True),
    ("ios_12_0_x86_64_iphonesimulator", True), ("ios_13_0_arm64_iphoneos_extra", True),
    ("ios_13_0_arm64_iphoneos_x_iphoneos", False), ("ios_13_0_arm64e_iphoneos", False),
    ("ios_13_arm64_iphoneos", False), ("ios_13_0_arm64", False),
    # Android
    ("android_21_arm64_v8a", True), ("android_24_armeabi_v7a", True), ("android_21_x86", True),
    ("android_21_x86_64", True), ("android_21_arm64", False), ("android_arm64_v8a", False),
    ("android_21_x86_64_extra", False),
    # Emscripten: only the pyemscripten form, no end anchor
    ("pyemscripten_2024_0_wasm32", True), ("pyemscripten_2024_0_wasm32foo", True),
    ("pyemscripten_2024_wasm32", False), ("emscripten_3_1_58_wasm32", False),
    ("pyodide_2024_0_wasm32", False),
])
def test_is_allowed_platform_tag(tag: str, allowed: bool) -> None:
    assert is_allowed_platform_tag(tag) is allowed


# -- steps 28.3-28.5: wheel name and version against the metadata -------------------------------

@pytest.mark.parametrize(("prefix", "meta_name", "expected"), [
    ("Foo", "Foo", "foo"),
    ("FOO", "foo", "foo"),
    ("foo.bar", "foo.bar", "foo_bar"),
    ("Foo_Bar", "Foo_Bar", "foo_bar"),
    ("foo_bar", "foo-bar", None),
    ("foo", "Foo", None),  # the metadata may spell the name any way it likes
    ("foo_bar", "Foo.Bar", None),
])
def test_wheel_must_start_with_the_exact_normalized_name(
    tmp_path: Path, prefix: str, meta_name: str, expected: str | None
) -> None:
    filename = f"{prefix}-1.0.0-py3-none-any.whl"
    findings = found(wheel_named(tmp_path, filename, name=meta_name))
    if expected is None:
        assert findings == []
        return
    f = only(findings, "filename-project-mismatch")
    assert (f"400 Filename '{filename}' should contain the normalized project name "
            f"'{expected}', not '{prefix}'.") in f.message
    assert f.step == 28.4
    assert f.hint is not None and f"'{expected}-1.0.0.dist-info/'" in f.hint


def test_wheel_of_another_project_is_refused_once(tmp_path: Path) -> None:
    path = wheel_named(tmp_path, "otherproj-1.0.0-py3-none-any.whl", name="Tiny-Proj")
    findings = found(path)
    f = only(findings, "filename-project-mismatch")  # not again for the exact prefix
    assert "400 Start filename for 'Tiny-Proj' with 'tiny_proj'." in f.message
    assert f.step == 28.3


@pytest.mark.parametrize(("file_version", "meta_version"), [
    ("1.0.0", "1.0"), ("01.0", "1.0"), ("1.0RC1", "1.0rc1"), ("1.0", "1.0.0"),
])
def test_wheel_version_equal_under_pep440_is_fine(
    tmp_path: Path, file_version: str, meta_version: str
) -> None:
    filename = f"tinyproj-{file_version}-py3-none-any.whl"
    assert found(wheel_named(tmp_path, filename, version=meta_version)) == []


def test_wheel_version_different_from_the_metadata_is_refused(tmp_path: Path) -> None:
    path = wheel_named(tmp_path, "tinyproj-1.0.0-py3-none-any.whl", version="1.1")
    f = only(found(path), "filename-version-mismatch")
    assert "400 Version in filename should be '1.1' not '1.0.0'." in f.message
    assert f.step == 28.5


def test_later_wheel_checks_are_masked_by_earlier_ones(tmp_path: Path) -> None:
    path = wheel_named(tmp_path, "tinyproj-1.0.0-py3-none-linux_x86_64.whl", version="1.1")
    findings = found(path)
    assert only(findings, "unsupported-platform-tag").masked_by is None
    assert only(findings, "filename-version-mismatch").masked_by == "unsupported-platform-tag"


def test_too_long_wheel_name_comes_last_among_wheel_checks(tmp_path: Path) -> None:
    path = _wheel_of_bytes(tmp_path, 247, tag="py3-none-linux_x86_64", version="1.1")
    findings = found(path)
    assert rules(findings) == [
        "unsupported-platform-tag", "filename-version-mismatch", "filename-too-long"]
    assert findings[2].masked_by == "unsupported-platform-tag"


# -- step 27: sdist names --------------------------------------------------------------------------

def test_zip_sdist_is_refused_with_the_expected_tar_gz_name(tmp_path: Path) -> None:
    path = make_zip_sdist(tmp_path)
    assert path.name == "tinyproj-1.0.0.zip"
    f = only(found(path), "sdist-filename")
    assert ("400 Filename 'tinyproj-1.0.0.zip' is invalid, should be "
            "'tinyproj-1.0.0.tar.gz'.") in f.message
    assert f.step == 27.3
    assert f.hint is not None and "'tinyproj-1.0.0.tar.gz'" in f.hint


def test_tar_gz_sdist_with_the_pep625_name_is_fine(tmp_path: Path) -> None:
    assert found(make_sdist(tmp_path, "Tiny.Proj", "1.0", filename="tiny_proj-1.0.tar.gz")) == []


@pytest.mark.parametrize(("filename", "expected"), [
    ("Tiny.Proj-1.0.tar.gz", "tiny_proj-1.0.tar.gz"),
    ("tiny.proj-1.0.tar.gz", "tiny_proj-1.0.tar.gz"),
    ("TINY_PROJ-1.0.tar.gz", "tiny_proj-1.0.tar.gz"),
    ("Tiny.Proj-1.00.tar.gz", "tiny_proj-1.0.tar.gz"),  # name and version both off
])
def test_sdist_name_must_be_normalized(tmp_path: Path, filename: str, expected: str) -> None:
    path = make_sdist(tmp_path, "Tiny.Proj", "1.0", filename=filename)
    findings = found(path)
    assert rules(findings) == ["sdist-filename"]  # the name is the project's, only spelled off
    assert f"400 Filename '{filename}' is invalid, should be '{expected}'." in findings[0].message


def test_sdist_of_another_project_is_refused(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, filename="otherproj-1.0.0.tar.gz")
    findings = found(path)
    f = only(findings, "filename-project-mismatch")
    assert "400 Start filename for 'tinyproj' with 'tinyproj'." in f.message
    assert f.step == 27.2
    assert only(findings, "sdist-filename").masked_by == "filename-project-mismatch"


def test_sdist_with_an_empty_name_part_reaches_the_name_check(tmp_path: Path) -> None:
    # packaging 26.3 refuses to parse it; PyPI's 26.2 parses it and compares the name.
    f = only(found(make_sdist(tmp_path, filename="-1.0.0.tar.gz")), "filename-project-mismatch")
    assert "Start filename for 'tinyproj' with 'tinyproj'." in f.message


@pytest.mark.parametrize(("filename", "meta_version", "expected", "same"), [
    ("tinyproj-1.0.0.tar.gz", "1.0", "tinyproj-1.0.tar.gz", True),
    ("tinyproj-01.0.tar.gz", "01.0", "tinyproj-1.0.tar.gz", True),
    ("tinyproj-1.0RC1.tar.gz", "1.0rc1", "tinyproj-1.0rc1.tar.gz", True),
    ("tinyproj-1.1.tar.gz", "1.0", "tinyproj-1.0.tar.gz", False),
])
def test_sdist_differing_only_in_the_version_is_a_version_mismatch(
    tmp_path: Path, filename: str, meta_version: str, expected: str, same: bool
) -> None:
    path = make_sdist(tmp_path, version=meta_version, filename=filename)
    findings = found(path)
    assert rules(findings) == ["filename-version-mismatch"]  # one refusal, one finding
    f = findings[0]
    assert f"400 Filename '{filename}' is invalid, should be '{expected}'." in f.message
    assert f.step == 27.3
    assert ("normalized form" in f.message) is same
    assert f.hint is not None and expected in f.hint


def test_sdist_of_a_legacy_post_release_uses_pypis_retry(tmp_path: Path) -> None:
    # Version 1.0-1 is 1.0.post1: the name check retries at the second-to-last '-' and
    # passes; the PEP 625 check still wants the normalized version.
    path = make_sdist(tmp_path, version="1.0-1", filename="tinyproj-1.0-1.tar.gz")
    findings = found(path)
    assert rules(findings) == ["filename-version-mismatch"]
    assert "should be 'tinyproj-1.0.post1.tar.gz'." in findings[0].message


def test_post_release_retry_needs_a_post_release_in_the_metadata(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, version="1.0", filename="tinyproj-1.0-1.tar.gz")
    f = only(found(path), "filename-project-mismatch")
    assert "is named for project 'tinyproj-1.0'" in f.message


def test_normalized_post_release_sdist_is_fine(tmp_path: Path) -> None:
    assert found(make_sdist(tmp_path, version="1.0-1", filename="tinyproj-1.0.post1.tar.gz")) == []


@pytest.mark.parametrize("filename", ["tinyproj.tar.gz", "tinyproj-latest.tar.gz",
                                      "tinyproj-1.0.0-final.tar.gz"])
def test_unparseable_sdist_name(tmp_path: Path, filename: str) -> None:
    findings = found(make_sdist(tmp_path, filename=filename))
    f = only(findings, "sdist-filename")
    assert f"400 Invalid source distribution filename: {filename}" in f.message
    assert f.step == 27.1
    assert f.hint is not None and "'tinyproj-1.0.0.tar.gz'" in f.hint
    assert rules(findings) == ["sdist-filename"]


# -- unreadable metadata: compare what can be compared, say so, never crash ------------------------

def test_sdist_without_pkg_info_is_still_checked_against_itself(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, "Tiny.Proj", "1.0", filename="Tiny.Proj-1.0.tar.gz",
                      pkg_info=False)
    report = run(path)
    f = only([f for f in report.findings if f.rule in OURS], "sdist-filename")
    assert "should be 'tiny_proj-1.0.tar.gz'" in f.message
    assert "metadata could not be read" in f.message
    skipped = {s.rule: s.reason for s in report.skipped if s.rule in OURS}
    assert set(skipped) == {"filename-project-mismatch", "filename-version-mismatch"}
    assert all(path.name in reason for reason in skipped.values())


def test_wheel_without_metadata_still_needs_a_normalized_prefix(tmp_path: Path) -> None:
    path = wheel_named(tmp_path, "Foo-1.0.0-py3-none-any.whl", name="Foo", omit=["METADATA"])
    report = run(path)
    f = only([f for f in report.findings if f.rule in OURS], "filename-project-mismatch")
    assert "should contain the normalized project name 'foo', not 'Foo'" in f.message
    assert "Compared with the filename's own name" in f.message
    assert {s.rule for s in report.skipped if s.rule in OURS} == {
        "filename-project-mismatch", "filename-version-mismatch"}


@pytest.mark.parametrize(("filename", "expected"), [
    ("tinyproj-1.0.0-py3-none-any.whl", []),
    ("tinyproj-1.0.0.tar.gz", []),
    ("tinyproj-1.0.0.zip", ["sdist-filename"]),  # refused by name whatever it holds
])
def test_unreadable_file_is_judged_by_its_name_alone(
    tmp_path: Path, filename: str, expected: list[str]
) -> None:
    assert rules(found(sized_file(tmp_path / filename, 100))) == expected


def test_invalid_metadata_version_skips_only_the_version_comparison(tmp_path: Path) -> None:
    path = wheel_named(tmp_path, "tinyproj-1.0.0-py3-none-any.whl",
                       metadata=metadata_text(version="one"))
    report = run(path)
    assert [f for f in report.findings if f.rule in OURS] == []
    assert [s.rule for s in report.skipped if s.rule in OURS] == ["filename-version-mismatch"]
