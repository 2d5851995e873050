"""The text of a file-size or project-size limit request, ready to paste.

PyPI raises limits only on request, through its support tracker's "Size Limit Request"
forms, and answers take weeks; a request that misses what reviewers look at (what takes the
space, what was done to reduce it, how often the project releases) costs another round.
This module writes the request in Markdown, following the fields of those forms, from facts
only: sizes and contents from :mod:`.size_breakdown`, the cadence and the verdict from
:mod:`.guidelines`. Whatever only the maintainer knows is a placeholder of one greppable
form, ``[FILL IN: ...]``, listed again as a checklist at the end, and nothing is invented.
It never files anything: it returns text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from preupload_guard.advise.breakdown import SizeBreakdown
from preupload_guard.advise.guidelines import (
    BUNDLED_RUNTIME,
    ESTABLISHED,
    FREQUENT,
    LARGE_EXECUTABLES,
    LARGE_MODELS,
    NO_EFFORT,
    Assessment,
    Sized,
)
from preupload_guard.model.settings import GiB, MiB, format_size

PLACEHOLDER = "[FILL IN: {}]"
PLACEHOLDER_RE = re.compile(r"\[FILL IN: [^\]]*\]")
#: Rows of the "what takes the space" table and members listed below it.
TOP_GROUPS = 8
TOP_MEMBERS = 5
#: Removable bytes below this share of the file are not worth asking the maintainer about.
NOTABLE_SHARE = 0.01
#: A project request shows the largest file's breakdown only from this size: below it,
#: what takes the space in one file says nothing about the project's total.
BREAKDOWN_MIN = 1024 * 1024


def fill(text: str) -> str:
    """A placeholder the maintainer must replace (brackets in ``text`` are softened so
    that every placeholder stays one match of :data:`PLACEHOLDER_RE`)."""
    return PLACEHOLDER.format(text.replace("[", "(").replace("]", ")"))


def placeholders(draft: str) -> list[str]:
    """Every placeholder left in ``draft``, in order, each once."""
    return list(dict.fromkeys(PLACEHOLDER_RE.findall(draft)))


@dataclass(frozen=True)
class DraftContext:
    """What the draft says about the project besides the assessment.

    ``project_url`` and ``index`` (``"PyPI"``, ``"TestPyPI"``) come from the settings;
    ``exists`` and ``releases`` from the index (``None``: not asked).
    """

    project: str
    project_url: str | None
    index: str | None
    exists: bool | None
    files: tuple[Sized, ...]
    now: datetime
    tool: str = "preupload-guard"
    #: The latest releases on the index, newest first: (version, total bytes, files).
    recent_releases: tuple[tuple[str, int | None, int], ...] = ()


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _mb(size: int) -> int:
    """Whole MiB, rounded up: PyPI's forms and messages call them MB."""
    return math.ceil(size / MiB)


def _gb(size: int) -> int:
    return math.ceil(size / GiB)


def _header(kind: str, ctx: DraftContext) -> list[str]:
    return [
        "<!--",
        f"Drafted by {ctx.tool} on {ctx.now:%Y-%m-%d} from the files listed below; nothing "
        "was filed.",
        "Replace every placeholder marked FILL IN (the checklist at the end lists them), then "
        f"file this on PyPI's support tracker as a \"Size Limit Request ({kind})\", with the "
        "first heading as the issue title.",
        "-->",
        "",
    ]


def _common_fields(ctx: DraftContext, new_limit: str) -> list[str]:
    url = ctx.project_url or fill("the project's page on the index")
    if ctx.exists is True:
        exists = "Yes"
    elif ctx.exists is False:
        exists = fill("No: PyPI raises limits only for existing projects. Upload a release "
                      "that fits the current limit first (for example the sdist), then change "
                      "this to Yes")
    else:
        exists = fill("Yes or No (the index did not say)")
    index = ctx.index or fill("PyPI, TestPyPI, or both")
    return [f"**Project URL:** {url}", "", f"**Does this project already exist?** {exists}", "",
            f"**New limit:** {new_limit}", "", f"**Which indexes:** {index}", ""]


