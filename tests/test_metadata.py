"""The metadata rules, run for real on wheels and sdists built in a temp dir.

Each condition has its near miss next to it: the point of these rules is to refuse exactly
what PyPI refuses, so a false alarm is as much a bug as a miss.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from preupload_guard import Finding, Report, Severity, check
from preupload_guard.checks import metadata as metadata_rules
from preupload_guard.read import readme
from preupload_guard.read.child_worker import ChildWorker
from preupload_guard.testing import DEFAULT_README, make_sdist, make_wheel, metadata_text

CORE = "See https://packaging.python.org/specifications/core-metadata for more information."


@pytest.fixture(autouse=True)
def _fresh_render_cache() -> Iterator[None]:
    """Render verdicts are cached by content; tests change the limits between runs."""
    readme.clear_cache()
    yield
    readme.clear_cache()


def run(tmp_path: Path, headers: Sequence[tuple[str, str]] = (), *, sdist: bool = False,
        **kwargs: object) -> Report:
    """Check a wheel (or sdist) whose metadata is the default plus ``headers``."""
    text = metadata_text(extra_headers=headers, **kwargs)  # type: ignore[arg-type]
    if sdist:
        path = make_sdist(tmp_path, metadata=text)
    else:
        path = make_wheel(tmp_path, metadata=text)
    return check([path], offline=True, select=["metadata"])


def found(report: Report, rule: str | None = None) -> list[Finding]:
    return [f for f in report.findings if rule is None or f.rule == rule]


def only(report: Report, rule: str) -> Finding:
    matches = found(report, rule)
    assert len(matches) == 1, [f.message for f in report.findings]
    return matches[0]


def clean(report: Report) -> None:
    assert not report.findings, [f"{f.rule}: {f.message}" for f in report.findings]


# -- the baseline -----------------------------------------------------------------------


def test_default_wheel_and_sdist_have_no_findings(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path)
    sdist = make_sdist(tmp_path)
    report = check([wheel, sdist], offline=True)
    assert not [f for f in report.findings if f.rule in {r.id for r in metadata_rules.RULES}]
    assert "description-render" not in {s.rule for s in report.skipped}


def test_rules_are_declared_with_steps() -> None:
    rules = {r.id: r for r in metadata_rules.RULES}
    assert set(rules) == {"metadata-version", "invalid-metadata", "local-version",
                          "invalid-classifier", "description-render"}
    assert {r.family for r in rules.values()} == {"metadata"}
    assert rules["description-render"].step == 15
    assert rules["invalid-metadata"].step == 7
    assert not any(r.needs_index for r in rules.values())
    for rule in rules.values():
        assert rule.explanation and rule.fix and "PyPI" in rule.explanation


# -- metadata-version -------------------------------------------------------------------


def test_metadata_version_2_0_refused_by_twine_and_pypi(tmp_path: Path) -> None:
    finding = only(run(tmp_path, metadata_version="2.0"), "metadata-version")
    assert "400 '2.0' is not a valid metadata version. " + CORE in finding.message
    assert "twine refuses the file before sending it" in finding.message
    assert finding.step == metadata_rules.STEP_TWINE
    assert "never a final standard" in (finding.hint or "")


def test_metadata_version_2_1_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, metadata_version="2.1"))


def test_metadata_version_2_6_refused_by_pypi_only(tmp_path: Path) -> None:
    # The installed packaging (so twine) knows 2.6; PyPI's pin does not.
    finding = only(run(tmp_path, metadata_version="2.6"), "metadata-version")
    assert "'2.6' is not a valid metadata version" in finding.message
    assert "twine" not in finding.message


def test_unparseable_metadata_version_crashes_twine(tmp_path: Path) -> None:
    finding = only(run(tmp_path, metadata_version="2.x"), "metadata-version")
    assert "InvalidVersion" in finding.message
    assert "'2.x' is not a valid metadata version" in finding.message


def test_license_expression_needs_2_4(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("License-Expression", "MIT")], metadata_version="2.1"),
                   "metadata-version")
    assert "license-expression introduced in metadata version 2.4, not 2.1" in finding.message
    assert "setuptools >= 77" in (finding.hint or "")


def test_license_expression_under_2_4_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, [("License-Expression", "MIT")], metadata_version="2.4"))


def test_license_file_below_2_4_is_dropped_by_twine(tmp_path: Path) -> None:
    # setuptools wrote License-File under 2.1 for years: twine drops it, nothing is refused.
    clean(run(tmp_path, [("License-File", "../LICENSE")], metadata_version="2.1"))


def test_import_name_needs_2_5_only_twine_checks_it(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Import-Name", "tinyproj")]), "metadata-version")
    assert "import-name introduced in metadata version 2.5, not 2.4" in finding.message
    assert "only twine checks it" in finding.message
    clean(run(tmp_path, [("Import-Name", "tinyproj")], metadata_version="2.5"))


# -- invalid-metadata: what twine itself cannot read -------------------------------------


def test_wheel_without_metadata(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, omit=["METADATA"])
    finding = only(check([path], offline=True, select=["metadata"]), "invalid-metadata")
    assert "No METADATA in archive or METADATA missing 'Metadata-Version'" in finding.message
    assert finding.step == metadata_rules.STEP_TWINE


def test_sdist_without_pkg_info(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, pkg_info=False)
    finding = only(check([path], offline=True, select=["metadata"]), "invalid-metadata")
    assert "No PKG-INFO in archive" in finding.message


def test_unknown_field_makes_twine_refuse(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Home-Page-Url", "https://x.org")]), "invalid-metadata")
    assert "unrecognized or malformed field 'home-page-url'" in finding.message
    assert "not a core-metadata field" in finding.message


def test_many_unknown_fields_are_one_finding(tmp_path: Path) -> None:
    """Twine stops at one; the finding counts them all and names the first five, sorted."""
    fields = [(f"X-Field-{i}", "v") for i in range(40)]
    finding = only(run(tmp_path, fields), "invalid-metadata")
    assert "unrecognized or malformed field 'x-field-0'" in finding.message
    assert ("40 fields are not core-metadata fields: 'x-field-0', 'x-field-1', 'x-field-10',"
            in finding.message)
    assert "and 35 more" in finding.message


def test_absurdly_many_header_fields_are_refused_unparsed(tmp_path: Path) -> None:
    """packaging's parser is quadratic in the field count: past the cap it is not run."""
    from preupload_guard.read.artifact import MAX_HEADER_FIELDS

    fields = [("Classifier", "Private :: Do Not Upload")] * (MAX_HEADER_FIELDS + 1)
    finding = only(run(tmp_path, fields), "invalid-metadata")
    assert f"header fields, more than the {MAX_HEADER_FIELDS}" in finding.message
    # The metadata is there: not twine's "No METADATA" refusal, and the hint says what to
    # look for instead of "rebuild with a standard frontend".
    assert "No METADATA" not in finding.message and "InvalidDistribution" not in finding.message
    assert "not checked any further" in finding.message
    assert finding.hint is not None and "writes so many fields" in finding.hint


