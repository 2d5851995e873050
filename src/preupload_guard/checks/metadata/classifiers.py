"""Trove classifiers: PyPI refuses any classifier not in trove-classifiers' list, and the
deprecated ones with their replacement.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from preupload_guard.checks.metadata.problem import Problem

if TYPE_CHECKING:
    pass


def classifier_problems(raw: dict[str, Any]) -> list[Problem]:
    classifiers = raw.get("classifiers")
    if not classifiers:
        return []
    from trove_classifiers import classifiers as known
    from trove_classifiers import deprecated_classifiers, sorted_classifiers

    problems = []
    for value in sorted(set(classifiers)):
        if value.split("::", 1)[0].strip() == "Private":
            problems.append(Problem(
                "invalid-classifier", "classifier",
                f"the classifier {value!r} marks the package as never to be uploaded, and "
                "PyPI refuses it on purpose: the upload is blocked as intended",
                f"{value!r} is not a valid classifier.",
                "Nothing to fix if this package is private: this is the guard working. If "
                "it really is meant for PyPI, remove the Private :: classifier from "
                "[project] classifiers.", source="warehouse",
            ))
        elif value in deprecated_classifiers:
            replacements = list(deprecated_classifiers[value])
            if replacements:
                answer = (f"The classifier {value!r} has been deprecated, use one of "
                          f"{replacements} instead.")
                hint = (f"Replace it in [project] classifiers by "
                        f"{' or '.join(map(repr, replacements))}.")
            else:
                answer = f"The classifier {value!r} has been deprecated."
                hint = "Remove it from [project] classifiers; it has no replacement."
            problems.append(Problem("invalid-classifier", "classifier",
                                     f"the classifier {value!r} is deprecated", answer, hint,
                                     source="warehouse"))
        elif value not in known:
            import difflib

            close = difflib.get_close_matches(value, sorted_classifiers, n=1, cutoff=0.8)
            hint = (f"Did you mean {close[0]!r}? " if close else "") + (
                "Use only classifiers listed by `python -m trove_classifiers`, in [project] "
                "classifiers (a newer trove-classifiers may know a very new one)."
            )
            problems.append(Problem("invalid-classifier", "classifier",
                                     f"the classifier {value!r} is not a known classifier",
                                     f"{value!r} is not a valid classifier.", hint,
                                     source="warehouse"))
    return problems
