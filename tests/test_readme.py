"""The guarded renderer on its own: renderer choice, message parsing, limits, cache."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from preupload_guard.read import readme


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    readme.clear_cache()
    yield
    readme.clear_cache()


@pytest.mark.parametrize(("content_type", "expected"), [
    (None, readme.RST), ("", readme.RST), ("text/x-rst", readme.RST),
    ("Text/X-RST; charset=UTF-8", readme.RST), ("text/plain", readme.PLAIN),
    ("text/markdown", readme.MARKDOWN),
    ("text/markdown; variant=CommonMark", readme.MARKDOWN),  # always GFM on PyPI
    ("text/html", None),
])
def test_renderer_for(content_type: str | None, expected: str | None) -> None:
    assert readme.renderer_for(content_type) == expected


def test_rst_failure_reports_first_message_and_line() -> None:
    result = readme.render("Fine.\n\nTitle here\n====\n\nx\n", readme.RST)
    assert (result.status, result.line, result.level) == ("failed", 4, "WARNING/2")
    assert result.message == "Title underline too short."


def test_rst_message_without_line_number() -> None:
    result = readme.render("x\n\n" + "a" * 20000 + "\n", readme.RST)
    assert result.status == "failed" and result.line is None
    assert "line-length-limit" in (result.message or "")


def test_rst_ok_and_empty() -> None:
    assert readme.render("Title\n=====\n\nBody.\n", readme.RST).status == "ok"
    empty = readme.render(".. just a comment\n", readme.RST)
    assert empty.status == "failed" and empty.message is None


def test_plain_never_renders_anything() -> None:
    assert readme.render("   ", readme.PLAIN).status == "ok"


def test_markdown_empty_and_link_definitions_only() -> None:
    assert readme.render(" \n", readme.MARKDOWN).status == "failed"
    assert readme.render("[a]: https://example.com\n", readme.MARKDOWN).status == "failed"
    assert readme.render("hello\n", readme.MARKDOWN).status == "ok"


def test_markdown_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readme, "markdown_available", lambda: False)
    assert readme.render("hello", readme.MARKDOWN).status == "unavailable"


def test_child_render_agrees_with_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    text = "Intro.\n\n.. include:: /etc/passwd\n"
    inline = readme.render(text, readme.RST)
    readme.clear_cache()
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")
    child = readme.render(text, readme.RST)
    assert (child.status, child.line, child.message) == (inline.status, inline.line,
                                                         inline.message)
    assert child.status == "failed"


#: ~0.6 s of docutils here.
SLOW = "Title\n=====\n\n" + "Some *emphasis*, ``code`` and a `link <https://e.org/x>`_.\n\n" * 1000


def test_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")
    monkeypatch.setenv(readme.TIMEOUT_ENV, "0.05")
    result = readme.render(SLOW, readme.RST)
    assert result.status == "timeout" and result.timeout == 0.05
    # The child that overran was killed; the next README gets a new one.
    assert readme.render("Title\n=====\n\nBody.\n", readme.RST).status == "ok"


def test_the_time_limit_does_not_pay_for_the_child_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh child takes ~0.25 s to start and import docutils; a quick README is still
    decided within a 0.2 s limit, because the limit runs from the request."""
    monkeypatch.setattr(readme, "_worker", None)
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")
    monkeypatch.setenv(readme.TIMEOUT_ENV, "0.2")
    assert readme.render("Title\n=====\n\nBody.\n", readme.RST).status == "ok"
    readme._child().close()


PREFETCHED = [
    ("Title\n=====\n\nBody.\n", readme.RST),
    ("Fine.\n\nTitle here\n====\n\nx\n", readme.RST),
    (".. just a comment\n", readme.RST),
    ("Intro.\n\n.. include:: /etc/passwd\n", readme.RST),
    ("".join("  " * i + "x\n\n" for i in range(200)), readme.RST),  # RecursionError
    ("hello\n", readme.MARKDOWN),
    ("[a]: https://example.com\n", readme.MARKDOWN),
]


def test_a_prefetched_verdict_is_the_inline_verdict(monkeypatch: pytest.MonkeyPatch,
                                                    render_calls: list[str]) -> None:
    inline = [readme.render(text, renderer) for text, renderer in PREFETCHED]
    assert len(render_calls) == len(PREFETCHED)
    readme.clear_cache()
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")  # none taken back: see below
    assert all(readme.prefetch(text, renderer) for text, renderer in PREFETCHED)
    fetched = [readme.render(text, renderer) for text, renderer in PREFETCHED]
    assert len(render_calls) == len(PREFETCHED)  # none rendered here: all in the child
    def verdict(r: readme.Rendered) -> tuple[object, ...]:
        # A crash is compared by its exception type: the depth at which a RecursionError
        # strikes, and so its wording, differs between two stacks (Python 3.10).
        message = r.message.split(":")[0] if r.status == "crashed" and r.message else r.message
        return r.status, r.line, r.level, message

    assert [verdict(r) for r in fetched] == [verdict(r) for r in inline]