def test_repeated_single_field(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Summary", "again")]), "invalid-metadata")
    assert "Summary appears 2 times" in finding.message
    assert "unrecognized or malformed field 'summary'" in finding.message
    assert "'summary' has invalid data" in finding.message


def test_duplicate_project_url_label(tmp_path: Path) -> None:
    report = run(tmp_path, [("Project-URL", "Home, https://a.org"),
                            ("Project-URL", "Home, https://b.org")])
    finding = only(report, "invalid-metadata")
    assert "'Home'" in finding.message and "more than once" in finding.message
    assert "'project_urls' has invalid data" in finding.message


def test_field_that_is_not_utf_8(tmp_path: Path) -> None:
    data = metadata_text().replace("A tiny project\nDescription", "Caf\xe9\nDescription")
    path = make_wheel(tmp_path, extra_dist_info={"METADATA": data.encode("latin-1")})
    finding = only(check([path], offline=True, select=["metadata"]), "invalid-metadata")
    assert "Summary could not be decoded" in finding.message
    assert "unrecognized or malformed field 'summary'" in finding.message


def test_description_as_header_and_body(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Description", "short")]), "invalid-metadata")
    assert "given twice" in finding.message


def test_empty_metadata_version_crashes_twine(tmp_path: Path) -> None:
    text = metadata_text().replace("Metadata-Version: 2.4", "Metadata-Version:")
    report = check([make_wheel(tmp_path, metadata=text)], offline=True, select=["metadata"])
    finding = only(report, "metadata-version")
    assert "Invalid version: ''" in finding.message
    assert "400 None is not a valid metadata version" in finding.message


def test_all_problems_are_reported_in_pypi_order(tmp_path: Path) -> None:
    report = run(tmp_path, [("Requires-Python", "3.8"), ("Home-page", "example.com"),
                            ("Classifier", "Nope :: Nope")], version="1.0+local")
    rules = [f.rule for f in report.findings]
    assert sorted(rules) == ["invalid-classifier", "invalid-metadata", "invalid-metadata",
                             "local-version"]
    # twine refuses Requires-Python first, so it comes first.
    assert "requires-python" in report.findings[0].message


# -- invalid-metadata: the upload form and packaging's validation -----------------------


def test_name_unknown_is_dropped_then_required(tmp_path: Path) -> None:
    finding = only(run(tmp_path, name="UNKNOWN"), "invalid-metadata")
    assert ("400 '' is an invalid value for Name. Error: This field is required. " + CORE
            in finding.message)
    assert finding.step == 6


def test_missing_name_twine_refuses_first(tmp_path: Path) -> None:
    text = metadata_text().replace("Name: tinyproj\n", "")
    path = make_wheel(tmp_path, metadata=text)
    finding = only(check([path], offline=True, select=["metadata"]), "invalid-metadata")
    assert "'name' is a required field" in finding.message  # twine's words
    assert "This field is required." in finding.message  # PyPI's


def test_name_pattern_is_left_to_the_names_family(tmp_path: Path) -> None:
    clean(run(tmp_path, name="tiny proj"))


def test_version_unknown_and_invalid(tmp_path: Path) -> None:
    finding = only(run(tmp_path, version="UNKNOWN"), "invalid-metadata")
    assert "'version' is a required field" in finding.message
    assert "'UNKNOWN' is invalid for 'version'" in finding.message  # twine's view
    finding = only(run(tmp_path, version="1e3"), "invalid-metadata")
    assert "'1e3' is invalid for 'version'" in finding.message
    clean(run(tmp_path, version="v1.0-dev"))  # accepted, normalized to 1.0.dev0


def test_wheel_python_tag_unknown_is_dropped(tmp_path: Path) -> None:
    path = make_wheel(tmp_path, filename="tinyproj-1.0.0-UNKNOWN-none-any.whl")
    finding = only(check([path], offline=True, select=["metadata"]), "invalid-metadata")
    assert ("Invalid value for pyversion. Error: Python version is required for binary "
            "distribution uploads." in finding.message)


def test_summary_length_512_and_513(tmp_path: Path) -> None:
    clean(run(tmp_path, summary="x" * 512))
    finding = only(run(tmp_path, summary="x" * 513), "invalid-metadata")
    assert "'summary' field must be 512 characters or less." in finding.message
    assert "513 characters" in finding.message


def test_summary_on_two_lines(tmp_path: Path) -> None:
    finding = only(run(tmp_path, summary="first\n  second"), "invalid-metadata")
    assert "'summary' must be a single line" in finding.message


@pytest.mark.parametrize("content_type", [
    "text/markdown; charset=UTF-8", "text/markdown; variant=GFM",
    "text/markdown; variant=CommonMark", "text/x-rst; charset=UTF-8", "text/plain",
])
def test_content_type_accepted(tmp_path: Path, content_type: str) -> None:
    clean(run(tmp_path, content_type=content_type, description="Hello *world*.\n"))


def test_charset_must_be_spelled_utf_8_exactly(tmp_path: Path) -> None:
    finding = only(run(tmp_path, content_type="text/x-rst; charset=utf-8"), "invalid-metadata")
    assert ("'description-content-type' can only specify the UTF-8 charset, not 'utf-8'"
            in finding.message)
    assert "twine" not in finding.message.split(";")[1]  # twine's packaging accepts it


def test_markdown_variant_is_case_sensitive(tmp_path: Path) -> None:
    finding = only(run(tmp_path, content_type="text/markdown; variant=gfm",
                       description="# Hi\n\ntext\n"), "invalid-metadata")
    assert ("valid Markdown variants for 'description-content-type' are ['CommonMark', 'GFM'],"
            " not 'gfm'" in finding.message)


def test_unknown_content_type(tmp_path: Path) -> None:
    finding = only(run(tmp_path, content_type="text/html"), "invalid-metadata")
    assert "'description-content-type' must be one of" in finding.message
    assert "not 'text/html'" in finding.message


def test_dynamic_fields(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Dynamic", "Name")]), "invalid-metadata")
    assert "'name' is not allowed as a dynamic field" in finding.message
    finding = only(run(tmp_path, [("Dynamic", "Dynamic")]), "invalid-metadata")
    assert "Dynamic field 'dynamic' is not a valid dynamic field." in finding.message
    clean(run(tmp_path, [("Dynamic", "Requires-Dist")]))


def test_provides_extra(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Provides-Extra", "my extra")]), "invalid-metadata")
    assert "'my extra' is invalid for 'provides-extra'" in finding.message
    clean(run(tmp_path, [("Provides-Extra", "my-extra")]))


def test_requires_python(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Requires-Python", "3.8")]), "invalid-metadata")
    assert "'3.8' is invalid for 'requires-python'" in finding.message
    assert "twine refuses the file before sending it" in finding.message
    clean(run(tmp_path, [("Requires-Python", ">=3.8")]))


def test_requires_dist(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Requires-Dist", "foo >>= 1")]), "invalid-metadata")
    assert "'foo >>= 1' is invalid for 'requires-dist'" in finding.message
    clean(run(tmp_path, [("Requires-Dist", "foo>=1; extra == 'x'"),
                         ("Provides-Extra", "x")]))


def test_direct_url_dependency(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Requires-Dist", "foo @ https://x/y.whl")]),
                   "invalid-metadata")
    assert "400 Can't have direct dependency: foo @ https://x/y.whl. " + CORE in finding.message
    assert "'foo'" in (finding.hint or "")


def test_every_invalid_requirement_is_listed(tmp_path: Path) -> None:
    report = run(tmp_path, [("Requires-Dist", "a >>= 1"), ("Requires-Dist", "b ~~ 2")])
    messages = [f.message for f in found(report, "invalid-metadata")]
    assert len(messages) == 2
    assert "'a >>= 1'" in messages[0] and "'b ~~ 2'" in messages[1]


def test_provides_and_obsoletes_dist(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Provides-Dist", "foo @ https://x/y")]), "invalid-metadata")
    assert "Can't have direct dependency: 'foo @ https://x/y'" in finding.message
    clean(run(tmp_path, [("Obsoletes-Dist", "oldproj (<1.0)")]))


def test_license_expression_spdx(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("License-Expression", "MIT OR Nonsense-1")]),
                   "invalid-metadata")
    assert "'MIT OR Nonsense-1' is invalid for 'license-expression'" in finding.message
    clean(run(tmp_path, [("License-Expression", "mit or LicenseRef-Mine")]))


def test_license_and_license_expression_together(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("License", "MIT"), ("License-Expression", "MIT")]),
                   "invalid-metadata")
    assert ("License is deprecated when License-Expression is present. Only "
            "License-Expression should be present." in finding.message)
    clean(run(tmp_path, [("License", "MIT")], metadata_version="2.1"))


@pytest.mark.parametrize(("path", "reason"), [
    ("../LICENSE", "parent directory indicators are not allowed"),
    ("LICENSE*", "paths must be resolved"),
    ("/LICENSE", "paths must be relative"),
    ("licenses\\LICENSE", "paths must use '/' delimiter"),
])
def test_license_file_paths(tmp_path: Path, path: str, reason: str) -> None:
    finding = only(run(tmp_path, [("License-File", path)]), "invalid-metadata")
    assert f"{path!r} is invalid for 'license-file', {reason}" in finding.message


def test_license_file_relative_path_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, [("License-File", "licenses/LICENSE.txt")]))


def test_import_name_option(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Import-Name", "tinyproj; public")], metadata_version="2.5"),
                   "invalid-metadata")
    assert "the only valid option is 'private'" in finding.message
    clean(run(tmp_path, [("Import-Name", "tinyproj; private"),
                         ("Import-Namespace", "tiny.ns")], metadata_version="2.5"))


@pytest.mark.parametrize("address", ["a@b.com", "Ann <a@b.com>", "a@b.com, c@localhost"])
def test_email_accepted(tmp_path: Path, address: str) -> None:
    clean(run(tmp_path, [("Author-email", address), ("Maintainer-email", address)]))


@pytest.mark.parametrize(("address", "why"), [
    ("a@localhost", "It should have a period"),
    ("a@example.test", "special-use or reserved name"),
    ('"a b"@b.com', "Quoting the part before the @-sign is not allowed"),
])
def test_email_refused(tmp_path: Path, address: str, why: str) -> None:
    finding = only(run(tmp_path, [("Author-email", address)]), "invalid-metadata")
    assert f"400 {address!r} is not a valid email address: " in finding.message
    assert why in finding.message


@pytest.mark.parametrize("url", ["https://example.com", "https:example.com", "https://",
                                 "HTTP://EXAMPLE.COM/x y"])
def test_url_accepted(tmp_path: Path, url: str) -> None:
    clean(run(tmp_path, [("Home-page", url), ("Download-URL", url)]))


@pytest.mark.parametrize(("url", "why"), [
    ("example.com", "no http:// or https:// scheme"), ("//example.com", "scheme"),
    ("ftp://example.com", "only http and https"), ("http://example.com:99999", "port"),
])
def test_url_refused(tmp_path: Path, url: str, why: str) -> None:
    finding = only(run(tmp_path, [("Home-page", url)]), "invalid-metadata")
    assert f"400 {url!r} is not a valid url. " + CORE in finding.message
    assert why in finding.message


def test_project_url_label_32_and_33(tmp_path: Path) -> None:
    clean(run(tmp_path, [("Project-URL", "L" * 32 + ", https://example.com")]))
    finding = only(run(tmp_path, [("Project-URL", "L" * 33 + ", https://example.com")]),
                   "invalid-metadata")
    assert f"400 {'L' * 33!r} must be 32 characters or less. " + CORE in finding.message


def test_project_url_without_url_or_label(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Project-URL", "Home")]), "invalid-metadata")
    assert "400 Must have a URL. " + CORE in finding.message
    finding = only(run(tmp_path, [("Project-URL", "Docs, example.com")]), "invalid-metadata")
    assert "'example.com' is not a valid url. " in finding.message


def test_unknown_values_are_dropped_by_pypi(tmp_path: Path) -> None:
    # Old setuptools wrote UNKNOWN for every missing field; PyPI drops them silently.
    clean(run(tmp_path, [("Home-page", "UNKNOWN"), ("Author-email", "UNKNOWN"),
                         ("License", "UNKNOWN")], metadata_version="2.1",
              description="UNKNOWN\n", content_type=None))


# -- local-version -------------------------------------------------------------------------


def test_local_version_refused_with_its_own_url(tmp_path: Path) -> None:
    finding = only(run(tmp_path, version="1.0+Local.1"), "local-version")
    assert ("400 The use of local versions in '1.0+local.1' is not allowed. See "
            "https://packaging.python.org/en/latest/specifications/version-specifiers/"
            "#local-version-identifiers for more information." in finding.message)
    assert "'1.0'" in (finding.hint or "") and "no-local-version" in (finding.hint or "")


def test_public_version_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, version="1.0.post1"))


