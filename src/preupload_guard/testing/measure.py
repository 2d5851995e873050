"""Run a command in a child process and measure the child's own peak RSS and wall time.

Why not simply ``os.wait4`` on the child: on Linux a process's peak RSS (``ru_maxrss``)
starts at its parent's peak, because ``exec`` carries the old address space's high-water
mark over (``fork`` and ``vfork`` alike). A command started from a pytest worker that has
grown to 350 MiB "peaks" at 350 MiB even if it never touches more than 40 — which is how a
memory bound in a test can fail only late in a full run. So the command is started by a
small launcher (``python -I -S``, about 10 MiB), which spawns it, waits for it, and hands
back the command's exit status and peak RSS. The figure is then the command's own, plus at
most the launcher's few MiB.

The launcher also applies an address-space cap (``RLIMIT_AS``) to the command, so a bomb
meets ``MemoryError`` instead of the machine's swap, and runs in its own session, so a
timeout kills the whole process group.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO

#: Spawns argv[3:] under an optional RLIMIT_AS and writes "status maxrss_kib" to argv[2].
_LAUNCHER = """\
import os, resource, sys
cap, report, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
if cap:
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
pid = os.posix_spawnp(argv[0], argv, os.environ)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as fh:
    fh.write(f"{status} {usage.ru_maxrss}")
"""


@dataclass(frozen=True)
class Measured:
    """What a measured run ended with."""

    returncode: int
    """The exit code; ``-N`` when the command was killed by signal N (as in subprocess)."""
    seconds: float
    """Wall time from start to exit, launcher included (a few ms)."""
    peak_rss: int
    """The command's peak resident set in bytes, not counting the caller's."""


def run_measured(
    argv: Sequence[str],
    *,
    stdout: IO[bytes] | int | None = None,
    stderr: IO[bytes] | int | None = None,
    env: Mapping[str, str] | None = None,
    address_space: int | None = None,
    timeout: float | None = None,
) -> Measured:
    """Run ``argv`` (looked up on ``PATH``) and return its exit code, time and own peak RSS.

    ``address_space`` caps the command's virtual memory in bytes. Past ``timeout`` seconds
    the command's process group is killed and :class:`subprocess.TimeoutExpired` raised.
    """
    with tempfile.TemporaryDirectory(prefix="preupload-guard-measure-") as scratch:
        report = os.path.join(scratch, "status")
        launcher = [sys.executable, "-I", "-S", "-c", _LAUNCHER, str(address_space or 0),
                    report, *argv]
        start = time.monotonic()
        proc = subprocess.Popen(launcher, stdout=stdout, stderr=stderr,
                                env=None if env is None else dict(env),
                                start_new_session=True)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        seconds = time.monotonic() - start
        try:
            with open(report) as fh:
                status, maxrss = (int(part) for part in fh.read().split())
        except (OSError, ValueError) as exc:
            raise RuntimeError(
                f"the launcher ended with {proc.returncode} before reporting on {argv[0]!r}"
            ) from exc
    return Measured(os.waitstatus_to_exitcode(status), seconds, maxrss * 1024)
