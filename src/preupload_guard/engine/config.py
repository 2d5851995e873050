"""One frozen :class:`Settings` from ``[tool.preupload-guard]`` and the command line.

The command line wins over the pyproject table, which wins over the defaults. Everything a
run needs to know is resolved here, once, including the index URLs derived from twine's
repository configuration, so that no other module reads the environment or config files.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from preupload_guard.model.findings import Severity

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from preupload_guard.model.settings import (
    FORMATS,
    READERS,
    UPLOAD_LIMIT_CAP,
    ConfigError,
    IndexTarget,
    Settings,
    format_size,
    parse_size,
    scrub_credentials,  # noqa: F401  (re-exported)
)

# Keys accepted in [tool.preupload-guard]; the command line uses the same names.
_CONFIG_KEYS = {
    "repository",
    "repository-url",
    "config-file",
    "index-url",
    "json-api-url",
    "upload-limit",
    "project-limit",
    "history",
    "offline",
    "select",
    "ignore",
    "severity",
    "format",
    "output",
    "cache-dir",
    "timeout",
    "jobs",
    "readers",
    "plugins",
}


def read_pyproject(path: Path) -> dict[str, Any]:
    """Return the ``[tool.preupload-guard]`` table of ``path`` (empty if absent)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    return validate_table(data.get("tool", {}).get("preupload-guard", {}), str(path))


def validate_table(table: Any, source: str) -> dict[str, Any]:
    """Check that ``table`` is a ``[tool.preupload-guard]`` table with known keys only."""
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: [tool.preupload-guard] must be a table")
    unknown = sorted(set(table) - _CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown key(s) in [tool.preupload-guard]: {', '.join(unknown)} "
            f"(known: {', '.join(sorted(_CONFIG_KEYS))})"
        )
    return table