# -- invalid-classifier --------------------------------------------------------------------


def test_valid_classifier_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, [("Classifier", "Programming Language :: Python :: 3")]))


def test_unknown_classifier_with_suggestion(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Classifier", "Programing Language :: Python :: 3")]),
                   "invalid-classifier")
    assert "400 'Programing Language :: Python :: 3' is not a valid classifier. " in \
        finding.message
    assert "Did you mean 'Programming Language :: Python :: 3'?" in (finding.hint or "")


def test_deprecated_classifier_names_its_replacement(tmp_path: Path) -> None:
    from trove_classifiers import deprecated_classifiers

    old, new = next((k, v) for k, v in deprecated_classifiers.items() if v)
    finding = only(run(tmp_path, [("Classifier", old)]), "invalid-classifier")
    assert f"The classifier {old!r} has been deprecated, use one of {list(new)} instead." \
        in finding.message
    assert repr(new[0]) in (finding.hint or "")


def test_private_classifier_has_its_own_message(tmp_path: Path) -> None:
    finding = only(run(tmp_path, [("Classifier", "Private :: Do Not Upload")]),
                   "invalid-classifier")
    assert "PyPI refuses it on purpose" in finding.message
    assert "blocked as intended" in finding.message
    assert "400 'Private :: Do Not Upload' is not a valid classifier." in finding.message
    assert (finding.severity or Severity.ERROR) is Severity.ERROR


