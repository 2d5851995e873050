"""Bombs and hostile archives under a memory cap (issue 13, part 2).

Why: every hostile file must end in bounded time and memory with the right finding, never a
crash. Each case runs ``preupload-guard check --offline --format json`` in a child process with
RLIMIT_AS = 2 GiB; its own peak RSS (``run_measured``, which does not count the pytest
worker's own memory the way a bare ``os.wait4`` would) must stay <= 300 MB and the wall clock
<= 60 s (most take < 5 s). Files are generated cheaply: repeated deflate/gzip blocks of zeros,
crafted headers, never anything extracted to disk.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest

from preupload_guard.testing.dists import make_sdist, make_wheel
from preupload_guard.testing.measure import run_measured

RSS_BOUND = 300 * 1024 * 1024
WALL_BOUND = 60.0
ADDRESS_SPACE = 2 * 1024**3


def run_capped(path: Path, label: str) -> tuple[int, list[str], str]:
    """Run the CLI on ``path`` under the caps; return exit code, rules and stderr."""
    argv = [sys.executable, "-m", "preupload_guard", "check", "--offline", "--format", "json",
            str(path)]
    out_path, err_path = path.with_suffix(".out"), path.with_suffix(".err")
    with out_path.open("wb") as out, err_path.open("wb") as err:
        try:
            run = run_measured(argv, stdout=out, stderr=err, address_space=ADDRESS_SPACE,
                               timeout=WALL_BOUND)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{label}: more than {WALL_BOUND} s")
    code, elapsed, rss = run.returncode, run.seconds, run.peak_rss
    stderr = err_path.read_text("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    rules: list[str] = []
    if code in (0, 1):
        rules = sorted({f["rule"] for f in json.loads(out_path.read_bytes())["findings"]})
    else:
        assert code == 2 and len(stderr.strip().splitlines()) == 1, stderr
    print(f"\n{label}: {elapsed:.2f}s rss={rss / 2**20:.0f}MiB exit={code} {rules}")
    assert elapsed <= WALL_BOUND
    assert rss <= RSS_BOUND, f"{label}: peak RSS {rss / 2**20:.0f} MiB"
    return code, rules, stderr


def _full(request: pytest.FixtureRequest) -> None:
    if "fuzz" not in (request.config.getoption("-m") or ""):
        pytest.skip("full-size bomb (10-20 s); run with `-m fuzz`")


WHEEL = "tinyproj-1.0.0-py3-none-any.whl"
SDIST = "tinyproj-1.0.0.tar.gz"


def _zeros_deflate(total: int, chunk: int = 1 << 20) -> bytes:
    """A raw deflate stream of ``total`` zero bytes, built from one repeated full-flush block."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp.compress(bytes(chunk))
    comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(bytes(chunk)) + comp.flush(zlib.Z_FULL_FLUSH)
    assert total % chunk == 0
    return block * (total // chunk) + b"\x03\x00"


def zip_zeros_member(path: Path, total: int) -> Path:
    """A wheel whose one member inflates to ``total`` zeros (zip64 sizes, CRC of the zeros)."""
    data = _zeros_deflate(total)
    crc = 0
    zero = bytes(1 << 20)
    for _ in range(total >> 20):
        crc = zlib.crc32(zero, crc)
    name = b"tinyproj/zeros.bin"
    extra = struct.pack("<HHQQ", 1, 16, total, len(data))
    local = struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 45, 0, 8, 0, 0, crc,
                        0xFFFFFFFF, 0xFFFFFFFF, len(name), len(extra)) + name + extra
    cextra = struct.pack("<HHQQ", 1, 16, total, len(data))
    central = struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 45, 45, 0, 8, 0, 0, crc,
                          0xFFFFFFFF, 0xFFFFFFFF, len(name), len(cextra), 0, 0, 0, 0, 0)
    central += name + cextra
    cd_offset = len(local) + len(data)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, 1, 1, len(central), cd_offset, 0)
    path.write_bytes(local + data + central + end)
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bombs")


