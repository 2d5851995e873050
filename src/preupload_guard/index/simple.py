"""Project pages of the simple API: PEP 691 JSON and PEP 503 HTML, parsed into raw files.

The simple API is the one API every index has, so a project page is always asked for;
JSON first, because it carries sizes and upload times (PEP 700), with HTML as the
fallback (PyPI answers HTML on some networks). Parsing goes through pypi-simple, the
library the standards name for it; what it cannot read becomes :class:`Unreadable`.
"""

from __future__ import annotations

import contextlib
import functools
import html
import re
import warnings
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import requests
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from pypi_simple import ProjectPage

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
SIMPLE_HTML = "application/vnd.pypi.simple.v1+html"

#: Project pages: JSON carries sizes and upload times (PEP 700), so ask for it first.
PROJECT_ACCEPT = f"{SIMPLE_JSON}, {SIMPLE_HTML};q=0.2, text/html;q=0.01"

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


def parse_time(value: Any) -> datetime | None:
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


def media_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def is_json_type(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


class BadShape(Exception):
    """A JSON document that parsed but is not what the API promises."""


def expect_shape(condition: bool, what: str) -> None:
    if not condition:
        raise BadShape(what)


def opt_str(value: Any, what: str) -> str | None:
    expect_shape(value is None or isinstance(value, str), f"{what} is not a string")
    return value


def opt_int(value: Any, what: str) -> int | None:
    expect_shape(
        value is None or (isinstance(value, int) and not isinstance(value, bool)),
        f"{what} is not an integer",
    )
    return value


# -- raw pages -------------------------------------------------------------------------


@dataclass
class RawFile:
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
class Page:
    kind: str  # "simple-json" or "simple-html"
    url: str
    name: str | None
    files: list[RawFile]
    versions: list[str] | None = None
    status: str | None = None
    status_reason: str | None = None


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


class Unreadable(Exception):
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


def _page_error(exc: Exception, ps: ModuleType) -> Unreadable:
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
    return Unreadable(reason)


def parse_json_page(data: Any, url: str) -> Page:
    """A PEP 691 project page, validated and read by pypi-simple. Raises :class:`Unreadable`."""
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
                    raise Unreadable(_unsupported_version(declared)) from None
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


def parse_html_page(text: str, url: str, project: str) -> Page:
    """A PEP 503 project page, read by pypi-simple. Raises :class:`Unreadable`.

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
        raise Unreadable(f"unreadable HTML ({exc.__class__.__name__})") from None
    try:
        status = repo.status
    except ValueError:  # a marker PEP 792 does not define, refused as on a JSON page
        marker = repo.pypi_meta["project-status"][0]
        raise Unreadable(f"unknown project status {marker!r}") from None
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
) -> Page:
    """Our raw page from pypi-simple's :class:`ProjectPage`, for either format.

    ``upload_times`` are the raw ``data-upload-time`` attributes of an HTML page, one per
    package; a JSON page's times come from pypi-simple itself. Hashes are lowercased (they
    are compared with ours), naive times mean UTC, and a link without text is named after
    the last segment of its URL.
    """
    files: list[RawFile] = []
    for i, package in enumerate(page.packages):
        filename = package.filename or unquote(
            urlsplit(package.url).path.rstrip("/").rpartition("/")[2]
        )
        if not filename:
            continue
        digests = {algo.lower(): value for algo, value in package.digests.items()}
        if upload_times is not None:
            upload_time = parse_time(upload_times[i])
        else:
            upload_time = _as_utc(package.upload_time)
        files.append(
            RawFile(
                filename=filename,
                url=package.url,
                size=package.size,
                sha256=lower_or_none(digests.get("sha256")),
                blake2_256=(lower_or_none(digests.get("blake2b_256"))
                            or _blake2_from_url(package.url)),
                upload_time=upload_time,
                yanked=package.is_yanked,
            )
        )
    return Page(
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


def lower_or_none(value: str | None) -> str | None:
    return value.lower() if value else None


