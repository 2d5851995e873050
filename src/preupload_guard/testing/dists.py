"""Build real wheels and sdists for tests, good ones and deliberately broken ones.

Written with :mod:`zipfile` and :mod:`tarfile` rather than a build backend: it is fast, and
it is the only way to make the broken archives that rules are about (a RECORD that lies, a
missing WHEEL file, a truncated zip). Every knob defaults to a valid artifact, so a test
changes exactly the one thing it is about. :class:`DistFactory` binds the functions to one
output directory; the pytest fixture ``guard_dists`` is one of those.
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
from typing import Any

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
    tamper: Mapping[str, bytes] | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    padding: int = 0,
) -> Path:
    """A wheel of ``name`` and ``version``; every argument after them breaks one thing.

    * ``files``: the members outside the dist-info directory (default: one
      ``NAME/__init__.py``).
    * ``metadata``: the METADATA text (default :func:`metadata_text`).
    * ``omit``: dist-info files to leave out by name (``"WHEEL"``, ``"RECORD"``, ...).
    * ``extra_dist_info``: more dist-info files (``entry_points.txt``, ``licenses/LICENSE``).
    * ``record``: RECORD's bytes as given instead of the computed ones.
    * ``tamper``: member contents swapped in *after* RECORD was computed, so RECORD lists
      the wrong digests and sizes for them (a member not in ``files`` is added unlisted).
    * ``padding`` adds an incompressible (stored) member of that many bytes, to make a file
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
    members.update(tamper or {})
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


def truncated(path: Path, keep: int, directory: Path | None = None) -> Path:
    """A copy of ``path`` cut after ``keep`` bytes (negative: that many bytes fewer).

    The copy keeps the file name (so the rules see a wheel or an sdist) and lands in a
    ``truncated/`` directory next to the original unless ``directory`` is given.
    """
    data = Path(path).read_bytes()
    out_dir = Path(directory) if directory is not None else Path(path).parent / "truncated"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / Path(path).name
    out.write_bytes(data[:keep])
    return out


class DistFactory:
    """The builders above, writing into one directory (created on first use).

    ``wheel()``, ``sdist()``, ``zip_sdist()``, ``wheel_of_size()`` take the same arguments as
    :func:`make_wheel`, :func:`make_sdist`, :func:`make_zip_sdist` and
    :func:`make_wheel_of_size`; ``sized()`` makes a non-archive file of exactly ``size`` bytes
    and ``truncated()`` a cut-short copy of an archive. Each returns the file's path.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _dir(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self.directory

    def wheel(self, name: str = "tinyproj", version: str = "1.0.0", **kwargs: Any) -> Path:
        return make_wheel(self._dir(), name, version, **kwargs)

    def sdist(self, name: str = "tinyproj", version: str = "1.0.0", **kwargs: Any) -> Path:
        return make_sdist(self._dir(), name, version, **kwargs)

    def zip_sdist(self, name: str = "tinyproj", version: str = "1.0.0", **kwargs: Any) -> Path:
        return make_zip_sdist(self._dir(), name, version, **kwargs)

    def wheel_of_size(self, size: int, name: str = "tinyproj", version: str = "1.0.0",
                      **kwargs: Any) -> Path:
        return make_wheel_of_size(self._dir(), size, name, version, **kwargs)

    def sized(self, filename: str, size: int) -> Path:
        return sized_file(self._dir() / filename, size)

    def truncated(self, path: Path, keep: int) -> Path:
        return truncated(path, keep, self._dir() / "truncated")
