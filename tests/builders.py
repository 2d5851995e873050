"""Build real wheels and sdists in temp dirs for the tests, good ones and broken ones.

Written with :mod:`zipfile` and :mod:`tarfile` (fast, and the only way to make the broken
archives the rules are about). Every knob defaults to a valid artifact, so a test changes
exactly the one thing it is about.
"""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

DEFAULT_README = "A tiny project\n==============\n\nIt does very little, well.\n"


def metadata_text(
    name: str = "tinyproj",
    version: str = "1.0.0",
    *,
    metadata_version: str = "2.4",
    summary: str | None = "A tiny project",
    description: str | None = DEFAULT_README,
    content_type: str | None = "text/x-rst",
    extra_headers: Sequence[tuple[str, str]] = (),
) -> str:
    """Core metadata (METADATA / PKG-INFO) text, email-header style."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if summary is not None:
        lines.append(f"Summary: {summary}")
    for key, value in extra_headers:
        lines.append(f"{key}: {value}")
    if content_type is not None and description is not None:
        lines.append(f"Description-Content-Type: {content_type}")
    text = "\n".join(lines) + "\n"
    if description is not None:
        text += "\n" + description
    return text


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_filename(name: str, version: str, tag: str = "py3-none-any", build: str = "") -> str:
    norm = name.lower().replace("-", "_").replace(".", "_")
    return f"{norm}-{version}-{build + '-' if build else ''}{tag}.whl"


def make_wheel(
    directory: Path,
    name: str = "tinyproj",
    version: str = "1.0.0",
    *,
    filename: str | None = None,
    tag: str = "py3-none-any",
    metadata: str | None = None,
    files: Mapping[str, bytes] | None = None,
    dist_info: str | None = None,
    omit: Sequence[str] = (),
    extra_dist_info: Mapping[str, bytes] | None = None,
    record: bytes | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    padding: int = 0,
) -> Path:
    """A wheel; ``omit`` drops dist-info files by name (``"WHEEL"``, ``"RECORD"``, ...).

    ``padding`` adds an incompressible (stored) member of that many bytes, to make a file
    of a chosen size without spending time on compression.
    """
    norm = name.lower().replace("-", "_").replace(".", "_")
    filename = filename or wheel_filename(name, version, tag)
    dist_info = dist_info or f"{norm}-{version}.dist-info"
    members: dict[str, bytes] = dict(
        files if files is not None else {f"{norm}/__init__.py": b"__version__ = '1'\n"}
    )
    meta = metadata if metadata is not None else metadata_text(name, version)
    info: dict[str, bytes] = {
        "METADATA": meta.encode("utf-8"),
        "WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: builders\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode(),
    }
    info.update(extra_dist_info or {})
    for key in omit:
        info.pop(key, None)
    for key, data in info.items():
        members[f"{dist_info}/{key}"] = data
    # With padding everything is stored, so the size grows predictably with the padding.
    stored = set(members) | {f"{norm}/padding.bin", f"{dist_info}/RECORD"} if padding else set()
    if padding:
        members[f"{norm}/padding.bin"] = _incompressible(padding)
    if "RECORD" not in omit:
        if record is None:
            lines = [_record_line(p, d) for p, d in members.items()]
            lines.append(f"{dist_info}/RECORD,,")
            record = ("\n".join(lines) + "\n").encode()
        members[f"{dist_info}/RECORD"] = record
    path = Path(directory) / filename
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for member, data in members.items():
            zf.writestr(zipfile.ZipInfo(member, date_time=(2026, 1, 1, 0, 0, 0)), data,
                        compress_type=zipfile.ZIP_STORED if member in stored else compression)
    return path


def _incompressible(size: int) -> bytes:
    """Bytes that deflate barely shrinks (a repeated 64 KiB pseudo-random block)."""
    block = b"".join(hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(2048))
    return (block * (size // len(block) + 1))[:size]


def make_wheel_of_size(directory: Path, size: int, name: str = "tinyproj",
                       version: str = "1.0.0", **kwargs: object) -> Path:
    """A valid wheel of exactly ``size`` bytes (grown with a stored padding member).

    RECORD lists the padding (deflated), so the overhead shifts a little with the padding's
    size: converge in a few rounds.
    """
    padding = max(1, size - 4096)
    for _ in range(20):
        path = make_wheel(directory, name, version, padding=padding,
                          **kwargs)  # type: ignore[arg-type]
        actual = path.stat().st_size
        if actual == size:
            return path
        padding += size - actual
    raise AssertionError(f"could not build a wheel of exactly {size} bytes")


def make_sdist(
    directory: Path,
    name: str = "tinyproj",
    version: str = "1.0.0",
    *,
    filename: str | None = None,
    top: str | None = None,
    metadata: str | None = None,
    files: Mapping[str, bytes] | None = None,
    pkg_info: bool = True,
    fmt: str = "gz",
) -> Path:
    """A tar sdist (``fmt``: ``gz``, ``bz2``, ``xz`` or ``""`` for uncompressed)."""
    norm = name.lower().replace("-", "_").replace(".", "_")
    filename = filename or f"{norm}-{version}.tar.gz"
    top = top if top is not None else f"{norm}-{version}"
    members: dict[str, bytes] = {}
    if pkg_info:
        members["PKG-INFO"] = (metadata if metadata is not None
                               else metadata_text(name, version)).encode("utf-8")
    members.update(files if files is not None else {
        "pyproject.toml": b"[project]\nname = 'x'\n",
        f"src/{norm}/__init__.py": b"",
    })
    path = Path(directory) / filename
    mode = f"w:{fmt}" if fmt else "w"
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for member, data in members.items():
            info = tarfile.TarInfo(f"{top}/{member}" if top else member)
            info.size = len(data)
            info.mtime = int(time.time())
            tf.addfile(info, io.BytesIO(data))
    return path


def make_zip_sdist(directory: Path, name: str = "tinyproj", version: str = "1.0.0",
                   *, metadata: str | None = None) -> Path:
    norm = name.lower().replace("-", "_").replace(".", "_")
    top = f"{norm}-{version}"
    path = Path(directory) / f"{top}.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/PKG-INFO", metadata if metadata is not None
                    else metadata_text(name, version))
        zf.writestr(f"{top}/pyproject.toml", "[project]\nname = 'x'\n")
    return path


def sized_file(path: Path, size: int) -> Path:
    """A sparse file of exactly ``size`` bytes (fast, uses no disk), not an archive."""
    with open(path, "wb") as fh:
        fh.truncate(size)
    return path
