"""``twine guard FILE...``: preupload-guard as a twine subcommand.

twine lists every entry point of the ``twine.registered_commands`` group as a subcommand
and calls it with the remaining arguments; the return value becomes twine's exit status.
The name is ``guard`` on purpose: registering ``upload`` or ``check`` would shadow twine's
own commands, depending on the order entry points happen to be found. ``twine guard`` takes
the options of ``preupload-guard check`` and checks only; it never uploads.
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    """Entry point for twine's dispatcher: ``twine guard [check options] FILE...``."""
    from preupload_guard.cli.check import check_parser, run_check_command
    from preupload_guard.cli.options import guarded

    parser = check_parser(prog="twine guard")
    args = parser.parse_args(list(argv))
    return guarded(run_check_command, args)
