"""One pass per file: every consumer of member contents shares a single reading.

The archive readers count how often an archive was read from its start (``passes``: a
tar is inflated once per pass) and how often each member was read (``member_reads``);
these tests run the real pipeline, with the core and both real plugins, and hold the
counts at one.
"""

from __future__ import annotations

import queue
import threading
from pathlib import Path

import preupload_guard_secrets
import preupload_guard_wheel_inspect
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from preupload_guard import (
    Capture,
    Finding,
    MemberVisitor,
    Rule,
    Severity,
    StreamConsumer,
    hookimpl,
)
from preupload_guard.advise.breakdown import BreakdownReader, breakdown_of
from preupload_guard.engine.config import load_settings
from preupload_guard.engine.plugins import PluginManager
from preupload_guard.engine.runner import run_checks
from preupload_guard.read.archives import ArchiveError, Member
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.members import BATCH_ITEMS, CHUNK, QUEUE_CHUNKS, Fanout
from preupload_guard.testing import make_sdist, make_wheel

PLUGINS = {"secrets": preupload_guard_secrets, "wheel-inspect": preupload_guard_wheel_inspect}


def _run(paths: list[Path], installed: dict[str, object], table: dict | None = None,
         **options: object):
    artifacts = [Artifact(p) for p in paths]
    settings = load_settings({"paths": [str(p) for p in paths], "offline": True, **options},
                             table=table or {})
    report = run_checks(settings, manager=PluginManager(load_entry_points=False,
                                                        extra=installed),
                        artifacts=artifacts)
    return report, artifacts


def _files(tmp_path: Path) -> list[Path]:
    files = {f"tinyproj/mod{i}.py": b"x = %d\n" % i * 200 for i in range(30)}
    files["tinyproj/LICENSE.txt"] = b"MIT\n"
    return [make_wheel(tmp_path, files=files), make_sdist(tmp_path, files=files)]


def test_core_and_both_plugins_read_each_file_once(tmp_path: Path) -> None:
    report, artifacts = _run(_files(tmp_path), PLUGINS)
    assert report.ok, [f.message for f in report.findings]
    for artifact in artifacts:
        reader = artifact.archive()
        assert reader.passes == 1, artifact.filename
        assert reader.member_reads, artifact.filename
        assert max(reader.member_reads.values()) == 1, dict(reader.member_reads)


def test_the_plugins_still_find_what_they_look_for_through_the_pass(tmp_path: Path) -> None:
    token = "ghp_" + "a1B2c3D4" * 5  # a GitHub token shape, assembled at run time
    # conf.py is swapped after RECORD was written, so RECORD's digest for it is wrong.
    wheel = make_wheel(tmp_path, files={"tinyproj/conf.py": b"T = None\n"},
                       tamper={"tinyproj/conf.py": f"T = '{token}'\n".encode()})
    sdist = make_sdist(tmp_path, files={"src/tinyproj/conf.py": f"T = '{token}'\n".encode()})
    report, artifacts = _run([wheel, sdist], PLUGINS)
    rules = {(f.file, f.rule) for f in report.findings}
    assert (wheel.name, "secrets/token") in rules
    assert (sdist.name, "secrets/token") in rules
    assert (wheel.name, "wheel-inspect/record-hash") in rules
    assert all(a.archive().passes == 1 for a in artifacts)


def test_an_ignored_rule_costs_no_reading(tmp_path: Path) -> None:
    """With every content rule ignored, the members are not read at all."""
    wheel = make_wheel(tmp_path)
    _, [artifact] = _run([wheel], PLUGINS, ignore=["secrets", "wheel-inspect/record-hash",
                                                    "encrypted-code", "pypi-token"])
    reads = artifact.archive().member_reads
    # Only what the core reads anyway: the metadata and the .dist-info files.
    assert any(n.endswith("/METADATA") for n in reads)
    assert "tinyproj/__init__.py" in artifact.archive().names()
    assert set(reads) == {n for n in reads if ".dist-info/" in n}


