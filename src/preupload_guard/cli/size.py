"""``preupload-guard size`` and ``limit-request``: what takes the space, and the draft of a
limit request. One module because the two commands share their options and their facts.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from preupload_guard import __version__
from preupload_guard.cli.options import (
    COMMANDS,
    EXIT_OK,
    add_size_options,
    size_settings,
    write_output,
)

if TYPE_CHECKING:
    pass


def run_size(args: argparse.Namespace) -> int:
    """``size``: what takes the space in each file, the fixes, the guideline check."""
    import io

    from preupload_guard.advise.size_report import build_size_report
    from preupload_guard.report.size import render_size_json, render_size_text

    report = build_size_report(size_settings(args))
    if args.format == "json":
        text = render_size_json(report, args.top)
        sys.stdout.write(text)
    else:
        render_size_text(report, sys.stdout, top=args.top)
        if args.output is None:
            return EXIT_OK
        buffer = io.StringIO()
        render_size_text(report, buffer, color=False, top=args.top)
        text = buffer.getvalue()
    write_output(args.output, text)
    return EXIT_OK


def run_limit_request(args: argparse.Namespace) -> int:
    """``limit-request``: the draft on stdout (ready to paste), the assessment on stderr."""
    from preupload_guard.advise.size_report import build_limit_request
    from preupload_guard.report.size import (
        render_drafts,
        render_limit_request_json,
        render_limit_request_notes,
    )

    result = build_limit_request(size_settings(args), kind=args.kind,
                                 tool=f"preupload-guard {__version__}")
    if args.format == "json":
        text = render_limit_request_json(result)
    else:
        text = render_drafts(result)
        render_limit_request_notes(result, sys.stderr)
    sys.stdout.write(text)
    write_output(args.output, text)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``size`` and ``limit-request`` to the command line."""
    size = sub.add_parser("size", help=COMMANDS["size"][1],
                          description="Break each file down: the largest members by "
                          "kind (native libraries, debug information, model weights, JARs "
                          "and executables, embedded runtimes, duplicates, tests, .pyc), what "
                          "each usual fix would save, and, for a file near or over its limit, "
                          "whether a limit request would likely be granted.")
    add_size_options(size)
    size.add_argument("--top", type=int, default=10, metavar="N",
                      help="largest members shown per file (default 10)")
    size.set_defaults(func=run_size)

    request = sub.add_parser("limit-request", help=COMMANDS["limit-request"][1],
                             description="Draft the text of a limit request for PyPI's "
                             "support tracker, from the files and the index: Markdown on "
                             "stdout, ready to paste once every [FILL IN: ...] placeholder is "
                             "filled; the honest assessment goes to stderr. Nothing is filed.")
    add_size_options(request)
    request.add_argument("--kind", choices=("auto", "file", "project"), default="auto",
                         help="which request: auto (whatever is needed), file or project")
    request.set_defaults(func=run_limit_request)
