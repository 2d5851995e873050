"""Time ``preupload-guard check --offline`` against the read-and-hash floor and twine check.

Builds a release set in a temporary directory (wheels of several platforms and one sdist per
version, with a README and real-looking members), then measures, best of ``--repeat`` runs:

* the floor: reading every file once and hashing it with sha256 (what any checker must pay);
* ``preupload-guard check --offline`` in-process (plugins loaded once, as the CLI does);
* ``twine check`` on the same files, in a subprocess (optional, ``--twine``).

Usage: ``python benchmarks/bench_check.py [--versions 20] [--large-mib 0] [--twine]``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

README = ("Benchmark project\n=================\n\n" + "Some text with *emphasis* and ``code``.\n\n"
          * 200)
PLATFORMS = ["py3-none-any", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64",
             "cp312-cp312-win_amd64", "cp312-cp312-macosx_11_0_arm64",
             "cp313-cp313-musllinux_1_2_aarch64", "cp313-cp313-manylinux_2_28_aarch64"]


def metadata(version: str) -> bytes:
    return (f"Metadata-Version: 2.4\nName: benchproj\nVersion: {version}\n"
            "Summary: a benchmark project\nLicense-Expression: MIT\n"
            "Classifier: Programming Language :: Python :: 3\n"
            "Description-Content-Type: text/x-rst\n\n" + README).encode()


def make_wheel(directory: Path, version: str, tag: str, payload: int) -> Path:
    path = directory / f"benchproj-{version}-{tag}.whl"
    info = f"benchproj-{version}.dist-info"
    members = {f"benchproj/mod{i}.py": (f"x = {i}\n" * 200).encode() for i in range(60)}
    members["benchproj/data.bin"] = (hashlib.sha256(version.encode()).digest() * 32) * (
        payload // 1024 + 1)
    members[f"{info}/METADATA"] = metadata(version)
    members[f"{info}/WHEEL"] = f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode()
    record = "".join(f"{name},,\n" for name in members) + f"{info}/RECORD,,\n"
    members[f"{info}/RECORD"] = record.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def make_sdist(directory: Path, version: str) -> Path:
    path = directory / f"benchproj-{version}.tar.gz"
    top = f"benchproj-{version}"
    members = {"PKG-INFO": metadata(version), "pyproject.toml": b"[project]\nname='benchproj'\n"}
    members.update({f"src/benchproj/mod{i}.py": (f"x = {i}\n" * 200).encode() for i in range(60)})
    with tarfile.open(path, "w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


def best_of(repeat: int, func) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=20)
    parser.add_argument("--large-mib", type=int, default=0,
                        help="also add one wheel with this many MiB of payload")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--twine", action="store_true", help="also time `twine check`")
    args = parser.parse_args()

    from preupload_guard.engine.config import load_settings
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        files = []
        for v in range(args.versions):
            version = f"1.{v}.0"
            files += [make_wheel(directory, version, tag, 64 * 1024) for tag in PLATFORMS]
            files.append(make_sdist(directory, version))
        if args.large_mib:
            files.append(make_wheel(directory, "9.0.0", "py3-none-any", args.large_mib * 2**20))
        total = sum(p.stat().st_size for p in files)
        print(f"{len(files)} files, {total / 2**20:.1f} MiB")

        def floor() -> None:
            for p in files:
                h = hashlib.sha256()
                with p.open("rb", buffering=0) as fh:
                    while chunk := fh.read(1 << 20):
                        h.update(chunk)

        manager = PluginManager(load_entry_points=False)
        settings = load_settings({"paths": [str(directory)], "offline": True,
                                  "progress": False})

        def guard() -> None:
            report = run_checks(settings, manager=manager)
            assert len(report.files) == len(files)

        def ms(seconds: float) -> str:
            return f"{seconds / len(files) * 1000:6.2f}"

        t_floor = best_of(args.repeat, floor)
        t_guard = best_of(args.repeat, guard)
        print(f"read+sha256 floor       : {t_floor:7.3f} s  ({ms(t_floor)} ms/file)")
        print(f"preupload-guard offline : {t_guard:7.3f} s  ({ms(t_guard)} ms/file)")
        if args.twine:
            def twine() -> None:
                subprocess.run([sys.executable, "-m", "twine", "check", *map(str, files)],
                               capture_output=True, check=False)

            t_twine = best_of(1, twine)
            print(f"twine check (subprocess): {t_twine:7.3f} s  ({ms(t_twine)} ms/file)")


if __name__ == "__main__":
    main()
