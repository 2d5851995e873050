"""What `preupload-guard upload` costs on top of `twine upload`, against a local pypiserver.

For each of ``--repeat`` rounds, with a fresh, empty pypiserver (in-process, on 127.0.0.1):

* ``twine upload`` of the example distributions, as a subprocess;
* ``preupload-guard upload`` of the same files to another fresh server (check + twine);
* ``preupload-guard upload`` again to that server: every file is already there, so the run
  ends after the check without starting twine.

Prints the best time of each. Usage: ``python benchmarks/bench_upload.py [--repeat 5]
[--dist examples/dist]``. Needs pypiserver (the test extras).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from upload_server import UploadServer  # noqa: E402


def timed(command: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{command[:3]} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dist", default=str(HERE.parent / "examples" / "dist"))
    options = parser.parse_args()
    files = sorted(str(p) for p in Path(options.dist).iterdir() if p.is_file())
    bindir = Path(sys.executable).parent
    twine = [str(bindir / "twine"), "upload"]
    guard = [str(bindir / "preupload-guard"), "upload"]
    best = {"twine upload": float("inf"), "preupload-guard upload": float("inf"),
            "preupload-guard upload (all identical)": float("inf")}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        env = {**os.environ, "HOME": str(root), "TWINE_NON_INTERACTIVE": "1",
               "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
               "PREUPLOAD_GUARD_CACHE_DIR": str(root / "cache"),
               "TWINE_USERNAME": "bench", "TWINE_PASSWORD": "bench", "PYTHONWARNINGS": "ignore"}
        for round_ in range(options.repeat):
            for name in ("a", "b"):
                shutil.rmtree(root / name, ignore_errors=True)
            with UploadServer(root / "a") as plain, UploadServer(root / "b") as guarded:
                best["twine upload"] = min(best["twine upload"], timed(
                    [*twine, "--repository-url", plain.url, "--disable-progress-bar", *files],
                    env))
                common = ["--repository-url", guarded.url, "--disable-progress-bar",
                          "--guard-history", str(root / f"ledger-{round_}"), *files]
                best["preupload-guard upload"] = min(best["preupload-guard upload"],
                                                     timed([*guard, *common], env))
                best["preupload-guard upload (all identical)"] = min(
                    best["preupload-guard upload (all identical)"], timed([*guard, *common], env))
    print(f"{len(files)} files, best of {options.repeat}:")
    for label, seconds in best.items():
        print(f"  {label:40s} {seconds * 1000:7.0f} ms")
    print(f"  overhead of the guard before twine      "
          f"{(best['preupload-guard upload'] - best['twine upload']) * 1000:7.0f} ms")


if __name__ == "__main__":
    main()
