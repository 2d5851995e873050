"""Input wheel-inspect raises on: a finding (ours or the core's), never a plugin-error.

``Result`` (conftest) asserts that no run here has a plugin-error finding.
"""

from __future__ import annotations

import pytest
from wheel_inspect import errors as wi_errors

from preupload_guard_wheel_inspect import inspection

DIST_INFO = "tinyproj-1.0.0.dist-info"


def test_not_a_zip_is_left_to_the_core(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.sized("tinyproj-1.0.0-py3-none-any.whl", 2048)
    result = inspect_wheel(wheel)
    assert "invalid-archive" in result.core
    assert result.ours == []


def test_a_truncated_wheel_is_left_to_the_core(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.truncated(guard_dists.wheel(), -30)
    result = inspect_wheel(wheel)
    assert "invalid-archive" in result.core
    assert result.ours == []


def test_sdists_are_not_inspected(guard_dists, inspect_wheel) -> None:
    assert inspect_wheel(guard_dists.sdist()).ours == []
    assert inspect_wheel(guard_dists.zip_sdist()).ours == []


@pytest.mark.parametrize("missing", ["METADATA", "WHEEL"])
def test_missing_dist_info_files_are_left_to_the_core_and_the_rest_still_runs(
        guard_dists, inspect_wheel, missing: str) -> None:
    wheel = guard_dists.wheel(omit=[missing], tamper={"tinyproj/__init__.py": b"x = 2\n"})
    result = inspect_wheel(wheel)
    assert "wheel-missing-file" in result.core
    assert result.ours == ["record-hash"]


def test_missing_record_is_left_to_the_core(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel(omit=["RECORD"]))
    assert "wheel-missing-file" in result.core
    assert result.ours == []


def test_no_dist_info_at_all(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(omit=["METADATA", "WHEEL", "RECORD"],
                              files={"tinyproj/__init__.py": b"", "tests/test_x.py": b""})
    result = inspect_wheel(wheel)
    assert "wheel-missing-file" in result.core
    assert result.ours == ["colliding-top-level"]


def test_record_that_is_not_utf8_is_left_to_the_core(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel(record=b"tinyproj/\xff.py,,\n"))
    assert "wheel-missing-file" in result.core
    assert result.ours == []


def test_entry_points_pypi_refuses_are_left_to_the_core(guard_dists, inspect_wheel) -> None:
    wheel = guard_dists.wheel(extra_dist_info={"entry_points.txt": b"[console_scripts\nx = a:b\n"})
    result = inspect_wheel(wheel)
    assert "invalid-entry-points" in result.core
    assert result.ours == []


def test_entry_points_pypi_accepts_but_the_spec_does_not(guard_dists, inspect_wheel) -> None:
    text = (b"[console_scripts]\ntiny = tinyproj.cli:main\nbad = not a valid ref!!\n"
            b"[my-group]\nx = tinyproj:x\n[tinyproj.plugins]\nok = tinyproj.p\n"
            b"worse = tinyproj:\n")
    result = inspect_wheel(guard_dists.wheel(extra_dist_info={"entry_points.txt": text}))
    assert "invalid-entry-points" not in result.core
    assert result.ours == ["entry-points"]
    message = result.message("entry-points")
    assert "line 3: Invalid module name: 'not a valid ref!!'" in message
    assert "line 4: Invalid group name: 'my-group'" in message
    assert "line 5" not in message  # lines under a bad header are not reported again
    assert "line 8: Missing attribute name after colon" in message
    assert result.severity("entry-points") == "warning"


def test_a_script_without_a_callable_is_an_error(guard_dists, inspect_wheel) -> None:
    text = b"[console_scripts]\ntiny = tinyproj.cli\n[tinyproj.plugins]\nok = tinyproj.p\n"
    result = inspect_wheel(guard_dists.wheel(extra_dist_info={"entry_points.txt": text}))
    message = result.message("entry-points")
    assert "console_scripts: tiny = tinyproj.cli" in message
    assert "A callable suffix is required" in message
    assert result.severity("entry-points") == "error"


@pytest.mark.parametrize("filename", ["tinyproj-1.0.0-py3--any.whl",
                                      "tinyproj-1.0.0-py3-none-.whl"])
def test_a_filename_only_wheel_filename_refuses(guard_dists, inspect_wheel,
                                                filename: str) -> None:
    result = inspect_wheel(guard_dists.wheel(filename=filename))
    assert "unreadable" in result.ours
    assert "wheel-filename cannot parse the name" in result.message("unreadable")


def test_a_filename_the_core_refuses_is_not_repeated(guard_dists, inspect_wheel) -> None:
    result = inspect_wheel(guard_dists.wheel(filename="tinyproj.whl"))
    assert "wheel-filename" in result.core
    assert result.ours == []


def test_an_exception_from_wheel_inspect_becomes_a_finding(guard_dists, inspect_wheel,
                                                           monkeypatch) -> None:
    def boom(fp):
        raise wi_errors.MissingWheelInfoError()

    monkeypatch.setattr(inspection, "parse_wheel_info", boom)
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"",
                                     "tinyproj/__pycache__/x.cpython-311.pyc": b""})
    result = inspect_wheel(wheel)
    assert sorted(result.ours) == ["bytecode", "unreadable"]  # the later steps still ran
    message = result.message("unreadable")
    assert "the WHEEL check stopped on broken input (MissingWheelInfoError: File not found" \
        in message


def test_bad_plugin_config_is_reported_clearly(guard_dists, guard_check) -> None:
    import preupload_guard_wheel_inspect

    run = guard_check(guard_dists.wheel(), autoload=False,
                      plugins={"wheel-inspect": preupload_guard_wheel_inspect},
                      config={"plugins": {"wheel-inspect": {"allow-toplevel": ["x"]}}})
    [error] = run.plugin_errors
    assert "unknown key(s) allow-toplevel" in error.message
