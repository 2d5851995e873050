"""Measure the secret scan's throughput and memory.

    python benchmarks/throughput.py [--mib 320] [--dir /tmp/secrets-bench] [--corpus DIR]

1. the in-memory scanner (:class:`StreamScan`) on text, on dense near-misses and on random
   binary data;
2. :func:`scan_artifact` end to end on a wheel of deflated text members, a wheel of stored
   binary members, and a .tar.gz sdist, each holding ``--mib`` MiB of member content, and
   (``--corpus``) a wheel of the first ``--mib`` MiB of real files under a directory, e.g.
   a Python installation's ``lib/python3.X``;
3. the peak of Python allocations (tracemalloc) during an end-to-end scan, and the
   process's maximum resident set size.

The text holds near-miss candidates (ASIA, "PRIVATE KEY" in prose, ghp_ in identifiers),
a few per 100 KiB, so the regexes' candidate paths run; the "dense" block has one in
every few words, a worst case for real files.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import tarfile
import time
import tracemalloc
import zipfile
from pathlib import Path

from preupload_guard_secrets.config import SecretsConfig
from preupload_guard_secrets.scan import CHUNK, scan_artifact
from preupload_guard_secrets.stream import StreamScan

from preupload_guard.read.artifact import Artifact

MiB = 1024 * 1024
MEMBER = 16 * MiB


WORDS = ["def", "return", "self", "value", "import", "class", "for", "in", "if", "else",
         "Pacific", "token", "None", "True", "data", "=", "(", ")", ":", "'text'", "github",
         "Access", "KEY", "secret", "pypi", "-----", "AKA", "gh", "ASCII"]
NEAR_MISSES = ["ASIA", "ghp_config", "PRIVATE KEY handling", "pypi-AgE", "AKIAxyz",
               "secret_access_key = None", "-----BEGIN CERTIFICATE-----", "github_pat_x"]


def text_block(seed: int = 0, near_miss_every: int = 2000) -> bytes:
    """1 MiB of source-like text; a near-miss candidate one word in ``near_miss_every``."""
    rng = random.Random(seed)
    out = io.StringIO()
    while out.tell() < MiB:
        out.write("    " * rng.randrange(4))
        line = [rng.choice(NEAR_MISSES) if rng.randrange(near_miss_every) == 0
                else rng.choice(WORDS) for _ in range(rng.randrange(3, 14))]
        out.write(" ".join(line))
        out.write("\n")
    return out.getvalue().encode()[:MiB]


def binary_block(seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(MiB)


def member_data(block: bytes, size: int) -> bytes:
    return (block * (size // len(block) + 1))[:size]


def bench_stream(label: str, block: bytes, mib: int) -> None:
    scan = StreamScan()
    started = time.perf_counter()
    for _ in range(mib):
        scan.feed(block)
    scan.close()
    elapsed = time.perf_counter() - started
    print(f"  StreamScan {label:<22} {mib / elapsed:8.0f} MiB/s   ({mib} MiB in "
          f"{elapsed:.2f} s)")


def build_zip(path: Path, block: bytes, mib: int, compression: int) -> None:
    with zipfile.ZipFile(path, "w", compression=compression, compresslevel=1) as zf:
        for index in range(max(1, mib * MiB // MEMBER)):
            zf.writestr(f"pkg/data{index:03}.bin", member_data(block, MEMBER))


def build_corpus(path: Path, corpus: Path, mib: int) -> None:
    """A wheel of real files (deflated), as many as fit in ``mib`` MiB."""
    budget = mib * MiB
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for file in sorted(corpus.rglob("*")):
            if budget <= 0:
                break
            if file.is_file() and not file.is_symlink():
                data = file.read_bytes()
                zf.writestr(str(file.relative_to(corpus)), data)
                budget -= len(data)


def build_tar(path: Path, block: bytes, mib: int) -> None:
    with tarfile.open(path, "w:gz", compresslevel=1) as tf:
        for index in range(max(1, mib * MiB // MEMBER)):
            data = member_data(block, MEMBER)
            info = tarfile.TarInfo(f"pkg-1.0/data{index:03}.bin")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))


def bench_artifact(label: str, path: Path, config: SecretsConfig) -> None:
    artifact = Artifact(path)
    total = sum(m.size for m in artifact.members if m.is_file)
    started = time.perf_counter()
    findings = scan_artifact(artifact, config)
    elapsed = time.perf_counter() - started
    print(f"  scan_artifact {label:<19} {total / MiB / elapsed:8.0f} MiB/s   "
          f"({total / MiB:.0f} MiB in {elapsed:.2f} s, file {path.stat().st_size / MiB:.0f} "
          f"MiB, {len(findings)} findings)")


def bench_memory(path: Path, config: SecretsConfig) -> None:
    artifact = Artifact(path)
    assert artifact.members  # list the archive outside the measurement
    tracemalloc.start()
    scan_artifact(artifact, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"  tracemalloc peak during scan_artifact({path.name}): {peak / MiB:.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=320, help="MiB of member content per file")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/secrets-bench"))
    parser.add_argument("--corpus", type=Path, help="a directory of real files to scan")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    text, binary = text_block(), binary_block()
    config = SecretsConfig(max_total_size=64 * 1024 * MiB, time_limit=3600)

    print("in memory:")
    bench_stream("text", text, min(args.mib, 256))
    bench_stream("dense near-misses", text_block(near_miss_every=4), min(args.mib, 64))
    bench_stream("random binary", binary, min(args.mib, 256))

    print(f"end to end ({args.mib} MiB of members per file, {CHUNK // MiB} MiB reads):")
    files = {
        "deflated text .whl": (args.dir / "text-1.0-py3-none-any.whl",
                               lambda p: build_zip(p, text, args.mib, zipfile.ZIP_DEFLATED)),
        "stored binary .whl": (args.dir / "bin-1.0-py3-none-any.whl",
                               lambda p: build_zip(p, binary, args.mib, zipfile.ZIP_STORED)),
        "text .tar.gz sdist": (args.dir / "pkg-1.0.tar.gz",
                               lambda p: build_tar(p, text, args.mib)),
    }
    if args.corpus:
        files["real files .whl"] = (args.dir / "corpus-1.0-py3-none-any.whl",
                                     lambda p: build_corpus(p, args.corpus, args.mib))
    for label, (path, build) in files.items():
        if not path.exists():
            build(path)
        bench_artifact(label, path, config)

    print("memory:")
    bench_memory(files["deflated text .whl"][0], config)
    bench_memory(files["text .tar.gz sdist"][0], config)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"  max RSS of this process: {rss / 1024:.0f} MiB (includes test data generation)")
    print(f"  (python {os.sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
