"""dist-info consistency: directories, WHEEL, METADATA, .data."""

from __future__ import annotations

import pytest
from preupload_guard.testing import metadata_text

DIST_INFO = "tinyproj-1.0.0.dist-info"
INIT = {"tinyproj/__init__.py": b""}


def wheel_file(*, version: str = "1.0", purelib: str = "true", tags: tuple[str, ...] = (
        "py3-none-any",), generator: str | None = "test", build: str | None = None) -> bytes:
    lines = [f"Wheel-Version: {version}"] if version else []
    if generator:
        lines.append(f"Generator: {generator}")
    if purelib:
        lines.append(f"Root-Is-Purelib: {purelib}")
    lines += [f"Tag: {t}" for t in tags]
    if build:
        lines.append(f"Build: {build}")
    return ("\n".join(lines) + "\n").encode()


def test_two_dist_info_directories(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "oldname-0.9.dist-info/METADATA": metadata_text("oldname", "0.9").encode()}
    result = inspect_wheel(guard_dists.wheel(files=files,
                                             tamper={"tinyproj/__init__.py": b"x"}))
    message = result.message("dist-info")
    assert "2 .dist-info directories (oldname-0.9.dist-info, tinyproj-1.0.0.dist-info)" in message
    assert "multiple .dist-info directories found" in message
    assert result.severity("dist-info") == "error"
    assert "record-hash" in result.ours  # the one PyPI reads is still verified


def test_metadata_only_installers_read(guard_dists, inspect_wheel) -> None:
    """twine (and so the core) reads aaa/METADATA; installers read the dist-info's."""
    files = {**INIT, "aaa/METADATA": metadata_text().encode()}
    wheel = guard_dists.wheel(files=files, metadata=metadata_text("othername", "2.0"))
    result = inspect_wheel(wheel, config={"allow-top-level": ["aaa"]})
    assert "filename-project-mismatch" not in result.core
    message = result.message("dist-info")
    assert "says Name 'othername' and Version '2.0'" in message
    assert "PyPI reads aaa/METADATA" in message


def test_metadata_the_core_reads_is_not_compared_again(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel(metadata=metadata_text("othername")))
    assert "filename-project-mismatch" in result.core
    assert "dist-info" not in result.ours


@pytest.mark.parametrize(("wheel", "expected", "severity"), [
    (b"Generator: x\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
     "has no Wheel-Version; pip refuses", "error"),
    (wheel_file(version="one"), "Wheel-Version 'one', not numbers", "error"),
    (wheel_file(version="2.0"), "says Wheel-Version 2.0", "error"),
    (wheel_file(version="1.1"), "newer Wheel-Version", "warning"),
    ("Wheel-Version: 1.0\nGenerator: caf\xe9\n".encode("latin-1"), "is not UTF-8", "error"),
])
def test_wheel_version(guard_dists, inspect_wheel, wheel: bytes, expected: str,
                       severity: str) -> None:
    result = inspect_wheel(guard_dists.wheel(extra_dist_info={"WHEEL": wheel}))
    assert expected in result.message("dist-info")
    assert result.severity("dist-info") == severity


@pytest.mark.parametrize(("wheel", "expected"), [
    (wheel_file(generator=None), "Required header field 'Generator' is not present"),
    (wheel_file(purelib="maybe"), "Root-Is-Purelib"),
    (wheel_file(tags=()), "Required header field 'Tag' is not present"),
])
def test_wheel_fields(guard_dists, inspect_wheel, wheel: bytes, expected: str) -> None:
    result = inspect_wheel(guard_dists.wheel(extra_dist_info={"WHEEL": wheel}))
    assert result.ours == ["wheel-tags"]
    assert "does not follow the wheel format" in result.message("wheel-tags")
    assert expected in result.message("wheel-tags")


def test_compressed_tag_written_unexpanded(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel(tag="py2.py3-none-any"))
    message = result.message("wheel-tags")
    assert "the filename's py2-none-any, py3-none-any are missing" in message
    assert "py2.py3-none-any is not in the filename" in message


