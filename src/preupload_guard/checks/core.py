"""Rules of the framework itself: an unreachable index and a failing plugin.

They are declared like any other rule so that they can be listed, explained, selected and
given another severity; the runner and the plugin manager report them.
"""

from __future__ import annotations

from preupload_guard.model.findings import Rule, Severity
from preupload_guard.model.hooks import hookimpl

RULES = [
    Rule(
        id="index-unreachable",
        family="index",
        severity=Severity.ERROR,
        summary="The package index could not be asked, so index rules could not be checked",
        explanation=(
            "Size totals, filename reuse, the release window, duplicate sdists and name "
            "availability all depend on what the index already holds. When the index cannot "
            "be reached (network error, timeout, HTTP 5xx, a malformed answer), those rules "
            "did not run: that is reported as an error, never as a pass."
        ),
        fix=(
            "Check the index URL (--index-url, --repository, --repository-url) and your "
            "network or proxy, then run again. To check only what the files alone decide, "
            "pass --offline: index rules are then listed as skipped."
        ),
        needs_index=True,
    ),
    Rule(
        id="history-unavailable",
        family="index",
        severity=Severity.WARNING,
        summary="The shared filename ledger could not be read",
        explanation=(
            "`history` names a shared ledger by URL: the filenames a team has used, which "
            "PyPI refuses forever even after deletion. When it cannot be fetched (network "
            "error, timeout, an HTTP error, more than 32 MiB, not text), deleted filenames "
            "are checked against the local ledger only, and filename-reused may miss one."
        ),
        fix=(
            "Check the URL and its credentials (a user:token@ part in the URL, never "
            "printed), and that the server answers with the plain-text ledger; then run "
            "again."
        ),
        needs_index=True,
    ),
    Rule(
        id="plugin-error",
        family="internal",
        severity=Severity.ERROR,
        summary="A plugin failed to load or raised while checking",
        explanation=(
            "A plugin (or a built-in rule module) raised an exception or could not be "
            "loaded. Its checks did not complete; every other check ran normally."
        ),
        fix=(
            "Upgrade or fix the plugin, or block it with -p no:NAME (or set "
            "PREUPLOAD_GUARD_DISABLE_PLUGIN_AUTOLOAD=1), and report the error to its authors."
        ),
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES
