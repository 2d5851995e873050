"""docs/rules.md is generated from the rule declarations and must be up to date."""

from __future__ import annotations

from pathlib import Path

from preupload_guard.engine.plugins import PluginManager
from preupload_guard.report.rules_doc import render_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "rules.md"


def test_rules_doc_is_up_to_date() -> None:
    expected = render_markdown(PluginManager(load_entry_points=False).rules.values())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/rules.md is stale: run `python scripts/render_rules_doc.py`"
    )


def test_every_builtin_rule_is_documented_and_explained() -> None:
    rules = PluginManager(load_entry_points=False).rules
    text = DOC.read_text(encoding="utf-8")
    for rule in rules.values():
        assert f"### {rule.id}\n" in text
        assert rule.explanation, f"{rule.id} has no explanation"
        assert rule.fix, f"{rule.id} has no fix"


def test_readme_troubleshooting_names_real_rules() -> None:
    """The README's table from rule id to fix must not name rules that do not exist."""
    import re

    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Troubleshooting", 1)[1].split("\n\n", 2)[1]
    named = set(re.findall(r"^\| `([a-z0-9-]+)`", table, re.M))
    named |= set(re.findall(r"^\| `[a-z0-9-]+` / `([a-z0-9-]+)`", table, re.M))
    rules = PluginManager(load_entry_points=False).rules
    assert len(named) >= 10
    assert named <= set(rules), named - set(rules)
