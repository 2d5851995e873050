"""Make ``broken-dist/``: copies of ``dist/`` that PyPI would refuse, for the README demo.

Run from this directory: ``python make_broken_dist.py``. Each file shows one refusal:
a wheel tagged ``linux_x86_64`` (PyPI accepts only manylinux/musllinux Linux tags), an sdist
whose name is not PEP 625-normalized, and a wheel whose metadata carries a local version.
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
SOURCE = HERE / "dist"
TARGET = HERE / "broken-dist"


def main() -> None:
    TARGET.mkdir(exist_ok=True)
    wheel = SOURCE / "sample_greeter-0.1.0-py3-none-any.whl"
    shutil.copy(wheel, TARGET / "sample_greeter-0.1.0-cp312-cp312-linux_x86_64.whl")
    shutil.copy(SOURCE / "sample_greeter-0.1.0.tar.gz", TARGET / "Sample-Greeter-0.1.0.tar.gz")
    local = TARGET / "sample_greeter-0.1.0+local-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as src, zipfile.ZipFile(local, "w", zipfile.ZIP_DEFLATED) as dst:
        # Rebuilt as a backend would for a local version: the dist-info is renamed too.
        old, new = "sample_greeter-0.1.0.dist-info/", "sample_greeter-0.1.0+local.dist-info/"
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith("METADATA"):
                data = data.replace(b"Version: 0.1.0", b"Version: 0.1.0+local", 1)
            if info.filename.endswith("RECORD"):
                data = data.replace(old.encode(), new.encode())
            dst.writestr(info.filename.replace(old, new, 1), data)


if __name__ == "__main__":
    main()