def _files_table(files: Sequence[Sized]) -> list[str]:
    lines = ["| File | Size |", "|---|---:|"]
    lines += [f"| {_code(f.filename)} | {format_size(f.size)} |"
              for f in sorted(files, key=lambda f: (-f.size, f.filename))]
    total = sum(f.size for f in files)
    if len(files) > 1:
        lines.append(f"| **total** | **{format_size(total)}** |")
    return [*lines, ""]


def _breakdown(b: SizeBreakdown) -> list[str]:
    estimated = " (estimated: a tar.gz does not say per member)" if b.compressed_estimated \
        else ""
    lines = [f"### What takes the space in {_code(b.filename)}", "",
             f"{format_size(b.file_size)} in the file, {format_size(b.size)} uncompressed, "
             f"{len(b.members)} members.", "",
             f"| Contents | Members | In the file{estimated} | Uncompressed |",
             "|---|---:|---:|---:|"]
    for g in b.groups[:TOP_GROUPS]:
        label = g.label + (f" ({g.detail})" if g.detail else "")
        if g.kind in ("debug-info", "duplicates"):
            label += ", removable"
        lines.append(f"| {label} | {g.members} | {format_size(g.compressed)} | "
                     f"{format_size(g.size)} |")
    lines += ["", "Largest members:", ""]
    for m in b.largest(TOP_MEMBERS):
        lines.append(f"- {_code(m.name)}: {format_size(m.compressed)} in the file "
                     f"({format_size(m.size)} uncompressed), {m.description}")
    if not b.complete:
        lines += ["", "Part of the file could not be read: " + "; ".join(b.notes) + "."]
    return [*lines, ""]


def _reduction(b: SizeBreakdown | None) -> list[str]:
    """What was verifiably done to reduce the size, and placeholders for what remains."""
    lines = ["### What was done to reduce the size", ""]
    if b is not None and b.complete:
        binaries = b.binaries
        if binaries and not b.debug and all(m.binary and m.binary.complete for m in binaries):
            lines.append(f"- The {len(binaries)} native binaries carry no debug information "
                         "(checked from their section headers).")
        for kind, text in (("bytecode", "- No .pyc files: bytecode is compiled on install."),
                           ("tests", "- No tests or test data."),
                           ("duplicates", "- No duplicated members.")):
            if b.group(kind) is None:
                lines.append(text)
        for kind in ("debug-info", "tests", "bytecode", "duplicates"):
            g = b.group(kind)
            if g is not None and (g.saving or 0) >= NOTABLE_SHARE * b.file_size:
                lines.append("- " + fill(
                    f"{format_size(g.saving)} of {g.label} is still in the file "
                    f"({', '.join(g.largest[:2])}): remove it and run this command again, or "
                    "say why it must stay"))
    lines.append("- " + fill("anything else done to reduce the size (architectures dropped, "
                             "data compressed, parts moved into extra packages)"))
    return [*lines, ""]


def _reasons(a: Assessment) -> list[str]:
    lines = ["## Reasons for the request", ""]
    for r in a.favourable:
        lines.append(f"- **{r.guideline[0].upper() + r.guideline[1:]}**: {r.evidence}.")
    for r in a.against:
        if r.guideline == NO_EFFORT:
            continue  # asked for under "What was done to reduce the size"
        ask = {
            BUNDLED_RUNTIME: "why the bundled runtime cannot be installed separately",
            LARGE_MODELS: "why the model weights cannot be downloaded at first use",
            LARGE_EXECUTABLES: "why the JARs or executables must be in the package",
            FREQUENT: "why releases are this frequent, and whether all of them need the "
                      "larger files",
        }.get(r.guideline, f"an answer to: {r.guideline}")
        lines.append(f"- {fill(f'{ask}: {r.evidence}')}")
    for item in a.unknown:
        if item.startswith("whether the project is tied"):
            lines.append("- " + fill(f"{ESTABLISHED}: name it, with a link, or delete this "
                                     "line if there is none"))
        elif item.startswith(("release cadence unknown", "the project's")):
            continue  # asked for where the form asks
        else:
            lines.append("- " + fill(item))
    if not a.favourable:
        lines.append("- " + fill("why the project needs the larger size"))
    lines.append("- " + fill("whether you expect the files to grow, and by how much"))
    return [*lines, ""]


