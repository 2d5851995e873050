"""preupload-guard plugin: a bandersnatch mirror as a filename history source.

PyPI never lets a filename be reused, even after deletion, and no public API lists deleted
files. An organisation's bandersnatch mirror still holds them, so every filename it knows
for a project is contributed through ``preupload_guard_history``; the core then reports
``filename-reused`` for a file whose name the mirror has seen but the index no longer lists.

A mirror that is missing, stale or unreadable must never stop a run: the problem is
remembered while reading history and reported once per run, as a warning, from
``preupload_guard_check_batch``.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from preupload_guard import Finding, Rule, Severity, hookimpl

from . import config as config_mod
from . import mirror as mirror_mod

__all__ = ["preupload_guard_check_batch", "preupload_guard_history", "preupload_guard_rules"]

UNAVAILABLE = "mirror-unavailable"
STALE = "mirror-stale"


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return [
        Rule(id=UNAVAILABLE, family="bandersnatch", severity=Severity.WARNING,
             summary="The bandersnatch mirror could not be read, so deleted filenames are unknown",
             explanation=("PyPI refuses a filename used before, even for a deleted file, and "
                          "only the configured bandersnatch mirror remembers deleted files. "
                          "It was missing, unreachable or partly unreadable, so this run could "
                          "not check those filenames."),
             fix=("Check the `mirror` setting in [tool.preupload-guard.plugins.bandersnatch] "
                  "and that the mirror directory or URL is readable from here."),
             needs_index=True),
        Rule(id=STALE, family="bandersnatch", severity=Severity.WARNING,
             summary="The bandersnatch mirror has not synced recently",
             explanation=("The mirror's last completed sync is older than `max-age`: files "
                          "uploaded and deleted upstream since then are not known to it."),
             fix="Run `bandersnatch mirror`, or raise `max-age` if the mirror syncs rarely.",
             needs_index=True),
    ]


class _Run:
    """What one run learned about the mirror; keyed by the run's Settings object."""

    def __init__(self, cfg: config_mod.MirrorConfig) -> None:
        self.cfg = cfg
        self.checked = False
        self.fatal: str | None = None
        self.last_sync: datetime | None = None
        self.packages: dict[str, set[str]] | None = None
        self.problems: list[str] = []
        self.session: Any = None


_runs: dict[int, _Run] = {}
_lock = threading.Lock()


def _source(run: _Run) -> str:
    when = run.last_sync.strftime("%Y-%m-%d %H:%M UTC") if run.last_sync else "unknown"
    return f"bandersnatch mirror {run.cfg.mirror} (last sync {when})"


def _open(run: _Run) -> None:
    """Find out once per run whether the mirror is there and when it last synced."""
    run.checked = True
    cfg = run.cfg
    try:
        if cfg.is_http:
            import requests

            run.session = requests.Session()
            run.last_sync = mirror_mod.http_last_sync(run.session, cfg.mirror, cfg.timeout)
        else:
            root = Path(cfg.mirror).expanduser()
            mirror_mod.check_local_root(root)
            run.last_sync = mirror_mod.local_last_sync(root)
            run.packages, problems = mirror_mod.walk_packages(root)
            run.problems.extend(problems)
    except mirror_mod.MirrorProblem as exc:
        if exc.kind == "stale":
            run.problems.append(str(exc))
        else:
            run.fatal = str(exc)


def _tuples_supported() -> bool:
    """Whether the core reads ``(filename, source)`` pairs from history sources.

    A bridge while the core learns to cite sources: older cores turn every item into
    ``str``, which would make a pair useless, so plain filenames are given to them.
    """
    try:
        from preupload_guard.engine import hookspecs

        annotation = str(hookspecs.preupload_guard_history.__annotations__.get("return", ""))
    except Exception:
        return False
    return "tuple" in annotation.lower()


@hookimpl
def preupload_guard_history(project: str, settings: Any,
                            config: Mapping[str, Any]) -> Iterable[Any] | None:
    cfg = config_mod.load(config)
    if not cfg.mirror:
        return None
    with _lock:
        run = _runs.get(id(settings))
        if run is None or run.cfg != cfg:
            run = _runs[id(settings)] = _Run(cfg)
            _open(run)
    if run.fatal:
        return None
    view = mirror_mod.MirrorView()
    try:
        if cfg.is_http:
            mirror_mod.read_http_project(run.session, cfg.mirror, project, cfg.timeout, view)
        else:
            mirror_mod.read_local_project(Path(cfg.mirror).expanduser(), project, view)
            view.filenames.update((run.packages or {}).get(project, ()))
    except mirror_mod.MirrorProblem as exc:
        run.problems.append(str(exc))
    except Exception as exc:  # a mirror is never worth a crash
        run.problems.append(f"{project}: {type(exc).__name__}: {exc}")
    run.problems.extend(view.problems)
    names = sorted(view.filenames)
    if _tuples_supported():
        source = _source(run)
        return [(name, source) for name in names]
    return names


@hookimpl
def preupload_guard_check_batch(context: Any, config: Mapping[str, Any]) -> Iterator[Finding]:
    cfg = config_mod.load(config)
    if not cfg.mirror:
        if config:
            yield Finding(UNAVAILABLE, "[tool.preupload-guard.plugins.bandersnatch] has no "
                          "`mirror`: deleted filenames were not looked up")
        return
    with _lock:
        run = _runs.pop(id(context.settings), None)
    if run is None:
        return  # history was not consulted (offline run, or the index was unreachable)
    if run.fatal:
        yield Finding(UNAVAILABLE, f"bandersnatch mirror unavailable: {run.fatal}; "
                      "filenames PyPI has deleted were not checked")
        return
    now = getattr(context, "now", None) or datetime.now(timezone.utc)
    if run.last_sync is None:
        yield Finding(STALE, f"cannot tell when the bandersnatch mirror {cfg.mirror} last "
                      "synced (no web/last-modified or status file)")
    else:
        age = (now - run.last_sync).total_seconds()
        if age > cfg.max_age:
            yield Finding(STALE, f"{_source(run)} is {config_mod.format_age(age)} old, more "
                          f"than max-age {config_mod.format_age(cfg.max_age)}: files "
                          "deleted upstream since then are unknown to it")
    if run.problems:
        shown = "; ".join(run.problems[:3])
        more = f" (and {len(run.problems) - 3} more)" if len(run.problems) > 3 else ""
        yield Finding(UNAVAILABLE, f"parts of the bandersnatch mirror could not be read: "
                      f"{shown}{more}")
