"""Passes in worker processes (read/pass_pool.py): the same report as on threads, always.

Every test runs real worker interpreters on real archives. What a worker made is told apart
by ``Artifact.pass_pid``, the process that made the file's pass.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from preupload_guard import Finding, Rule, Severity, hookimpl
from preupload_guard.engine.config import load_settings
from preupload_guard.engine.plugins import PluginManager
from preupload_guard.engine.runner import run_checks
from preupload_guard.model.settings import ConfigError
from preupload_guard.read.archives import ArchiveError, Member
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.child_worker import ChildFailed
from preupload_guard.read.members import Capture, MemberVisitor
from preupload_guard.read.pass_pool import AUTO_MIN_BYTES, PassFailure, PassPool, dumps, loads
from preupload_guard.testing import make_sdist, make_wheel

_PA = b"__pyarm" + b"or"  # assembled, so that this file is not itself a finding


def _run(paths: list[Path], installed: dict[str, object] | None = None,
         **options: object) -> tuple[object, list[Artifact]]:
    artifacts = [Artifact(p) for p in paths]
    settings = load_settings({"paths": [str(p) for p in paths], "offline": True, **options},
                             table={})
    report = run_checks(settings, artifacts=artifacts, manager=PluginManager(
        load_entry_points=False, extra=installed or {}))
    return report, artifacts


def _seen(report: object) -> list[tuple[object, ...]]:
    return [(f.rule, f.file, f.severity, f.message, f.hint)
            for f in report.findings]  # type: ignore[attr-defined]


def _summaries(report: object) -> list[tuple[object, ...]]:
    return [(s.filename, s.size, s.sha256, s.project, s.version)
            for s in report.files]  # type: ignore[attr-defined]


def _mixed_set(tmp_path: Path) -> list[Path]:
    """Files each of which some rule refuses, and clean ones, wheels and sdists."""
    files = {f"tinyproj/mod{i}.py": b"x = %d\n" % i * 300 for i in range(20)}
    clean_wheel = make_wheel(tmp_path, files=files)
    clean_sdist = make_sdist(tmp_path, files={**files, "pyproject.toml": b"[project]\n"})
    armored = make_wheel(tmp_path, version="2.0", files={
        "tinyproj/x.py": b"from pytransform import " + _PA + b"_runtime\n" + _PA
        + b"__(__name__, __file__, b'...')\n"})
    armored_sdist = make_sdist(tmp_path, version="2.0", files={
        "tinyproj/x.py": _PA + b"__(__name__, __file__, b'...')\n"})
    trailing = make_wheel(tmp_path, version="3.0")
    trailing.write_bytes(trailing.read_bytes() + b"signature")
    (tmp_path / "whole").mkdir()
    whole = make_sdist(tmp_path / "whole", version="4.0")
    corrupt = tmp_path / whole.name
    corrupt.write_bytes(whole.read_bytes()[:300])  # truncated
    no_metadata = make_sdist(tmp_path, version="5.0", pkg_info=False)
    bad_metadata = make_wheel(tmp_path, version="6.0",
                              metadata="Metadata-Version: 2.1\nName: tinyproj\n")
    return [clean_wheel, clean_sdist, armored, armored_sdist, trailing, corrupt,
            no_metadata, bad_metadata]


def test_processes_give_the_report_threads_give(tmp_path: Path) -> None:
    paths = _mixed_set(tmp_path)
    threads, here = _run(paths, readers="threads", jobs=2)
    processes, there = _run(paths, readers="processes", jobs=2)
    assert _seen(processes) == _seen(threads)
    assert _summaries(processes) == _summaries(threads)
    rules = {f.rule for f in processes.findings}  # type: ignore[attr-defined]
    assert {"encrypted-code", "zip-framing", "invalid-archive"} <= rules, rules
    assert all(a.pass_pid is None for a in here)
    assert all(a.pass_pid not in (None, os.getpid()) for a in there)
    assert len({a.pass_pid for a in there}) == 2  # both workers had files
    for a in there:  # the adopted pass counts as the one pass
        if a.archive_error is None:
            assert a.archive().passes <= 1 and max(a.archive().member_reads.values(),
                                                   default=1) == 1


def test_relative_paths_and_a_changed_directory(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    make_wheel(dist)
    make_sdist(dist)
    monkeypatch.chdir(tmp_path)
    paths = [Path("dist") / p.name for p in sorted(dist.iterdir())]
    report, artifacts = _run(paths, readers="processes", jobs=2)
    assert report.ok, _seen(report)  # type: ignore[attr-defined]
    assert all(a.pass_pid not in (None, os.getpid()) for a in artifacts)
    assert all(a.archive().path == a.path for a in artifacts)  # read again here if asked


# -- plugin visitors ------------------------------------------------------------------------
class Portable(MemberVisitor):
    """Counts its members' bytes; fails on a member named ``boom.py``."""

    portable = True

    def __init__(self, artifact: Artifact) -> None:
        self.artifact = artifact  # goes by reference, comes back as the runner's Artifact
        self.seen: dict[str, int] = {}
        self.pid = 0

    def start(self, member: Member) -> None:
        self.seen[member.name] = 0
        self.pid = os.getpid()

    def feed(self, data: bytes) -> None:
        if b"boom" in data:
            raise LookupError("portable visitor bug")
        self.seen[next(reversed(self.seen))] += len(data)

    def findings(self) -> list[Finding]:
        assert isinstance(self.artifact, Artifact)
        return [Finding("counted", f"{self.artifact.filename}: {sum(self.seen.values())} bytes "
                        f"in {len(self.seen)} members")]


