"""Settings: size parsing, limits, config precedence, index URLs derived from twine config."""

from __future__ import annotations

from pathlib import Path

import pytest

from preupload_guard.engine.config import derive_index_target, load_settings
from preupload_guard.model.settings import ConfigError, format_size, parse_size


@pytest.mark.parametrize(("text", "size"), [
    ("123", 123), (123, 123), ("200MiB", 200 * 1024**2), ("1 GiB", 1024**3),
    ("500MB", 500 * 1000**2), ("1.5 KiB", 1536), ("2kb", 2000), ("10 gib", 10 * 1024**3),
])
def test_parse_size(text: str | int, size: int) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "MiB", "12 parsecs", "-1", "1e3", True])
def test_parse_size_rejects(text: object) -> None:
    with pytest.raises(ConfigError):
        parse_size(text)  # type: ignore[arg-type]


def test_format_size() -> None:
    assert format_size(100 * 1024**2) == "100 MiB"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(10) == "10 B"


def test_upload_limit_cap(tmp_path: Path) -> None:
    base = {"offline": True, "index_url": "http://127.0.0.1:1/simple/"}
    assert load_settings({**base, "upload_limit": "1 GiB"}, cwd=tmp_path).upload_limit == 1024**3
    with pytest.raises(ConfigError, match="never grants"):
        load_settings({**base, "upload_limit": "1025 MiB"}, cwd=tmp_path)


def test_warehouse_upload_url_implies_simple_and_json_api() -> None:
    target = derive_index_target("https://upload.example.org/legacy/")
    assert target.index_url == "https://example.org/simple/"
    assert target.json_api_url == "https://example.org/pypi/"
    target = derive_index_target("https://test.example.org/legacy/")
    assert target.index_url == "https://test.example.org/simple/"
    assert target.json_api_url == "https://test.example.org/pypi/"


def test_other_upload_urls_imply_a_simple_root_without_json_api() -> None:
    target = derive_index_target("http://127.0.0.1:8080/")
    assert target.index_url == "http://127.0.0.1:8080/simple/"
    assert target.json_api_url is None


def test_repository_from_pypirc(tmp_path: Path) -> None:
    pypirc = tmp_path / "pypirc"
    pypirc.write_text("[distutils]\nindex-servers = private\n\n"
                      "[private]\nrepository = https://upload.internal.example/legacy/\n")
    settings = load_settings({"repository": "private", "config_file": str(pypirc)},
                             cwd=tmp_path, environ={})
    assert settings.index_url == "https://internal.example/simple/"
    assert settings.json_api_url == "https://internal.example/pypi/"
    with pytest.raises(ConfigError, match="nowhere"):
        load_settings({"repository": "nowhere", "config_file": str(pypirc)}, cwd=tmp_path,
                      environ={})


def test_default_repository_is_twines_pypi(tmp_path: Path) -> None:
    from twine.utils import DEFAULT_REPOSITORY

    empty = tmp_path / "pypirc"
    empty.write_text("")
    settings = load_settings({"config_file": str(empty)}, cwd=tmp_path, environ={})
    assert settings.upload_url == DEFAULT_REPOSITORY
    assert settings.index_url == derive_index_target(DEFAULT_REPOSITORY).index_url


def test_twine_environment_variables(tmp_path: Path) -> None:
    settings = load_settings({}, cwd=tmp_path,
                             environ={"TWINE_REPOSITORY_URL": "http://127.0.0.1:9/"})
    assert settings.index_url == "http://127.0.0.1:9/simple/"


def test_pyproject_paths_are_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.preupload-guard]\nhistory = ".pypi-history"\nupload-limit = "300 MiB"\n'
        'index-url = "http://127.0.0.1:1/simple"\n'
        '[tool.preupload-guard.plugins.secrets]\nallow = ["tests/*"]\n'
    )
    settings = load_settings({}, cwd=tmp_path)
    assert settings.history == tmp_path / ".pypi-history"
    assert settings.upload_limit == 300 * 1024**2
    assert settings.index_url == "http://127.0.0.1:1/simple/"
    assert settings.plugin_config("secrets") == {"allow": ["tests/*"]}
    cli = load_settings({"upload_limit": "400MiB"}, cwd=tmp_path)
    assert cli.upload_limit == 400 * 1024**2


@pytest.mark.parametrize("table", [
    'format = "xml"', "timeout = -1", 'severity = "loud"',
    '[tool.preupload-guard.severity]\nx = "deafening"', 'index-url = "ftp://x/"',
])
def test_bad_config_is_a_config_error(tmp_path: Path, table: str) -> None:
    (tmp_path / "pyproject.toml").write_text(f"[tool.preupload-guard]\n{table}\n")
    with pytest.raises(ConfigError):
        load_settings({"offline": True}, cwd=tmp_path)


def test_configured_ledger_is_kept_per_index(tmp_path: Path) -> None:
    """`history = PATH` belongs to the table's own target; other indexes get PATH.<key>."""
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(
        "[distutils]\nindex-servers =\n    main\n    staging\n\n"
        "[main]\nrepository = https://upload.main.example/legacy/\n\n"
        "[staging]\nrepository = https://upload.staging.example/legacy/\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.preupload-guard]\nrepository = "main"\nhistory = ".pypi-history"\n'
        f'config-file = "{pypirc}"\n')
    ledger = tmp_path / ".pypi-history"
    assert load_settings({}, cwd=tmp_path, environ={}).history == ledger
    assert load_settings({"repository": "main"}, cwd=tmp_path, environ={}).history == ledger
    staging = load_settings({"repository": "staging"}, cwd=tmp_path, environ={})
    assert staging.history == tmp_path / ".pypi-history.staging"
    by_url = load_settings({"repository_url": "http://127.0.0.1:8080/"}, cwd=tmp_path,
                           environ={})
    assert by_url.history == tmp_path / ".pypi-history.127.0.0.1-8080"
    from_env = load_settings({}, cwd=tmp_path, environ={"TWINE_REPOSITORY": "staging"})
    # twine's variables decide where twine uploads: they win over the table.
    assert from_env.history == tmp_path / ".pypi-history.staging"
    # A ledger given on the command line is used as given, whatever the index.
    explicit = load_settings({"repository": "staging", "history": "mine.txt"}, cwd=tmp_path,
                             environ={})
    assert explicit.history == tmp_path / "mine.txt"


def test_project_dir_holds_the_table(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[tool.preupload-guard]\nhistory = ".pypi-history"\noffline = true\n'
        'upload-limit = "200 MiB"\n')
    settings = load_settings({"output": "report.json"}, cwd=tmp_path, project_dir=project)
    assert settings.history == project / ".pypi-history"
    assert settings.output == tmp_path / "report.json"
    assert settings.upload_limit == 200 * 1024**2