def test_names_only_rules_need_no_bytes(tmp_path: Path) -> None:
    """sensitive-file is decided from names: with the content rules ignored it still fires,
    and no member outside .dist-info is read."""
    wheel = make_wheel(tmp_path, files={"tinyproj/__init__.py": b"", "tinyproj/.env": b"K=v"})
    content = [f"secrets/{r}" for r in ("token", "aws-key", "private-key", "scan-incomplete")]
    report, [artifact] = _run([wheel], PLUGINS, ignore=[*content, "wheel-inspect/record-hash",
                                                        "encrypted-code", "pypi-token"])
    assert "secrets/sensitive-file" in {f.rule for f in report.findings}
    assert all(".dist-info/" in n for n in artifact.archive().member_reads)


class _Recorder:
    """A plugin that subscribes through the hook and sees its own name and table."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, dict]] = []
        self.visitor: _Sizes | None = None

    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("sizes", "demo", Severity.INFO, "member sizes")]

    @hookimpl
    def preupload_guard_members(self, artifact, context, plugin, config):
        self.seen.append((plugin, dict(config)))
        if not context.selected(f"{plugin}/sizes"):
            return None
        self.visitor = _Sizes(artifact.filename)
        return self.visitor


class _Sizes(MemberVisitor):
    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.bytes = 0
        self.thread = ""

    def feed(self, data: bytes) -> None:
        self.bytes += len(data)
        self.thread = threading.current_thread().name

    def findings(self):
        yield Finding("sizes", f"{self.bytes} bytes", self.filename)


def test_a_plugin_subscribes_with_its_name_and_config(tmp_path: Path) -> None:
    recorder = _Recorder()
    wheel = make_wheel(tmp_path)
    report, [artifact] = _run([wheel], {"demo": recorder},
                              table={"plugins": {"demo": {"level": 3}}})
    assert recorder.seen == [("demo", {"level": 3})]
    [finding] = [f for f in report.findings if f.rule == "demo/sizes"]
    expected = sum(m.size for m in artifact.members if m.is_file)
    assert finding.message == f"{expected} bytes"


def test_an_unselected_plugin_rule_subscribes_nothing(tmp_path: Path) -> None:
    recorder = _Recorder()
    report, _ = _run([make_wheel(tmp_path)], {"demo": recorder}, ignore=["demo/sizes"])
    assert recorder.visitor is None  # the plugin is idle: not even asked
    assert not [f for f in report.findings if f.rule.startswith("demo/")]


class _Broken:
    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("x", "demo", Severity.ERROR, "x")]

    @hookimpl
    def preupload_guard_members(self, artifact):
        return [_Raises(), StreamConsumer(lambda m: True, _stops_early, name="early")]


class _Raises(MemberVisitor):
    def feed(self, data: bytes) -> None:
        raise RuntimeError("visitor bug")


def _stops_early(items):
    for _member, stream in items:
        stream.read(1)
        return []  # leaves the pass before the end: it must not block it
    return []


def test_a_failing_visitor_is_the_plugins_error_and_the_pass_goes_on(tmp_path: Path) -> None:
    files = _files(tmp_path)
    report, artifacts = _run(files, {"broken": _Broken(), **PLUGINS})
    errors = [f for f in report.findings if f.rule == "plugin-error"]
    assert len(errors) == 2, [f.message for f in errors]  # one per file
    assert all("visitor bug" in f.message and "'broken'" in f.message for f in errors)
    assert not [f for f in report.findings if f.rule.startswith("secrets/")]
    assert all(a.archive().passes == 1 for a in artifacts)


def test_a_consumer_that_raises_is_reported(tmp_path: Path) -> None:
    class Plugin:
        @hookimpl
        def preupload_guard_rules(self):
            return [Rule("x", "demo", Severity.ERROR, "x")]

        @hookimpl
        def preupload_guard_members(self, artifact):
            def boom(items):
                for _ in items:
                    raise ValueError("consumer bug")
            return StreamConsumer(lambda m: True, boom)

    report, _ = _run([make_sdist(tmp_path)], {"demo": Plugin()})
    [error] = [f for f in report.findings if f.rule == "plugin-error"]
    assert "consumer bug" in error.message


def test_subscribing_after_the_file_was_read_is_refused(tmp_path: Path) -> None:
    artifact = Artifact(make_wheel(tmp_path))
    artifact.archive()
    with pytest.raises(RuntimeError, match="subscribe"):
        artifact.subscribe(Capture(lambda m: True, 100))


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_the_breakdown_read_in_the_pass_equals_its_own_reading(tmp_path: Path,
                                                               kind: str) -> None:
    data = {f"tinyproj/blob{i}.bin": bytes([i]) * 300_000 for i in range(3)}
    data["tinyproj/copy.bin"] = bytes([0]) * 300_000  # a duplicate of blob0
    make = make_wheel if kind == "wheel" else make_sdist
    path = make(tmp_path, files=data)
    alone = breakdown_of(Artifact(path))
    shared = Artifact(path)
    shared.subscribe(BreakdownReader(shared))
    together = breakdown_of(shared)
    assert together == alone
    assert shared.archive().passes == 1


def test_findings_keep_their_order_whatever_the_pool_width(tmp_path: Path) -> None:
    paths = []
    for i in range(8):
        directory = tmp_path / f"d{i}"
        directory.mkdir()
        paths.append(make_wheel(directory, name=f"proj{i}", tag="cp311-cp311-linux_x86_64"))
    one, _ = _run(paths, {}, jobs=1)
    many, _ = _run(paths, {}, jobs=4)
    assert [f.to_dict() for f in one.findings] == [f.to_dict() for f in many.findings]
    assert [f.filename for f in one.files] == [f.filename for f in many.files]
    assert one.findings  # linux_x86_64 is refused for every file


# -- the stream consumer's hand-over: batched, and byte-exact whatever the sizes ------------


def _feed_pass(visitors: MemberVisitor | list[MemberVisitor],
               members: list[tuple[Member, bytes, int]],
               error_at: int | None = None) -> tuple[Fanout, dict[str, int]]:
    """Drive a real :class:`Fanout` as the archive readers do: chunks of ``step`` bytes, no
    further than the limit ``begin`` gives. Returns it and the bytes read of each member."""
    fanout = Fanout(visitors if isinstance(visitors, list) else [visitors])
    reads: dict[str, int] = {}
    for index, (member, data, step) in enumerate(members):
        wanted, limit = fanout.begin(member)
        if not wanted:
            continue
        end = len(data) if limit is None else min(len(data), limit)
        done = 0
        while done < end:
            chunk = data[done:min(done + step, end)]
            done += len(chunk)
            if not fanout.feed(chunk):
                break
        reads[member.name] = done
        if index == error_at:
            fanout.finish_member(ArchiveError(f"cannot read {member.name}: broken"))
        else:
            fanout.finish_member()
    fanout.close()
    return fanout, reads


def _read_all(sizes: list[int]):
    """A consumer loop reading each stream with the given read sizes (cycled)."""
    def consume(items):
        got: dict[str, bytes | str] = {}
        for member, stream in items:
            parts, step, short = [], 0, False
            try:
                while True:
                    want = sizes[step % len(sizes)]
                    step += 1
                    data = stream.read(want)
                    if not data:
                        break
                    assert not short, "a short read before the member's end"
                    assert want < 0 or len(data) <= want
                    short = want >= 0 and len(data) < want
                    parts.append(data)
                got[member.name] = b"".join(parts)
                assert stream.tell() == len(got[member.name])
            except ArchiveError as exc:
                got[member.name] = str(exc)
        return got
    return consume


@given(
    contents=st.lists(st.binary(max_size=3000), max_size=30),
    steps=st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=4),
    reads=st.lists(st.sampled_from([-1, 1, 7, 100, 4096, 10_000]), min_size=1, max_size=4),
    error_at=st.none() | st.integers(min_value=0, max_value=29),
)
@settings(max_examples=150, deadline=None)
def test_a_consumer_reads_every_member_exactly(contents, steps, reads, error_at):
    members = [(Member(f"m{i}", len(data)), data, steps[i % len(steps)])
               for i, data in enumerate(contents)]
    consumer = StreamConsumer(lambda m: True, _read_all(reads))
    _feed_pass(consumer, members, error_at)
    expected: dict[str, bytes | str] = {m.name: data for m, data, _ in members}
    if error_at is not None and error_at < len(members):
        name = members[error_at][0].name
        expected[name] = f"cannot read {name}: broken"
    assert consumer.result() == expected


def test_a_full_read_is_exact_when_a_read_spans_many_chunks():
    data = bytes(range(256)) * 4000  # 1,024,000 bytes, in chunks of 1,000
    consumer = StreamConsumer(lambda m: True, _read_all([300_000, 1, 299_999]))
    _feed_pass(consumer, [(Member("big", len(data)), data, 1000)])
    assert consumer.result() == {"big": data}


class _CountingQueue(queue.Queue):
    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.puts = 0

    def put(self, item, block=True, timeout=None):
        self.puts += 1
        super().put(item, block, timeout)


def test_small_members_are_handed_over_in_batches():
    """1,000 one-chunk members are 3,000 items (member, chunk, end): they must not cost
    3,000 hand-overs to the worker thread, each one locks and wakes it."""
    consumer = StreamConsumer(lambda m: True, _read_all([-1]))
    counted = _CountingQueue(QUEUE_CHUNKS)
    consumer._queue = counted
    members = [(Member(f"m{i}", 100), b"%03d" % i * 33 + b"\n", 4096) for i in range(1000)]
    _feed_pass(consumer, members)
    assert consumer.result() == {m.name: data for m, data, _ in members}
    assert counted.puts <= 3000 // BATCH_ITEMS + 2


def test_large_chunks_are_handed_over_as_they_come():
    """A batch holds about CHUNK bytes: a large member does not wait for 64 chunks."""
    consumer = StreamConsumer(lambda m: True, _read_all([-1]))
    counted = _CountingQueue(QUEUE_CHUNKS)
    consumer._queue = counted
    data = b"x" * (20 * CHUNK)
    _feed_pass(consumer, [(Member("big", len(data)), data, CHUNK)])
    assert consumer.result() == {"big": data}
    assert 20 <= counted.puts <= 22


# -- the Fanout itself, against its contract -------------------------------------------
class _Logged(MemberVisitor):
    """Logs every call; raises at one (method, member index), says "enough" after some
    chunks. Misuse by the fanout is noted, not asserted: the fanout catches exceptions."""

    def __init__(self, limit: int | None, want: int, fail: tuple[str, int] | None,
                 stop_after: int | None) -> None:
        self.limit = limit
        self.want = want  # wants members whose index is a multiple of this
        self.fail = fail
        self.stop_after = stop_after
        self.log: list[tuple[str, str]] = []
        self.misuse: list[str] = []
        self.fed: dict[str, bytes] = {}
        self.feeds: dict[str, int] = {}
        self.ended: dict[str, list[ArchiveError | None]] = {}
        self.closed: list[ArchiveError | None] = []
        self.raised = False
        self._index = -1
        self._name = ""

    def _call(self, method: str, name: str) -> None:
        if self.raised:
            self.misuse.append(f"{method}({name}) after the visitor raised")
        self.log.append((method, name))
        if self.fail == (method, self._index):
            self.raised = True
            raise RuntimeError(f"{method} failed")

    def wants(self, member: Member) -> bool:
        self._index = int(member.name[1:])
        self._call("wants", member.name)
        return self._index % self.want == 0

    def start(self, member: Member) -> None:
        self._name = member.name
        self.fed[member.name], self.feeds[member.name] = b"", 0
        self._call("start", member.name)

    def feed(self, data: bytes) -> bool | None:
        self._call("feed", self._name)
        if not data:
            self.misuse.append(f"an empty chunk of {self._name}")
        self.fed[self._name] += data
        self.feeds[self._name] += 1
        if self.stop_after is not None and self.feeds[self._name] >= self.stop_after:
            return False
        return None

    def end(self, member: Member, error: ArchiveError | None) -> None:
        self.ended.setdefault(member.name, []).append(error)
        self._call("end", member.name)

    def close(self, error: ArchiveError | None) -> None:
        self.closed.append(error)
        self._call("close", "")


@given(
    contents=st.lists(st.binary(max_size=200), min_size=1, max_size=8),
    step=st.integers(min_value=1, max_value=64),
    visitors=st.lists(st.tuples(
        st.sampled_from([None, 1, 5, 64]),
        st.integers(min_value=1, max_value=3),
        st.none() | st.tuples(st.sampled_from(["wants", "start", "feed", "end"]),
                              st.integers(min_value=0, max_value=7)),
        st.none() | st.integers(min_value=1, max_value=3)), min_size=1, max_size=4),
    error_at=st.none() | st.integers(min_value=0, max_value=7),
)
@settings(max_examples=300, deadline=None)
def test_the_fanout_keeps_its_contract_for_every_visitor(contents, step, visitors, error_at):
    """Driven as the readers drive it: each visitor gets exactly the members it wants, each
    one's bytes up to its limit (a prefix, if it said "enough"), one ``end`` per ``start``
    and one ``close``; a visitor that raises is never called again and is the only one
    that pays; and a member is read no further than its hungriest visitor asks."""
    logged = [_Logged(*v) for v in visitors]
    fanout, reads = _feed_pass(
        logged, [(Member(f"m{i}", len(data)), data, step) for i, data in enumerate(contents)],
        error_at)
    for v in logged:
        assert v.misuse == []
        assert (fanout.failure(v) is not None) == v.raised
        if v.raised:
            assert str(fanout.failure(v)) == f"{v.fail[0]} failed"
            continue
        assert v.closed == [None]
        assert [n for method, n in v.log if method == "wants"] == [
            f"m{i}" for i in range(len(contents))]
        for i, data in enumerate(contents):
            name = f"m{i}"
            if i % v.want:
                assert name not in v.fed and name not in v.ended
                continue
            expected = data if v.limit is None else data[:v.limit]
            stopped = v.stop_after is not None and v.feeds[name] == v.stop_after
            assert v.fed[name] == expected or (stopped and expected.startswith(v.fed[name]))
            [error] = v.ended[name]
            if stopped:
                assert error is None
            else:
                assert (error is not None) == (error_at == i)
    for name, done in reads.items():
        limits = [v.limit for v in logged if ("start", name) in v.log]
        if limits and None not in limits:
            assert done <= max(limits)


class _ReadWatcher:
    """Records when ``preupload_guard_file_read`` and the per-file check run."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.events: list[tuple[str, str]] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()

    @hookimpl
    def preupload_guard_rules(self) -> list[Rule]:
        return [Rule("seen", "demo", Severity.INFO, "seen")]

    @hookimpl
    def preupload_guard_file_read(self, artifact, context, plugin):
        assert artifact.archive().passes == 1  # the pass is over ...
        assert artifact.raw_metadata is not None  # ... and the metadata is known
        with self.lock:
            self.events.append(("read", artifact.filename))
        if artifact.filename == self.fail_on:
            raise RuntimeError("read hook bug")
        return ["ignored"]  # the return value means nothing

    @hookimpl
    def preupload_guard_check_artifact(self, artifact):
        with self.lock:
            self.events.append(("check", artifact.filename))
        return []


