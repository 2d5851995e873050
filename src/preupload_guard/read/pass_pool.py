"""Files' passes in worker processes: the reading that threads cannot spread over cores.

Why processes: a pass is zlib, crc32 and small Python steps in turn, and with two threads
the GIL changes hands at each of them. On the benchmark's 172 real files, ``--jobs 2``
on threads took as long as ``--jobs 1`` (and 1-3 s more CPU), while two processes with
half the files each took 1.3-1.6x less time.

How: the runner subscribes every visitor in its own process, as always. For a file whose
subscribers are all :attr:`~.members.MemberVisitor.portable`, they are pickled to a worker,
which makes the file's pass there (:meth:`.Artifact.pass_state`) and pickles back the
reader, the subscribers as they ended and the core metadata; the runner's Artifact
adopts them (:meth:`~.Artifact.adopt`), so the checks see what an in-process pass would have
left. The Artifact itself is never pickled: a reference to it stands for the Artifact of
the same file on the other side.

Nothing here can change an answer. Whatever goes wrong (a visitor that does not pickle,
a worker that cannot be started or dies, an answer that cannot be read back) makes
:meth:`PassPool.adopt` answer ``False``, and the runner reads that file on its thread, as
it would without the pool. A visitor's exception comes back as :class:`PassFailure`,
with its type, text and the place it was raised, so that ``plugin-error`` says the same.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import threading
import traceback
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

from preupload_guard.read.artifact import Artifact, PassState
from preupload_guard.read.child_worker import PICKLE, ChildFailed, ChildWorker, python_child, serve
from preupload_guard.read.members import MemberVisitor

#: With ``readers = "auto"``, a run reads in processes only when the files they would
#: read together hold at least this many bytes: starting the workers costs ~0.1-0.3 s.
AUTO_MIN_BYTES = 32 * 1024 * 1024

_ARTIFACT = "artifact"


class PassFailure(Exception):
    """What a visitor raised in a worker: its type name, text and where it was raised."""

    def __init__(self, type_name: str, text: str, origin: tuple[str, int | None] | None
                 ) -> None:
        super().__init__(type_name, text, origin)
        self.type_name = type_name
        self.text = text
        self.origin = origin

    def __str__(self) -> str:
        return self.text

    @classmethod
    def of(cls, exc: BaseException) -> PassFailure:
        return cls(type_name(exc), str(exc), origin(exc))


def origin(exc: BaseException) -> tuple[str, int | None] | None:
    """Where ``exc`` was raised (file name, line), also when it came from a worker."""
    if isinstance(exc, PassFailure):
        return exc.origin
    where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    return (os.path.basename(where.filename), where.lineno) if where else None


def type_name(exc: BaseException) -> str:
    """``exc``'s type name; a :class:`PassFailure`'s is the original exception's."""
    return exc.type_name if isinstance(exc, PassFailure) else type(exc).__name__


class _Pickler(pickle.Pickler):
    """Pickles one file's pass; that file's Artifact goes as a reference."""

    def __init__(self, file: io.BytesIO, artifact: Artifact) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._artifact = artifact

    def persistent_id(self, obj: Any) -> str | None:
        return _ARTIFACT if obj is self._artifact else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, file: io.BytesIO, artifact: Artifact) -> None:
        super().__init__(file)
        self._artifact = artifact

    def persistent_load(self, pid: Any) -> Artifact:
        if pid != _ARTIFACT:
            raise pickle.UnpicklingError(f"unknown reference {pid!r}")
        return self._artifact


def dumps(obj: Any, artifact: Artifact) -> bytes:
    """``obj`` pickled, with ``artifact`` as a reference to the other side's Artifact."""
    out = io.BytesIO()
    _Pickler(out, artifact).dump(obj)
    return out.getvalue()


def loads(data: bytes, artifact: Artifact) -> Any:
    """The other side of :func:`dumps`: references become ``artifact``."""
    return _Unpickler(io.BytesIO(data), artifact).load()


def read_in_worker(path: str, visitors: bytes, framing: bool) -> bytes:
    """The worker's job: one file's pass, with the runner's subscribers, pickled back.

    With ``framing`` (the zip framing rule is selected), a zip's record walk is made here
    too: it reads the file again, and is as much the GIL's as the pass.
    """
    artifact = Artifact(path)
    for visitor in loads(visitors, artifact):
        artifact.subscribe(visitor)
    state = artifact.pass_state()
    if framing and state.archive is not None:
        state.archive.framing()
    state.failures = [None if f is None else PassFailure.of(f) for f in state.failures]
    return dumps(state, artifact)


def _serve() -> None:
    """Entry point of a pass worker (:func:`.child_worker.python_child`)."""
    serve(_answer, PICKLE)


