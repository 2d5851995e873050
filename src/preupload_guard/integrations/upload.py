"""``preupload-guard upload``: every check first, then twine's own ``upload`` command.

The command takes exactly the options of ``twine upload`` (registered with twine's own
``Settings.register_argparse_arguments``, so help texts and ``TWINE_*`` variables behave as
in twine) plus ours, all spelled ``--guard-*`` so that no future twine option can collide
with them. It resolves the target as twine does, checks every file against that index, and
uploads only when no error finding remains.

Why twine's command line, in a child process, rather than ``twine.commands.upload.upload()``:

* twine's maintainers state that ``twine.commands`` is not public API; its command line is
  the interface they keep stable, and it is what users already run.
* Everything twine does around the upload stays twine's: password prompts and keyring,
  signing, attestations, ``--skip-existing``, retries, progress bars, its messages and exit
  status. We hand it the user's own twine arguments, unchanged, and the files to send.
* A crash or ``sys.exit`` inside twine cannot take this process down before the ledger is
  written.

What the child process does not tell reliably is *which* files landed when it fails part-way
(it stops at the first refusal; a time-out can hide a file the index did store). So after a
failure the index itself is asked, bypassing every cache, and the ledger records exactly the
files it lists with our digests. After a success every file sent is recorded.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from preupload_guard.cli import (
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL_FAILED,
    _Parser,
    add_check_options,
    blocked_plugins,
    cli_options,
    emit_report,
)
from preupload_guard.engine.config import load_settings, read_pyproject
from preupload_guard.index.credentials import Credentials, decode_token, looks_like_token
from preupload_guard.index.history import History, HistoryError, default_ledger_path
from preupload_guard.integrations import run_wrapped
from preupload_guard.model.facts import IndexUnreachable
from preupload_guard.model.findings import Report, Severity
from preupload_guard.model.settings import ConfigError, Settings
from preupload_guard.read.artifact import Artifact
from preupload_guard.read.inputs import InputError, expand_with_sidecars

PREFIX = "guard-"


def build_parser(prog: str = "preupload-guard upload") -> argparse.ArgumentParser:
    """twine upload's parser, plus our ``--guard-*`` options."""
    from twine.settings import Settings as TwineSettings

    parser = _Parser(
        prog=prog,
        allow_abbrev=False,  # an abbreviation could mean a twine option or one of ours
        description=(
            "Check the files against every rule the index applies on upload, then upload "
            "them with twine, only if no error finding remains. Files already on the index "
            "byte for byte are not sent again. Takes every option of `twine upload`; the "
            "options of preupload-guard itself are spelled --guard-*."
        ),
        epilog=(
            "Exit status: 0 uploaded (or nothing needed uploading), 1 error findings (nothing "
            "was uploaded), 2 usage or configuration error, 3 twine failed (the ledger records "
            "exactly the files the index accepted)."
        ),
    )
    TwineSettings.register_argparse_arguments(parser)
    parser.add_argument(
        "dists", nargs="+", metavar="dist",
        help="the distribution files to upload (files, directories or globs; signatures and "
        "attestations next to them are passed to twine with their file)",
    )
    add_check_options(parser, twine_compatible=True, prefix=PREFIX)
    return parser


@dataclass
class TwineArgs:
    """The user's twine options, as typed, and which target options were given."""

    tokens: list[str]
    given: set[str]


def twine_options(parser: argparse.ArgumentParser, argv: Sequence[str]) -> TwineArgs:
    """Pick twine's option tokens out of ``argv``, exactly as the user typed them.

    Our ``--guard-*`` options and the positional file arguments are left out (the files are
    passed separately, without those that are not to be sent). Relies on argparse's
    ``_option_string_actions`` map, which every argparse since 2.7 has.
    """
    actions: dict[str, argparse.Action] = parser._option_string_actions
    tokens: list[str] = []
    given: set[str] = set()
    i = 0
    argv = list(argv)
    while i < len(argv):
        token = argv[i]
        if token == "--":
            break
        if not token.startswith("-") or token == "-":
            i += 1
            continue
        if token.startswith("--"):
            name, eq, _ = token.partition("=")
            attached = bool(eq)
        else:
            name, attached = token[:2], len(token) > 2
        action = actions.get(name)
        takes_value = action is not None and action.nargs != 0
        consumed = argv[i : i + (2 if takes_value and not attached else 1)]
        i += len(consumed)
        if action is None or name.startswith("--" + PREFIX):
            continue
        given.add(action.dest)
        tokens.extend(consumed)
    return TwineArgs(tokens, given)


