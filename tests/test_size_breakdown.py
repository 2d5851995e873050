"""The size breakdown against real archives: gcc-built ELF libraries with and without debug
sections, fake model weights, embedded runtimes, duplicated members, tests and ``.pyc``;
the ``size`` command; and the ``file-too-large`` finding that names what takes the space."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from preupload_guard.advise import breakdown as size_breakdown
from preupload_guard.advise.breakdown import analyze, breakdown_of, classify
from preupload_guard.cli import main
from preupload_guard.read.archives import ArchiveReader
from preupload_guard.read.artifact import Artifact
from preupload_guard.testing import make_sdist, make_wheel

from checking import finding, rules, run

MiB = 1024**2
SOURCE = b"""
static int table[4096];
int add(int a, int b) { return a + b; }
int get(int i) { return table[i & 4095]; }
"""


@pytest.fixture(scope="module")
def elf_libs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Two real shared libraries from the C compiler: built with -g, and stripped."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler")
    work = tmp_path_factory.mktemp("elf")
    (work / "lib.c").write_bytes(SOURCE)
    built = {}
    for name, flags in (("debug", ["-g", "-O0"]), ("stripped", ["-s", "-O2"])):
        out = work / f"lib{name}.so"
        done = subprocess.run([compiler, *flags, "-shared", "-fPIC", "-o", str(out),
                               str(work / "lib.c")], capture_output=True, check=False)
        if done.returncode != 0 or not out.is_file():
            pytest.skip(f"the C compiler cannot build a shared library: {done.stderr!r}")
        built[name] = out.read_bytes()
    if not built["debug"].startswith(b"\x7fELF"):
        pytest.skip("the C compiler does not produce ELF")
    return built


def _breakdown(path: Path, **kwargs: object) -> size_breakdown.SizeBreakdown:
    kind = "tar" if path.name.endswith(".tar.gz") else "zip"
    return analyze(ArchiveReader(path, kind), path.name, path.stat().st_size,
                   **kwargs)  # type: ignore[arg-type]


# -- classification ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "kind"), [
    ("pkg/_core.cpython-312-x86_64-linux-gnu.so", "native-library"),
    ("pkg.libs/libgfortran-040039e1.so.5.0.0", "native-library"),
    ("pkg/_core.cp312-win_amd64.pyd", "native-library"),
    ("pkg/.dylibs/libomp.dylib", "native-library"),
    ("pkg/bin/tool.exe", "jar-executable"),
    ("pkg/java/lib/helper.jar", "jar-executable"),
    ("pkg/models/model.pt", "model-weights"),
    ("pkg/models/model.safetensors", "model-weights"),
    ("pkg/models/resnet.onnx", "model-weights"),
    ("pkg/models/llm.gguf", "model-weights"),
    ("pkg/models/keras.h5", "model-weights"),
    ("pkg/models/last.ckpt", "model-weights"),
    ("pkg/hf/pytorch_model.bin", "model-weights"),
    ("pkg/tf/saved_model.pb", "model-weights"),
    ("pkg/tf/variables/variables.data-00000-of-00001", "model-weights"),
    ("pkg/jre/lib/modules", "embedded-runtime"),
    ("pkg/runtime/jdk-17.0.2/bin/java", "embedded-runtime"),
    ("pkg/lib/server/libjvm.so", "embedded-runtime"),
    ("pkg/node/node.exe", "embedded-runtime"),
    ("pkg/lib/libnode.so.108", "embedded-runtime"),
    ("pkg/python/python311.dll", "embedded-runtime"),
    ("pkg/python/libpython3.11.so.1.0", "embedded-runtime"),
    ("pkg/python/lib/python3.11/os.py", "embedded-runtime"),
    ("pkg/tests/test_core.py", "tests"),
    ("pkg/test/data/big.npy", "tests"),
    ("pkg/testdata/sample.bin", "tests"),
    ("pkg/core/fixtures/model.pt", "tests"),
    ("pkg/__pycache__/core.cpython-312.pyc", "bytecode"),
    ("pkg/core.py", "other"),
    ("pkg/data/table.bin", "other"),
    ("pkg/testing.py", "other"),
    ("pkg/nodes.py", "other"),
])
def test_members_are_classified_by_path(name: str, kind: str) -> None:
    assert classify(name)[0] == kind


def test_a_bin_file_is_a_model_only_when_its_bytes_say_so() -> None:
    header = b'{"w": {"dtype": "F32"}}'
    safetensors = len(header).to_bytes(8, "little") + header
    assert classify("m/w.bin", b"GGUF\x03\x00") == ("model-weights", "GGUF")
    assert classify("m/w.bin", safetensors) == ("model-weights", "safetensors")
    assert classify("m/w.bin", b"\x80\x04\x95") == ("model-weights", "pickle")
    assert classify("m/w.bin", b"PK\x03\x04") == ("model-weights", "PyTorch (zip)")
    assert classify("m/w.bin", b"\x00\x01\x02\x03" * 4)[0] == "other"


def test_a_binary_without_a_library_name_is_an_executable() -> None:
    assert classify("pkg/bin/tool", b"\x7fELF", "elf") == ("jar-executable", "executable")
    assert classify("pkg/bin/node", b"\x7fELF", "elf")[0] == "embedded-runtime"
    assert classify("pkg/bin/node")[0] == "other"  # a script called node is not Node.js


# -- debug information from real ELF ------------------------------------------------------


def test_debug_information_is_found_in_the_unstripped_library_only(
        tmp_path: Path, elf_libs: dict[str, bytes]) -> None:
    wheel = make_wheel(tmp_path, files={
        "tinyproj/_debug.cpython-312-x86_64-linux-gnu.so": elf_libs["debug"],
        "tinyproj/_stripped.cpython-312-x86_64-linux-gnu.so": elf_libs["stripped"],
    })
    b = _breakdown(wheel)
    assert [d.name for d in b.debug] == ["tinyproj/_debug.cpython-312-x86_64-linux-gnu.so"]
    found = b.debug[0]
    assert found.format == "elf" and found.debug_bytes > 0
    assert 0 < found.saving <= b.group("native-library").compressed  # type: ignore[union-attr]
    native = b.group("native-library")
    assert native is not None and native.members == 2
    assert all(m.binary is not None for m in b.binaries) and len(b.binaries) == 2
    debug = b.group("debug-info")
    assert debug is not None and debug.saving == found.saving and "strip" in debug.fix


def test_a_stripped_library_reports_nothing_to_strip(
        tmp_path: Path, elf_libs: dict[str, bytes]) -> None:
    wheel = make_wheel(tmp_path, files={"tinyproj/_core.so": elf_libs["stripped"]})
    b = _breakdown(wheel)
    assert b.debug == () and b.group("debug-info") is None
    assert b.binaries[0].binary is not None and b.binaries[0].binary.complete


def test_debug_information_in_an_sdist_is_read_through_the_tar_stream(
        tmp_path: Path, elf_libs: dict[str, bytes]) -> None:
    sdist = make_sdist(tmp_path, files={
        "pyproject.toml": b"[project]\nname = 'tinyproj'\n",
        "prebuilt/libdebug.so": elf_libs["debug"],
        "prebuilt/copy-of-libdebug.so": elf_libs["debug"],
    })
    b = _breakdown(sdist)
    assert b.archive == "tar" and b.compressed_estimated
    assert {d.name for d in b.debug} == {"tinyproj-1.0.0/prebuilt/libdebug.so",
                                         "tinyproj-1.0.0/prebuilt/copy-of-libdebug.so"}
    assert [set(d.members) for d in b.duplicates] == [{
        "tinyproj-1.0.0/prebuilt/libdebug.so", "tinyproj-1.0.0/prebuilt/copy-of-libdebug.so"}]
    assert b.complete


def test_size_command_shows_the_debug_library_of_a_wheel(
        tmp_path: Path, elf_libs: dict[str, bytes],
        capsys: pytest.CaptureFixture[str]) -> None:
    wheel = make_wheel(tmp_path, files={"tinyproj/_core.so": elf_libs["debug"]},
                       tag="cp312-cp312-manylinux_2_17_x86_64")
    assert main(["size", "--offline", "--format", "json", str(wheel)]) == 0
    out = json.loads(capsys.readouterr().out)
    (entry,) = out["files"]
    assert [d["member"] for d in entry["breakdown"]["debug_info"]] == ["tinyproj/_core.so"]
    assert entry["breakdown"]["debug_info"][0]["strippable_bytes"] > 0
    assert entry["status"] == "ok" and entry["assessment"] is None


# -- models, runtimes, duplicates, tests, .pyc ----------------------------------------------


def _fixture_wheel(tmp_path: Path) -> Path:
    """A wheel of every kind, stored, with sizes that make the order obvious."""
    return make_wheel(tmp_path, compression=zipfile.ZIP_STORED, files={
        "tinyproj/__init__.py": b"",
        "tinyproj/models/model.pt": b"\x80\x02" + b"\0" * 400_000,
        "tinyproj/models/weights.bin": b"GGUF" + b"\1" * 300_000,
        "tinyproj/models/opaque.bin": b"\2" * 5000,
        "tinyproj/jre/lib/modules": b"\3" * 200_000,
        "tinyproj/data/a.dat": b"\4" * 150_000,
        "tinyproj/data/copy/a.dat": b"\4" * 150_000,
        "tinyproj/data/not-a-copy.dat": b"\5" * 150_000,
        "tinyproj/tests/data/blob.dat": b"\6" * 100_000,
        "tinyproj/__pycache__/core.cpython-312.pyc": b"\7" * 20_000,
    })


def test_every_group_has_its_bytes_saving_and_fix(tmp_path: Path) -> None:
    b = _breakdown(_fixture_wheel(tmp_path))
    kinds = [g.kind for g in b.groups]
    assert kinds[:2] == ["model-weights", "other"]
    models = b.group("model-weights")
    assert models is not None and models.members == 2
    assert models.largest == ("tinyproj/models/model.pt", "tinyproj/models/weights.bin")
    assert models.saving == models.compressed and "first use" in models.fix
    runtime = b.group("embedded-runtime")
    assert runtime is not None and runtime.detail == "a Java runtime"
    assert b.group("tests").saving == b.group("tests").compressed  # type: ignore[union-attr]
    assert b.group("bytecode") is not None
    assert b.group("other").saving is None  # type: ignore[union-attr]
    # Duplicates by digest: the same-size member with other bytes is not one.
    (dup,) = b.duplicates
    assert dup.members == ("tinyproj/data/a.dat", "tinyproj/data/copy/a.dat")
    assert dup.saving == 150_000  # stored: one copy's bytes
    # Cheap fixes: tests + .pyc + one copy; all fixes also remove models and the runtime.
    assert b.easy_saving == 100_000 + 20_000 + 150_000
    assert b.full_saving == b.easy_saving + models.compressed + runtime.compressed


def test_contributors_and_best_fix(tmp_path: Path) -> None:
    b = _breakdown(_fixture_wheel(tmp_path))
    top = b.contributors(3)
    assert [c.kind for c in top] == ["model-weights", "other", "embedded-runtime"]
    assert top[0].example == "tinyproj/models/model.pt"
    best = b.best_fix()
    assert best is not None and best.kind == "model-weights"


def test_each_member_is_read_at_most_once_and_only_if_needed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _fixture_wheel(tmp_path)
    reader = ArchiveReader(path, "zip")
    opened: list[str] = []
    original = reader.iter_streams

    def counting(predicate):  # type: ignore[no-untyped-def]
        for member, stream in original(predicate):
            opened.append(member.name)
            yield member, stream

    monkeypatch.setattr(reader, "iter_streams", counting)
    analyze(reader, path.name, path.stat().st_size)
    assert len(opened) == len(set(opened))
    # Python sources and weights known by name need no reading; .bin and same-size
    # members (possible duplicates) do.
    assert "tinyproj/__init__.py" not in opened
    assert "tinyproj/models/model.pt" not in opened
    assert {"tinyproj/models/weights.bin", "tinyproj/data/a.dat",
            "tinyproj/data/not-a-copy.dat"} <= set(opened)


def test_a_budget_stops_reading_and_says_so(tmp_path: Path) -> None:
    b = _breakdown(_fixture_wheel(tmp_path), budget=1)
    assert not b.complete
    assert any("stopped reading" in note for note in b.notes)


def test_a_member_larger_than_the_budget_left_is_only_sniffed(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, compression=zipfile.ZIP_STORED, files={
        "tinyproj/a.dat": b"\1" * 300_000, "tinyproj/b.dat": b"\1" * 300_000})
    b = _breakdown(path, budget=200_000)
    assert b.duplicates == () and not b.complete
    assert any("tinyproj/a.dat" in note and "budget" in note for note in b.notes)


def test_breakdown_is_computed_once_per_artifact(tmp_path: Path) -> None:
    artifact = Artifact(_fixture_wheel(tmp_path))
    assert breakdown_of(artifact) is breakdown_of(artifact)


# -- the big wheel: check and size ----------------------------------------------------------


@pytest.fixture(scope="module")
def big_wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 150 MiB wheel (stored members, so it is quick to write and read)."""
    directory = tmp_path_factory.mktemp("big")
    yield make_wheel(directory, "bigproj", compression=zipfile.ZIP_STORED,
                     tag="cp312-cp312-manylinux_2_17_x86_64", files={
                         "bigproj/__init__.py": b"",
                         "bigproj/models/model.safetensors": b"\0" * (70 * MiB),
                         "bigproj/data/a.dat": b"\1" * (20 * MiB),
                         "bigproj/data/b.dat": b"\1" * (20 * MiB),
                         "bigproj/tests/data/blob.dat": b"\2" * (25 * MiB),
                         "bigproj/libs/libstuff.so": b"\3" * (15 * MiB),
                     })


