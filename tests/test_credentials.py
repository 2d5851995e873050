"""Local decoding of API tokens: the facts Warehouse would check, and never the secret.

Tokens are minted here the way Warehouse mints them (``DatabaseMacaroonService.
create_macaroon``: pymacaroons ``MACAROON_V2``, a location, a uuid identifier, a key, JSON
first-party caveats, ``"pypi-" + m.serialize()``), so a change in pymacaroons or in our
reading of it shows up here rather than as a wrong 403 prediction.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
from datetime import datetime, timedelta, timezone
from typing import Any

import pymacaroons
import pytest

from preupload_guard.index import credentials
from preupload_guard.index.credentials import (
    TOKEN_PREFIX,
    TokenFacts,
    decode_token,
    looks_like_token,
)

LOCATION = "index.example"
IDENTIFIER = "5f3c1a2e-9b7d-4e61-8f00-c0ffee123456"
KEY = b"k" * 32
UTC = timezone.utc


def _caveat(value: Any) -> str:
    """A caveat serialized like Warehouse's ``caveats.serialize`` (compact, sorted keys)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def mint_macaroon(*caveats: Any, version: int = pymacaroons.MACAROON_V2,
                  location: str = LOCATION, identifier: str = IDENTIFIER) -> pymacaroons.Macaroon:
    """A macaroon as Warehouse builds one; ``str`` caveats are added verbatim.

    ``bytes`` caveats are appended raw (unsigned): pymacaroons refuses to add a first-party
    caveat that is not UTF-8, but nothing stops one from arriving in a token.
    """
    macaroon = pymacaroons.Macaroon(location=location, identifier=identifier, key=KEY,
                                    version=version)
    for caveat in caveats:
        if isinstance(caveat, bytes):
            macaroon.caveats.append(pymacaroons.Caveat(caveat_id=caveat, version=version))
        else:
            macaroon.add_first_party_caveat(caveat if isinstance(caveat, str) else _caveat(caveat))
    return macaroon


def mint(*caveats: Any, **kwargs: Any) -> str:
    return TOKEN_PREFIX + mint_macaroon(*caveats, **kwargs).serialize()


def facts_of(*caveats: Any, **kwargs: Any) -> TokenFacts:
    facts = decode_token(mint(*caveats, **kwargs))
    assert facts is not None
    return facts


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


# --- the token's shape --------------------------------------------------------------------


def test_unscoped_token() -> None:
    """No caveats: nothing in the token restricts it (the server may still hold some)."""
    facts = facts_of()
    assert facts == TokenFacts(
        location=LOCATION, expires_at=None, not_before=None, project_names=None,
        project_ids=None, user_scoped=False, legacy=False, trusted_publisher=False,
        unknown_caveats=0,
    )
    assert facts.allows_project("anything") is True


def test_v1_serialized_token_decodes_too() -> None:
    """pymacaroons reads the v1 format as well; its caveat ids come back as ``str``."""
    macaroon = mint_macaroon([1, ["foo-bar"]], [0, 2_000_000_000, 1_000_000_000],
                             version=pymacaroons.MACAROON_V1)
    token = TOKEN_PREFIX + macaroon.serialize()
    assert isinstance(pymacaroons.Macaroon.deserialize(token[5:]).caveats[0].caveat_id, str)
    facts = decode_token(token)
    assert facts is not None
    assert facts.location == LOCATION
    assert facts.project_names == ("foo-bar",)
    assert facts.expires_at == at(2_000_000_000)


@pytest.mark.parametrize("identifier", ["a", "ab", "abc", "abcd"])
def test_padding_may_be_missing_or_present(identifier: str) -> None:
    """``serialize()`` drops base64 padding; a padded copy must decode the same."""
    body = mint_macaroon([1, ["foo"]], identifier=identifier).serialize()
    assert not body.endswith("=")
    padded = body + "=" * (-len(body) % 4)
    for token in (TOKEN_PREFIX + body, TOKEN_PREFIX + padded):
        facts = decode_token(token)
        assert facts is not None and facts.project_names == ("foo",)


