"""Render a long description the way PyPI does, without letting one README stall the run.

PyPI renders the ``description`` form field on every upload (reference §2.7) and refuses the
file when the renderer returns nothing. This module answers the same question locally:

* The renderer is chosen as PyPI chooses it: the content type is normalized the way an
  e-mail ``Content-Type`` header is; ``text/plain`` never fails, ``text/markdown`` is always
  rendered as GFM whatever ``variant`` says, and ``text/x-rst`` (also the default when no
  content type was sent) is rendered by docutils through readme-renderer's HTML writer.
* reStructuredText is rendered with the settings of readme-renderer **45.0**, PyPI's pin.
  readme-renderer 46.0 stopped promoting a lone top-level title to the document title; with
  46.0's settings a README that is only a title renders, while PyPI (45.0) renders it to
  nothing and refuses it. Only the three settings that make that difference are overridden;
  everything else (halt on WARNING, no raw/include, ...) is taken from the installed package.
* docutils renders about 25-40 KiB/s here and gets slower than linear on large documents (a
  730 KiB README took ~29 s). Rendering is pure Python: on a thread it holds the GIL that
  the other files' reading needs (~13% of checking the benchmark set). So when a run has
  more files to read, each README is handed to a render child (``read/child_worker.py``)
  as soon as its file's metadata is read (:func:`prefetch`), and the check collects the
  verdict later. On its own, :func:`render` renders a description up to
  :data:`DEFAULT_INLINE_LIMIT` bytes in this process and a larger one in the child; a
  prefetched one that small which the child has not started yet when the check needs it
  is rendered here too, since by then nothing is left to read (:func:`_take_queued`).
* In the child, every render has a time limit (counted from the request, not from the
  child's start) and a memory cap: a pathological README costs at most that limit and is
  reported as "could not be verified", never as a pass and never as a hang; the child is
  then replaced. Both numbers can be changed through the environment
  (:data:`TIMEOUT_ENV`, :data:`INLINE_LIMIT_ENV`) or the module constants.
* Results are cached by content, because the wheel and the sdist of one release almost
  always carry the same README: it is rendered once per run.

Heavy imports (docutils, readme_renderer, comrak) happen only when a description must be
rendered.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import io
import os
import re
import sys
import threading
import time
import warnings
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from preupload_guard.read.child_worker import ChildFailed, ChildWorker, python_child, serve

#: Seconds a render in the child may take before it is abandoned.
DEFAULT_TIMEOUT = 60.0
#: Up to this many UTF-8 bytes, :func:`render` renders in-process; larger, in the child.
DEFAULT_INLINE_LIMIT = 64 * 1024
#: The address-space cap of the render child (bytes): docutils on a 5 MB description
#: peaks near 100 MB; an interpreter with readme-renderer loaded maps ~150 MB.
CHILD_MEMORY = 1024 * 1024 * 1024
#: Environment variable overriding :data:`DEFAULT_TIMEOUT` (seconds, a float).
TIMEOUT_ENV = "PREUPLOAD_GUARD_RENDER_TIMEOUT"
#: Environment variable overriding :data:`DEFAULT_INLINE_LIMIT` (bytes; 0 = always a child).
INLINE_LIMIT_ENV = "PREUPLOAD_GUARD_RENDER_INLINE_LIMIT"

RST = "rst"
MARKDOWN = "markdown"
PLAIN = "plain"

#: Human names of the renderers, as used in messages.
RENDERER_NAMES = {RST: "reStructuredText", MARKDOWN: "Markdown (GFM)", PLAIN: "plain text"}

#: The docutils settings in which readme-renderer 45.0 (PyPI's pin) differs from 46.0 in a
#: way that changes the verdict: with these, a document that is only a title (or a title and
#: a subtitle) is promoted to the document title and the rendered fragment is empty.
PYPI_RST_OVERRIDES: dict[str, Any] = {
    "doctitle_xform": True,
    "sectsubtitle_xform": True,
    "initial_header_level": 2,
}

#: Verdicts kept per run. An entry is a key and a small frozen record (~300 bytes), so the
#: bound only stops an absurd run from growing without end. It must outlast a whole release
#: set: files are checked in name order, and an sdist named per PEP 625 (``markupsafe-``)
#: sorts far from its wheels (``MarkupSafe-``). With 32 entries, 35 of the 85 renders of the
#: 172-file benchmark set repeated a README already rendered (0.6 s).
_CACHE_SIZE = 4096
_cache: OrderedDict[tuple[str, str], Rendered] = OrderedDict()
_cache_lock = threading.Lock()
#: The verdict to come of each README being rendered right now (see :func:`render`).
_pending: dict[tuple[str, str], Future[Rendered]] = {}
#: The verdicts to come of prefetched READMEs still waiting for the render child (see
#: :func:`_take_queued`). Not emptied by :func:`clear_cache`: whoever waits for one of
#: them must get it, from the child or from a check that took it.
_queued: set[Future[Rendered]] = set()

# docutils reports "<source>:<line>: (<LEVEL>/<n>) <text>"; the line may be empty.
_MESSAGE_RE = re.compile(
    r"^[^\n]*?:(?P<line>\d*): \((?P<level>[A-Z]+/\d)\) (?P<text>[^\n]*)", re.MULTILINE
)



@dataclass(frozen=True)
class Rendered:
    """The verdict on one description.

    ``status`` is ``ok``; ``failed`` (PyPI would refuse it); ``timeout`` (not decided within
    ``timeout`` seconds); ``crashed`` (the renderer raised: ``message`` says what); or
    ``unavailable`` (the Markdown renderer is not installed). For an rst failure, ``message``,
    ``line`` and ``level`` come from the first docutils system message; an empty rendering
    has no message.
    """

    status: str
    renderer: str
    message: str | None = None
    line: int | None = None
    level: str | None = None
    seconds: float = 0.0
    timeout: float | None = None


def render_timeout() -> float:
    """The time limit of a guarded render, from :data:`TIMEOUT_ENV` or the default."""
    return _env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT)


def inline_limit() -> int:
    """Up to how many bytes a description is rendered in-process."""
    return int(_env_number(INLINE_LIMIT_ENV, DEFAULT_INLINE_LIMIT))


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        return default
    return value if value >= 0 else default


def renderer_for(content_type: str | None) -> str | None:
    """Which renderer PyPI uses for a ``Description-Content-Type`` value.

    No value (or an empty one) means reStructuredText. Otherwise the value is normalized
    like an e-mail ``Content-Type`` header (lowercased type, parameters dropped), which is
    why ``text/markdown; variant=CommonMark`` still selects the one (GFM) Markdown renderer.
    ``None`` means a type PyPI's metadata validation refuses before rendering.
    """
    if not content_type:
        return RST
    message = EmailMessage()
    try:
        message["content-type"] = content_type
    except (ValueError, IndexError):
        return None
    return {"text/plain": PLAIN, "text/x-rst": RST, "text/markdown": MARKDOWN}.get(
        message.get_content_type()
    )


@functools.cache
def markdown_available() -> bool:
    """readme-renderer renders Markdown only with comrak (its ``[md]`` extra).

    Asked once per process: ``find_spec`` walks ``sys.path`` each time (0.3 s of the
    benchmark's 172 files when it was asked at each render).
    """
    return importlib.util.find_spec("comrak") is not None


def render(text: str, renderer: str) -> Rendered:
    """Render ``text`` as PyPI would with ``renderer`` (one of :data:`RST`, ...)."""
    if renderer == PLAIN:
        return Rendered("ok", PLAIN)
    if renderer == MARKDOWN and not markdown_available():
        return Rendered("unavailable", MARKDOWN,
                        message="comrak is not installed (readme-renderer[md])")
    key = _key(text, renderer)
    found, mine = _claim(key)
    if isinstance(found, Rendered):
        return found
    small = len(text.encode("utf-8", "surrogatepass")) <= inline_limit()
    # Files are checked in parallel, and the wheel and sdist of a release carry the same
    # README: a second caller waits for the render under way (maybe a prefetch), unless it
    # is a prefetch still waiting for the child, which it renders itself if small. Either
    # way the one who renders settles the verdict, also when interrupted.
    if not mine and not (small and _take_queued(found)):
        return found.result()
    try:
        if small or not _can_spawn():
            result = _render_inline(text, renderer)
        else:
            result = _in_child(text, renderer, render_timeout())
    except BaseException as exc:  # KeyboardInterrupt: whoever waits must not wait forever
        _drop(key, found, exc)
        raise
    _settle(key, found, result)
    return result


def prefetch(text: str, renderer: str) -> bool:
    """Start rendering ``text`` in the render child now; :func:`render` collects it later.

    The run calls this as soon as a file's metadata is read, so that docutils runs on
    another core while this process reads the other files; rendering in-process would hold
    the GIL those reads need. A prefetched README the child renders gets its guards (the time
    limit and the memory cap), whatever its size; one of at most the inline limit that the
    child has not started when :func:`render` asks for it is rendered there, in-process,
    like any README that small. Returns whether a render was started
    (not for plain text, a missing renderer, a README already rendered or under way, or
    where no child can be started).
    """
    if renderer == PLAIN or (renderer == MARKDOWN and not markdown_available()):
        return False
    if not _can_spawn() or _child().broken:
        return False
    key = _key(text, renderer)
    found, mine = _claim(key)
    if not mine:
        return False
    timeout = render_timeout()
    start = time.perf_counter()
    with _cache_lock:
        _queued.add(found)

    def done(answer: Any) -> None:
        _settle(key, found, _from_child(answer, text, renderer, timeout, start))

    _child().submit({"renderer": renderer, "text": text}, timeout, done,
                    claim=lambda: _take_queued(found))
    return True


def _take_queued(verdict: Future[Rendered]) -> bool:
    """Take a prefetched render that the child has not started: ``True`` for exactly one
    caller, the child's feeding thread or a check that renders it itself.

    Why: a run's last files end their passes together, and their READMEs then wait in the
    one child's queue (about 0.8 s at the end of the benchmark's check, while nothing else
    was left to read). A check that needs a small one renders it here instead.
    """
    with _cache_lock:
        if verdict in _queued:
            _queued.discard(verdict)
            return True
        return False


def clear_cache() -> None:
    """Forget earlier verdicts (tests change the limits between runs).

    A render still under way is forgotten too: its verdict, found under the old limits, is
    not kept when it arrives.
    """
    with _cache_lock:
        _cache.clear()
        _pending.clear()


def _key(text: str, renderer: str) -> tuple[str, str]:
    return renderer, hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _claim(key: tuple[str, str]) -> tuple[Rendered | Future[Rendered], bool]:
    """The cached verdict; or the future verdict of a render under way (``False``); or a
    new future that the caller must settle (``True``)."""
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached, False
        future = _pending.get(key)
        if future is not None:
            return future, False
        future = _pending[key] = Future()
        return future, True


def _settle(key: tuple[str, str], future: Future[Rendered], result: Rendered) -> None:
    with _cache_lock:
        if _pending.get(key) is future:  # not forgotten by clear_cache meanwhile
            del _pending[key]
            _cache[key] = result
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    future.set_result(result)


def _drop(key: tuple[str, str], future: Future[Rendered], exc: BaseException) -> None:
    with _cache_lock:
        if _pending.get(key) is future:
            del _pending[key]
    future.set_exception(exc)


def _can_spawn() -> bool:
    # A frozen application's executable is not a Python interpreter.
    return bool(sys.executable) and not getattr(sys, "frozen", False)


_worker: ChildWorker | None = None
_worker_lock = threading.Lock()


def _child() -> ChildWorker:
    """The run's one render child (started at its first README, ended at exit)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            # Its greeting is our import path: it finds exactly the same docutils.
            _worker = ChildWorker(python_child(__name__, "_serve"), list(sys.path))
            atexit.register(_worker.close)
        return _worker


