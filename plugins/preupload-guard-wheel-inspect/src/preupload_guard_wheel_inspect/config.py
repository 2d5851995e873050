"""``[tool.preupload-guard.plugins.wheel-inspect]``: the plugin's settings.

    [tool.preupload-guard.plugins.wheel-inspect]
    allow-top-level = ["_distutils_hack", "pkg_resources", "vendored_*"]
    verify-limit = "4 GiB"     # uncompressed bytes hashed per wheel; 0 skips hashing
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preupload_guard import ConfigError, parse_size

PLUGIN_NAME = "wheel-inspect"
DEFAULT_VERIFY_LIMIT = 4 * 1024**3
_KEYS = {"allow-top-level", "verify-limit"}


class PluginConfigError(ValueError):
    """The plugin's table is wrong; raised so the run reports it as a plugin error."""


@dataclass(frozen=True)
class Config:
    allow_top_level: tuple[str, ...] = ()
    verify_limit: int = DEFAULT_VERIFY_LIMIT

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> Config:
        where = f"[tool.preupload-guard.plugins.{PLUGIN_NAME}]"
        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise PluginConfigError(
                f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(_KEYS))}"
            )
        allow = table.get("allow-top-level", ())
        if isinstance(allow, str) or not all(isinstance(a, str) for a in allow):
            raise PluginConfigError(f"{where}: allow-top-level must be a list of strings")
        limit = table.get("verify-limit", DEFAULT_VERIFY_LIMIT)
        try:
            verify_limit = parse_size(limit)
        except (ConfigError, TypeError, ValueError) as exc:
            raise PluginConfigError(f"{where}: verify-limit: {exc}") from None
        return cls(tuple(a.strip() for a in allow), verify_limit)

    def allows(self, name: str) -> bool:
        """``name`` (a top-level import name) matches an allow-list pattern, in any case."""
        low = name.lower()
        return any(fnmatch.fnmatchcase(low, pattern.lower()) for pattern in self.allow_top_level)