def _target_options(
    twine: TwineArgs, table: dict[str, Any], environ: dict[str, str] | os._Environ[str]
) -> list[str]:
    """Options to add so that twine uploads where the pyproject table says to check.

    When neither the command line nor ``TWINE_REPOSITORY``/``TWINE_REPOSITORY_URL`` names
    a target, twine would use its default; the ``repository``/``repository-url`` of
    ``[tool.preupload-guard]`` would then make the check and the upload disagree. We pass
    the table's target to twine explicitly instead, and say so.
    """
    if {"repository", "repository_url"} & twine.given:
        return []
    if environ.get("TWINE_REPOSITORY") or environ.get("TWINE_REPOSITORY_URL"):
        return []
    if table.get("repository-url"):
        return ["--repository-url", str(table["repository-url"])]
    if table.get("repository"):
        return ["--repository", str(table["repository"])]
    return []


def _settings(args: argparse.Namespace, extra: list[str]) -> Settings:
    """Settings for the check, targeting exactly what twine will upload to."""
    if extra:
        target = {"repository": extra[1] if extra[0] == "--repository" else None,
                  "repository_url": extra[1] if extra[0] == "--repository-url" else None}
    else:
        # twine's own defaults and TWINE_* variables already filled these in.
        target = {"repository": args.repository, "repository_url": args.repository_url}
    options = cli_options(args, args.dists)
    options.update(target, config_file=args.config_file)
    if args.disable_progress_bar:
        options["progress"] = False
    return load_settings(options)


def read_credentials(args: argparse.Namespace, settings: Settings) -> Credentials:
    """What can be known about the token without prompting and without keeping it.

    The password comes from ``--password``/``TWINE_PASSWORD`` or the repository's section
    of ``.pypirc``, as twine would find it first. A keyring or a prompt is left to twine:
    asking them here would prompt twice. Only the decoded, non-secret facts leave this
    function.
    """
    password = args.password
    source = "--password or TWINE_PASSWORD"
    if not password and not args.repository_url and settings.repository_url is None:
        from twine import exceptions as twine_exceptions
        from twine import utils as twine_utils

        try:
            config = twine_utils.get_repository_from_config(
                args.config_file, settings.repository or "pypi", None
            )
        except (twine_exceptions.TwineException, OSError):
            config = {}
        password = config.get("password")
        source = "the .pypirc"
    if not password:
        return Credentials(state="absent", source=None)
    if not looks_like_token(password):
        return Credentials(state="not-a-token", source=source)
    facts = decode_token(password)
    if facts is None:
        return Credentials(state="undecodable", source=source)
    return Credentials(state="token", source=source, token=facts)


def _say(message: str) -> None:
    print(f"preupload-guard: {message}", file=sys.stderr, flush=True)


def _plan(report: Report) -> tuple[frozenset[str], list[str]]:
    """(files to leave out because the index has them byte for byte, error rule ids).

    The first comes from the index facts, not from ``identical-file`` findings, so that
    ``--guard-ignore identical-file`` (or a ``--guard-select`` without it) cannot make
    ``upload`` send a file the index already has.
    """
    errors = [f.rule for f in report.findings if f.severity is Severity.ERROR]
    return report.on_index, errors