def test_every_bad_classifier_is_listed_in_sorted_order(tmp_path: Path) -> None:
    report = run(tmp_path, [("Classifier", "Zzz :: Bad"), ("Classifier", "Aaa :: Bad"),
                            ("Classifier", "Aaa :: Bad")])
    messages = [f.message for f in found(report, "invalid-classifier")]
    assert len(messages) == 2 and "'Aaa :: Bad'" in messages[0]


# -- description-render --------------------------------------------------------------------


def test_valid_rst_readme(tmp_path: Path) -> None:
    clean(run(tmp_path, description=DEFAULT_README + "\n.. code-block:: python\n\n    x = 1\n"))


@pytest.mark.parametrize(("text", "line", "message"), [
    ("Title here\n====\n\nBody.\n", 2, "Title underline too short"),
    ("Intro.\n\n.. nosuchdirective::\n", 3, 'Unknown directive type "nosuchdirective"'),
    ("Intro.\n\n.. raw:: html\n\n   <b>x</b>\n", 3, '"raw" directive disabled'),
    ("See :ref:`x`.\n", 1, 'Unknown interpreted text role "ref"'),
    ("Some *emphasis\n", 1, "Inline emphasis start-string without end-string"),
])
def test_rst_failures_name_the_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    finding = only(run(tmp_path, description=text), "description-render")
    assert f"line {line}: {message}" in finding.message
    assert "400 The description failed to render for 'text/x-rst'." in finding.message
    assert finding.step is None or finding.step == 15


