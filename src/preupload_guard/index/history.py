"""The filename ledger: every filename ever used on the index for these projects.

PyPI never accepts a filename twice, even after the file was deleted, and no public API
lists deleted filenames. The ledger closes that gap. It is a plain text file meant to be
committed: one filename per line, ``#`` comments, sorted so that two branches merge
cleanly, written atomically (a temporary file in the same directory, then ``os.replace``)
so that a crash never leaves a truncated ledger.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

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

    def __init__(self, path: Path, index_url: str | None = None) -> None:
        self.path = path
        self.index_url = index_url
        self.filenames: set[str] = set()
        self._loaded: frozenset[str] = frozenset()
        self._read()

    def _read(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except (OSError, UnicodeDecodeError) as exc:
            raise HistoryError(f"cannot read the filename ledger {self.path}: {exc}") from None
        for line in text.splitlines():
            entry = line.split("#", 1)[0].strip()
            if entry:
                self.filenames.add(entry)
        self._loaded = frozenset(self.filenames)

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
        """Write the ledger if it changed; returns whether it wrote."""
        if not self.changed and self.path.exists():
            return False
        header = HEADER.format(index=f" for {self.index_url}" if self.index_url else "")
        body = "".join(f"{name}\n" for name in sorted(self.filenames))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(
                prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent
            )
            try:
                with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                    fh.write(header + body)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise HistoryError(f"cannot write the filename ledger {self.path}: {exc}") from None
        self._loaded = frozenset(self.filenames)
        return True
