"""One pass per file: every consumer of member contents shares a single reading.

The archive readers count how often an archive was read from its start (``passes``: a
tar is inflated once per pass) and how often each member was read (``member_reads``);
these tests run the real pipeline, with the core and both real plugins, and hold the
counts at one.
"""

from __future__ import annotations

import threading
from pathlib import Path

import preupload_guard_secrets
import preupload_guard_wheel_inspect
import pytest

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
from preupload_guard.read.artifact import Artifact
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
