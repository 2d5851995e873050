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
from pathlib import Path
from typing import TYPE_CHECKING

from preupload_guard.cli.options import (
    COMMANDS,
    EXIT_FINDINGS,
    EXIT_OK,
    EXIT_TOOL_FAILED,
    Parser,
    add_check_options,
    blocked_plugins,
    cli_options,
)
from preupload_guard.cli.output import emit_report
from preupload_guard.model.settings import ConfigError

if TYPE_CHECKING:
    from preupload_guard.model.findings import Report
    from preupload_guard.model.settings import Settings

# twine, the index client and the archive readers are imported by the functions that use
# them, so that listing ``upload`` in ``preupload-guard --help`` costs nothing.


def build_parser(prog: str = "preupload-guard upload") -> argparse.ArgumentParser:
    """twine upload's parser, plus our ``--guard-*`` options."""
    from twine.settings import Settings as TwineSettings

    from preupload_guard.integrations.twine import PREFIX

    parser = Parser(
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


def _settings(args: argparse.Namespace, extra: list[str]) -> Settings:
    """Settings for the check, targeting exactly what twine will upload to."""
    from preupload_guard.engine.config import load_settings

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


def _plan(report: Report) -> tuple[frozenset[str], list[str]]:
    """(files to leave out because the index has them byte for byte, error rule ids).

    The first comes from the index facts, not from ``identical-file`` findings, so that
    ``--guard-ignore identical-file`` (or a ``--guard-select`` without it) cannot make
    ``upload`` send a file the index already has.
    """
    from preupload_guard.model.findings import Severity

    errors = [f.rule for f in report.findings if f.severity is Severity.ERROR]
    return report.on_index, errors


def upload(argv: Sequence[str]) -> int:
    """The ``upload`` command; returns the exit status."""
    from preupload_guard.engine.config import read_pyproject
    from preupload_guard.integrations import run_wrapped, say
    from preupload_guard.integrations.twine import (
        landed_files,
        read_credentials,
        record_uploaded,
        target_options,
        twine_options,
    )
    from preupload_guard.read.artifact import Artifact
    from preupload_guard.read.inputs import InputError, expand_with_sidecars

    parser = build_parser()
    args = parser.parse_args(list(argv))
    twine = twine_options(parser, argv)
    table = read_pyproject(Path.cwd() / "pyproject.toml")
    extra = target_options(twine, table, os.environ)
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
        say(f"nothing was uploaded: {len(errors)} error finding(s) "
             f"({', '.join(sorted(set(errors)))}).")
        return EXIT_FINDINGS
    to_send = [f for f in files if f.name not in same]
    for name in sorted(same):
        say(f"not sending {name}: the index already has this file, byte for byte "
             "(it would answer 200 and store nothing).")
    if not to_send:
        say("nothing to upload: every file is already on the index.")
        return EXIT_OK
    if extra:
        say(f"uploading to {extra[1]} ({extra[0]} from [tool.preupload-guard]).")

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
    record_uploaded(settings, landed | listed, landed)
    if status == 0:
        return EXIT_OK
    missing = [name for name in sent if name not in landed]
    say(f"twine upload failed (exit status {status}). "
         + (f"The index did not say which files landed ({problem}); the ledger records none "
            "of them: the next check adds whatever the index lists."
            if problem else
            f"{len(landed)} of {len(sent)} file(s) landed"
            + (f": {', '.join(sorted(landed))}" if landed else "")
            + (f"; not uploaded: {', '.join(missing)}" if missing else "") + "."))
    return EXIT_TOOL_FAILED


def register(sub: argparse._SubParsersAction) -> None:
    """List ``upload`` in ``--help``. It is parsed by its own parser (twine's options plus
    ours, :func:`build_parser`): :func:`preupload_guard.cli.main` hands it everything after
    the word ``upload``."""
    sub.add_parser("upload", add_help=False, help=COMMANDS["upload"][1])
