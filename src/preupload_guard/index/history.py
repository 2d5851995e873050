"""The filename ledger: every filename ever used on the index for these projects.

PyPI never accepts a filename twice, even after the file was deleted, and no public API
lists deleted filenames. The ledger closes that gap. It is a plain text file meant to be
committed: one filename per line, ``#`` comments, sorted so that two branches merge
cleanly, written atomically (a temporary file in the same directory, fsync, then
``os.replace`` and an fsync of the directory) so that a crash or a kill never leaves a
truncated ledger: a reader sees the old ledger or the new one.

Two runs at once (a CI matrix, a maintainer and a hook) must not drop each other's
filenames, so ``save`` takes an exclusive lock, re-reads the ledger on disk and writes the
union. The lock is a file OUTSIDE the ledger's directory (in ``lock_dir``, default
``<tempdir>/preupload-guard-locks``, named by a digest of the ledger's resolved path):
the ledger is meant to be committed, and a ``.lock`` file beside it would be repository
noise. The lock file is never the ledger, so ``os.replace`` of the ledger cannot break it.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from preupload_guard.model.settings import scrub_credentials

#: How long ``save`` waits for another run holding the ledger's lock.
LOCK_TIMEOUT = 10.0
#: Temp files of killed writers (``.<name>.*.tmp``) older than this go at the next save.
STALE_TEMP_AGE = 3600.0

HEADER = """\
# preupload-guard filename ledger{index}.
# Every filename ever used on the package index for these projects, one per line.
# The index never accepts a filename twice, even after the file was deleted, and
# no public API lists deleted files: keep this file under version control.
# Lines are sorted so that merges are easy; '#' starts a comment.
"""


def default_ledger_path(cache_dir: Path, index_url: str | None) -> Path:
    """A per-index ledger in the user cache, for when no ``history`` path is configured."""
    key = index_url or "offline"
    parts = urlsplit(key)
    slug = "".join(c if c.isalnum() else "-" for c in (parts.netloc + parts.path)).strip("-")
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return cache_dir / "history" / f"{slug[:60] or 'index'}-{digest}.txt"


class HistoryError(Exception):
    """The ledger cannot be read or written."""


class History:
    """The ledger at ``path``. Missing file = empty ledger (created on first save)."""

    def __init__(self, path: Path, index_url: str | None = None, *,
                 lock_dir: Path | None = None, lock_timeout: float = LOCK_TIMEOUT) -> None:
        self.path = path
        self.index_url = index_url
        self.lock_dir = lock_dir
        self.lock_timeout = lock_timeout
        self.filenames: set[str] = set()
        self._loaded: frozenset[str] = frozenset()
        self.filenames.update(self._read())
        self._loaded = frozenset(self.filenames)

    def _read(self) -> set[str]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return set()
        except (OSError, UnicodeDecodeError) as exc:
            raise HistoryError(f"cannot read the filename ledger {self.path}: {exc}") from None
        return parse_ledger(text)

    @property
    def lock_path(self) -> Path:
        """Where the lock for this ledger lives (outside the repository; see the module doc)."""
        base = self.lock_dir or Path(tempfile.gettempdir()) / "preupload-guard-locks"
        digest = hashlib.sha256(str(self.path.resolve()).encode()).hexdigest()[:20]
        return base / f"{digest}.lock"

    def __contains__(self, filename: object) -> bool:
        return filename in self.filenames

    def add(self, filenames: Iterable[str]) -> None:
        for name in filenames:
            name = name.strip()
            if name and "\n" not in name and "#" not in name:
                self.filenames.add(name)

    @property
    def changed(self) -> bool:
        return self.filenames != self._loaded

    def save(self) -> bool:
        """Merge this run's filenames into the ledger on disk; returns whether it wrote.

        Under the lock the ledger is read again, so filenames another run wrote since we
        loaded are kept (the result is the union), then written atomically.
        """
        if not self.changed and self.path.exists():
            return False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._locked():
                on_disk = self._read()
                merged = self.filenames | on_disk
                if merged == on_disk and self.path.exists():
                    self.filenames = merged
                    self._loaded = frozenset(merged)
                    return False
                self._write(merged)
                self._clean_stale_temps()
        except OSError as exc:
            raise HistoryError(f"cannot write the filename ledger {self.path}: {exc}") from None
        self.filenames = merged
        self._loaded = frozenset(merged)
        return True

    def _write(self, filenames: set[str]) -> None:
        shown = scrub_credentials(self.index_url) if self.index_url else ""
        header = HEADER.format(index=f" for {shown}" if shown else "")
        body = "".join(f"{name}\n" for name in sorted(filenames))
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp",
                                   dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(header + body)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(self.path.parent)

    def _clean_stale_temps(self) -> None:
        """Remove temp files of writers that were killed mid-write, once they are old.

        Young ones are left alone: they may belong to a writer that is not under our lock
        (an older preupload-guard). They are dot-files named ``.<ledger>.*.tmp``, never
        read as a ledger.
        """
        cutoff = time.time() - STALE_TEMP_AGE
        for tmp in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            try:
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()
            except OSError:
                pass

    @contextmanager
    def _locked(self) -> Iterator[None]:
        lock = self.lock_path
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a+b") as fh:
            deadline = time.monotonic() + self.lock_timeout
            while not _try_lock(fh):
                if time.monotonic() >= deadline:
                    raise HistoryError(
                        f"the filename ledger {self.path} is locked by another run "
                        f"(waited {self.lock_timeout:g} s for {lock}); try again, or remove "
                        "the lock file if no preupload-guard is running") from None
                time.sleep(0.02)
            try:
                yield
            finally:
                _unlock(fh)


def parse_ledger(text: str) -> set[str]:
    """The filenames of a ledger's text: one per line, ``#`` starts a comment."""
    found: set[str] = set()
    for line in text.splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            found.add(entry)
    return found


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); directories cannot be opened on Windows."""
    if sys.platform == "win32":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _try_lock(fh: IO[bytes]) -> bool:
        fh.seek(0)
        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fh.seek(0)
        msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fh: IO[bytes]) -> bool:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fh: IO[bytes]) -> None:
        fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


#: The largest shared ledger read: a million filenames take ~50 MB; more is not a ledger.
SHARED_LEDGER_CAP = 32 * 1024 * 1024

#: What a distribution filename ends with; other lines of a shared ledger are ignored, so
#: an HTML error page served with status 200 cannot inject "filenames".
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".egg", ".exe", ".msi",
                  ".rpm", ".dmg", ".tar.xz", ".tar")


def fetch_shared_ledger(url: str, session: Any, timeout: float,
                        cap: int = SHARED_LEDGER_CAP) -> set[str]:
    """The filenames of the shared ledger at ``url`` (read-only; never written back).

    Fetched through the run's HTTP session (retries, the on-disk cache: a ledger served with
    an ETag is revalidated with a cheap 304). The body is read in chunks up to ``cap``
    bytes and within ``timeout`` seconds for the whole transfer, so a huge or trickling
    answer ends as :class:`HistoryError`, as does any failure to reach it; the caller
    reports that as a warning, never as a pass.
    """
    import requests

    deadline = time.monotonic() + timeout
    try:
        with session.get(url, timeout=timeout, stream=True,
                         headers={"Accept": "text/plain, */*;q=0.1"}) as response:
            if response.status_code != 200:
                raise HistoryError(f"answered HTTP {response.status_code}")
            kind = response.headers.get("Content-Type", "text/plain").split(";")[0].strip()
            # An HTML page (a login form, an error page with status 200) is not a ledger.
            if kind in ("text/html", "application/xhtml+xml") or not (
                    kind.startswith("text/") or kind == "application/octet-stream"):
                raise HistoryError(f"answered {kind!r}, not a plain-text ledger")
            parts: list[bytes] = []
            size = 0
            for chunk in response.iter_content(64 * 1024):
                size += len(chunk)
                if size > cap:
                    raise HistoryError(f"is larger than {cap // 2**20} MiB")
                if time.monotonic() > deadline:
                    raise HistoryError(f"took longer than {timeout:g} s")
                parts.append(chunk)
    except requests.RequestException as exc:
        raise HistoryError(f"cannot be reached ({type(exc).__name__})") from None
    try:
        text = b"".join(parts).decode("utf-8")
    except UnicodeDecodeError:
        raise HistoryError("is not UTF-8 text") from None
    return {n for n in parse_ledger(text)
            if "/" not in n and " " not in n and n.lower().endswith(_DIST_SUFFIXES)}
