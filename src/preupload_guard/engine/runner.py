"""Orchestration: files x checks -> policy -> :class:`Report`.

The order is chosen so that every file is read once and the index is asked once per
project: parse names (no I/O) -> read core metadata (the real project name) -> ask the
index for each project concurrently -> hash each file in one pass, with blake2b only where
the index facts make it necessary -> merge the filename ledger -> run the hooks -> apply
the user's policy. Checks themselves do no I/O; they see the :class:`Context`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from preupload_guard.engine.config import display_url, scrub_credentials
from preupload_guard.engine.plugins import HookResult, PluginManager
from preupload_guard.engine.policy import Policy, mask, sort_step
from preupload_guard.index.history import History, HistoryError, default_ledger_path
from preupload_guard.model.context import Context
from preupload_guard.model.facts import IndexUnreachable, ProjectState
from preupload_guard.model.findings import (
    HISTORY_UNAVAILABLE,
    INDEX_UNREACHABLE,
    PLUGIN_ERROR,
    FileSummary,
    Finding,
    Report,
    Rule,
    Severity,
    Skipped,
)
from preupload_guard.model.settings import ConfigError, Settings
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.inputs import expand_inputs
from preupload_guard.read.members import MemberVisitor

if TYPE_CHECKING:
    from preupload_guard.index.client import Index
    from preupload_guard.index.credentials import Credentials
    from preupload_guard.read.pass_pool import PassPool

#: Files at least this large get a progress bar while hashing (on a terminal).
PROGRESS_THRESHOLD = 32 * 1024 * 1024


def _progress_factory(settings: Settings, artifacts: Sequence[Artifact]) -> Any:
    if not settings.progress or not sys.stderr.isatty():
        return None
    if not any(a.size >= PROGRESS_THRESHOLD for a in artifacts):
        return None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("hashing {task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _subscribe(manager: PluginManager, artifact: Artifact, context: Context,
               idle: set[str], errors: list[Finding]) -> list[tuple[str, MemberVisitor]]:
    """Ask every plugin what it wants of ``artifact``'s members, before the pass."""
    subscribed: list[tuple[str, MemberVisitor]] = []
    for result in manager.call("preupload_guard_members", artifact=artifact, context=context,
                               skip=idle):
        value = result.value
        if isinstance(value, Finding):  # the hook itself crashed
            errors.append(replace(value, file=value.file or artifact.filename))
            continue
        if value is None:
            continue
        for visitor in value if isinstance(value, (list, tuple)) else [value]:
            if not isinstance(visitor, MemberVisitor):
                errors.append(Finding(
                    rule=PLUGIN_ERROR, severity=Severity.ERROR, file=artifact.filename,
                    message=f"plugin {result.plugin!r} subscribed {visitor!r}, not a "
                    "MemberVisitor"))
                continue
            artifact.subscribe(visitor)
            subscribed.append((result.plugin, visitor))
    return subscribed


def _visitor_results(manager: PluginManager, artifact: Artifact,
                     subscribed: list[tuple[str, MemberVisitor]]) -> Iterator[HookResult]:
    """Each subscriber's findings, after the pass, as its plugin's hook results."""
    for plugin, visitor in subscribed:
        failure = artifact.visitor_failure(visitor)
        if failure is not None:
            yield HookResult(plugin, manager.crash(plugin, "its member visitor", failure))
            continue
        yield manager.guarded(plugin, "its member visitor", visitor.findings)


def _pass_pool(settings: Settings, jobs: int, artifacts: Sequence[Artifact],
               subscribers: dict[str, list[tuple[str, MemberVisitor]]], context: Context,
               ) -> tuple[PassPool | None, list[Artifact]]:
    """The worker processes for this run's passes, if any, and the files they read."""
    from preupload_guard.read.pass_pool import PassPool

    return PassPool.plan(settings.readers, jobs, artifacts,
                         {name: [v for _, v in subs] for name, subs in subscribers.items()},
                         framing=context.selected("zip-framing"))


def _hash_all(artifacts: Sequence[Artifact], need_blake2: Callable[[Artifact], bool],
              settings: Settings, pool: ThreadPoolExecutor) -> None:
    progress = _progress_factory(settings, artifacts)

    def work(artifact: Artifact) -> None:
        callback = None
        if progress is not None and artifact.size >= PROGRESS_THRESHOLD:
            task = progress.add_task(artifact.filename, total=artifact.size)

            def callback(done: int, task: Any = task) -> None:
                progress.update(task, completed=done)

        artifact.compute_digests(blake2=need_blake2(artifact), progress=callback)

    if progress is not None:
        progress.start()
    try:
        list(pool.map(work, artifacts))
    finally:
        if progress is not None:
            progress.stop()


