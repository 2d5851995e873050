"""A fixture package index: a real HTTP server that behaves like Warehouse, for tests.

preupload-guard predicts what an index will say, so its tests need an index whose answers are
known exactly. :class:`FixtureIndex` serves a scripted :class:`IndexScenario` on
``127.0.0.1`` (an ephemeral port, a daemon thread), speaking the same dialects as PyPI:

* the simple API root ``/simple/`` (PEP 691 JSON ``projects[].name`` or PEP 503 anchors whose
  ``href`` is the normalized name and whose text is the display name);
* project pages ``/simple/<name>/`` as PEP 691 JSON (api-version 1.4: ``size``,
  ``upload-time``, ``versions``, ``project-status``) or PEP 503 HTML (``#sha256=`` fragments,
  ``data-yanked``, ``<meta name="pypi:project-status">`` and, optionally, the
  ``data-upload-time`` attribute PyPI adds on some networks), chosen by the ``Accept`` header;
* the JSON API ``/pypi/<name>/json`` with per-file digests, package types and release lists
  that include versions whose file list is empty;
* files under Warehouse's blake2-derived layout ``/packages/<b2[:2]>/<b2[2:4]>/<b2[4:]>/<fn>``.

It reproduces the quirks that matter for predictions: non-normalized names redirect (301),
quarantined projects are invisible everywhere, the JSON API answers 404 for a project without
releases. It also fails on request (HTTP errors, malformed JSON, slowness, wrong content type)
and records every request, so a test can assert "the index was asked once".

Nothing here imports pytest; the module works in any test runner. Example::

    scenario = IndexScenario(projects=[FixtureProject("Foo", [FixtureFile("foo-1.0.tar.gz")])])
    with FixtureIndex(scenario) as index:
        Index(index.simple_url, index.json_api_url).project("foo")
"""

from __future__ import annotations

import contextlib
import email.utils
import hashlib
import html
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name, canonicalize_version
from packaging.version import InvalidVersion, Version

from preupload_guard.index.simple import package_type_from_filename, version_from_filename

__all__ = [
    "FixtureFile",
    "FixtureIndex",
    "FixtureProject",
    "IndexScenario",
    "iter_fixture_names",
]

#: The PEP 691 content types the fixture speaks.
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"
#: The repository version the fixture claims (PEP 700 fields need >= 1.1, PEP 792 1.4).
API_VERSION = "1.4"

FailMode = str
"""How a path fails: ``"500"`` (or any HTTP status as text: ``"403"``, ``"404"``, ...),
``"malformed"`` (200, JSON content type, body that is not JSON), ``"wrong-shape"`` (200, valid
JSON that is a list instead of an object), ``"content-type"`` (200 ``text/plain``), ``"slow"``
(sleep ``slow_seconds``, then answer normally), ``"flaky"`` (503 on the first request for
each path, normal afterwards: exercises retries).

Hostile servers, for proving the client's bounds: ``"hang"`` (accepts, never answers),
``"trickle"`` (200 headers, then one byte every 0.2 s, for ever: slowloris), ``"huge"``
(200 with a 2 GB body, generated as it is sent), ``"gzip-bomb"`` (``Content-Encoding:
gzip`` whose body inflates to 4 GiB of zeros), ``"redirect-loop"`` (a 302 to itself),
``"429"`` with ``Retry-After: 1`` (any status as text gets that header when it is 429).
A HEAD of a path in a stream mode gets plain 200 headers at once (the redirect loop still
redirects): these modes misbehave in the body, which a HEAD does not have."""


_FAIL_MODES = frozenset({"malformed", "wrong-shape", "content-type", "slow", "flaky"})
#: Fail modes answered by the handler itself, as a stream (see :data:`FailMode`).
_STREAM_MODES = frozenset({"hang", "trickle", "huge", "gzip-bomb", "redirect-loop"})


def _gzip_zeros(total: int) -> Iterator[bytes]:
    """A gzip stream of ``total`` zeros, made of one repeated full-flush deflate block."""
    import zlib

    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    comp.compress(bytes(1 << 20))
    comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(bytes(1 << 20)) + comp.flush(zlib.Z_FULL_FLUSH)
    for _ in range(total >> 20):
        yield block


