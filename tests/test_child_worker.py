"""The long-lived child interpreter on its own: answers, time limits, crashes, restarts."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator

import pytest

from preupload_guard.read.child_worker import ChildFailed, ChildWorker

#: A child whose handler does what each request says.
CHILD = """
import json, os, sys, time
size = int.from_bytes(sys.stdin.buffer.read(8), 'big')
sys.path[:] = json.loads(sys.stdin.buffer.read(size))
time.sleep(float(os.environ.get("SLOW_START", "0")))
from preupload_guard.read.child_worker import serve

def handle(request):
    if request.get("sleep"):
        time.sleep(request["sleep"])
    if request.get("print"):
        print("noise on stdout " * 10000, flush=True)
    if request.get("die"):
        sys.stderr.write("the last words\\n")
        sys.stderr.flush()
        os._exit(3)
    return {"echo": request.get("value"), "pid": os.getpid()}

serve(handle)
"""


@pytest.fixture
def worker() -> Iterator[ChildWorker]:
    made = ChildWorker([sys.executable, "-I", "-c", CHILD], list(sys.path))
    yield made
    made.close()


def test_answers_in_turn_from_one_child(worker: ChildWorker) -> None:
    answers = [worker.ask({"value": i}, 30) for i in range(20)]
    assert [a["echo"] for a in answers] == list(range(20))
    assert len({a["pid"] for a in answers}) == 1
    assert answers[0]["pid"] != os.getpid()


def test_a_library_printing_to_stdout_cannot_corrupt_an_answer(worker: ChildWorker) -> None:
    assert worker.ask({"value": "x", "print": True}, 30)["echo"] == "x"
    assert worker.ask({"value": "y"}, 30)["echo"] == "y"


def test_an_overrun_kills_the_child_and_the_next_request_gets_a_new_one(
        worker: ChildWorker) -> None:
    first = worker.ask({"value": 1}, 30)["pid"]
    start = time.perf_counter()
    with pytest.raises(ChildFailed) as failed:
        worker.ask({"sleep": 30}, 0.3)
    assert failed.value.kind == "timeout"
    assert time.perf_counter() - start < 5
    again = worker.ask({"value": 2}, 30)
    assert again["echo"] == 2 and again["pid"] != first


def test_a_crash_says_what_the_child_last_wrote(worker: ChildWorker) -> None:
    with pytest.raises(ChildFailed) as failed:
        worker.ask({"die": True}, 30)
    assert failed.value.kind == "crashed"
    assert "the last words" in str(failed.value)
    assert worker.ask({"value": 3}, 30)["echo"] == 3
    assert not worker.broken


def test_the_time_limit_runs_from_the_request_not_from_the_start(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The child takes a second to start; a request with a 0.5 s limit is still answered.
    monkeypatch.setenv("SLOW_START", "1")
    slow = ChildWorker([sys.executable, "-c", CHILD], list(sys.path))
    try:
        assert slow.ask({"value": "late"}, 0.5)["echo"] == "late"
    finally:
        slow.close()


def test_a_child_that_cannot_start_marks_the_worker_broken() -> None:
    for argv in ([sys.executable, "-c", "import sys; sys.exit(2)"],
                 [os.path.join(os.sep, "no", "such", "interpreter")]):
        worker = ChildWorker(argv, None)
        with pytest.raises(ChildFailed) as failed:
            worker.ask({"value": 1}, 30)
        assert failed.value.kind == "crashed" and worker.broken
        start = time.perf_counter()
        with pytest.raises(ChildFailed):  # no second attempt
            worker.ask({"value": 1}, 30)
        assert time.perf_counter() - start < 0.1


def test_submitted_requests_are_answered_in_the_background(worker: ChildWorker) -> None:
    got: dict[int, object] = {}
    all_done = threading.Event()

    def submit_from(thread: int) -> None:
        for i in range(10):
            key = thread * 100 + i

            def done(answer: object, key: int = key) -> None:
                got[key] = answer
                if len(got) == 40:
                    all_done.set()

            request = {"value": key, "sleep": 30} if key == 205 else {"value": key}
            worker.submit(request, 0.5 if key == 205 else 30, done)

    threads = [threading.Thread(target=submit_from, args=(t,)) for t in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all_done.wait(60)
    failed = got.pop(205)
    assert isinstance(failed, ChildFailed) and failed.kind == "timeout"
    assert {k: v["echo"] for k, v in got.items()} == {k: k for k in got}  # type: ignore[index]


def test_close_ends_the_child(worker: ChildWorker) -> None:
    worker.ask({"value": 1}, 30)
    proc = worker._proc
    assert proc is not None
    worker.close()
    assert proc.poll() is not None
    assert worker.ask({"value": 2}, 30)["echo"] == 2  # a later request starts a new one


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_process_starts_its_own_child(worker: ChildWorker) -> None:
    parents = worker.ask({"value": 1}, 30)["pid"]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the forked process: its own child, not its parent's
        try:
            answer = worker.ask({"value": 2}, 30)
            os.write(write, b"ok" if answer["pid"] != parents else b"shared")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 10) == b"ok"
    os.close(read)
    answer = worker.ask({"value": 3}, 30)
    assert answer == {"echo": 3, "pid": parents}  # the parent's child is untouched


# -- pickle frames and python_child (the pass workers' use) -------------------------------
def _bounce(request: object) -> object:
    """The handler of :func:`test_pickle_frames_carry_bytes_and_objects`' child."""
    return {"got": request, "pid": os.getpid()}


def serve_bounce() -> None:
    from preupload_guard.read.child_worker import PICKLE, serve

    serve(_bounce, PICKLE)


def test_pickle_frames_carry_bytes_and_objects() -> None:
    from preupload_guard.read.child_worker import PICKLE, python_child

    made = ChildWorker(python_child("test_child_worker", "serve_bounce"), list(sys.path),
                       codec=PICKLE)
    try:
        blob = os.urandom(3 * 1024 * 1024)  # bigger than a pipe's buffer, not UTF-8
        answer = made.ask(("x", blob, {1, 2}), None)  # no time limit
        assert answer["got"] == ("x", blob, {1, 2})
        assert answer["pid"] != os.getpid()
    finally:
        made.close()


def test_close_ends_the_feeding_thread(worker: ChildWorker) -> None:
    before = set(threading.enumerate())
    answered = threading.Event()
    worker.submit({"value": 1}, 30, lambda answer: answered.set())
    assert answered.wait(30)
    feeders = [t for t in set(threading.enumerate()) - before
               if t.name == "preupload-guard-child"]
    assert len(feeders) == 1
    worker.close()
    for thread in feeders:
        thread.join(5)
    assert not any(t.is_alive() for t in feeders)


def test_a_request_whose_claim_fails_is_not_sent(worker: ChildWorker) -> None:
    answers: list[object] = []
    last = threading.Event()
    worker.submit({"value": 1, "sleep": 0.3}, 30, answers.append)
    taken = threading.Event()

    def claim() -> bool:  # asked when its turn comes, after the first answer
        taken.set()
        return False

    worker.submit({"value": 2}, 30, answers.append, claim=claim)
    worker.submit({"value": 3}, 30, lambda a: (answers.append(a), last.set()),
                  claim=lambda: True)
    assert last.wait(60) and taken.is_set()
    assert [a["echo"] for a in answers] == [1, 3]  # type: ignore[index]
