"""Fake secrets in the real formats, built at run time, and masking assertions.

No full-format token is ever written literally in this repository (secret scanners such as
GitHub push protection would flag it): each value is assembled from parts and random
characters here.
"""

from __future__ import annotations

import json
import random
import string

from preupload_guard.testing import CheckRun

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
BASE64URL = ALNUM + "-_"
BASE64 = ALNUM + "+/"

# Well-known, non-secret prefixes (see detectors.py for what they encode).
PYPI_LOCATION = "AgEIcHlwaS5vcmc"
TESTPYPI_LOCATION = "AgENdGVzdC5weXBpLm9yZw"


def _rand(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def github_token(kind: str = "p", seed: int = 1) -> str:
    return "gh" + kind + "_" + _rand(random.Random(seed), ALNUM, 36)


def github_pat(seed: int = 2) -> str:
    rng = random.Random(seed)
    return "github" + "_pat_" + _rand(rng, ALNUM, 22) + "_" + _rand(rng, ALNUM, 59)


def pypi_token(seed: int = 3, *, test: bool = False) -> str:
    location = TESTPYPI_LOCATION if test else PYPI_LOCATION
    return "py" + "pi-" + location + _rand(random.Random(seed), BASE64URL, 160)


def aws_key_id(seed: int = 4, prefix: str = "AKIA") -> str:
    return prefix[:2] + prefix[2:] + _rand(random.Random(seed), UPPER_DIGITS, 16)


def aws_secret(seed: int = 5) -> str:
    return _rand(random.Random(seed), BASE64, 40)


def private_key_body(seed: int = 6, lines: int = 6) -> str:
    rng = random.Random(seed)
    return "\n".join(_rand(rng, BASE64, 64) for _ in range(lines))


def private_key(kind: str = "RSA ", seed: int = 6, *, newline: str = "\n") -> str:
    """A PEM block; ``newline="\\\\n"`` gives the escaped form found in JSON and code."""
    body = private_key_body(seed).replace("\n", newline)
    label = kind + "PRIVATE" + " KEY"
    return (f"-----BEGIN {label}-----{newline}{body}{newline}-----END {label}-----"
            f"{newline}")


def everything_printed(run: CheckRun) -> str:
    """Every place a secret could leak: text report, JSON report, messages and hints."""
    parts = [run.text, json.dumps(run.json)]
    for finding in run.findings:
        parts += [finding.message, finding.hint or ""]
    return "\n".join(parts)


def assert_masked(run: CheckRun, secret: str, shown: int) -> None:
    """Neither ``secret`` nor more than its first ``shown`` characters appear anywhere."""
    printed = everything_printed(run)
    assert secret not in printed
    assert secret[: shown + 1] not in printed, f"more than {shown} characters shown"
