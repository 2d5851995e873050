"""Opt-in: against the real PyPI (``pytest -m live``). Never part of the default run."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from preupload_guard.engine.config import load_settings

from checking import rules, run

pytestmark = pytest.mark.live


def test_a_published_wheel_is_recognised(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path, environ={})  # twine's default repository
    assert settings.json_api_url
    data = requests.get(f"{settings.json_api_url}pluggy/json", timeout=30)
    data.raise_for_status()
    files = data.json()["releases"]["1.6.0"]
    wheel = next(f for f in files if f["filename"] == "pluggy-1.6.0-py3-none-any.whl")
    url = requests.compat.urljoin(data.url, wheel["url"])
    path = tmp_path / wheel["filename"]
    path.write_bytes(requests.get(url, timeout=60).content)

    report = run([path], index_url=settings.index_url, json_api_url=settings.json_api_url,
                 timeout=30, offline=False)
    assert rules(report) == ["identical-file"]

    path.write_bytes(path.read_bytes() + b"x")  # same name, other bytes
    report = run([path], index_url=settings.index_url, json_api_url=settings.json_api_url,
                 timeout=30, offline=False)
    assert "file-exists" in rules(report)
    assert "release-closed" in rules(report)
