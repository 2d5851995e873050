"""A misbehaving index: every fault ends as index-unreachable, in bounded time and memory.

The fixture index answers with the hostile fail modes (a server that never answers, one that
trickles a byte at a time, a 2 GB body, a gzip body inflating to 4 GiB, a redirect loop,
429 with Retry-After, wrong content types, invalid JSON, 404 for everything, TLS errors);
the real CLI checks a wheel against it in a child process. Each run must exit 1 with
``index-unreachable`` and a report that is not ok, within the run's timeout plus the retries'
slack, with the child's own peak RSS (``run_measured``) ≤ 300 MB. Never a pass.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from preupload_guard.testing import (
    FixtureIndex,
    FixtureProject,
    IndexScenario,
    make_wheel,
    run_measured,
)

from test_cli import COMMAND

TIMEOUT = 2.0
#: Retries (urllib3: up to 2 more tries, short backoff, Retry-After capped at 5 s) on top.
WALL = 25.0
RSS = 300 * 1024 * 1024


def run_child(wheel: Path, index_url: str, tmp_path: Path,
              *extra: str) -> tuple[int, dict, float, int]:
    env = {**os.environ, "PREUPLOAD_GUARD_CACHE_DIR": str(tmp_path / "cache"),
           "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD": "1"}
    out = tmp_path / "out.json"
    err = tmp_path / "err.txt"
    with out.open("wb") as fh, err.open("wb") as errors:
        try:
            run = run_measured(
                [COMMAND, "check", str(wheel), "--index-url", index_url, "--timeout",
                 str(TIMEOUT), "--format", "json", "--history", str(tmp_path / "ledger"),
                 *extra],
                stdout=fh, stderr=errors, env=env, timeout=120)
        except subprocess.TimeoutExpired:
            pytest.fail("the check did not end within 120 s")
    stderr = err.read_text("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    code = run.returncode
    report = json.loads(out.read_bytes()) if code in (0, 1) else {}
    return code, report, run.seconds, run.peak_rss


FAULTS = ["hang", "trickle", "huge", "gzip-bomb", "redirect-loop", "429", "500",
          "malformed", "wrong-shape", "content-type"]


def unreachable_message(what: str, code: int, report: dict, elapsed: float, rss: int) -> str:
    """The run's first index-unreachable message, once the bounds every fault case shares
    hold: exit 1, a report that is not ok, within WALL seconds and RSS bytes."""
    print(f"\n{what}: {elapsed:.2f} s, peak RSS {rss / 2**20:.0f} MiB")
    messages = [f["message"] for f in report["findings"] if f["rule"] == "index-unreachable"]
    assert code == 1 and not report["ok"], report
    assert messages, report
    assert elapsed < WALL, elapsed
    assert rss <= RSS, rss
    return messages[0]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_faulty_project_page_is_index_unreachable(fault: str, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    scenario = IndexScenario(projects=[FixtureProject("tinyproj")],
                             fail={"/simple/tinyproj/": fault})
    with FixtureIndex(scenario) as index:
        code, report, elapsed, rss = run_child(wheel, index.simple_url, tmp_path)
    unreachable_message(fault, code, report, elapsed, rss)


@pytest.mark.parametrize("fault", ["hang", "trickle", "huge", "gzip-bomb", "redirect-loop"])
def test_a_faulty_json_api_document_is_index_unreachable(fault: str, tmp_path: Path) -> None:
    """The JSON API document (upload times, deleted releases) is bounded like a page."""
    wheel = make_wheel(tmp_path)
    scenario = IndexScenario(projects=[FixtureProject("tinyproj")],
                             fail={"/pypi/tinyproj/json": fault})
    with FixtureIndex(scenario) as index:
        code, report, elapsed, rss = run_child(wheel, index.simple_url, tmp_path,
                                               "--json-api-url", index.json_api_url)
        assert index.hits("/pypi/tinyproj/json") >= 1
    message = unreachable_message(f"JSON API {fault}", code, report, elapsed, rss)
    assert "/pypi/tinyproj/json" in message, message


@pytest.mark.parametrize("fault", ["hang", "trickle", "huge", "gzip-bomb", "500", "content-type"])
def test_a_faulty_project_list_is_index_unreachable(fault: str, tmp_path: Path) -> None:
    """A new project needs the whole project list (similar names): a list that never ends,
    trickles or is absurdly big is stopped too (at 4 timeouts for the whole transfer and
    256 MiB decoded), never read for ever or held in memory."""
    wheel = make_wheel(tmp_path, name="brand-new-thing")
    scenario = IndexScenario(projects=[FixtureProject("tinyproj")], fail={"/simple/$": fault})
    with FixtureIndex(scenario) as index:
        code, report, elapsed, rss = run_child(wheel, index.simple_url, tmp_path)
        assert "/simple/brand-new-thing/" in [path for path, _ in index.requests]
    message = unreachable_message(f"project list {fault}", code, report, elapsed, rss)
    assert "/simple/" in message, message
    why = {"hang": "no answer within 2 s", "trickle": "did not arrive within 8 s",
           "huge": "larger than 256 MiB", "gzip-bomb": "larger than 256 MiB",
           "500": "HTTP 500", "content-type": "unexpected content type"}[fault]
    assert why in message, message


def test_404_for_everything_is_not_every_project_new(tmp_path: Path) -> None:
    """A wrong index URL answers 404 for the project and for the root: said so."""
    wheel = make_wheel(tmp_path)
    with FixtureIndex(IndexScenario(fail={"*": "404"})) as index:
        code, report, _, _ = run_child(wheel, index.url + "/nothing-here/", tmp_path)
        assert index.heads, "the root was not probed"
    messages = [f["message"] for f in report["findings"] if f["rule"] == "index-unreachable"]
    assert code == 1 and messages
    assert "not a package index" in messages[0]
    assert "new-project" not in {f["rule"] for f in report["findings"]}


def test_a_new_project_on_a_real_index_is_still_new(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, name="brand-new-thing")
    with FixtureIndex(IndexScenario(projects=[FixtureProject("tinyproj")])) as index:
        _code, report, _, _ = run_child(wheel, index.simple_url, tmp_path)
        assert len(index.heads) == 1  # asked once per run
    assert "index-unreachable" not in {f["rule"] for f in report["findings"]}, report


def test_an_aborted_answer_is_never_cached(tmp_path: Path) -> None:
    """After a capped answer, a healthy index is asked again and believed."""
    wheel = make_wheel(tmp_path)
    project = FixtureProject("tinyproj")
    with FixtureIndex(IndexScenario(projects=[project], fail={"/simple/tinyproj/": "huge"},
                                    etag=True)) as index:
        run_child(wheel, index.simple_url, tmp_path)
        index.scenario = IndexScenario(projects=[project], etag=True)
        _code, report, _, _ = run_child(wheel, index.simple_url, tmp_path)
    assert "index-unreachable" not in {f["rule"] for f in report["findings"]}, report


# -- TLS ---------------------------------------------------------------------------------


def _self_signed(tmp_path: Path, host: str) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", f"/CN={host}", "-addext", f"subjectAltName=DNS:{host}",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class _Ok(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        body = b'{"meta": {"api-version": "1.1"}, "name": "tinyproj", "files": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.pypi.simple.v1+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("case", ["untrusted", "wrong-host"])
def test_tls_errors_are_index_unreachable(case: str, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path, "localhost" if case == "untrusted" else "example.org")
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Ok)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        host = "localhost" if case == "untrusted" else "127.0.0.1"
        wheel = make_wheel(tmp_path)
        code, report, elapsed, _ = run_child(
            wheel, f"https://{host}:{httpd.server_address[1]}/simple/", tmp_path)
    finally:
        httpd.shutdown()
        httpd.server_close()
    messages = [f["message"] for f in report["findings"] if f["rule"] == "index-unreachable"]
    assert code == 1 and messages, report
    assert any(word in messages[0].lower() for word in ("ssl", "tls", "certificate")), messages
    assert elapsed < WALL
