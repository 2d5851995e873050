"""SARIF 2.1.0, for code-scanning dashboards (``github/codeql-action/upload-sarif``).

SARIF expects results at files in the repository; distribution files are build outputs,
so a file finding points at the artifact's filename (a relative URI the dashboard cannot
open, but which names the file), and findings about the project's metadata (or about no
file at all) point at ``pyproject.toml``, where they are fixed. Results carry a partial
fingerprint of their own, since there are no source lines to fingerprint.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import quote

from preupload_guard import __version__
from preupload_guard.model.findings import Finding, Report, Rule, Severity
from preupload_guard.report.verdict import about_project

SCHEMA_URI = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
              "sarif-schema-2.1.0.json")
INFORMATION_URI = "https://github.com/preupload-guard/preupload-guard"
PROJECT_FILE = "pyproject.toml"

_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _camel(rule_id: str) -> str:
    """``unsupported-platform-tag`` -> ``UnsupportedPlatformTag`` (SARIF's rule name)."""
    words = rule_id.replace("/", "-").replace("_", "-").split("-")
    return "".join(w[:1].upper() + w[1:] for w in words if w)


def _descriptor(rule_id: str, rule: Rule | None) -> dict[str, Any]:
    summary = (rule.summary if rule else "") or rule_id
    fix = (rule.fix if rule else "") or summary
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": _camel(rule_id),
        "shortDescription": {"text": summary},
        "fullDescription": {"text": (rule.explanation if rule else "") or summary},
        "help": {"text": fix, "markdown": fix},
        "defaultConfiguration": {"level": _LEVEL[rule.severity if rule else Severity.ERROR]},
    }
    if rule:
        descriptor["properties"] = {"tags": [rule.family]}
    return descriptor


def _uri(report: Report, finding: Finding) -> str:
    if finding.file is None or about_project(report, finding):
        return PROJECT_FILE
    # A relative URI reference: percent-encode what a filename may hold and a URI may not.
    return quote(finding.file, safe="!$&'()*+,;=@-._~")


def _result(report: Report, finding: Finding, index: int) -> dict[str, Any]:
    severity = finding.severity or Severity.ERROR
    text = finding.message
    if finding.hint:
        text += f"\nFix: {finding.hint}"
    fingerprint = hashlib.sha256(
        "\0".join((finding.rule, finding.file or "", finding.message)).encode()
    ).hexdigest()
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[severity],
        "message": {"text": text},
        "locations": [{"physicalLocation": {"artifactLocation": {"uri": _uri(report, finding)}}}],
        "partialFingerprints": {"preuploadGuard/v1": fingerprint},
    }
    properties: dict[str, Any] = {}
    if finding.file:
        properties["file"] = finding.file
    if finding.masked_by:
        properties["maskedBy"] = finding.masked_by
    if properties:
        result["properties"] = properties
    return result


def sarif_log(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict: one run, the rules that have results, the results."""
    rule_ids = list(dict.fromkeys(f.rule for f in report.findings))
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "preupload-guard",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(r, report.rules.get(r)) for r in rule_ids],
            }},
            "invocations": [{"executionSuccessful": True}],
            "results": [_result(report, f, index[f.rule]) for f in report.findings],
        }],
    }


def render_sarif(report: Report) -> str:
    return json.dumps(sarif_log(report), indent=2, ensure_ascii=False) + "\n"