def _utc(dt: datetime) -> datetime:
    """Naive datetimes in scenarios mean UTC, as on PyPI."""
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


def _iso_z(dt: datetime) -> str:
    """``2024-01-02T03:04:05.123456Z``: how PyPI writes ``upload-time``."""
    return _utc(dt).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class FixtureFile:
    """One file of a project. Sizes and digests are derived from the content when not given.

    Without ``content``, the served bytes are a short placeholder unique to the filename, so
    that two placeholder files never share a blake2 digest by accident. ``upload_time`` is
    ``None`` to leave the upload time out of every answer (an index that does not know it).
    ``yanked`` is ``True`` or a reason text. ``version`` defaults to the one in the filename.
    """

    filename: str
    content: bytes | None = None
    size: int | None = None
    sha256: str | None = None
    blake2_256: str | None = None
    upload_time: datetime | None = None
    yanked: bool | str = False
    packagetype: str | None = None
    version: str | None = None
    requires_python: str | None = None

    @property
    def served_content(self) -> bytes:
        """The bytes the file URL returns and the digests are computed from."""
        if self.content is not None:
            return self.content
        return f"fixture placeholder for {self.filename}\n".encode()

    @property
    def effective_size(self) -> int:
        return self.size if self.size is not None else len(self.served_content)

    @property
    def effective_sha256(self) -> str:
        if self.sha256 is not None:
            return self.sha256
        return hashlib.sha256(self.served_content).hexdigest()

    @property
    def effective_blake2_256(self) -> str:
        if self.blake2_256 is not None:
            return self.blake2_256
        return hashlib.blake2b(self.served_content, digest_size=32).hexdigest()

    @property
    def effective_md5(self) -> str:
        return hashlib.md5(self.served_content, usedforsecurity=False).hexdigest()

    @property
    def effective_packagetype(self) -> str:
        """Warehouse's ``packagetype``; anything not recognised counts as an sdist."""
        if self.packagetype is not None:
            return self.packagetype
        return package_type_from_filename(self.filename) or "sdist"

    @property
    def effective_version(self) -> str:
        """The release the file belongs to (the JSON API's ``releases`` key)."""
        if self.version is not None:
            return self.version
        version = version_from_filename(self.filename)
        if version is None:
            raise ValueError(
                f"cannot tell the version of {self.filename!r}; pass FixtureFile(version=...)"
            )
        return version

    @property
    def path(self) -> str:
        """Warehouse's storage path, derived from the blake2 digest."""
        b2 = self.effective_blake2_256
        return f"/packages/{b2[:2]}/{b2[2:4]}/{b2[4:]}/{self.filename}"


@dataclass
class FixtureProject:
    """A project: its display ``name``, files and PEP 792 ``status``.

    ``empty_releases`` are versions the JSON API lists with ``[]`` (releases whose files were
    all deleted). A ``"quarantined"`` project is hidden from every API, as PyPI hides it.
    """

    name: str
    files: list[FixtureFile] = field(default_factory=list)
    status: str | None = None
    status_reason: str | None = None
    empty_releases: list[str] = field(default_factory=list)

    @property
    def normalized(self) -> str:
        return canonicalize_name(self.name)

    @property
    def visible(self) -> bool:
        return self.status != "quarantined"


