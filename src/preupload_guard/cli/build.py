"""``preupload-guard build``: ``python -m build`` into --outdir, then check exactly what it built.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from preupload_guard.cli.options import (
    COMMANDS,
    EXIT_TOOL_FAILED,
    add_check_options,
    blocked_plugins,
    cli_options,
)
from preupload_guard.cli.output import run_check
from preupload_guard.model.settings import ConfigError

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace) -> int:
    """``build``: python -m build into --outdir, then check exactly the files it built."""
    from preupload_guard.engine.config import load_settings
    from preupload_guard.integrations.build_dists import BuildFailed, build_dists

    srcdir = Path(args.srcdir)
    outdir = Path(args.outdir) if args.outdir else srcdir / "dist"
    try:
        built = build_dists(srcdir, outdir, isolation=not args.no_isolation,
                            report_format=args.format or "text")
    except BuildFailed as exc:
        print(f"preupload-guard: {exc}; nothing was checked", file=sys.stderr)
        return EXIT_TOOL_FAILED
    if not built:
        raise ConfigError("python -m build succeeded but wrote no file")
    print(f"preupload-guard: built {', '.join(p.name for p in built)} into {outdir}",
          file=sys.stderr)
    settings = load_settings(cli_options(args, [str(p) for p in built]), project_dir=srcdir)
    return run_check(settings, blocked_plugins(args.plugin_blocks))


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``build`` to the command line."""
    build = sub.add_parser("build", help=COMMANDS["build"][1],
                           description="Build the sdist and the wheel with `python -m build` "
                           "(in an isolated environment unless --no-isolation), then check "
                           "exactly the files it built.")
    build.add_argument("srcdir", nargs="?", default=".", metavar="SRCDIR",
                       help="the project to build (default: the current directory)")
    build.add_argument("--outdir", "-o", metavar="DIR",
                       help="where the files go (default: SRCDIR/dist)")
    build.add_argument("--no-isolation", "-n", action="store_true",
                       help="build in this environment (passed to python -m build)")
    add_check_options(build)
    build.set_defaults(func=run)
