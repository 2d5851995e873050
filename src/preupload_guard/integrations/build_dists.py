"""Building with ``build`` and reading the artifact report ``python -m build --report`` writes.

``preupload-guard build`` runs ``python -m build`` as a child process rather than calling
``build.ProjectBuilder``: the command line builds the sdist and then the wheel *from that
sdist* (which is what catches files missing from the sdist), prints the messages users know,
and handles isolation, config settings and errors exactly as users expect from it. To know
precisely which files this build produced (``dist/`` usually holds older ones too), it builds
into a fresh directory next to the output directory and then moves the results in.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from preupload_guard.integrations import run_wrapped
from preupload_guard.model.settings import ConfigError

#: Build reports larger than this are not artifact lists (build writes ~200 bytes per file).
MAX_REPORT_BYTES = 4 * 1024 * 1024


class BuildFailed(Exception):
    """``python -m build`` exited with a non-zero status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"python -m build failed (exit status {status})")
        self.status = status


@dataclass(frozen=True)
class ReportedArtifact:
    """One entry of a build report: what build says it wrote."""

    name: str
    path: Path
    size: int | None
    sha256: str | None


def read_build_report(path: Path) -> list[ReportedArtifact]:
    """Parse the JSON report of ``python -m build --report PATH`` (version 1.x).

    Shape: ``{"version": "1.0", "artifacts": [{"name", "path", "kind", "size",
    "hashes": {"sha256"}}]}``. A relative ``path`` is taken relative to the working
    directory build ran in; when no file is there, the file of that name next to the report
    is used (the report is often moved with the files, e.g. between CI jobs).
    """
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read the build report {path}: {exc}") from None
    if len(raw) > MAX_REPORT_BYTES:
        raise ConfigError(f"{path} is not a build report (larger than 4 MiB)")
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{path} is not a build report: invalid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("artifacts"), list):
        raise ConfigError(f"{path} is not a build report: no 'artifacts' list")
    version = str(data.get("version", ""))
    if version.split(".")[0] != "1":
        raise ConfigError(f"{path}: build report version {version or '(none)'} is not "
                          "supported (version 1.x is)")
    out: list[ReportedArtifact] = []
    for entry in data["artifacts"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise ConfigError(f"{path}: an artifact entry has no 'name'")
        name = entry["name"]
        if Path(name).name != name or name in ("", ".", ".."):
            raise ConfigError(f"{path}: artifact name {name!r} is not a plain filename")
        given = Path(str(entry.get("path") or name))
        candidate = given if given.exists() else path.parent / name
        hashes = entry.get("hashes")
        sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
        size = entry.get("size")
        out.append(ReportedArtifact(
            name=name,
            path=candidate,
            size=size if isinstance(size, int) and not isinstance(size, bool) else None,
            sha256=sha256.lower() if isinstance(sha256, str) else None,
        ))
    if not out:
        raise ConfigError(f"{path}: the build report lists no artifacts")
    return out


def report_mismatches(
    reported: Sequence[ReportedArtifact], actual: dict[str, tuple[int, str | None]]
) -> list[str]:
    """Files that changed since build reported them (``actual``: name -> (size, sha256))."""
    problems = []
    for entry in reported:
        size, digest = actual.get(entry.name, (None, None))
        if entry.size is not None and size is not None and size != entry.size:
            problems.append(f"{entry.name}: {size} bytes, but the build report says "
                            f"{entry.size}")
        elif entry.sha256 and digest and digest != entry.sha256:
            problems.append(f"{entry.name}: sha256 {digest}, but the build report says "
                            f"{entry.sha256}")
    return problems


def build_dists(
    srcdir: Path, outdir: Path, *, isolation: bool = True, report_format: str = "text"
) -> list[Path]:
    """Build the sdist and the wheel of ``srcdir`` into ``outdir``; return their paths.

    Files of the same name already in ``outdir`` are replaced, as ``python -m build`` does.
    ``report_format`` is the format of our report on stdout: when it is machine-readable,
    build's output goes to stderr (see :func:`~preupload_guard.integrations.run_wrapped`).
    Raises :class:`BuildFailed` or :class:`ConfigError`.
    """
    if not srcdir.is_dir():
        raise ConfigError(f"source directory not found: {srcdir}")
    if not ((srcdir / "pyproject.toml").is_file() or (srcdir / "setup.py").is_file()):
        raise ConfigError(f"{srcdir} has no pyproject.toml or setup.py: not a project to build")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".preupload-guard-build-", dir=outdir))
    except OSError as exc:
        raise ConfigError(f"cannot create the output directory {outdir}: {exc}") from None
    try:
        command = [sys.executable, "-m", "build", str(srcdir), "--outdir", str(staging)]
        if not isolation:
            command.append("--no-isolation")
        status = run_wrapped(command, report_format, "python -m build")
        if status != 0:
            raise BuildFailed(status)
        built = sorted(staging.iterdir(), key=lambda p: (p.name.endswith(".whl"), p.name))
        results = []
        for path in built:
            target = outdir / path.name
            os.replace(path, target)
            results.append(target)
        return results
    finally:
        shutil.rmtree(staging, ignore_errors=True)
