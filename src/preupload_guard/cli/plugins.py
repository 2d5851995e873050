"""``preupload-guard plugins``: the installed plugins, their versions and rules.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from preupload_guard.cli.options import (
    COMMANDS,
    EXIT_FINDINGS,
    EXIT_OK,
    add_plugin_blocks,
    blocked_plugins,
)

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace) -> int:
    from preupload_guard.engine.plugins import PluginManager

    blocked = blocked_plugins(args.plugin_blocks)
    manager = PluginManager(blocked=blocked)
    for info in manager.plugin_infos():
        origin = "built-in" if info.builtin else f"{info.distribution or '?'} {info.version or ''}"
        print(f"{info.name}  ({origin.strip()})")
        for rule in info.rules:
            print(f"    {rule}")
    for name in blocked:
        print(f"{name}  (blocked by -p no:{name})")
    for finding in manager.load_errors:
        print(f"error: {finding.message}", file=sys.stderr)
    return EXIT_FINDINGS if manager.load_errors else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``plugins`` to the command line."""
    plugins = sub.add_parser("plugins", help=COMMANDS["plugins"][1])
    add_plugin_blocks(plugins)
    plugins.set_defaults(func=run)
