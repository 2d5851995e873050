"""The JSON API of Warehouse-like indexes, and merging it with the simple API's page.

``<json-api>/<name>/json`` adds what the simple API may lack: blake2 digests, package types,
releases without files, and (when PyPI answers the simple API in HTML) sizes and upload
times. The two sources are merged into one :class:`~preupload_guard.model.facts.ProjectState`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from preupload_guard.index.simple import (
    Page,
    RawFile,
    expect_shape,
    lower_or_none,
    opt_int,
    opt_str,
    package_type_from_filename,
    parse_time,
    version_from_filename,
)
from preupload_guard.model.facts import (
    IndexFile,
    ProjectState,
    Release,
    release_key,
)


@dataclass
class ApiProject:
    name: str | None
    releases: dict[str, list[RawFile]]


def parse_json_api(data: Any) -> ApiProject:
    expect_shape(isinstance(data, dict), "the answer is not a JSON object")
    info = data.get("info")
    expect_shape(isinstance(info, dict), "'info' is missing")
    releases = data.get("releases")
    expect_shape(isinstance(releases, dict), "'releases' is not an object")
    result: dict[str, list[RawFile]] = {}
    for version, entries in releases.items():
        expect_shape(isinstance(entries, list), f"releases[{version!r}] is not a list")
        files: list[RawFile] = []
        for i, entry in enumerate(entries):
            where = f"releases[{version!r}][{i}]"
            expect_shape(isinstance(entry, dict), f"{where} is not an object")
            filename = entry.get("filename")
            expect_shape(isinstance(filename, str) and bool(filename),
                         f"{where}.filename is missing")
            digests = entry.get("digests") or {}
            expect_shape(isinstance(digests, dict), f"{where}.digests is not an object")
            upload = entry.get("upload_time_iso_8601") or entry.get("upload_time")
            yanked = entry.get("yanked", False)
            expect_shape(isinstance(yanked, bool), f"{where}.yanked is not a bool")
            files.append(
                RawFile(
                    filename=filename,
                    size=opt_int(entry.get("size"), f"{where}.size"),
                    sha256=lower_or_none(opt_str(digests.get("sha256"), f"{where}.digests.sha256")),
                    blake2_256=lower_or_none(
                        opt_str(digests.get("blake2b_256"), f"{where}.digests.blake2b_256")
                    ),
                    upload_time=parse_time(upload),
                    package_type=opt_str(entry.get("packagetype"), f"{where}.packagetype"),
                    yanked=yanked,
                    version=version,
                )
            )
        result[version] = files
    return ApiProject(name=opt_str(info.get("name"), "info.name"), releases=result)


# -- merging ---------------------------------------------------------------------------


def merge(canonical: str, page: Page, api: ApiProject | None) -> ProjectState:
    """One :class:`ProjectState` from the simple page and (optionally) the JSON API.

    The simple page decides which files exist and is preferred for every value it carries;
    the JSON API fills the gaps and contributes the files only it lists (union, not
    intersection: a file the JSON API still shows was on the index, and its name can never
    be used again, so forgetting it could only hide a refusal).
    """
    api_files: dict[str, RawFile] = {}
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


def _combine(simple: RawFile, api: RawFile | None) -> IndexFile:
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


