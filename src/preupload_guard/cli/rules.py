"""``preupload-guard rules [RULE]``: every rule in a table, or one rule explained.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import TYPE_CHECKING

from preupload_guard.cli.options import COMMANDS, EXIT_OK, add_plugin_blocks, blocked_plugins
from preupload_guard.model.settings import ConfigError

if TYPE_CHECKING:
    pass


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from preupload_guard.engine.plugins import PluginManager

    manager = PluginManager(blocked=blocked_plugins(args.plugin_blocks))
    console = Console(highlight=False, soft_wrap=True)
    if args.rule:
        rule = manager.rules.get(args.rule)
        if rule is None:
            raise ConfigError(f"unknown rule {args.rule!r}; `preupload-guard rules` lists them")
        console.print(f"[bold]{rule.id}[/] ({rule.family}, {rule.severity.value}"
                      f"{', needs the index' if rule.needs_index else ''}"
                      f"{', since ' + rule.since if rule.since else ''})")
        console.print(escape(rule.summary))
        console.print()
        console.print(escape(textwrap.fill(rule.explanation, 88)) if rule.explanation else "")
        if rule.fix:
            console.print()
            console.print("[green]How to fix[/]")
            console.print(escape(textwrap.fill(rule.fix, 88)))
        return EXIT_OK
    table = Table(show_edge=False, pad_edge=False)
    # Ids and families are copied into --select/--ignore: they never wrap; summaries do.
    for column in ("rule", "family", "severity", "index"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary")
    for rule in sorted(manager.rules.values(), key=lambda r: (r.family, r.id)):
        table.add_row(rule.id, rule.family, rule.severity.value,
                      "yes" if rule.needs_index else "", escape(rule.summary))
    console.print(table)
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``rules`` to the command line."""
    rules = sub.add_parser("rules", help=COMMANDS["rules"][1])
    rules.add_argument("rule", nargs="?", help="a rule id")
    add_plugin_blocks(rules)
    rules.set_defaults(func=run)
