"""The one pass over an archive's members, which every consumer subscribes to.

Reading a distribution file costs what inflating it costs: a ``.tar.gz`` sdist can only be
read from its first byte to its last, and every extra pass inflates it again. Before this
module the listing, the encrypted-code scan, each content plugin and the size breakdown
each made their own pass. Now they all *subscribe* before the first read, and one pass
reads each member the subscribers want once, handing the same chunks to all of them:

* a ``.tar.gz`` is inflated exactly once per run, the listing included;
* a zip member is read (and inflated) at most once, whoever wants it;
* memory stays bounded: chunks of at most :data:`CHUNK` bytes go to the subscribers and are
  dropped; only :class:`Capture` keeps bytes, within its limits.

There are two kinds of subscriber. A :class:`MemberVisitor` is called back on the reading
thread with each chunk (cheap: hashing, pattern matching, keeping small files). A
:class:`StreamConsumer` wraps code written as a loop over ``(member, stream)`` pairs, the
shape of :meth:`ArchiveReader.iter_streams`: the loop runs in a worker thread and reads its
streams from a small bounded queue, so existing stream code (binary header readers, the
size breakdown) joins the pass unchanged. Hashing and zlib release the GIL, so the worker
and the reader overlap, but every hand-over costs: code that can take chunks is cheaper
as a visitor (the secrets scanner was a consumer, and a check with it ran ~8% faster once
it became one).

Subscriptions are made through the ``preupload_guard_members`` hook (see
``engine/hookspecs.py`` and docs/plugins.md); the runner collects them before the file is
first read. Whatever a subscriber computes is turned into findings by its
:meth:`MemberVisitor.findings`, called once the index has been asked.
"""

from __future__ import annotations

import queue
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from preupload_guard.model.findings import Finding
from preupload_guard.read.archives import ArchiveError, Member, MemberTooLarge

#: The size of the chunks handed to subscribers.
CHUNK = 256 * 1024
#: How many batches a stream consumer may fall behind before the pass waits for it.
QUEUE_CHUNKS = 8
#: A batch is handed over once it holds this many items (members, chunks, ends), or
#: :data:`CHUNK` bytes. Most members are small: one queue hand-over per member and chunk
#: cost more (locks, waking the worker, passing the GIL) than scanning the member did.
BATCH_ITEMS = 64


class MemberVisitor:
    """A subscriber to the pass: told of each member it wants, and fed its bytes.

    Override what you need. ``wants`` is decided from the listing entry alone (name, size,
    kind), before any byte of the member is read, so a consumer that wants nothing of an
    archive costs nothing. ``limit`` caps how many bytes of each member are fed
    (``None``: all of them); the pass reads a member only as far as its hungriest
    subscriber asks. ``feed`` may return ``False`` to say "enough of this member".

    ``end`` is called once per started member, with the :class:`ArchiveError` that stopped
    its read, if any. ``close`` is called once after the pass, also when it failed.
    ``findings`` is called by the runner after the pass, when the index facts are known,
    and may yield :class:`~preupload_guard.Finding` objects like a check hook.
    """

    #: Bytes of each member to feed; ``None`` for every byte.
    limit: int | None = None
    #: ``True`` lets the file's pass run in a worker process (:mod:`.pass_pool`): the
    #: visitor is pickled there, fed, and pickled back, and the checks see that copy. Say
    #: so only when everything it keeps is its own and pickles (its artifact is passed by
    #: reference); a visitor that shares state with other objects or files must stay
    #: ``False``, and its files are read on a thread of this process.
    portable: bool = False

    def wants(self, member: Member) -> bool:
        return member.is_file

    def start(self, member: Member) -> None:
        """A member this visitor wants begins."""

    def feed(self, data: bytes) -> bool | None:
        """The next chunk of the current member; return ``False`` to stop receiving it."""
        return None

    def end(self, member: Member, error: ArchiveError | None) -> None:
        """The current member is over (``error``: why it could not be read to the end)."""

    def close(self, error: ArchiveError | None) -> None:
        """The pass is over (``error``: it stopped early, and why)."""

    def findings(self) -> Iterable[Finding] | None:
        """What the visitor found, as findings (called once, after the pass)."""
        return None


