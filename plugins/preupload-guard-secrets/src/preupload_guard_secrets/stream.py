"""Scan one member's bytes as they stream, in bounded memory, finding each secret once.

The content arrives in chunks (:meth:`StreamScan.feed`). The scanner keeps a buffer of the
not-yet-decided tail plus the new chunk and decides every match that *starts* before
``end - OVERLAP``: since no match is longer than :data:`~.detectors.MAX_MATCH` (= the
overlap), such a match lies wholly inside the buffer. The last ``OVERLAP`` bytes (plus a few
bytes of look-behind context) are carried into the next round, where matches starting there
are decided. Every start offset is decided in exactly one round, so a secret that spans a
chunk boundary is found once, with the right line: lines are counted as the buffer is cut.

Memory is one chunk plus the overlap; hits are capped per member (the rest only counted).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .detectors import DETECTORS, MAX_MATCH, PEM_MARKER, Detector, Secret

OVERLAP = MAX_MATCH
#: Bytes kept before the first undecided offset, for the "not preceded by" checks.
CONTEXT = 16
#: A NUL byte in the first bytes marks a binary member: findings give byte offsets.
BINARY_SNIFF = 8192
#: Findings listed per member; further ones are counted per rule.
MAX_HITS_PER_MEMBER = 10


@dataclass(frozen=True)
class Hit:
    rule: str
    offset: int  # byte offset of the secret in the member
    line: int  # 1-based line number (meaningful for text members)
    secret: Secret


class StreamScan:
    """Feed a member's bytes in any chunking; read :attr:`hits` after :meth:`close`.

    ``is_allowed(fingerprint)`` drops secrets allowed by the configuration before they are
    counted. ``hits`` holds at most ``max_hits`` findings in member order; ``extra`` counts
    the rest per rule. With ``watch_pem``, :attr:`saw_pem_block` tells whether any PEM
    block (a certificate, a public key, ...) was seen.
    """

    def __init__(
        self,
        detectors: Sequence[Detector] = DETECTORS,
        *,
        is_allowed: Callable[[str], bool] = lambda fingerprint: False,
        max_hits: int = MAX_HITS_PER_MEMBER,
        watch_pem: bool = False,
    ) -> None:
        self.detectors = tuple(detectors)
        self.watch_pem = watch_pem
        self.is_allowed = is_allowed
        self.max_hits = max_hits
        self.hits: list[Hit] = []
        self.extra: Counter[str] = Counter()
        self.binary: bool | None = None
        self.saw_pem_block = False
        self.size = 0  # bytes fed so far
        self._buf = b""
        self._buf_start = 0  # member offset of _buf[0]
        self._lines = 0  # newlines before _buf_start
        self._decided = 0  # every match starting before this offset has been decided
        # Per detector: matches end here at the earliest (no overlapping re-matches).
        self._resume = [0] * len(self.detectors)
        self._closed = False

    @property
    def rules_found(self) -> set[str]:
        return {hit.rule for hit in self.hits} | set(self.extra)

    def feed(self, data: bytes, *, last: bool = False) -> None:
        """Scan the next bytes; ``last=True`` also closes (one pass for a small member)."""
        if self._closed:
            raise ValueError("feed() after close()")
        if data:
            if self.binary is None and self.size == 0:
                self.binary = b"\x00" in data[:BINARY_SNIFF]
            self.size += len(data)
            self._buf = self._buf + data if self._buf else data
        if last:
            self.close()
        elif data:
            self._scan(final=False)

    def close(self) -> None:
        """No more data: decide the tail."""
        if not self._closed:
            self._closed = True
            self._scan(final=True)
            self._buf = b""

    def _scan(self, *, final: bool) -> None:
        buf, start = self._buf, self._buf_start
        end = start + len(buf)
        limit = end if final else end - OVERLAP
        if limit <= self._decided:
            return
        if self.watch_pem and not self.saw_pem_block and PEM_MARKER in buf:
            self.saw_pem_block = True
        found: list[tuple[int, str, Secret]] = []
        for index, detector in enumerate(self.detectors):
            pos = max(self._decided, self._resume[index]) - start
            if detector.anchor:
                # No match starts before the anchor's first occurrence; none at all without one.
                pos = buf.find(detector.anchor, pos)
            for match in detector.regex.finditer(buf, pos) if pos >= 0 else ():
                at = match.start()
                if at + start >= limit:
                    break
                if not detector.accepts_before(buf[at - 1] if at > 0 else None):
                    continue
                self._resume[index] = match.end() + start
                secret = detector.describe(match)
                if secret is None or self.is_allowed(secret.fingerprint):
                    continue
                found.append((match.start(detector.group) + start, detector.rule, secret))
            self._resume[index] = max(self._resume[index], limit)
        self._record(found, buf, start)
        self._decided = limit
        if not final:
            # Keep the undecided tail plus a little context before it.
            cut = max(0, limit - CONTEXT - start)
            self._lines += buf.count(b"\n", 0, cut)
            self._buf = buf[cut:]
            self._buf_start = start + cut

    def _record(self, found: list[tuple[int, str, Secret]], buf: bytes, start: int) -> None:
        found.sort(key=lambda item: item[0])
        lines, counted_to = self._lines, 0
        for offset, rule, secret in found:
            if len(self.hits) >= self.max_hits:
                self.extra[rule] += 1
                continue
            # Offsets are increasing: count newlines incrementally.
            here = offset - start
            lines += buf.count(b"\n", counted_to, here)
            counted_to = here
            self.hits.append(Hit(rule, offset, lines + 1, secret))