@dataclass
class IndexScenario:
    """What the fixture index serves and how it misbehaves.

    * ``extra_names``: display names that only appear in the root list (cheap way to build a
      large index for name-similarity tests).
    * ``mode``: ``"negotiate"`` answers PEP 691 JSON when the client accepts it, HTML
      otherwise; ``"html-only"`` always answers HTML, like PyPI behind some proxies.
    * ``json_api``: serve ``/pypi/<name>/json`` (Warehouse-style) or 404 it (pypiserver-style).
    * ``html_upload_time``: add ``data-upload-time`` to HTML links.
    * ``etag`` / ``last_modified``: send validators and answer 304 to matching conditional
      requests.
    * ``max_age``: send ``Cache-Control: max-age=N, public`` with every 200, as PyPI's CDN
      does (its pages may be cached for minutes).
    * ``fail``: path prefix (or ``"*"``) -> fail mode (see :data:`FailMode`); the longest
      matching prefix wins. A key ending in ``$`` matches only that exact path (``"/simple/$"``:
      the project list alone, not the project pages under it).
    * ``redirects``: path prefix -> replacement prefix, answered with a 301 (an index that
      moved, e.g. ``{"/old/": "/simple/"}``).
    * ``raw_pages``: exact path -> ``(content type, body)`` served verbatim with status 200,
      for hand-crafted answers no scenario produces (odd JSON, foreign HTML).
    """

    projects: list[FixtureProject] = field(default_factory=list)
    extra_names: list[str] = field(default_factory=list)
    mode: Literal["negotiate", "html-only"] = "negotiate"
    json_api: bool = True
    html_upload_time: bool = False
    etag: bool = False
    last_modified: bool = False
    max_age: int | None = None
    fail: dict[str, FailMode] = field(default_factory=dict)
    slow_seconds: float = 5.0
    redirects: dict[str, str] = field(default_factory=dict)
    raw_pages: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    def project(self, name: str) -> FixtureProject | None:
        """The visible project called ``name`` (any spelling), or ``None``."""
        wanted = canonicalize_name(name)
        for project in self.projects:
            if project.normalized == wanted and project.visible:
                return project
        return None

    def validate(self) -> None:
        """Raise ``ValueError`` now rather than answering a test with a puzzling 500."""
        for project in self.projects:
            for f in project.files:
                _ = f.effective_version
        for mode in self.fail.values():
            if not (mode.isdigit() or mode in _FAIL_MODES or mode in _STREAM_MODES):
                raise ValueError(f"unknown fail mode {mode!r}; see preupload_guard.testing")