def test_renamed_wheel(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(filename="tinyproj-1.0.0-cp312-abi3-manylinux_2_28_x86_64.whl")
    message = inspect_wheel(wheel).message("wheel-tags")
    assert "cp312-abi3-manylinux_2_28_x86_64 is missing" in message


def test_expanded_tags_match(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(
        filename="tinyproj-1.0.0-py2.py3-none-any.whl",
        extra_dist_info={"WHEEL": wheel_file(tags=("py2-none-any", "py3-none-any"))})
    assert inspect_wheel(wheel).ours == []


def test_build_tag(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(filename="tinyproj-1.0.0-1-py3-none-any.whl")
    assert "has no Build line but the filename has build tag '1'" in inspect_wheel(
        wheel).message("wheel-tags")
    wheel = guard_dists.wheel(filename="tinyproj-1.0.0-2-py3-none-any.whl",
                              extra_dist_info={"WHEEL": wheel_file(build="2")})
    assert inspect_wheel(wheel).ours == []


def test_purelib_with_extension_modules(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "tinyproj/_speed.cpython-312-x86_64-linux-gnu.so": b"\x7fELF"}
    result = inspect_wheel(guard_dists.wheel(files=files))
    message = result.message("wheel-tags")
    assert "Root-Is-Purelib: true but it holds compiled extensions" in message


def test_purelib_with_abi_tag(guard_dists, inspect_wheel) -> None:
    tag = "cp312-cp312-manylinux_2_28_x86_64"
    wheel = guard_dists.wheel(tag=tag)
    assert "its tags are ABI-specific" in inspect_wheel(wheel).message("wheel-tags")
    platlib = guard_dists.wheel(
        "other", tag=tag, extra_dist_info={"WHEEL": wheel_file(purelib="false", tags=(tag,))},
        files={"other/__init__.py": b"", "other/_c.abi3.so": b""})
    assert inspect_wheel(platlib).ours == []


def test_platlib_with_a_universal_tag(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(extra_dist_info={"WHEEL": wheel_file(purelib="false")})
    message = inspect_wheel(wheel).message("wheel-tags")
    assert "Root-Is-Purelib: false, yet the wheel is tagged py3-none-any" in message


def test_data_directory(guard_dists, inspect_wheel) -> None:
    files = {**INIT,
             "tinyproj-1.0.0.data/scripts/tiny": b"#!python\n",
             "tinyproj-1.0.0.data/data/share/x.txt": b"x",
             "tinyproj-1.0.0.data/loose.txt": b"x",
             "tinyproj-1.0.0.data/etc/x.conf": b"x",
             "other-2.0.data/data/y.txt": b"y"}
    result = inspect_wheel(guard_dists.wheel(files=files))
    messages = result.messages("dist-info")
    assert len(messages) == 3
    assert any("tinyproj-1.0.0.data/loose.txt is directly in a .data directory" in m
               for m in messages)
    assert any("unknown scheme directory etc" in m and "Unknown scheme key" in m
               for m in messages)
    stray = next(f for f in result.run.findings if "other-2.0.data" in f.message)
    assert stray.severity.value == "warning"


def test_a_good_data_directory(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "tinyproj-1.0.0.data/scripts/tiny": b"#!python\n",
             "tinyproj-1.0.0.data/purelib/tinyproj_extra.py": b"",
             "tinyproj-1.0.0.data/headers/tiny.h": b""}
    assert inspect_wheel(guard_dists.wheel(files=files)).ours == []


def test_a_stale_egg_info_directory(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "tinyproj.egg-info/PKG-INFO": b"Metadata-Version: 2.1\n"}
    result = inspect_wheel(guard_dists.wheel(files=files))
    assert "tinyproj.egg-info" in result.message("dist-info")
    assert result.severity("dist-info") == "warning"
