"""The index client against a real HTTP fixture index on 127.0.0.1 (no mocking)."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from preupload_guard.engine.config import derive_index_target
from preupload_guard.index.client import Index
from preupload_guard.index.name_list import NameTable as _NameTable
from preupload_guard.index.name_list import name_lines as _name_lines
from preupload_guard.index.name_list import stream_names as _stream_names
from preupload_guard.index.simple import (
    PROJECT_ACCEPT,
    SIMPLE_JSON,
    package_type_from_filename,
    version_from_filename,
)
from preupload_guard.index.simple import parse_time as _parse_time
from preupload_guard.model.facts import IndexUnreachable, ProjectState
from preupload_guard.model.names import ultranormalize_name
from preupload_guard.testing import (
    FixtureFile,
    FixtureIndex,
    FixtureProject,
    IndexScenario,
    iter_fixture_names,
)

T0 = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)
T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(days=3)


def sample_project() -> FixtureProject:
    """Two releases: "1.0" (sdist + a wheel spelled 1.0.0) and "2.0" (one yanked wheel)."""
    return FixtureProject(
        "Foo.Bar",
        [
            FixtureFile("foo_bar-1.0.tar.gz", content=b"sdist bytes", upload_time=T1),
            FixtureFile("foo_bar-1.0.0-py3-none-any.whl", content=b"wheel", upload_time=T0),
            FixtureFile(
                "foo_bar-2.0-py3-none-any.whl", upload_time=T2, yanked="broken metadata"
            ),
        ],
        empty_releases=["0.9"],
    )


def index_for(fixture: FixtureIndex, *, api: bool = True, **kwargs: object) -> Index:
    return Index(fixture.simple_url, fixture.json_api_url if api else None, **kwargs)


def comparable(state: ProjectState) -> ProjectState:
    """The facts themselves, without where they came from."""
    return dataclasses.replace(state, sources=(), url=None)


# -- project pages: formats and sources ------------------------------------------------


def test_json_and_html_pages_give_the_same_facts(guard_index):
    states = {}
    for mode in ("negotiate", "html-only"):
        fixture = guard_index(projects=[sample_project()], mode=mode)
        with index_for(fixture) as index:
            states[mode] = index.project("foo-bar")
    assert states["negotiate"].sources == ("simple-json", "json-api")
    assert states["html-only"].sources == ("simple-html", "json-api")
    assert comparable(states["negotiate"]) == comparable(states["html-only"])


def test_json_page_alone_carries_sizes_times_and_digests(guard_index):
    fixture = guard_index(projects=[sample_project()], json_api=False)
    with index_for(fixture, api=False) as index:
        state = index.project("Foo.Bar")
    assert state.sources == ("simple-json",)
    assert state.display_name == "foo-bar"  # PEP 691 "name" is the normalized name
    wheel = state.file("foo_bar-1.0.0-py3-none-any.whl")
    expected = FixtureFile("x", content=b"wheel")
    assert wheel is not None
    assert wheel.size == 5
    assert wheel.sha256 == expected.effective_sha256
    assert wheel.blake2_256 == expected.effective_blake2_256  # from the file URL path
    assert wheel.upload_time == T0
    assert wheel.package_type == "bdist_wheel"  # from the extension
    assert wheel.version == "1.0.0"  # from the filename
    assert state.file("foo_bar-2.0-py3-none-any.whl").yanked is True
    assert state.total_size is not None


def test_html_page_alone_knows_less_but_never_guesses(guard_index):
    fixture = guard_index(projects=[sample_project()], mode="html-only", json_api=False)
    with index_for(fixture, api=False) as index:
        state = index.project("foo-bar")
    assert state.sources == ("simple-html",)
    assert state.display_name == "Foo.Bar"  # from "Links for Foo.Bar"
    sdist = state.file("foo_bar-1.0.tar.gz")
    assert sdist is not None
    assert sdist.size is None and sdist.upload_time is None
    assert sdist.sha256 == FixtureFile("x", content=b"sdist bytes").effective_sha256
    assert sdist.blake2_256 == FixtureFile("x", content=b"sdist bytes").effective_blake2_256
    assert sdist.package_type == "sdist"
    assert state.total_size is None
    assert state.release("1.0").created is None  # no upload times: unknown, not "old"
    assert state.file("foo_bar-2.0-py3-none-any.whl").yanked is True


def test_html_data_upload_time_is_read(guard_index):
    fixture = guard_index(
        projects=[sample_project()], mode="html-only", json_api=False, html_upload_time=True
    )
    with index_for(fixture, api=False) as index:
        state = index.project("foo-bar")
    assert state.file("foo_bar-1.0.tar.gz").upload_time == T1
    assert state.release("1").created == T0


def test_json_api_enriches_an_html_page(guard_index):
    project = sample_project()
    project.files.append(
        FixtureFile("foo_bar-3.0.tar.gz", packagetype="bdist_dumb", upload_time=T2, size=12345)
    )
    fixture = guard_index(projects=[project], mode="html-only")
    with index_for(fixture) as index:
        state = index.project("foo-bar")
    assert state.display_name == "Foo.Bar"
    dumb = state.file("foo_bar-3.0.tar.gz")
    assert dumb.size == 12345
    assert dumb.package_type == "bdist_dumb"
    assert not dumb.is_sdist
    assert dumb.upload_time == T2
    assert dumb.blake2_256 == project.files[-1].effective_blake2_256
    # The wheel spelled 1.0.0 belongs to release "1.0", as the JSON API says.
    assert state.file("foo_bar-1.0.0-py3-none-any.whl").version == "1.0"
    empty = state.release("0.9")
    assert empty is not None and empty.files == () and empty.created is None
    assert fixture.hits("/pypi/foo-bar/json") == 1


def test_json_api_404_is_normal(guard_index):
    # A project without any release: the simple page exists, the JSON API says 404.
    fixture = guard_index(projects=[FixtureProject("empty")])
    with index_for(fixture) as index:
        state = index.project("empty")
    assert state.exists and state.files == () and state.releases == {}
    assert state.sources == ("simple-json",)
    assert ("/pypi/empty/json", 404) in fixture.statuses


def test_files_only_the_json_api_lists_are_kept(guard_index):
    # Two servers that disagree: the simple page knows one file, the JSON API three.
    simple = guard_index(projects=[FixtureProject("Foo.Bar", [sample_project().files[0]])])
    api = guard_index(projects=[sample_project()])
    with Index(simple.simple_url, api.json_api_url) as index:
        state = index.project("foo-bar")
    assert [f.filename for f in state.files] == [f.filename for f in sample_project().files]
    assert state.file("foo_bar-2.0-py3-none-any.whl").size is not None


def test_releases_are_keyed_by_canonical_version(guard_index):
    fixture = guard_index(projects=[sample_project()], mode="html-only", json_api=False)
    with index_for(fixture, api=False) as index:
        state = index.project("foo-bar")
    assert set(state.releases) == {"1", "2"}
    one = state.release("1.0.0")
    assert one is state.release("1.0") and one is state.release("01.0")
    assert {f.filename for f in one.files} == {
        "foo_bar-1.0.tar.gz",
        "foo_bar-1.0.0-py3-none-any.whl",
    }
    assert one.version == "1.0"
    assert one.has_sdist


def test_created_is_the_earliest_upload_only_if_every_file_has_one(guard_index):
    project = FixtureProject(
        "timed",
        [
            FixtureFile("timed-1.0.tar.gz", upload_time=T1),
            FixtureFile("timed-1.0-py3-none-any.whl", upload_time=T0),
            FixtureFile("timed-2.0.tar.gz", upload_time=T2),
            FixtureFile("timed-2.0-py3-none-any.whl"),  # no upload time known
        ],
        empty_releases=["0.1"],
    )
    fixture = guard_index(projects=[project])
    with index_for(fixture) as index:
        state = index.project("timed")
    assert state.release("1.0").created == T0
    assert state.release("2.0").created is None
    assert state.release("0.1").created is None


def test_pep_792_status(guard_index):
    projects = [
        FixtureProject("old", [FixtureFile("old-1.0.tar.gz")], status="archived",
                       status_reason="moved to new"),
        FixtureProject("bad", [FixtureFile("bad-1.0.tar.gz")], status="quarantined"),
    ]
    for mode in ("negotiate", "html-only"):
        fixture = guard_index(projects=projects, mode=mode)
        with index_for(fixture) as index:
            old = index.project("old")
            bad = index.project("bad")
        assert (old.status, old.status_reason) == ("archived", "moved to new")
        # Quarantined projects are hidden like PyPI hides them: a plain 404.
        assert bad.exists is False
        assert ("/simple/bad/", 404) in fixture.statuses


def test_unknown_project(guard_index):
    fixture = guard_index(projects=[sample_project()])
    with index_for(fixture) as index:
        state = index.project("No_Such.Project")
    assert state == ProjectState(name="no-such-project", exists=False, url=state.url)
    assert fixture.requests == [("/simple/no-such-project/", PROJECT_ACCEPT)]


def test_index_moved_redirect_is_followed(guard_index):
    fixture = guard_index(projects=[sample_project()], redirects={"/old/": "/simple/"})
    with Index(fixture.url + "old", fixture.json_api_url) as index:
        state = index.project("Foo.Bar")
    assert state.exists and state.url == fixture.simple_url + "foo-bar/"
    assert [path for path, _ in fixture.requests[:2]] == ["/old/foo-bar/", "/simple/foo-bar/"]


def test_fixture_redirects_non_normalized_names(guard_index):
    fixture = guard_index(projects=[sample_project()])
    response = requests.get(fixture.simple_url + "Foo.Bar/", timeout=5)
    assert [r.status_code for r in response.history] == [301]
    assert response.url == fixture.simple_url + "foo-bar/"
    assert requests.get(fixture.simple_url + "foo-bar", timeout=5).history[0].status_code == 308
    api = requests.get(fixture.json_api_url + "Foo_Bar/json", timeout=5)
    assert api.history[0].status_code == 301 and api.json()["info"]["name"] == "Foo.Bar"


def test_settings_derive_the_fixture_urls(guard_index):
    fixture = guard_index()
    target = derive_index_target(fixture.legacy_url)
    assert (target.index_url, target.json_api_url) == (fixture.simple_url, fixture.json_api_url)


def test_fixture_serves_files_at_warehouse_paths(guard_index):
    fixture = guard_index(projects=[sample_project()])
    sdist = sample_project().files[0]
    response = requests.get(fixture.url.rstrip("/") + sdist.path, timeout=5)
    assert response.content == b"sdist bytes"


def test_a_project_is_fetched_once_even_concurrently(guard_index):
    fixture = guard_index(
        projects=[sample_project()], fail={"/simple/foo-bar/": "slow"}, slow_seconds=0.2
    )
    results: list[ProjectState] = []
    barrier = threading.Barrier(8)
    with index_for(fixture) as index:

        def ask(name: str) -> None:
            barrier.wait()
            results.append(index.project(name))

        threads = [
            threading.Thread(target=ask, args=(n,))
            for n in ["foo-bar", "Foo.Bar", "FOO_BAR", "foo.bar"] * 2
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert index.project("foo-bar") is results[0]
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert fixture.hits("/simple/") == 1
    assert fixture.hits("/pypi/") == 1


def test_user_agent(guard_index):
    fixture = guard_index(projects=[sample_project()])
    with index_for(fixture) as index:
        index.project("foo-bar")
    assert all(h["User-Agent"].startswith("preupload-guard/") for h in fixture.request_headers)


# -- failures --------------------------------------------------------------------------


def unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_port():
    url = f"http://127.0.0.1:{unused_port()}/simple/"
    started = time.monotonic()
    with Index(url, timeout=1) as index, pytest.raises(IndexUnreachable) as info:
        index.project("foo")
    assert time.monotonic() - started < 3
    assert info.value.url == url + "foo/"
    assert info.value.reason == "connection refused"


@pytest.mark.parametrize(
    ("fail", "reason"),
    [
        ({"/simple/": "500"}, "HTTP 500"),
        ({"/simple/": "403"}, "HTTP 403"),
        ({"/simple/": "malformed"}, "malformed JSON"),
        ({"/simple/": "wrong-shape"}, "unexpected JSON"),
        ({"/simple/": "content-type"}, "unexpected content type 'text/plain'"),
        ({"/pypi/": "500"}, "HTTP 500"),
        ({"/pypi/": "malformed"}, "malformed JSON"),
        ({"/pypi/": "wrong-shape"}, "unexpected JSON"),
        ({"/pypi/": "content-type"}, "unexpected content type"),
    ],
)
def test_bad_answers_raise(guard_index, fail, reason):
    fixture = guard_index(projects=[sample_project()], fail=fail)
    with index_for(fixture, timeout=2) as index:
        with pytest.raises(IndexUnreachable) as info:
            index.project("foo-bar")
        assert reason in info.value.reason
        # The failure is remembered: asking again does not hit the index again.
        count = len(fixture.requests)
        with pytest.raises(IndexUnreachable):
            index.project("foo-bar")
        assert len(fixture.requests) == count
    if reason == "HTTP 500":
        prefix = next(iter(fail))
        assert fixture.hits(prefix) == 3  # one try and two retries


@pytest.mark.parametrize(
    ("path", "body", "reason"),
    [
        ("/simple/x/", {"meta": {"api-version": "1.4"}, "files": ["x-1.tar.gz"]}, "files[0]"),
        # A complete PEP 691 entry whose size is no number. (A numeric string such as "12"
        # is accepted: pypi-simple's pydantic models coerce it to 12.)
        ("/simple/x/", {"meta": {"api-version": "1.4"}, "name": "x", "files": [
            {"filename": "x-1.tar.gz", "url": "x-1.tar.gz", "hashes": {}, "size": "twelve"}]},
         "files[0].size"),
        ("/simple/x/", {"meta": {"api-version": "2.0"}, "files": []}, "repository version 2.0"),
        ("/simple/x/", {"files": []}, "'meta' is missing"),
        ("/simple/x/", {"meta": {"api-version": "1.0"}, "files": [], "versions": "1.0"},
         "versions"),
        ("/pypi/x/json", {"info": {"name": "x"}, "releases": {"1.0": {}}}, "releases['1.0']"),
        ("/pypi/x/json", {"info": {"name": "x"}, "releases": {"1.0": [{"filename": "a",
                                                                        "yanked": "no"}]}},
         "yanked"),
        ("/pypi/x/json", {"releases": {}}, "'info' is missing"),
    ],
)
def test_json_of_the_wrong_shape_raises(guard_index, path, body, reason):
    content_type = SIMPLE_JSON if path.startswith("/simple/") else "application/json"
    fixture = guard_index(
        projects=[FixtureProject("x", [FixtureFile("x-1.tar.gz")])],
        raw_pages={path: (content_type, json.dumps(body).encode())},
    )
    with index_for(fixture) as index, pytest.raises(IndexUnreachable) as info:
        index.project("x")
    assert reason in info.value.reason
    assert info.value.url == fixture.url.rstrip("/") + path


def test_a_foreign_html_page_with_base_and_relative_links(guard_index):
    page = b"""<html><head><base href="/files/"><title>Links for X</title></head><body>
    <a href="x-1.0.tar.gz#sha256=ABCDEF"
       data-upload-time="2024-01-02T03:04:05.123456Z">x-1.0.tar.gz</a>
    <a href="sub/x-1.1.tar.gz#md5=123"></a>
    <a>no href</a>
    </body></html>"""
    fixture = guard_index(raw_pages={"/simple/x/": ("text/html", page)})
    with index_for(fixture, api=False) as index:
        state = index.project("X")
    assert [f.filename for f in state.files] == ["x-1.0.tar.gz", "x-1.1.tar.gz"]
    first, second = state.files
    assert first.sha256 == "abcdef" and first.upload_time == T0 and first.version == "1.0"
    assert second.sha256 is None and second.blake2_256 is None
    assert state.display_name == "X"


def test_slow_server_times_out_quickly(guard_index):
    fixture = guard_index(
        projects=[sample_project()], fail={"/simple/": "slow"}, slow_seconds=3
    )
    started = time.monotonic()
    with index_for(fixture, timeout=0.2) as index, pytest.raises(IndexUnreachable) as info:
        index.project("foo-bar")
    assert time.monotonic() - started < 1.5
    assert "timed out" in info.value.reason
    assert fixture.hits("/simple/foo-bar/") == 2  # one read retry at most


def test_transient_errors_are_retried(guard_index):
    fixture = guard_index(projects=[sample_project()], fail={"*": "flaky"})
    with index_for(fixture) as index:
        state = index.project("foo-bar")
    assert state.exists and state.sources == ("simple-json", "json-api")
    assert fixture.statuses[0] == ("/simple/foo-bar/", 503)


# -- similar names and the project list ------------------------------------------------


def names_scenario(**kwargs: object) -> IndexScenario:
    return IndexScenario(
        projects=[FixtureProject("toasting", [FixtureFile("toasting-1.0.tar.gz")])],
        extra_names=["Py.Torch-Lite", "Toast-ing-Extra", "zzz"],
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("mode", ["negotiate", "html-only"])
def test_similar_project(guard_index, mode):
    fixture = guard_index(names_scenario(mode=mode))
    with index_for(fixture) as index:
        assert index.similar_project("Toast-ing") == "toasting"
        assert index.similar_project("t0asting") == "toasting"
        assert index.similar_project("TOASTLNG") == "toasting"
        assert index.similar_project("toasting") is None  # its own name
        assert index.similar_project("pytorch-1ite") == "Py.Torch-Lite"  # display name
        assert index.similar_project("py-torch-lite") is None  # same canonical name
        assert index.similar_project("something-else") is None
        assert index.similar_project("._-") is None
    assert fixture.hits("/simple/") == 1  # the list, once


def test_similar_project_skips_own_name_but_finds_a_twin(guard_index):
    # Two old projects that already collide: asking as one of them finds the other.
    fixture = guard_index(extra_names=["toasting", "Toast-ing"])
    with index_for(fixture) as index:
        assert index.similar_project("toast_ing") == "toasting"
        assert index.similar_project("TOASTING") == "Toast-ing"


def test_root_list_is_cached_on_disk(guard_index, cache_dir):
    fixture = guard_index(names_scenario())
    with index_for(fixture, cache_dir=cache_dir) as index:
        assert index.similar_project("toast1ng") == "toasting"
    assert fixture.hits("/simple/") == 1
    files = sorted(p.name for p in (cache_dir / "names").iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".tsv")

    # A second instance (a second run) within the TTL reuses the file.
    with index_for(fixture, cache_dir=cache_dir) as index:
        assert index.similar_project("t0asting") == "toasting"
        assert index.names_age is not None and index.names_age < 60
    assert fixture.hits("/simple/") == 1

    # After the TTL, without validators, the list is downloaded again.
    fixture.scenario = IndexScenario(extra_names=["t0asting-new"])
    with index_for(fixture, cache_dir=cache_dir, names_ttl=0) as index:
        assert index.similar_project("toasting-new") == "t0asting-new"
    assert fixture.statuses[-1] == ("/simple/", 200)


@pytest.mark.parametrize("validator", ["etag", "last_modified"])
def test_stale_root_list_is_revalidated(guard_index, cache_dir, validator):
    fixture = guard_index(names_scenario(**{validator: True}))
    with index_for(fixture, cache_dir=cache_dir) as index:
        assert index.similar_project("toast1ng") == "toasting"
    with index_for(fixture, cache_dir=cache_dir, names_ttl=0) as index:
        assert index.similar_project("toast1ng") == "toasting"
        assert index.names_age == 0.0
    assert [s for p, s in fixture.statuses if p == "/simple/"] == [200, 304]
    header = "If-None-Match" if validator == "etag" else "If-Modified-Since"
    assert header in fixture.request_headers[-1]
    # The revalidation refreshed the timestamp: the next run within the TTL asks nothing.
    with index_for(fixture, cache_dir=cache_dir) as index:
        assert index.similar_project("toast1ng") == "toasting"
    assert fixture.hits("/simple/") == 2


def test_root_list_without_cache_dir_is_per_instance(guard_index):
    fixture = guard_index(names_scenario())
    for _ in range(2):
        with index_for(fixture) as index:
            index.similar_project("a")
            index.similar_project("b")
    assert fixture.hits("/simple/") == 2


def test_corrupt_names_cache_is_refetched(guard_index, cache_dir):
    fixture = guard_index(names_scenario())
    with index_for(fixture, cache_dir=cache_dir) as index:
        index.similar_project("x")
    tsv = next((cache_dir / "names").glob("*.tsv"))
    tsv.write_bytes(b"# someone else's file\nt0ast1ng\tWRONG\n")
    with index_for(fixture, cache_dir=cache_dir) as index:
        assert index.similar_project("toast1ng") == "toasting"
    assert fixture.hits("/simple/") == 2


def test_root_list_failures_raise(guard_index):
    for fail in ("500", "content-type", "malformed", "wrong-shape"):
        fixture = guard_index(names_scenario(fail={"/simple/": fail}))
        with index_for(fixture, timeout=2) as index:
            with pytest.raises(IndexUnreachable):
                index.similar_project("toast1ng")
            before = len(fixture.requests)
            with pytest.raises(IndexUnreachable):
                index.similar_project("toast1ng")
            assert len(fixture.requests) == before


def test_large_root_list_is_fast(guard_index, cache_dir):
    count = 300_000
    names = list(iter_fixture_names(count, prefix="Big.Project"))
    fixture = guard_index(extra_names=names)
    fixture.clear()
    with index_for(fixture, cache_dir=cache_dir) as index:
        started = time.perf_counter()
        assert index.similar_project("big-pr0ject-1234") == "Big.Project-1234"
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert index.similar_project("no-such-thing-at-all") is None
        lookup = time.perf_counter() - started
    assert first < 4, f"download + scan of {count} names took {first:.2f} s"
    assert lookup < 0.2, f"lookup took {lookup:.3f} s"
    tsv = next((cache_dir / "names").glob("*.tsv"))
    assert tsv.read_bytes().count(b"\n") == count + 1  # header + one line per name


# -- parsing helpers -------------------------------------------------------------------


def test_stream_names_across_chunk_boundaries():
    names = [f"Name.{i}_x" for i in range(500)] + ["A&amp;B"]
    page = "".join(f'<a href="/simple/{n.lower()}/">{n}</a>\n' for n in names).encode()
    for size in (1, 7, 64, 1000):
        chunks = [page[i : i + size] for i in range(0, len(page), size)]

        sink: list[bytes] = []
        assert _stream_names(chunks, "text/html", sink.append) == len(names)
        lines = b"".join(sink).decode().splitlines()
        assert lines[0] == f"{ultranormalize_name('Name.0_x')}\tName.0_x"
        assert lines[-1] == "a&b\tA&B"
        table = _NameTable(sink)  # many small blocks: first lines of blocks must be found
        for name in names[:-1]:
            assert list(table.lookup(ultranormalize_name(name).encode())) == [name]
    json_page = (
        b'{"meta": {"api-version": "1.4"}, '
        b'"projects": [{"name": "Foo"}, {"name": "B\\u0061r"}]}'
    )
    sink = []
    assert _stream_names([json_page[:30], json_page[30:]], SIMPLE_JSON, sink.append) == 2
    assert b"".join(sink) == b"f00\tFoo\nbar\tBar\n"
    for broken in (json_page[:-1], b'{"meta": {}, "names": [{"name": "x"}]}'):
        with pytest.raises(ValueError, match="malformed JSON"):
            _stream_names([broken], SIMPLE_JSON, sink.append)


def test_bytes_ultranormalization_matches_naming():
    names = [n for n in ("Toast-ing", "OIL.il_lo", "A.B-C_D", "zz9", "Iota-Omega") if n]
    lines = _name_lines([n.encode() for n in names]).decode().splitlines()
    assert [line.split("\t")[0] for line in lines] == [ultranormalize_name(n) for n in names]


@pytest.mark.parametrize(
    ("filename", "version", "kind"),
    [
        ("foo-1.0.tar.gz", "1.0", "sdist"),
        ("foo_bar-1.0.0-py3-none-any.whl", "1.0.0", "bdist_wheel"),
        ("foo-1.0.zip", "1.0", "sdist"),
        ("foo-0.1.tar.bz2", "0.1", None),
        ("foo-1.0-py2.7.egg", "1.0", "bdist_egg"),
        ("foo-1.0.win32.exe", None, "bdist_wininst"),
        ("foo-not_a_version.tar.gz", None, "sdist"),
        ("garbage.whl", None, "bdist_wheel"),
    ],
)
def test_filename_helpers(filename, version, kind):
    assert version_from_filename(filename) == version
    assert package_type_from_filename(filename) == kind


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-02T03:04:05.123456Z", T0),
        ("2024-01-02T03:04:05.123456789Z", T0),
        ("2024-01-02T03:04:05.123456", T0),
        ("2024-01-02T05:04:05.123456+02:00", T0),
        ("2024-01-02 03:04:05", T0.replace(microsecond=0)),
        ("yesterday", None),
        ("2024-13-02T03:04:05Z", None),
        (None, None),
    ],
)
def test_parse_time(text, expected):
    assert _parse_time(text) == expected


# -- live (opt-in) ---------------------------------------------------------------------


@pytest.mark.live
def test_live_pypi(tmp_path: Path):
    from preupload_guard.engine.config import resolve_repository

    empty = tmp_path / "pypirc"
    empty.write_text("")  # twine's defaults only (a missing explicit file is an error)
    target = resolve_repository(None, None, str(empty))
    assert target.index_url and target.json_api_url
    with Index(target.index_url, target.json_api_url, cache_dir=tmp_path, timeout=30) as index:
        state = index.project("pluggy")
        assert state.exists and state.display_name == "pluggy"
        assert "json-api" in state.sources
        assert all(f.size is not None and f.blake2_256 for f in state.files)
        assert state.release("1.5.0") is not None and state.release("1.5.0").created
        assert index.project("this-project-does-not-exist-hopefully-9f3a").exists is False
