"""The plugin contract: every hook preupload-guard calls, documented by its docstring.

A plugin is any module or object with functions named like these hooks and decorated with
:data:`preupload_guard.hookimpl`; it is published through the ``preupload_guard``
entry-point group. The built-in rules use exactly these hooks (see ``checks/``).

Every hook is prefixed ``preupload_guard_`` so that a misspelled hook name is caught when the
plugin is loaded (``PluginManager.check_pending``). An implementation may accept any subset
of a hook's arguments, by name. Besides those listed, every hook that runs during a check
offers two more: ``plugin``, the name the implementation was registered under (its
entry-point name, which namespaces its rules as ``plugin/rule``), and ``config``, its own
``[tool.preupload-guard.plugins.<plugin>]`` table, so a plugin never hard-codes its name.

Each implementation is called on its own: if one raises, the run goes on and the exception
becomes an error finding (``plugin-error``) naming the plugin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from preupload_guard.model.hooks import PROJECT_NAME, hookimpl, hookspec

if TYPE_CHECKING:
    from preupload_guard.model.context import Context
    from preupload_guard.model.findings import Finding, Rule
    from preupload_guard.model.settings import Settings
    from preupload_guard.read.artifact import Artifact
    from preupload_guard.read.members import MemberVisitor

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]


@hookspec
def preupload_guard_rules() -> Sequence[Rule]:  # type: ignore[empty-body]
    """Declare the rules this plugin can report.

    Called once when the plugins are loaded. Return a sequence of :class:`Rule`. A
    third-party plugin's rule ids are namespaced automatically as ``PLUGIN/rule-id``
    unless already written that way. Every finding a plugin yields must use a rule it
    declared here; ``--select``, ``--ignore`` and ``[tool.preupload-guard.severity]``
    work on these ids and on their ``family``.
    """


@hookspec
def preupload_guard_file_read(  # type: ignore[empty-body]
    artifact: Artifact, context: Context, plugin: str, config: Mapping[str, Any]
) -> None:
    """The file's one pass is over: its listing and core metadata are known.

    Called once per file, on the thread that read it, while other files may still be
    read; before the index is asked. This is the moment to start slow work in the
    background (another process, another machine) so that it overlaps with the reading,
    and to collect its result in ``preupload_guard_check_artifact``. The built-in metadata
    rules hand the README to their render child here. Do not report findings here (the
    return value is ignored) and do not block: the reading of other files waits for you.
    """


@hookspec
def preupload_guard_check_artifact(  # type: ignore[empty-body]
    artifact: Artifact, context: Context, plugin: str, config: Mapping[str, Any]
) -> Iterable[Finding] | None:
    """Check one distribution file; return (or yield) findings.

    Called once per file. ``artifact`` gives the file's facts (filename parts, size,
    digests, archive members through bounded readers, core metadata). ``context`` gives
    the settings, the clock, the index facts of the project (``context.project(name)``,
    ``None`` when the index is not consulted) and the filename history. Do no I/O of your
    own: ask the artifact and the context.
    """


@hookspec
def preupload_guard_check_batch(  # type: ignore[empty-body]
    artifacts: Sequence[Artifact], context: Context, plugin: str, config: Mapping[str, Any]
) -> Iterable[Finding] | None:
    """Check the whole upload batch at once; return (or yield) findings.

    Called once per run after the per-file checks are scheduled, for rules about files
    taken together: the sum of sizes against a project's total limit, two sdists of one
    release, the same content under two names.
    """


@hookspec
def preupload_guard_history(  # type: ignore[empty-body]
    project: str, index_url: str | None, settings: Settings, plugin: str,
    config: Mapping[str, Any],
) -> Iterable[str | tuple[str, str]] | None:
    """Contribute filenames known to have been used for ``project`` on ``index_url``.

    PyPI never accepts a filename twice, even after the file was deleted, and no public
    API lists deleted filenames. Return filenames from any source you know (a team-wide
    ledger, a journal mirror). They join the ``--history`` ledger for this run; a
    filename known here but absent from the index is reported as ``filename-reused``.
    ``project`` is the canonical (PEP 503) name.

    Each item is a filename, or a 2-tuple ``(filename, source)`` where ``source`` is a
    short human text saying where it is known from (e.g. ``"bandersnatch mirror
    /srv/pypi, last sync 2026-12-01"``); ``filename-reused`` cites it ("known from: ..."),
    so the user can check the claim. Plain strings are cited as "history plugin NAME".
    Filenames from plugins are not written to the ledger: the source stays the authority.
    """


@hookspec
def preupload_guard_members(  # type: ignore[empty-body]
    artifact: Artifact, context: Context, plugin: str, config: Mapping[str, Any]
) -> MemberVisitor | Iterable[MemberVisitor] | None:
    """Subscribe to the one pass over the archive's members; return visitors (or ``None``).

    Called once per file, before any byte of it is read, so that every consumer of member
    contents shares one reading: a ``.tar.gz`` is inflated once per run and a zip member
    read at most once, however many checks and plugins look at it. Return
    :class:`~preupload_guard.MemberVisitor` objects (fed each chunk on the reading thread),
    :class:`~preupload_guard.StreamConsumer` objects (a loop over ``(member, stream)`` pairs
    run beside the pass), or :class:`~preupload_guard.Capture` objects (small files kept
    whole). Each visitor's ``wants(member)`` picks members from the listing entry alone;
    ``context.selected(rule_id)`` says whether a rule will be reported at all, so that an
    ignored rule costs nothing. Decide from the file name, the settings and the selection
    only: the index has not been asked yet, and the archive must not be read here.

    After the pass, once the index facts are known, each visitor's ``findings()`` is called
    and its findings are reported as this plugin's, exactly like those of
    ``preupload_guard_check_artifact``. A visitor that raises is reported as the plugin's
    failure (``plugin-error``) and the pass goes on without it.
    """