class Pinned(Portable):
    """Says it is portable but holds a lock, which does not pickle."""

    def __init__(self, artifact: Artifact) -> None:
        super().__init__(artifact)
        self.lock = threading.Lock()


class Stays(Portable):
    portable = False


class ExitsInAWorker(Portable):
    """Takes its worker down (a crash in a C library would look the same)."""

    def feed(self, data: bytes) -> None:
        if os.getpid() != int(os.environ["PREUPLOAD_GUARD_TEST_PARENT"]):
            os._exit(3)
        super().feed(data)


class CountingPlugin:
    def __init__(self, kind: type[Portable]) -> None:
        self.kind = kind
        self.visitors: list[Portable] = []

    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("counted", "bytes counted", Severity.WARNING, "none")]

    @hookimpl
    def preupload_guard_members(self, artifact: Artifact) -> MemberVisitor:
        visitor = self.kind(artifact)
        self.visitors.append(visitor)
        return visitor


def _plugin_set(tmp_path: Path, boom: bool = False) -> list[Path]:
    files = {f"tinyproj/m{i}.py": b"y = 1\n" * (i + 1) for i in range(5)}
    if boom:
        files["tinyproj/boom.py"] = b"boom\n"
    return [make_wheel(tmp_path, files=files), make_sdist(tmp_path, files=files)]


@pytest.mark.parametrize("kind", [Portable, Pinned, Stays])
def test_a_plugin_visitor_reports_the_same_wherever_it_ran(tmp_path: Path,
                                                           kind: type[Portable]) -> None:
    paths = _plugin_set(tmp_path)
    threads, _ = _run(paths, {"demo": CountingPlugin(kind)}, readers="threads", jobs=2)
    plugin = CountingPlugin(kind)
    processes, artifacts = _run(paths, {"demo": plugin}, readers="processes", jobs=2)
    assert _seen(processes) == _seen(threads)
    assert [f.rule for f in processes.findings] == ["demo/counted"] * 2  # type: ignore[attr-defined]
    here = kind is not Portable  # not portable, or not picklable: read in this process
    assert all((a.pass_pid is None) is here for a in artifacts)
    for artifact, visitor in zip(artifacts, plugin.visitors, strict=True):
        copy = artifact.adopted(visitor)
        assert (copy is visitor) is here
        assert (copy.pid == os.getpid()) is here
        assert copy.artifact is artifact


