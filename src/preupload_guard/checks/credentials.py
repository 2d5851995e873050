"""Credential rules (``upload`` only): would the index refuse the API token itself?

PyPI verifies an API token's caveats when it checks the upload permission (reference, row
A-token-caveat, step 10): an expired or not-yet-valid token, or one scoped to other projects,
is refused with ``403 Invalid API Token: ...`` after the whole file has been sent. The token
is a macaroon whose caveats anyone holding it can read, so ``upload`` decodes it locally
(:mod:`preupload_guard.index.credentials`) and this check compares the facts with the files and
the clock. The secret never reaches a check: only the decoded, non-secret facts do.

A token minted by one index (TestPyPI) means nothing to another (PyPI): that index does not
find the macaroon and answers 403 (row G-no-identity). The token's location names the index
that minted it, so a mismatch with the upload target is reported too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from preupload_guard.model.findings import Finding, Rule, Severity
from preupload_guard.model.hooks import hookimpl
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

TOKEN_SCOPE = "token-scope"
STEP = 10  # permission "upload" on the project, which verifies the token's caveats

RULES = [
    Rule(
        id=TOKEN_SCOPE,
        family="credentials",
        severity=Severity.ERROR,
        summary="The API token is expired, not yet valid, scoped to other projects, or "
        "minted by another index (upload only)",
        explanation=(
            "PyPI verifies the caveats of an API token when it checks the permission to "
            "upload to the project, after the whole file has been sent: an expired or "
            "not-yet-valid token answers 403 Invalid API Token: token is expired, and a token "
            "scoped to other projects answers 403 Invalid API Token: project-scoped token is "
            "not valid for project: 'NAME'. A token created on another index (TestPyPI's on "
            "PyPI, or the reverse) is unknown there: 403 Invalid or non-existent "
            "authentication information. `preupload-guard upload` reads the token's caveats "
            "locally (the token is a macaroon; its caveats are readable by whoever holds it), "
            "never prints it and sends it nowhere but to twine. A token whose caveats cannot "
            "be read is passed to twine untouched, and the rule is listed as skipped. Limits: "
            "the index can also keep caveats on its side (recent PyPI versions no longer "
            "write them into new tokens), revocation is known only to the index, and a scope "
            "by project id cannot be checked offline; in those cases no finding means "
            "'nothing in the token forbids it', not 'accepted'."
        ),
        fix=(
            "Create a new API token in your account settings on the index you upload to, "
            "scoped to this project (a project-scoped token can only be created once the "
            "project exists; use an account-wide token for the first upload, or trusted "
            "publishing), and give it to twine with TWINE_PASSWORD or the repository's "
            "section of .pypirc."
        ),
        step=STEP,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _is_warehouse_target(upload_url: str | None) -> bool:
    """Only Warehouse (``…/legacy/`` upload endpoints) knows what a PyPI token means."""
    return bool(upload_url) and urlsplit(upload_url or "").path.rstrip("/").endswith("/legacy")


@hookimpl
def preupload_guard_check_batch(
    artifacts: Sequence[Artifact], context: Context
) -> Iterator[Finding]:
    credentials = context.credentials
    if credentials is None:  # `check`: no credentials are involved
        return
    settings = context.settings
    if credentials.state == "absent":
        context.skip(TOKEN_SCOPE, "no password was given on the command line, in "
                     "TWINE_PASSWORD or in .pypirc (a keyring or a prompt is left to twine)")
        return
    if not _is_warehouse_target(settings.upload_url):
        context.skip(TOKEN_SCOPE, "the upload target is not a Warehouse-style index "
                     "(no …/legacy/ endpoint), which would not read the token's caveats")
        return
    if credentials.state == "not-a-token":
        context.skip(TOKEN_SCOPE, "the password is not an API token (it does not start "
                     "with 'pypi-')")
        return
    if credentials.state == "undecodable" or credentials.token is None:
        context.skip(TOKEN_SCOPE, "the API token's caveats could not be read; it is passed "
                     "to twine untouched")
        return

    token = credentials.token
    source = f" (from {credentials.source})" if credentials.source else ""
    create = "Create a new API token on the index you upload to and pass it to twine."

    host = urlsplit(settings.index_url or settings.upload_url or "").hostname
    if token.location and host and token.location.lower() != host.lower():
        yield Finding(
            TOKEN_SCOPE,
            f"the API token{source} was created on {token.location}, but the upload goes to "
            f"{host}; that index does not know it and would answer: 403 Invalid or "
            "non-existent authentication information.",
            None,
            hint=f"Use a token created on {host}, or upload to the index that issued it "
            "(--repository).",
        )
        return

    now = context.now
    if token.expires_at is not None and now >= token.expires_at:
        yield Finding(
            TOKEN_SCOPE,
            f"the API token{source} expired on {_when(token.expires_at)}; PyPI would answer: "
            "403 Invalid API Token: token is expired.",
            None,
            hint=create,
        )
    elif token.not_before is not None and now < token.not_before:
        yield Finding(
            TOKEN_SCOPE,
            f"the API token{source} is not valid before {_when(token.not_before)}; PyPI would "
            "answer: 403 Invalid API Token: token is expired.",
            None,
            hint="Wait until then, or check this machine's clock.",
        )

    projects: dict[str, str] = {}
    for artifact in artifacts:
        if artifact.project:
            projects.setdefault(artifact.project.lower(), artifact.project)
    scope = ", ".join(f"'{n}'" for n in token.project_names or ())
    for project in projects.values():
        allowed = token.allows_project(project)
        if allowed is None:
            context.skip(TOKEN_SCOPE, "the API token is scoped by project id, which the index "
                         "does not publish; its project scope was not checked")
        elif not allowed:
            yield Finding(
                TOKEN_SCOPE,
                f"the API token{source} is scoped to {scope or 'other projects'}, not to "
                f"'{project}'; PyPI would answer: 403 Invalid API Token: project-scoped token "
                f"is not valid for project: '{project}'.",
                None,
                hint=f"Use a token scoped to '{project}' (or an account-wide token for a "
                "project's first upload).",
            )
