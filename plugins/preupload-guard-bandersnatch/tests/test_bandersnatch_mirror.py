"""The plugin against mirrors laid out by hand (local and over HTTP) and broken mirrors."""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import time
from pathlib import Path

import pytest
from preupload_guard.testing import FixtureFile, FixtureProject

import preupload_guard_bandersnatch as plugin

KEPT = "demo-1.0-py3-none-any.whl"
DELETED = "demo-1.0.tar.gz"


def make_mirror(root: Path, *, synced: str = "20991231T00:00:00") -> Path:
    web = root / "web"
    (web / "simple" / "demo").mkdir(parents=True)
    (web / "simple" / "demo" / "index.html").write_text(
        f'<html><body><a href="../../packages/aa/bb/cc/{KEPT}#sha256=00">{KEPT}</a></body></html>')
    (web / "pypi" / "demo").mkdir(parents=True)
    (web / "pypi" / "demo" / "json").write_text(json.dumps(
        {"releases": {"1.0": [{"filename": KEPT}]}}))
    pkg = web / "packages" / "aa" / "bb" / "cc"
    pkg.mkdir(parents=True)
    (pkg / KEPT).write_bytes(b"x")
    (pkg / DELETED).write_bytes(b"y")          # deleted upstream, kept by the mirror
    (pkg / "other-1.0.tar.gz").write_bytes(b"z")
    (web / "last-modified").write_text(synced)
    return root


def run(guard_dists, guard_index, guard_check, mirror: str, filename: str = DELETED, **cfg):
    index = guard_index(projects=[FixtureProject("demo", files=[FixtureFile(KEPT)])])
    dist = guard_dists.sdist("demo", filename.removeprefix("demo-").removesuffix(".tar.gz"))
    table = {"mirror": mirror, **{k.replace("_", "-"): v for k, v in cfg.items()}}
    return guard_check(dist, index=index, plugins={"bandersnatch": plugin}, autoload=False,
                       config={"plugins": {"bandersnatch": table}})


def test_a_file_kept_only_in_packages_is_reused(tmp_path, guard_dists, guard_index,
                                                guard_check) -> None:
    result = run(guard_dists, guard_index, guard_check, str(make_mirror(tmp_path / "m")))
    assert "filename-reused" in result.rules
    assert not result.plugin_errors
    assert not [r for r in result.rules if r.startswith("bandersnatch/")]


def test_a_new_filename_is_not_reused(tmp_path, guard_dists, guard_index, guard_check) -> None:
    result = run(guard_dists, guard_index, guard_check, str(make_mirror(tmp_path / "m")),
                 filename="demo-1.1.tar.gz")
    assert "filename-reused" not in result.rules


def test_a_missing_mirror_is_a_warning(tmp_path, guard_dists, guard_index, guard_check) -> None:
    result = run(guard_dists, guard_index, guard_check, str(tmp_path / "nowhere"))
    finding = result.finding("bandersnatch/mirror-unavailable")
    assert "does not exist" in finding.message
    assert len(result.findings_of("bandersnatch/mirror-unavailable")) == 1
    assert not result.plugin_errors
    assert result.exit_code == 0


def test_a_stale_mirror_says_how_old(tmp_path, guard_dists, guard_index, guard_check) -> None:
    mirror = make_mirror(tmp_path / "m", synced="20000101T00:00:00")
    result = run(guard_dists, guard_index, guard_check, str(mirror), max_age="2d")
    message = result.finding("bandersnatch/mirror-stale").message
    assert "d " in message and "old" in message
    assert "filename-reused" in result.rules


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_page_is_a_warning(tmp_path, guard_dists, guard_index, guard_check) -> None:
    mirror = make_mirror(tmp_path / "m")
    page = mirror / "web" / "pypi" / "demo" / "json"
    page.chmod(0)
    try:
        result = run(guard_dists, guard_index, guard_check, str(mirror))
    finally:
        page.chmod(0o644)
    assert "bandersnatch/mirror-unavailable" in result.rules
    assert "filename-reused" in result.rules


def test_bad_settings_are_reported_not_crashed(tmp_path, guard_dists, guard_index,
                                               guard_check) -> None:
    result = run(guard_dists, guard_index, guard_check, str(tmp_path), timeout="soon")
    text = result.text
    assert "timeout" in text
    assert result.exit_code != 0 or result.plugin_errors


def test_http_root_mode(tmp_path, guard_dists, guard_index, guard_check) -> None:
    web = make_mirror(tmp_path / "m") / "web"
    (web / "simple" / "demo" / "index.html").write_text(
        f'<a href="../../packages/aa/bb/cc/{DELETED}">{DELETED}</a>')  # an older page
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(web))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = run(guard_dists, guard_index, guard_check, url)
        assert "filename-reused" in result.rules
        assert not [r for r in result.rules if r.startswith("bandersnatch/")]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def test_an_unreachable_http_mirror_is_a_warning(guard_dists, guard_index, guard_check) -> None:
    start = time.monotonic()
    result = run(guard_dists, guard_index, guard_check, "http://127.0.0.1:9/", timeout=2)
    assert "bandersnatch/mirror-unavailable" in result.rules
    assert result.exit_code == 0
    assert time.monotonic() - start < 15


def test_sdist_names_with_hyphens() -> None:
    from preupload_guard_bandersnatch.mirror import project_of

    assert project_of("my-proj-1.0.tar.gz") == "my-proj"
    assert project_of("My_Proj-2.0-py3-none-any.whl") == "my-proj"
    assert project_of("README") is None


def test_a_corrupt_page_is_a_warning_and_the_rest_still_counts(
        tmp_path, guard_dists, guard_index, guard_check) -> None:
    mirror = make_mirror(tmp_path / "m")
    (mirror / "web" / "pypi" / "demo" / "json").write_text("{not json")
    result = run(guard_dists, guard_index, guard_check, str(mirror))
    assert "not valid JSON" in result.finding("bandersnatch/mirror-unavailable").message
    assert "filename-reused" in result.rules
    assert not result.plugin_errors


def test_a_file_where_the_mirror_should_be(tmp_path, guard_dists, guard_index,
                                           guard_check) -> None:
    (tmp_path / "m").write_text("")
    result = run(guard_dists, guard_index, guard_check, str(tmp_path / "m"))
    assert "not a directory" in result.finding("bandersnatch/mirror-unavailable").message
    assert result.exit_code == 0
