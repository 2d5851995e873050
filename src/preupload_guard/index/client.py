"""The index client: what a package index says about a project, as typed facts.

This is the only module that talks to an index. It asks three things:

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
import functools
import hashlib
import html
import json
import os
import re
import tempfile
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from preupload_guard.index.http import make_session
from preupload_guard.model.facts import (
    IndexFile,
    IndexUnreachable,
    ProjectState,
    Release,
    release_key,
)
from preupload_guard.model.names import ultranormalize_name

if TYPE_CHECKING:
    from pypi_simple import ProjectPage

__all__ = [
    "PROJECT_ACCEPT",
    "ROOT_ACCEPT",
    "Index",
    "package_type_from_filename",
    "version_from_filename",
]

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"

#: Project pages: JSON carries sizes and upload times (PEP 700), so ask for it first.
PROJECT_ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, text/html;q=0.01"
#: Project pages are never answered from the cache unasked: PyPI lets its pages be cached for
#: minutes (``max-age``), and a page from before an upload would hide the files just uploaded.
#: ``max-age=0`` makes the cache revalidate (``If-None-Match``: a cheap 304 when unchanged).
REVALIDATE = {"Cache-Control": "max-age=0"}
#: The root list is regex-scanned, and HTML anchors are the most compact form; JSON is
#: accepted too (``projects[].name``), for indexes that only speak JSON.
ROOT_ACCEPT = f"{SIMPLE_HTML}, text/html;q=0.9, {SIMPLE_JSON};q=0.5"

#: Streaming chunk for the root list: large enough that the regex dominates, small enough
#: that memory stays flat however big the index is.
_CHUNK = 1 << 20
#: The longest unterminated tail carried between chunks; an anchor is never this long.
_MAX_CARRY = 1 << 16

_NAMES_FORMAT = 1


# -- small parsing helpers -------------------------------------------------------------


def version_from_filename(filename: str) -> str | None:
    """The (normalized) version in a distribution filename, or ``None`` if it has none.

    Used only when the index does not say which release a file belongs to (simple API
    without the JSON API). Legacy names that packaging rejects give ``None`` rather than an
    error: an unknown version only weakens the release checks for that file.
    """
    try:
        if filename.endswith(".whl"):
            return str(parse_wheel_filename(filename)[1])
        if filename.endswith((".tar.gz", ".zip")):
            return str(parse_sdist_filename(filename)[1])
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    for suffix in (".tar.bz2", ".tgz", ".tar.xz", ".tar"):
        if filename.endswith(suffix):
            stem = filename[: -len(suffix)]
            return _valid_version(stem.rpartition("-")[2]) if "-" in stem else None
    if filename.endswith(".egg"):
        parts = filename[: -len(".egg")].split("-")
        return _valid_version(parts[1]) if len(parts) >= 2 else None
    return None


def _valid_version(text: str) -> str | None:
    try:
        return str(Version(text))
    except InvalidVersion:
        return None


_TYPE_BY_SUFFIX = (
    (".whl", "bdist_wheel"),
    (".tar.gz", "sdist"),
    (".zip", "sdist"),
    (".egg", "bdist_egg"),
    (".exe", "bdist_wininst"),
    (".msi", "bdist_msi"),
    (".rpm", "bdist_rpm"),
    (".dmg", "bdist_dmg"),
)


def package_type_from_filename(filename: str) -> str | None:
    """Warehouse's ``packagetype`` guessed from the extension, as twine derives it.

    Only a guess: a ``bdist_dumb`` is a ``.tar.gz`` or ``.zip`` as well. The JSON API's
    ``packagetype`` wins whenever it is available.
    """
    for suffix, kind in _TYPE_BY_SUFFIX:
        if filename.endswith(suffix):
            return kind
    return None


_TIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"\s*(Z|z|[+-]\d{2}:?\d{2})?"
)


def _parse_time(value: Any) -> datetime | None:
    """ISO 8601 (``...Z``, an offset, or naive meaning UTC) to an aware UTC datetime.

    Hand-rolled because Python 3.10's ``fromisoformat`` rejects ``Z`` and 9-digit fractions.
    Unparseable values give ``None`` (unknown), never a guess.
    """
    if not isinstance(value, str):
        return None
    m = _TIME_RE.fullmatch(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac, zone = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        dt = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), micro,
            tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    if zone and zone not in ("Z", "z"):
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        dt -= sign * offset
    return dt


_WAREHOUSE_PATH = re.compile(r"/packages/([0-9a-f]{2})/([0-9a-f]{2})/([0-9a-f]{60})/[^/]+\Z")


def _blake2_from_url(url: str) -> str | None:
    """Warehouse stores files at ``/packages/<b2[:2]>/<b2[2:4]>/<b2[4:]>/<filename>``."""
    m = _WAREHOUSE_PATH.search(urlsplit(url).path.lower())
    return "".join(m.groups()) if m else None


def _media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _is_json_type(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


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


class _Shape(Exception):
    """A JSON document that parsed but is not what the API promises."""


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise _Shape(what)


def _opt_str(value: Any, what: str) -> str | None:
    _expect(value is None or isinstance(value, str), f"{what} is not a string")
    return value


def _opt_int(value: Any, what: str) -> int | None:
    _expect(
        value is None or (isinstance(value, int) and not isinstance(value, bool)),
        f"{what} is not an integer",
    )
    return value


# -- raw pages -------------------------------------------------------------------------


@dataclass
class _RawFile:
    """A file as one source lists it, before the sources are merged."""

    filename: str
    url: str | None = None
    size: int | None = None
    sha256: str | None = None
    blake2_256: str | None = None
    upload_time: datetime | None = None
    package_type: str | None = None
    yanked: bool = False
    version: str | None = None  # the JSON API release key, when known


@dataclass
class _Page:
    kind: str  # "simple-json" or "simple-html"
    url: str
    name: str | None
    files: list[_RawFile]
    versions: list[str] | None = None
    status: str | None = None
    status_reason: str | None = None


@dataclass
class _ApiProject:
    name: str | None
    releases: dict[str, list[_RawFile]]


@functools.cache
def _pypi_simple() -> ModuleType:
    """pypi-simple, imported on first use.

    Its import costs ~0.2 s (pydantic models, Beautiful Soup) that ``--offline`` and
    ``--help`` runs never need, so it is imported only on the way to a project page.

    pypi-simple warns when a page declares a newer *minor* repository version (PEP 629). Such
    a page is still readable, and a stray Python warning on stderr is not part of our report,
    so that warning is silenced, but only when it is raised from a call made by this module.
    """
    import pypi_simple

    warnings.filterwarnings(
        "ignore",
        category=pypi_simple.UnexpectedRepoVersionWarning,
        module=re.escape(__name__) + r"\Z",
    )
    return pypi_simple


class _Unreadable(Exception):
    """A project page that arrived whole but cannot be read; the text is the short reason."""


def _validation_reason(exc: ValueError) -> str:
    """pydantic's errors (pypi-simple validates PEP 691 pages with pydantic models) as one
    short line: where the page is wrong, not the multi-line report pydantic prints."""
    errors = exc.errors()  # type: ignore[attr-defined]
    problems: list[str] = []
    for error in errors[:3]:
        loc = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.get("loc", ())
        ).lstrip(".")
        if error.get("type") == "missing":
            problems.append(f"'{loc}' is missing")
        elif not loc:
            problems.append("the page is not a JSON object")
        else:
            problems.append(f"{loc}: {error.get('msg', 'invalid')}")
    if len(errors) > 3:
        problems.append(f"{len(errors) - 3} more")
    return "unexpected JSON: " + "; ".join(problems)


def _page_error(exc: Exception, ps: ModuleType) -> _Unreadable:
    """One of pypi-simple's exceptions as the short reason shown in the finding."""
    if isinstance(exc, ps.UnsupportedRepoVersionError):
        reason = _unsupported_version(exc.declared_version)
    elif isinstance(exc, InvalidVersion):  # an api-version / repository-version that is no version
        reason = f"unreadable repository version ({exc})"
    elif isinstance(exc, ValueError) and callable(getattr(exc, "errors", None)):
        # pydantic.ValidationError, recognized by shape: pydantic is pypi-simple's
        # dependency, not ours.
        reason = _validation_reason(exc)
    else:
        text = str(exc) or exc.__class__.__name__
        reason = f"unreadable page ({text if len(text) <= 200 else text[:197] + '...'})"
    return _Unreadable(reason)