def test_rst_title_only_renders_to_nothing(tmp_path: Path) -> None:
    # readme-renderer 45.0 (PyPI's pin) promotes a lone title to the document title.
    finding = only(run(tmp_path, description="My project\n==========\n"), "description-render")
    assert "renders to nothing" in finding.message


def test_rst_default_format_message_and_markdown_hint(tmp_path: Path) -> None:
    markdown = "# Tiny\n\nA [link](https://x.org).\n\nInstallation\n=====\n\n    pip install x\n"
    finding = only(run(tmp_path, content_type=None, description=markdown), "description-render")
    assert ("400 The description failed to render in the default format of reStructuredText."
            in finding.message)
    assert "looks like Markdown" in (finding.hint or "")


def test_rst_whitespace_only_is_refused(tmp_path: Path) -> None:
    finding = only(run(tmp_path, description="   \n\n  \n"), "description-render")
    assert "renders to nothing" in finding.message


def test_markdown_whitespace_only_refused(tmp_path: Path) -> None:
    finding = only(run(tmp_path, content_type="text/markdown", description="  \n \n"),
                   "description-render")
    assert "400 The description failed to render for 'text/markdown'." in finding.message


def test_markdown_normal_accepted(tmp_path: Path) -> None:
    clean(run(tmp_path, content_type="text/markdown; variant=CommonMark",
              description="# Tiny\n\n* one\n* two\n\nTitle\n===\n"))


