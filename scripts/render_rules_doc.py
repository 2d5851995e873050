"""Rewrite docs/rules.md from the built-in rule declarations (run after changing a rule)."""

from __future__ import annotations

from pathlib import Path

from preupload_guard.engine.plugins import PluginManager
from preupload_guard.report.rules_doc import render_markdown

TARGET = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def main() -> None:
    rules = PluginManager(load_entry_points=False).rules.values()
    TARGET.write_text(render_markdown(rules), encoding="utf-8")
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
