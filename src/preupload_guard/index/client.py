"""The index client: what a package index says about a project, as typed facts.

This is the only module that talks to an index (parsing is done by its neighbours:
``simple.py`` for project pages, ``jsonapi.py`` for the JSON API and the merge,
``name_list.py`` for the project list). It asks three things:

* the **project page** of the simple API (``<index>/<name>/``), preferring PEP 691 JSON and
  accepting PEP 503 HTML, because that is the one API every index has;
* the **JSON API** (``<json-api>/<name>/json``) when the index is Warehouse-like, because on
  some networks PyPI answers the simple API in HTML only and the JSON API is then the only
  source of sizes, upload times, blake2 digests, package types and file-less releases;
* the **project list** at the simple root, only for name-similarity questions, because it
  is ~40 MB on PyPI and is therefore streamed, reduced to one short line per name and cached.

Everything comes back as :mod:`preupload_guard.model.facts` objects. Whenever no trustworthy
answer can be had, :class:`~preupload_guard.model.facts.IndexUnreachable` is raised: a
half-read page must never look like "the index has no such file", which would turn a
refusal into a pass.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from packaging.utils import (
    canonicalize_name,
)

from preupload_guard.index.http import make_session
from preupload_guard.index.jsonapi import ApiProject, merge, parse_json_api
from preupload_guard.index.name_list import (
    CHUNK,
    NAMES_FORMAT,
    NameTable,
    atomic_write,
    read_names_cache,
    stream_names,
)
from preupload_guard.index.simple import (
    PROJECT_ACCEPT,
    SIMPLE_HTML,
    SIMPLE_JSON,
    BadShape,
    Unreadable,
    is_json_type,
    media_type,
    parse_html_page,
    parse_json_page,
)
from preupload_guard.model.facts import (
    IndexUnreachable,
    ProjectState,
)
from preupload_guard.model.names import ultranormalize_name

if TYPE_CHECKING:
    pass

__all__ = ["PROJECT_ACCEPT", "ROOT_ACCEPT", "Index"]

#: Project pages are never answered from the cache unasked: PyPI lets its pages be cached for
#: minutes (``max-age``), and a page from before an upload would hide the files just uploaded.
#: ``max-age=0`` makes the cache revalidate (``If-None-Match``: a cheap 304 when unchanged).
REVALIDATE = {"Cache-Control": "max-age=0"}
#: The largest project page or JSON API document read (decoded): PyPI's biggest pages are a
#: few MiB; a body past this is hostile or not a project page, and is not held in memory.
MAX_DOCUMENT = 64 * 1024 * 1024
#: The largest project-name list read (decoded). PyPI's is ~40 MB of HTML; past this an
#: answer is hostile, and stopping there also bounds the reduced list kept in memory.
MAX_NAME_LIST = 256 * 1024 * 1024
#: The name list may take this many times the timeout as a whole (a project page gets one
#: timeout): ~40 MB is more than a page, but a trickling server must still end.
NAME_LIST_TIMEOUTS = 4
#: The root list is regex-scanned, and HTML anchors are the most compact form; JSON is
#: accepted too (``projects[].name``), for indexes that only speak JSON.
ROOT_ACCEPT = f"{SIMPLE_HTML}, text/html;q=0.9, {SIMPLE_JSON};q=0.5"

# -- error descriptions ----------------------------------------------------------------


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the exceptions wrapped in its args/reason, and its context, once each."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [a for a in current.args if isinstance(a, BaseException)]
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            wrapped.append(reason)
        for nested in (current.__cause__, current.__context__):
            if nested is not None:
                wrapped.append(nested)
        stack.extend(wrapped)


def _describe(exc: requests.RequestException, timeout: float) -> str:
    """A short, human reason for a failed request (the full urllib3 repr is unreadable)."""
    import socket

    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

    causes = list(_causes(exc))
    if any(isinstance(c, ReadTimeoutError) for c in causes) or isinstance(
        exc, requests.ReadTimeout
    ):
        return f"no answer within {timeout:g} s (timed out)"
    if any(isinstance(c, socket.gaierror) for c in causes) or "NameResolution" in repr(exc):
        return "host name could not be resolved"
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in repr(exc):
        return "connection refused"
    if isinstance(exc, requests.ConnectTimeout) or any(
        isinstance(c, ConnectTimeoutError) and not isinstance(c, NewConnectionError)
        for c in causes
    ):
        return f"could not connect within {timeout:g} s (timed out)"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS/SSL error"
    if isinstance(exc, requests.TooManyRedirects):
        return "too many redirects"
    if isinstance(exc, requests.exceptions.RetryError):
        return "the index kept failing after retries"
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ContentDecodingError)):
        return "the answer was cut off or garbled"
    if isinstance(exc, requests.ConnectionError):
        return "connection failed"
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."


# -- the client ------------------------------------------------------------------------


class _Slot:
    """One project's memoized answer; its lock makes concurrent callers wait for one fetch."""

    __slots__ = ("done", "error", "lock", "result")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.done = False
        self.result: ProjectState | None = None
        self.error: IndexUnreachable | None = None


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"


