"""Time preupload-guard on real PyPI files against the read-and-inflate floor and twine check.

Why real files: synthetic archives miss what real releases hold (thousands of members,
native libraries, big READMEs), and the one-pass design is only proven if it holds there.

    python benchmarks/realworld.py --pin          # once: write benchmarks/realworld-files.json
    python benchmarks/realworld.py [--repeat 3] [--quick] [--cache DIR]

The pinned list holds each file's URL, size and sha256; files are downloaded once into a
cache outside the repository (``--cache``, default the user cache ``preupload-guard-bench``)
and verified. Then, in ONE interleaved run (round-robin over the repeats, so machine noise
hits every contender alike):

* (a)  ``preupload-guard check --offline`` on all files (plugins off; the default
       ``--readers auto``, so the passes run in worker processes);
* (a1) the same with ``--readers threads`` (every pass on this process's threads);
* (a+) the same with every installed plugin (secrets, wheel-inspect, ...);
* (b)  ``twine check`` on the same files;
* (c)  the floor: sha256 of every byte plus one full inflate of each sdist, on a thread
       pool as wide as (a)'s (``os.cpu_count()``);
* (c2) the reading PyPI's own rules require, which (c) leaves out: (c) plus, through
       :mod:`zipfile`, the inflate of every wheel member PyPI's scanner reads (``.py`` and
       ``.pye`` of at most 5 MiB). README rendering, also required, is not in it. (a)
       cannot be faster than (c2) on this machine whatever its own overhead, so (a)/(c2)
       says how much of (a) is ours and (c2)/(c) how near 1.5 the target can come.

It prints (a)/(c), (a)/(c2), (a+)/(c) and (b)/(a) with min-max over the repeats, each
child's own peak RSS (through ``run_measured``) and the peak of the summed RSS of all its
processes; then ``--help`` (best of 10) and a new project name checked cold and warm
against a local fixture index holding ~930k names.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from preupload_guard.testing.measure import run_measured

HERE = Path(__file__).parent
PINS = HERE / "realworld-files.json"

#: (project, version): popular projects, recent releases, wheels of every platform.
RELEASES = [
    ("numpy", "2.1.3"), ("pandas", "2.2.3"), ("scipy", "1.14.1"), ("grpcio", "1.68.0"),
    ("cryptography", "44.0.0"), ("pydantic-core", "2.27.1"), ("pillow", "11.0.0"),
    ("lxml", "5.3.0"), ("psutil", "6.1.0"), ("pyyaml", "6.0.2"), ("orjson", "3.10.12"),
    ("regex", "2024.11.6"), ("markupsafe", "3.0.2"), ("charset-normalizer", "3.4.0"),
    ("aiohttp", "3.11.10"), ("msgpack", "1.1.0"), ("ujson", "5.10.0"),
    ("requests", "2.32.3"), ("urllib3", "2.2.3"), ("certifi", "2024.8.30"),
    ("idna", "3.10"), ("packaging", "24.2"), ("setuptools", "75.6.0"), ("pip", "24.3.1"),
    ("rich", "13.9.4"), ("click", "8.1.7"), ("jinja2", "3.1.4"), ("attrs", "24.2.0"),
    ("pydantic", "2.10.3"), ("httpx", "0.28.1"), ("django", "5.1.4"), ("flask", "3.1.0"),
    ("sqlalchemy", "2.0.36"), ("pytest", "8.3.4"), ("black", "24.10.0"),
    ("docutils", "0.21.2"), ("sphinx", "8.1.3"), ("boto3", "1.35.76"),
    ("botocore", "1.35.76"), ("matplotlib", "3.9.3"),
]
#: Wheels kept per release: one per platform family, so the set spans them all.
PLATFORMS = ("manylinux_2_17_x86_64", "manylinux_2_17_aarch64", "musllinux_1_2_x86_64",
             "macosx_10_13_x86_64", "macosx_11_0_arm64", "macosx_10_9_x86_64", "win_amd64",
             "win32", "none-any")


def pin() -> None:
    """Ask PyPI's JSON API once and write the pinned list (url, filename, size, sha256)."""
    files = []
    for project, version in RELEASES:
        try:
            # The project document (the per-version one is not served on every network).
            with urllib.request.urlopen(f"https://pypi.org/pypi/{project}/json",
                                        timeout=60) as resp:
                urls = json.load(resp)["releases"][version]
        except (OSError, KeyError) as exc:
            print(f"skipped {project} {version}: {exc}", file=sys.stderr)
            continue
        picked = [u for u in urls if u["packagetype"] == "sdist"]
        for platform in PLATFORMS:
            wheel = next((u for u in urls if u["packagetype"] == "bdist_wheel"
                          and platform in u["filename"]
                          and ("cp312" in u["filename"] or platform == "none-any")), None)
            if wheel and wheel not in picked:
                picked.append(wheel)
        # Some proxies answer with relative URLs: resolve them against the document's.
        base = f"https://pypi.org/pypi/{project}/json"
        files += [{"url": urllib.parse.urljoin(base, u["url"]), "filename": u["filename"],
                   "size": u["size"],
                   "sha256": u["digests"]["sha256"]} for u in picked]
    PINS.write_text(json.dumps(files, indent=1) + "\n")
    total = sum(f["size"] for f in files)
    sdists = sum(f["filename"].endswith(".tar.gz") for f in files)
    print(f"pinned {len(files)} files ({sdists} sdists), {total / 2**20:.0f} MiB -> {PINS}")