def test_check_names_the_three_biggest_contributors_and_a_fix(big_wheel: Path) -> None:
    report = run([big_wheel], select=["size"])
    found = finding(report, "file-too-large")
    assert found.message.endswith(
        "Biggest contributors: model weights 70 MiB (1 member, e.g. "
        "bigproj/models/model.safetensors); other files 40 MiB (6 members, e.g. "
        "bigproj/data/a.dat); tests and test data 25 MiB (1 member, e.g. "
        "bigproj/tests/data/blob.dat).")
    assert found.hint is not None
    assert found.hint.startswith("Biggest saving, model weights (70 MiB): Download")
    assert "limit-request" in found.hint


def test_size_command_on_a_big_wheel_is_quick(
        big_wheel: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    assert main(["size", "--offline", str(big_wheel)]) == 0
    elapsed = time.perf_counter() - start
    out = capsys.readouterr().out
    assert "over the 100 MiB per-file limit" in out
    assert "2 copies of 20 MiB: bigproj/data/a.dat, bigproj/data/b.dat" in out
    assert "guideline check (per-file request)" in out
    assert elapsed < 30, f"size took {elapsed:.1f} s on a 150 MiB wheel"


def test_files_far_from_the_limit_are_not_broken_down(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise AssertionError("breakdown computed for a small file")

    monkeypatch.setattr(size_breakdown, "analyze", fail)
    report = run([make_wheel(tmp_path)])
    assert "file-too-large" not in rules(report)


def test_a_failing_breakdown_never_hides_the_refusal(
        big_wheel: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(size_breakdown, "analyze", crash)
    report = run([big_wheel], select=["size"])
    found = finding(report, "file-too-large")
    assert "Biggest contributors" not in found.message
    assert rules(report) == ["file-too-large"]


# -- the size command ------------------------------------------------------------------------


def test_size_json_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    wheel = _fixture_wheel(tmp_path)
    assert main(["size", "--offline", "--format", "json", "--top", "3", str(wheel)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema"] == 1 and out["command"] == "size"
    assert out["limits"] == {"file": 100 * MiB, "project": 10 * 1024 * MiB}
    (entry,) = out["files"]
    assert set(entry) >= {"filename", "size", "limit", "status", "share_of_limit",
                          "breakdown", "assessment", "error"}
    b = entry["breakdown"]
    assert set(b) == {"archive", "members", "uncompressed", "compressed_estimated",
                      "complete", "notes", "groups", "debug_info", "duplicates",
                      "largest_members", "savings"}
    assert len(b["largest_members"]) == 3
    assert set(b["groups"][0]) == {"kind", "label", "members", "compressed", "uncompressed",
                                   "saving", "fix", "largest", "detail"}
    assert out["projects"][0]["cadence"]["known"] is False


def test_size_writes_output_and_reports_an_unreadable_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "tinyproj-1.0.0-py3-none-any.whl"
    broken.write_bytes(b"not a zip at all")
    target = tmp_path / "out" / "size.txt"
    assert main(["size", "--offline", "--output", str(target), str(broken)]) == 0
    assert "cannot read the archive" in capsys.readouterr().out
    assert "cannot read the archive" in target.read_text()


def test_size_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["size", "--offline", str(tmp_path / "missing.whl")]) == 2
    assert "error" in capsys.readouterr().err
    assert main(["size", "--offline", "--upload-limit", "2 GiB",
                 str(_fixture_wheel(tmp_path))]) == 2


def test_tar_breakdown_without_compressed_sizes(tmp_path: Path) -> None:
    path = tmp_path / "tinyproj-1.0.0.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        for name, data in (("tinyproj-1.0.0/PKG-INFO", b"Metadata-Version: 2.4\n"),
                           ("tinyproj-1.0.0/tests/big.dat", b"\0" * 100_000)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    b = _breakdown(path)
    tests = b.group("tests")
    assert tests is not None and tests.size == 100_000
    assert 0 < tests.compressed <= path.stat().st_size
