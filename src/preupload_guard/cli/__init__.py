"""Command line: ``preupload-guard check | upload | build | hook | size | limit-request |
rules | plugins``.

One module per command, each with a ``register(sub)`` that adds its subparser; shared
options, exit statuses and error handling are in :mod:`~preupload_guard.cli.options`, the
report's way out in :mod:`~preupload_guard.cli.output`. Commands import those two, never
each other.

Start-up is paid per command: the top-level parser lists every command from
:data:`~preupload_guard.cli.options.COMMANDS` (name and help line) and imports only the
module of the command on the line, so ``--help`` imports no command module at all, and
``rules`` never imports twine, tomllib or the archive readers.

Exit status: 0 no error finding, 1 at least one error finding, 2 usage error, unreadable
configuration or internal failure, 3 (``upload``, ``build``) the wrapped tool failed. Bad
input never ends in a traceback: every failure is one plain line on stderr (``--debug``
shows the traceback of an internal error).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from preupload_guard import __version__
from preupload_guard.cli.options import COMMANDS, EXIT_USAGE, Parser, guarded

__all__ = ["build_parser", "main"]


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line, for ``--help`` and for every command but ``upload``.

    Without ``argv`` every command is built in full. With it, only the command that
    ``argv`` names is (its module imported, its options added); the others are listed by
    name and help line only, which is all that ``--help`` and an unknown command's error
    message show of them.
    """
    parser = Parser(
        prog="preupload-guard",
        description="Would the package index refuse these files? Find out before uploading.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    wanted = None if argv is None else _command_of(argv)
    for name, (module, help_line) in COMMANDS.items():
        if name in sub.choices:  # registered with another command of its module
            continue
        if argv is None or COMMANDS.get(wanted or "", ("",))[0] == module:
            importlib.import_module(f"preupload_guard.cli.{module}").register(sub)
        else:
            sub.add_parser(name, help=help_line, add_help=False)
    return parser


def _command_of(argv: Sequence[str]) -> str | None:
    """The command word of ``argv``: its first argument that is no option (the top-level
    options, ``--debug``, ``--version`` and ``--help``, take no value)."""
    return next((a for a in argv if not a.startswith("-")), None)


def _upload(args: argparse.Namespace) -> int:
    from preupload_guard.cli.upload import upload

    return upload(args.argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `upload` has a parser of its own (twine's options): hand it the rest of the line.
    leading = 0
    while leading < len(argv) and argv[leading] == "--debug":
        leading += 1
    if leading < len(argv) and argv[leading] == "upload":
        debug = leading > 0 or "--guard-debug" in argv
        return guarded(_upload, argparse.Namespace(argv=argv[leading + 1 :], debug=debug))
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return guarded(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
