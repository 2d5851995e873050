"""The user's policy over findings: which rules run, at what severity, and PyPI's masking.

``--select``/``--ignore`` and ``[tool.preupload-guard.severity]`` decide which rules run and
how loud they are; masking marks the findings PyPI would never reach because it stops at an
earlier refusal for the same file (see the refusal order in the rules reference).
"""

from __future__ import annotations

from dataclasses import replace

from preupload_guard.model.findings import PLUGIN_ERROR, Finding, Rule, Severity
from preupload_guard.model.settings import ConfigError, Settings


class Policy:
    """``--select``/``--ignore`` and severity overrides, by rule id, family or plugin."""

    def __init__(self, rules: dict[str, Rule], settings: Settings) -> None:
        self.rules = rules
        tokens = {"all"} | set(rules) | {r.family for r in rules.values()}
        tokens |= {r.plugin for r in rules.values()}
        for token in (*settings.select, *settings.ignore, *settings.severity):
            if token.lower() not in tokens and token not in tokens:
                raise ConfigError(
                    f"unknown rule, family or plugin {token!r}; see `preupload-guard rules`"
                )
        self.select = settings.select
        self.ignore = settings.ignore
        self.severity = settings.severity

    @staticmethod
    def _matches(rule: Rule, token: str) -> bool:
        return token.lower() == "all" or token in (rule.id, rule.family, rule.plugin)

    def selected(self, rule_id: str) -> bool:
        rule = self.rules.get(rule_id)
        if rule is None:
            return True
        if rule.id == PLUGIN_ERROR:
            # A plugin that failed means checks did not run: `--select secrets` must not
            # turn that into a pass. Only naming the rule itself in --ignore hides it.
            return PLUGIN_ERROR not in self.ignore
        if rule.opt_in and rule.id not in self.select:
            return False
        if self.select and not any(self._matches(rule, t) for t in self.select):
            return False
        return not any(self._matches(rule, t) for t in self.ignore)

    def severity_of(self, finding: Finding) -> Severity:
        rule = self.rules.get(finding.rule)
        if rule is not None:
            # Most specific override wins: rule id, then family, then plugin.
            for key in (rule.id, rule.family, rule.plugin):
                if key in self.severity:
                    return self.severity[key]
            return finding.severity or rule.severity
        return finding.severity or Severity.ERROR


def step_of(finding: Finding, rules: dict[str, Rule]) -> float | None:
    """The finding's position in PyPI's upload order (its own, else its rule's)."""
    if finding.step is not None:
        return finding.step
    rule = rules.get(finding.rule)
    return rule.step if rule is not None else None


def sort_step(finding: Finding, rules: dict[str, Rule]) -> float:
    """Sort key: findings with no known step go last."""
    step = step_of(finding, rules)
    return 1000.0 if step is None else step


#: Rules at which PyPI stops without refusing: a byte-identical re-upload answers 200 at
#: step 22, so nothing PyPI checks after that step can refuse the file.
NO_OP_RULES = frozenset({"identical-file"})


def mask(findings: list[Finding], rules: dict[str, Rule]) -> list[Finding]:
    """Mark findings that PyPI would never reach because it stops earlier for that file.

    An earlier error hides later errors (they are marked, still errors: they will bite once
    the first is fixed). An earlier no-op (identical file) hides later errors for good, so
    they are marked and downgraded to info.
    """
    first: dict[str, tuple[float, str]] = {}
    for f in findings:
        step = step_of(f, rules)
        stops = f.severity is Severity.ERROR or f.rule in NO_OP_RULES
        if f.file is None or not stops or step is None:
            continue
        if f.file not in first or step < first[f.file][0]:
            first[f.file] = (step, f.rule)
    out = []
    for f in findings:
        step = step_of(f, rules)
        earliest = first.get(f.file or "")
        if (earliest and step is not None and f.severity is Severity.ERROR
                and step > earliest[0]):
            if earliest[1] in NO_OP_RULES:
                f = replace(f, masked_by=earliest[1], severity=Severity.INFO)
            else:
                f = replace(f, masked_by=earliest[1])
        out.append(f)
    return out