def test_at_least_one_padding_case_really_lacks_padding() -> None:
    lengths = {len(mint_macaroon(identifier=i).serialize()) % 4 for i in ("a", "ab", "abc")}
    assert lengths - {0}


def test_surrounding_whitespace_is_ignored_like_basic_auth() -> None:
    """Warehouse strips the Basic-auth password (security_policy.py), so a pasted newline
    does not make the token invalid for twine."""
    facts = decode_token(f"  {mint([1, ['foo']])}\n")
    assert facts is not None and facts.project_names == ("foo",)


def test_empty_location_is_none() -> None:
    assert facts_of(location="").location is None


# --- project scope ------------------------------------------------------------------------


def test_name_scoped_token_compares_canonical_names() -> None:
    facts = facts_of([1, ["foo-bar", "other"]])
    assert facts.project_names == ("foo-bar", "other")
    assert facts.allows_project("Foo_Bar") is True
    assert facts.allows_project("foo.bar") is True
    assert facts.allows_project("OTHER") is True
    assert facts.allows_project("foo-baz") is False


def test_non_canonical_name_in_caveat_matches_nothing() -> None:
    """Warehouse compares the project's normalized name with the caveat's strings verbatim."""
    facts = facts_of([1, ["Foo_Bar"]])
    assert facts.project_names == ("Foo_Bar",)
    assert facts.allows_project("Foo_Bar") is False


def test_several_name_caveats_intersect() -> None:
    facts = facts_of([1, ["a", "b", "c", "b"]], [1, ["c", "b", "z"]])
    assert facts.project_names == ("b", "c")
    assert facts.allows_project("a") is False
    assert facts.allows_project("c") is True


def test_disjoint_name_caveats_allow_nothing() -> None:
    facts = facts_of([1, ["a"]], [1, ["b"]])
    assert facts.project_names == ()
    assert facts.allows_project("a") is False


def test_id_scoped_only_cannot_be_decided_offline() -> None:
    facts = facts_of([2, ["0b5e3c3e-0000-4000-8000-000000000001"]])
    assert facts.project_ids == ("0b5e3c3e-0000-4000-8000-000000000001",)
    assert facts.project_names is None
    assert facts.allows_project("foo") is None


def test_project_token_as_warehouse_mints_it_is_decided_by_name() -> None:
    """A project-scoped user token carries ProjectName and ProjectID caveats."""
    facts = facts_of([1, ["foo"]], [2, ["id-of-foo"]], [2, ["id-of-foo", "id-of-bar"]])
    assert facts.project_ids == ("id-of-foo",)
    assert facts.allows_project("Foo") is True
    assert facts.allows_project("bar") is False


# --- validity window ----------------------------------------------------------------------


def test_expired_token_times_are_aware_utc() -> None:
    facts = facts_of([0, 1_600_000_000, 1_500_000_000])
    assert facts.expires_at == datetime(2020, 9, 13, 12, 26, 40, tzinfo=UTC)
    assert facts.not_before == datetime(2017, 7, 14, 2, 40, tzinfo=UTC)
    for moment in (facts.expires_at, facts.not_before):
        assert moment is not None and moment.utcoffset() == timedelta(0)
    assert datetime.now(UTC) >= facts.expires_at  # the index would say "token is expired"


def test_not_yet_valid_token() -> None:
    now = int(datetime.now(UTC).timestamp())
    facts = facts_of([0, now + 7200, now + 3600])
    assert facts.not_before == at(now + 3600)
    assert datetime.now(UTC) < facts.not_before


def test_several_expirations_give_the_tightest_window() -> None:
    facts = facts_of([0, 2_000, 100], [0, 1_000, 300], [0, 5_000, 200])
    assert facts.expires_at == at(1_000)
    assert facts.not_before == at(300)


def test_expiration_beyond_datetime_range_is_clamped() -> None:
    facts = facts_of([0, 10**20, -(10**20)])
    assert facts.expires_at == datetime.max.replace(tzinfo=UTC)
    assert facts.not_before == datetime.min.replace(tzinfo=UTC)


