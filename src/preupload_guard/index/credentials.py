"""Read a PyPI API token's caveats locally, as non-secret facts.

An API token is ``pypi-`` followed by a macaroon. Its caveats (expiry, project scope, user
or trusted-publisher restriction) are plain JSON inside it, readable by whoever holds the
token: nothing but the HMAC signature is secret, and the signature is only checked by the
index that holds the key. So ``upload`` can tell, before the whole file is sent, that the
index would answer ``403 Invalid API Token: token is expired`` or ``project-scoped token is
not valid for project`` (reference ``pypi-upload-rules.md``, rows A-token-caveat and
G-no-identity).

Why the decode is local and the secret is never kept
    The token is a bearer credential. Sending it anywhere but to the upload itself (twine)
    would leak it; printing it would leak it into logs. :func:`decode_token` therefore
    works offline, returns only :class:`TokenFacts` (location, times, project names and
    ids, flags, a count), and keeps no reference to the token, the macaroon, its
    identifier or its signature once it returns. Every failure is swallowed and turned
    into ``None``: pymacaroons' exception messages quote the bytes they choke on, so no
    exception (and no traceback) may leave this module. Python cannot scrub memory; what
    this module guarantees is that nothing it returns or raises carries the secret.

Where each rule comes from (the Warehouse source, ``pypi/warehouse``)
    * ``warehouse/macaroons/services.py``: ``_extract_raw_macaroon`` splits the token at
      the first ``-`` and requires the prefix ``pypi`` and a non-empty rest, and
      ``deserialize_raw_macaroon`` hands that rest to ``pymacaroons.Macaroon.deserialize``
      (which adds missing base64 padding itself and reads both the v1 and the v2 binary
      format). ``create_macaroon`` mints ``MACAROON_V2`` macaroons whose location is the
      index's domain and serializes them with ``.serialize()`` (base64url, unpadded).
    * ``warehouse/macaroons/security_policy.py``: with HTTP Basic auth (what twine sends,
      user ``__token__``) the password is stripped of surrounding whitespace before the
      above; hence :func:`decode_token` strips too.
    * ``warehouse/macaroons/caveats/__init__.py``: the caveat classes and their tags.
      ``[0, expires_at, not_before]`` Expiration (both strict ints; refused when
      ``now < not_before or now >= expires_at``), ``[1, [normalized_names]]`` ProjectName
      (strict strings, compared verbatim with the project's normalized name),
      ``[2, [project_ids]]`` ProjectID (strict strings), ``[3, user_id]`` RequestUser
      (strict string), ``[4, oidc_publisher_id, oidc_claims=None]`` OIDCPublisher (strict
      string, then an optional deprecated dict of claims). ``verify`` runs every caveat
      through pymacaroons' ``Verifier.satisfy_general``, which passes the caveat id decoded
      as UTF-8; every caveat must be satisfied, so several caveats of one kind intersect.
    * ``warehouse/macaroons/caveats/_core.py``: ``deserialize`` is ``json.loads`` then
      ``deserialize_obj``: a JSON object goes through the legacy adapter first; the value
      must then be a non-empty array whose first element is a registered tag; the fields
      follow in declaration order, extra trailing values are ignored, a missing field
      without a default is an error.
    * ``warehouse/macaroons/caveats/_legacy.py``: ``{"version": 1, "permissions": "user"}``
      becomes RequestUser for the requesting user; ``{"version": 1, "permissions":
      {"projects": [...]}}`` becomes ``[1, projects]`` *without* normalizing the names;
      ``{"exp": ..., "nbf": ...}`` becomes ``[0, exp, nbf]``; ``{"project_ids": [...]}``
      becomes ``[2, ids]``. Anything else (including a version-1 object with other
      permissions) is not adapted.

What the facts cannot say
    Warehouse also stores a token's caveats in its database and appends them at verify
    time (``DatabaseMacaroonService.verify``), and recent Warehouse versions no longer embed
    them in newly minted tokens at all. A token without embedded caveats is therefore not
    proof of an unscoped token: the facts describe only what the token itself carries, and
    "allowed" means "nothing in the token forbids it". Project ids are not published by the
    index, so an id-only scope cannot be decided offline. Revocation, the owner's account
    state and the identifier's existence are server-side too (row G-no-identity).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from packaging.utils import canonicalize_name

TOKEN_PREFIX = "pypi-"

#: Refuse longer input before decoding anything. Real tokens are a few hundred characters;
#: gunicorn in front of Warehouse refuses headers above ~32 KiB anyway (row R-header-size).
_MAX_TOKEN_CHARS = 64 * 1024
#: Refuse macaroons with more caveats than this, before any caveat is parsed as JSON.
_MAX_CAVEATS = 1000
#: A v2 packet's varints are a field type (1..6) and a length (< 64 KiB here): 3 bytes
#: suffice, 10 hold any 64-bit value. A longer one is padding meant to make pymacaroons
#: build a huge integer (quadratic), so the pre-scan refuses it.
_MAX_VARINT_BYTES = 10

#: ``pymacaroons.MACAROON_V2``: the first byte of a v2 binary macaroon.
_MACAROON_V2_BYTE = 2

_UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=_UTC)

# Caveat tags, as registered with ``@as_caveat(tag=...)`` in caveats/__init__.py.
_EXPIRATION = 0
_PROJECT_NAME = 1
_PROJECT_ID = 2
_REQUEST_USER = 3
_OIDC_PUBLISHER = 4
# A dict, looked up like Warehouse's ``_CaveatRegistry.lookup`` (``dict.get``): so ``true``
# and ``1.0`` find tag 1 there and here alike.
_KNOWN_TAGS = {tag: tag for tag in (_EXPIRATION, _PROJECT_NAME, _PROJECT_ID,
                                    _REQUEST_USER, _OIDC_PUBLISHER)}


@dataclass(frozen=True, slots=True)
class TokenFacts:
    """Non-secret facts read from a token's macaroon caveats (never the secret itself).

    No field holds the token, the macaroon's identifier or its signature, so ``repr`` and
    ``str`` are safe to log. Only embedded caveats are seen (see the module docstring).
    """

    #: The macaroon's location: the domain of the index that minted it. ``None`` if empty.
    location: str | None
    #: From the Expiration caveat, as an aware UTC datetime; the earliest if several.
    #: The index refuses the token from this moment on (``now >= expires_at``).
    expires_at: datetime | None
    #: Aware UTC; the latest if several. The index refuses the token while ``now < not_before``.
    not_before: datetime | None
    #: Project names the token is restricted to, as written in the caveat (Warehouse writes
    #: them normalized, PEP 503, and compares verbatim). ``None`` = not name-scoped. With
    #: several name caveats, the intersection (every caveat must pass).
    project_names: tuple[str, ...] | None
    #: Project ids the token is restricted to (intersection). ``None`` = not id-scoped.
    project_ids: tuple[str, ...] | None
    #: A legacy ``{"permissions": "user"}`` or a RequestUser caveat.
    user_scoped: bool
    #: At least one caveat was read from the legacy JSON-object format.
    legacy: bool
    #: An OIDCPublisher caveat: a short-lived token minted by trusted publishing.
    trusted_publisher: bool
    #: Caveats this module could not interpret: third-party caveats, undecodable or unknown
    #: JSON, invalid field values. Not an error here; note that Warehouse refuses a token
    #: whose caveats it cannot deserialize, unless it knows a tag newer than this module.
    unknown_caveats: int

    def allows_project(self, name: str) -> bool | None:
        """Whether the embedded caveats let this token upload to project ``name``.

        Name-scoped: ``True``/``False`` from ``canonicalize_name(name)`` (the project's
        normalized name, as Warehouse compares it). A token scoped by names *and* ids (what
        Warehouse mints for a project-scoped token) is answered from the names: the ids
        belong to the same projects. Only ids: ``None``, since the index does not publish
        project ids. Neither: ``True`` (nothing in the token forbids it).
        """
        if self.project_names is not None:
            return canonicalize_name(name) in self.project_names
        if self.project_ids is not None:
            return None
        return True

    def __str__(self) -> str:
        """A one-line summary for people; built only from the non-secret fields."""
        parts = [f"token for {self.location or 'an unnamed index'}"]
        if self.not_before is not None:
            parts.append(f"valid from {self.not_before:%Y-%m-%d %H:%M:%S} UTC")
        if self.expires_at is not None:
            parts.append(f"expires {self.expires_at:%Y-%m-%d %H:%M:%S} UTC")
        if self.project_names is not None:
            parts.append("projects: " + (", ".join(self.project_names) or "none"))
        if self.project_ids is not None:
            parts.append(f"{len(self.project_ids)} project id(s)")
        if self.user_scoped:
            parts.append("user-scoped")
        if self.trusted_publisher:
            parts.append("trusted publisher")
        if self.legacy:
            parts.append("legacy caveats")
        if self.unknown_caveats:
            parts.append(f"{self.unknown_caveats} unknown caveat(s)")
        return "; ".join(parts)


def looks_like_token(secret: str | None) -> bool:
    """Whether ``secret`` has the ``pypi-`` prefix of an API token (after stripping).

    This is only the shape: a password without the prefix is never read as a token by
    Warehouse (``_extract_raw_macaroon``), so there is nothing to decode.
    """
    return isinstance(secret, str) and secret.strip().startswith(TOKEN_PREFIX)


def decode_token(secret: str) -> TokenFacts | None:
    """The non-secret facts of an API token, or ``None`` if it cannot be decoded.

    Never raises, whatever the input: a check must be able to call this on any password.
    ``None`` covers a missing prefix, bad base64, a body that is not a macaroon, input over
    64 KiB, more than 1000 caveats, and pymacaroons not being installed.
    """
    try:
        return _decode(secret)
    except Exception:  # the contract is "never raises"; messages may quote the secret
        return None


# --- decoding ------------------------------------------------------------------------------


def _decode(secret: object) -> TokenFacts | None:
    if not isinstance(secret, str) or len(secret) > _MAX_TOKEN_CHARS:
        return None
    raw = _extract_raw_macaroon(secret.strip())
    if raw is None:
        return None
    # pymacaroons decodes the same way (``raw_urlsafe_b64decode``): UTF-8, padding added,
    # non-alphabet characters dropped. Decoding first lets the pre-scan bound the work.
    data = base64.urlsafe_b64decode(_padded(raw.encode("utf-8")))
    if not data or not _within_bounds(data):
        return None

    try:
        import pymacaroons
    except ImportError:  # not a dependency everywhere; without it nothing can be read
        return None
    macaroon = pymacaroons.Macaroon.deserialize(raw)
    caveats = list(macaroon.caveats)
    if len(caveats) > _MAX_CAVEATS:
        return None
    location = _location(macaroon)
    del macaroon, raw, data  # keep nothing of the token past this point
    return _facts(location, caveats)


def _extract_raw_macaroon(token: str) -> str | None:
    """``_extract_raw_macaroon`` (services.py): prefix ``pypi``, ``-``, a non-empty rest."""
    prefix, _, raw = token.partition("-")
    return raw if prefix == "pypi" and raw else None


def _padded(encoded: bytes) -> bytes:
    """pymacaroons' ``add_base64_padding``: serialized macaroons carry no ``=``."""
    return encoded + b"=" * (-len(encoded) % 4)


