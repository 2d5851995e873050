"""preupload-guard-wheel-inspect: deep wheel checks built on wheel-inspect.

Registered through the ``preupload_guard`` entry-point group under the name
``wheel-inspect``, so its rules are ``wheel-inspect/record-hash``, ``wheel-inspect/dist-info``
and so on, and its settings live in ``[tool.preupload-guard.plugins.wheel-inspect]``.

Importing this module is cheap (``preupload-guard rules`` and ``plugins`` pay nothing for
it): wheel-inspect, which imports readme-renderer, is loaded on the first wheel checked.
Sdists and files the core cannot open are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from preupload_guard import ArchiveError, Finding, MemberVisitor, Rule, hookimpl

from .config import PLUGIN_NAME, Config, PluginConfigError
from .rules import RECORD_HASH, RULES

if TYPE_CHECKING:
    from preupload_guard import Artifact, Context

__version__ = "0.1.0"
__all__ = ["PLUGIN_NAME", "RULES", "__version__"]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


@hookimpl
def preupload_guard_members(artifact: Artifact, context: Context, plugin: str,
                            config: Mapping[str, Any]) -> MemberVisitor | None:
    """Hash the members during preupload-guard's one pass, for record-hash: only when that
    rule is reported and the verify-limit allows it."""
    if not artifact.is_wheel or not context.selected(f"{plugin}/{RECORD_HASH}"):
        return None
    try:
        budget = Config.from_mapping(config).verify_limit
    except PluginConfigError:
        return None  # reported once, by the check below
    if budget <= 0:
        return None
    from .record import MemberHashes

    return MemberHashes(budget)


@hookimpl
def preupload_guard_check_artifact(artifact: Artifact, context: Context, plugin: str,
                                   config: Mapping[str, Any]) -> Iterator[Finding]:
    if not artifact.is_wheel:
        return
    config = Config.from_mapping(config)
    try:
        reader = artifact.archive()
    except ArchiveError:
        return  # the core's invalid-archive rule reports it
    from .inspection import Inspection

    verify = context.selected(f"{plugin}/{RECORD_HASH}")
    yield from Inspection(artifact, reader, config, verify=verify).run()
