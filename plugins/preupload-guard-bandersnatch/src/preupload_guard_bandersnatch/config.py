"""The ``[tool.preupload-guard.plugins.bandersnatch]`` table, validated.

Wrong types are the user's mistake, not the mirror's: they raise ``ConfigError`` naming the
table and key, so the run says exactly what to fix instead of silently ignoring the mirror.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preupload_guard import ConfigError

TABLE = "[tool.preupload-guard.plugins.bandersnatch]"
KNOWN = {"mirror", "max-age", "timeout"}
DEFAULT_MAX_AGE = 7 * 86400.0
DEFAULT_TIMEOUT = 10.0
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


@dataclass(frozen=True)
class MirrorConfig:
    mirror: str | None
    max_age: float
    timeout: float

    @property
    def is_http(self) -> bool:
        return bool(self.mirror) and self.mirror.lower().startswith(("http://", "https://"))


def parse_age(value: Any, key: str = "max-age") -> float:
    """Seconds from ``"7d"``, ``"36h"``, ``"90m"``, ``"30s"``, ``"2w"`` or a number of seconds."""
    if isinstance(value, bool):
        raise ConfigError(f"{TABLE} {key} must be a duration like \"7d\" or \"12h\", not {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value.lower())
        if not match:
            raise ConfigError(
                f"{TABLE} {key} must be a duration like \"7d\" or \"12h\", not {value!r}")
        seconds = float(match.group(1)) * _UNITS[match.group(2) or "s"]
    else:
        raise ConfigError(
            f"{TABLE} {key} must be a duration like \"7d\" or \"12h\", not {type(value).__name__}")
    if seconds <= 0:
        raise ConfigError(f"{TABLE} {key} must be positive, not {value!r}")
    return seconds


def load(config: Mapping[str, Any]) -> MirrorConfig:
    unknown = sorted(set(config) - KNOWN)
    if unknown:
        raise ConfigError(f"{TABLE}: unknown key(s) {', '.join(unknown)} "
                          f"(known: {', '.join(sorted(KNOWN))})")
    mirror = config.get("mirror")
    if mirror is not None and (not isinstance(mirror, str) or not mirror.strip()):
        raise ConfigError(f"{TABLE} mirror must be a directory path or an http(s) URL, "
                          f"not {mirror!r}")
    timeout = config.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 300:
        raise ConfigError(f"{TABLE} timeout must be a number of seconds in (0, 300], "
                          f"not {timeout!r}")
    max_age = parse_age(config["max-age"]) if "max-age" in config else DEFAULT_MAX_AGE
    return MirrorConfig(mirror.strip() if mirror else None, max_age, float(timeout))


def format_age(seconds: float) -> str:
    """``3d 4h`` / ``5h 12m`` / ``40m``: how old, in words a person reads at a glance."""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