def _within_bounds(data: bytes) -> bool:
    """Count a v2 macaroon's caveats in one linear pass, before pymacaroons parses it.

    pymacaroons' v2 parser copies the rest of the buffer for every packet (quadratic in
    the number of caveats) and builds integers of any size from varints. This walk only
    counts: sections after the header are caveats until an empty section ends the list.
    Anything it does not understand is left for pymacaroons to reject. v1 macaroons are
    parsed in linear time by pymacaroons and counted after it.
    """
    if data[0] != _MACAROON_V2_BYTE:
        return True
    index, end = 1, len(data)
    in_header, packets_in_section, caveats = True, 0, 0
    while index < end:
        field_type, index = _read_varint(data, index)
        if field_type < 0:
            return False
        if field_type == 0:  # end of section
            if in_header:
                in_header = False
            elif packets_in_section == 0:
                return True  # an empty section ends the caveats; the signature follows
            else:
                caveats += 1
                if caveats > _MAX_CAVEATS:
                    return False
            packets_in_section = 0
            continue
        length, index = _read_varint(data, index)
        if length < 0:
            return False
        index += length
        packets_in_section += 1
    return True


def _read_varint(data: bytes, index: int) -> tuple[int, int]:
    """An unsigned LEB128 varint at ``index``: ``(value, next_index)``, ``(-1, _)`` if bad."""
    value = 0
    for count in range(_MAX_VARINT_BYTES):
        if index >= len(data):
            return -1, index
        byte = data[index]
        index += 1
        value |= (byte & 0x7F) << (7 * count)
        if byte < 0x80:
            return value, index
    return -1, index