class Capture(MemberVisitor):
    """Keeps the content of small members chosen by ``predicate``.

    Each member is kept up to ``limit`` bytes (a larger one is recorded as
    :class:`~preupload_guard.MemberTooLarge`), and ``budget`` bounds the total kept, so a
    hostile archive of many large "small files" cannot fill the memory: past the budget a
    member is simply not kept, and a later read goes to the archive again.
    """

    portable = True  # when its predicate pickles (a module-level function)

    def __init__(self, predicate: Callable[[Member], bool], limit: int,
                 budget: int = 256 * 1024 * 1024) -> None:
        self.predicate = predicate
        self.cap = limit
        self.limit = limit + 1  # one byte more: a member inflating past the cap is seen
        self.budget = budget
        self.kept: dict[str, bytes | ArchiveError] = {}
        self._parts: list[bytes] = []
        self._size = 0
        self._used = 0

    def wants(self, member: Member) -> bool:
        if not member.is_file or not self.predicate(member):
            return False
        if member.size > self.cap:
            self.kept[member.name] = MemberTooLarge(
                f"{member.name} is larger than {self.cap} bytes", member=member.name)
            return False
        return self._used + member.size <= self.budget

    def start(self, member: Member) -> None:
        self._parts, self._size = [], 0

    def feed(self, data: bytes) -> bool | None:
        self._parts.append(data)
        self._size += len(data)
        return None

    def end(self, member: Member, error: ArchiveError | None) -> None:
        if error is not None:
            self.kept[member.name] = error
        elif self._size > self.cap:  # inflated past its listed size
            self.kept[member.name] = MemberTooLarge(
                f"{member.name} is larger than {self.cap} bytes", member=member.name)
        else:
            data = b"".join(self._parts)
            self.kept[member.name] = data
            self._used += len(data)
        self._parts, self._size = [], 0


# -- stream consumers: loops over (member, stream), run beside the pass --------------------
_END = object()  # the current member has no more bytes
_DONE = object()  # the pass is over


class QueueStream:
    """A member's content as a forward-only read stream, fed by the pass through a queue.

    It behaves like a tar :class:`~preupload_guard.MemberStream`: ``read(n)`` returns at
    most ``n`` bytes and ``b""`` at the end, a forward ``seek`` skips, a backward one raises
    ``io.UnsupportedOperation``, and a read error of the archive is raised as the
    :class:`~preupload_guard.ArchiveError` that the pass met.
    """

    def __init__(self, consumer: StreamConsumer, member: Member) -> None:
        self._consumer = consumer
        self.member = member
        # Chunks received and not yet read: joined once per read, not once per chunk.
        self._parts: list[bytes] = []
        self._have = 0
        self._pos = 0
        self._ended = False
        self._error: ArchiveError | None = None

    def _next_chunk(self) -> bool:
        if self._ended:
            return False
        item = self._consumer._take()
        if item is _END or item is _DONE:
            self._ended = True
            if item is _DONE:
                self._consumer._pass_over = True
            return False
        if isinstance(item, ArchiveError):
            self._ended = True
            self._error = item
            raise item
        self._parts.append(item)  # type: ignore[arg-type]
        self._have += len(item)  # type: ignore[arg-type]
        return True

    def read(self, size: int = -1) -> bytes:
        if self._error is not None:
            raise self._error
        whole = size is None or size < 0
        while (whole or self._have < size) and self._next_chunk():
            pass
        parts = self._parts
        if len(parts) == 1:
            data = parts[0]  # the common case: one chunk, handed on without a copy
        else:
            data = b"".join(parts)
        if whole or len(data) <= size:
            self._parts, self._have = [], 0
        else:
            data, rest = data[:size], data[size:]
            self._parts, self._have = [rest], len(rest)
        self._pos += len(data)
        return data

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        import io

        target = offset + (self._pos if whence == 1 else 0)
        if whence == 2 or target < self._pos:
            raise io.UnsupportedOperation("a member stream of the shared pass seeks forward only")
        while self._pos < target:
            if not self.read(min(CHUNK, target - self._pos)):
                break
        return self._pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def _drain(self) -> None:
        """Skip what the consumer did not read of this member."""
        try:
            while self._next_chunk():
                self._parts, self._have = [], 0
        except ArchiveError:
            pass
        self._parts, self._have = [], 0


