"""A long-lived child interpreter that answers requests one at a time, with a time limit.

Why a child: work that is pure Python (docutils rendering a README) holds the GIL, so on a
thread it slows every other file being read. In a child it runs on another core, and a
hostile input there can only take the child down: the caller kills it when a request
overruns its time limit, and starts a new one for the next request.

Why long-lived: a fresh interpreter that imports docutils costs ~0.2 s, more than most
renders. One child serves the whole run; requests queued with :meth:`ChildWorker.submit`
are answered in order by one feeding thread, beside the caller's own work.

The protocol is frames of an 8-byte big-endian length and a body, over the child's
stdin and stdout: UTF-8 JSON, or a pickle between two interpreters of this package that
trust each other (:data:`PICKLE`, for the pass workers of :mod:`.pass_pool`). The first
frame to the child is a JSON greeting (whatever the child's code needs to set itself up,
such as ``sys.path``: see :func:`python_child`); the child answers it once it is ready, and
then each request frame with one answer frame. The time limit of a request runs from
when it is sent, so neither the child's start nor the wait in the queue counts.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import queue
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from typing import IO, Any, NamedTuple

#: Seconds a child may take to start and answer the greeting.
START_TIMEOUT = 60.0
_HEADER = 8
#: A frame longer than this is a broken child, not an answer (answers are small).
_MAX_FRAME = 1 << 30


class ChildFailed(Exception):
    """The child gave no answer: ``kind`` is ``timeout`` or ``crashed``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class Codec(NamedTuple):
    """How a frame's value becomes bytes and back."""

    dumps: Callable[[Any], bytes]
    loads: Callable[[bytes], Any]


JSON = Codec(lambda value: json.dumps(value).encode("utf-8"),
             lambda data: json.loads(data.decode("utf-8")))
PICKLE = Codec(lambda value: pickle.dumps(value, pickle.HIGHEST_PROTOCOL), pickle.loads)


def write_frame(stream: IO[bytes], value: Any, codec: Codec = JSON) -> None:
    data = codec.dumps(value)
    stream.write(len(data).to_bytes(_HEADER, "big"))
    stream.write(data)
    stream.flush()


def read_frame(stream: IO[bytes], codec: Codec = JSON) -> Any:
    """The next frame's value, or ``None`` at the end of the stream (or a torn frame)."""
    head = _read_exactly(stream, _HEADER)
    if head is None:
        return None
    size = int.from_bytes(head, "big")
    if size > _MAX_FRAME:
        return None
    body = _read_exactly(stream, size)
    return None if body is None else codec.loads(body)


def python_child(module: str, function: str) -> list[str]:
    """The argv of a child interpreter that takes ``sys.path`` from its greeting (so that it
    imports exactly what this process does) and then runs ``module.function()``, which
    calls :func:`serve`. ``-I``: no user site, no ``PYTHON*`` variables, no current
    directory on the path."""
    code = (
        "import json, sys\n"
        "size = int.from_bytes(sys.stdin.buffer.read(8), 'big')\n"
        "sys.path[:] = json.loads(sys.stdin.buffer.read(size).decode('utf-8'))\n"
        f"from {module} import {function}\n"
        f"{function}()\n"
    )
    return [sys.executable, "-I", "-c", code]


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    parts: list[bytes] = []
    while size:
        part = stream.read(size)
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def serve(handler: Callable[[Any], Any], codec: Codec = JSON) -> None:
    """The child's side: say it is ready, then answer each request with ``handler``.

    The frames go to a private copy of stdout, and stdout itself is pointed at stderr, so a
    library that prints cannot corrupt an answer.
    """
    requests = sys.stdin.buffer
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    write_frame(answers, {"ready": True}, codec)
    while True:
        request = read_frame(requests, codec)
        if request is None:
            return
        write_frame(answers, handler(request), codec)