def _location(macaroon: Any) -> str | None:
    """The location as text, or ``None``. A v1 location is bytes decoded on access."""
    try:
        location = macaroon.location
    except (UnicodeDecodeError, TypeError):  # Warehouse never reads it: not fatal
        return None
    return location or None


# --- caveats -------------------------------------------------------------------------------


@dataclass
class _Accumulated:
    """What the caveats say so far; every caveat must pass, so scopes intersect."""

    expires_at: int | None = None
    not_before: int | None = None
    names: list[str] | None = None
    ids: list[str] | None = None
    user_scoped: bool = False
    legacy: bool = False
    trusted_publisher: bool = False
    unknown: int = 0


def _facts(location: str | None, caveats: Iterable[Any]) -> TokenFacts:
    acc = _Accumulated()
    for caveat in caveats:
        if not _apply(acc, caveat):
            acc.unknown += 1
    return TokenFacts(
        location=location,
        expires_at=None if acc.expires_at is None else _utc(acc.expires_at),
        not_before=None if acc.not_before is None else _utc(acc.not_before),
        project_names=None if acc.names is None else tuple(acc.names),
        project_ids=None if acc.ids is None else tuple(acc.ids),
        user_scoped=acc.user_scoped,
        legacy=acc.legacy,
        trusted_publisher=acc.trusted_publisher,
        unknown_caveats=acc.unknown,
    )