def _checklist(body: str) -> list[str]:
    lines = ["---", "", "Before filing (then delete this checklist):", ""]
    lines += [f"- [ ] {p}" for p in placeholders(body)]
    lines += ["- [ ] Confirm in the form that the title names the project and the new limit.",
              "- [ ] Agree to the PSF Code of Conduct in the form."]
    return [*lines, ""]


def draft_file_request(a: Assessment, ctx: DraftContext) -> str:
    """A per-file limit request (``a.request == "file"``) in Markdown."""
    if a.requested_limit is None:
        raise ValueError(f"no per-file limit can be requested: {a.summary}")
    largest = next((f for f in ctx.files if f.filename == a.subject), None)
    asked = a.requested_limit
    new_limit = (f"{_mb(asked)} MB ({format_size(asked)}); the largest file is "
                 f"{format_size(a.subject_size or 0)} and the current limit "
                 f"{format_size(a.current_limit)}")
    lines = _header("per-file", ctx)
    lines += [f"# File Limit Request: {ctx.project} - {_mb(asked)} MB", ""]
    lines += _common_fields(ctx, new_limit)
    lines += ["## About the project", "",
              fill("what the project is, who uses it, and how long it has been active"), "",
              "Release cadence: " + (a.cadence.describe() + "." if a.cadence.known
                                     else fill("how often you release")), ""]
    lines += ["### Files of this release", "", *_files_table(ctx.files)]
    if largest is not None and largest.breakdown is not None:
        lines += _breakdown(largest.breakdown)
    lines += _reduction(largest.breakdown if largest is not None else None)
    lines += _reasons(a)
    body = "\n".join(lines)
    return body + "\n" + "\n".join(_checklist(body))


def draft_project_request(a: Assessment, ctx: DraftContext) -> str:
    """A project-size limit request (``a.request == "project"``) in Markdown."""
    asked = a.requested_limit
    current = format_size(a.current_limit)
    if asked is None:
        title_limit = fill("new limit in GB")
        new_limit = fill(f"the new limit in GB (the current limit is {current}; the "
                         "project's total was not known here)")
    else:
        title_limit = f"{_gb(asked)} GB"
        after = a.subject_size or 0
        new_limit = (f"{_gb(asked)} GB ({format_size(asked)}); the project would total "
                     f"{format_size(after)} ({after:,} bytes) after this release, the "
                     f"current limit is {current}")
    largest = max(ctx.files, key=lambda f: f.size) if ctx.files else None
    lines = _header("project-wide", ctx)
    lines += [f"# Project Limit Request: {ctx.project} - {title_limit}", ""]
    lines += _common_fields(ctx, new_limit)
    lines += ["## About the project", "",
              fill("what the project is, who uses it, and how long it has been active"), "",
              "## How large is each release?", "",
              f"This release: {format_size(sum(f.size for f in ctx.files))} in "
              f"{len(ctx.files)} file(s).", ""]
    lines += _files_table(ctx.files)
    if ctx.recent_releases:
        lines += ["Recent releases on the index:", ""]
        lines += [f"- {version}: {format_size(size) if size is not None else 'size unknown'} "
                  f"in {count} file(s)" for version, size, count in ctx.recent_releases]
        lines.append("")
    if largest is not None and largest.breakdown is not None and largest.size >= BREAKDOWN_MIN:
        lines += _breakdown(largest.breakdown)
    lines += _reduction(largest.breakdown if largest is not None else None)
    lines += ["## How frequently do you make a release?", "",
              (a.cadence.describe()[0].upper() + a.cadence.describe()[1:] + "."
               if a.cadence.known else fill("how often you release (the index was not "
                                            "consulted)")), ""]
    lines += _reasons(a)
    body = "\n".join(lines)
    return body + "\n" + "\n".join(_checklist(body))


def draft_request(a: Assessment, ctx: DraftContext) -> str:
    """The draft for ``a``: a per-file or a project-size request."""
    if a.request == "file":
        return draft_file_request(a, ctx)
    return draft_project_request(a, ctx)
