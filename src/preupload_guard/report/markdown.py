"""The Markdown report, written for GitHub's job summary (``$GITHUB_STEP_SUMMARY``).

A reviewer sees the verdict, a table of the files against the per-file limit, the
findings grouped by rule with the rule's fix once, and the rules that were not checked.
Filenames, versions and messages come from the files being checked, so they are escaped:
a hostile filename must neither inject HTML nor break a table. GitHub refuses a summary
over 1 MiB per step, so past :data:`SUMMARY_LIMIT` bytes per-finding details are left out
and the summary says so at the end (the JSON report always has everything).
"""

from __future__ import annotations

import unicodedata

from preupload_guard.model.findings import Finding, Report, Rule, Severity
from preupload_guard.model.settings import format_size
from preupload_guard.report.verdict import verdict

#: Bytes the summary may use; GitHub's limit is 1 MiB (1,048,576) per step.
SUMMARY_LIMIT = 1_000_000

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "\N{INFORMATION SOURCE}\uFE0F"}
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"}
# Characters that start emphasis, code, links, images, tables, strikethrough or escapes.
_MARKDOWN = set("\\`*_[]()!|~#")


def escape(text: str) -> str:
    """Inline text that renders literally: HTML, Markdown, table pipes and line breaks
    neutralised, control characters shown as U+FFFD."""
    out = []
    for ch in text:
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MARKDOWN:
            out.append("\\" + ch)
        elif ch in "\r\n\t" or unicodedata.category(ch) in ("Zl", "Zp"):
            out.append(" ")
        elif unicodedata.category(ch) == "Cc":
            out.append("\N{REPLACEMENT CHARACTER}")
        else:
            out.append(ch)
    return "".join(out)


def code(text: str) -> str:
    """A code span when that is safe (no backtick, pipe or line break), else escaped text."""
    if any(ch in text for ch in "`|\r\n") or any(unicodedata.category(c) == "Cc" for c in text):
        return escape(text)
    return f"`{text}`"


def _prose(text: str) -> str:
    """Rule text written by rule authors: Markdown kept (backticks), HTML neutralised."""
    return " ".join("".join(_HTML.get(ch, ch) for ch in text).split())


def _severity(finding: Finding) -> Severity:
    return finding.severity or Severity.ERROR


def _percent(size: int, limit: int | None) -> str:
    if not limit:
        return format_size(size)
    share = 100 * size / limit
    text = "&lt;0.1%" if 0 < share < 0.1 else f"{share:.1f}%"
    if share >= 90:
        text = f"**{text}**"
    return f"{format_size(size)} ({text} of {format_size(limit)})"


def _head(report: Report) -> list[str]:
    icon = "✅" if report.ok else "❌"
    title = "no refusal predicted" if report.ok else "the upload would be refused"
    lines = [f"## {icon} preupload-guard: {title}", "", escape(verdict(report)), ""]
    limits = []
    if report.upload_limit:
        limits.append(f"{format_size(report.upload_limit)} per file")
    if report.project_limit:
        limits.append(f"{format_size(report.project_limit)} per project")
    if report.index_url:
        lines.append(f"Index: {code(report.index_url)}" + ("  " if limits else ""))
    if limits:
        lines.append("Limits: " + ", ".join(limits) + ".")
    return [*lines, ""] if report.index_url or limits else lines


def _files(report: Report, budget: int) -> list[str]:
    if not report.files:
        return []
    lines = ["| File | Size | Project | Version | sha256 | blake2b-256 |",
             "|---|---|---|---|---|---|"]
    used = 0
    for i, f in enumerate(report.files):
        row = (f"| {escape(f.filename)} | {_percent(f.size, report.upload_limit)} | "
               f"{escape(f.project or '—')} | {escape(f.version or '—')} | "
               f"{code(f.sha256[:12] + '…') if f.sha256 else '—'} | "
               f"{code(f.blake2_256[:12] + '…') if f.blake2_256 else '—'} |")
        used += len(row.encode()) + 1
        if used > budget:
            lines.append(f"| …and {len(report.files) - i} more file(s) | | | | | |")
            break
        lines.append(row)
    return [*lines, ""]