def _apply(acc: _Accumulated, caveat: Any) -> bool:
    """Fold one pymacaroons caveat into ``acc``; ``False`` if it cannot be interpreted."""
    if getattr(caveat, "verification_key_id", None) is not None:
        return False  # a third-party caveat: Warehouse never issues them
    try:
        obj = json.loads(_predicate_text(caveat.caveat_id_bytes))
    except (ValueError, TypeError, RecursionError):  # undecodable UTF-8 or JSON, too deep
        return False
    legacy = isinstance(obj, dict)
    if legacy:
        obj = _adapt_legacy(obj)
    if not isinstance(obj, list) or not obj:
        return False
    try:
        tag = _KNOWN_TAGS.get(obj[0])
    except TypeError:  # an unhashable tag (a list or an object)
        return False
    fields = obj[1:]
    applied = _apply_fields(acc, tag, fields)
    if applied and legacy:
        acc.legacy = True
    return applied


def _predicate_text(value: bytes | str) -> str:
    """The caveat id as text, as pymacaroons' ``convert_to_string`` gives it to verifiers.

    pymacaroons keeps v2 caveat ids as bytes and offers v1 ones as ``str``; ``caveat_id_bytes``
    is always bytes, but accept both. Strict UTF-8, as Warehouse gets it.
    """
    return value if isinstance(value, str) else bytes(value).decode("utf-8")