@pytest.mark.parametrize("jobs", [1, 3])
def test_the_file_read_hook_runs_once_per_file_between_pass_and_checks(
        tmp_path: Path, jobs: int) -> None:
    files = [make_wheel(tmp_path, version=f"1.{i}") for i in range(4)]
    files.append(make_sdist(tmp_path))
    watcher = _ReadWatcher(fail_on=files[2].name)
    report, artifacts = _run(files, {"demo": watcher}, jobs=jobs)
    reads = [name for kind, name in watcher.events if kind == "read"]
    assert sorted(reads) == sorted(a.filename for a in artifacts)
    first_check = [kind for kind, _ in watcher.events].index("check")
    assert first_check == len(files)  # every file was read before any check ran
    [error] = [f for f in report.findings if f.rule == "plugin-error"]
    assert error.file == files[2].name
    assert "read hook bug" in error.message and "preupload_guard_file_read" in error.message
    assert all(a.archive().passes == 1 for a in artifacts)


def test_an_idle_plugin_is_not_told_a_file_was_read(tmp_path: Path) -> None:
    watcher = _ReadWatcher()
    _run([make_wheel(tmp_path), make_sdist(tmp_path)], {"demo": watcher},
         ignore=["demo/seen"])
    assert watcher.events == []


def test_the_largest_files_are_read_first_and_reported_in_file_order(tmp_path: Path) -> None:
    sizes = [3, 40, 1, 25, 9]
    files = [make_wheel(tmp_path, version=f"1.{i}", files={"tinyproj/pad.py": b"#" * 2000 * k})
             for i, k in enumerate(sizes)]
    watcher = _ReadWatcher(fail_on=files[0].name)
    report, artifacts = _run(files, {"demo": watcher}, jobs=1)
    reads = [name for kind, name in watcher.events if kind == "read"]
    assert reads == [a.filename for a in sorted(artifacts, key=lambda a: -a.size)]
    checks = [name for kind, name in watcher.events if kind == "check"]
    assert checks == [a.filename for a in artifacts]
    assert [f.file for f in report.findings if f.rule == "plugin-error"] == [files[0].name]