def _answer(request: tuple[str, bytes, bool]) -> tuple[str, Any]:
    """One file's pass, or what stopped it (the runner then reads the file itself)."""
    try:
        return "ok", read_in_worker(*request)
    except Exception as exc:  # anything: the answer says it failed
        return "failed", f"{type(exc).__name__}: {exc}"


def portable(visitors: Sequence[MemberVisitor]) -> bool:
    return all(getattr(v, "portable", False) is True for v in visitors)


class PassPool:
    """Worker processes for the passes of one run, each started at its first file.

    Each worker is a :class:`~.child_worker.ChildWorker`: a fresh interpreter of this
    package (nothing of the caller's ``__main__`` is imported, unlike :mod:`multiprocessing`
    spawn), fed one file at a time through a pipe. Files wait here in the order they were
    submitted (the runner submits the largest first), and a worker is given the next one
    only when it has answered the last: what a file costs depends on its kind more than on
    its size (an sdist is inflated whole, a wheel of native code barely), so handing files
    out in advance by size left one of the benchmark's two workers idle for the last 3 s
    of a 9 s pass.
    """

    def __init__(self, workers: int, *, framing: bool = False) -> None:
        self.framing = framing
        self._workers = [ChildWorker(python_child(__name__, "_serve"), list(sys.path),
                                     codec=PICKLE) for _ in range(max(1, workers))]
        self._busy = [False] * len(self._workers)
        self._waiting: deque[tuple[tuple[str, bytes, bool], Future[bytes]]] = deque()
        self._lock = threading.Lock()

    @classmethod
    def plan(cls, readers: str, jobs: int, artifacts: Sequence[Artifact],
             visitors: dict[str, list[MemberVisitor]], *, framing: bool = False,
             ) -> tuple[PassPool | None, list[Artifact]]:
        """The pool for this run and the files it should read, or ``None`` and ``[]``.

        ``framing``: the zip framing rule is selected (its walk is made in the workers).
        """
        if readers == "threads" or (readers == "auto" and jobs < 2):
            return None, []
        chosen = [a for a in artifacts
                  if a.archive_kind is not None and portable(visitors.get(a.filename, []))]
        if readers == "auto" and (len(chosen) < 2
                                  or sum(a.size for a in chosen) < AUTO_MIN_BYTES):
            return None, []
        if not chosen:
            return None, []
        return cls(min(jobs, len(chosen)), framing=framing), chosen

    @property
    def workers(self) -> int:
        return len(self._workers)

    def submit(self, artifact: Artifact, visitors: Sequence[MemberVisitor]) -> Future[bytes] | None:
        """Queue ``artifact``'s pass for the next idle worker; ``None``: read it here."""
        if not portable(visitors):
            return None
        try:
            payload = dumps(list(visitors), artifact)
        except Exception:  # a visitor that says it is portable and is not
            return None
        future: Future[bytes] = Future()
        with self._lock:
            if all(worker.broken for worker in self._workers):
                return None
            self._waiting.append(((str(artifact.path.resolve()), payload, self.framing),
                                  future))
        self._dispatch()
        return future

    def _dispatch(self) -> None:
        """Give each idle worker the next waiting file.

        A worker that could not be started fails every request at once, so it is given
        files only when no other worker can take them: they are then read by the runner.
        """
        while True:
            with self._lock:
                if not self._waiting:
                    return
                idle = [i for i, busy in enumerate(self._busy) if not busy]
                working = [i for i in idle if not self._workers[i].broken]
                if working:
                    index = working[0]
                elif idle and all(w.broken for w in self._workers):
                    index = idle[0]
                else:
                    return
                request, future = self._waiting.popleft()
                self._busy[index] = True

            def done(answer: Any, index: int = index, future: Future[bytes] = future
                     ) -> None:
                if isinstance(answer, tuple) and len(answer) == 2 and answer[0] == "ok":
                    future.set_result(answer[1])
                else:  # ChildFailed, or the pass raised in the worker
                    future.set_exception(ChildFailed("crashed", str(
                        answer[1] if isinstance(answer, tuple) and len(answer) == 2
                        else answer)))
                with self._lock:
                    self._busy[index] = False
                self._dispatch()

            self._workers[index].submit(request, None, done)

    def adopt(self, artifact: Artifact, future: Future[bytes] | None) -> bool:
        """Give ``artifact`` the pass its worker made; ``False``: read it here instead."""
        if future is None:
            return False
        try:
            state = loads(future.result(), artifact)
            if not isinstance(state, PassState):
                return False
            artifact.adopt(state)
        except Exception:  # a worker that died, an answer that does not unpickle
            return False
        return True

    def close(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, deque()
        for _, future in waiting:  # never handed out: their callers read the files here
            future.set_exception(ChildFailed("crashed", "the pass pool was closed"))
        for worker in self._workers:
            worker.close()