def _render_inline(text: str, renderer: str) -> Rendered:
    start = time.perf_counter()
    try:
        ok, messages = _render_here(text, renderer)
    except Exception as exc:  # RecursionError on absurd nesting, bugs in a renderer
        return Rendered("crashed", renderer, message=f"{type(exc).__name__}: {exc}"[:300],
                        seconds=time.perf_counter() - start)
    return _verdict(renderer, ok, messages, time.perf_counter() - start)


def _in_child(text: str, renderer: str, timeout: float) -> Rendered:
    start = time.perf_counter()
    try:
        answer: Any = _child().ask({"renderer": renderer, "text": text}, timeout)
    except ChildFailed as exc:
        answer = exc
    return _from_child(answer, text, renderer, timeout, start)


def _from_child(answer: Any, text: str, renderer: str, timeout: float,
                start: float) -> Rendered:
    """The verdict from the child's answer (or its failure), timed from ``start``.

    When no child could be started at all, the verdict is still owed: ``text`` is then
    rendered here, unguarded, as it was before there was a child.
    """
    elapsed = time.perf_counter() - start
    if isinstance(answer, ChildFailed):
        if answer.kind == "crashed" and _child().broken:
            return _render_inline(text, renderer)
        if answer.kind == "timeout":
            return Rendered("timeout", renderer, seconds=elapsed, timeout=timeout)
        return Rendered("crashed", renderer, message=str(answer)[:300], seconds=elapsed)
    if "error" in answer:
        return Rendered("crashed", renderer, message=str(answer["error"])[:300],
                        seconds=elapsed)
    return _verdict(renderer, bool(answer["ok"]), str(answer["messages"]), elapsed)


