"""PyPI's third upload-scanner rule: a PyPI API token inside a scanned archive member.

Warehouse compiles every ``warehouse/utils/scanner_rules/*.yar`` into the scan that refuses
encrypted code (reference §5, Z8/T6). Since the reference's snapshot a third rule joined the
two encryption rules, ``secrets_pypi_token`` (``pypi_token.yar``)::

    $pypi_token = /pypi-AgEIcHlwaS5vcmcCJ[a-zA-Z0-9-_]{150,157}/
    condition: $pypi_token

The regex is unanchored and case-sensitive over raw bytes, so it matches the 22-byte head
followed by at least 150 token characters (a longer run matches its first 150..157): the
head is the base64 of the first bytes of a macaroon whose location is PyPI's own host name,
so TestPyPI tokens do not match.
It runs on the members the scanner reads for every rule: names whose last suffix is ``.py``
or ``.pye`` in any case, regular files only, at most 5 MiB each. A match answers
``400 Invalid distribution file. We have detected a PyPI API token exposed ...``.

Everything here is a pure function of a member's name and bytes, so the archive checks (and
a shared pass over members) can feed it however they read: whole contents through
:func:`find_pypi_token`, or chunks through :class:`TokenScanner`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from preupload_guard.checks.archives.vocabulary import SCAN_MAX_FILE_SIZE, SCAN_SUFFIXES

#: Named without the host (the project writes no index host into code or docs).
HELP_COMPROMISED_TOKEN = "PyPI's help page on compromised tokens (#compromised-token)"
#: pypi_token.yar's ``message`` (help link named as above).
PYPI_TOKEN_MESSAGE = (
    "We have detected a PyPI API token exposed in the uploaded file. Publishing it would "
    "allow anyone to perform actions on your behalf. For your own security, please revoke "
    f"the token immediately. See {HELP_COMPROMISED_TOKEN} for additional help."
)
#: The fixed head every token minted by PyPI starts with (split so no .py file of ours holds it
#: whole next to token characters).
TOKEN_HEAD = b"pypi-" + b"AgEIcHlwaS5vcmcCJ"
#: ``[a-zA-Z0-9-_]``: the ``-`` after the range ``0-9`` is a literal, as in Python.
_TOKEN_CHARS = rb"[A-Za-z0-9_-]"
#: ``{150,157}`` unanchored matches wherever ``{150}`` does: the shortest match decides.
TOKEN_RE = re.compile(re.escape(TOKEN_HEAD) + _TOKEN_CHARS + rb"{150}")
#: The shortest byte run that matches; a chunked reader keeps this many bytes minus one
#: from the previous chunk so that no match is split between two chunks.
TOKEN_MIN_LENGTH = len(TOKEN_HEAD) + 150


@dataclass(frozen=True)
class TokenMatch:
    """Where a token was found: never the token itself (only its public, fixed head)."""

    member: str
    offset: int
    line: int

    @property
    def redacted(self) -> str:
        return TOKEN_HEAD.decode("ascii") + "…"


def is_scanned_member(member_name: str, size: int | None = None) -> bool:
    """The scanner's choice of members: last suffix ``.py``/``.pye`` (any case), ≤ 5 MiB."""
    if size is not None and size > SCAN_MAX_FILE_SIZE:
        return False
    # Most members end in neither: refused at once. Only a name ending in ``.py``/``.pye``
    # (any case) can have that suffix, or one whose last component pathlib drops (``a.py/``,
    # ``a.py/.``); ``lower`` maps character by character, so no other tail can become one.
    if not member_name[-4:].lower().endswith((".py", ".pye")) and not member_name.endswith(
            ("/", ".")):
        return False
    return posix_suffix(member_name).lower() in SCAN_SUFFIXES


def posix_suffix(name: str) -> str:
    """``PurePosixPath(name).suffix``, without building a path for the usual member name.

    Called for every member of every archive (tens of thousands in an sdist), where pathlib
    cost more than the rest of the name checks together. Names pathlib would normalize
    (``//``, ``/./``, a trailing ``/`` or ``.``) take pathlib's own answer.
    """
    if "//" in name or "/." in name or name.endswith(("/", ".")) or name.startswith("."):
        return PurePosixPath(name).suffix
    last = name[name.rfind("/") + 1:]
    dot = last.rfind(".")
    return last[dot:] if dot > 0 else ""


def find_pypi_token(member_name: str, content: bytes) -> TokenMatch | None:
    """The first token in one member's content, as ``secrets_pypi_token`` finds it.

    Returns ``None`` for members the scanner does not read (by name or size), so callers
    may pass every member.
    """
    if not is_scanned_member(member_name, len(content)):
        return None
    if TOKEN_HEAD not in content:  # the cheap test first: almost every member
        return None
    match = TOKEN_RE.search(content)
    if match is None:
        return None
    start = match.start()
    return TokenMatch(member_name, start, content.count(b"\n", 0, start) + 1)


class TokenScanner:
    """:func:`find_pypi_token` over a member read in chunks (for a shared streaming pass).

    ``feed`` each chunk in order; it returns the match once found (and keeps returning it).
    Keeps :data:`TOKEN_MIN_LENGTH` - 1 bytes of overlap, so a token split between chunks is
    found exactly as in the whole content. The caller decides whether the member is scanned
    (:func:`is_scanned_member` with the member's listed size).
    """

    def __init__(self, member_name: str) -> None:
        self.member = member_name
        self.match: TokenMatch | None = None
        self._tail = b""
        self._consumed = 0  # bytes before ``_tail`` starts
        self._lines = 0  # newlines before ``_tail`` starts

    def feed(self, chunk: bytes) -> TokenMatch | None:
        if self.match is not None or not chunk:
            return self.match
        window = self._tail + chunk
        found = TOKEN_RE.search(window) if TOKEN_HEAD[:1] in window else None
        if found is not None:
            start = found.start()
            self.match = TokenMatch(self.member, self._consumed + start,
                                    self._lines + window.count(b"\n", 0, start) + 1)
            return self.match
        keep = min(len(window), TOKEN_MIN_LENGTH - 1)
        cut = len(window) - keep
        self._lines += window.count(b"\n", 0, cut)
        self._consumed += cut
        self._tail = window[cut:]
        return None
