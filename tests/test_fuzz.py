"""Mutation fuzzing of real wheels and sdists (issue 13, part 1).

Why: the tool reads untrusted archives; no input may make it raise, only report. Inputs are
real distributions built here, mutated (byte flips, truncation, duplicated ranges, spliced
central directories), and fed through the public entry point ``preupload_guard.check``:
any exception but ``ConfigError`` is a bug. A few subprocess runs check the CLI contract
(exit 0/1 with JSON, or exit 2 with one stderr line, never a traceback).

Quick profile (default, deterministic, database-less): PREUPLOAD_GUARD_FUZZ_EXAMPLES cases
per test (default 60). Long profile: ``pytest tests/test_fuzz.py -m fuzz`` runs 10**5.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import preupload_guard
from preupload_guard import ConfigError
from preupload_guard.testing.dists import make_sdist, make_wheel

QUICK = int(os.environ.get("PREUPLOAD_GUARD_FUZZ_EXAMPLES", "60"))
LONG = 100_000


def _settings(examples: int) -> settings:
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    d = tmp_path_factory.mktemp("seeds")
    files = {"tinyproj/__init__.py": b"print('hi')\n" * 20}
    wheel = make_wheel(d, files=files)
    gz = make_sdist(d, files=files)
    return {"whl": Path(wheel).read_bytes(), "gz": Path(gz).read_bytes()}


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "dup", "splice_cd", "zero"]))
        n = len(buf)
        if n == 0:
            break
        at = draw(st.integers(0, n - 1))
        if kind == "flip":
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif kind == "truncate":
            del buf[at:]
        elif kind == "dup":
            length = draw(st.integers(1, min(512, n - at)))
            buf[at:at] = buf[at:at + length]
        elif kind == "zero":
            length = draw(st.integers(1, min(64, n - at)))
            buf[at:at + length] = bytes(length)
        else:  # splice: a copy of the central directory (or the tail) pasted somewhere else
            cd = buf.rfind(b"PK\x01\x02")
            tail = bytes(buf[cd:] if cd >= 0 else buf[-256:])
            buf[at:at] = tail
    return bytes(buf)


def _check_in_process(path: Path) -> None:
    try:
        report = preupload_guard.check([path], offline=True)
    except ConfigError:
        return
    assert report.files or report.findings or report.skipped


def _run(tmp: Path, suffix: str, data: bytes) -> None:
    name = "tinyproj-1.0.0-py3-none-any.whl" if suffix == "whl" else "tinyproj-1.0.0.tar.gz"
    path = tmp / name
    path.write_bytes(data)
    _check_in_process(path)


@pytest.mark.parametrize("kind", ["whl", "gz"])
def test_mutations_never_raise(kind: str, seeds: dict[str, bytes], tmp_path: Path) -> None:
    @_settings(QUICK)
    @given(mutated(seeds[kind]))
    def one(data: bytes) -> None:
        _run(tmp_path, kind, data)

    one()


@pytest.mark.fuzz
@pytest.mark.parametrize("kind", ["whl", "gz"])
def test_mutations_never_raise_long(kind: str, seeds: dict[str, bytes], tmp_path: Path,
                                    request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.getoption("-m") or ""):
        pytest.skip("long fuzz profile; run with `-m fuzz`")
    @_settings(LONG)
    @given(mutated(seeds[kind]))
    def one(data: bytes) -> None:
        _run(tmp_path, kind, data)

    one()


def _zip_local_header(draw: st.DrawFn) -> bytes:
    import struct
    name = draw(st.binary(min_size=0, max_size=40))
    return b"PK\x03\x04" + struct.pack(
        "<HHHHHIIIHH", draw(st.integers(0, 0xFFFF)), draw(st.integers(0, 0xFFFF)),
        draw(st.sampled_from([0, 8, 12, 14, 99, 0xFFFF])), 0, 0,
        draw(st.integers(0, 2**32 - 1)),
        draw(st.integers(0, 2**32 - 1)), draw(st.integers(0, 2**32 - 1)), len(name), 0) + name


@st.composite
def zip_like(draw: st.DrawFn, seed: bytes) -> bytes:
    """Structure-aware: the seed's central directory behind crafted local headers."""
    cd = seed.rfind(b"PK\x01\x02")
    head = b"".join(_zip_local_header(draw) for _ in range(draw(st.integers(0, 3))))
    return head + seed[max(cd, 0):]


@st.composite
def tar_like(draw: st.DrawFn) -> bytes:
    """Structure-aware: ustar headers with arbitrary size, type and checksum fields, gzipped."""
    import gzip
    blocks = []
    for _ in range(draw(st.integers(1, 3))):
        h = bytearray(512)
        name = draw(st.binary(min_size=1, max_size=99))
        h[0:len(name)] = name
        h[100:108] = b"0000644\0"
        h[124:136] = draw(st.sampled_from([
            b"00000000000\0", b"77777777777\0", b"\x80" + bytes(10) + b"\x10",
            b"999999999999", b"00000001000\0"]))
        h[156:157] = draw(st.sampled_from(
            [b"0", b"1", b"2", b"3", b"4", b"5", b"x", b"g", b"L", b"K"]))
        h[257:263] = b"ustar\0"
        h[148:156] = b" " * 8
        chk = sum(h) if draw(st.booleans()) else draw(st.integers(0, 99999))
        h[148:156] = b"%06o\0 " % (chk & 0o777777)
        blocks.append(bytes(h) + draw(st.binary(max_size=600)))
    return gzip.compress(b"".join(blocks) + bytes(1024 * draw(st.integers(0, 1))), mtime=0)


def test_structured_zip_headers(seeds: dict[str, bytes], tmp_path: Path) -> None:
    @_settings(QUICK)
    @given(zip_like(seeds["whl"]))
    def one(data: bytes) -> None:
        _run(tmp_path, "whl", data)

    one()


def test_structured_tar_headers(tmp_path: Path) -> None:
    @_settings(QUICK)
    @given(tar_like())
    def one(data: bytes) -> None:
        _run(tmp_path, "gz", data)

    one()


def cli_outcome(path: Path, timeout: float = 60) -> tuple[int, str, str]:
    argv = [sys.executable, "-m", "preupload_guard", "check", "--offline", "--format", "json",
            str(path)]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in proc.stderr, proc.stderr
    if proc.returncode in (0, 1):
        json.loads(proc.stdout)
    else:
        assert proc.returncode == 2, (proc.returncode, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


@pytest.mark.parametrize("cut", [0, 30, 200, -22, -1])
@pytest.mark.parametrize("kind", ["whl", "gz"])
def test_cli_contract_on_broken_files(kind: str, cut: int, seeds: dict[str, bytes],
                                      tmp_path: Path) -> None:
    data = seeds[kind][:cut] if cut else b""
    name = "tinyproj-1.0.0-py3-none-any.whl" if kind == "whl" else "tinyproj-1.0.0.tar.gz"
    (tmp_path / name).write_bytes(data)
    cli_outcome(tmp_path / name)