def test_extra_trailing_fields_are_ignored_like_warehouse() -> None:
    """``Caveat.__deserialize__`` reads the declared fields and ignores the rest."""
    facts = facts_of([0, 2_000, 1_000, "later field"], [1, ["foo"], 42])
    assert facts.expires_at == at(2_000)
    assert facts.project_names == ("foo",)
    assert facts.unknown_caveats == 0


# --- user, legacy and trusted-publisher caveats -------------------------------------------


def test_request_user_caveat() -> None:
    facts = facts_of([3, "a614e122-a9ee-473c-b6df-8c4f1b776628"])
    assert facts.user_scoped is True
    assert facts.legacy is False
    assert facts.allows_project("anything") is True


def test_legacy_user_caveat() -> None:
    facts = facts_of({"version": 1, "permissions": "user"})
    assert (facts.user_scoped, facts.legacy, facts.unknown_caveats) == (True, True, 0)


def test_legacy_projects_caveat_is_not_normalized() -> None:
    """``_legacy._adapt_v1`` passes the list through as-is."""
    facts = facts_of({"version": 1, "permissions": {"projects": ["foo-bar", "Baz_Qux"]}})
    assert facts.legacy is True
    assert facts.project_names == ("foo-bar", "Baz_Qux")
    assert facts.allows_project("Foo_Bar") is True
    assert facts.allows_project("Baz_Qux") is False


def test_legacy_expiry_and_project_ids() -> None:
    facts = facts_of({"exp": 1_700_000_000, "nbf": 1_690_000_000}, {"project_ids": ["p1"]})
    assert facts.legacy is True
    assert facts.expires_at == at(1_700_000_000)
    assert facts.not_before == at(1_690_000_000)
    assert facts.project_ids == ("p1",)


@pytest.mark.parametrize("caveat", [
    {"version": 1},                                       # no permissions: not adapted
    {"version": 1, "permissions": "everything"},
    {"version": 1, "permissions": {"other": []}},
    {"exp": 1_700_000_000},                               # nbf missing
    {"something": "else"},
    {"version": 1, "permissions": {"projects": "foo"}},   # not a list of strings
])
def test_unadaptable_legacy_objects_are_unknown(caveat: dict[str, Any]) -> None:
    facts = facts_of(caveat)
    assert facts.unknown_caveats == 1
    assert facts.legacy is False
    assert (facts.project_names, facts.user_scoped) == (None, False)


def test_trusted_publisher_token_as_warehouse_mints_it() -> None:
    facts = facts_of([4, "publisher-id"], [2, ["project-id"]], [0, 1_000_900, 1_000_000])
    assert facts.trusted_publisher is True
    assert facts.project_ids == ("project-id",)
    assert facts.expires_at - facts.not_before == timedelta(minutes=15)
    assert facts.allows_project("foo") is None


@pytest.mark.parametrize("caveat", [[4, "id", None], [4, "id", {"ref": "refs/heads/main"}]])
def test_oidc_publisher_with_deprecated_claims(caveat: list[Any]) -> None:
    facts = facts_of(caveat)
    assert facts.trusted_publisher is True and facts.unknown_caveats == 0


# --- caveats that cannot be interpreted ---------------------------------------------------


@pytest.mark.parametrize("caveat", [
    [99, "future"],                      # unregistered tag
    [5, 1],                              # a tag this module does not know (yet)
    [],                                  # empty array
    [[1], ["foo"]],                      # unhashable tag
    '"just a string"',                   # str/bytes are caveat ids verbatim: JSON text
    42,
    [0, 1_000],                          # missing not_before
    [0, True, 0],                        # StrictInt refuses bool
    [0, 1.5, 0],                         # and floats
    [1, "foo"],                          # names must be a list
    [1, ["foo", 3]],
    [2, [1, 2]],                         # ids are strings
    [3, 12345],                          # user id is a string
    [4, 7],
    [4, "id", "not a dict"],
    "not json at all",
    b"\xff\xfe not utf-8",
    "[" * 5_000 + "]" * 5_000,           # too deep for the JSON parser
])
def test_uninterpretable_caveats_are_counted(caveat: Any) -> None:
    facts = facts_of(caveat, [1, ["foo"]])
    assert facts.unknown_caveats == 1
    assert facts.project_names == ("foo",)


