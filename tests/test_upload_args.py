"""How `upload` splits the command line between twine and preupload-guard."""

from __future__ import annotations

import pytest

from preupload_guard.cli.upload import build_parser
from preupload_guard.integrations.twine import target_options as _target_options
from preupload_guard.integrations.twine import twine_options


@pytest.mark.parametrize("argv, tokens, given", [
    (["dist/*"], [], set()),
    (["-r", "testpypi", "dist/*"], ["-r", "testpypi"], {"repository"}),
    (["dist/a.whl", "dist/b.tar.gz", "--repository-url", "http://x/"],
     ["--repository-url", "http://x/"], {"repository_url"}),
    (["--password=pypi-abc", "-uuser", "--skip-existing", "f.whl"],
     ["--password=pypi-abc", "-uuser", "--skip-existing"], {"password", "username",
                                                             "skip_existing"}),
    (["--guard-upload-limit", "300 MiB", "--guard-offline", "-s", "--guard-format=json",
      "--sign-with", "gpg2", "f.whl"], ["-s", "--sign-with", "gpg2"], {"sign", "sign_with"}),
    (["--guard-plugin", "no:x", "--verbose", "--", "-odd-name.whl"], ["--verbose"],
     {"verbose"}),
])
def test_twine_options_are_kept_as_typed(argv: list[str], tokens: list[str],
                                         given: set[str]) -> None:
    parser = build_parser()
    parser.parse_args(argv)  # valid for the real parser
    split = twine_options(parser, argv)
    assert split.tokens == tokens
    assert split.given == given


def test_guard_options_reach_the_namespace() -> None:
    args = build_parser().parse_args(
        ["--guard-upload-limit", "300 MiB", "--guard-select", "size", "--guard-plugin",
         "no:x", "-p", "secret", "f.whl"])
    assert args.upload_limit == "300 MiB"
    assert args.select == ["size"]
    assert args.plugin_blocks == ["no:x"]
    assert args.password == "secret"  # twine's -p, not ours
    assert args.dists == ["f.whl"]


def test_abbreviations_are_refused() -> None:
    """`--skip` could be twine's --skip-existing today and something else tomorrow."""
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--skip", "f.whl"])


def test_table_target_is_passed_to_twine_only_when_nothing_else_names_one() -> None:
    table = {"repository": "testpypi"}
    parser = build_parser()
    plain = twine_options(parser, ["f.whl"])
    assert _target_options(plain, table, {}) == ["--repository", "testpypi"]
    assert _target_options(plain, {"repository-url": "http://x/"}, {}) == [
        "--repository-url", "http://x/"]
    assert _target_options(plain, table, {"TWINE_REPOSITORY": "pypi"}) == []
    named = twine_options(parser, ["-r", "pypi", "f.whl"])
    assert _target_options(named, table, {}) == []
    assert _target_options(plain, {}, {}) == []
