"""``common_path`` answers exactly as ``posixpath.commonpath`` (PyPI's sdist top)."""

from __future__ import annotations

import io
import posixpath
import tarfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preupload_guard.read.archives import ArchiveReader
from preupload_guard.read.member_paths import common_path
from preupload_guard.testing import make_sdist

# Components that exercise every corner: empty ("//", a leading or trailing "/"), ".",
# "..", names that share a prefix without being one ("top" and "top-1"), and PKG-INFO.
_PARTS = st.sampled_from(["", ".", "..", "top", "top-1", "t", "src", "PKG-INFO", "a.py"])
_NAMES = st.lists(_PARTS, min_size=1, max_size=5).map("/".join)


def _answer(function, names):  # type: ignore[no-untyped-def]
    try:
        return "ok", function(names)
    except ValueError as exc:
        return "error", str(exc)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_NAMES, min_size=0, max_size=8))
def test_the_answer_and_the_error_are_posixpaths(names: list[str]) -> None:
    assert _answer(common_path, names) == _answer(posixpath.commonpath, names)


@settings(max_examples=300, deadline=None)
@given(st.lists(_NAMES, min_size=1, max_size=4), st.integers(0, 60))
def test_a_shared_top_then_odd_names(tails: list[str], pad: int) -> None:
    # The usual sdist: many names under one top, where the fast path decides; odd names
    # (absolute, "./", "top-1") met late must still shorten it or raise as the stdlib.
    names = [f"top/src/m{i}.py" for i in range(pad)] + tails
    assert _answer(common_path, names) == _answer(posixpath.commonpath, names)


@pytest.mark.parametrize(("names", "expected"), [
    (["/top/a", "/top/b"], "/top"),
    (["//top//a", "/top/./b"], "/top"),
    (["top/a", "top-1/b"], ""),
    (["top/PKG-INFO"], "top/PKG-INFO"),
    (["/"], "/"),
])
def test_examples(names: list[str], expected: str) -> None:
    assert common_path(names) == posixpath.commonpath(names) == expected


def test_the_reader_computes_it_once_and_keeps_raising(tmp_path: Path) -> None:
    reader = ArchiveReader(make_sdist(tmp_path), "tar")
    assert reader.common_path() == "tinyproj-1.0.0"
    reader.members = ()  # what it answers now can only come from its memory
    assert reader.common_path() == "tinyproj-1.0.0"
    path = tmp_path / "mixed-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name in ("mixed-1.0/PKG-INFO", "/abs"):
            tf.addfile(tarfile.TarInfo(name), io.BytesIO(b""))
    mixed = ArchiveReader(path, "tar")
    for _ in range(2):
        with pytest.raises(ValueError, match="Can't mix absolute and relative paths"):
            mixed.common_path()