def test_boolean_tag_is_looked_up_like_warehouse() -> None:
    """Warehouse's registry is a dict: ``true`` finds tag 1, so we read it as a name scope."""
    assert facts_of([True, ["foo"]]).project_names == ("foo",)


def test_third_party_caveat_is_unknown() -> None:
    macaroon = mint_macaroon([1, ["foo"]])
    macaroon.add_third_party_caveat("auth.index.example", b"x" * 32, "third-party-id")
    facts = decode_token(TOKEN_PREFIX + macaroon.serialize())
    assert facts is not None
    assert facts.unknown_caveats == 1
    assert facts.project_names == ("foo",)


# --- garbage in, None out -----------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


GARBAGE: list[Any] = [
    "",
    "pypi",
    "pypi-",
    "pypi-!!!",
    "pypi-====",
    "pypi-\x00\x00",
    "pypi-\udcff\udcfe",                  # lone surrogates: not encodable
    "pypi-ÄÖÜ€",
    "PYPI-" + mint()[5:],                 # the prefix is case-sensitive in Warehouse
    "pypy-" + mint()[5:],
    mint()[5:],                           # the macaroon without the prefix
    mint()[:40],                          # truncated
    "pypi-" + _b64(b"hello, world; not a macaroon"),
    "pypi-" + _b64(b"\x02"),              # v2 marker and nothing else
    "pypi-" + _b64(b"\x02\x01\x05loc"),   # a packet cut short
    "pypi-" + _b64(b"0000location x\n"),  # v1-looking nonsense
    "pypi-" + "A" * (64 * 1024),          # over the size bound
    "pypi-" + mint([1, ["foo"]])[5:] + "\n" * (64 * 1024),
    None,
    b"pypi-" + mint()[5:].encode(),       # bytes, not str
    12345,
    ["pypi-abc"],
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: repr(g)[:30])
def test_garbage_is_none_without_raising(garbage: Any) -> None:
    assert decode_token(garbage) is None


def test_random_base64_is_none_without_raising() -> None:
    rng = random.Random(20240601)
    for size in range(1, 400, 7):
        body = _b64(bytes(rng.getrandbits(8) for _ in range(size)))
        result = decode_token(TOKEN_PREFIX + body)
        assert result is None or isinstance(result, TokenFacts)


def test_mutated_tokens_never_raise() -> None:
    """Flip, drop and insert characters of a real token: any outcome but an exception."""
    rng = random.Random(7)
    token = mint([1, ["foo"]], [0, 2_000, 1_000], {"version": 1, "permissions": "user"})
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!\n\x00é"
    for _ in range(400):
        chars = list(token)
        for _ in range(rng.randint(1, 4)):
            where = rng.randrange(len(chars))
            action = rng.randrange(3)
            if action == 0:
                chars[where] = rng.choice(alphabet)
            elif action == 1:
                del chars[where]
            else:
                chars.insert(where, rng.choice(alphabet))
        result = decode_token("".join(chars))
        assert result is None or isinstance(result, TokenFacts)


def test_unexpected_library_errors_are_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("pymacaroons blew up quoting the secret")

    monkeypatch.setattr(pymacaroons.Macaroon, "deserialize", explode)
    assert decode_token(mint()) is None


# --- bounds -------------------------------------------------------------------------------


def test_a_thousand_caveats_are_fine_one_more_is_refused() -> None:
    caveat = [0, 2_000, 1_000]
    facts = facts_of(*([caveat] * 1000))
    assert facts.expires_at == at(2_000)
    assert decode_token(mint(*([caveat] * 1001))) is None


def test_v1_with_too_many_caveats_is_refused() -> None:
    token = mint(*([[1, ["a"]]] * 1001), version=pymacaroons.MACAROON_V1)
    assert decode_token(token) is None