def _adapt_legacy(data: dict[str, Any]) -> list[Any] | None:
    """``_legacy.adapt``: the pre-2023 JSON-object caveats as tagged arrays, or ``None``."""
    if data.get("version") == 1:
        permissions = data.get("permissions")
        if permissions == "user":
            # Warehouse substitutes the requesting user's id; we only need "user-scoped".
            return [_REQUEST_USER, ""]
        if isinstance(permissions, dict) and "projects" in permissions:
            return [_PROJECT_NAME, permissions["projects"]]  # not normalized, as there
        return None
    if "exp" in data and "nbf" in data:
        return [_EXPIRATION, data["exp"], data["nbf"]]
    if "project_ids" in data:
        return [_PROJECT_ID, data["project_ids"]]
    return None


def _apply_fields(acc: _Accumulated, tag: int | None, fields: list[Any]) -> bool:
    """Validate the fields like the pydantic caveat classes, then fold them in."""
    if tag == _EXPIRATION:
        if len(fields) < 2 or not (_strict_int(fields[0]) and _strict_int(fields[1])):
            return False
        expires_at, not_before = fields[0], fields[1]
        acc.expires_at = expires_at if acc.expires_at is None else min(acc.expires_at,
                                                                       expires_at)
        acc.not_before = not_before if acc.not_before is None else max(acc.not_before,
                                                                       not_before)
        return True
    if tag in (_PROJECT_NAME, _PROJECT_ID):
        if not fields or not _str_list(fields[0]):
            return False
        if tag == _PROJECT_NAME:
            acc.names = _intersect(acc.names, fields[0])
        else:
            acc.ids = _intersect(acc.ids, fields[0])
        return True
    if tag == _REQUEST_USER:
        if not fields or not isinstance(fields[0], str):
            return False
        acc.user_scoped = True
        return True
    if tag == _OIDC_PUBLISHER:
        if not fields or not isinstance(fields[0], str):
            return False
        if len(fields) > 1 and not (fields[1] is None or isinstance(fields[1], dict)):
            return False  # ``oidc_claims: SignedClaims | None`` (a dict)
        acc.trusted_publisher = True
        return True
    return False


def _strict_int(value: object) -> bool:
    """pydantic's ``StrictInt``: an int, and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def _str_list(value: object) -> bool:
    """``list[StrictStr]``: a JSON array of strings."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _intersect(current: list[str] | None, new: list[str]) -> list[str]:
    """Names (or ids) allowed by every caveat so far, in first-seen order, without repeats."""
    allowed = dict.fromkeys(new)
    if current is None:
        return list(allowed)
    return [item for item in current if item in allowed]


def _utc(seconds: int) -> datetime:
    """Unix seconds as an aware UTC datetime, clamped to what ``datetime`` can hold.

    Warehouse compares plain integers, so a caveat may name a moment past year 9999 (never
    expires, in practice) or before year 1; those clamp to ``datetime.max``/``min``.
    """
    try:
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        extreme = datetime.max if seconds > 0 else datetime.min
        return extreme.replace(tzinfo=_UTC)


CredentialState = Literal["absent", "not-a-token", "undecodable", "token"]


@dataclass(frozen=True, slots=True)
class Credentials:
    """What ``upload`` knows about the password twine will send, without the password.

    ``state``: ``absent`` (none found without prompting: a keyring or a prompt is left to
    twine), ``not-a-token`` (a password, not a ``pypi-`` token), ``undecodable`` (a token
    whose macaroon cannot be read: passed to twine untouched) or ``token`` (``token`` holds
    its facts). ``source`` says where the password was found, for messages.
    """

    state: CredentialState
    source: str | None = None
    token: TokenFacts | None = None
