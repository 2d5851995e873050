"""Reading the filenames a bandersnatch mirror holds for one project.

A mirror keeps files the upstream index has deleted: bandersnatch never removes a file from
``web/packages/`` unless its ``delete`` command is run, and an older ``web/json`` snapshot
may still list it. So every place is read and the union is returned:

* ``web/simple/<p>/index.html`` and ``index.v1_json`` (also under ``<p[0]>/`` with
  ``hash-index = true``);
* ``web/json/<p>`` and ``web/pypi/<p>/json`` (the JSON API copies, ``json = true``);
* ``web/packages/**/<filename>`` (walked once per run, bounded, matched by project name).

Over HTTP the same is asked of ``<root>/simple/<p>/``, ``<root>/json/<p>`` and
``<root>/pypi/<p>/json`` (the packages tree cannot be listed over HTTP), each read bounded by
a timeout and a size cap. Every failure is a ``MirrorProblem``, never an exception.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name

MAX_DOCUMENT = 32 * 1024 * 1024   # one simple page / JSON document
MAX_PACKAGE_ENTRIES = 2_000_000   # directory entries walked under web/packages
SIMPLE_ACCEPT = ("application/vnd.pypi.simple.v1+json, "
                 "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.1")
_DIST_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".egg",
                  ".exe", ".msi", ".rpm", ".dmg")


class MirrorProblem(Exception):
    """The mirror cannot be read (``kind="unavailable"``) or parts of it are broken."""

    def __init__(self, message: str, kind: str = "unavailable") -> None:
        super().__init__(message)
        self.kind = kind


@dataclass
class MirrorView:
    filenames: set[str] = field(default_factory=set)
    last_sync: datetime | None = None
    problems: list[str] = field(default_factory=list)


def project_of(filename: str) -> str | None:
    """The canonical project name a distribution filename belongs to, or ``None``."""
    lower = filename.lower()
    if not lower.endswith(_DIST_SUFFIXES):
        return None
    if lower.endswith((".whl", ".egg")):
        return canonicalize_name(filename.split("-", 1)[0])
    stem = filename
    for suffix in _DIST_SUFFIXES:
        if lower.endswith(suffix):
            stem = filename[: -len(suffix)]
            break
    # sdist: NAME-VERSION, where VERSION starts with a digit (names may hold hyphens).
    match = re.match(r"^(.+?)-(?=v?\d)", stem)
    return canonicalize_name(match.group(1)) if match else None


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            for key, value in attrs:
                if key == "href" and value:
                    self.hrefs.append(value)


def filenames_from_html(text: str) -> set[str]:
    parser = _Links()
    parser.feed(text)
    names = set()
    for href in parser.hrefs:
        name = unquote(urlsplit(href).path.rsplit("/", 1)[-1])
        if name:
            names.add(name)
    return names


def filenames_from_json(data: object) -> set[str]:
    """PEP 691 ``files`` or the JSON API's ``releases``/``urls``: every ``filename``."""
    names: set[str] = set()
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    entries: list[object] = []
    if isinstance(data.get("files"), list):
        entries.extend(data["files"])
    if isinstance(data.get("releases"), dict):
        for files in data["releases"].values():
            if isinstance(files, list):
                entries.extend(files)
    if isinstance(data.get("urls"), list):
        entries.extend(data["urls"])
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("filename"), str):
            names.add(entry["filename"])
    return names


# -- a local mirror directory -------------------------------------------------------------


def web_dir(root: Path) -> Path:
    """The mirror's ``web/`` directory, whether ``root`` is the mirror directory or web/."""
    return root / "web" if (root / "web").is_dir() else root