def test_a_visitors_failure_in_a_worker_reads_as_it_would_here(tmp_path: Path) -> None:
    paths = _plugin_set(tmp_path, boom=True)
    threads, _ = _run(paths, {"demo": CountingPlugin(Portable)}, readers="threads")
    processes, artifacts = _run(paths, {"demo": CountingPlugin(Portable)},
                                readers="processes", jobs=2)
    assert all(a.pass_pid not in (None, os.getpid()) for a in artifacts)
    errors = [f.message for f in processes.findings  # type: ignore[attr-defined]
              if f.rule == "plugin-error"]
    assert len(errors) == 2
    assert all("raised LookupError: portable visitor bug in its member visitor at "
               "test_pass_pool.py:" in m for m in errors), errors
    assert _seen(processes) == _seen(threads)


def test_a_worker_that_dies_leaves_its_files_to_this_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREUPLOAD_GUARD_TEST_PARENT", str(os.getpid()))
    paths = _plugin_set(tmp_path)
    threads, _ = _run(paths, {"demo": CountingPlugin(ExitsInAWorker)}, readers="threads")
    processes, artifacts = _run(paths, {"demo": CountingPlugin(ExitsInAWorker)},
                                readers="processes", jobs=2)
    assert all(a.pass_pid is None for a in artifacts)  # each read again here
    assert _seen(processes) == _seen(threads)
    assert [f.rule for f in processes.findings] == ["demo/counted"] * 2  # type: ignore[attr-defined]


