"""Bytecode, colliding top-level names, and top-level names unrelated to the project."""

from __future__ import annotations

import pytest
from preupload_guard.testing import metadata_text

from preupload_guard_wheel_inspect import toplevel

INIT = {"tinyproj/__init__.py": b""}


def test_bytecode(guard_dists, inspect_wheel) -> None:
    files = {**INIT,
             "tinyproj/__pycache__/__init__.cpython-312.pyc": b"",
             "tinyproj/mod.py": b"", "tinyproj/mod.pyc": b"",
             "tinyproj/old.pyo": b"",
             "tinyproj/sourceless.pyc": b""}
    result = inspect_wheel(guard_dists.wheel(files=files))
    assert result.ours == ["bytecode"]
    message = result.message("bytecode")
    assert "3 compiled bytecode files" in message
    assert "sourceless" not in message
    assert result.severity("bytecode") == "warning"


def test_colliding_top_level_names(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "tests/__init__.py": b"", "test/test_a.py": b"", "docs/conf.py": b"",
             "src/tinyproj/__init__.py": b"", "examples/demo.py": b"",
             "benchmarks/b.py": b"", "build/lib/x.py": b"", "setup.py": b"",
             "conftest.py": b"", "LICENSE": b"MIT", "py.typed": b""}
    result = inspect_wheel(guard_dists.wheel(files=files))
    assert result.ours == ["colliding-top-level"]
    message = result.message("colliding-top-level")
    assert "tests/, test/, docs/, src/ and 7 more" in message
    assert "test also shadows the standard library" in message
    assert result.severity("colliding-top-level") == "warning"


def test_every_colliding_name_is_found(guard_dists) -> None:
    names = ["tests/__init__.py", "examples/x.py", "benchmarks/b.py", "build/lib/x.py",
             "setup.py", "conftest.py", "LICENSE", "__init__.py", "tinyproj/__init__.py",
             "tinyproj-1.0.data/purelib/docs/x.py", "tinyproj.pth"]
    tops = toplevel.collect(names)
    assert {k for k, t in tops.items() if k in toplevel.COLLIDING or t.kind == "file"} == {
        "tests", "examples", "benchmarks", "build", "setup", "conftest", "license", "__init__",
        "docs"}
    assert tops["tinyproj.pth"].kind == "pth"


def test_a_project_named_like_a_colliding_name(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel("build", files={"build/__init__.py": b""})
    assert inspect_wheel(wheel).ours == []


def test_unrelated_top_level_names(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "helpers.py": b"", "vendored/__init__.py": b"",
             "tinyproj-1.0.0.data/platlib/gadget/__init__.py": b""}
    result = inspect_wheel(guard_dists.wheel(files=files))
    assert result.ours == ["unrelated-top-level"]
    message = result.message("unrelated-top-level")
    assert "helpers.py, vendored/, gadget/ have nothing to do with the project name " \
           "'tinyproj'" in message


def test_legitimate_top_level_names(guard_dists, inspect_wheel) -> None:
    files = {**INIT,
             "_tinyproj_speedups.cpython-312-x86_64-linux-gnu.so": b"",
             "tinyproj-stubs/__init__.pyi": b"",
             "tinyproj.libs/libfoo-1234.so": b"",
             "distutils-precedence.pth": b"import os",
             "tiny_helpers.py": b"",
             "tinyproj-1.0.0.data/scripts/tinyproj": b"#!python\n",
             "tinyproj-1.0.0.data/data/share/man/tinyproj.1": b"",
             "tinyproj-1.0.0.data/headers/tinyproj.h": b""}
    wheel = guard_dists.wheel(
        files=files, extra_dist_info={"WHEEL": b"Wheel-Version: 1.0\nGenerator: x\n"
                                               b"Root-Is-Purelib: false\nTag: py3-none-any\n"})
    result = inspect_wheel(wheel)
    assert "unrelated-top-level" not in result.ours
    assert "colliding-top-level" not in result.ours


@pytest.mark.parametrize(("project", "top"), [
    ("beautifulsoup4", "bs4"), ("scikit-learn", "sklearn"), ("python-dateutil", "dateutil"),
    ("pyyaml", "yaml"), ("pyyaml", "_yaml"), ("types-requests", "requests-stubs"),
    ("attrs", "attr"), ("pillow", "PIL"), ("google-cloud-storage", "google"),
    ("pyzmq", "zmq"), ("numpy", "numpy.libs"), ("scikit-image", "skimage"),
    ("matplotlib", "mpl_toolkits"), ("cffi", "_cffi_backend"), ("pytest", "py"),
    ("django-filter", "django_filters"), ("jaraco.classes", "jaraco"),
])
def test_related_names(project: str, top: str) -> None:
    assert toplevel.is_related(top, [project])


@pytest.mark.parametrize(("project", "top"), [
    ("tinyproj", "helpers"), ("tinyproj", "utilities"), ("opencv-python", "cv2"),
    ("protobuf", "google"), ("requests", "urllib4"), ("flask", "werkzeug"),
])
def test_unrelated_names(project: str, top: str) -> None:
    assert not toplevel.is_related(top, [project])


def test_top_level_txt_is_read(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(extra_dist_info={"top_level.txt": b"tinyproj\nhelpers\n"})
    message = inspect_wheel(wheel).message("unrelated-top-level")
    assert "helpers/ (from top_level.txt)" in message


def test_allow_list(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "helpers.py": b"", "vendored_a/__init__.py": b"",
             "vendored_b/__init__.py": b"", "tests/__init__.py": b""}
    wheel = guard_dists.wheel(files=files)
    assert sorted(inspect_wheel(wheel).ours) == ["colliding-top-level", "unrelated-top-level"]
    allowed = inspect_wheel(wheel, config={"allow-top-level": ["Helpers", "vendored_*",
                                                                "tests"]})
    assert allowed.ours == []


def test_the_metadata_name_is_used(guard_dists, inspect_wheel) -> None:
    """Name comes from METADATA (as twine sends it), so renamed files do not matter."""
    wheel = guard_dists.wheel("Tiny.Proj", files={"tiny_proj/__init__.py": b""},
                              metadata=metadata_text("Tiny.Proj"))
    assert inspect_wheel(wheel).ours == []


def test_root_files(guard_dists, inspect_wheel) -> None:
    files = {**INIT, "README.md": b"", "tinyproj.json": b"{}", "notes.txt": b"",
             "tinyproj.egg-info/PKG-INFO": b""}
    result = inspect_wheel(guard_dists.wheel(files=files))
    message = result.message("colliding-top-level")
    assert "README.md" in message and "notes.txt" in message
    assert "tinyproj.json" not in message
    assert "unrelated-top-level" not in result.ours  # egg-info is the dist-info rule's