#: ``Last-Modified`` of every answer when ``IndexScenario.last_modified`` is set.
FIXED_LAST_MODIFIED = datetime(2024, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    validators: bool = True  # eligible for ETag / Last-Modified


class FixtureIndex:
    """Serve an :class:`IndexScenario` over HTTP on 127.0.0.1; use it as a context manager.

    Attributes once started: ``url`` (``http://127.0.0.1:PORT/``), ``simple_url``
    (``…/simple/``), ``json_api_url`` (``…/pypi/``), ``legacy_url`` (``…/legacy/``, the upload
    URL from which :func:`preupload_guard.engine.config.derive_index_target` derives the other two),
    ``requests`` (every ``(path, Accept header)`` seen, in order), ``request_headers`` (the
    full headers of each of those requests) and ``statuses`` (every ``(path, status)``
    answered). ``scenario`` may be replaced between requests.
    """

    def __init__(self, scenario: IndexScenario | None = None) -> None:
        self._scenario = scenario if scenario is not None else IndexScenario()
        self._scenario.validate()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._flaky_seen: set[str] = set()
        self.requests: list[tuple[str, str | None]] = []
        #: Paths asked with HEAD (the client's root probe), apart from ``requests``.
        self.heads: list[str] = []
        self.request_headers: list[dict[str, str]] = []
        self.statuses: list[tuple[str, int]] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FixtureIndex:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fixture = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
            name=f"FixtureIndex:{self.port}",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes handlers sleeping in ``"slow"`` mode so they end promptly."""
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FixtureIndex:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FixtureIndex is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def simple_url(self) -> str:
        return self.url + "simple/"

    @property
    def json_api_url(self) -> str:
        return self.url + "pypi/"

    @property
    def legacy_url(self) -> str:
        return self.url + "legacy/"

    # -- scenario and bookkeeping ------------------------------------------------------

    @property
    def scenario(self) -> IndexScenario:
        return self._scenario

    @scenario.setter
    def scenario(self, scenario: IndexScenario) -> None:
        scenario.validate()
        with self._lock:
            self._scenario = scenario
            self._flaky_seen.clear()

    def hits(self, prefix: str = "/") -> int:
        """How many requests had a path starting with ``prefix``."""
        with self._lock:
            return sum(1 for path, _ in self.requests if path.startswith(prefix))

    def clear(self) -> None:
        """Forget recorded requests (e.g. between the phases of a test)."""
        with self._lock:
            self.requests.clear()
            self.request_headers.clear()
            self.statuses.clear()
            self.heads.clear()

    def _record(self, path: str, headers: dict[str, str]) -> IndexScenario:
        with self._lock:
            self.requests.append((path, headers.get("Accept")))
            self.request_headers.append(headers)
            return self._scenario

    def _record_status(self, path: str, status: int) -> None:
        with self._lock:
            self.statuses.append((path, status))

    def _first_flaky(self, path: str) -> bool:
        with self._lock:
            if path in self._flaky_seen:
                return False
            self._flaky_seen.add(path)
            return True

    # -- routing -----------------------------------------------------------------------

    def _answer(self, scenario: IndexScenario, path: str, accept: str | None) -> _Answer:
        mode = _fail_mode(scenario, path)
        if mode == "slow":
            # Event.wait instead of time.sleep: stop() cuts the nap short.
            self._stopping.wait(scenario.slow_seconds)
        elif mode == "flaky":
            if self._first_flaky(path):
                return _Answer(503, b"try again", "text/plain", validators=False)
        elif mode is not None:
            return _failure(mode, path)
        if path in scenario.raw_pages:
            content_type, body = scenario.raw_pages[path]
            return _Answer(200, body, content_type)
        for prefix, target in scenario.redirects.items():
            if path.startswith(prefix):
                return _redirect(301, target + path[len(prefix) :])

        if path == "/simple/":
            return _root_page(scenario, accept)
        if path == "/simple":  # PyPI redirects too; bandersnatch asks for it without the slash
            return _redirect(301, "/simple/")
        match = re.fullmatch(r"/simple/([^/]+)(/?)", path)
        if match:
            raw, slash = unquote(match.group(1)), match.group(2)
            normalized = canonicalize_name(raw)
            if raw != normalized:
                return _redirect(301, f"/simple/{normalized}/")
            if not slash:
                return _redirect(308, f"/simple/{normalized}/")
            project = scenario.project(normalized)
            if project is None:
                return _Answer(404, b"", None, validators=False)
            return _project_page(scenario, project, accept, self.url)
        match = re.fullmatch(r"/pypi/([^/]+)/json/?", path)
        if match and scenario.json_api:
            raw = unquote(match.group(1))
            normalized = canonicalize_name(raw)
            if raw != normalized:
                return _redirect(301, f"/pypi/{normalized}/json")
            project = scenario.project(normalized)
            if project is None or not (project.files or project.empty_releases):
                return _Answer(404, b"", None, validators=False)
            return _json_api(project, self.url)
        if path.startswith("/packages/"):
            for project in scenario.projects:
                if not project.visible:
                    continue
                for f in project.files:
                    if f.path == path:
                        return _Answer(200, f.served_content, "application/octet-stream")
        return _Answer(404, b"Not Found", "text/plain", validators=False)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fixture: FixtureIndex

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is expected in failure tests; stay quiet.
        import sys

        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError)):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default per-request stderr line; requests are recorded instead."""

    head = False

    def do_GET(self) -> None:
        fixture = self.server.fixture
        path = urlsplit(self.path).path
        accept = self.headers.get("Accept")
        scenario = fixture._record(path, dict(self.headers.items()))
        mode = _fail_mode(scenario, path)
        if mode in _STREAM_MODES:
            self._hostile(str(mode), path)
            return
        answer = fixture._answer(scenario, path, accept)
        self._send(scenario, path, answer)

    def _hostile(self, mode: str, path: str) -> None:
        """The streaming fail modes; each ends when the client hangs up (or the server
        stops)."""
        stop = self.server.fixture._stopping
        self.close_connection = True
        try:
            if mode == "hang":
                stop.wait(120)
                return
            if mode == "redirect-loop":
                self.send_response(302)
                self.send_header("Location", path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", SIMPLE_JSON)
            if mode == "trickle":
                self.send_header("Content-Length", str(10**9))
                self.end_headers()
                while not stop.wait(0.2):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            elif mode == "huge":
                self.send_header("Content-Length", str(2 * 10**9))
                self.end_headers()
                chunk = b" " * (1 << 20)
                for _ in range(2 * 10**9 // len(chunk)):
                    if stop.is_set():
                        return
                    self.wfile.write(chunk)
            else:  # gzip-bomb
                self.send_header("Content-Encoding", "gzip")
                self.end_headers()
                for block in _gzip_zeros(4 << 30):
                    if stop.is_set():
                        return
                    self.wfile.write(block)
        except (ConnectionError, TimeoutError, OSError):
            return

    def do_HEAD(self) -> None:
        """As GET without the body (the client probes the root with it). HEADs are kept in
        ``heads``, not in ``requests``, so request counts stay counts of GETs."""
        fixture = self.server.fixture
        path = urlsplit(self.path).path
        with fixture._lock:
            fixture.heads.append(path)
            scenario = fixture._scenario
        self.head = True
        mode = _fail_mode(scenario, path)
        if mode == "redirect-loop":
            self._hostile(mode, path)
            return
        if mode in _STREAM_MODES:
            # The other stream modes misbehave in the body; a HEAD has none, so it gets the
            # headers at once (the client's root probe then passes, and the GET is tested).
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self._send(scenario, path, fixture._answer(scenario, path, self.headers.get("Accept")))

    def _send(self, scenario: IndexScenario, path: str, answer: _Answer) -> None:
        status, body = answer.status, answer.body
        headers = list(answer.headers)
        if answer.content_type:
            headers.append(("Content-Type", answer.content_type))
        if status == 200 and answer.validators:
            etag = f'"{hashlib.sha256(body).hexdigest()[:20]}"'
            last_modified = email.utils.format_datetime(FIXED_LAST_MODIFIED, usegmt=True)
            not_modified = False
            if scenario.etag:
                headers.append(("ETag", etag))
                tags = self.headers.get("If-None-Match", "")
                candidates = {t.strip().removeprefix("W/") for t in tags.split(",")}
                not_modified = etag in candidates
            if scenario.last_modified:
                headers.append(("Last-Modified", last_modified))
                since = self.headers.get("If-Modified-Since")
                if since and not self.headers.get("If-None-Match"):
                    with contextlib.suppress(TypeError, ValueError):
                        when = email.utils.parsedate_to_datetime(since)
                        not_modified = when >= FIXED_LAST_MODIFIED
            if scenario.max_age is not None:
                headers.append(("Cache-Control", f"max-age={scenario.max_age}, public"))
            if not_modified:
                status, body = 304, b""
                headers = [(k, v) for k, v in headers if k != "Content-Type"]
        if status == 200:
            # Warehouse's serial header; mirrors (bandersnatch) refuse pages without it.
            headers.append(("X-PyPI-Last-Serial", "1"))
        if not self.head:
            self.server.fixture._record_status(path, status)
        try:
            self.send_response(status)
            for key, value in headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body and not self.head:
                self.wfile.write(body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True


def _fail_mode(scenario: IndexScenario, path: str) -> FailMode | None:
    best: tuple[int, FailMode] | None = None
    for prefix, mode in scenario.fail.items():
        exact = prefix.endswith("$")
        if prefix == "*" or (path == prefix[:-1] if exact else path.startswith(prefix)):
            length = 0 if prefix == "*" else len(prefix)
            if best is None or length > best[0]:
                best = (length, mode)
    return best[1] if best else None


def _failure(mode: FailMode, path: str) -> _Answer:
    json_type = SIMPLE_JSON if path.startswith("/simple/") else "application/json"
    if mode.isdigit():
        after = (("Retry-After", "1"),) if mode == "429" else ()
        return _Answer(int(mode), b"", "text/plain", after, validators=False)
    if mode == "malformed":
        body = b'{"meta": {"api-version": "1.4"}, "files": ['
        return _Answer(200, body, json_type, validators=False)
    if mode == "wrong-shape":
        return _Answer(200, b'["not", "an", "object"]', json_type, validators=False)
    if mode == "content-type":
        return _Answer(200, b"hello", "text/plain", validators=False)
    raise ValueError(f"unknown fail mode {mode!r}")


def _redirect(status: int, location: str) -> _Answer:
    return _Answer(status, b"", None, (("Location", location),), validators=False)


def _wants_json(scenario: IndexScenario, accept: str | None) -> bool:
    """Content negotiation, simplified: JSON if the client lists it with a non-zero q."""
    if scenario.mode == "html-only" or not accept:
        return False
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        if media.lower() not in (SIMPLE_JSON, "application/vnd.pypi.simple.latest+json"):
            continue
        q = 1.0
        for param in params:
            if param.startswith("q="):
                with contextlib.suppress(ValueError):
                    q = float(param[2:])
        best_html = _best_q(accept, (SIMPLE_HTML, "text/html", "*/*"))
        return q > 0 and q >= best_html
    return False


def _best_q(accept: str, types: tuple[str, ...]) -> float:
    best = 0.0
    for item in accept.split(","):
        media, *params = (p.strip() for p in item.split(";"))
        if media.lower() in types:
            q = 1.0
            for param in params:
                if param.startswith("q="):
                    with contextlib.suppress(ValueError):
                        q = float(param[2:])
            best = max(best, q)
    return best


def _vary(scenario: IndexScenario) -> tuple[tuple[str, str], ...]:
    return (("Vary", "Accept"),) if scenario.mode == "negotiate" else ()


def _root_page(scenario: IndexScenario, accept: str | None) -> _Answer:
    names = [p.name for p in scenario.projects if p.visible] + list(scenario.extra_names)
    names.sort(key=canonicalize_name)
    if _wants_json(scenario, accept):
        doc = {
            "meta": {"api-version": API_VERSION, "_last-serial": 1},
            "projects": [{"name": n, "_last-serial": 1} for n in names],
        }
        return _Answer(200, json.dumps(doc).encode(), SIMPLE_JSON, _vary(scenario))
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
        "    <title>Simple index</title>",
        "  </head>",
        "  <body>",
    ]
    lines.extend(
        f'    <a href="{canonicalize_name(n)}/">{html.escape(n)}</a>' for n in names
    )
    lines.extend(["  </body>", "</html>", ""])
    return _Answer(200, "\n".join(lines).encode(), "text/html; charset=utf-8", _vary(scenario))


def _releases(project: FixtureProject) -> dict[str, list[FixtureFile]]:
    """Files grouped as Warehouse groups them: by canonical version (``1.0`` == ``1.0.0``).

    A release is spelled as its first file (or its ``empty_releases`` entry) spells it,
    because Warehouse keeps the version of the upload that created the release.
    """
    spelling: dict[str, str] = {}
    releases: dict[str, list[FixtureFile]] = {}
    for version in project.empty_releases:
        spelling.setdefault(canonicalize_version(version), version)
    for f in project.files:
        key = canonicalize_version(f.effective_version)
        releases.setdefault(spelling.setdefault(key, f.effective_version), []).append(f)
    for version in spelling.values():
        releases.setdefault(version, [])
    return releases


def _visible_versions(project: FixtureProject) -> list[str]:
    """PEP 700 ``versions``: like PyPI, only releases that still have files."""
    return sorted((v for v, files in _releases(project).items() if files), key=_sort_key)


def _sort_key(version: str) -> tuple[int, Any]:
    try:
        return (1, Version(version))
    except InvalidVersion:
        return (0, version)


def _project_page(
    scenario: IndexScenario, project: FixtureProject, accept: str | None, base: str
) -> _Answer:
    root = base.rstrip("/")
    if _wants_json(scenario, accept):
        files = []
        for f in project.files:
            entry: dict[str, Any] = {
                "filename": f.filename,
                "url": root + f.path,
                "hashes": {"sha256": f.effective_sha256},
                "requires-python": f.requires_python,
                "size": f.effective_size,
                "yanked": f.yanked,
                "core-metadata": False,
                "data-dist-info-metadata": False,
                "provenance": None,
            }
            if f.upload_time is not None:
                entry["upload-time"] = _iso_z(f.upload_time)
            files.append(entry)
        doc: dict[str, Any] = {
            "meta": {"api-version": API_VERSION, "_last-serial": 1},
            "name": project.normalized,
            "files": files,
            "versions": _visible_versions(project),
        }
        if project.status is not None:
            status: dict[str, str] = {"status": project.status}
            if project.status_reason:
                status["reason"] = project.status_reason
            doc["project-status"] = status
        return _Answer(200, json.dumps(doc).encode(), SIMPLE_JSON, _vary(scenario))

    esc = html.escape
    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "  <head>",
        f'    <meta name="pypi:repository-version" content="{API_VERSION}">',
    ]
    if project.status is not None:
        lines.append(f'    <meta name="pypi:project-status" content="{esc(project.status)}">')
        if project.status_reason:
            lines.append(
                f'    <meta name="pypi:project-status-reason" '
                f'content="{esc(project.status_reason)}">'
            )
    lines += [
        f"    <title>Links for {esc(project.name)}</title>",
        "  </head>",
        "  <body>",
        f"    <h1>Links for {esc(project.name)}</h1>",
    ]
    for f in project.files:
        attrs = [f'href="{esc(root + f.path)}#sha256={f.effective_sha256}"']
        if f.requires_python:
            attrs.append(f'data-requires-python="{esc(f.requires_python)}"')
        if f.yanked is not False:
            reason = f.yanked if isinstance(f.yanked, str) else ""
            attrs.append(f'data-yanked="{esc(reason)}"')
        if scenario.html_upload_time and f.upload_time is not None:
            attrs.append(f'data-upload-time="{_iso_z(f.upload_time)}"')
        lines.append(f"    <a {' '.join(attrs)}>{esc(f.filename)}</a><br />")
    lines += ["  </body>", "</html>", ""]
    content_type = "text/html; charset=utf-8"
    return _Answer(200, "\n".join(lines).encode(), content_type, _vary(scenario))


def _json_api(project: FixtureProject, base: str) -> _Answer:
    root = base.rstrip("/")
    releases: dict[str, list[dict[str, Any]]] = {}
    for version, files in _releases(project).items():
        releases[version] = [_json_api_file(f, root) for f in files]
    latest = max(releases, key=_sort_key) if releases else None
    doc = {
        "info": {"name": project.name, "version": latest, "yanked": False, "yanked_reason": None},
        "last_serial": 1,
        "releases": releases,
        "urls": releases.get(latest, []) if latest else [],
        "vulnerabilities": [],
    }
    return _Answer(200, json.dumps(doc).encode(), "application/json")


def _json_api_file(f: FixtureFile, root: str) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "comment_text": "",
        "digests": {
            "blake2b_256": f.effective_blake2_256,
            "md5": f.effective_md5,
            "sha256": f.effective_sha256,
        },
        "downloads": -1,
        "filename": f.filename,
        "has_sig": False,
        "md5_digest": f.effective_md5,
        "packagetype": f.effective_packagetype,
        "python_version": "source" if f.effective_packagetype == "sdist" else "py3",
        "requires_python": f.requires_python,
        "size": f.effective_size,
        "url": root + f.path,
        "yanked": f.yanked is not False,
        "yanked_reason": f.yanked if isinstance(f.yanked, str) and f.yanked else None,
    }
    if f.upload_time is not None:
        entry["upload_time"] = _utc(f.upload_time).strftime("%Y-%m-%dT%H:%M:%S")
        entry["upload_time_iso_8601"] = _iso_z(f.upload_time)
    return entry


def iter_fixture_names(count: int, prefix: str = "fixture-project") -> Iterator[str]:
    """``count`` distinct display names (``fixture-project-0``, ...) for big root lists."""
    for i in range(count):
        yield f"{prefix}-{i}"
