"""Where preupload-guard meets the tools around it: twine and build."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence

from preupload_guard.model.settings import ConfigError

#: Report formats meant for programs: when one of them goes to stdout, a wrapped tool's
#: own output must not be mixed into it.
MACHINE_FORMATS = frozenset({"json", "sarif", "markdown"})


def say(message: str) -> None:
    """One line to stderr, prefixed like every other message of the tool: what ``upload``,
    ``build`` and the hooks tell the user while stdout may carry a machine-read report."""
    print(f"preupload-guard: {message}", file=sys.stderr, flush=True)


def run_wrapped(command: Sequence[str], report_format: str | None, what: str) -> int:
    """Run twine or build as a child process and return its exit status.

    Its stdout goes to our stderr when our stdout carries a machine-readable report
    (``report_format`` in :data:`MACHINE_FORMATS`), else to our stdout. A child that cannot
    be started at all is a :class:`ConfigError` naming ``what``.
    """
    stdout = None
    if (report_format or "text") in MACHINE_FORMATS:
        try:
            stdout = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            stdout = subprocess.DEVNULL
    try:
        return subprocess.run(list(command), stdout=stdout, check=False).returncode
    except OSError as exc:
        raise ConfigError(f"cannot run {what}: {exc}") from None