def _parse_json_page(data: Any, url: str) -> _Page:
    """A PEP 691 project page, validated and read by pypi-simple. Raises :class:`_Unreadable`."""
    ps = _pypi_simple()
    try:
        project = ps.ProjectPage.from_json_data(data, url)
    except (ValueError, ps.UnsupportedRepoVersionError) as exc:
        declared = _declared_api_version(data)
        if declared is not None and not isinstance(exc, ps.UnsupportedRepoVersionError):
            # pypi-simple validates the shape before it checks the version, but a page of a
            # newer major version is expected to have another shape (PEP 629): say so.
            with contextlib.suppress(InvalidVersion):
                if Version(declared).major > 1:
                    raise _Unreadable(_unsupported_version(declared)) from None
        raise _page_error(exc, ps) from None
    return _page_from(project, "simple-json", url, name=project.project)


def _declared_api_version(data: Any) -> str | None:
    """``meta.api-version`` of a JSON page that failed validation, if it has one."""
    meta = data.get("meta") if isinstance(data, dict) else None
    version = meta.get("api-version") if isinstance(meta, dict) else None
    return version if isinstance(version, str) else None


def _unsupported_version(version: str) -> str:
    return f"unsupported repository version {version} (need 1.x)"


#: ``<title>`` of a PEP 503 page ("Links for <name>"), the only place it gives the display
#: name; pypi-simple does not read it.
_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _parse_html_page(text: str, url: str, project: str) -> _Page:
    """A PEP 503 project page, read by pypi-simple. Raises :class:`_Unreadable`.

    The page is parsed once, as pypi-simple's :class:`RepositoryPage`, and its links are
    turned into a :class:`ProjectPage` exactly as ``ProjectPage.from_html`` does. Parsing it
    a second time just for ``data-upload-time`` (which ``ProjectPage`` drops, but which PyPI
    sends on this network when JSON is asked for) would double the cost of a big page.
    Anchors with an empty ``href`` point at the page itself and are not files.
    """
    ps = _pypi_simple()
    try:
        repo = ps.RepositoryPage.from_html(text, url)
    except (ValueError, ps.UnsupportedRepoVersionError) as exc:
        raise _page_error(exc, ps) from None
    except Exception as exc:
        # Beautiful Soup's ParserRejectedMarkup (bs4 is pypi-simple's dependency, not ours,
        # and the class has moved between its versions): markup it cannot read at all.
        raise _Unreadable(f"unreadable HTML ({exc.__class__.__name__})") from None
    try:
        status = repo.status
    except ValueError:  # a marker PEP 792 does not define, refused as on a JSON page
        marker = repo.pypi_meta["project-status"][0]
        raise _Unreadable(f"unknown project status {marker!r}") from None
    links = [link for link in repo.links if link.attrs.get("href")]
    page = ps.ProjectPage(
        project=project,
        packages=[ps.DistributionPackage.from_link(link, project) for link in links],
        repository_version=repo.repository_version,
        last_serial=None,
        tracks=repo.tracks,
        alternate_locations=repo.alternate_locations,
        status=status,
        status_reason=repo.status_reason,
    )
    name = None
    title = _TITLE.search(text)
    if title:
        title_text = html.unescape(_TAG.sub("", title.group(1))).strip()
        name = title_text.removeprefix("Links for ").strip() or None
    times = [link.attrs.get("data-upload-time") for link in links]
    return _page_from(page, "simple-html", url, name=name, upload_times=times)


