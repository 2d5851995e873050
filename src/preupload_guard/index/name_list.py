"""The project-name list of an index: streamed, reduced to one short line per name, cached.

Only new projects need it (``similar-project-name``), and on PyPI it is ~40 MB, so it is
read in chunks with a regex, kept as ``ultranormalized<TAB>display`` lines in a few big
blocks and written to the cache atomically together with its HTTP validators.
"""

from __future__ import annotations

import contextlib
import html
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from preupload_guard.index.simple import SIMPLE_HTML, is_json_type

#: Streaming chunk for the root list: large enough that the regex dominates, small enough
#: that memory stays flat however big the index is.
CHUNK = 1 << 20
#: The longest unterminated tail carried between chunks; an anchor is never this long.
_MAX_CARRY = 1 << 16

NAMES_FORMAT = 1


# -- the project-name list -------------------------------------------------------------

# One translate() call does the whole of ultranormalize_name for ASCII bytes: delete
# "._-", map l/L/i/I -> 1 and o/O -> 0, lowercase the rest (naming.py, reference §3.10).
_ULTRA_TABLE = bytearray(range(256))
for _c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ":
    _ULTRA_TABLE[_c] = _c + 32
for _c in b"lLiI":
    _ULTRA_TABLE[_c] = ord("1")
for _c in b"oO":
    _ULTRA_TABLE[_c] = ord("0")
_ULTRA_BYTES = bytes(_ULTRA_TABLE)
del _c, _ULTRA_TABLE

#: Link text of an anchor (the display name; the href holds the normalized name).
_ANCHOR_TEXT = re.compile(rb"<a\s[^>]*>\s*([^<\s]*)\s*</a>", re.IGNORECASE)
#: ``"name": "..."`` in a PEP 691 root page; only the project entries have a ``name``.
_JSON_NAME = re.compile(rb'"name"\s*:\s*"((?:[^"\\]|\\.)*)"')


def name_lines(names: list[bytes]) -> bytes:
    """``ultranormalized<TAB>display`` lines for a batch of display names (bytes)."""
    if not names:
        return b""
    joined = b"\n".join(names)
    ultra = joined.translate(_ULTRA_BYTES, b"._-").split(b"\n")
    return b"".join([u + b"\t" + d + b"\n" for u, d in zip(ultra, names, strict=True)])


def _clean_names(raw: list[bytes], *, json_strings: bool) -> list[bytes]:
    """Drop empty matches; decode HTML entities / JSON escapes in the rare names that have any.

    The common case is checked on the joined batch, at C speed: a per-name Python loop
    would double the scan time of a 930k-name list.
    """
    names = list(filter(None, raw))
    marker = b"\\" if json_strings else b"&"
    if marker not in b"".join(names):
        return names
    cleaned: list[bytes] = []
    for name in names:
        if marker in name:
            try:
                if json_strings:
                    name = json.loads(b'"' + name + b'"').encode("utf-8")
                else:
                    name = html.unescape(name.decode("utf-8", "replace")).encode("utf-8")
            except ValueError:
                continue
            if not name.strip() or any(c in name for c in b"\t\n\r"):
                continue
        cleaned.append(name)
    return cleaned


def stream_names(chunks: Iterable[bytes], media: str, emit: Callable[[bytes], object]) -> int:
    """Scan the root list chunk by chunk, passing blocks of name lines to ``emit``; return
    the number of names.

    Each chunk is cut after its last complete entry (``</a>`` or ``}``) and the rest is
    carried into the next one, so no entry is lost or split at a boundary while memory
    stays at about one chunk. JSON is not parsed, so it gets a structural sanity check
    instead (a ``"projects"`` key, a closing ``}``): a truncated or foreign JSON document
    must not pass for an index without similar names. Raises ``ValueError``.
    """
    if is_json_type(media):
        pattern, terminator, json_strings = _JSON_NAME, b"}", True
    elif media in ("text/html", SIMPLE_HTML, "application/xhtml+xml"):
        pattern, terminator, json_strings = _ANCHOR_TEXT, b"</a>", False
    else:
        raise ValueError(f"unexpected content type {media or 'none'!r}")
    count = 0
    carry = b""
    seen_projects = not json_strings
    last_byte = b""
    for chunk in chunks:
        if not chunk:
            continue
        buf = carry + chunk if carry else chunk
        if not seen_projects:
            seen_projects = b'"projects"' in buf
        stripped = chunk.rstrip()
        if stripped:
            last_byte = stripped[-1:]
        cut = buf.rfind(terminator)
        if cut < 0:
            carry = buf[-_MAX_CARRY:]
            continue
        cut += len(terminator)
        carry = buf[cut:][-_MAX_CARRY:]
        names = _clean_names(pattern.findall(buf, 0, cut), json_strings=json_strings)
        emit(name_lines(names))
        count += len(names)
    if carry:
        names = _clean_names(pattern.findall(carry), json_strings=json_strings)
        emit(name_lines(names))
        count += len(names)
    if json_strings and (not seen_projects or last_byte != b"}"):
        raise ValueError("malformed JSON project list")
    return count


class NameTable:
    """The project-name list: ``ultranormalized<TAB>display`` lines in a few big blocks.

    A lookup is a ``bytes.find`` of ``"\\n<key>\\t"`` per block: about 20 ms over PyPI's
    930k names, with no per-name objects at all. A dict would answer in microseconds but
    cost ~1 s and ~150 MB to build for the one or two lookups a run makes.
    """

    __slots__ = ("blocks",)

    def __init__(self, blocks: list[bytes]) -> None:
        self.blocks = blocks  # every block holds whole lines

    def lookup(self, key: bytes) -> Iterator[str]:
        """Display names whose ultranormalized form is ``key``."""
        needle = b"\n" + key + b"\t"
        for block in self.blocks:
            if block.startswith(needle[1:]):  # the block's first line has no "\n" before it
                yield self._display(block, len(needle) - 1)
            start = block.find(needle)
            while start >= 0:
                yield self._display(block, start + len(needle))
                start = block.find(needle, start + len(needle))

    @staticmethod
    def _display(block: bytes, begin: int) -> str:
        end = block.find(b"\n", begin)
        return block[begin : end if end >= 0 else len(block)].decode("utf-8", "replace")


def atomic_write(path: Path, blocks: Iterable[bytes]) -> None:
    """Write via a temp file and ``os.replace``: a concurrent reader sees old or new, never
    half a file."""
    fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            for block in blocks:
                fh.write(block)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp_name).unlink()
        raise


def read_names_cache(
    table_path: Path, meta_path: Path, *, index_url: str
) -> tuple[dict[str, Any] | None, bytes | None]:
    """The cached list and its sidecar, or ``(None, None)`` if missing or inconsistent.

    The sidecar's token must match the one in the list's header line: the two files are
    replaced one after the other, and a reader must not pair a new list with old validators.
    """
    try:
        meta = json.loads(meta_path.read_bytes())
        table = table_path.read_bytes()
    except (OSError, ValueError):
        return None, None
    if not isinstance(meta, dict) or meta.get("format") != NAMES_FORMAT:
        return None, None
    if meta.get("index_url") != index_url or not isinstance(meta.get("fetched_at"), (int, float)):
        return None, None
    first = table[: table.find(b"\n")]
    if not first.endswith(f" {meta.get('token')}".encode()):
        return None, None
    return meta, table
