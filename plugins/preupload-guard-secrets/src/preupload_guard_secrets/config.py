"""``[tool.preupload-guard.plugins.secrets]``: the allow-lists and the scan's bounds.

Every key is optional::

    [tool.preupload-guard.plugins.secrets]
    allow = ["tests/fixtures/*", "docs/example.pem"]   # member path globs
    allow-secrets = ["sha256:3f5c9d0e1a2b4c6d"]        # fingerprints printed in findings
    max-member-size = "64 MiB"   # bytes scanned per member
    max-total-size = "1 GiB"     # bytes scanned per distribution file
    time-limit = 60              # seconds spent per distribution file

A bad value raises :class:`SecretsConfigError` (a ``ValueError``), which preupload-guard
reports as a ``plugin-error`` finding naming this plugin and the key.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preupload_guard import GiB, MiB, parse_size

from .detectors import FINGERPRINT_DIGITS

#: The entry-point name, hence the config table and the rule namespace.
PLUGIN_NAME = "secrets"
TABLE = f"[tool.preupload-guard.plugins.{PLUGIN_NAME}]"

DEFAULT_MAX_MEMBER_SIZE = 64 * MiB
DEFAULT_MAX_TOTAL_SIZE = 1 * GiB
DEFAULT_TIME_LIMIT = 60.0
#: A fingerprint must give at least this many hex digits to be accepted.
MIN_FINGERPRINT_DIGITS = FINGERPRINT_DIGITS - 4

KEYS = ("allow", "allow-secrets", "max-member-size", "max-total-size", "time-limit")
_FINGERPRINT_RE = re.compile(r"sha256:([0-9a-f]+)")


class SecretsConfigError(ValueError):
    """The plugin's configuration table is invalid."""


@dataclass(frozen=True)
class SecretsConfig:
    allow: tuple[str, ...] = ()
    allow_secrets: tuple[str, ...] = ()  # hex digest prefixes, lower case
    max_member_size: int = DEFAULT_MAX_MEMBER_SIZE
    max_total_size: int = DEFAULT_MAX_TOTAL_SIZE
    time_limit: float = DEFAULT_TIME_LIMIT

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any] | None) -> SecretsConfig:
        table = dict(table or {})
        unknown = sorted(set(table) - set(KEYS))
        if unknown:
            raise SecretsConfigError(
                f"{TABLE}: unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
        allow = tuple(_pattern(p) for p in _strings(table, "allow"))
        secrets = tuple(_fingerprint(v) for v in _strings(table, "allow-secrets"))
        return cls(
            allow=allow,
            allow_secrets=secrets,
            max_member_size=_size(table, "max-member-size", DEFAULT_MAX_MEMBER_SIZE),
            max_total_size=_size(table, "max-total-size", DEFAULT_MAX_TOTAL_SIZE),
            time_limit=_seconds(table, "time-limit", DEFAULT_TIME_LIMIT),
        )

    def allows_member(self, name: str, top: str | None = None) -> bool:
        """Whether member ``name`` matches an ``allow`` glob.

        Globs are matched case-sensitively against the member path as stored in the archive
        and, for an sdist with a top-level directory ``top``, against the path below it too,
        so ``tests/fixtures/*`` matches ``proj-1.0/tests/fixtures/key.pem`` as well as a
        wheel's ``tests/fixtures/key.pem``. ``*`` also matches ``/``.
        """
        if not self.allow:
            return False
        name = name.lstrip("/")
        names = [name]
        if top and name.startswith(top + "/"):
            names.append(name[len(top) + 1:])
        return any(fnmatch.fnmatchcase(n, p) for n in names for p in self.allow)

    def allows_secret(self, fingerprint: str) -> bool:
        return any(fingerprint.startswith(prefix) for prefix in self.allow_secrets)


def _strings(table: Mapping[str, Any], key: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise SecretsConfigError(f"{TABLE}: {key} must be a list of strings, not {value!r}")
    return list(value)


def _pattern(value: str) -> str:
    pattern = value.strip().lstrip("/")
    if not pattern:
        raise SecretsConfigError(f"{TABLE}: allow contains an empty pattern")
    # "tests/fixtures/" means everything below that directory.
    return pattern + "*" if pattern.endswith("/") else pattern


def _fingerprint(value: str) -> str:
    match = _FINGERPRINT_RE.fullmatch(value.strip().lower())
    if match is None or len(match.group(1)) < MIN_FINGERPRINT_DIGITS:
        raise SecretsConfigError(
            f"{TABLE}: allow-secrets entries are fingerprints as printed in the findings, "
            f"'sha256:' and at least {MIN_FINGERPRINT_DIGITS} hex digits, not {value!r}")
    return match.group(1)


def _size(table: Mapping[str, Any], key: str, default: int) -> int:
    if key not in table:
        return default
    value = table[key]
    try:
        size = parse_size(value)
    except Exception as exc:  # preupload_guard's ConfigError, or a wrong type
        raise SecretsConfigError(f"{TABLE}: {key}: {exc}") from None
    if size <= 0:
        raise SecretsConfigError(f"{TABLE}: {key} must be larger than 0")
    return size


def _seconds(table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SecretsConfigError(f"{TABLE}: {key} must be a positive number of seconds, "
                                 f"not {value!r}")
    return float(value)
