"""The filename ledger: read, merge, sorted atomic write."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from preupload_guard.index.history import History, HistoryError, default_ledger_path


def test_read_merge_write(tmp_path: Path) -> None:
    path = tmp_path / ".pypi-history"
    path.write_text("# comment\nb-1.0.tar.gz\n\na-1.0.tar.gz  # trailing comment\n")
    history = History(path, "https://index.example/simple/")
    assert history.filenames == {"a-1.0.tar.gz", "b-1.0.tar.gz"}
    assert not history.changed
    assert history.save() is False
    history.add(["c-1.0-py3-none-any.whl", "a-1.0.tar.gz", "", "bad\nname"])
    assert history.save() is True
    lines = path.read_text().splitlines()
    assert lines[0].startswith("# preupload-guard filename ledger for https://index.example/")
    assert [line for line in lines if not line.startswith("#")] == [
        "a-1.0.tar.gz", "b-1.0.tar.gz", "c-1.0-py3-none-any.whl"]
    assert History(path).filenames == history.filenames


def test_failed_write_keeps_the_old_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ledger"
    path.write_text("a-1.0.tar.gz\n")
    history = History(path)
    history.add(["b-1.0.tar.gz"])

    def crash(*args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(HistoryError, match="disk full"):
        history.save()
    assert path.read_text() == "a-1.0.tar.gz\n"
    assert [p.name for p in tmp_path.iterdir()] == ["ledger"]  # no temp file left behind


def test_unreadable_ledger(tmp_path: Path) -> None:
    path = tmp_path / "ledger"
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(HistoryError):
        History(path)


def test_default_ledger_is_per_index(tmp_path: Path) -> None:
    a = default_ledger_path(tmp_path, "https://a.example/simple/")
    b = default_ledger_path(tmp_path, "https://b.example/simple/")
    assert a != b and a.parent == b.parent == tmp_path / "history"
