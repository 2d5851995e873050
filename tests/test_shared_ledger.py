"""A shared ledger: ``history`` as an http(s) URL, read-only, cached, beside the local one.

A real HTTP server on 127.0.0.1 serves the ledger (with an ETag, counting requests and
conditional requests); the real CLI checks a wheel against the fixture index.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from preupload_guard.engine.config import load_settings
from preupload_guard.model.settings import ConfigError
from preupload_guard.testing import FixtureFile, FixtureProject, make_wheel

from test_cli import COMMAND

SECRET = "s3cr3t-" + "ledger-token"  # assembled, so no token shape sits in the repo
WHEEL = "tinyproj-1.0.0-py3-none-any.whl"


class LedgerServer:
    """Serves ``body`` at /ledger.txt with an ETag; other paths per ``mode``."""

    def __init__(self) -> None:
        self.body = f"# the team's ledger\n{WHEEL}\n<html>not a filename</html>\n".encode()
        self.kind = "text/plain; charset=utf-8"
        self.status = 200
        self.delay = 0.0
        self.hits = 0
        self.conditional = 0
        self.auth: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.hits += 1
                server.auth.append(self.headers.get("Authorization"))
                etag = '"v1"'
                if self.headers.get("If-None-Match") == etag:
                    server.conditional += 1
                    self.send_response(304)
                    self.send_header("ETag", etag)
                    self.end_headers()
                    return
                self.send_response(server.status)
                self.send_header("Content-Type", server.kind)
                self.send_header("ETag", etag)
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for i in range(0, len(server.body), 4096):
                    if server.delay:
                        time.sleep(server.delay)
                    try:
                        self.wfile.write(server.body[i:i + 4096])
                    except OSError:
                        return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, credentials: str = "") -> str:
        return f"http://{credentials}127.0.0.1:{self.httpd.server_address[1]}/ledger.txt"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def ledger_server() -> Iterator[LedgerServer]:
    server = LedgerServer()
    yield server
    server.close()


def run(tmp_path: Path, index_url: str, history: str, *extra: str,
        fmt: str = "json") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PREUPLOAD_GUARD_CACHE_DIR": str(tmp_path / "cache"),
           "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    return subprocess.run(
        [COMMAND, "check", str(tmp_path / WHEEL), "--index-url", index_url, "--history",
         history, "--format", fmt, "--timeout", "3", *extra],
        capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)


@pytest.fixture
def index(guard_index):
    # tinyproj exists but no longer lists 1.0.0: only a ledger can know it was used.
    return guard_index(projects=[FixtureProject("tinyproj", files=[
        FixtureFile("tinyproj-0.9.tar.gz")])])


def findings(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {f["rule"]: f["message"] for f in json.loads(proc.stdout)["findings"]}


def test_filename_reused_cites_the_shared_ledger(tmp_path: Path, index, ledger_server) -> None:
    make_wheel(tmp_path)
    proc = run(tmp_path, index.simple_url, ledger_server.url())
    assert proc.returncode == 1, proc.stderr
    found = findings(proc)
    assert f"known from: the shared ledger {ledger_server.url()};" in found["filename-reused"]
    # Read-only: the server saw GETs only; the local per-index ledger still records the run.
    local = list((tmp_path / "cache" / "history").glob("*.txt"))
    assert local and "tinyproj-0.9.tar.gz" in local[0].read_text()
    assert WHEEL not in local[0].read_text()


def test_second_run_revalidates_with_the_etag(tmp_path: Path, index, ledger_server) -> None:
    make_wheel(tmp_path)
    run(tmp_path, index.simple_url, ledger_server.url())
    proc = run(tmp_path, index.simple_url, ledger_server.url())
    assert "filename-reused" in findings(proc)
    assert ledger_server.hits == 2 and ledger_server.conditional == 1


@pytest.mark.parametrize("fault", ["404", "html", "oversize", "slow", "down"])
def test_an_unusable_shared_ledger_is_a_warning(fault: str, tmp_path: Path, index,
                                                 ledger_server) -> None:
    make_wheel(tmp_path)
    url = ledger_server.url()
    if fault == "404":
        ledger_server.status = 404
    elif fault == "html":
        ledger_server.kind = "text/html"
        ledger_server.body = b"<html>" + WHEEL.encode() + b"</html>"
    elif fault == "oversize":
        ledger_server.body = (WHEEL + "\n").encode() * (33 * 1024 * 1024 // 32 + 1)
    elif fault == "slow":
        ledger_server.body = (WHEEL + "\n").encode() * 2000
        ledger_server.delay = 0.5
    else:
        url = "http://127.0.0.1:9/ledger.txt"
    start = time.monotonic()
    proc = run(tmp_path, index.simple_url, url)
    assert time.monotonic() - start < 30
    assert "Traceback" not in proc.stderr
    found = findings(proc)
    assert "checked against the local ledger only" in found["history-unavailable"]
    assert "filename-reused" not in found
    assert proc.returncode == 0  # a warning: the rest of the check stands


def test_credentials_in_the_url_are_never_shown(tmp_path: Path, index, ledger_server) -> None:
    make_wheel(tmp_path)
    url = ledger_server.url(f"team:{SECRET}@")
    for fmt in ("json", "text", "github", "markdown", "sarif"):
        proc = run(tmp_path, index.simple_url, url, fmt=fmt)
        assert SECRET not in proc.stdout + proc.stderr, fmt
        assert "@127.0.0.1" in proc.stdout and "team:" not in proc.stdout, fmt
    assert ledger_server.auth[0] is not None  # the credentials were sent, as basic auth
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path


def test_offline_runs_do_not_fetch_it(tmp_path: Path, ledger_server) -> None:
    make_wheel(tmp_path)
    proc = run(tmp_path, "http://127.0.0.1:9/simple/", ledger_server.url(), "--offline")
    assert proc.returncode == 0, proc.stderr
    assert ledger_server.hits == 0


def test_a_url_without_a_host_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="history"):
        load_settings({"history": "https:///ledger.txt"}, cwd=tmp_path, table={})
    settings = load_settings({"history": "https://h.example/l.txt"}, cwd=tmp_path, table={})
    assert settings.history_url == "https://h.example/l.txt" and settings.history is None
