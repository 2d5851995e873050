"""preupload-guard: would the package index refuse these files, and what to do about it.

The public API: :func:`check` runs every check and returns a :class:`Report`; plugins use
:data:`hookimpl`, :class:`Rule`, :class:`Finding` and :class:`Severity`, and name the
types they receive and the helpers they may call through the names below. Those are the
only names a plugin imports: where a module lives inside the package is not public and
may change; these names do not.

Every name is loaded on first use (PEP 562): ``import preupload_guard`` (which every
``preupload-guard`` command pays, ``--help`` included) imports neither dataclasses nor
pluggy, and a plugin pays only for the names it asks for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from preupload_guard.checks.archives.wheel import entry_points_problem
    from preupload_guard.model.context import Context
    from preupload_guard.model.facts import IndexFile, IndexUnreachable, ProjectState, Release
    from preupload_guard.model.findings import Finding, Report, Rule, Severity, Skipped
    from preupload_guard.model.hooks import hookimpl
    from preupload_guard.model.settings import (
        ConfigError,
        GiB,
        KiB,
        MiB,
        Settings,
        format_size,
        parse_size,
    )
    from preupload_guard.read.archives import (
        ArchiveError,
        ArchiveLimitExceeded,
        ArchiveReader,
        Member,
        MemberStream,
        MemberTooLarge,
    )
    from preupload_guard.read.artifact import Artifact
    from preupload_guard.read.members import Capture, MemberVisitor, StreamConsumer

__version__ = "0.1.0"

#: Public name -> the module that defines it, imported when the name is first asked for.
_LAZY = {
    "Finding": "preupload_guard.model.findings",
    "Report": "preupload_guard.model.findings",
    "Rule": "preupload_guard.model.findings",
    "Severity": "preupload_guard.model.findings",
    "Skipped": "preupload_guard.model.findings",
    "hookimpl": "preupload_guard.model.hooks",
    "Artifact": "preupload_guard.read.artifact",
    "ArchiveError": "preupload_guard.read.archives",
    "ArchiveLimitExceeded": "preupload_guard.read.archives",
    "ArchiveReader": "preupload_guard.read.archives",
    "Member": "preupload_guard.read.archives",
    "MemberStream": "preupload_guard.read.archives",
    "MemberTooLarge": "preupload_guard.read.archives",
    "Context": "preupload_guard.model.context",
    "IndexFile": "preupload_guard.model.facts",
    "IndexUnreachable": "preupload_guard.model.facts",
    "ProjectState": "preupload_guard.model.facts",
    "Release": "preupload_guard.model.facts",
    "ConfigError": "preupload_guard.model.settings",
    "Settings": "preupload_guard.model.settings",
    "KiB": "preupload_guard.model.settings",
    "MiB": "preupload_guard.model.settings",
    "GiB": "preupload_guard.model.settings",
    "format_size": "preupload_guard.model.settings",
    "parse_size": "preupload_guard.model.settings",
    "entry_points_problem": "preupload_guard.checks.archives.wheel",
    "MemberVisitor": "preupload_guard.read.members",
    "StreamConsumer": "preupload_guard.read.members",
    "Capture": "preupload_guard.read.members",
}

__all__ = [
    "ArchiveError",
    "ArchiveLimitExceeded",
    "ArchiveReader",
    "Artifact",
    "Capture",
    "ConfigError",
    "Context",
    "Finding",
    "GiB",
    "IndexFile",
    "IndexUnreachable",
    "KiB",
    "Member",
    "MemberStream",
    "MemberTooLarge",
    "MemberVisitor",
    "MiB",
    "ProjectState",
    "Release",
    "Report",
    "Rule",
    "Settings",
    "Severity",
    "Skipped",
    "StreamConsumer",
    "__version__",
    "check",
    "entry_points_problem",
    "format_size",
    "hookimpl",
    "parse_size",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'preupload_guard' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


def check(paths: Iterable[str | Path], **options: Any) -> Report:
    """Check distribution files; options are the config keys with ``_`` for ``-``.

    For example ``check(["dist"], offline=True)`` or
    ``check(["dist/x.whl"], index_url="http://127.0.0.1:8080/simple/", upload_limit="200 MiB")``.
    The pyproject table of the current directory fills in what is not given. Raises
    :class:`~preupload_guard.engine.config.ConfigError` on bad options.
    """
    from preupload_guard.engine.config import load_settings
    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks

    blocked = options.pop("blocked_plugins", ())
    settings = load_settings({**options, "paths": [str(p) for p in paths]})
    return run_checks(settings, manager=PluginManager(blocked=blocked))