def test_plain_text_never_fails(tmp_path: Path) -> None:
    clean(run(tmp_path, content_type="text/plain", description="Title here\n====\n:ref:`x`\n"))
    clean(run(tmp_path, content_type="text/plain", description="   \n"))


def test_sdist_readme_checked_too(tmp_path: Path) -> None:
    finding = only(run(tmp_path, sdist=True, description="Title here\n====\n\nx\n"),
                   "description-render")
    assert finding.file == "tinyproj-1.0.0.tar.gz"


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Where each README was rendered: ``inline``, or ``child`` (prefetched or large)."""
    calls: list[str] = []
    real_inline, real_ask = readme._render_inline, ChildWorker.ask

    def inline(text: str, renderer: str) -> readme.Rendered:
        calls.append("inline")
        return real_inline(text, renderer)

    def ask(self: ChildWorker, request: Any, timeout: float) -> Any:
        calls.append("child")
        return real_ask(self, request, timeout)

    monkeypatch.setattr(readme, "_render_inline", inline)
    monkeypatch.setattr(ChildWorker, "ask", ask)
    return calls


def test_wheel_and_sdist_render_once(tmp_path: Path, renders: list[str]) -> None:
    report = check([make_wheel(tmp_path), make_sdist(tmp_path)], offline=True,
                   select=["metadata"])
    clean(report)
    # Two files: the README goes to the render child as soon as the first is read.
    assert renders == ["child"]


def test_a_single_file_renders_in_process(tmp_path: Path, renders: list[str]) -> None:
    clean(check([make_wheel(tmp_path)], offline=True, select=["metadata"]))
    assert renders == ["inline"]  # nothing else to read meanwhile: no child to start


def test_an_ignored_render_rule_prefetches_nothing(tmp_path: Path,
                                                   renders: list[str]) -> None:
    check([make_wheel(tmp_path), make_sdist(tmp_path)], offline=True,
          ignore=["description-render"])
    assert renders == []


def test_a_prefetched_failure_is_reported_for_each_file(tmp_path: Path,
                                                       renders: list[str]) -> None:
    text = metadata_text("tinyproj", "1.0.0", description="Fine.\n\nTitle here\n====\n\nx\n")
    report = check([make_wheel(tmp_path, metadata=text), make_sdist(tmp_path, metadata=text)],
                   offline=True, select=["metadata"])
    findings = [f for f in report.findings if f.rule == "description-render"]
    assert [f.file for f in findings] == ["tinyproj-1.0.0-py3-none-any.whl",
                                          "tinyproj-1.0.0.tar.gz"]
    assert all("line 4" in f.message and "Title underline too short" in f.message
               for f in findings)
    assert renders == ["child"]


def test_pathological_readme_hits_the_time_guard(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(readme.TIMEOUT_ENV, "0.3")
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "1024")
    para = "Some *emphasis*, ``code`` and a `link <https://example.com/x>`_ here.\n\n"
    big = "Title\n=====\n\n" + para * (400 * 1024 // len(para))  # ~2 s of docutils
    start = time.perf_counter()
    report = run(tmp_path, description=big)
    elapsed = time.perf_counter() - start
    finding = only(report, "description-render")
    assert finding.severity is Severity.WARNING
    assert "could not be rendered within 0.3 s" in finding.message
    assert "not verified" in finding.message
    assert readme.TIMEOUT_ENV in (finding.hint or "")
    assert elapsed < 1.5
    assert report.ok  # a warning, not an error


def test_large_readme_is_rendered_in_a_child(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(readme.INLINE_LIMIT_ENV, "0")
    finding = only(run(tmp_path, description="Intro.\n\n.. raw:: html\n\n   x\n"),
                   "description-render")
    assert 'line 3: "raw" directive disabled' in finding.message
    readme.clear_cache()
    clean(run(tmp_path))


def test_renderer_crash_is_a_warning(tmp_path: Path) -> None:
    nested = "".join("  " * i + "x\n\n" for i in range(200))  # RecursionError in docutils
    finding = only(run(tmp_path, description=nested), "description-render")
    assert finding.severity is Severity.WARNING
    assert "RecursionError" in finding.message


def test_markdown_without_comrak_is_skipped(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readme, "markdown_available", lambda: False)
    report = run(tmp_path, content_type="text/markdown", description="  \n")
    clean(report)
    reasons = [s.reason for s in report.skipped if s.rule == "description-render"]
    assert reasons and "comrak" in reasons[0]


def test_invalid_content_type_is_not_rendered(tmp_path: Path) -> None:
    report = run(tmp_path, content_type="text/html", description="   \n")
    assert [f.rule for f in report.findings] == ["invalid-metadata"]