class StreamConsumer(MemberVisitor):
    """Runs ``func(items)`` in a worker thread while the pass reads the archive.

    ``items`` yields ``(member, stream)`` for each member ``wants`` chose, exactly like
    :meth:`~preupload_guard.ArchiveReader.iter_streams`, and each stream is valid until
    the next item. The worker gets the chunks through a queue of :data:`QUEUE_CHUNKS`
    batches (each of at most :data:`BATCH_ITEMS` items and about :data:`CHUNK` bytes):
    when it falls behind, the pass waits; when it returns early, the pass stops feeding
    it. Its return value (or its exception, raised again) comes from
    :meth:`result`; by default :meth:`findings` returns that value.
    """

    def __init__(self, wants: Callable[[Member], bool],
                 func: Callable[[Iterator[tuple[Member, QueueStream]]], Any],
                 *, name: str = "stream consumer") -> None:
        self._wants = wants
        self._func = func
        self.name = name
        self._queue: queue.Queue[list[Any]] = queue.Queue(maxsize=QUEUE_CHUNKS)
        self._batch: list[Any] = []  # the pass side's items not yet handed over
        self._batch_bytes = 0
        self._received: deque[Any] = deque()  # the worker side's items not yet taken
        self._stopped = threading.Event()  # the worker left its loop
        self._pass_over = False
        self._value: Any = None
        self._exc: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._pending: Member | None = None

    # the pass side ----------------------------------------------------------------------
    def wants(self, member: Member) -> bool:
        return member.is_file and not self._stopped.is_set() and self._wants(member)

    def _put(self, item: Any, *, size: int = 0, flush: bool = False) -> bool:
        """Queue ``item`` for the worker; ``False`` once the worker no longer reads.

        Items go over in batches: when the batch is full, or ``flush`` says the pass
        will not add more for now.
        """
        if self._stopped.is_set():
            self._batch, self._batch_bytes = [], 0
            return False
        self._batch.append(item)
        self._batch_bytes += size
        if flush or self._batch_bytes >= CHUNK or len(self._batch) >= BATCH_ITEMS:
            batch, self._batch, self._batch_bytes = self._batch, [], 0
            while not self._stopped.is_set():
                try:
                    self._queue.put(batch, timeout=0.05)
                    return True
                except queue.Full:
                    continue
            return False
        return True

    def _ensure_started(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"pg-{self.name}",
                                            daemon=True)
            self._thread.start()

    def start(self, member: Member) -> None:
        self._ensure_started()
        self._put(member)

    def feed(self, data: bytes) -> bool | None:
        return None if self._put(data, size=len(data)) else False

    def end(self, member: Member, error: ArchiveError | None) -> None:
        self._put(error if error is not None else _END)

    def close(self, error: ArchiveError | None) -> None:
        self._ensure_started()
        if error is not None:
            self._put(error)
        self._put(_DONE, flush=True)
        assert self._thread is not None
        self._thread.join()

    # the worker side --------------------------------------------------------------------
    def _take(self) -> Any:
        if not self._received:
            self._received.extend(self._queue.get())
        return self._received.popleft()

    def _items(self) -> Iterator[tuple[Member, QueueStream]]:
        while not self._pass_over:
            item = self._take()
            if item is _DONE:
                return
            if isinstance(item, ArchiveError):
                raise item  # the archive stopped between members
            if not isinstance(item, Member):
                continue  # leftovers of a member the consumer skipped
            stream = QueueStream(self, item)
            yield item, stream
            stream._drain()

    def _run(self) -> None:
        try:
            self._value = self._func(self._items())
        except BaseException as exc:  # re-raised in result(), inside the crash guard
            self._exc = exc
        finally:
            self._stopped.set()
            # Unblock a pass waiting to put into a full queue, then drop what is left.
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break

    def result(self) -> Any:
        """What ``func`` returned; raises what it raised."""
        if self._thread is None:  # the pass never ran (no archive): run on nothing
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._queue.put([_DONE])
            self._thread.start()
        self._thread.join()
        if self._exc is not None:
            raise self._exc
        return self._value

    def findings(self) -> Iterable[Finding] | None:
        return self.result()  # type: ignore[no-any-return]