def fetch(cache: Path, quick: bool) -> list[Path]:
    pins = json.loads(PINS.read_text())
    if quick:
        pins = pins[::max(1, len(pins) // 20)][:20]
    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for entry in pins:
        path = cache / entry["filename"]
        if not path.exists() or path.stat().st_size != entry["size"]:
            tmp = path.with_suffix(".part")
            try:
                with urllib.request.urlopen(entry["url"], timeout=60) as resp, \
                        tmp.open("wb") as out:
                    while chunk := resp.read(1 << 20):
                        out.write(chunk)
            except OSError as exc:
                sys.exit(f"cannot download {entry['url']}: {exc}")
            digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
            if digest != entry["sha256"]:
                tmp.unlink()
                sys.exit(f"{entry['filename']}: sha256 {digest} is not the pinned "
                         f"{entry['sha256']}")
            tmp.replace(path)
        paths.append(path)
    return paths


def child(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, int, int]:
    """Wall seconds, the child's own peak RSS (bytes), the peak of the summed RSS of every
    process it started (bytes, sampled) and the exit status of one child run.

    ``run_measured`` starts it from a small launcher: a bare ``os.wait4`` would report at
    least this script's own peak RSS, which exec carries over into the child's figure.
    That figure is one process's; the pass workers and the render child are others, so
    the whole tree is also sampled every 50 ms from /proc (Linux; 0 elsewhere), launcher
    (~10 MiB) included.
    """
    done = threading.Event()
    peak = [0]

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss(os.getpid()))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        run = run_measured(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           env={**os.environ, **(env or {})})
    finally:
        done.set()
        sampler.join()
    return run.seconds, run.peak_rss, peak[0], run.returncode


def _tree_rss(root: int) -> int:
    """The summed resident set (bytes) of ``root``'s descendants, from /proc/PID/stat."""
    if not os.path.isdir("/proc"):
        return 0
    page = os.sysconf("SC_PAGE_SIZE")
    procs: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except OSError:  # it ended meanwhile
            continue
        procs[int(entry)] = (int(fields[1]), int(fields[21]) * page)  # ppid, rss
    total = 0
    for pid, (_, rss) in procs.items():
        parent = procs.get(pid, (0, 0))[0]
        while parent and parent != root:
            parent = procs.get(parent, (0, 0))[0]
        if parent == root:
            total += rss
    return total


def startup(argv: list[str]) -> float:
    """Wall seconds of one direct child run (no launcher), for start-up timing."""
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def floor(paths: list[Path], width: int, *, scanned: bool = False) -> float:
    """(c), or with ``scanned`` (c2): the wheels' scanned members inflated as well."""
    def one(path: Path) -> None:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
        if path.name.endswith(".tar.gz"):
            with gzip.open(path, "rb") as fh:
                while fh.read(1 << 20):
                    pass
        elif scanned and path.name.endswith(".whl"):
            _scanned_members(path)

    start = time.perf_counter()
    with ThreadPoolExecutor(width) as pool:
        list(pool.map(one, paths))
    return time.perf_counter() - start


def _scanned_members(path: Path) -> None:
    """Inflate each member PyPI's scanner reads, as it reads them (zipfile, whole)."""
    from preupload_guard.checks.archives.token_scan import is_scanned_member

    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.is_dir() and is_scanned_member(info.filename, info.file_size):
                with zf.open(info) as fh:
                    while fh.read(1 << 20):
                        pass


def span(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def names_lookup(tmp: Path) -> None:
    """A new name against ~930k names: cold (no cache) and warm (the cached list)."""
    from preupload_guard.testing import FixtureIndex, FixtureProject, IndexScenario, make_wheel

    names = [f"{a}{b}-{i}" for i in range(31_000) for a, b in
             (("py", "lib"), ("django-", "ext"), ("flask-", "kit"), ("aio", "tool"),
              ("data", "set"), ("ml", "ops"), ("cli", "app"), ("web", "api"),
              ("fast", "io"), ("open", "x"), ("super", "fn"), ("my", "pkg"),
              ("auto", "gen"), ("micro", "svc"), ("nano", "db"), ("ultra", "log"),
              ("hyper", "net"), ("meta", "core"), ("omni", "ui"), ("zen", "cfg"),
              ("easy", "cache"), ("smart", "q"), ("quick", "json"), ("tiny", "http"),
              ("mega", "sync"), ("neo", "orm"), ("poly", "type"), ("uni", "path"),
              ("multi", "proc"), ("proto", "buf"))]
    wheel = make_wheel(tmp, name="brand-new-benchmark-name")
    cache = tmp / "names-cache"
    scenario = IndexScenario(projects=[FixtureProject("tinyproj")], extra_names=names)
    with FixtureIndex(scenario) as index:
        argv = ["preupload-guard", "check", str(wheel), "--index-url", index.simple_url,
                "--format", "json", "--history", str(tmp / "ledger")]
        env = {"PREUPLOAD_GUARD_CACHE_DIR": str(cache),
               "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
        cold, cold_rss, _, _ = child(argv, env)
        warm = min(child(argv, env)[0] for _ in range(3))
        from preupload_guard.index.client import Index

        idx = Index(index.simple_url, cache_dir=cache)
        idx.similar_project("warm-up")
        start = time.perf_counter()
        for i in range(20):
            idx.similar_project(f"brand-new-benchmark-name-{i}")
        lookup = (time.perf_counter() - start) / 20
        idx.close()
    print(f"new name vs {len(names):,} names: cold {cold:.2f} s (peak RSS "
          f"{cold_rss / 2**20:.0f} MiB), warm run {warm:.2f} s, warm similar-name lookup "
          f"{lookup * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pin", action="store_true", help="write the pinned file list")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="20 files only")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--no-names", action="store_true", help="skip the name-list run")
    args = parser.parse_args()
    if args.pin:
        pin()
        return
    if args.cache is None:
        import platformdirs

        args.cache = Path(platformdirs.user_cache_dir("preupload-guard-bench"))
    paths = fetch(args.cache, args.quick)
    files = [str(p) for p in paths]
    total = sum(p.stat().st_size for p in paths)
    sdists = sum(p.name.endswith(".tar.gz") for p in paths)
    width = os.cpu_count() or 1
    print(f"{len(paths)} files ({sdists} sdists), {total / 2**20:.0f} MiB, {width} threads")
    check = ["preupload-guard", "check", "--offline", "--format", "json", *files]
    off = {"PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    results: dict[str, list[float]] = {"a": [], "a1": [], "a+": [], "b": [], "c": [], "c2": []}
    rss: dict[str, int] = {"a": 0, "a1": 0, "a+": 0, "b": 0}
    tree: dict[str, int] = {"a": 0, "a1": 0, "a+": 0, "b": 0}
    for _ in range(args.repeat):
        for key in ("c", "c2", "a", "a1", "a+", "b"):
            if key in ("c", "c2"):
                results[key].append(floor(paths, width, scanned=key == "c2"))
                continue
            argv = (["twine", "check", *files] if key == "b"
                    else [*check, "--readers", "threads"] if key == "a1" else check)
            seconds, peak, summed, _ = child(argv, off if key in ("a", "a1") else None)
            results[key].append(seconds)
            rss[key] = max(rss[key], peak)
            tree[key] = max(tree[key], summed)
    a, a1, ap, b, c, c2 = (results[k] for k in ("a", "a1", "a+", "b", "c", "c2"))

    def memory(key: str) -> str:
        return (f"peak RSS {rss[key] / 2**20:.0f} MiB (all its processes "
                f"{tree[key] / 2**20:.0f} MiB)")

    print(f"(c) floor          {span(c)} s")
    c2c = span([x / y for x, y in zip(c2, c, strict=True)])
    print(f"(c2) required read {span(c2)} s   (c2)/(c) {c2c}")
    print(f"(a) check          {span(a)} s   {memory('a')}")
    print(f"(a1) on threads    {span(a1)} s   {memory('a1')}   (--readers threads)")
    print(f"(a+) with plugins  {span(ap)} s   {memory('a+')}")
    print(f"(b) twine check    {span(b)} s   {memory('b')}")
    print(f"(a)/(c)  {span([x / y for x, y in zip(a, c, strict=True)])}   target <= 1.5")
    print(f"(a)/(c2) {span([x / y for x, y in zip(a, c2, strict=True)])}   our own overhead")
    print(f"(a+)/(c) {span([x / y for x, y in zip(ap, c, strict=True)])}   target <= 1.8")
    print(f"(b)/(a)  {span([x / y for x, y in zip(b, a, strict=True)])}   target >= 5")
    helps = [startup(["preupload-guard", "--help"]) for _ in range(10)]
    print(f"preupload-guard --help: best {min(helps) * 1000:.0f} ms   target <= 150")
    if not args.no_names:
        with tempfile.TemporaryDirectory() as tmp:
            names_lookup(Path(tmp))


if __name__ == "__main__":
    main()
