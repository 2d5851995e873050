"""The resolved settings of a run and the units they are written in.

A value object only: :class:`Settings` is built by ``engine.config.load_settings`` from
``[tool.preupload-guard]`` and the command line. It lives at the bottom of the house so
that checks, readers and renderers can read it without importing the code that parses
configuration files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from preupload_guard.model.findings import Severity

KiB = 1024
MiB = 1024**2
GiB = 1024**3

#: PyPI's default per-file limit (``MAX_FILESIZE``) and the largest limit it ever grants.
DEFAULT_UPLOAD_LIMIT = 100 * MiB
UPLOAD_LIMIT_CAP = 1 * GiB
#: PyPI's default total size of a project (``MAX_PROJECT_SIZE``).
DEFAULT_PROJECT_LIMIT = 10 * GiB

FORMATS = ("text", "json", "github", "markdown", "sarif")

_UNITS = {
    "": 1,
    "b": 1,
    "kib": KiB,
    "mib": MiB,
    "gib": GiB,
    "tib": 1024**4,
    "kb": 1000,
    "mb": 1000**2,
    "gb": 1000**3,
    "tb": 1000**4,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


class ConfigError(Exception):
    """A usage or configuration problem: reported plainly, exit status 2."""


def parse_size(value: str | int) -> int:
    """Parse ``123``, ``200MiB``, ``1 GiB`` or ``500MB`` into bytes.

    Binary units (KiB, MiB, GiB) are powers of 1024, SI units (KB, MB, GB) powers of 1000,
    as the SPEC says; the unit is case-insensitive.
    """
    if isinstance(value, bool):
        raise ConfigError(f"not a size: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ConfigError(f"a size cannot be negative: {value}")
        return value
    match = _SIZE_RE.match(str(value))
    if not match or match.group(2).lower() not in _UNITS:
        raise ConfigError(
            f"not a size: {value!r} (examples: 123, 200MiB, '1 GiB', 500MB)"
        )
    number, unit = match.groups()
    return int(float(number) * _UNITS[unit.lower()])


def format_size(size: int) -> str:
    """Human size in binary units, as PyPI's limits are binary (``100 MiB``)."""
    if size < KiB:
        return f"{size} B"
    for unit, factor in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if size >= factor:
            value = size / factor
            text = f"{value:.1f}".rstrip("0").rstrip(".")
            return f"{text} {unit}"
    return f"{size} B"  # pragma: no cover


#: Where a run makes its files' passes: ``auto`` (worker processes for a set worth it),
#: ``threads`` (always on the runner's threads) or ``processes`` (every file that can be).
READERS = ("auto", "threads", "processes")

@dataclass(frozen=True)
class IndexTarget:
    """Where the index facts come from, derived once from twine's configuration."""

    index_url: str | None
    json_api_url: str | None
    upload_url: str | None = None
    repository: str | None = None


@dataclass(frozen=True)
class Settings:
    """Everything a run needs, resolved. Built by :func:`load_settings`."""

    paths: tuple[str, ...] = ()
    repository: str | None = None
    repository_url: str | None = None
    config_file: str = "~/.pypirc"
    index_url: str | None = None
    json_api_url: str | None = None
    upload_url: str | None = None
    upload_limit: int | None = None
    project_limit: int | None = None
    history: Path | None = None
    #: A shared ledger (``history`` given as an http(s) URL): read-only, unioned in.
    history_url: str | None = None
    offline: bool = False
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    format: str = "text"
    output: Path | None = None
    cache_dir: Path | None = None
    timeout: float = 30.0
    #: Files checked at once (a thread pool over files); ``None``: one per CPU.
    jobs: int | None = None
    #: Where the files' passes run: one of :data:`READERS`
    #: (:mod:`preupload_guard.read.pass_pool`).
    readers: str = "auto"
    progress: bool = True
    plugin_settings: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    config_path: Path | None = None

    @property
    def effective_upload_limit(self) -> int:
        """Like PyPI: the larger of the default and the granted limit."""
        return max(DEFAULT_UPLOAD_LIMIT, self.upload_limit or 0)

    @property
    def effective_project_limit(self) -> int:
        return max(DEFAULT_PROJECT_LIMIT, self.project_limit or 0)

    @property
    def resolved_cache_dir(self) -> Path:
        if self.cache_dir is not None:
            return self.cache_dir
        env = os.environ.get("PREUPLOAD_GUARD_CACHE_DIR")
        if env:
            return Path(env)
        import platformdirs

        return Path(platformdirs.user_cache_dir("preupload-guard", appauthor=False))

    def plugin_config(self, name: str) -> Mapping[str, Any]:
        """Settings of ``[tool.preupload-guard.plugins.NAME]`` for a plugin."""
        return self.plugin_settings.get(name, {})


_CREDENTIALS_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")


def scrub_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` part of every URL in it replaced by ``***@``:
    an index or ledger URL may carry a token, and no report, ledger or log may."""
    return _CREDENTIALS_RE.sub(r"\1***@", text)
