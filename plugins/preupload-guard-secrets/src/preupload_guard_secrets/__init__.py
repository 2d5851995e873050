"""preupload-guard-secrets: find what must never be published, before it is.

A preupload-guard plugin (entry point ``secrets`` in the ``preupload_guard`` group). It
reads every member of every wheel and sdist, streaming and within bounds, and reports API
tokens (PyPI, TestPyPI, GitHub), AWS access keys, private keys, and files that hold
credentials by nature (``.pypirc``, ``.env``, ``id_rsa``, ``.git/``, ...). Findings name
the member and the line and show only a masked prefix, the length and a fingerprint of the
secret, never the secret itself. Settings: ``[tool.preupload-guard.plugins.secrets]``
(see :mod:`.config`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from preupload_guard import (
    ArchiveError,
    Finding,
    Member,
    MemberVisitor,
    Rule,
    Severity,
    hookimpl,
)

from .config import TABLE, SecretsConfig, SecretsConfigError
from .detectors import AWS_KEY, PRIVATE_KEY, TOKEN
from .scan import (
    SCAN_INCOMPLETE,
    SENSITIVE_FILE,
    ContentScan,
    ContentScanner,
    scan_artifact,
    wanted_by,
)

if TYPE_CHECKING:
    from preupload_guard import Artifact, Context

__version__ = "0.1.0"
__all__ = ["RULES", "SecretsConfig", "SecretsConfigError", "__version__", "scan_artifact"]

FAMILY = "secrets"

_NOT_PYPI = (
    "PyPI does not refuse such a file: it publishes it, to everyone, for good (a deleted "
    "file stays in mirrors and caches). "
)
_ROTATE = (
    "Treat the credential as leaked even if the upload never happened: it may already be "
    "public elsewhere (a CI artifact, a shared cache, a built wheel on someone's disk). "
)
_EXCLUDE = (
    "Keep such files out of distributions for good: exclude them in MANIFEST.in "
    "(exclude/prune) or in your build backend's settings (hatch: "
    "[tool.hatch.build] exclude; setuptools: exclude_package_data / package_data; "
    "flit: [tool.flit.sdist] exclude), and keep them in .gitignore."
)
_ALLOW = (
    f" A known fake value used by tests can be allowed: by fingerprint (allow-secrets in "
    f"{TABLE}, as printed in the finding) or by member path (allow)."
)

RULES: tuple[Rule, ...] = (
    Rule(
        id=TOKEN,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="An API token (PyPI, TestPyPI or GitHub) is inside the distribution",
        explanation=(
            "A member contains a PyPI or TestPyPI API token ('pypi-' and a macaroon whose "
            "location is the index), or a GitHub token: classic ('ghp_', 'gho_', 'ghu_', "
            "'ghs_', 'ghr_' and 36+ characters) or fine-grained ('github_pat_'). Anyone who "
            "downloads the file can upload releases of your projects or act on your "
            "repositories. " + _NOT_PYPI + "The finding names the member and line and shows "
            "only the token's well-known prefix, four more characters, its length and a "
            "SHA-256 fingerprint."
        ),
        fix=(
            "Remove the file or the line, then revoke the token (PyPI: Account settings, "
            "API tokens; GitHub: Settings, Developer settings) and create a new one; store "
            "it in a secret store or CI secret, never in the source tree. " + _ROTATE
            + _EXCLUDE + _ALLOW
        ),
    ),
    Rule(
        id=AWS_KEY,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="An AWS access key id or secret access key is inside the distribution",
        explanation=(
            "A member contains an AWS access key id ('AKIA' for long-term keys, 'ASIA' for "
            "temporary ones, and 16 characters) or a 40-character secret access key "
            "assigned to a name such as aws_secret_access_key / SecretAccessKey. Values "
            "containing EXAMPLE (the AWS documentation's examples) are ignored. " + _NOT_PYPI
        ),
        fix=(
            "Remove the file or the line and deactivate, then delete, the access key in IAM "
            "(the key id in the finding's masked prefix names it); check CloudTrail for its "
            "use. " + _ROTATE + _EXCLUDE + _ALLOW
        ),
    ),
    Rule(
        id=PRIVATE_KEY,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A private key (PEM, OpenSSH or PGP armor) is inside the distribution",
        explanation=(
            "A member contains a '-----BEGIN ... PRIVATE KEY-----' block (RSA, EC, DSA, "
            "OpenSSH, PKCS#8, encrypted PKCS#8, PGP, ...) followed by key material, in a "
            "file of its own or embedded in code or JSON with escaped line breaks. A "
            "header alone, as key-parsing code contains, is not reported. Even an "
            "encrypted key can be attacked offline once published. " + _NOT_PYPI
        ),
        fix=(
            "Remove the key and replace it wherever it is trusted (servers' "
            "authorized_keys, TLS certificates, signing keys: revoke the certificate or "
            "the PGP key). " + _ROTATE + _EXCLUDE + _ALLOW
        ),
    ),
    Rule(
        id=SENSITIVE_FILE,
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A file that holds credentials by nature (.pypirc, .env, id_rsa, .git/...)",
        explanation=(
            "Reported by path, whatever the content: .pypirc (index credentials), .netrc, "
            ".env and .env.* (not the .env.example/.sample/.template/.dist templates), "
            "OpenSSH private keys named id_rsa, id_dsa, id_ecdsa, id_ed25519 (not their "
            ".pub), .aws/credentials, PKCS#12 bundles (*.p12, *.pfx), any .git/ directory "
            "(the repository's whole history and configuration), and *.pem / *.key files "
            "with no PEM block (binary key material the content scan cannot recognise; a "
            ".pem of certificates only, like a CA bundle, is fine). " + _NOT_PYPI
        ),
        fix=(
            "Keep the file out of the distribution and rotate whatever credential it held. "
            + _ROTATE + _EXCLUDE + f" A harmless fixture can be allowed by path (allow in "
            f"{TABLE})."
        ),
    ),
    Rule(
        id=SCAN_INCOMPLETE,
        family=FAMILY,
        severity=Severity.WARNING,
        summary="Part of the distribution was not scanned for secrets (a bound was reached)",
        explanation=(
            "The secret scan reads every member, but within bounds so that a huge or "
            "hostile file cannot stall the check: max-member-size (default 64 MiB per "
            "member: larger members are scanned up to that size), max-total-size (default "
            "1 GiB per distribution file) and time-limit (default 60 s per distribution "
            "file). A member that cannot be read is reported here too. What was not "
            "scanned is named, so nothing passes unseen."
        ),
        fix=(
            f"Raise the bound in {TABLE} (e.g. max-member-size = \"256 MiB\"), or allow "
            "members you know are safe (large data or model files) with allow globs."
        ),
    ),
)


@hookimpl
def preupload_guard_rules() -> Sequence[Rule]:
    """The rules, namespaced ``secrets/...`` by preupload-guard."""
    return RULES


class _SecretsVisitor(MemberVisitor):
    """The content scan, subscribed to preupload-guard's one pass over the archive.

    It runs on the reading thread, chunk by chunk, and each member is read only up to its
    scan budget. (It was a :class:`StreamConsumer`, a thread of its own fed through a
    queue: handing every chunk over cost more than it overlapped.)
    """

    #: Its state is its own (the artifact goes by reference), so preupload-guard may feed
    #: it in a worker process.
    portable = True

    def __init__(self, artifact: Artifact, config: SecretsConfig) -> None:
        self.artifact = artifact
        self.config = config
        self.scanner = ContentScanner(config)
        self._wanted: Callable[[Member], bool] | None = None  # decided at the first member

    def __getstate__(self) -> dict[str, Any]:
        # The member filter is a closure; it is only needed during the pass, and is made
        # again from the first member if a pass is ever made from the copy.
        return {**self.__dict__, "_wanted": None}

    def wants(self, member: Member) -> bool:
        # The allow-list is relative to an sdist's top directory, which the listing gives
        # only at the end of a tar: the first member names it (a valid sdist has one).
        if self._wanted is None:
            first = member.name.lstrip("/").split("/", 1)
            top = first[0] if self.artifact.is_sdist and len(first) > 1 else None
            self._wanted = wanted_by(self.config, top)
        if not member.is_file or not self._wanted(member) or not self.scanner.admit(member):
            return False
        self.limit = self.scanner.budget(member)  # the pass reads no further for us
        return True

    def start(self, member: Member) -> None:
        self.scanner.start(member)

    def feed(self, data: bytes) -> bool | None:
        return None if self.scanner.feed(data) else False

    def end(self, member: Member, error: ArchiveError | None) -> None:
        self.scanner.end(member, error)

    def close(self, error: ArchiveError | None) -> None:
        if error is not None:
            self.scanner.fail(error)

    def findings(self) -> list[Finding]:
        return scan_artifact(self.artifact, self.config, content=self.scanner.result)


class _NamesOnly(MemberVisitor):
    """Only sensitive-file is reported: the names are enough, no member's bytes are read."""

    portable = True

    def __init__(self, artifact: Artifact, config: SecretsConfig) -> None:
        self.artifact = artifact
        self.config = config

    def wants(self, member: Member) -> bool:
        return False

    def findings(self) -> list[Finding]:
        return scan_artifact(self.artifact, self.config, content=ContentScan())


#: The rules whose findings need the members' bytes (the rest need only their names).
_CONTENT_RULES = (TOKEN, AWS_KEY, PRIVATE_KEY, SCAN_INCOMPLETE)


@hookimpl
def preupload_guard_members(artifact: Artifact, context: Context, plugin: str,
                            config: Mapping[str, Any]) -> MemberVisitor | None:
    """Subscribe the scan to the shared pass (raises :class:`SecretsConfigError` on bad
    settings, reported as this plugin's error). Ignored rules cost nothing: with every
    content rule ignored no member is read, with every rule ignored nothing runs."""
    if artifact.archive_kind is None:
        return None
    wanted = [r.id for r in RULES if context.selected(f"{plugin}/{r.id}")]
    if not wanted:
        return None
    settings = SecretsConfig.from_mapping(config)
    if not any(r in wanted for r in _CONTENT_RULES):
        return _NamesOnly(artifact, settings)
    return _SecretsVisitor(artifact, settings)
