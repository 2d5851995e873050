"""What a secret looks like: one :class:`Detector` per credential format.

Every detector is a byte regex, so binary members (compiled extensions, pickles, images)
are scanned as well as text. Each regex starts with a literal (``pypi-AgE``, ``g``,
``A``, ``-----BEGIN ``, ``ecret_access_key``, ...), so that ``re`` finds
candidates with its literal-prefix search instead of trying every position: that search
is the prefilter, and a buffer with no candidate costs one quick pass per detector. Where
``bytes.find`` finds the prefix faster than ``re`` does, the detector names it as its
:attr:`Detector.anchor` and the scanner looks for it first.
Boundaries before a match ("not part of a longer word", "preceded by S or s") are checked
in code (:attr:`Detector.not_after`, :attr:`Detector.after`): a look-behind at the start
of the pattern would disable the prefix search.

Every repetition is bounded, so a hostile member cannot make a regex backtrack for long,
and no match is longer than :data:`MAX_MATCH` bytes, which is what lets the stream
scanner find a secret that spans two chunks exactly once.

A detector's ``describe`` turns a match into a :class:`Secret`: what kind it is, a masked
form that is safe to print, its length and its fingerprint. The secret itself is never
stored in a finding.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

#: No match of any detector is longer than this (checked by the tests).
MAX_MATCH = 7 * 1024

TOKEN = "token"
AWS_KEY = "aws-key"
PRIVATE_KEY = "private-key"

#: Characters shown after a well-known prefix (``ghp_`` + 4 characters).
SHOWN = 4
#: Hex digits of the SHA-256 fingerprint shown in findings (and accepted at least, minus 4).
FINGERPRINT_DIGITS = 16

_ALNUM = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
_ALNUM_UNDERSCORE = _ALNUM | frozenset(b"_")


@dataclass(frozen=True)
class Secret:
    """A secret found, described without revealing it."""

    label: str  # "GitHub personal access token"
    masked: str  # "ghp_AbCd…": a well-known prefix plus a few characters at most
    length: int
    fingerprint: str  # full sha256 hex digest of the secret's bytes

    @property
    def short_fingerprint(self) -> str:
        return f"sha256:{self.fingerprint[:FINGERPRINT_DIGITS]}"


@dataclass(frozen=True)
class Detector:
    """One credential format: a bounded regex with a literal prefix, and a describer."""

    rule: str
    name: str
    regex: re.Pattern[bytes]
    describe: Callable[[re.Match[bytes]], Secret | None]
    #: Bytes that may not come just before the match (a longer word is not this token).
    not_after: frozenset[int] = frozenset()
    #: If set, the byte just before the match must be one of these.
    after: frozenset[int] = frozenset()
    #: The match group whose position is reported (0: the whole match).
    group: int = 0
    #: A literal every match starts with, looked for with ``bytes.find`` before the regex
    #: runs (empty: the regex searches alone). ``re`` searches a literal prefix by stepping
    #: to each occurrence of its first byte and comparing from there; ``bytes.find`` skips
    #: ahead by the needle's length. For a prefix whose first byte is common (the ``e`` of
    #: ``ecret_access_key``) that is 3x faster, and most buffers hold no occurrence at all,
    #: so the regex never runs. A short or common prefix (``g``, ``A``, ``-----BEGIN ``)
    #: gains nothing and has none.
    anchor: bytes = b""

    def accepts_before(self, byte: int | None) -> bool:
        """Whether the byte before a match (``None``: start of the member) allows it."""
        if self.after:
            return byte is not None and byte in self.after
        return byte is None or byte not in self.not_after


def fingerprint(value: bytes) -> str:
    return hashlib.sha256(value).hexdigest()


def _ascii(data: bytes) -> str:
    return data.decode("ascii", "replace")


def _masked(value: bytes, keep: int) -> str:
    """``value`` cut to its first ``keep`` characters, never more than half of it."""
    keep = min(keep, len(value) // 2)
    return _ascii(value[:keep]) + "…"


# -- tokens ---------------------------------------------------------------------------------
# A PyPI API token is "pypi-" + a base64url macaroon (v2 binary format). Its first bytes are
# the version (0x02) and the location field (0x01, length, location), so the location shows
# up verbatim in the base64 text: "AgEIcHlwaS5vcmc" is \x02\x01\x08"pypi.org" and
# "AgENdGVzdC5weXBpLm9yZw" is \x02\x01\x0d"test.pypi.org". Other Warehouse deployments start
# with "AgE" too. Real tokens are ~180+ characters; 50 is a safe lower bound.
_PYPI_PREFIXES = (
    (b"pypi-AgEIcHlwaS5vcmc", "PyPI API token"),
    (b"pypi-AgENdGVzdC5weXBpLm9yZw", "TestPyPI API token"),
    (b"pypi-AgE", "PyPI-style API token (other index)"),
)
_PYPI_RE = re.compile(rb"pypi-AgE[A-Za-z0-9_-]{50,4000}")


def _describe_pypi(match: re.Match[bytes]) -> Secret:
    value = match.group(0)
    for prefix, label in _PYPI_PREFIXES:
        if value.startswith(prefix):
            return Secret(label, _masked(value, len(prefix) + SHOWN), len(value),
                          fingerprint(value))
    raise AssertionError("unreachable: the regex requires pypi-AgE")  # pragma: no cover


# GitHub: "ghp_" (personal), "gho_" (OAuth), "ghu_" (user-to-server), "ghs_"
# (server-to-server, e.g. GITHUB_TOKEN in Actions), "ghr_" (refresh) + 36 base62 characters
# today (GitHub reserves the right to grow them, hence up to 251); fine-grained personal
# tokens are "github_pat_" + 22 + "_" + 59 characters.
_GITHUB_LABELS = {
    b"ghp_": "GitHub personal access token",
    b"gho_": "GitHub OAuth access token",
    b"ghu_": "GitHub user-to-server token",
    b"ghs_": "GitHub server-to-server token",
    b"ghr_": "GitHub refresh token",
    b"github_pat_": "GitHub fine-grained personal access token",
}
#: Both GitHub formats in one regex: they share the prefix ``g``, so one literal-prefix
#: search finds the candidates of both (on 400 MB of the benchmark's members 0.21 s, where
#: the two separate searches took 0.19 + 0.17 s). No match of one can start inside a match
#: of the other: a ``gh`` body has no ``_``, and inside a ``github_pat_`` body a ``gh`` is
#: preceded by a word character, which :attr:`Detector.not_after` refuses.
_GITHUB_RE = re.compile(
    rb"g(?:h[pousr]_[A-Za-z0-9]{36,251}|ithub_pat_[A-Za-z0-9_]{70,251})(?![A-Za-z0-9_])")


def _describe_github(match: re.Match[bytes]) -> Secret:
    value = match.group(0)
    prefix = b"github_pat_" if value.startswith(b"github_pat_") else value[:4]
    return Secret(_GITHUB_LABELS[prefix], _masked(value, len(prefix) + SHOWN), len(value),
                  fingerprint(value))


# -- AWS ------------------------------------------------------------------------------------
# Access key ids: "AKIA" (long-term) or "ASIA" (temporary) + 16 upper-case base32 characters.
# Other IAM id prefixes (AIDA, AROA, ...) name users and roles and grant nothing. The id alone
# is not a credential, but it is never published without its secret nearby, and it names the
# key to deactivate. Values containing "EXAMPLE" (AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/
# bPxRfiCYEXAMPLEKEY and the like) are the documentation's examples, all over SDK docs, and
# are ignored: a random key would contain that word by a chance of about 1 in 10^10.
_AWS_ID_RE = re.compile(rb"A[KS]IA[A-Z0-9]{16}(?![A-Za-z0-9])")
# A secret access key is 40 base64 characters with no prefix of its own: only recognised
# where it is assigned to a name that says what it is (ini/env/JSON/YAML/Python spellings:
# aws_secret_access_key, AWS_SECRET_ACCESS_KEY, SecretAccessKey, secretAccessKey). One
# regex per spelling, each starting with a literal; the S/s before it is checked in code.
_AWS_SECRET_VALUE = (rb"[\"']?[ \t]{0,8}(?:=>|[:=])[ \t]{0,8}[\"']?([A-Za-z0-9/+]{40})"
                     rb"(?![A-Za-z0-9/+=])")
_AWS_SECRET_NAMES = (
    (b"ecret_access_key", b"Ss"),
    (b"ECRET_ACCESS_KEY", b"S"),
    (b"ecretAccessKey", b"Ss"),
)


def _describe_aws_id(match: re.Match[bytes]) -> Secret | None:
    value = match.group(0)
    if b"EXAMPLE" in value:  # AKIAIOSFODNN7EXAMPLE, AKIAEXAMPLE123456789, ...
        return None
    kind = "temporary" if value.startswith(b"ASIA") else "long-term"
    return Secret(f"AWS access key id ({kind})", _masked(value, 4 + SHOWN), len(value),
                  fingerprint(value))


def _describe_aws_secret(match: re.Match[bytes]) -> Secret | None:
    value = match.group(1)
    if b"EXAMPLE" in value:
        return None
    return Secret("AWS secret access key", _masked(value, SHOWN), len(value),
                  fingerprint(value))


# -- private keys ---------------------------------------------------------------------------
# PEM armor "-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP |...]PRIVATE KEY[ BLOCK]-----",
# then optional armor headers (Proc-Type, DEK-Info, Version, Comment) and a base64 body. Line
# breaks may be real or escaped ("\n" inside a string literal or JSON, as in cloud
# service-account files). A body of 40+ base64 characters is required: the header alone is
# what key-parsing code (paramiko, cryptography, ...) contains as a constant.
_PRIVATE_KEY_RE = re.compile(
    rb"-----BEGIN ((?:[A-Z0-9]{1,12} ){0,3}PRIVATE KEY(?: BLOCK)?)-----"
    rb"(?:\s|\\[rn]){1,8}"
    rb"(?:[A-Za-z][A-Za-z0-9-]{0,40}:[^\r\n\\]{0,200}(?:\s|\\[rn]){1,8}){0,8}"
    rb"((?:[A-Za-z0-9+/=]|\s|\\[rn]){40,2000})"
)
_BODY_NOISE = re.compile(rb"\s|\\[rn]")


def _describe_private_key(match: re.Match[bytes]) -> Secret | None:
    body = _BODY_NOISE.sub(b"", match.group(2))
    if len(body) < 40:
        return None
    kind = _ascii(match.group(1))
    # The body is the secret: fingerprint its first (up to 2000) characters, which differ
    # from key to key well before that (OpenSSH keys share their first ~60 characters).
    return Secret(f"private key ({kind})", f"-----BEGIN {kind}-----", len(body),
                  fingerprint(body))


DETECTORS: tuple[Detector, ...] = (
    Detector(TOKEN, "pypi", _PYPI_RE, _describe_pypi, not_after=_ALNUM, anchor=b"pypi-AgE"),
    Detector(TOKEN, "github", _GITHUB_RE, _describe_github, not_after=_ALNUM_UNDERSCORE),
    Detector(AWS_KEY, "aws-access-key-id", _AWS_ID_RE, _describe_aws_id, not_after=_ALNUM),
    *(
        Detector(AWS_KEY, "aws-secret-access-key", re.compile(re.escape(name) + _AWS_SECRET_VALUE),
                 _describe_aws_secret, after=frozenset(initials), group=1, anchor=name)
        for name, initials in _AWS_SECRET_NAMES
    ),
    Detector(PRIVATE_KEY, "private-key", _PRIVATE_KEY_RE, _describe_private_key),
)

#: Content marker of any PEM block (certificates included), for the .pem/.key name rule.
PEM_MARKER = b"-----BEGIN "
