"""Shared helpers: run the checks with this plugin registered by object.

``guard_check`` and ``guard_dists`` come from preupload-guard's testing kit (the
``pytest11`` plugin ``preupload_guard.testing.plugin``). Entry-point autoloading is off in
``inspect_wheel`` so that other installed plugins cannot change the findings; the
subprocess test in ``test_cli.py`` covers the installed entry point.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import preupload_guard_wheel_inspect

PREFIX = "wheel-inspect/"


class Result:
    """A CheckRun plus the views these tests ask for."""

    def __init__(self, run: Any) -> None:
        self.run = run
        assert not run.plugin_errors, [f.message for f in run.plugin_errors]

    @property
    def ours(self) -> list[str]:
        """Rule ids of this plugin's findings, without the namespace."""
        return [f.rule[len(PREFIX):] for f in self.run.findings if f.rule.startswith(PREFIX)]

    @property
    def core(self) -> list[str]:
        return [f.rule for f in self.run.findings if "/" not in f.rule]

    def message(self, rule: str) -> str:
        """The message of the only finding of this plugin's ``rule``."""
        found = [f for f in self.run.findings if f.rule == PREFIX + rule]
        assert len(found) == 1, (rule, [(f.rule, f.message) for f in self.run.findings])
        return found[0].message

    def messages(self, rule: str) -> list[str]:
        return [f.message for f in self.run.findings if f.rule == PREFIX + rule]

    def severity(self, rule: str) -> str:
        found = [f for f in self.run.findings if f.rule == PREFIX + rule]
        return found[0].severity.value


@pytest.fixture
def inspect_wheel(guard_check: Callable[..., Any]) -> Callable[..., Result]:
    """``inspect_wheel(path, config={...})``: run offline with only this plugin added."""

    def run(path: Path, *, config: dict[str, Any] | None = None, **kwargs: Any) -> Result:
        table = {"plugins": {"wheel-inspect": config}} if config is not None else None
        return Result(guard_check(path, plugins={"wheel-inspect": preupload_guard_wheel_inspect},
                                  autoload=False, config=table, **kwargs))

    return run