class Index:
    """A package index, asked lazily and at most once per project.

    ``index_url`` is the simple API root (``.../simple/``); ``json_api_url`` the JSON API
    root (``.../pypi/``) for Warehouse-like indexes, or ``None``. ``cache_dir`` holds the
    HTTP cache and the project-name list (``None``: nothing touches the disk). ``timeout``
    is applied to every request; ``names_ttl`` is how long (seconds) a cached project-name
    list is used before it is revalidated. A ``session`` may be injected (tests, custom
    auth); otherwise one is built with :func:`preupload_guard.index.http.make_session`.

    Thread-safe: the runner asks from a thread pool, and concurrent questions about one
    project share a single fetch.
    """

    def __init__(
        self,
        index_url: str,
        json_api_url: str | None = None,
        *,
        cache_dir: Path | None = None,
        timeout: float = 30.0,
        names_ttl: float = 3600.0,
        session: requests.Session | None = None,
    ) -> None:
        self.index_url: str = _with_slash(index_url)
        self.json_api_url: str | None = _with_slash(json_api_url) if json_api_url else None
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.timeout = timeout
        self.names_ttl = names_ttl
        self._own_session = session is None
        self._session = session if session is not None else make_session(cache_dir, timeout)
        self._bulk_session: requests.Session | None = None
        self._lock = threading.Lock()
        self._slots: dict[str, _Slot] = {}
        #: ``None`` until the root was asked, then ``False`` (fine) or the error.
        self._root_checked: IndexUnreachable | bool | None = None
        self._root_lock = threading.Lock()
        self._names_lock = threading.Lock()
        self._names: NameTable | None = None
        self._names_error: IndexUnreachable | None = None
        #: Age in seconds of the project-name list in use when it came from the disk cache
        #: (``0.0`` when just downloaded); ``None`` before it is loaded.
        self.names_age: float | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the sessions this index created (an injected session is left open)."""
        if self._own_session:
            self._session.close()
        if self._bulk_session is not None and self._bulk_session is not self._session:
            self._bulk_session.close()
            self._bulk_session = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Index({self.index_url!r}, {self.json_api_url!r})"

    # -- project pages -----------------------------------------------------------------

    def project_url(self, name: str) -> str:
        """The simple-API page of ``name`` (normalized, as PEP 503 wants)."""
        return self.index_url + quote(canonicalize_name(name)) + "/"

    def project(self, name: str) -> ProjectState:
        """What the index says about ``name``; ``exists=False`` when it answers 404.

        Asked once per project per instance, even from several threads at once; a failure
        is remembered too, so that N checks do not each wait for the same timeout.
        Raises :class:`IndexUnreachable`.
        """
        canonical = canonicalize_name(name)
        with self._lock:
            slot = self._slots.get(canonical)
            if slot is None:
                slot = self._slots[canonical] = _Slot()
        with slot.lock:
            if not slot.done:
                try:
                    slot.result = self._fetch_project(canonical)
                except IndexUnreachable as exc:
                    slot.error = exc
                slot.done = True
        if slot.error is not None:
            raise IndexUnreachable(slot.error.url, slot.error.reason)
        assert slot.result is not None
        return slot.result

    def _get(
        self,
        session: requests.Session,
        url: str,
        accept: str,
        *,
        stream: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        try:
            return session.get(
                url,
                headers={"Accept": accept, **(headers or {})},
                timeout=self.timeout,
                stream=stream,
                allow_redirects=True,
            )
        except requests.RequestException as exc:
            raise IndexUnreachable(url, _describe(exc, self.timeout)) from None

    @staticmethod
    def _fail_status(response: requests.Response, url: str) -> IndexUnreachable:
        status = response.status_code
        text = f"HTTP {status} {response.reason or ''}".strip()
        if status >= 500 or status == 429:
            text += " (after retries)"
        else:
            text += " (unexpected answer)"
        response.close()
        return IndexUnreachable(url, text)

    def _body(self, response: requests.Response, url: str,
              cap: int = MAX_DOCUMENT) -> bytes:
        """The whole body of a streamed ``response``, within ``cap`` decoded bytes and the
        timeout for the whole transfer. An aborted body is never complete, so the HTTP cache
        never stores it."""
        body = b"".join(self._bounded_chunks(response, url, 64 * 1024, cap, self.timeout,
                                             "not a project page"))
        response._content = body  # type: ignore[attr-defined]  # for the decoders below
        return body

    def _bounded_chunks(self, response: requests.Response, url: str, chunk_size: int,
                        cap: int, seconds: float, what: str) -> Iterator[bytes]:
        """The decoded chunks of a streamed ``response``, stopped past ``cap`` bytes or
        ``seconds`` for the whole transfer (requests' timeout bounds each socket read only,
        so a server trickling a byte a second would hold it forever). Every way it can end
        early is an :class:`IndexUnreachable`; the response is closed either way."""
        size = 0
        late = threading.Event()

        def abort() -> None:  # a read blocked on a trickle ends when the socket closes
            late.set()
            # close() does not wake a thread blocked in recv(); shutdown() does.
            with contextlib.suppress(Exception):
                sock = getattr(getattr(response.raw, "_connection", None), "sock", None)
                if sock is None:
                    sock = response.raw._fp.fp.raw._sock  # http.client's socket file
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(Exception):
                response.raw.close()

        watchdog = threading.Timer(seconds, abort)
        watchdog.daemon = True
        watchdog.start()
        try:
            for chunk in response.iter_content(chunk_size):
                size += len(chunk)
                if size > cap:
                    raise IndexUnreachable(
                        url, f"the answer is larger than {cap // 2**20} MiB (decoded); {what}")
                if late.is_set():
                    break
                yield chunk
        except (requests.RequestException, OSError, ValueError, AttributeError) as exc:
            if not late.is_set():
                if isinstance(exc, requests.RequestException):
                    raise IndexUnreachable(url, _describe(exc, self.timeout)) from None
                raise IndexUnreachable(url, f"the answer broke off ({exc})") from None
        finally:
            watchdog.cancel()
            response.close()
        if late.is_set():
            raise IndexUnreachable(url, f"the answer did not arrive within {seconds:g} s")

    def _check_root(self) -> None:
        """A 404 for a project means "new project" only if the index itself exists: asked
        once per run (a HEAD of the root, cheap even on PyPI), so that a wrong index URL is
        reported as such instead of making every project look new."""
        with self._root_lock:
            if self._root_checked is not None:
                error = self._root_checked or None
            else:
                error = None
                try:
                    head = self._session.head(self.index_url, timeout=self.timeout,
                                              allow_redirects=True,
                                              headers={"Accept": PROJECT_ACCEPT})
                    head.close()
                    if head.status_code in (404, 410):
                        error = IndexUnreachable(
                            self.index_url,
                            f"HTTP {head.status_code} for the index root too: this is not a "
                            "package index (check --index-url / the repository URL)")
                except requests.RequestException as exc:
                    error = IndexUnreachable(self.index_url, _describe(exc, self.timeout))
                self._root_checked = error or False
        if isinstance(error, IndexUnreachable):
            raise IndexUnreachable(error.url, error.reason)

    def _fetch_project(self, canonical: str) -> ProjectState:
        url = self.project_url(canonical)
        response = self._get(self._session, url, PROJECT_ACCEPT, headers=REVALIDATE,
                             stream=True)
        if response.status_code == 404:
            response.close()
            self._check_root()
            return ProjectState(name=canonical, exists=False, url=url)
        if response.status_code != 200:
            raise self._fail_status(response, url)
        final_url = response.url or url
        media = media_type(response)
        self._body(response, url)
        # The content type is dispatched here rather than by ``ProjectPage.from_response``:
        # HTML pages need their raw link attributes too, and are decoded as UTF-8 by us.
        try:
            if media == SIMPLE_JSON:
                page = parse_json_page(self._json_body(response, url), final_url)
            elif media in (SIMPLE_HTML, "text/html"):
                page = parse_html_page(self._text_body(response), final_url, canonical)
            else:
                raise IndexUnreachable(url, f"unexpected content type {media or 'none'!r}")
        except Unreadable as exc:
            raise IndexUnreachable(url, str(exc)) from None
        api = self._fetch_json_api(canonical) if self.json_api_url else None
        return merge(canonical, page, api)

    @staticmethod
    def _text_body(response: requests.Response) -> str:
        # requests guesses ISO-8859-1 for text/* without a charset; PEP 503 pages are UTF-8.
        declared = "charset" in response.headers.get("Content-Type", "").lower()
        encoding = (response.encoding if declared else None) or "utf-8"
        try:
            return response.content.decode(encoding, errors="replace")
        except LookupError:
            return response.content.decode("utf-8", errors="replace")

    @staticmethod
    def _json_body(response: requests.Response, url: str) -> Any:
        try:
            return json.loads(response.content)
        except ValueError as exc:
            raise IndexUnreachable(url, f"malformed JSON ({exc.__class__.__name__})") from None

    def _fetch_json_api(self, canonical: str) -> ApiProject | None:
        assert self.json_api_url is not None
        url = self.json_api_url + quote(canonical) + "/json"
        response = self._get(self._session, url, "application/json", headers=REVALIDATE,
                             stream=True)
        if response.status_code == 404:
            # Normal: Warehouse answers 404 for a project without any visible release.
            response.close()
            return None
        if response.status_code != 200:
            raise self._fail_status(response, url)
        media = media_type(response)
        if not is_json_type(media):
            response.close()
            raise IndexUnreachable(url, f"unexpected content type {media or 'none'!r}")
        self._body(response, url)
        try:
            return parse_json_api(self._json_body(response, url))
        except BadShape as exc:
            raise IndexUnreachable(url, f"unexpected JSON: {exc}") from None

    # -- similar names -----------------------------------------------------------------

    def similar_project(self, name: str) -> str | None:
        """The display name of an existing project "too similar" to ``name``, else ``None``.

        Similar means Warehouse's rule: same :func:`ultranormalize_name`, different
        canonical name (the project itself is not similar to itself). Needs the whole
        project list, fetched at most once per instance and cached on disk for
        ``names_ttl`` seconds. Quarantined projects are missing from every public list, so
        a clash with one cannot be seen here. Raises :class:`IndexUnreachable`.
        """
        key = ultranormalize_name(name).encode("utf-8", "replace")
        if not key or any(c in key for c in b"\t\n\r"):
            return None
        own = canonicalize_name(name)
        for display in self._load_names().lookup(key):
            if canonicalize_name(display) != own:
                return display
        return None

    def _names_paths(self) -> tuple[Path, Path] | None:
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(self.index_url.encode("utf-8")).hexdigest()[:24]
        folder = self.cache_dir / "names"
        return folder / f"{digest}.tsv", folder / f"{digest}.json"

    def _load_names(self) -> NameTable:
        with self._names_lock:
            if self._names is not None:
                return self._names
            if self._names_error is not None:
                raise IndexUnreachable(self._names_error.url, self._names_error.reason)
            try:
                self._names = self._obtain_names()
            except IndexUnreachable as exc:
                self._names_error = exc
                raise
            return self._names

    def _obtain_names(self) -> NameTable:
        """The name table: from the disk cache if fresh, revalidated if stale, else fetched."""
        paths = self._names_paths()
        meta: dict[str, Any] | None = None
        table: bytes | None = None
        if paths is not None:
            meta, table = read_names_cache(*paths, index_url=self.index_url)
        now = time.time()
        if meta is not None and table is not None:
            age = max(0.0, now - float(meta["fetched_at"]))
            if age < self.names_ttl:
                self.names_age = age
                return NameTable([table])
        conditional: dict[str, str] = {}
        if meta is not None and table is not None:
            if meta.get("etag"):
                conditional["If-None-Match"] = str(meta["etag"])
            if meta.get("last_modified"):
                conditional["If-Modified-Since"] = str(meta["last_modified"])

        url = self.index_url
        response = self._get(
            self._names_session(), url, ROOT_ACCEPT, stream=True, headers=conditional
        )
        try:
            if response.status_code == 304 and table is not None and meta is not None:
                meta["fetched_at"] = now
                if paths is not None:
                    with contextlib.suppress(OSError):
                        atomic_write(paths[1], [json.dumps(meta).encode("utf-8")])
                self.names_age = 0.0
                return NameTable([table])
            table = None  # the old list is no longer needed: free it before downloading
            if response.status_code != 200:
                raise self._fail_status(response, url)
            token = uuid.uuid4().hex
            header = f"# preupload-guard project names v{NAMES_FORMAT} {token}\n".encode()
            media = media_type(response)
            new_meta = {
                "format": NAMES_FORMAT,
                "index_url": self.index_url,
                "token": token,
                "fetched_at": now,
                "etag": response.headers.get("ETag"),
                "last_modified": response.headers.get("Last-Modified"),
            }
            # The reduced list (a third of the HTML) is kept in memory as the per-chunk
            # blocks and written out afterwards: a disk error half-way must not leave us
            # with half a list, and never joining the blocks keeps one copy in memory.
            blocks: list[bytes] = [header]
            new_meta["count"] = self._scan(response, media, blocks, url)
            if paths is not None:
                with contextlib.suppress(OSError):
                    paths[0].parent.mkdir(parents=True, exist_ok=True)
                    atomic_write(paths[0], blocks)
                    atomic_write(paths[1], [json.dumps(new_meta).encode("utf-8")])
            self.names_age = 0.0
            return NameTable(blocks)
        finally:
            response.close()

    def _scan(
        self, response: requests.Response, media: str, blocks: list[bytes], url: str
    ) -> int:
        chunks = self._bounded_chunks(response, url, CHUNK, MAX_NAME_LIST,
                                      self.timeout * NAME_LIST_TIMEOUTS, "not a project list")
        try:
            return stream_names(chunks, media, blocks.append)
        except ValueError as exc:  # what stream_names says of the list itself
            raise IndexUnreachable(url, str(exc)) from None
        finally:
            chunks.close()  # stops the watchdog now, not when the generator is collected

    def _names_session(self) -> requests.Session:
        """The list is downloaded without the HTTP cache: we cache the reduced form ourselves
        (a third of the size), and CacheControl would tee 40 MB into a temp file first."""
        if not self._own_session:
            return self._session
        if self._bulk_session is None:
            self._bulk_session = make_session(None, self.timeout)
        return self._bulk_session