def _exchange(proc: subprocess.Popen[bytes], frame: Any, seconds: float | None,
              codec: Codec, send: Codec | None = None) -> tuple[Any, bool]:
    """Send ``frame`` (in ``send``, else ``codec``) and read the answer (``None`` if there
    is none), killing the child if the answer takes more than ``seconds`` (``None``: no
    limit); also returns whether that limit fired."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        proc.kill()

    timer = threading.Timer(seconds, expire) if seconds is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        write_frame(proc.stdin, frame, send or codec)
        answer = read_frame(proc.stdout, codec)
    except (OSError, ValueError, EOFError, pickle.UnpicklingError):  # a broken pipe or frame
        answer = None
    finally:
        if timer is not None:
            timer.cancel()
    return answer, fired.is_set()


_Item = tuple[Any, "float | None", Callable[[Any], None], "Callable[[], bool] | None"]


class ChildWorker:
    """The parent's side: one child started from ``argv`` and greeted with ``greeting``.

    The child is started at the first request and again after one that failed. When it
    cannot be started at all, :attr:`broken` is set and every request fails as ``crashed``
    at once, so the caller can do the work itself.
    """

    def __init__(self, argv: list[str], greeting: Any, codec: Codec = JSON) -> None:
        self._argv = argv
        self._greeting = greeting  # always JSON: the child's code reads it before imports
        self._codec = codec
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._lock = threading.Lock()  # one request at a time
        self._setup = threading.Lock()  # the queue and its thread, made once
        self._queue: queue.SimpleQueue[_Item | None] | None = None
        self.broken = False
        if hasattr(os, "register_at_fork"):
            me = weakref.ref(self)
            os.register_at_fork(after_in_child=lambda: (w := me()) and w._forked())

    # -- one request, on the caller's thread ---------------------------------------------
    def ask(self, request: Any, timeout: float | None) -> Any:
        """The child's answer to ``request``; :class:`ChildFailed` if there is none."""
        with self._lock:
            answer, fired = _exchange(self._proc or self._start(), request, timeout,
                                      self._codec)
            if answer is not None and not fired:
                return answer
            message = self._stop()
            if answer is not None:  # answered as the limit ran out: the answer stands
                return answer
            if fired:
                raise ChildFailed("timeout", f"no answer within {timeout:g} s")
            raise ChildFailed("crashed", message)

    # -- requests in the background ------------------------------------------------------
    def submit(self, request: Any, timeout: float | None, done: Callable[[Any], None],
               claim: Callable[[], bool] | None = None) -> None:
        """Queue ``request``; ``done`` is called on the feeding thread with the answer or
        the :class:`ChildFailed`.

        With ``claim``, the request is sent only if ``claim()`` is true when its turn comes
        (and ``done`` is not called otherwise): the caller may have done the work itself
        meanwhile.
        """
        with self._setup:
            if self._queue is None:
                self._queue = queue.SimpleQueue()
                threading.Thread(target=self._feed, args=(self._queue,), daemon=True,
                                 name="preupload-guard-child").start()
            self._queue.put((request, timeout, done, claim))

    def _feed(self, requests: queue.SimpleQueue[_Item | None]) -> None:
        while True:
            item = requests.get()
            if item is None:  # closed
                return
            request, timeout, done, claim = item
            if claim is not None and not claim():
                continue
            try:
                answer: Any = self.ask(request, timeout)
            except ChildFailed as exc:
                answer = exc
            except Exception as exc:  # never lose a request: its caller waits for it
                answer = ChildFailed("crashed", f"{type(exc).__name__}: {exc}")
            done(answer)

    # -- the child's life ------------------------------------------------------------------
    def _start(self) -> subprocess.Popen[bytes]:
        if self.broken:
            raise ChildFailed("crashed", "the child interpreter could not be started")
        stderr = tempfile.TemporaryFile()  # noqa: SIM115 - kept for the child's life
        try:
            proc = subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=stderr)
        except OSError as exc:
            stderr.close()
            self.broken = True
            raise ChildFailed("crashed", f"cannot start the child interpreter: {exc}") from None
        self._proc, self._stderr = proc, stderr
        ready, _ = _exchange(proc, self._greeting, START_TIMEOUT, self._codec, send=JSON)
        if not isinstance(ready, dict) or not ready.get("ready"):
            message = self._stop()
            self.broken = True  # a child that cannot even start will not start next time
            raise ChildFailed("crashed", message)
        return proc

    def _stop(self) -> str:
        """Kill the child; return what it last said on stderr (or how it ended)."""
        proc, stderr = self._proc, self._stderr
        self._proc = self._stderr = None
        if proc is None:
            return "the child interpreter is gone"
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        tail = ""
        if stderr is not None:
            try:
                stderr.seek(max(0, stderr.seek(0, 2) - 4096))
                lines = stderr.read().decode("utf-8", "replace").strip().splitlines()
                tail = lines[-1].strip() if lines else ""
            finally:
                stderr.close()
        return tail or f"the child interpreter exited with status {proc.returncode}"

    def close(self) -> None:
        """End the child: it exits when its stdin closes; killed if it does not at once.

        The feeding thread ends once the requests queued before have been answered.
        """
        with self._setup:
            if self._queue is not None:
                self._queue.put(None)
                self._queue = None
        with self._lock:
            proc = self._proc
            if proc is None:
                return
            try:
                if proc.stdin is not None:
                    proc.stdin.close()
                proc.wait(timeout=1)
            except (OSError, subprocess.TimeoutExpired):
                pass
            self._stop()

    def _forked(self) -> None:
        # A forked process inherits the handles (and maybe a held lock) but not the feeding
        # thread: it must not talk to its parent's child. It starts its own when it needs one.
        self._lock = threading.Lock()
        self._setup = threading.Lock()
        self._proc = self._stderr = None
        self._queue = None