def _as_list(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        items = [v for v in re.split(r"[,\s]+", value) if v]
    elif isinstance(value, (list, tuple)):
        items = []
        for v in value:
            if not isinstance(v, str):
                raise ConfigError(f"{key}: expected strings, got {v!r}")
            items.extend(x for x in re.split(r"[,\s]+", v) if x)
    else:
        raise ConfigError(f"{key}: expected a list of rule ids or families, got {value!r}")
    return tuple(items)


def shared_ledger_url(url: str) -> str:
    """``history`` as a URL: http(s) with a host, kept as written (it names a file)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"history: expected a file path or an http(s) URL, got "
                          f"{display_url(url)!r}")
    return url


def display_url(url: str) -> str:
    """``url`` without its credentials (``user:token@``), for every message and report."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"***@{host}", parts.path, parts.query, ""))


def _check_url(url: str, what: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{what} must be an http(s) URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def derive_index_target(
    upload_url: str, repository: str | None = None
) -> IndexTarget:
    """Derive the index to compare against from an upload URL.

    Warehouse-style upload endpoints end in ``/legacy/``: ``https://upload.<host>/legacy/``
    implies the simple API ``https://<host>/simple/`` and the JSON API
    ``https://<host>/pypi/``; a host without the ``upload.`` prefix keeps its name. Other
    servers (pypiserver and the like) accept uploads at their root and serve
    ``<root>/simple/``; they have no JSON API. ``--index-url`` overrides the guess.
    """
    parts = urlsplit(upload_url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if path.endswith("/legacy/"):
        host = parts.netloc
        if host.startswith("upload."):
            host = host[len("upload.") :]
        base = path[: -len("legacy/")]
        index = urlunsplit((parts.scheme, host, base + "simple/", "", ""))
        json_api = urlunsplit((parts.scheme, host, base + "pypi/", "", ""))
        return IndexTarget(index, json_api, upload_url, repository)
    index = urlunsplit((parts.scheme, parts.netloc, path + "simple/", "", ""))
    return IndexTarget(index, None, upload_url, repository)


#: What twine answers for these repositories when its default ``~/.pypirc`` does not exist
#: (``twine.utils.get_config``: DEFAULT_REPOSITORY and TEST_REPOSITORY; tests/test_startup.py
#: holds them equal to twine's). Importing twine.utils costs ~100 ms (it imports requests),
#: more than an offline check of a small wheel takes, so the common case is answered here.
TWINE_DEFAULT_CONFIG_FILE = "~/.pypirc"
TWINE_DEFAULT_REPOSITORIES = {
    "pypi": "https://upload.pypi.org/legacy/",
    "testpypi": "https://test.pypi.org/legacy/",
}


def _twine_default(repository: str, repository_url: str | None, config_file: str) -> str | None:
    """twine's upload URL for ``repository`` when no ``.pypirc`` can change it, else None
    (twine must be asked: a URL to validate, a config file to read, an unknown name)."""
    if repository_url or config_file != TWINE_DEFAULT_CONFIG_FILE:
        return None
    if os.path.lexists(os.path.realpath(os.path.expanduser(config_file))):
        return None
    return TWINE_DEFAULT_REPOSITORIES.get(repository)


def resolve_repository(
    repository: str | None, repository_url: str | None, config_file: str
) -> IndexTarget:
    """Resolve the upload target exactly as twine does (``.pypirc``, its defaults)."""
    default = _twine_default(repository or "pypi", repository_url, config_file)
    if default is not None:
        return derive_index_target(default, repository)

    from twine import exceptions as twine_exceptions
    from twine import utils as twine_utils

    try:
        config = twine_utils.get_repository_from_config(
            config_file, repository or "pypi", repository_url
        )
    except (twine_exceptions.TwineException, OSError) as exc:
        raise ConfigError(f"cannot resolve the repository: {exc}") from None
    upload_url = str(config["repository"])
    return derive_index_target(upload_url, repository if not repository_url else None)


def ledger_key(repository: str | None, index_url: str | None) -> str:
    """A short, file-name-safe name for an index: the repository name, else its host."""
    if repository:
        raw = repository
    else:
        parts = urlsplit(index_url or "")
        raw = parts.netloc or "offline"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", raw).strip("-.") or "index"


def _per_index_ledger(
    path: Path, table: Mapping[str, Any], config_file: str, index_url: str | None,
    key: str,
) -> Path:
    """The configured ledger belongs to the project's own target index; others get a sibling.

    PyPI and TestPyPI (or any two indexes) have separate filename histories: a file uploaded
    to TestPyPI must not make the same filename look "reused" on PyPI. So ``history = PATH``
    in the pyproject table names the ledger of the index the table itself targets
    (``repository``/``repository-url``/``index-url`` there, else twine's default); a run
    against any other index uses ``PATH.<repository name or host>`` next to it.
    """
    try:
        if table.get("index-url"):
            default_index: str | None = _check_url(str(table["index-url"]), "index-url")
        else:
            default_index = resolve_repository(
                table.get("repository"), table.get("repository-url"), config_file
            ).index_url
    except ConfigError:
        default_index = None
    if default_index is None or default_index == index_url:
        return path
    return path.with_name(f"{path.name}.{key}")


def load_settings(
    cli: Mapping[str, Any],
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
    project_dir: Path | None = None,
    table: Mapping[str, Any] | None = None,
) -> Settings:
    """Merge the command line (``cli``; ``None`` means "not given") over the pyproject table.

    ``cli`` uses the config key names with ``_`` for ``-``. The table is read from
    ``project_dir/pyproject.toml`` (default: the working directory), and paths in it are
    relative to that directory; paths on the command line are relative to ``cwd``.
    ``table`` stands in for the pyproject table when given (the testing kit's ``config=``);
    it is validated the same way. Raises :class:`ConfigError`.
    """
    cwd = cwd or Path.cwd()
    project_dir = project_dir or cwd
    env = os.environ if environ is None else environ
    config_path = project_dir / "pyproject.toml"
    if table is None:
        table = read_pyproject(config_path)
    else:
        table = validate_table(dict(table), "config")

    def given(key: str) -> bool:
        value = cli.get(key.replace("-", "_"))
        return not (value is None or value == () or value == [])

    def pick(key: str) -> Any:
        return cli.get(key.replace("-", "_")) if given(key) else table.get(key)

    def rel(key: str) -> Path | None:
        value = pick(key)
        if value is None:
            return None
        path = Path(os.path.expanduser(str(value)))
        # Paths from the pyproject table are relative to it; CLI paths to the cwd.
        return path if path.is_absolute() else ((cwd if given(key) else project_dir) / path)

    # Sizes
    upload_limit = pick("upload-limit")
    upload_limit = parse_size(upload_limit) if upload_limit is not None else None
    if upload_limit is not None and upload_limit > UPLOAD_LIMIT_CAP:
        raise ConfigError(
            f"upload-limit {format_size(upload_limit)} is above 1 GiB: PyPI never grants "
            "a per-file limit above 1 GiB (UPLOAD_LIMIT_CAP)"
        )
    project_limit = pick("project-limit")
    project_limit = parse_size(project_limit) if project_limit is not None else None

    # Severity overrides: CLI gives "rule=level" strings, the table a mapping.
    severity: dict[str, Severity] = {}
    sev_table = table.get("severity", {})
    if not isinstance(sev_table, dict):
        raise ConfigError("[tool.preupload-guard.severity] must be a table of rule = level")
    for rule, level in {**sev_table, **dict(cli.get("severity") or {})}.items():
        try:
            severity[str(rule)] = Severity.parse(str(level))
        except ValueError as exc:
            raise ConfigError(f"severity for {rule}: {exc}") from None

    fmt = pick("format") or "text"
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: choose one of {', '.join(FORMATS)}")

    timeout = pick("timeout")
    try:
        timeout = float(timeout) if timeout is not None else 30.0
    except (TypeError, ValueError):
        raise ConfigError(f"timeout must be a number of seconds, got {timeout!r}") from None
    if timeout <= 0:
        raise ConfigError("timeout must be positive")

    jobs = pick("jobs")
    if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1):
        try:
            jobs = int(str(jobs))
        except ValueError:
            jobs = 0
        if jobs < 1:
            raise ConfigError(f"jobs must be a whole number of files at once (1 or more), "
                              f"got {pick('jobs')!r}")

    readers = pick("readers") or "auto"
    if readers not in READERS:
        raise ConfigError(f"readers must be {', '.join(READERS[:-1])} or {READERS[-1]}, "
                          f"got {readers!r}")

    plugins = table.get("plugins", {})
    if not isinstance(plugins, dict) or not all(isinstance(v, dict) for v in plugins.values()):
        raise ConfigError("[tool.preupload-guard.plugins.NAME] must be tables")

    offline = bool(pick("offline") or False)
    # The target: command line, then twine's own variables (they decide where twine uploads),
    # then the table.
    env_repository = env.get("TWINE_REPOSITORY") or None
    env_repository_url = env.get("TWINE_REPOSITORY_URL") or None
    if given("repository") or given("repository-url"):
        repository, repository_url = cli.get("repository"), cli.get("repository_url")
    elif env_repository or env_repository_url:
        repository, repository_url = env_repository, env_repository_url
    else:
        repository, repository_url = table.get("repository"), table.get("repository-url")
    config_file = str(pick("config-file") or TWINE_DEFAULT_CONFIG_FILE)
    index_url = pick("index-url")
    json_api_url = pick("json-api-url")

    upload_url = None
    if index_url:
        index_url = _check_url(str(index_url), "index-url")
    if json_api_url:
        json_api_url = _check_url(str(json_api_url), "json-api-url")
    if not index_url:
        target = resolve_repository(repository, repository_url, config_file)
        index_url = target.index_url
        json_api_url = json_api_url or target.json_api_url
        upload_url = target.upload_url
    elif repository or repository_url:
        upload_url = resolve_repository(repository, repository_url, config_file).upload_url

    # ``history`` is a path, or the URL of a shared (read-only) ledger; a shared ledger is
    # read in addition to the local per-index ledger, which still records this run.
    history_url = None
    raw_history = pick("history")
    if isinstance(raw_history, str) and raw_history.lower().startswith(("http://", "https://")):
        history_url = shared_ledger_url(raw_history)
        history = None
    else:
        history = rel("history")
    if history is not None and not given("history"):
        key = ledger_key(repository if not repository_url else None, index_url)
        history = _per_index_ledger(history, table, config_file, index_url, key)

    return Settings(
        paths=tuple(cli.get("paths") or ()),
        repository=repository,
        repository_url=repository_url,
        config_file=config_file,
        index_url=index_url,
        json_api_url=json_api_url,
        upload_url=upload_url,
        upload_limit=upload_limit,
        project_limit=project_limit,
        history=history,
        history_url=history_url,
        offline=offline,
        select=_as_list(pick("select"), "select"),
        ignore=_as_list(pick("ignore"), "ignore"),
        severity=severity,
        format=fmt,
        output=rel("output"),
        cache_dir=rel("cache-dir"),
        timeout=timeout,
        jobs=jobs,
        readers=readers,
        progress=bool(cli.get("progress", True)),
        plugin_settings={str(k): dict(v) for k, v in plugins.items()},
        config_path=config_path if table else None,
    )


def split_rule_list(values: Sequence[str] | None) -> tuple[str, ...]:
    """``--select a,b --select c`` -> ``("a", "b", "c")``."""
    return _as_list(list(values or ()), "select/ignore")