# -- the pass itself: the readers call these -----------------------------------------------
class Fanout:
    """Hands each member to the visitors that want it; used by the archive readers.

    ``begin(member)`` says whether the member must be read at all and how far (the largest
    limit of the interested visitors, ``None`` for all); the reader then calls ``feed`` with
    chunks until it returns ``False`` or the member ends, and ``finish_member``. A visitor
    that raises is dropped from the rest of the pass, and its exception is raised again by
    ``errors`` so that the runner can report it as the plugin's failure.
    """

    def __init__(self, visitors: Iterable[MemberVisitor]) -> None:
        self.visitors = list(visitors)
        self._live = list(self.visitors)  # the visitors that have not raised
        self._current: list[MemberVisitor] = []
        self._fed: dict[int, int] = {}
        self._member: Member | None = None
        self.failures: dict[int, BaseException] = {}
        self.closed = False

    # The calls below run for every member and chunk of every archive (~100,000 members on
    # the benchmark's set), so each visitor call is guarded by an inline ``try`` rather
    # than a closure handed to :meth:`_guard`: that cut the pass's own cost by a third
    # (0.47 to 0.30 s for the set's 98,749 members and three built-in visitors).
    def _fail(self, visitor: MemberVisitor, exc: BaseException) -> None:
        self.failures[id(visitor)] = exc
        if visitor in self._current:
            self._current.remove(visitor)
        if visitor in self._live:
            self._live.remove(visitor)

    def _guard(self, visitor: MemberVisitor, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except Exception as exc:
            self._fail(visitor, exc)
            return False

    def _alive(self) -> list[MemberVisitor]:
        return list(self._live)

    def begin(self, member: Member) -> tuple[bool, int | None]:
        self._member = member
        current: list[MemberVisitor] = []
        for v in tuple(self._live):
            try:
                if v.wants(member):
                    current.append(v)
            except Exception as exc:
                self._fail(v, exc)
        self._current = current
        if not current:
            return False, 0
        limits = [v.limit for v in current]
        for v in tuple(current):
            self._fed[id(v)] = 0
            try:
                v.start(member)
            except Exception as exc:
                self._fail(v, exc)
        return True, None if None in limits else max(lim for lim in limits if lim is not None)

    def feed(self, data: bytes) -> bool:
        """Give ``data`` to every visitor still reading; ``False`` when none is."""
        size = len(data)
        for v in tuple(self._current):
            limit = v.limit
            piece = data
            if limit is not None:
                done = self._fed[id(v)]
                if done >= limit:
                    continue
                if done + size > limit:
                    piece = data[:limit - done]
                self._fed[id(v)] = done + size
            try:
                stop = v.feed(piece) is False
            except Exception as exc:
                self._fail(v, exc)
                continue
            if stop:
                self._end_one(v, None)
        return any(v.limit is None or self._fed[id(v)] < v.limit for v in self._current)

    def _end_one(self, visitor: MemberVisitor, error: ArchiveError | None) -> None:
        if visitor in self._current and self._member is not None:
            self._current.remove(visitor)
            try:
                visitor.end(self._member, error)
            except Exception as exc:
                self._fail(visitor, exc)

    def finish_member(self, error: ArchiveError | None = None) -> None:
        current, self._current = self._current, []
        member = self._member
        if member is None:
            return
        for v in current:
            try:
                v.end(member, error)
            except Exception as exc:
                self._fail(v, exc)

    def close(self, error: ArchiveError | None = None) -> None:
        """End the pass (once; later calls do nothing)."""
        if self.closed:
            return
        self.closed = True
        if self._current:
            self.finish_member(error)
        for v in self._alive():
            self._guard(v, lambda v=v: v.close(error))

    def failure(self, visitor: MemberVisitor) -> BaseException | None:
        """What ``visitor`` raised during the pass, if it did."""
        return self.failures.get(id(visitor))
