"""The ledger under concurrency and kills: runs at once keep each other's filenames
(the lock + re-read + union in ``History.save``), and a SIGKILL at any point leaves the
old or the new ledger on disk, never a truncated one. Real processes, no mocks."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from preupload_guard.index.history import HEADER, History, HistoryError, parse_ledger

WRITER = """
import sys
from pathlib import Path
from preupload_guard.index.history import History
path, lock_dir, tag = sys.argv[1:4]
rounds, per = int(sys.argv[4]), int(sys.argv[5])
for r in range(rounds):
    h = History(Path(path), "https://index.example/simple/", lock_dir=Path(lock_dir))
    h.add(f"{tag}-{r}.{i}-py3-none-any.whl" for i in range(per))
    h.save()
"""


def _run_writers(path: Path, lock_dir: Path, count: int, rounds: int, per: int) -> set[str]:
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(lock_dir),
                               f"w{n}", str(rounds), str(per)]) for n in range(count)]
    for proc in procs:
        assert proc.wait(timeout=60) == 0
    return {f"w{n}-{r}.{i}-py3-none-any.whl"
            for n in range(count) for r in range(rounds) for i in range(per)}


@pytest.mark.parametrize("count", [2, 8])
def test_concurrent_runs_keep_the_union(tmp_path: Path, count: int) -> None:
    path = tmp_path / ".pypi-history"
    path.write_text("old-1.0.tar.gz\n")
    expected = _run_writers(path, tmp_path / "locks", count, rounds=15, per=3)
    assert History(path).filenames == expected | {"old-1.0.tar.gz"}
    assert [p.name for p in tmp_path.iterdir() if p.name != "locks"] == [".pypi-history"]


def test_without_the_reread_a_run_would_drop_filenames(tmp_path: Path) -> None:
    """The failure the lock prevents, made deterministic: two loaded copies, saved in turn."""
    path = tmp_path / "ledger"
    first, second = History(path, lock_dir=tmp_path), History(path, lock_dir=tmp_path)
    first.add(["a-1.0.tar.gz"])
    second.add(["b-1.0.tar.gz"])
    assert first.save() and second.save()
    assert parse_ledger(path.read_text()) == {"a-1.0.tar.gz", "b-1.0.tar.gz"}


def test_a_held_lock_is_a_clear_error_after_the_bounded_wait(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    holder = History(path, lock_dir=tmp_path)
    code = ("import fcntl,sys,time; f=open(sys.argv[1],'a+b'); fcntl.flock(f, fcntl.LOCK_EX);"
            " print('held', flush=True); time.sleep(20)")
    if sys.platform == "win32":
        pytest.skip("fcntl holder")
    holder.lock_path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", code, str(holder.lock_path)],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        waiter = History(path, lock_dir=tmp_path, lock_timeout=0.5)
        waiter.add(["a-1.0.tar.gz"])
        started = time.monotonic()
        with pytest.raises(HistoryError, match="locked by another run"):
            waiter.save()
        assert 0.4 < time.monotonic() - started < 5
        assert not path.exists()
    finally:
        proc.kill()
        proc.wait(timeout=10)


BIG_WRITER = """
import sys
from pathlib import Path
from preupload_guard.index.history import History
h = History(Path(sys.argv[1]), "https://index.example/simple/", lock_dir=Path(sys.argv[2]))
h.add(f"new{i:06d}-1.0-py3-none-any.whl" for i in range(int(sys.argv[3])))
print("go", flush=True)
h.save()
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_kill_at_any_point_leaves_the_old_or_the_new_ledger(tmp_path: Path) -> None:
    path = tmp_path / ".pypi-history"
    old = {f"old{i:06d}-1.0.tar.gz" for i in range(2000)}
    seed = History(path, "https://index.example/simple/", lock_dir=tmp_path / "locks")
    seed.add(old)
    seed.save()
    n = 20000
    new = old | {f"new{i:06d}-1.0-py3-none-any.whl" for i in range(n)}
    header = HEADER.format(index=" for https://index.example/simple/")
    rng = random.Random(1234)
    outcomes = {"old": 0, "new": 0}
    deadline = time.monotonic() + 12
    for _ in range(200):
        if time.monotonic() > deadline:
            break
        proc = subprocess.Popen([sys.executable, "-c", BIG_WRITER, str(path),
                                 str(tmp_path / "locks"), str(n)], stdout=subprocess.PIPE)
        assert proc.stdout is not None
        proc.stdout.readline()  # filenames are built; the save starts now
        time.sleep(rng.uniform(0, 0.03))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        text = path.read_text(encoding="utf-8")
        assert text.startswith(header) and text.endswith("\n")
        found = parse_ledger(text)
        assert found in (old, new), f"{len(found)} entries: neither old nor new"
        outcomes["old" if found == old else "new"] += 1
        if found == new:  # start the next round from the old ledger again
            path.write_text(header + "".join(f"{x}\n" for x in sorted(old)))
        # Leftovers of a killed writer are dot-named temp files, never the ledger.
        for p in tmp_path.iterdir():
            assert p.name in {".pypi-history", "locks"} or (
                p.name.startswith("..pypi-history.") and p.name.endswith(".tmp")), p.name
    print(outcomes)
    assert sum(outcomes.values()) >= 20


def test_stale_temp_files_are_removed_young_ones_kept(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    stale, young = tmp_path / ".ledger.abc.tmp", tmp_path / ".ledger.def.tmp"
    stale.write_text("partial")
    young.write_text("partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    history = History(path, lock_dir=tmp_path / "locks")
    history.add(["a-1.0.tar.gz"])
    history.save()
    assert not stale.exists() and young.exists()