def _v2(caveat_count: int, *, varint_padding: int = 0) -> str:
    """A v2 binary macaroon written by hand: ``caveat_count`` empty first-party caveats."""
    data = bytearray([2, 1, len(LOCATION)]) + LOCATION.encode()
    data += bytes([2, 1]) + b"i" + bytes([0])
    if varint_padding:  # a field type 2 written as an absurdly long varint
        data += b"\x82" + b"\x80" * varint_padding + b"\x00" + bytes([1]) + b"c" + bytes([0])
    data += bytes([2, 1]) + b"c" + bytes([0])
    data += bytes([2, 0, 0]) * caveat_count
    data += bytes([0, 6, 32]) + b"s" * 32
    return TOKEN_PREFIX + _b64(bytes(data))


def test_hand_written_v2_is_read_by_pymacaroons() -> None:
    facts = decode_token(_v2(3))
    assert facts is not None
    assert facts.location == LOCATION
    assert facts.unknown_caveats == 4  # "c" and three empty ids: not JSON


def test_too_many_caveats_are_refused_before_pymacaroons_parses(
        monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    original = pymacaroons.Macaroon.deserialize

    def spy(serialized: str, *args: Any) -> Any:
        calls.append(serialized)
        return original(serialized, *args)

    monkeypatch.setattr(pymacaroons.Macaroon, "deserialize", staticmethod(spy))
    assert decode_token(_v2(16_000)) is None
    assert calls == []
    assert decode_token(_v2(999)) is not None  # the spy is really in the path
    assert len(calls) == 1


def test_absurd_varints_are_refused() -> None:
    assert decode_token(_v2(0, varint_padding=5)) is not None
    assert decode_token(_v2(0, varint_padding=40_000)) is None


def test_missing_pymacaroons_means_undecodable(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pymacaroons", None)  # import raises ImportError
    assert decode_token(mint()) is None


# --- looks_like_token ---------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("pypi-AgEIcHlwaS5vcmc", True),
    ("  pypi-AgEIcHlwaS5vcmc\n", True),
    ("pypi-", True),
    ("PYPI-AgEIcHlwaS5vcmc", False),
    ("hunter2", False),
    ("", False),
    (None, False),
    (b"pypi-abc", False),
])
def test_looks_like_token(value: Any, expected: bool) -> None:
    assert looks_like_token(value) is expected


# --- the secret stays secret --------------------------------------------------------------


def test_facts_never_carry_the_secret() -> None:
    macaroon = mint_macaroon([1, ["foo"]], [2, ["pid"]], [0, 2_000, 1_000], [3, "user-id"],
                             [4, "publisher-id"], {"version": 1, "permissions": "user"},
                             [99, "unknown"])
    token = TOKEN_PREFIX + macaroon.serialize()
    facts = decode_token(token)
    assert facts is not None
    body = token[len(TOKEN_PREFIX):]
    signature = macaroon.signature  # hex
    assert len(signature) == 64
    secrets = [body, body[:24], body[-24:], IDENTIFIER, signature, signature[:16],
               signature.upper(), "user-id", "publisher-id"]
    texts = [repr(facts), str(facts)]
    texts += [str(getattr(facts, f.name)) for f in dataclasses.fields(facts)]
    for text in texts:
        for secret in secrets:
            assert secret not in text
    assert "foo" in str(facts) and LOCATION in repr(facts)


def test_facts_are_frozen_and_hold_nothing_else() -> None:
    facts = facts_of([1, ["foo"]])
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts.location = "elsewhere"  # type: ignore[misc]
    assert not hasattr(facts, "__dict__")  # slots: no room for a stray macaroon


def test_module_keeps_no_token_state() -> None:
    """Nothing module-level changes when a token is decoded (no cache of secrets)."""
    before = {name: id(value) for name, value in vars(credentials).items()}
    decode_token(mint([1, ["foo"]]))
    after = {name: id(value) for name, value in vars(credentials).items()}
    assert before == after
