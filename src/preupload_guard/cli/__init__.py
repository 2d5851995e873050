"""Command line: ``preupload-guard check | upload | build | hook | size | limit-request |
rules | plugins``.

One module per command, each with a ``register(sub)`` that adds its subparser; shared
options, exit statuses and error handling are in :mod:`~preupload_guard.cli.options`, the
report's way out in :mod:`~preupload_guard.cli.output`. Commands import those two, never
each other.

Exit status: 0 no error finding, 1 at least one error finding, 2 usage error, unreadable
configuration or internal failure, 3 (``upload``, ``build``) the wrapped tool failed. Bad
input never ends in a traceback: every failure is one plain line on stderr (``--debug``
shows the traceback of an internal error).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from preupload_guard import __version__
from preupload_guard.cli import build, check, hook, plugins, rules, size, upload
from preupload_guard.cli.options import EXIT_USAGE, Parser, guarded

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The whole command line, for ``--help`` and for every command but ``upload``."""
    parser = Parser(
        prog="preupload-guard",
        description="Would the package index refuse these files? Find out before uploading.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in (check, upload, build, hook, size, rules, plugins):
        command.register(sub)
    return parser


def _upload(args: argparse.Namespace) -> int:
    return upload.upload(args.argv)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    # `upload` has a parser of its own (twine's options): hand it the rest of the line.
    leading = 0
    while leading < len(argv) and argv[leading] == "--debug":
        leading += 1
    if leading < len(argv) and argv[leading] == "upload":
        debug = leading > 0 or "--guard-debug" in argv
        return guarded(_upload, argparse.Namespace(argv=argv[leading + 1 :], debug=debug))
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    return guarded(args.func, args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