def _needs_blake2(state: ProjectState | None, artifact: Artifact) -> bool:
    """blake2b-256 is worth a second hash only when the index makes it decisive.

    PyPI's "identical file" no-op compares filename, sha256 *and* blake2b, and its
    "File already exists" answer quotes our blake2b; both only matter when the filename is
    already on the index. An index that lists some files by blake2b alone needs it too.
    """
    if state is None or not state.exists:
        return False
    if state.file(artifact.filename) is not None:
        return True
    return any(f.sha256 is None and f.blake2_256 for f in state.files)


def _open_index(settings: Settings) -> Index | None:
    if settings.offline or not settings.index_url:
        return None
    from preupload_guard.index.client import Index

    return Index(
        settings.index_url,
        settings.json_api_url,
        cache_dir=settings.resolved_cache_dir,
        timeout=settings.timeout,
    )


def _prefetch(context: Context, projects: Iterable[str]) -> None:
    names = sorted(set(projects))
    if context.index is None or not names:
        return
    with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
        list(pool.map(context.project, names))


def _load_history(settings: Settings, manager: PluginManager,
                  context: Context, projects: Iterable[str]) -> tuple[History, list[Finding]]:
    """The ledger plus plugin history sources; also returns plugin crash findings."""
    crashes: list[Finding] = []
    path = settings.history or default_ledger_path(settings.resolved_cache_dir, settings.index_url)
    try:
        history = History(path, settings.index_url)
    except HistoryError as exc:
        raise ConfigError(str(exc)) from None
    # Items are filenames or (filename, source); the source is cited by filename-reused.
    extra: dict[str, str] = {}
    for project in sorted(set(projects)):
        for result in manager.call(
            "preupload_guard_history", project=project, index_url=settings.index_url,
            settings=settings,
        ):
            if isinstance(result.value, Finding):
                crashes.append(result.value)
            elif result.value:
                for item in result.value:
                    if isinstance(item, tuple) and len(item) == 2:
                        extra.setdefault(str(item[0]), str(item[1]))
                    else:
                        extra.setdefault(str(item), f"history plugin {result.plugin}")
    if settings.history_url and context.online:
        shared, problem = _shared_ledger(settings)
        if problem is not None:
            crashes.append(problem)
        source = f"the shared ledger {display_url(settings.history_url)}"
        for name in shared:
            extra.setdefault(name, source)
    # Every filename seen on the index joins the ledger (and is written back).
    for state in context.states.values():
        history.add(f.filename for f in state.files)
    own = f"the filename ledger {path}"
    context.history_sources = {**extra, **dict.fromkeys(history.filenames, own)}
    context.history = frozenset(history.filenames | extra.keys())
    return history, crashes


def _shared_ledger(settings: Settings) -> tuple[set[str], Finding | None]:
    """The shared ledger's filenames, or none and the warning saying it could not be used."""
    from preupload_guard.index.history import fetch_shared_ledger
    from preupload_guard.index.http import make_session

    assert settings.history_url is not None
    shown = display_url(settings.history_url)
    session = make_session(settings.resolved_cache_dir, settings.timeout)
    try:
        return fetch_shared_ledger(settings.history_url, session, settings.timeout), None
    except HistoryError as exc:
        return set(), Finding(
            HISTORY_UNAVAILABLE,
            f"the shared ledger {shown} {exc}; deleted filenames were checked against the "
            "local ledger only, so filename-reused may miss a filename the team has used",
            None,
        )
    finally:
        session.close()


def _normalize_results(manager: PluginManager, plugin: str, value: Any,
                       file: str | None) -> tuple[list[Finding], list[Skipped]]:
    findings: list[Finding] = []
    skips: list[Skipped] = []
    if value is None:
        return findings, skips
    if isinstance(value, (Finding, Skipped)):
        value = [value]
    for item in value:
        if isinstance(item, Skipped):
            skips.append(item)
            continue
        if not isinstance(item, Finding):
            findings.append(Finding(
                rule=PLUGIN_ERROR, severity=Severity.ERROR, file=file,
                message=f"plugin {plugin!r} returned {item!r}, not a Finding",
            ))
            continue
        rule_id = item.rule
        if not manager.is_builtin(plugin) and "/" not in rule_id:
            rule_id = f"{plugin}/{rule_id}"
        if rule_id not in manager.rules:
            findings.append(Finding(
                rule=PLUGIN_ERROR, severity=Severity.ERROR, file=item.file or file,
                message=f"plugin {plugin!r} reported undeclared rule {item.rule!r}: {item.message}",
            ))
            continue
        if rule_id != item.rule or (item.file is None and file is not None):
            item = replace(item, rule=rule_id, file=item.file or file)
        findings.append(item)
    return findings, skips