def test_zip_member_of_4_gib_zeros(bombs: Path) -> None:
    path = zip_zeros_member(bombs / WHEEL, 4 * 1024**3)
    code, rules, _ = run_capped(path, "zip 4 GiB zeros member")
    assert code == 1 and "compression-bomb" in rules


@pytest.mark.fuzz
def test_zip_of_200k_members(bombs: Path, request: pytest.FixtureRequest) -> None:
    _full(request)
    path = bombs / "many" / WHEEL
    path.parent.mkdir()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for i in range(200_000):
            zf.writestr(f"tinyproj/m{i}", b"")
    code, rules, _ = run_capped(path, "zip 200k members")
    # No METADATA among them: the wheel is refused for that, the members all listed.
    assert code == 1 and "wheel-missing-file" in rules


def test_overlapping_zip_entries(bombs: Path) -> None:
    """Two central-directory entries pointing at the same local header (the zip-bomb trick)."""
    (bombs / "ov").mkdir()
    src = Path(make_wheel(bombs / "ov"))
    data = src.read_bytes()
    cd = data.rfind(b"PK\x01\x02")
    eocd = data.rfind(b"PK\x05\x06")
    first = data.find(b"PK\x01\x02")
    entry_end = data.find(b"PK\x01\x02", first + 4)
    entry = data[first:entry_end if entry_end > 0 else eocd]
    new_cd = data[first:eocd] + entry
    count = struct.unpack_from("<H", data, eocd + 10)[0] + 1
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(new_cd), first, 0)
    assert cd >= first
    path = bombs / "ov2" / WHEEL
    path.parent.mkdir()
    path.write_bytes(data[:first] + new_cd + end)
    code, rules, _ = run_capped(path, "overlapping zip entries")
    assert code == 1 and rules


def _tar_gz_of_zeros(path: Path, size: int, chunk: int = 4 << 20) -> Path:
    """A .tar.gz whose one member is ``size`` zeros: gzip members of one precompressed chunk."""
    info = tarfile.TarInfo("tinyproj-1.0.0/zeros.bin")
    info.size = size
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    member = gzip.compress(bytes(chunk), compresslevel=9, mtime=0)
    with path.open("wb") as fh:
        fh.write(gzip.compress(header, mtime=0))
        for _ in range(size // chunk):
            fh.write(member)
        fh.write(gzip.compress(bytes(1024), mtime=0))
    return path


def test_tar_gz_inflating_to_5_gb(bombs: Path) -> None:
    path = _tar_gz_of_zeros(bombs / SDIST, 5 * 10**9 // (4 << 20) * (4 << 20))
    code, rules, _ = run_capped(path, "tar.gz inflating to 5 GB")
    # PyPI inflates sdists whole and does not refuse bombs; the reader stops at its
    # inflation bound and warns that the rest was not checked (a warning: exit 0).
    assert (code, rules) == (0, ["invalid-archive"])


def test_tar_header_claiming_100_gb(bombs: Path) -> None:
    info = tarfile.TarInfo("tinyproj-1.0.0/huge.bin")
    info.size = 100 * 10**9
    path = bombs / "h" / SDIST
    path.parent.mkdir()
    path.write_bytes(gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT) + bytes(4096), mtime=0))
    code, rules, _ = run_capped(path, "tar header claiming 100 GB")
    assert code == 1 and "invalid-archive" in rules


@pytest.mark.fuzz
def test_million_empty_tar_members(bombs: Path, request: pytest.FixtureRequest) -> None:
    _full(request)
    path = bombs / "m" / SDIST
    path.parent.mkdir()
    buf = io.BytesIO()
    comp = zlib.compressobj(6, zlib.DEFLATED, 31)
    with path.open("wb") as fh:
        for i in range(1_000_000):
            info = tarfile.TarInfo(f"tinyproj-1.0.0/e{i}")
            buf.write(info.tobuf(format=tarfile.USTAR_FORMAT))
            if buf.tell() > 1 << 20:
                fh.write(comp.compress(buf.getvalue()))
                buf = io.BytesIO()
        fh.write(comp.compress(buf.getvalue() + bytes(1024)) + comp.flush())
    _, rules, _ = run_capped(path, "10**6 empty tar members")
    # More members than the reader's MAX_MEMBERS: reported as not checkable (a warning).
    assert "invalid-archive" in rules


