"""The long description (step 15): PyPI renders it with readme-renderer and refuses the
upload when reST or Markdown does not render.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from preupload_guard.checks.metadata.problem import Problem
from preupload_guard.checks.metadata.vocabulary import STEP_DESCRIPTION
from preupload_guard.model.findings import Severity
from preupload_guard.read import readme
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context


# -- the description (step 15) -------------------------------------------------------------


def prefetch_render(raw: Mapping[str, Any] | None, context: Context) -> bool:
    """Hand the description to the render child now (see ``readme.prefetch``).

    This is the core metadata as read; the check later renders the description as PyPI
    receives it (twine's form, PyPI's parsing). The two are the same text for every real
    file seen so far, and when they are not, the check renders its own text: the verdict
    is looked up by content, so a prefetch can only save time, never change an answer.
    """
    if raw is None or not context.selected("description-render"):
        return False
    description = raw.get("description")
    renderer = readme.renderer_for(raw.get("description_content_type"))
    if not isinstance(description, str) or not description or renderer is None:
        return False
    return readme.prefetch(description, renderer)


def description_problems(artifact: Artifact, raw: dict[str, Any],
                          context: Context) -> list[Problem]:
    if not context.selected("description-render"):
        return []  # rendering is the costliest metadata check (docutils): not for nothing
    description = raw.get("description")
    if not description:
        return []  # absent, empty, or UNKNOWN (dropped): PyPI renders nothing
    content_type = raw.get("description_content_type")
    renderer = readme.renderer_for(content_type)
    if renderer is None:
        return []  # an unrenderable content type is refused at step 7 already
    result = readme.render(description, renderer)
    if result.status == "ok":
        return []
    if result.status == "unavailable":
        context.skip("description-render",
                     "Markdown descriptions were not rendered: comrak is missing (install "
                     "readme-renderer[md])")
        return []
    name = readme.RENDERER_NAMES[renderer]
    if result.status in {"timeout", "crashed"}:
        if result.status == "timeout":
            kib = len(description.encode("utf-8", "surrogatepass")) / 1024
            what = (f"the {kib:,.0f} KiB {name} description could not be rendered within "
                    f"{result.timeout:g} s, so whether PyPI accepts it is not verified")
            hint = (f"Raise the limit with {readme.TIMEOUT_ENV}=<seconds>, or check it with "
                    "`python -m readme_renderer README.rst`. A README this slow to render "
                    "may also be slow or fail on PyPI: consider shortening it.")
        else:
            what = (f"the {name} renderer crashed on the description ({result.message}), so "
                    "whether PyPI accepts it is not verified (PyPI's renderer would likely "
                    "fail the same way)")
            hint = ("Simplify the README where it is deeply nested, and check it with "
                    "`python -m readme_renderer README.rst`.")
        return [Problem("description-render", "description", what, None, hint,
                         step=STEP_DESCRIPTION, see=None, source="render",
                         severity=Severity.WARNING)]
    what, answer, hint = _render_failure(result, content_type, description)
    return [Problem("description-render", "description", what, answer, hint,
                     step=STEP_DESCRIPTION, see=None, source="render")]


def _render_failure(result: readme.Rendered, content_type: str | None,
                    description: str) -> tuple[str, str, str]:
    """What failed, PyPI's exact answer, and what to do about it."""
    if content_type:
        answer = f"The description failed to render for {content_type!r}."
    else:
        answer = ("The description failed to render in the default format of "
                  "reStructuredText.")
    if result.renderer == readme.MARKDOWN:
        return (
            "the Markdown description renders to nothing (it is empty, whitespace or only "
            "link reference definitions)", answer,
            "Put the README's text in the description ([project] readme), or remove the "
            "readme so that no description is sent.",
        )
    if result.message is None:
        what = ("the reStructuredText description renders to nothing (it is only a title, "
                "only comments, or whitespace)")
        hint = ("Add at least one paragraph below the title: PyPI turns a lone title into the "
                "document title and shows nothing.")
    else:
        where = f"line {result.line}" if result.line else "the description"
        what = (f"the description is not valid reStructuredText as PyPI renders it: "
                f"{where}: {result.message.rstrip('.')} (docutils {result.level})")
        hint = _rst_hint(result.message, where)
    if not content_type and _looks_like_markdown(description):
        hint = ("No Description-Content-Type was sent, so PyPI reads the description as "
                "reStructuredText, but it looks like Markdown: set readme = \"README.md\" "
                "(or content-type = \"text/markdown\") in [project]. " + hint)
    return what, answer, hint


def _rst_hint(message: str, where: str) -> str:
    text = message.lower()
    if "underline too short" in text or "overline too short" in text:
        fix = "make the title's underline at least as long as the title"
    elif "directive disabled" in text:
        fix = ("PyPI disables raw and include directives (and file options): write the "
               "content inline")
    elif "unknown interpreted text role" in text or "unknown directive" in text:
        fix = ("Sphinx-only roles and directives (:ref:, :doc:, .. automodule::, "
               ".. versionadded::) are unknown to plain docutils, which PyPI uses; "
               "standard ones such as .. note:: and .. code-block:: work")
    elif "start-string without end-string" in text:
        fix = "close the inline markup, or escape the character with a backslash"
    elif "line-length-limit" in text:
        fix = "split the overlong line (docutils refuses lines over 10,000 characters)"
    else:
        fix = "fix the markup docutils names"
    return (f"At {where}: {fix}. `python -m readme_renderer README.rst` shows the same "
            "message; fix each one it reports.")


def _looks_like_markdown(text: str) -> bool:
    head = text.lstrip()[:2000]
    return bool(re.search(r"^(#{1,6} |```|\* \[|- \[)", head, re.MULTILINE)
                or re.search(r"\]\(https?://", head))