def _skipped(report: Report) -> list[str]:
    if not report.skipped:
        return []
    reasons: dict[str, list[str]] = {}
    for skip in report.skipped:
        reasons.setdefault(skip.reason, []).append(skip.rule)
    lines = ["### Not checked", "",
             "These rules did not run: they neither passed nor failed.", ""]
    lines += [f"- {', '.join(code(r) for r in rules)}: {escape(reason)}"
              for reason, rules in reasons.items()]
    return [*lines, ""]


def _finding_line(finding: Finding, rule_severity: Severity, fix: str) -> str:
    text = escape(finding.message)
    if finding.file and finding.file not in finding.message:
        text = f"**{escape(finding.file)}**: {text}"
    if _severity(finding) is not rule_severity:
        text = f"{_ICON[_severity(finding)]} ({_severity(finding).value}) {text}"
    if finding.masked_by:
        text += (f" *(masked: PyPI would stop earlier, at {code(finding.masked_by)}; "
                 "fix that first)*")
    if finding.hint and finding.hint.strip() != fix.strip():
        text += f"\n  - *Hint:* {escape(finding.hint)}"
    return f"- {text}"


def _group_parts(report: Report, rule_id: str,
                 findings: list[Finding]) -> tuple[list[str], list[str], list[str]]:
    """Heading, one line per finding, and the fix paragraph of one rule."""
    rule: Rule | None = report.rules.get(rule_id)
    worst = min((_severity(f) for f in findings), key=lambda s: s.rank)
    summary = f" — {_prose(rule.summary)}" if rule and rule.summary else ""
    files = len({f.file for f in findings})
    head = [f"#### {_ICON[worst]} {code(rule_id)}{summary}", "",
            f"{worst.value} · {len(findings)} finding(s) · {files} file(s)"
            + (f" · family {code(rule.family)}" if rule else ""), ""]
    fix = rule.fix if rule else ""
    body = [_finding_line(f, worst, fix) for f in findings]
    tail = ["", f"**Fix:** {_prose(fix)}", ""] if fix else [""]
    return head, body, tail


def _size(lines: list[str]) -> int:
    return sum(len(line.encode("utf-8")) + 1 for line in lines)


def render_markdown(report: Report, *, limit: int = SUMMARY_LIMIT) -> str:
    """The job summary; at most about ``limit`` bytes (per-finding details go first)."""
    groups: dict[str, list[Finding]] = {}
    for finding in sorted(report.findings, key=lambda f: _severity(f).rank):
        groups.setdefault(finding.rule, []).append(finding)
    parts = [_group_parts(report, rule, items) for rule, items in groups.items()]

    head = _head(report) + _files(report, limit // 4)
    skipped = _skipped(report)
    section = ["### Findings", ""] if parts else []
    fixed = _size(head) + _size(skipped) + _size(section) + 400
    fixed += sum(_size(h) + _size(t) + 100 for h, _, t in parts)
    room = max(0, limit - fixed)

    # Round robin over the rules, so that one noisy rule cannot crowd out the others'
    # examples: every rule shows its first finding before any shows its second.
    kept = [0] * len(parts)
    full = False
    for depth in range(max((len(body) for _, body, _ in parts), default=0)):
        for i, (_, body, _) in enumerate(parts):
            if full or depth >= len(body):
                continue
            cost = len(body[depth].encode("utf-8")) + 1
            if cost > room:
                full = True
                continue
            room -= cost
            kept[i] += 1

    out = head + section
    left_out = 0
    for (group_head, body, tail), count in zip(parts, kept, strict=True):
        out += group_head + body[:count]
        if count < len(body):
            left_out += len(body) - count
            out.append(f"- *…and {len(body) - count} more (not shown)*")
        out += tail
    out += skipped
    if left_out:
        out += ["---", "",
                f"**Truncated:** {left_out} of {len(report.findings)} finding details were left "
                "out to keep this summary under GitHub's 1 MiB job summary limit. The JSON "
                "report (`--output report.json`) lists every finding.", ""]
    return "\n".join(out).rstrip("\n") + "\n"