def local_last_sync(root: Path) -> datetime | None:
    """When bandersnatch last finished a sync: ``web/last-modified``, else ``status``'s mtime."""
    web = web_dir(root)
    try:
        stamp = (web / "last-modified").read_text(encoding="ascii").strip()
        return datetime.strptime(stamp, "%Y%m%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    for candidate in (web.parent / "status", root / "status", web / "simple" / "index.html"):
        try:
            return datetime.fromtimestamp(candidate.stat().st_mtime, timezone.utc)
        except OSError:
            continue
    return None


def _read_limited(path: Path) -> str:
    with path.open("rb") as fh:
        data = fh.read(MAX_DOCUMENT + 1)
    if len(data) > MAX_DOCUMENT:
        raise ValueError(f"larger than {MAX_DOCUMENT // (1024 * 1024)} MiB")
    return data.decode("utf-8")


def read_local_project(root: Path, project: str, view: MirrorView) -> None:
    web = web_dir(root)
    simple = web / "simple"
    candidates = [
        (simple / project / "index.html", "html"),
        (simple / project / "index.v1_html", "html"),
        (simple / project / "index.v1_json", "json"),
        (simple / project[:1] / project / "index.html", "html"),
        (simple / project[:1] / project / "index.v1_json", "json"),
        (web / "json" / project, "json"),
        (web / "pypi" / project / "json", "json"),
    ]
    for path, kind in candidates:
        try:
            text = _read_limited(path)
        except FileNotFoundError:
            continue
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            view.problems.append(f"{path}: {exc}")
            continue
        try:
            found = filenames_from_html(text) if kind == "html" else filenames_from_json(
                json.loads(text))
        except ValueError as exc:
            view.problems.append(f"{path}: not valid {kind.upper()} ({exc})")
            continue
        view.filenames.update(n for n in found if project_of(n) in (project, None))


def walk_packages(root: Path) -> tuple[dict[str, set[str]], list[str]]:
    """Every distribution filename under ``web/packages``, grouped by canonical project.

    Walked once per run for all projects: a full mirror holds millions of files, so the
    walk is capped at ``MAX_PACKAGE_ENTRIES`` entries and says when it stopped early.
    """
    packages = web_dir(root) / "packages"
    by_project: dict[str, set[str]] = {}
    problems: list[str] = []
    if not packages.is_dir():
        return by_project, problems
    seen = 0
    stack = [packages]
    while stack:
        directory = stack.pop()
        try:
            with os.scandir(directory) as entries:
                for entry in entries:
                    seen += 1
                    if seen > MAX_PACKAGE_ENTRIES:
                        problems.append(f"{packages}: stopped after {MAX_PACKAGE_ENTRIES:,} "
                                        "entries; files beyond were not seen")
                        return by_project, problems
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    else:
                        owner = project_of(entry.name)
                        if owner:
                            by_project.setdefault(owner, set()).add(entry.name)
        except OSError as exc:
            problems.append(f"{directory}: {exc.strerror or exc}")
    return by_project, problems


def check_local_root(root: Path) -> None:
    if not root.exists():
        raise MirrorProblem(f"{root} does not exist")
    if not root.is_dir():
        raise MirrorProblem(f"{root} is not a directory")
    web = web_dir(root)
    if not (web / "simple").is_dir() and not (web / "packages").is_dir() \
            and not (web / "json").is_dir():
        raise MirrorProblem(f"{root} does not look like a bandersnatch mirror "
                            "(no web/simple, web/json or web/packages)")
    try:
        os.listdir(web)
    except OSError as exc:
        raise MirrorProblem(f"{web} cannot be read: {exc.strerror or exc}") from None


# -- a mirror over HTTP -------------------------------------------------------------------


def _get(session: object, url: str, timeout: float, accept: str | None = None
         ) -> tuple[int, str, dict[str, str]]:
    """GET ``url`` bounded by ``timeout`` and ``MAX_DOCUMENT``; (status, text, headers)."""
    import requests

    headers = {"Accept": accept} if accept else {}
    try:
        with session.get(url, timeout=timeout, stream=True, headers=headers,  # type: ignore[attr-defined]
                         allow_redirects=True) as response:
            body = bytearray()
            if response.status_code == 200:
                for chunk in response.iter_content(65536):
                    body.extend(chunk)
                    if len(body) > MAX_DOCUMENT:
                        raise MirrorProblem(f"{url}: larger than "
                                            f"{MAX_DOCUMENT // (1024 * 1024)} MiB", "broken")
            text = body.decode(response.encoding or "utf-8", errors="replace")
            return response.status_code, text, dict(response.headers)
    except requests.RequestException as exc:
        raise MirrorProblem(f"{url}: {type(exc).__name__}: {exc}") from None


def read_http_project(session: object, root: str, project: str, timeout: float,
                      view: MirrorView) -> None:
    base = root.rstrip("/")
    simple_url = f"{base}/simple/{project}/"
    status, text, headers = _get(session, simple_url, timeout, SIMPLE_ACCEPT)
    if status == 200:
        try:
            if "json" in headers.get("Content-Type", "").lower():
                found = filenames_from_json(json.loads(text))
            else:
                found = filenames_from_html(text)
            view.filenames.update(n for n in found if project_of(n) in (project, None))
        except ValueError as exc:
            view.problems.append(f"{simple_url}: unreadable ({exc})")
    elif status != 404:
        view.problems.append(f"{simple_url}: HTTP {status}")
    for url in (f"{base}/json/{project}", f"{base}/pypi/{project}/json"):
        status, text, _ = _get(session, url, timeout, "application/json")
        if status == 200:
            try:
                view.filenames.update(filenames_from_json(json.loads(text)))
            except ValueError as exc:
                view.problems.append(f"{url}: unreadable ({exc})")
        elif status not in (404, 403):
            view.problems.append(f"{url}: HTTP {status}")


def http_last_sync(session: object, root: str, timeout: float) -> datetime:
    """``<root>/last-modified`` (bandersnatch writes it); raises ``MirrorProblem`` when the
    mirror does not answer at all."""
    url = root.rstrip("/") + "/last-modified"
    status, text, headers = _get(session, url, timeout)
    if status == 200:
        try:
            return datetime.strptime(text.strip(), "%Y%m%dT%H:%M:%S").replace(
                tzinfo=timezone.utc)
        except ValueError:
            pass
    # No stamp: the simple root must at least answer, and its Last-Modified tells the age.
    status, _, headers = _get(session, root.rstrip("/") + "/simple/", timeout, SIMPLE_ACCEPT)
    if status != 200:
        raise MirrorProblem(f"{root} answered HTTP {status} for /simple/ "
                            "(is this the mirror's web root?)")
    from email.utils import parsedate_to_datetime

    try:
        return parsedate_to_datetime(headers["Last-Modified"]).astimezone(timezone.utc)
    except (KeyError, TypeError, ValueError):
        raise MirrorProblem(f"{root}: cannot tell when the mirror last synced "
                            "(no last-modified file, no Last-Modified header)", "stale"
                            ) from None
