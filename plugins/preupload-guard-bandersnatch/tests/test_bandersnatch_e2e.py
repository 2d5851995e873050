"""End to end with real bandersnatch: mirror the fixture index, delete a file upstream, check.

bandersnatch (``pip install bandersnatch``) mirrors ``demo`` from the fixture index on
127.0.0.1 through the PEP 691 simple API (``api-method = simple``, so no XML-RPC) and the
JSON API, downloading both files. Then one file is deleted on the index: only the mirror
still knows its name, and ``check`` must report ``filename-reused`` for a rebuilt file of
that name.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from preupload_guard.testing import FixtureFile, FixtureProject, IndexScenario

import preupload_guard_bandersnatch as plugin

WHEN = datetime(2026, 1, 1, tzinfo=timezone.utc)
SDIST = "demo-1.0.tar.gz"
WHEEL = "demo-1.0-py3-none-any.whl"


def bandersnatch() -> list[str]:
    exe = shutil.which("bandersnatch") or str(Path(sys.executable).with_name("bandersnatch"))
    if not Path(exe).exists():
        pytest.skip("bandersnatch is not installed (pip install bandersnatch)")
    return [exe]


def write_conf(tmp_path: Path, master: str) -> Path:
    conf = tmp_path / "bandersnatch.conf"
    conf.write_text(f"""\
[mirror]
directory = {tmp_path / "mirror"}
master = {master.rstrip("/")}
allow-non-https = true
api-method = simple
json = true
workers = 1
timeout = 10
global-timeout = 30
hash-index = false
stop-on-error = true
storage-backend = filesystem

[plugins]
enabled =
    allowlist_project

[allowlist]
packages =
    demo
""")
    return conf


@pytest.fixture
def mirrored(tmp_path, guard_index):
    files = [FixtureFile(SDIST, upload_time=WHEN), FixtureFile(WHEEL, upload_time=WHEN)]
    index = guard_index(IndexScenario(projects=[FixtureProject("demo", files=files)]))
    conf = write_conf(tmp_path, index.url)
    done = subprocess.run([*bandersnatch(), "--config", str(conf), "mirror"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    mirror = tmp_path / "mirror"
    assert sorted(p.name for p in (mirror / "web" / "packages").rglob("*") if p.is_file()) \
        == sorted([SDIST, WHEEL])
    # The sdist is deleted upstream: the index no longer lists it anywhere.
    index.scenario = IndexScenario(projects=[FixtureProject("demo", files=[files[1]])])
    return index, mirror


def check(guard_dists, guard_check, index, mirror: Path, version: str):
    dist = guard_dists.sdist("demo", version)
    return guard_check(dist, index=index, plugins={"bandersnatch": plugin}, autoload=False,
                       config={"plugins": {"bandersnatch": {"mirror": str(mirror)}}})


def test_a_filename_deleted_upstream_is_reused(mirrored, guard_dists, guard_check) -> None:
    index, mirror = mirrored
    result = check(guard_dists, guard_check, index, mirror, "1.0")
    assert "filename-reused" in result.rules, result.text
    assert not result.plugin_errors
    assert not [r for r in result.rules if r.startswith("bandersnatch/")], result.text
    assert result.exit_code == 1


def test_the_finding_cites_the_mirror(mirrored, guard_dists, guard_check) -> None:
    """Needs the core to accept (filename, source) pairs from history sources."""
    index, mirror = mirrored
    message = check(guard_dists, guard_check, index, mirror, "1.0").finding(
        "filename-reused").message
    assert "bandersnatch mirror" in message and str(mirror) in message


def test_a_new_filename_is_not_reused(mirrored, guard_dists, guard_check) -> None:
    index, mirror = mirrored
    result = check(guard_dists, guard_check, index, mirror, "1.1")
    assert "filename-reused" not in result.rules
    assert not result.plugin_errors