def _page_from(
    page: ProjectPage,
    kind: str,
    url: str,
    *,
    name: str | None,
    upload_times: list[Any] | None = None,
) -> _Page:
    """Our raw page from pypi-simple's :class:`ProjectPage`, for either format.

    ``upload_times`` are the raw ``data-upload-time`` attributes of an HTML page, one per
    package; a JSON page's times come from pypi-simple itself. Hashes are lowercased (they
    are compared with ours), naive times mean UTC, and a link without text is named after
    the last segment of its URL.
    """
    files: list[_RawFile] = []
    for i, package in enumerate(page.packages):
        filename = package.filename or unquote(
            urlsplit(package.url).path.rstrip("/").rpartition("/")[2]
        )
        if not filename:
            continue
        digests = {algo.lower(): value for algo, value in package.digests.items()}
        if upload_times is not None:
            upload_time = _parse_time(upload_times[i])
        else:
            upload_time = _as_utc(package.upload_time)
        files.append(
            _RawFile(
                filename=filename,
                url=package.url,
                size=package.size,
                sha256=_lower(digests.get("sha256")),
                blake2_256=_lower(digests.get("blake2b_256")) or _blake2_from_url(package.url),
                upload_time=upload_time,
                yanked=package.is_yanked,
            )
        )
    return _Page(
        kind=kind,
        url=url,
        name=name,
        files=files,
        versions=page.versions,
        status=page.status.value if page.status is not None else None,
        status_reason=page.status_reason,
    )