def test_prefetch_starts_each_render_once(monkeypatch: pytest.MonkeyPatch,
                                         render_calls: list[str]) -> None:
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")
    assert not readme.prefetch("anything", readme.PLAIN)
    assert readme.prefetch("Body.\n", readme.RST)
    assert not readme.prefetch("Body.\n", readme.RST)  # under way
    assert readme.render("Body.\n", readme.RST).status == "ok"
    assert not readme.prefetch("Body.\n", readme.RST)  # decided
    assert render_calls == []


def test_a_prefetch_forgotten_by_clear_cache_is_not_kept(monkeypatch: pytest.MonkeyPatch,
                                                          render_calls: list[str]) -> None:
    monkeypatch.setenv(readme.TIMEOUT_ENV, "0.05")
    assert readme.prefetch(SLOW, readme.RST)  # will time out in the child
    [under_way] = readme._pending.values()
    readme.clear_cache()  # the limits change, as between two runs
    assert under_way.result(timeout=60).status == "timeout"  # it arrived after the clear
    monkeypatch.setenv(readme.TIMEOUT_ENV, "60")
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, str(10**7))
    assert readme.render(SLOW, readme.RST).status == "ok"  # not the forgotten verdict
    assert render_calls == [SLOW]


@pytest.mark.parametrize(("raw", "expected"), [("", 60.0), ("5", 5.0), ("junk", 60.0),
                                               ("-1", 60.0)])
def test_timeout_from_environment(monkeypatch: pytest.MonkeyPatch, raw: str,
                                  expected: float) -> None:
    monkeypatch.setenv(readme.TIMEOUT_ENV, raw)
    assert readme.render_timeout() == expected


@pytest.fixture
def render_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts actually rendered (cache misses), in order."""
    calls: list[str] = []
    real = readme._render_here

    def counting(text: str, renderer: str) -> tuple[bool, str]:
        calls.append(text)
        return real(text, renderer)

    monkeypatch.setattr(readme, "_render_here", counting)
    return calls


def test_verdicts_are_cached(render_calls: list[str]) -> None:
    for _ in range(3):
        readme.render("Body.\n", readme.RST)
    readme.render("Body.\n", readme.MARKDOWN)
    assert len(render_calls) == 2


def test_cache_outlasts_a_release_set(render_calls: list[str]) -> None:
    """A README met again after many others (an sdist sorted far from its wheels) is not
    rendered again."""
    texts = [f"Project {i}\n\nBody {i}.\n" for i in range(200)]
    for text in texts:
        readme.render(text, readme.RST)
    for text in texts:
        readme.render(text, readme.RST)
    assert len(render_calls) == len(texts)


def test_a_prefetch_without_a_child_still_gives_the_verdict(
        monkeypatch: pytest.MonkeyPatch, render_calls: list[str]) -> None:
    """The first start fails on the feeding thread: the README is rendered here instead,
    not reported as a renderer crash."""
    monkeypatch.setattr(readme, "_worker", readme.ChildWorker(
        [os.path.join(os.sep, "no", "such", "interpreter")], None))
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")  # not taken back before the child is tried
    text = "Fine.\n\nTitle here\n====\n\nx\n"
    assert readme.prefetch(text, readme.RST)
    result = readme.render(text, readme.RST)
    assert (result.status, result.line) == ("failed", 4)
    assert render_calls == [text]
    assert not readme.prefetch("Other.\n", readme.RST)  # known broken: not even tried


def test_a_small_prefetch_still_waiting_for_the_child_is_rendered_here(
        render_calls: list[str]) -> None:
    # The child is busy with SLOW; the check that needs "Body." does not wait behind it.
    assert readme.prefetch(SLOW, readme.RST)
    assert readme.prefetch("Body.\n", readme.RST)
    assert readme.render("Body.\n", readme.RST).status == "ok"
    assert render_calls == ["Body.\n"]  # here: the child's are not counted
    assert readme.render(SLOW, readme.RST).status == "ok"
    assert SLOW not in render_calls  # the child had taken it at once: waited for
    # The child skips what was taken and goes on serving: a verdict settles only once.
    assert readme.prefetch("Other.\n", readme.RST)
    [other] = readme._pending.values()
    assert other.result(timeout=60).status == "ok"
    assert "Other.\n" not in render_calls


def test_a_large_prefetch_is_left_to_the_child(monkeypatch: pytest.MonkeyPatch,
                                               render_calls: list[str]) -> None:
    # Above the inline limit a README keeps the child's time limit and memory cap.
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "10")
    assert readme.prefetch(SLOW, readme.RST)
    assert readme.prefetch("Title\n=====\n\nBody.\n", readme.RST)
    assert readme.render("Title\n=====\n\nBody.\n", readme.RST).status == "ok"
    assert render_calls == []