def _serve() -> None:
    """Entry point of the render child (see :func:`_child`).

    The child's address space is capped at :data:`CHILD_MEMORY` where the platform allows,
    so a description that makes docutils allocate without end ends as ``crashed`` (out of
    memory) instead of swapping the machine. The renderers are imported before the child
    says it is ready, so a render's time limit does not pay for them.
    """
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY, CHILD_MEMORY))
    except (ImportError, ValueError, OSError):
        pass  # no resource module (Windows) or a lower hard limit already: keep it
    try:
        import docutils.core  # noqa: F401
        import readme_renderer.rst  # noqa: F401
    except ImportError:
        pass  # reported by the first render that needs them
    serve(_answer)


def _answer(request: dict[str, Any]) -> dict[str, Any]:
    """The child's answer to one request: the render's outcome, or the error it raised."""
    try:
        ok, messages = _render_here(request["text"], request["renderer"])
        return {"ok": ok, "messages": messages}
    except MemoryError:
        return {"error": f"MemoryError: the renderer needed more than "
                         f"{CHILD_MEMORY // 2**20} MiB"}
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


def _verdict(renderer: str, ok: bool, messages: str, seconds: float) -> Rendered:
    if ok:
        return Rendered("ok", renderer, seconds=seconds)
    match = _MESSAGE_RE.search(messages)
    if match is None:
        return Rendered("failed", renderer, seconds=seconds)
    line = int(match["line"]) if match["line"] else None
    return Rendered("failed", renderer, message=match["text"].strip(), line=line,
                    level=match["level"], seconds=seconds)


def _render_here(text: str, renderer: str) -> tuple[bool, str]:
    """Render in this interpreter; return (rendered to something, docutils messages)."""
    if renderer == MARKDOWN:
        with warnings.catch_warnings():
            # Without comrak the module warns at import; that case never gets here.
            warnings.simplefilter("ignore")
            from readme_renderer import markdown
        return bool(markdown.render(text, variant="GFM")), ""
    if renderer == RST:
        return _render_rst(text)
    return True, ""


def _render_rst(text: str) -> tuple[bool, str]:
    from docutils.core import publish_parts
    from docutils.utils import SystemMessage
    from readme_renderer import rst

    stream = io.StringIO()
    settings = {**rst.SETTINGS, **PYPI_RST_OVERRIDES, "warning_stream": stream}
    writer = rst.Writer()
    writer.translator_class = rst.ReadMeHTMLTranslator
    try:
        parts = publish_parts(text, writer=writer, settings_overrides=settings)
    except SystemMessage:
        return False, stream.getvalue()
    html = parts.get("docinfo", "") + parts.get("fragment", "")
    return bool(html), stream.getvalue()
