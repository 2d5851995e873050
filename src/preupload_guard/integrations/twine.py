"""What ``upload`` needs to know about twine: which of the user's tokens are twine's
options (passed on exactly as typed), where twine will upload, what the credentials say
(decoded, never kept), and, after twine ran, which files the index now holds and the ledger
entry for them. Nothing here parses our own command line.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from preupload_guard.index.credentials import Credentials, decode_token, looks_like_token
from preupload_guard.index.history import History, HistoryError, default_ledger_path
from preupload_guard.integrations import say
from preupload_guard.model.facts import IndexUnreachable
from preupload_guard.model.settings import Settings

PREFIX = "guard-"


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


def target_options(
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


def record_uploaded(settings: Settings, filenames: set[str], landed: set[str]) -> None:
    """Add the filenames to the ledger of this index (they can never be used again)."""
    if not filenames:
        return
    path = settings.history or default_ledger_path(settings.resolved_cache_dir,
                                                   settings.index_url)
    try:
        history = History(path, settings.index_url)
        history.add(filenames)
        if history.save():
            say(f"recorded {len(landed)} uploaded filename(s) in the ledger {path}.")
    except HistoryError as exc:
        say(f"warning: {exc}")
