"""The streaming scanner: chunk boundaries, line numbers, caps, and bounded regex work."""

from __future__ import annotations

import dataclasses
import random
import re
import time
from typing import Any

import pytest
import secrets_support as support
from hypothesis import given, settings
from hypothesis import strategies as st
from preupload_guard_secrets.detectors import DETECTORS, MAX_MATCH, Detector
from preupload_guard_secrets.scan import CHUNK
from preupload_guard_secrets.stream import CONTEXT, OVERLAP, StreamScan


def scan_in(data: bytes, sizes: list[int] | int, detectors: tuple[Detector, ...] = DETECTORS,
            **options: Any) -> StreamScan:
    """Feed ``data`` in pieces of the given sizes (repeated), then close; ``detectors`` and
    ``options`` go to :class:`StreamScan`."""
    scan = StreamScan(detectors, **options)
    pos, step = 0, 0
    while pos < len(data):
        size = sizes if isinstance(sizes, int) else sizes[step % len(sizes)]
        scan.feed(data[pos:pos + size])
        pos += size
        step += 1
    scan.close()
    return scan


def located(scan: StreamScan) -> list[tuple[str, int, int]]:
    return [(hit.rule, hit.offset, hit.line) for hit in scan.hits]


def filler(size: int) -> bytes:
    """Text lines of 64 bytes: easy to compute line numbers."""
    line = b"x" * 63 + b"\n"
    return (line * (size // 64 + 1))[:size]


def document() -> tuple[bytes, list[tuple[str, int, int]]]:
    """Secrets of every kind spread over ~200 KiB, with their expected positions."""
    parts: list[bytes] = []
    expected: list[tuple[str, int, int]] = []
    secrets = [
        ("token", support.github_token()),
        ("token", support.pypi_token()),
        ("token", support.github_pat()),
        ("aws-key", support.aws_key_id()),
        ("private-key", support.private_key("EC ")),
        ("token", support.pypi_token(test=True)),
    ]
    rng = random.Random(7)
    offset, line = 0, 1
    for rule, secret in secrets:
        pad = filler(rng.randrange(20_000, 40_000)) + b" "
        parts.append(pad)
        offset += len(pad)
        line += pad.count(b"\n")
        expected.append((rule, offset, line))
        data = secret.encode() + b"\n"
        parts.append(data)
        offset += len(data)
        line += data.count(b"\n")
    return b"".join(parts), expected


def test_overlap_covers_the_longest_possible_match():
    longest = {
        "pypi": b"pypi-" + b"AgE" + b"A" * 5000,
        "github": [b"ghp_" + b"A" * 251, b"github_pat_" + b"A" * 251],
        "private-key": (b"-----BEGIN AAAAAAAAAAAA BBBBBBBBBBBB CCCCCCCCCCCC PRIVATE KEY BLOCK"
                        b"-----"
                        + b"\\n" * 8
                        + (b"H" * 41 + b":" + b"v" * 200 + b"\\n" * 8) * 8
                        + b"\\n" * 2100),  # escaped line breaks: 2 bytes per repetition
    }
    for detector in DETECTORS:
        if detector.name in longest:
            cases = longest[detector.name]
            for case in cases if isinstance(cases, list) else [cases]:
                match = detector.regex.match(case)
                assert match is not None, detector.name
                assert len(match.group(0)) <= MAX_MATCH, detector.name
    assert OVERLAP >= MAX_MATCH


@pytest.mark.parametrize("sizes", [CHUNK, 1, 333, 4096, OVERLAP, OVERLAP + 1, [1000, 17, 9000]])
def test_any_chunking_finds_the_same_secrets_once(sizes):
    data, expected = document()
    if sizes == 1:  # byte by byte: keep it quick
        data = data[expected[1][1] - 300: expected[1][1] + 500]
        base = expected[1][1] - 300
        lines_before = data[:300].count(b"\n")
        scan = scan_in(data, 1)
        assert [(r, o) for r, o, _ in located(scan)] == [("token", 300)]
        assert scan.hits[0].line == lines_before + 1
        assert base > 0
        return
    assert located(scan_in(data, sizes)) == expected


@pytest.mark.parametrize("shift", [-200, -41, -40, -39, -20, -1, 0, 1, OVERLAP - 1, OVERLAP])
def test_secret_across_the_chunk_boundary_is_found_once_with_its_line(shift):
    token = support.github_token().encode()
    start = CHUNK + shift - len(token) // 2
    head = filler(start - 1) + b" "
    data = head + token + b"\n" + filler(CHUNK)
    scan = scan_in(data, CHUNK)
    assert located(scan) == [("token", start, head.count(b"\n") + 1)]


def test_private_key_spanning_chunks_is_found_once():
    key = support.private_key("OPENSSH ").encode()
    start = CHUNK - 100
    head = filler(start)
    scan = scan_in(head + key + filler(5000), CHUNK)
    assert located(scan) == [("private-key", start, head.count(b"\n") + 1)]


def test_hits_are_capped_per_member_and_the_rest_counted():
    token = support.github_token().encode()
    scan = scan_in((token + b"\n") * 25, 100)
    assert len(scan.hits) == 10
    assert scan.extra == {"token": 15}
    assert [hit.line for hit in scan.hits] == list(range(1, 11))


def test_allowed_fingerprints_are_dropped_before_counting():
    a, b = support.github_token(seed=1).encode(), support.github_token(seed=2).encode()
    first = scan_in(a + b"\n" + b, 64)
    allowed = first.hits[0].secret.fingerprint[:12]
    scan = StreamScan(is_allowed=lambda fp: fp.startswith(allowed))
    scan.feed(a + b"\n" + b)
    scan.close()
    assert [(hit.line, hit.secret) for hit in scan.hits] == [(2, first.hits[1].secret)]


def test_feed_after_close_is_an_error():
    scan = StreamScan()
    scan.close()
    with pytest.raises(ValueError):
        scan.feed(b"x")


ADVERSARIAL = {
    "pem-headers": (b"-----BEGIN A B C PRIVATE KEY-----\nX-Y: " + b"a" * 199 + b"\n") * 4000,
    "pem-body-dashes": (b"-----BEGIN PRIVATE KEY-----\n" + b"A\\n" * 30 + b"-\n") * 8000,
    "github-runs": (b"ghp_" + b"a" * 300 + b" ") * 3000,
    "pat-runs": (b"github_pat_" + b"_" * 300 + b"!") * 3000,
    "pypi-runs": (b"pypi-AgE" + b"-" * 60 + b".") * 15000,
    "aws-assignments": (b"aws_secret_access_key = '" + b"a" * 39 + b"'\n") * 15000,
    "aws-ids": b"AKIA" * 250_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_adversarial_content_scans_in_linear_time(name):
    data = ADVERSARIAL[name][: 1024 * 1024]
    started = time.perf_counter()
    scan_in(data, CHUNK)
    elapsed = time.perf_counter() - started
    assert elapsed < 2.0, f"{name}: {elapsed:.2f} s for 1 MiB"


# -- anchors: a bytes.find before the regex, which must change nothing but the speed -------


def test_every_anchor_is_a_literal_prefix_of_its_regex():
    anchored = [detector for detector in DETECTORS if detector.anchor]
    assert len(anchored) >= 4  # pypi and the three AWS secret spellings
    for detector in anchored:
        pattern = detector.regex.pattern
        # Plain literal bytes (no metacharacter), written first, and not made optional by a
        # quantifier on the last one: then every match starts with the anchor.
        assert re.fullmatch(rb"[A-Za-z0-9_-]+", detector.anchor), detector.name
        assert pattern.startswith(detector.anchor), detector.name
        assert pattern[len(detector.anchor):len(detector.anchor) + 1] not in b"?*+{", \
            detector.name


def _fragments() -> list[bytes]:
    """Pieces that make matches, near-matches, anchors and boundaries meet in the data."""
    return [
        support.pypi_token().encode(), support.pypi_token(test=True).encode(),
        support.github_token().encode(), support.github_pat().encode(),
        support.aws_key_id().encode(), support.private_key("EC ").encode(),
        b"aws_secret_access_key = '" + support.aws_secret().encode() + b"'",
        b"AWS_SECRET_ACCESS_KEY=" + support.aws_secret(seed=9).encode(),
        b'"SecretAccessKey": "' + support.aws_secret(seed=11).encode() + b'"',
        b"pypi-AgE", b"github_pat_", b"ecret_access_key", b"ECRET_ACCESS_KEY",
        b"ecretAccessKey", b"gh", b"-", b"_", b"x", b"S", b"\n", b" ", b"=", b"'",
    ]


@given(
    parts=st.lists(st.sampled_from(_fragments()), max_size=40),
    cut=st.lists(st.integers(min_value=1, max_value=3 * OVERLAP), min_size=1, max_size=5),
    filler_size=st.integers(min_value=0, max_value=2 * OVERLAP),
)
@settings(max_examples=200, deadline=None)
def test_anchored_scan_finds_exactly_what_the_regexes_alone_find(parts, cut, filler_size):
    data = filler(filler_size).join(parts) if parts else filler(filler_size)
    plain = tuple(dataclasses.replace(detector, anchor=b"") for detector in DETECTORS)

    def scan(detectors):
        scanner = scan_in(data, cut, detectors, watch_pem=True, max_hits=1000)
        return scanner.hits, scanner.extra, scanner.saw_pem_block

    assert scan(DETECTORS) == scan(plain)


@pytest.mark.parametrize("shift", [-CONTEXT - 1, -CONTEXT, -9, -1, 0, 1, 9])
def test_anchored_secret_at_a_round_limit_is_found_once(shift):
    """A match just before a round's limit is decided then; the next round, whose buffer
    starts CONTEXT bytes earlier, must not find it again through its anchor."""
    first = 3 * OVERLAP  # the first round decides offsets below first - OVERLAP
    secrets = [support.pypi_token().encode(), support.github_pat().encode(),
               b"aws_secret_access_key=" + support.aws_secret().encode()]
    for secret in secrets:
        at = first - OVERLAP + shift
        data = filler(at - 1) + b" " + secret + b"\n" + filler(2 * OVERLAP)
        scan = StreamScan()
        scan.feed(data[:first])
        scan.feed(data[first:])
        scan.close()
        expected = at + (secret.index(b"=") + 1 if b"=" in secret else 0)
        assert [hit.offset for hit in scan.hits] == [expected], secret[:12]


# -- the two GitHub formats share one detector, which must find what two separate ones did --
def _github_fragments() -> list[bytes]:
    token, pat = support.github_token().encode(), support.github_pat().encode()
    return [token, pat, token[:30], pat[:60], b"ghp_", b"ghs_", b"gh", b"github_pat_",
            b"github_", b"g", b"_", b"A1", b"x" * 40, b"\n", b" ", token + b"_", pat + b"!"]


@given(parts=st.lists(st.sampled_from(_github_fragments()), max_size=30),
       cut=st.lists(st.integers(min_value=1, max_value=3 * OVERLAP), min_size=1, max_size=4))
@settings(max_examples=300, deadline=None)
def test_the_github_detector_finds_what_one_per_format_found(parts, cut):
    [github] = [d for d in DETECTORS if d.name == "github"]
    separate = (
        dataclasses.replace(github, regex=re.compile(
            rb"gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9_])")),
        dataclasses.replace(github, name="github-pat", regex=re.compile(
            rb"github_pat_[A-Za-z0-9_]{70,251}(?![A-Za-z0-9_])")),
    )
    data = b"".join(parts)

    def scan(detectors):
        scanner = scan_in(data, cut, detectors, max_hits=1000)
        return sorted((h.offset, h.line, h.secret) for h in scanner.hits), scanner.extra

    assert scan((github,)) == scan(separate)