def _as_utc(value: datetime | None) -> datetime | None:
    """pydantic keeps the page's offset and leaves naive times naive; we use aware UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _parse_json_api(data: Any) -> _ApiProject:
    _expect(isinstance(data, dict), "the answer is not a JSON object")
    info = data.get("info")
    _expect(isinstance(info, dict), "'info' is missing")
    releases = data.get("releases")
    _expect(isinstance(releases, dict), "'releases' is not an object")
    result: dict[str, list[_RawFile]] = {}
    for version, entries in releases.items():
        _expect(isinstance(entries, list), f"releases[{version!r}] is not a list")
        files: list[_RawFile] = []
        for i, entry in enumerate(entries):
            where = f"releases[{version!r}][{i}]"
            _expect(isinstance(entry, dict), f"{where} is not an object")
            filename = entry.get("filename")
            _expect(isinstance(filename, str) and bool(filename), f"{where}.filename is missing")
            digests = entry.get("digests") or {}
            _expect(isinstance(digests, dict), f"{where}.digests is not an object")
            upload = entry.get("upload_time_iso_8601") or entry.get("upload_time")
            yanked = entry.get("yanked", False)
            _expect(isinstance(yanked, bool), f"{where}.yanked is not a bool")
            files.append(
                _RawFile(
                    filename=filename,
                    size=_opt_int(entry.get("size"), f"{where}.size"),
                    sha256=_lower(_opt_str(digests.get("sha256"), f"{where}.digests.sha256")),
                    blake2_256=_lower(
                        _opt_str(digests.get("blake2b_256"), f"{where}.digests.blake2b_256")
                    ),
                    upload_time=_parse_time(upload),
                    package_type=_opt_str(entry.get("packagetype"), f"{where}.packagetype"),
                    yanked=yanked,
                    version=version,
                )
            )
        result[version] = files
    return _ApiProject(name=_opt_str(info.get("name"), "info.name"), releases=result)


# -- merging ---------------------------------------------------------------------------


def _merge(canonical: str, page: _Page, api: _ApiProject | None) -> ProjectState:
    """One :class:`ProjectState` from the simple page and (optionally) the JSON API.

    The simple page decides which files exist and is preferred for every value it carries;
    the JSON API fills the gaps and contributes the files only it lists (union, not
    intersection: a file the JSON API still shows was on the index, and its name can never
    be used again, so forgetting it could only hide a refusal).
    """
    api_files: dict[str, _RawFile] = {}
    if api is not None:
        for entries in api.releases.values():
            for f in entries:
                api_files.setdefault(f.filename, f)

    merged: list[IndexFile] = []
    seen: set[str] = set()
    for f in page.files:
        if f.filename in seen:
            continue
        seen.add(f.filename)
        extra = api_files.get(f.filename)
        merged.append(_combine(f, extra))
    if api is not None:
        for entries in api.releases.values():
            for f in entries:
                if f.filename not in seen:
                    seen.add(f.filename)
                    merged.append(_combine(f, None))

    # Release spellings: the JSON API's keys, then PEP 700 "versions", then the filenames.
    spelling: dict[str, str] = {}
    for version in (api.releases if api else ()):
        spelling.setdefault(release_key(version), version)
    for version in page.versions or ():
        spelling.setdefault(release_key(version), version)

    grouped: dict[str, list[IndexFile]] = {}
    for f in merged:
        if f.version is None:
            continue
        key = release_key(f.version)
        spelling.setdefault(key, f.version)
        grouped.setdefault(key, []).append(f)
    # Releases listed without files (JSON API "[]" or PEP 700 versions without a file).
    for key in spelling:
        grouped.setdefault(key, [])

    releases: dict[str, Release] = {}
    for key, files in grouped.items():
        times = [f.upload_time for f in files]
        created = None
        if files and all(t is not None for t in times):
            created = min(t for t in times if t is not None)
        releases[key] = Release(version=spelling[key], files=tuple(files), created=created)

    sources = (page.kind, "json-api") if api is not None else (page.kind,)
    display = (api.name if api is not None and api.name else None) or page.name
    return ProjectState(
        name=canonical,
        exists=True,
        display_name=display,
        status=page.status,
        status_reason=page.status_reason,
        files=tuple(merged),
        releases=releases,
        sources=sources,
        url=page.url,
    )


def _combine(simple: _RawFile, api: _RawFile | None) -> IndexFile:
    def pick(name: str) -> Any:
        value = getattr(simple, name)
        if value is None and api is not None:
            value = getattr(api, name)
        return value

    version = api.version if api is not None else simple.version
    if version is None:
        version = version_from_filename(simple.filename)
    package_type = pick("package_type") or package_type_from_filename(simple.filename)
    return IndexFile(
        filename=simple.filename,
        version=version,
        size=pick("size"),
        sha256=pick("sha256"),
        blake2_256=pick("blake2_256"),
        upload_time=pick("upload_time"),
        package_type=package_type,
        yanked=simple.yanked or (api.yanked if api is not None else False),
    )


# -- the project-name list -------------------------------------------------------------

# One translate() call does the whole of ultranormalize_name for ASCII bytes: delete
# "._-", map l/L/i/I -> 1 and o/O -> 0, lowercase the rest (naming.py, reference §3.10).
_ULTRA_TABLE = bytearray(range(256))
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _ULTRA_TABLE[_c] = _c + 32
for _c in b"lLiI":
    _ULTRA_TABLE[_c] = ord("1")
for _c in b"oO":
    _ULTRA_TABLE[_c] = ord("0")
_ULTRA_BYTES = bytes(_ULTRA_TABLE)
del _c, _ULTRA_TABLE

#: Link text of an anchor (the display name; the href holds the normalized name).
_ANCHOR_TEXT = re.compile(rb"<a\s[^>]*>\s*([^<\s]*)\s*</a>", re.IGNORECASE)
#: ``"name": "..."`` in a PEP 691 root page; only the project entries have a ``name``.
_JSON_NAME = re.compile(rb'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def _name_lines(names: list[bytes]) -> bytes:
    """``ultranormalized<TAB>display`` lines for a batch of display names (bytes)."""
    if not names:
        return b""
    joined = b"\n".join(names)
    ultra = joined.translate(_ULTRA_BYTES, b"._-").split(b"\n")
    return b"".join([u + b"\t" + d + b"\n" for u, d in zip(ultra, names, strict=True)])


def _clean_names(raw: list[bytes], *, json_strings: bool) -> list[bytes]:
    """Drop empty matches; decode HTML entities / JSON escapes in the rare names that have any.

    The common case is checked on the joined batch, at C speed: a per-name Python loop
    would double the scan time of a 930k-name list.
    """
    names = list(filter(None, raw))
    marker = b"\\" if json_strings else b"&"
    if marker not in b"".join(names):
        return names
    cleaned: list[bytes] = []
    for name in names:
        if marker in name:
            try:
                if json_strings:
                    name = json.loads(b'"' + name + b'"').encode("utf-8")
                else:
                    name = html.unescape(name.decode("utf-8", "replace")).encode("utf-8")
            except ValueError:
                continue
            if not name.strip() or any(c in name for c in b"\t\n\r"):
                continue
        cleaned.append(name)
    return cleaned


def _stream_names(chunks: Iterable[bytes], media: str, emit: Callable[[bytes], object]) -> int:
    """Scan the root list chunk by chunk, passing blocks of name lines to ``emit``; return
    the number of names.

    Each chunk is cut after its last complete entry (``</a>`` or ``}``) and the rest is
    carried into the next one, so no entry is lost or split at a boundary while memory
    stays at about one chunk. JSON is not parsed, so it gets a structural sanity check
    instead (a ``"projects"`` key, a closing ``}``): a truncated or foreign JSON document
    must not pass for an index without similar names. Raises ``ValueError``.
    """
    if _is_json_type(media):
        pattern, terminator, json_strings = _JSON_NAME, b"}", True
    elif media in ("text/html", SIMPLE_HTML, "application/xhtml+xml"):
        pattern, terminator, json_strings = _ANCHOR_TEXT, b"</a>", False
    else:
        raise ValueError(f"unexpected content type {media or 'none'!r}")
    count = 0
    carry = b""
    seen_projects = not json_strings
    last_byte = b""
    for chunk in chunks:
        if not chunk:
            continue
        buf = carry + chunk if carry else chunk
        if not seen_projects:
            seen_projects = b'"projects"' in buf
        stripped = chunk.rstrip()
        if stripped:
            last_byte = stripped[-1:]
        cut = buf.rfind(terminator)
        if cut < 0:
            carry = buf[-_MAX_CARRY:]
            continue
        cut += len(terminator)
        carry = buf[cut:][-_MAX_CARRY:]
        names = _clean_names(pattern.findall(buf, 0, cut), json_strings=json_strings)
        emit(_name_lines(names))
        count += len(names)
    if carry:
        names = _clean_names(pattern.findall(carry), json_strings=json_strings)
        emit(_name_lines(names))
        count += len(names)
    if json_strings and (not seen_projects or last_byte != b"}"):
        raise ValueError("malformed JSON project list")
    return count


# -- the client ------------------------------------------------------------------------


class _NameTable:
    """The project-name list: ``ultranormalized<TAB>display`` lines in a few big blocks.

    A lookup is a ``bytes.find`` of ``"\\n<key>\\t"`` per block: about 20 ms over PyPI's
    930k names, with no per-name objects at all. A dict would answer in microseconds but
    cost ~1 s and ~150 MB to build for the one or two lookups a run makes.
    """

    __slots__ = ("blocks",)

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks  # every block holds whole lines

    def lookup(self, key: bytes) -> Iterator[str]:
        """Display names whose ultranormalized form is ``key``."""
        needle = b"\n" + key + b"\t"
        for block in self.blocks:
            if block.startswith(needle[1:]):  # the block's first line has no "\n" before it
                yield self._display(block, len(needle) - 1)
            start = block.find(needle)
            while start >= 0:
                yield self._display(block, start + len(needle))
                start = block.find(needle, start + len(needle))

    @staticmethod
    def _display(block: bytes, begin: int) -> str:
        end = block.find(b"\n", begin)
        return block[begin : end if end >= 0 else len(block)].decode("utf-8", "replace")


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
        self._names_lock = threading.Lock()
        self._names: _NameTable | None = None
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

    def _fetch_project(self, canonical: str) -> ProjectState:
        url = self.project_url(canonical)
        response = self._get(self._session, url, PROJECT_ACCEPT, headers=REVALIDATE)
        if response.status_code == 404:
            response.close()
            return ProjectState(name=canonical, exists=False, url=url)
        if response.status_code != 200:
            raise self._fail_status(response, url)
        final_url = response.url or url
        media = _media_type(response)
        # The content type is dispatched here rather than by ``ProjectPage.from_response``:
        # HTML pages need their raw link attributes too, and are decoded as UTF-8 by us.
        try:
            if media == SIMPLE_JSON:
                page = _parse_json_page(self._json_body(response, url), final_url)
            elif media in (SIMPLE_HTML, "text/html"):
                page = _parse_html_page(self._text_body(response), final_url, canonical)
            else:
                raise IndexUnreachable(url, f"unexpected content type {media or 'none'!r}")
        except _Unreadable as exc:
            raise IndexUnreachable(url, str(exc)) from None
        api = self._fetch_json_api(canonical) if self.json_api_url else None
        return _merge(canonical, page, api)

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

    def _fetch_json_api(self, canonical: str) -> _ApiProject | None:
        assert self.json_api_url is not None
        url = self.json_api_url + quote(canonical) + "/json"
        response = self._get(self._session, url, "application/json", headers=REVALIDATE)
        if response.status_code == 404:
            # Normal: Warehouse answers 404 for a project without any visible release.
            response.close()
            return None
        if response.status_code != 200:
            raise self._fail_status(response, url)
        media = _media_type(response)
        if not _is_json_type(media):
            response.close()
            raise IndexUnreachable(url, f"unexpected content type {media or 'none'!r}")
        try:
            return _parse_json_api(self._json_body(response, url))
        except _Shape as exc:
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

    def _load_names(self) -> _NameTable:
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

    def _obtain_names(self) -> _NameTable:
        """The name table: from the disk cache if fresh, revalidated if stale, else fetched."""
        paths = self._names_paths()
        meta: dict[str, Any] | None = None
        table: bytes | None = None
        if paths is not None:
            meta, table = _read_names_cache(*paths, index_url=self.index_url)
        now = time.time()
        if meta is not None and table is not None:
            age = max(0.0, now - float(meta["fetched_at"]))
            if age < self.names_ttl:
                self.names_age = age
                return _NameTable([table])
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
                        _atomic_write(paths[1], [json.dumps(meta).encode("utf-8")])
                self.names_age = 0.0
                return _NameTable([table])
            table = None  # the old list is no longer needed: free it before downloading
            if response.status_code != 200:
                raise self._fail_status(response, url)
            token = uuid.uuid4().hex
            header = f"# preupload-guard project names v{_NAMES_FORMAT} {token}\n".encode()
            media = _media_type(response)
            new_meta = {
                "format": _NAMES_FORMAT,
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
                    _atomic_write(paths[0], blocks)
                    _atomic_write(paths[1], [json.dumps(new_meta).encode("utf-8")])
            self.names_age = 0.0
            return _NameTable(blocks)
        finally:
            response.close()

    def _scan(
        self, response: requests.Response, media: str, blocks: list[bytes], url: str
    ) -> int:
        try:
            return _stream_names(response.iter_content(_CHUNK), media, blocks.append)
        except ValueError as exc:
            raise IndexUnreachable(url, str(exc)) from None
        except requests.RequestException as exc:
            raise IndexUnreachable(url, _describe(exc, self.timeout)) from None

    def _names_session(self) -> requests.Session:
        """The list is downloaded without the HTTP cache: we cache the reduced form ourselves
        (a third of the size), and CacheControl would tee 40 MB into a temp file first."""
        if not self._own_session:
            return self._session
        if self._bulk_session is None:
            self._bulk_session = make_session(None, self.timeout)
        return self._bulk_session


def _atomic_write(path: Path, blocks: Iterable[bytes]) -> None:
    """Write via a temp file and ``os.replace``: a concurrent reader sees old or new, never
    half a file."""
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for block in blocks:
                fh.write(block)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise


def _read_names_cache(
    table_path: Path, meta_path: Path, *, index_url: str
) -> tuple[dict[str, Any] | None, bytes | None]:
    """The cached list and its sidecar, or ``(None, None)`` if missing or inconsistent.

    The sidecar's token must match the one in the list's header line: the two files are
    replaced one after the other, and a reader must not pair a new list with old validators.
    """
    try:
        meta = json.loads(meta_path.read_bytes())
        table = table_path.read_bytes()
    except (OSError, ValueError):
        return None, None
    if not isinstance(meta, dict) or meta.get("format") != _NAMES_FORMAT:
        return None, None
    if meta.get("index_url") != index_url or not isinstance(meta.get("fetched_at"), (int, float)):
        return None, None
    first = table[: table.find(b"\n")]
    if not first.endswith(f" {meta.get('token')}".encode()):
        return None, None
    return meta, table
