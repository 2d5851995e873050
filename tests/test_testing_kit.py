"""The testing kit as plugin authors meet it: the pytest11 fixtures, broken dists, run_check.

The fixtures are tested the way a plugin author uses them: a test file in a fresh directory,
with no conftest, run by a pytest subprocess in which only the entry point can have provided
``guard_dists``, ``guard_index`` and ``guard_check``.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from preupload_guard import Finding, Rule, Severity, hookimpl
from preupload_guard.read.archives import ArchiveError, ArchiveReader
from preupload_guard.testing import (
    DistFactory,
    FixtureFile,
    FixtureProject,
    make_sdist,
    make_wheel,
    run_check,
)

AUTHOR_TESTS = '''
from preupload_guard import Finding, Rule, Severity, hookimpl
from preupload_guard.testing import FixtureFile, FixtureProject


class Shouty:
    @hookimpl
    def preupload_guard_rules(self):
        return [Rule("shouty-name", "style", Severity.WARNING, "Name in capitals")]

    @hookimpl
    def preupload_guard_check_artifact(self, artifact, context):
        limit = context.settings.plugin_config("shouty").get("min-length", 1)
        if artifact.name and artifact.name.isupper() and len(artifact.name) >= limit:
            yield Finding("shouty-name", f"{artifact.name} shouts", file=artifact.filename)


def test_finds(guard_dists, guard_check):
    wheel = guard_dists.wheel("LOUD")
    run = guard_check(wheel, plugins={"shouty": Shouty()}, autoload=False)
    assert run.rules == ["shouty/shouty-name"]
    assert "LOUD shouts" in run.text


def test_settings(guard_dists, guard_check):
    wheel = guard_dists.wheel("LOUD")
    run = guard_check(wheel, plugins={"shouty": Shouty()},
                      config={"plugins": {"shouty": {"min-length": 9}}})
    assert "shouty/shouty-name" not in run.rules


def test_index(guard_dists, guard_index, guard_check):
    wheel = guard_dists.wheel("quiet")
    index = guard_index(projects=[FixtureProject("quiet", [FixtureFile(wheel.name)])])
    run = guard_check(wheel, index=index)
    assert run.rules == ["file-exists"]
    assert run.exit_code == 1
'''


def _pytest(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=directory, capture_output=True, text=True, timeout=120,
    )


def test_the_fixtures_come_from_the_pytest11_entry_point(tmp_path: Path) -> None:
    names = {ep.name: ep.value for ep in entry_points(group="pytest11")}
    assert names.get("preupload_guard") == "preupload_guard.testing.plugin"
    (tmp_path / "test_author.py").write_text(AUTHOR_TESTS)
    result = _pytest(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    # Like any pytest plugin, it can be switched off; then the fixtures are unknown.
    off = _pytest(tmp_path, "-p", "no:preupload_guard")
    assert off.returncode == 1
    assert "fixture 'guard_dists' not found" in off.stdout


def _record(path: Path) -> dict[str, tuple[str, str]]:
    with zipfile.ZipFile(path) as zf:
        name = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        rows = csv.reader(io.StringIO(zf.read(name).decode()))
        return {row[0]: (row[1], row[2]) for row in rows if row}


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
        b"=").decode()


def test_tamper_makes_record_lie_about_exactly_those_members(guard_dists: DistFactory) -> None:
    original = b"print('hello')\n"
    wheel = guard_dists.wheel(files={"tinyproj/__init__.py": b"", "tinyproj/a.py": original},
                              tamper={"tinyproj/a.py": b"print('changed!')\n",
                                      "tinyproj/unlisted.py": b"x = 1\n"})
    record = _record(wheel)
    with zipfile.ZipFile(wheel) as zf:
        assert zf.read("tinyproj/a.py") == b"print('changed!')\n"
    assert record["tinyproj/a.py"] == (_digest(original), str(len(original)))
    assert record["tinyproj/__init__.py"] == (_digest(b""), "0")
    assert "tinyproj/unlisted.py" not in record
    # The core sees the unlisted member (PyPI compares paths, not digests).
    assert guard_check_rules(wheel) == ["record-mismatch"]


def guard_check_rules(path: Path) -> list[str]:
    return run_check(path, autoload=False).rules


def test_truncated_copies_are_reported_not_raised(guard_dists: DistFactory) -> None:
    wheel = guard_dists.wheel()
    cut = guard_dists.truncated(wheel, keep=wheel.stat().st_size // 2)
    assert cut.name == wheel.name and cut.stat().st_size == wheel.stat().st_size // 2
    run = run_check(cut, autoload=False)
    assert run.rules == ["invalid-archive"]
    sdist = guard_dists.truncated(guard_dists.sdist(), keep=-100)
    assert "invalid-archive" in run_check(sdist, autoload=False).rules


class _Counting:
    """A plugin object with settings, a batch hook and a history source."""

    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("too-many", "batch", Severity.ERROR, "Too many files"),
                Rule("other/explicit", "batch", Severity.INFO, "Already namespaced")]

    @hookimpl
    def preupload_guard_check_batch(self, artifacts, context):  # type: ignore[no-untyped-def]
        most = context.settings.plugin_config("counting").get("most", 10)
        if len(artifacts) > most:
            yield Finding("too-many", f"{len(artifacts)} files, at most {most}")


def test_run_check_with_a_plugin_object_and_its_settings(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    sdist = make_sdist(tmp_path)
    run = run_check([wheel, sdist], plugins={"counting": _Counting()}, autoload=False,
                    config={"plugins": {"counting": {"most": 1}}})
    assert run.rules == ["counting/too-many"]
    assert run.finding("counting/too-many").severity is Severity.ERROR
    assert run.exit_code == 1 and run.errors == run.findings
    assert run.json["findings"][0]["message"] == "2 files, at most 1"
    assert "counting/too-many" in run.report.rules
    assert "other/explicit" in run.report.rules  # an explicit namespace is kept
    # Policy applies to plugin rules as to built-ins; blocking removes the plugin.
    assert run_check([wheel, sdist], plugins={"counting": _Counting()}, autoload=False,
                     config={"plugins": {"counting": {"most": 1}}},
                     ignore=["counting"]).rules == []
    assert run_check([wheel, sdist], plugins={"counting": _Counting()}, autoload=False,
                     blocked=["counting"]).rules == []
    with pytest.raises(AssertionError, match="no 'nothing' finding; found none"):
        run_check(wheel, autoload=False).finding("nothing")


class _Crashing:
    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("never", "crash", Severity.ERROR, "Never reported")]

    @hookimpl
    def preupload_guard_check_artifact(self, artifact):  # type: ignore[no-untyped-def]
        raise KeyError("boom")


def test_a_crash_is_reported_once_and_selecting_the_plugin_cannot_hide_it(
        tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    for options in ({}, {"select": ["crashy"]}, {"ignore": ["crashy"]}):
        run = run_check(wheel, plugins={"crashy": _Crashing()}, autoload=False, **options)
        if options.get("ignore"):
            assert run.rules == []  # an ignored plugin is not called at all
            continue
        assert run.rules == ["plugin-error"], options
        message = run.finding("plugin-error").message
        assert message.startswith("plugin 'crashy' raised KeyError: 'boom' in "
                                  "preupload_guard_check_artifact"), message
        assert run.finding("plugin-error").file == wheel.name
        # PyPI would accept the file: the verdict does not call this a refusal.
        assert "No refusal by the index predicted, but checks failed" in run.text
    assert run_check(wheel, plugins={"crashy": _Crashing()}, autoload=False,
                     ignore=["plugin-error"]).rules == []


class _Misspelled:
    @hookimpl
    def preupload_guard_check_artefact(self, artifact):  # type: ignore[no-untyped-def]
        return []


def test_a_misspelled_hook_is_a_plugin_error_at_load_time(tmp_path: Path) -> None:
    run = run_check(make_wheel(tmp_path), plugins={"typo": _Misspelled()}, autoload=False)
    (error,) = run.plugin_errors
    assert "'typo' could not be loaded" in error.message
    assert "preupload_guard_check_artefact" in error.message
    assert "preupload_guard_*" in error.message


def test_config_is_validated_like_the_pyproject_table(tmp_path: Path) -> None:
    from preupload_guard.model.settings import ConfigError

    with pytest.raises(ConfigError, match="unknown key"):
        run_check(make_wheel(tmp_path), config={"no-such-key": 1})


def test_guard_index_serves_a_chosen_state(guard_index, guard_check,  # type: ignore[no-untyped-def]
                                           guard_dists: DistFactory) -> None:
    from datetime import datetime, timedelta, timezone

    old = datetime.now(timezone.utc) - timedelta(days=30)
    wheel = guard_dists.wheel("oldproj", "1.0")
    index = guard_index(projects=[FixtureProject("oldproj", [
        FixtureFile("oldproj-1.0.tar.gz", upload_time=old)])])
    run = guard_check(wheel, index=index)
    assert run.rules == ["release-closed"]
    archived = guard_index(projects=[FixtureProject("oldproj", status="archived")])
    assert "project-archived" in guard_check(wheel, index=archived).rules


# -- streaming member readers (what content-scanning plugins use) -------------------------

def _chunks(stream, size: int = 7) -> bytes:  # type: ignore[no-untyped-def]
    out = []
    while chunk := stream.read(size):
        out.append(chunk)
    return b"".join(out)


@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_iter_streams_reads_every_member_in_chunks(tmp_path: Path, kind: str) -> None:
    files = {"tinyproj/__init__.py": b"", "tinyproj/data.txt": b"line\n" * 1000,
             "tinyproj/b.bin": bytes(range(256)) * 40}
    path = (make_wheel(tmp_path, files=files) if kind == "zip"
            else make_sdist(tmp_path, files=files))
    reader = ArchiveReader(path, kind)
    seen = {m.name.split("/", 1)[-1] if kind == "tar" else m.name: _chunks(s)
            for m, s in reader.iter_streams(lambda m: "tinyproj/" in m.name)}
    assert seen == files


def test_iter_streams_tar_seeks_forward_only(tmp_path: Path) -> None:
    big = bytes(range(256)) * 4096  # 1 MiB
    path = make_sdist(tmp_path, files={"big.bin": big})
    for _member, stream in ArchiveReader(path, "tar").iter_streams(
            lambda m: m.name.endswith("big.bin")):
        stream.seek(900_000)
        assert stream.read(4) == big[900_000:900_004]
        with pytest.raises(io.UnsupportedOperation):
            stream.seek(0)
        assert stream.read(4) == big[900_004:900_008]  # the stream is still usable


def test_iter_streams_turns_a_corrupt_member_into_an_archive_error(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, files={"tinyproj/a.txt": b"A" * 100_000},
                      compression=zipfile.ZIP_DEFLATED)
    data = bytearray(path.read_bytes())
    offset = data.index(b"tinyproj/a.txt") + len("tinyproj/a.txt") + 10
    data[offset:offset + 40] = b"\xff" * 40  # garble the deflate stream
    path.write_bytes(bytes(data))
    with pytest.raises(ArchiveError) as caught:
        for _member, stream in ArchiveReader(path, "zip").iter_streams(
                lambda m: m.name == "tinyproj/a.txt"):
            _chunks(stream, 4096)
    assert caught.value.member == "tinyproj/a.txt"


def test_tar_member_streams_never_read_past_the_listed_size(tmp_path: Path) -> None:
    path = tmp_path / "x-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("x-1.0/a", b"a" * 10), ("x-1.0/b", b"b" * 20)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    got = {m.name: s.read() for m, s in ArchiveReader(path, "tar").iter_streams(lambda m: True)}
    assert got == {"x-1.0/a": b"a" * 10, "x-1.0/b": b"b" * 20}


# --- run_measured: a child's own peak RSS, not the caller's -----------------------------------

_MIB = 2**20


def _allocate(mib: int) -> list[str]:
    """A command that touches ``mib`` MiB and exits 0."""
    return [sys.executable, "-c",
            f"b = bytearray({mib} * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1"]


def test_run_measured_does_not_count_the_callers_memory() -> None:
    from preupload_guard.testing import run_measured

    ballast = bytearray(400 * _MIB)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    small = run_measured([sys.executable, "-c", "pass"], timeout=60)
    assert small.returncode == 0
    assert small.peak_rss < 100 * _MIB, small
    big = run_measured(_allocate(200), timeout=60)
    assert big.returncode == 0
    assert 200 * _MIB <= big.peak_rss < 300 * _MIB, big
    del ballast


def test_run_measured_caps_the_address_space_and_reports_the_exit_code(tmp_path: Path) -> None:
    from preupload_guard.testing import run_measured

    err = tmp_path / "err"
    with err.open("wb") as fh:
        run = run_measured(_allocate(600), stderr=fh, address_space=512 * _MIB, timeout=60)
    assert run.returncode == 1 and "MemoryError" in err.read_text(), run
    assert run_measured([sys.executable, "-c", "raise SystemExit(7)"]).returncode == 7
    killed = run_measured([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), 9)"])
    assert killed.returncode == -9


def test_run_measured_kills_the_whole_group_on_timeout() -> None:
    from preupload_guard.testing import run_measured

    with pytest.raises(subprocess.TimeoutExpired):
        run_measured([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1)
