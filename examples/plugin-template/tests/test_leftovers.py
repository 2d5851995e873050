"""Tests with preupload-guard's testing kit: ``guard_dists`` builds real archives and
``guard_check`` runs the real checks with this plugin (no conftest.py needed: the fixtures
come from preupload-guard's pytest plugin)."""

from __future__ import annotations

import fnmatch

import preupload_guard_leftovers as plugin
import pytest

PLUGIN = {"leftovers": plugin}  # registered as if installed under that entry-point name


def test_finds_leftovers_in_a_wheel(guard_dists, guard_check):
    wheel = guard_dists.wheel(files={
        "tinyproj/__init__.py": b"",
        "tinyproj/core.py.orig": b"old\n",
        "tinyproj/.DS_Store": b"\0",
    })
    run = guard_check(wheel, plugins=PLUGIN, autoload=False)
    assert run.rules == ["leftovers/stray-file", "leftovers/stray-file"]
    assert "tinyproj/core.py.orig looks like a leftover" in run.text
    assert run.exit_code == 0  # a warning: the upload would not be refused


def test_finds_leftovers_in_an_sdist(guard_dists, guard_check):
    sdist = guard_dists.sdist(files={"pyproject.toml": b"", "setup.py.rej": b"@@\n"})
    run = guard_check(sdist, plugins=PLUGIN, autoload=False)
    assert run.finding("leftovers/stray-file").file == sdist.name


def test_a_clean_wheel_has_no_finding(guard_dists, guard_check):
    run = guard_check(guard_dists.wheel(), plugins=PLUGIN, autoload=False)
    assert run.rules == []


def test_settings_replace_and_extend_the_patterns(guard_dists, guard_check):
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/x.bak": b"",
                                     "tinyproj/y.orig": b""})
    config = {"plugins": {"leftovers": {"patterns": ["*.bak"]}}}
    run = guard_check(wheel, plugins=PLUGIN, autoload=False, config=config)
    assert [f.message for f in run.findings] == ["tinyproj/x.bak looks like a leftover"]


def test_bad_settings_are_a_plugin_error_and_other_checks_still_run(guard_dists, guard_check):
    wheel = guard_dists.wheel(metadata="Metadata-Version: 2.4\nName: tinyproj\n")
    config = {"plugins": {"leftovers": {"patterns": "*.bak"}}}
    run = guard_check(wheel, plugins=PLUGIN, autoload=False, config=config)
    assert "must be a list of strings" in run.plugin_errors[0].message
    assert "invalid-metadata" in run.rules  # the built-in checks were not stopped


def test_the_rule_can_be_ignored_like_any_other(guard_dists, guard_check):
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/a~": b""})
    run = guard_check(wheel, plugins=PLUGIN, autoload=False, ignore=["leftovers"])
    assert run.rules == []


def test_an_unreadable_archive_is_left_to_the_core(guard_dists, guard_check):
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/a~": b""})
    broken = guard_dists.truncated(wheel, keep=100)
    run = guard_check(broken, plugins=PLUGIN, autoload=False)
    assert run.rules == ["invalid-archive"]


def test_an_empty_pattern_list_matches_nothing(guard_dists, guard_check):
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/y.orig": b""})
    config = {"plugins": {"leftovers": {"patterns": []}}}
    run = guard_check(wheel, plugins=PLUGIN, autoload=False, config=config)
    assert run.findings == []


_NAMES = ["a.orig", "A.ORIG", "x.rej", "notes~", "~", ".f.swp", "f.swp", ".DS_Store",
          "ds_store", "Thumbs.db", "thumbs.db", "a[1].txt", "a1.txt", "ab", "a\nb.orig", ""]
_PATTERNS = [*plugin.DEFAULT_PATTERNS, "a[0-9].txt", "a[!0-9]", "?b", "a[1].txt", "*"]


@pytest.mark.parametrize("count", range(len(_PATTERNS) + 1))
def test_the_compiled_matcher_agrees_with_fnmatchcase(count):
    # Every prefix of the pattern list, including none, against names that differ by case,
    # by a dot, by a bracket or by a newline.
    patterns = tuple(_PATTERNS[:count])
    matches = plugin._matcher(patterns)
    for name in _NAMES:
        expected = any(fnmatch.fnmatchcase(name, p) for p in patterns)
        assert bool(matches(name)) is expected, (name, patterns)