# -- when processes are used ------------------------------------------------------------
def test_auto_reads_a_small_set_here_and_a_large_one_in_workers(tmp_path: Path) -> None:
    small = [make_wheel(tmp_path), make_sdist(tmp_path)]
    _, artifacts = _run(small, jobs=2)  # readers = "auto"
    assert all(a.pass_pid is None for a in artifacts)
    big = [make_wheel(tmp_path, version="2.0", padding=AUTO_MIN_BYTES // 2),
           make_wheel(tmp_path, version="3.0", padding=AUTO_MIN_BYTES // 2)]
    assert sum(p.stat().st_size for p in big) >= AUTO_MIN_BYTES
    _, artifacts = _run(big, jobs=2)
    assert all(a.pass_pid not in (None, os.getpid()) for a in artifacts)
    _, artifacts = _run(big, jobs=1)  # one job: no workers
    assert all(a.pass_pid is None for a in artifacts)


def test_the_plan_leaves_out_what_cannot_go(tmp_path: Path) -> None:
    wheel, sdist = Artifact(make_wheel(tmp_path)), Artifact(make_sdist(tmp_path))
    odd = tmp_path / "tinyproj-1.0.0.exe"
    odd.write_bytes(b"MZ")
    other = Artifact(odd)
    visitors: dict[str, list[MemberVisitor]] = {
        wheel.filename: [Capture(_every, 10)], sdist.filename: [Stays(sdist)]}
    pool, chosen = PassPool.plan("processes", 4, [wheel, sdist, other], visitors)
    assert pool is not None and chosen == [wheel] and pool.workers == 1
    assert PassPool.plan("threads", 4, [wheel], visitors) == (None, [])
    assert PassPool.plan("auto", 4, [wheel, wheel], visitors) == (None, [])  # too small


def _every(member: Member) -> bool:
    return True


def test_readers_is_an_option_and_a_config_key() -> None:
    from preupload_guard.cli.check import check_parser
    from preupload_guard.model.settings import READERS

    [option] = [a for a in check_parser()._actions if a.dest == "readers"]
    assert tuple(option.choices) == READERS  # the parser spells them out for --help's sake
    assert load_settings({"paths": ["x"]}, table={}).readers == "auto"
    assert load_settings({"paths": ["x"]}, table={"readers": "threads"}).readers == "threads"
    assert load_settings({"paths": ["x"], "readers": "processes"},
                         table={"readers": "threads"}).readers == "processes"
    with pytest.raises(ConfigError, match="readers must be auto, threads or processes"):
        load_settings({"paths": ["x"]}, table={"readers": "fork"})


def test_a_script_without_a_main_guard_runs_once(tmp_path: Path) -> None:
    """multiprocessing's spawn would import the caller's ``__main__`` in every worker."""
    dist = tmp_path / "dist"
    dist.mkdir()
    make_wheel(dist)
    make_sdist(dist)
    script = tmp_path / "run.py"
    script.write_text(
        "from preupload_guard.engine.config import load_settings\n"
        "from preupload_guard.engine.runner import run_checks\n"
        "from preupload_guard.read.artifact import Artifact\n"
        "import glob, os, sys\n"
        "paths = sorted(glob.glob(sys.argv[1] + '/*.*'))\n"
        "artifacts = [Artifact(p) for p in paths]\n"
        "s = load_settings({'paths': paths, 'offline': True, 'readers': 'processes',"
        " 'jobs': 2}, table={})\n"
        "report = run_checks(s, artifacts=artifacts)\n"
        "print('ran', report.ok, sum(a.pass_pid not in (None, os.getpid()) for a in artifacts))\n")
    env = {**os.environ, "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = subprocess.run([sys.executable, str(script), str(dist)], capture_output=True,
                         text=True, timeout=120, env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["ran True 2"]


# -- the pieces -------------------------------------------------------------------------
def test_an_artifact_goes_by_reference_both_ways(tmp_path: Path) -> None:
    mine, theirs = Artifact(make_wheel(tmp_path)), Artifact(make_wheel(tmp_path))
    data = dumps([Portable(mine), {"a": mine}], mine)
    with pytest.raises(TypeError):
        pickle.dumps(mine)  # the Artifact itself does not pickle (its lock)
    visitor, mapping = loads(data, theirs)
    assert visitor.artifact is theirs and mapping["a"] is theirs


def test_a_pass_failure_keeps_type_text_and_place() -> None:
    try:
        raise ArchiveError("bad member", pypi_status=400)
    except ArchiveError as exc:
        failure = PassFailure.of(exc)
    again = pickle.loads(pickle.dumps(failure))
    assert (again.type_name, str(again)) == ("ArchiveError", "bad member")
    assert again.origin is not None and again.origin[0] == "test_pass_pool.py"
    manager = PluginManager(load_entry_points=False)
    message = manager.crash("demo", "its member visitor", again).message
    assert f"raised ArchiveError: bad member in its member visitor at " \
           f"test_pass_pool.py:{again.origin[1]}" in message


def test_adopting_twice_or_for_other_subscribers_is_refused(tmp_path: Path) -> None:
    path = make_wheel(tmp_path)
    made = Artifact(path)
    made.subscribe(Capture(_every, 100))
    state = made.pass_state()
    fresh = Artifact(path)
    with pytest.raises(ValueError, match="other subscribers"):
        fresh.adopt(state)  # it has no subscriber; the state has one
    fresh.subscribe(Capture(_every, 100))
    fresh.adopt(state)
    with pytest.raises(RuntimeError, match="read already"):
        fresh.adopt(state)
    assert fresh.members == made.members and fresh.raw_metadata == made.raw_metadata


def test_a_member_read_after_an_adopted_pass_lists_the_zip_once(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, files={"tinyproj/a.py": b"a = 1\n", "tinyproj/b.py": b"b\n"})
    made = Artifact(path)
    data = dumps(made.pass_state(), made)
    fresh = Artifact(path)
    fresh.adopt(loads(data, fresh))
    reader = fresh.archive()
    assert reader._zip_listing is None  # zipfile's listing stayed behind
    assert reader.read("tinyproj/a.py", 100) == b"a = 1\n"
    listing = reader._zip_listing
    assert listing is not None and len(listing[0]) == len(reader.members)
    assert reader.read_members(["tinyproj/b.py"], 100) == {"tinyproj/b.py": b"b\n"}
    assert reader._zip_listing is listing  # listed once


# -- handing files out ------------------------------------------------------------------------
class Held(MemberVisitor):
    """Holds its worker at a member named ``hold.py`` until ``marker`` exists (60 s at most)."""

    portable = True

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def wants(self, member: Member) -> bool:
        return member.name.endswith("/hold.py")

    def start(self, member: Member) -> None:
        deadline = time.monotonic() + 60
        while not os.path.exists(self.marker) and time.monotonic() < deadline:
            time.sleep(0.01)


def _held_set(tmp_path: Path, others: int, marker: Path) -> list[tuple[Artifact, Held]]:
    """A file whose pass is held, then ``others`` quick ones, each with its subscriber."""
    held = make_wheel(tmp_path, files={"tinyproj/hold.py": b"x = 1\n"})
    paths = [held] + [make_wheel(tmp_path, version=f"2.{i}") for i in range(others)]
    out = []
    for path in paths:
        artifact, visitor = Artifact(path), Held(str(marker))
        artifact.subscribe(visitor)
        out.append((artifact, visitor))
    return out


def test_a_worker_is_given_the_next_file_only_when_it_is_free(tmp_path: Path) -> None:
    # Files handed out in advance would queue some of the quick ones behind the held one,
    # and their passes could not end until it is released.
    marker = tmp_path / "release"
    held = _held_set(tmp_path, 5, marker)
    artifacts = [a for a, _ in held]
    pool = PassPool(2)
    try:
        futures = [pool.submit(a, [v]) for a, v in held]
        for future in futures[1:]:
            assert future is not None
            future.result(timeout=30)  # all done by the other worker, the first still held
        marker.touch()
        assert all(pool.adopt(a, f) for a, f in zip(artifacts, futures, strict=True))
    finally:
        pool.close()
    quick = {a.pass_pid for a in artifacts[1:]}
    assert len(quick) == 1 and artifacts[0].pass_pid not in quick | {None, os.getpid()}


def test_files_not_handed_out_at_close_are_read_here(tmp_path: Path) -> None:
    marker = tmp_path / "release"
    held = _held_set(tmp_path, 2, marker)
    pool = PassPool(1)
    futures = [pool.submit(a, [v]) for a, v in held]
    closing = threading.Thread(target=pool.close)
    closing.start()  # waits for the pass under way, which ends once released
    time.sleep(0.5)
    marker.touch()
    closing.join(timeout=60)
    assert not closing.is_alive()
    for (artifact, _), future in zip(held[1:], futures[1:], strict=True):
        assert future is not None
        with pytest.raises(ChildFailed, match="closed"):  # never handed out
            future.result(timeout=0)
        assert not pool.adopt(artifact, future)
        assert artifact.archive_error is None and artifact.pass_pid is None  # read here


def test_a_reader_pickles_its_members_as_they_were(tmp_path: Path) -> None:
    # Pickled as columns (ArchiveReader.__getstate__): the same members, in the same order,
    # the same lookup by name, also for a name listed twice (the last one answers).
    path = make_wheel(tmp_path, files={"tinyproj/a.py": b"a = 1\n", "tinyproj/b.py": b"b\n"})
    with zipfile.ZipFile(path, "a") as zf, pytest.warns(UserWarning, match="Duplicate"):
        zf.writestr("tinyproj/a.py", b"a = 22\n")
    tar = make_sdist(tmp_path, files={"tinyproj/c.py": b"c\n"})
    for artifact in (Artifact(path), Artifact(tar)):
        reader = artifact.archive()
        copy = pickle.loads(pickle.dumps(reader))
        assert copy.members == reader.members and isinstance(copy.members, tuple)
        assert [type(m) for m in copy.members] == [Member] * len(reader.members)
        for member in reader.members:
            assert copy.member(member.name) == reader.member(member.name)
    assert Artifact(path).archive().member("tinyproj/a.py").size == len(b"a = 22\n")
