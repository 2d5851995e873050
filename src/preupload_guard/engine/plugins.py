"""The plugin manager: built-in checks and third-party plugins through one pluggy manager.

Built-in rule modules are registered exactly like entry-point plugins (no private
shortcuts). Third-party plugins come from the ``preupload_guard`` entry-point group; a
plugin that fails to import, misspells a hook, declares a bad rule or raises while
checking never stops the run: each problem becomes a ``plugin-error`` finding naming the
plugin. That is why hooks are called one implementation at a time here, rather than through
pluggy's all-or-nothing ``hook.name(...)`` call.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata as importlib_metadata
from typing import Any

import pluggy

from preupload_guard.engine import hookspecs
from preupload_guard.model.facts import IndexUnreachable
from preupload_guard.model.findings import PLUGIN_ERROR, Finding, Rule, Severity
from preupload_guard.read.members import MemberVisitor

ENTRY_POINT_GROUP = "preupload_guard"
DISABLE_AUTOLOAD_ENV = "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD"

#: Built-in rule modules, one per family, each a plugin like any other.
BUILTIN_PLUGINS = (
    "preupload_guard.checks.core",
    "preupload_guard.checks.size",
    "preupload_guard.checks.reuse",
    "preupload_guard.checks.version",
    "preupload_guard.checks.names",
    "preupload_guard.checks.filenames",
    "preupload_guard.checks.archives",
    "preupload_guard.checks.metadata",
    "preupload_guard.checks.credentials",
    "preupload_guard.checks.attestations",
)



@dataclass
class PluginInfo:
    """What ``preupload-guard plugins`` shows about one plugin."""

    name: str
    builtin: bool
    distribution: str | None = None
    version: str | None = None
    rules: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HookResult:
    plugin: str
    value: Any


class PluginManager:
    """Loads plugins, collects their rules, and calls hooks with crash isolation."""

    def __init__(
        self,
        *,
        load_entry_points: bool | None = None,
        blocked: Iterable[str] = (),
        extra: Mapping[str, object] | None = None,
    ):
        """Register the built-ins, then ``extra`` plugins, then the entry-point plugins.

        ``extra`` maps names to plugin objects (modules, classes, instances) registered as
        if an entry point of that name had loaded them: their rules are namespaced
        ``NAME/rule-id``. The testing kit uses it to test a plugin that is not installed.
        ``load_entry_points`` defaults to "unless PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD is
        set"; ``blocked`` names are never registered (``-p no:NAME``).
        """
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.rules: dict[str, Rule] = {}
        self.load_errors: list[Finding] = []
        self.infos: dict[str, PluginInfo] = {}
        self._builtin_names: set[str] = set()
        for name in blocked:
            self.pm.set_blocked(name)
        for module_name in BUILTIN_PLUGINS:
            module = importlib.import_module(module_name)
            short = module_name.rsplit(".", 1)[-1]
            self._register(module, f"builtin:{short}", builtin=True)
        for name, plugin in (extra or {}).items():
            if self.pm.is_blocked(name):
                continue
            self._register(plugin, name, builtin=False)
        if load_entry_points is None:
            load_entry_points = not os.environ.get(DISABLE_AUTOLOAD_ENV)
        if load_entry_points:
            self._load_entry_points()

    # -- loading ---------------------------------------------------------------------
    def _load_entry_points(self) -> None:
        for ep in importlib_metadata.entry_points(group=ENTRY_POINT_GROUP):
            if self.pm.is_blocked(ep.name) or self.pm.has_plugin(ep.name):
                continue
            dist = getattr(ep, "dist", None)
            info = PluginInfo(
                ep.name,
                builtin=False,
                distribution=dist.metadata["Name"] if dist is not None else None,
                version=dist.version if dist is not None else None,
            )
            try:
                plugin = ep.load()
            except Exception as exc:
                self._load_error(ep.name, f"failed to import {ep.value}: {_exc_text(exc)}")
                self.infos[ep.name] = info
                continue
            self._register(plugin, ep.name, builtin=False, info=info)

    def _register(
        self, plugin: object, name: str, *, builtin: bool, info: PluginInfo | None = None
    ) -> None:
        info = info or PluginInfo(name, builtin=builtin)
        self.infos[name] = info
        if builtin:
            self._builtin_names.add(name)
        try:
            self.pm.register(plugin, name=name)
        except ValueError as exc:  # blocked or already registered
            self._load_error(name, str(exc))
            return
        except pluggy.PluginValidationError as exc:
            self._load_error(name, f"invalid hook implementation: {exc}")
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(plugin)
            self._load_error(
                name,
                f"{exc} (hooks must be named preupload_guard_*, see the hook reference)",
            )
            return
        for result in self.call("preupload_guard_rules", only=name):
            if isinstance(result.value, Finding):
                continue
            for rule in result.value or ():
                self._add_rule(name, rule, builtin=builtin)

    def _add_rule(self, plugin: str, rule: object, *, builtin: bool) -> None:
        if not isinstance(rule, Rule):
            self._load_error(plugin, f"declared something that is not a Rule: {rule!r}")
            return
        if not builtin and "/" not in rule.id:
            rule = Rule(**{**rule.__dict__, "id": f"{plugin}/{rule.id}"})
        if rule.id in self.rules:
            self._load_error(plugin, f"rule {rule.id!r} is already declared by "
                                     f"{self.rules[rule.id].plugin}")
            return
        rule = rule.with_plugin(plugin)
        self.rules[rule.id] = rule
        self.infos[plugin].rules.append(rule.id)

    def _load_error(self, plugin: str, message: str) -> None:
        self.load_errors.append(
            Finding(
                rule=PLUGIN_ERROR,
                message=f"plugin {plugin!r} could not be loaded: {message}",
                hint="Fix or uninstall the plugin, or block it with -p no:NAME.",
                severity=Severity.ERROR,
            )
        )

    # -- calling ---------------------------------------------------------------------
    def is_builtin(self, plugin: str) -> bool:
        return plugin in self._builtin_names

    def call(
        self,
        hook_name: str,
        *,
        only: str | None = None,
        skip: Collection[str] = (),
        **kwargs: Any,
    ) -> Iterator[HookResult]:
        """Call each implementation of ``hook_name`` on its own.

        Yields one :class:`HookResult` per implementation; generator results are consumed
        here, inside the guard. An exception becomes a ``plugin-error`` finding as the
        value, so the caller can report it and go on.
        """
        hook = getattr(self.pm.hook, hook_name)
        settings = kwargs.get("settings")
        if settings is None and kwargs.get("context") is not None:
            settings = kwargs["context"].settings
        for impl in hook.get_hookimpls():
            if (only is not None and impl.plugin_name != only) or impl.plugin_name in skip:
                continue
            args = {name: kwargs[name] for name in impl.argnames if name in kwargs}
            # Each implementation learns its own registered name and its own settings table.
            if "plugin" in impl.argnames:
                args["plugin"] = impl.plugin_name
            if "config" in impl.argnames:
                args["config"] = settings.plugin_config(impl.plugin_name) if settings else {}
            try:
                value = impl.function(**args)
                if isinstance(value, MemberVisitor):  # one subscriber, not a collection
                    value = [value]
                elif value is not None and not isinstance(value, (list, tuple, str, bytes)):
                    value = list(value)
            except IndexUnreachable:
                raise  # the runner reports it as index-unreachable
            except Exception as exc:
                yield HookResult(impl.plugin_name, self._crash(impl.plugin_name, hook_name, exc))
                continue
            yield HookResult(impl.plugin_name, value)

    def guarded(self, plugin: str, what: str, func: Callable[[], Any]) -> HookResult:
        """Run ``func`` (a plugin's code outside a hook call, such as a member visitor's
        ``findings``) with the same crash isolation as :meth:`call`."""
        try:
            value = func()
            if value is not None and not isinstance(value, (list, tuple, str, bytes)):
                value = list(value)
        except IndexUnreachable:
            raise
        except Exception as exc:
            return HookResult(plugin, self._crash(plugin, what, exc))
        return HookResult(plugin, value)

    def crash(self, plugin: str, what: str, exc: BaseException) -> Finding:
        """The ``plugin-error`` finding for ``exc``, raised by ``plugin`` in ``what``."""
        return self._crash(plugin, what, exc)

    def _crash(self, plugin: str, hook_name: str, exc: BaseException) -> Finding:
        from preupload_guard.read.pass_pool import origin  # also a pass worker's raise

        where = origin(exc)
        location = f" at {where[0]}:{where[1]}" if where else ""
        kind = "built-in rules" if self.is_builtin(plugin) else "plugin"
        return Finding(
            rule=PLUGIN_ERROR,
            message=f"{kind} {plugin!r} raised {_exc_text(exc)} in {hook_name}{location}; "
            "its checks did not complete",
            hint="Report this to the plugin's authors; other checks ran normally.",
            severity=Severity.ERROR,
        )

    def plugin_infos(self) -> list[PluginInfo]:
        return list(self.infos.values())


def _exc_text(exc: BaseException) -> str:
    text = str(exc)
    from preupload_guard.read.pass_pool import type_name  # a pass worker's: the original

    kind = type_name(exc)
    return f"{kind}: {text}" if text else kind