def run_checks(
    settings: Settings,
    *,
    manager: PluginManager | None = None,
    now: datetime | None = None,
    artifacts: Sequence[Artifact] | None = None,
    credentials: Credentials | None = None,
) -> Report:
    """Run every selected check on ``settings.paths`` (or ``artifacts``) and report.

    ``credentials`` (``upload`` only) lets the credential rules see the token's facts.
    """
    manager = manager or PluginManager()
    policy = Policy(manager.rules, settings)
    if artifacts is None:
        try:
            paths = expand_inputs(settings.paths)
        except Exception as exc:  # InputError, OSError from odd paths
            raise ConfigError(str(exc)) from None
        if not paths:
            raise ConfigError("no distribution files to check")
        artifacts = [Artifact(p) for p in paths]
    artifacts = tuple(artifacts)
    context = Context(settings=settings, now=now or datetime.now(timezone.utc),
                      artifacts=artifacts, index=_open_index(settings),
                      credentials=credentials, selection=policy.selected)
    jobs = settings.jobs or os.cpu_count() or 1
    findings: list[Finding] = list(manager.load_errors)
    skips: list[Skipped] = []
    # A plugin none of whose rules is selected is not called at all, so that
    # `--select size` does not pay for README rendering.
    idle = {
        plugin for plugin in manager.infos
        if manager.infos[plugin].rules
        and not any(policy.selected(rule) for rule in manager.infos[plugin].rules)
    }

    def collect(out: list[Finding], out_skips: list[Skipped], results: Iterable[HookResult],
                file: str | None) -> None:
        try:
            for result in results:
                if isinstance(result.value, Finding) and result.value.rule == PLUGIN_ERROR:
                    # The manager's own report of a crash: already complete.
                    out.append(replace(result.value, file=result.value.file or file))
                    continue
                got, skipped = _normalize_results(manager, result.plugin, result.value, file)
                out.extend(got)
                out_skips.extend(skipped)
        except IndexUnreachable as exc:
            context._record(exc)

    readers: PassPool | None = None
    try:
        # Every consumer of member contents subscribes before any file is read, so that
        # the one pass per file feeds them all (read/members.py).
        subscribers = {a.filename: _subscribe(manager, a, context, idle, findings)
                       for a in artifacts}
        # Passes run in worker processes where they can (read/pass_pool.py): threads only
        # pass the GIL to each other. The checks stay here, on the adopted passes.
        readers, chosen = _pass_pool(settings, jobs, artifacts, subscribers, context)
        passes: dict[str, Future[bytes] | None] = {}
        with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(artifacts)))) as pool:
            # The pass: listing, core metadata (the real project names), every subscriber.
            def read(artifact: Artifact) -> tuple[str | None, list[Finding]]:
                name = artifact.filename
                # Popped: the pickled pass is not kept once adopted (32 MB for the set).
                if readers is not None and readers.adopt(artifact, passes.pop(name, None)):
                    subscribers[name] = [(plugin, artifact.adopted(visitor))
                                         for plugin, visitor in subscribers[name]]
                project = artifact.project
                crashed = [
                    replace(r.value, file=r.value.file or artifact.filename)
                    for r in manager.call("preupload_guard_file_read", artifact=artifact,
                                          context=context, skip=idle)
                    if isinstance(r.value, Finding) and r.value.rule == PLUGIN_ERROR
                ]
                return project, crashed

            # Largest first: the pass ends with its slowest file, and a big sdist met last
            # leaves the other threads idle (in name order, one thread idled 0.2-0.9 s at
            # the end of the benchmark's 9-17 s pass; largest first, 0.00-0.01 s). Results
            # are taken back in file order.
            largest = sorted(range(len(artifacts)), key=lambda i: -artifacts[i].size)
            if readers is not None:
                chosen_names = {a.filename for a in chosen}
                for i in largest:
                    if artifacts[i].filename in chosen_names:
                        passes[artifacts[i].filename] = readers.submit(
                            artifacts[i], [v for _, v in subscribers[artifacts[i].filename]])
            done = dict(zip(largest, pool.map(read, [artifacts[i] for i in largest]),
                            strict=True))
            projects = []
            for i in range(len(artifacts)):
                project, crashed = done[i]
                if project:
                    projects.append(project)
                findings.extend(crashed)
            _prefetch(context, projects)
            _hash_all(artifacts,
                      lambda a: _needs_blake2(context.states.get(a.project or ""), a),
                      settings, pool)
            history, history_crashes = _load_history(settings, manager, context, projects)
            if context.online and context.states:
                try:
                    history.save()
                except HistoryError as exc:
                    raise ConfigError(str(exc)) from None
            findings.extend(history_crashes)

            def check_one(artifact: Artifact) -> tuple[list[Finding], list[Skipped]]:
                got: list[Finding] = []
                got_skips: list[Skipped] = []
                collect(got, got_skips, manager.call(
                    "preupload_guard_check_artifact", context=context, skip=idle,
                    artifact=artifact), artifact.filename)
                collect(got, got_skips, _visitor_results(
                    manager, artifact, subscribers[artifact.filename]), artifact.filename)
                return got, got_skips

            # Files are checked in parallel; their findings are merged in file order.
            for got, got_skips in pool.map(check_one, artifacts):
                findings.extend(got)
                skips.extend(got_skips)
        collect(findings, skips, manager.call(
            "preupload_guard_check_batch", context=context, skip=idle, artifacts=artifacts),
            None)
    finally:
        if readers is not None:
            readers.close()
        if context.index is not None:
            context.index.close()

    # Index failures: one error finding per distinct failure, never a silent pass.
    seen: set[tuple[str, str]] = set()
    for exc in context.index_errors:
        if (exc.url, exc.reason) in seen:
            continue
        seen.add((exc.url, exc.reason))
        findings.append(Finding(
            rule=INDEX_UNREACHABLE,
            message=f"could not ask the index at {exc.url}: {exc.reason}; "
            "rules that need the index were not checked",
            hint="Check the index URL and the network, or pass --offline to skip index rules.",
        ))

    # Policy: drop unselected rules, resolve severities, mark masked findings.
    resolved = [
        replace(f, severity=policy.severity_of(f)) for f in findings if policy.selected(f.rule)
    ]
    resolved = mask(resolved, manager.rules)
    order = {a.filename: i for i, a in enumerate(artifacts)}
    resolved.sort(key=lambda f: (
        order.get(f.file or "", len(order)),
        (f.severity or Severity.ERROR).rank,
        sort_step(f, manager.rules),
        f.rule,
    ))

    skipped = _skipped(settings, context, manager.rules, policy, skips)
    # Credentials in a URL (an index or ledger URL with user:token@) never reach a report:
    # whatever a check or the index client wrote, the finished report is scrubbed once.
    resolved = [replace(f, message=scrub_credentials(f.message),
                        hint=scrub_credentials(f.hint) if f.hint else f.hint) for f in resolved]
    skipped = [replace(s, reason=scrub_credentials(s.reason)) for s in skipped]
    return Report(
        files=[
            FileSummary(a.filename, str(a.path), a.size, a.sha256, a.blake2_256, a.project,
                        a.version)
            for a in artifacts
        ],
        findings=resolved,
        skipped=skipped,
        rules=dict(manager.rules),
        index_url=None if settings.offline or not settings.index_url
        else display_url(settings.index_url),
        on_index=frozenset(
            a.filename for a in artifacts
            if (state := context.states.get(canonicalize_name(a.project or ""))) is not None
            and state.holds_identical(a.filename, a.sha256, a.blake2_256)
        ),
        upload_limit=settings.effective_upload_limit,
        project_limit=settings.effective_project_limit,
    )


def _skipped(settings: Settings, context: Context, rules: dict[str, Rule], policy: Policy,
             extra: list[Skipped]) -> list[Skipped]:
    out: list[Skipped] = []
    index_rules = [r for r in rules.values() if r.needs_index and r.id != INDEX_UNREACHABLE
                   and policy.selected(r.id)]
    if settings.offline or not settings.index_url:
        reason = ("--offline: the index was not consulted" if settings.offline
                  else "no index URL is configured")
        out.extend(Skipped(r.id, reason) for r in index_rules)
    else:
        projects = sorted({a.project for a in context.artifacts if a.project})
        missing = [p for p in projects if p not in context.states]
        if missing:
            reason = f"the index could not be reached for {', '.join(missing)}"
            out.extend(Skipped(r.id, reason) for r in index_rules)
    seen = {(s.rule, s.reason) for s in out}
    for s in [*extra, *context.extra_skips]:
        if (s.rule, s.reason) not in seen and policy.selected(s.rule):
            seen.add((s.rule, s.reason))
            out.append(s)
    return out