def landed_files(
    settings: Settings, sent: dict[str, str | None], projects: set[str]
) -> tuple[set[str], set[str], str | None]:
    """Ask the index, fresh, which of ``sent`` (filename -> sha256) it now holds.

    Returns (landed filenames, every filename the index lists for ``projects``, problem).
    No cache is used: a cached page from before the upload would say "nothing landed".
    """
    from preupload_guard.index.client import Index

    if settings.offline or not settings.index_url:
        return set(), set(), "the index is not consulted (--guard-offline)"
    landed: set[str] = set()
    listed: set[str] = set()
    with Index(settings.index_url, settings.json_api_url, cache_dir=None,
               timeout=settings.timeout) as index:
        for project in sorted(projects):
            try:
                state = index.project(project)
            except IndexUnreachable as exc:
                return landed, listed, f"could not ask {exc.url}: {exc.reason}"
            for file in state.files:
                listed.add(file.filename)
                if file.filename not in sent:
                    continue
                digest = sent[file.filename]
                if file.sha256 is None or digest is None or file.sha256 == digest:
                    landed.add(file.filename)
    return landed, listed, None


def upload(argv: Sequence[str]) -> int:
    """The ``upload`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv))
    twine = twine_options(parser, argv)
    table = read_pyproject(Path.cwd() / "pyproject.toml")
    extra = _target_options(twine, table, os.environ)
    settings = _settings(args, extra)
    credentials = read_credentials(args, settings)

    from preupload_guard.engine.plugins import PluginManager
    from preupload_guard.engine.runner import run_checks

    try:
        files, sidecars = expand_with_sidecars(args.dists)
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    if not files:
        raise ConfigError("no distribution files to check")
    # The files expanded here (with their signatures) are the ones checked: no second glob.
    report = run_checks(
        settings, manager=PluginManager(blocked=blocked_plugins(args.plugin_blocks)),
        artifacts=[Artifact(path) for path in files], credentials=credentials,
    )
    emit_report(report, settings)
    same, errors = _plan(report)
    if errors:
        _say(f"nothing was uploaded: {len(errors)} error finding(s) "
             f"({', '.join(sorted(set(errors)))}).")
        return EXIT_FINDINGS
    to_send = [f for f in files if f.name not in same]
    for name in sorted(same):
        _say(f"not sending {name}: the index already has this file, byte for byte "
             "(it would answer 200 and store nothing).")
    if not to_send:
        _say("nothing to upload: every file is already on the index.")
        return EXIT_OK
    if extra:
        _say(f"uploading to {extra[1]} ({extra[0]} from [tool.preupload-guard]).")

    paths = [str(p) for f in to_send for p in (f, *sidecars.get(f, []))]
    command = [sys.executable, "-m", "twine", "upload", *extra, *twine.tokens, "--", *paths]
    status = run_wrapped(command, settings.format, f"twine ({sys.executable} -m twine)")

    summaries = {s.filename: s for s in report.files}
    sent = {f.name: summaries[f.name].sha256 if f.name in summaries else None for f in to_send}
    if status == 0:
        landed, listed, problem = set(sent), set(), None
    else:
        projects = {s.project for s in summaries.values() if s.filename in sent and s.project}
        landed, listed, problem = landed_files(settings, sent, projects)
    _record(settings, landed | listed, landed)
    if status == 0:
        return EXIT_OK
    missing = [name for name in sent if name not in landed]
    _say(f"twine upload failed (exit status {status}). "
         + (f"The index did not say which files landed ({problem}); the ledger records none "
            "of them: the next check adds whatever the index lists."
            if problem else
            f"{len(landed)} of {len(sent)} file(s) landed"
            + (f": {', '.join(sorted(landed))}" if landed else "")
            + (f"; not uploaded: {', '.join(missing)}" if missing else "") + "."))
    return EXIT_TOOL_FAILED


def _record(settings: Settings, filenames: set[str], landed: set[str]) -> None:
    """Add the filenames to the ledger of this index (they can never be used again)."""
    if not filenames:
        return
    path = settings.history or default_ledger_path(settings.resolved_cache_dir,
                                                   settings.index_url)
    try:
        history = History(path, settings.index_url)
        history.add(filenames)
        if history.save():
            _say(f"recorded {len(landed)} uploaded filename(s) in the ledger {path}.")
    except HistoryError as exc:
        _say(f"warning: {exc}")
