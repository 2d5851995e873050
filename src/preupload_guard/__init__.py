"""preupload-guard: would the package index refuse these files, and what to do about it.

The public API: :func:`check` runs every check and returns a :class:`Report`; plugins use
:data:`hookimpl`, :class:`Rule`, :class:`Finding` and :class:`Severity`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from preupload_guard.model.findings import Finding, Report, Rule, Severity, Skipped
from preupload_guard.model.hooks import hookimpl

__version__ = "0.1.0"

__all__ = [
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "Skipped",
    "__version__",
    "check",
    "hookimpl",
]


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
