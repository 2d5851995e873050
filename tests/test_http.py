"""The shared HTTP session: RFC caching across runs, retries, timeouts, User-Agent."""

from __future__ import annotations

import time

import pytest
import requests

from preupload_guard.index.client import Index
from preupload_guard.index.http import USER_AGENT, make_session
from preupload_guard.index.simple import PROJECT_ACCEPT
from preupload_guard.testing import FixtureFile, FixtureProject, IndexScenario

JSON = {"Accept": PROJECT_ACCEPT}


def scenario(**kwargs: object) -> IndexScenario:
    project = FixtureProject("tiny", [FixtureFile("tiny-1.0.tar.gz", content=b"tiny")])
    return IndexScenario(projects=[project], **kwargs)  # type: ignore[arg-type]


def test_etag_is_revalidated_by_a_new_session(guard_index, cache_dir):
    fixture = guard_index(scenario(etag=True))
    url = fixture.simple_url + "tiny/"
    with make_session(cache_dir, 5) as first:
        original = first.get(url, headers=JSON)
    with make_session(cache_dir, 5) as second:  # a new process: only the disk cache is shared
        again = second.get(url, headers=JSON)
    assert [s for _, s in fixture.statuses] == [200, 304]
    assert "If-None-Match" in fixture.request_headers[1]
    assert again.status_code == 200 and again.from_cache
    assert again.content == original.content
    assert (cache_dir / "http").is_dir()


def test_responses_without_validators_are_not_stored(guard_index, cache_dir):
    fixture = guard_index(scenario())
    url = fixture.simple_url + "tiny/"
    for _ in range(2):
        with make_session(cache_dir, 5) as session:
            assert not session.get(url, headers=JSON).from_cache
    assert [s for _, s in fixture.statuses] == [200, 200]


def test_no_cache_dir_means_no_cache(guard_index):
    fixture = guard_index(scenario(etag=True))
    with make_session(None, 5) as session:
        for _ in range(2):
            session.get(fixture.simple_url + "tiny/", headers=JSON)
    assert [s for _, s in fixture.statuses] == [200, 200]
    assert all("If-None-Match" not in h for h in fixture.request_headers)


def test_cached_json_is_not_served_for_an_html_request(guard_index, cache_dir):
    # The fixture sends "Vary: Accept", as PyPI does.
    fixture = guard_index(scenario(etag=True))
    url = fixture.simple_url + "tiny/"
    with make_session(cache_dir, 5) as session:
        session.get(url, headers=JSON)
        page = session.get(url, headers={"Accept": "text/html"})
    assert page.headers["Content-Type"].startswith("text/html")


def test_index_runs_revalidate_project_pages(guard_index, cache_dir):
    fixture = guard_index(scenario(etag=True))
    states = []
    for _ in range(2):
        with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
            states.append(index.project("tiny"))
    assert states[0] == states[1]
    assert fixture.statuses[2:] == [("/simple/tiny/", 304), ("/pypi/tiny/json", 304)]


def test_a_changed_page_is_seen_at_once(guard_index, cache_dir):
    fixture = guard_index(scenario(etag=True))
    with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
        assert len(index.project("tiny").files) == 1
    new = scenario(etag=True)
    new.projects[0].files.append(FixtureFile("tiny-1.0-py3-none-any.whl"))
    fixture.scenario = new
    with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
        assert len(index.project("tiny").files) == 2


def test_user_agent(guard_index):
    fixture = guard_index(scenario())
    with make_session(None, 5) as session:
        session.get(fixture.simple_url)
    assert fixture.request_headers[0]["User-Agent"] == USER_AGENT
    assert USER_AGENT.startswith("preupload-guard/")


def test_server_errors_are_retried_then_returned(guard_index):
    fixture = guard_index(scenario(fail={"/simple/": "503"}))
    with make_session(None, 5) as session:
        response = session.get(fixture.simple_url)
    assert response.status_code == 503
    assert fixture.hits("/simple/") == 3


def test_client_errors_are_not_retried(guard_index):
    fixture = guard_index(scenario(fail={"/simple/": "403"}))
    with make_session(None, 5) as session:
        assert session.get(fixture.simple_url).status_code == 403
    assert fixture.hits("/simple/") == 1


def test_the_session_timeout_applies_when_the_caller_gives_none(guard_index):
    fixture = guard_index(scenario(fail={"/simple/": "slow"}, slow_seconds=3))
    started = time.monotonic()
    with make_session(None, 0.2) as session, pytest.raises(requests.ConnectionError):
        session.get(fixture.simple_url)
    assert time.monotonic() - started < 1.5


def test_an_unwritable_cache_dir_is_not_fatal(guard_index, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    fixture = guard_index(scenario())
    with make_session(blocker, 5) as session:
        assert session.get(fixture.simple_url).status_code == 200


def test_an_injected_session_is_used_and_left_open(guard_index):
    fixture = guard_index(scenario())
    session = requests.Session()
    session.headers["User-Agent"] = "custom"
    with Index(fixture.simple_url, session=session) as index:
        assert index.project("tiny").exists
        index.similar_project("tiny")
    assert {h["User-Agent"] for h in fixture.request_headers} == {"custom"}
    assert session.get(fixture.simple_url, timeout=5).status_code == 200  # still usable
    session.close()


def test_pages_the_index_lets_cache_are_still_revalidated(guard_index, cache_dir):
    """PyPI's pages carry max-age; a page cached before an upload must not hide it."""
    fixture = guard_index(scenario(etag=True, max_age=600))
    with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
        assert len(index.project("tiny").files) == 1
    with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
        assert len(index.project("tiny").files) == 1
    assert fixture.statuses[2:] == [("/simple/tiny/", 304), ("/pypi/tiny/json", 304)]
    new = scenario(etag=True, max_age=600)
    new.projects[0].files.append(FixtureFile("tiny-1.0-py3-none-any.whl"))
    fixture.scenario = new
    with Index(fixture.simple_url, fixture.json_api_url, cache_dir=cache_dir) as index:
        assert len(index.project("tiny").files) == 2
