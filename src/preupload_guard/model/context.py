"""What a hook receives besides the file itself: :class:`Context`.

Checks never do I/O of their own; everything they may know about the world beyond the
artifact (settings, the clock, the index facts of a project, the filename history) comes
through this object. It sits in ``model`` so that checks and plugins can name its type
without importing the engine that builds it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from preupload_guard.model.facts import IndexUnreachable, ProjectState
from preupload_guard.model.findings import Skipped
from preupload_guard.model.settings import Settings

if TYPE_CHECKING:
    from preupload_guard.index.client import Index
    from preupload_guard.index.credentials import Credentials
    from preupload_guard.read.artifact import Artifact


@dataclass
class Context:
    """What checks may know beyond the file itself: settings, clock, index, history.

    ``project(name)`` returns the index facts of a project, or ``None`` when the index was
    not consulted (``--offline``) or could not be reached; checks then stay silent and the
    runner lists their rules as skipped. Index failures met here are recorded, never raised.
    """

    settings: Settings
    now: datetime
    artifacts: tuple[Artifact, ...] = ()
    history: frozenset[str] = frozenset()
    #: Where a history filename is known from, for messages: "the filename ledger PATH" or
    #: the short text a ``preupload_guard_history`` plugin gave (``(filename, source)``).
    history_sources: dict[str, str] = field(default_factory=dict)
    index: Index | None = None
    states: dict[str, ProjectState] = field(default_factory=dict)
    index_errors: list[IndexUnreachable] = field(default_factory=list)
    extra_skips: list[Skipped] = field(default_factory=list)
    #: ``upload`` only: what is known about the credentials twine will send (decoded token
    #: facts, never the secret). ``None`` for ``check``, where no credentials are involved.
    credentials: Credentials | None = None
    #: Whether a rule will be reported (the user's --select/--ignore): set by the runner.
    selection: Callable[[str], bool] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def selected(self, rule_id: str) -> bool:
        """Whether findings of ``rule_id`` (a plugin's own rules as ``plugin/rule``) will be
        reported: work done only for an ignored rule is work wasted."""
        return self.selection is None or self.selection(rule_id)

    @property
    def online(self) -> bool:
        return self.index is not None

    @property
    def index_url(self) -> str | None:
        return self.settings.index_url

    def project(self, name: str | None) -> ProjectState | None:
        """Index facts of ``name`` (any spelling), or ``None`` when not known."""
        if name is None or self.index is None:
            return None
        from packaging.utils import canonicalize_name

        key = canonicalize_name(name)
        with self._lock:
            if key in self.states:
                return self.states[key]
        try:
            state = self.index.project(key)
        except IndexUnreachable as exc:
            self._record(exc)
            return None
        with self._lock:
            self.states[key] = state
        return state

    def similar_project(self, name: str) -> str | None:
        """An existing project whose name PyPI deems too similar to ``name``, if any."""
        if self.index is None:
            return None
        try:
            return self.index.similar_project(name)
        except IndexUnreachable as exc:
            self._record(exc)
            self.skip("similar-project-name", f"the project list could not be read: {exc.reason}")
            return None

    def skip(self, rule: str, reason: str) -> None:
        """Let a check say that one of its rules could not be decided, and why."""
        with self._lock:
            self.extra_skips.append(Skipped(rule, reason))

    def _record(self, exc: IndexUnreachable) -> None:
        with self._lock:
            self.index_errors.append(exc)