def test_thousand_gzip_members(bombs: Path) -> None:
    (bombs / "g").mkdir()
    src = Path(make_sdist(bombs / "g"))
    raw = gzip.decompress(src.read_bytes())
    step = max(1, len(raw) // 1000)
    path = bombs / "g2" / SDIST
    path.parent.mkdir()
    path.write_bytes(b"".join(gzip.compress(raw[i:i + step], mtime=0)
                              for i in range(0, len(raw), step)))
    code, rules, _ = run_capped(path, "1000 concatenated gzip members")
    # A valid gzip file (PyPI's tarfile reads every member): nothing to report.
    assert code == 0 and rules == []


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_hostile_tar_members(kind: str, bombs: Path) -> None:
    (bombs / f"t-{kind}").mkdir()
    src = Path(make_sdist(bombs / f"t-{kind}"))
    path = bombs / f"t2-{kind}" / SDIST
    path.parent.mkdir()
    with tarfile.open(src) as old, tarfile.open(path, "w:gz") as new:
        for m in old.getmembers():
            new.addfile(m, old.extractfile(m) if m.isfile() else None)
        info = tarfile.TarInfo({"dotdot": "tinyproj-1.0.0/../../evil",
                                "absolute": "/etc/evil"}.get(kind, "tinyproj-1.0.0/link"))
        if kind == "symlink":
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
        elif kind == "hardlink":
            info.type, info.linkname = tarfile.LNKTYPE, "../../etc/passwd"
        elif kind == "device":
            info.type, info.devmajor, info.devminor = tarfile.CHRTYPE, 1, 3
        new.addfile(info, io.BytesIO(b"") if info.isfile() else None)
    code, rules, _ = run_capped(path, f"tar member: {kind}")
    # PyPI lists such members without complaint; an absolute path breaks the single top
    # directory PyPI looks for PKG-INFO in. Nothing is ever written anywhere.
    assert (code, rules) == ((1, ["invalid-metadata", "sdist-layout"]) if kind == "absolute"
                             else (0, []))
    assert not (Path("/etc/evil").exists() or (bombs / "evil").exists())


def _metadata(extra: str) -> str:
    return f"Metadata-Version: 2.1\nName: tinyproj\nVersion: 1.0.0\n{extra}"


@pytest.mark.parametrize("case", ["long-line", "many-headers", "non-utf8", "rst"])
def test_hostile_metadata(case: str, bombs: Path) -> None:
    d = bombs / f"md-{case}"
    d.mkdir()
    if case == "long-line":
        wheel = make_wheel(d, metadata=_metadata("Summary: " + "x" * 10_000_000 + "\n"))
    elif case == "many-headers":
        wheel = make_wheel(d, metadata=_metadata("".join(f"X-H{i}: v\n" for i in range(100_000))))
    elif case == "non-utf8":
        wheel = make_wheel(d, metadata=_metadata("Summary: x\n"),
                           extra_dist_info={"METADATA": b"Metadata-Version: 2.1\nName: tinyproj\n"
                                            b"Version: 1.0.0\nSummary: \xff\xfe\n",
                                            "RECORD": b"\xff\xfe,,\n"})
    else:
        body = ("Title\n=====\n\n" + "* " * 2000 + "\n\n" + "`a <b>`__ " * 200_000)[:5_000_000]
        wheel = make_wheel(d, metadata=_metadata(
            "Description-Content-Type: text/x-rst\n\n" + body))
    code, rules, _ = run_capped(Path(wheel), f"metadata: {case}")
    assert code == 1
    assert rules == (["description-render"] if case == "rst" else ["invalid-metadata"])
