"""Filename rules: what PyPI decides from the name of the file (reference §2.8, §2.11, §2.12).

PyPI looks at the filename at several points of its upload order (reference §1), and each
finding carries the step it belongs to, so that the runner can mark what an earlier refusal
hides:

* step 17, before it reads the body: control characters, path separators, the extension;
* step 19, when it spools the body to a temporary file named like the upload: a name longer
  than 255 bytes makes that fail, and PyPI answers with an internal error (HTTP 500);
* step 26.6, inside the archive validator: a wheel name with fewer than two ``-``;
* step 27 (sdists) and step 28 (wheels): the name is parsed and compared with the **form
  fields** the client sends. twine fills those from the core metadata inside the file, so the
  comparison here is with ``artifact.name`` / ``artifact.version`` read from METADATA or
  PKG-INFO, never with what the filename says about itself.

Two deliberate departures from "just call packaging":

* PyPI pins packaging 26.2. Version 26.3 (the one installed) refuses more names: a wheel
  whose interpreter tag is not an identifier (``39``), an empty tag component, an empty
  project name. PyPI accepts those at the parse, so names are parsed with 26.2's rules
  (``parse_wheel_name`` and ``parse_sdist_name`` in :mod:`preupload_guard.model.names`, shared
  with the Artifact), and packaging is used only for what did not change: version parsing
  and name normalization.
* twine recognises a file by its case-sensitive suffix, so ``X.WHL`` or ``X.tar.bz2`` never
  leaves the machine when twine uploads it (``Unknown distribution format``). Messages say so,
  and also say what PyPI answers a client that sends the file anyway.

The filename travels in a multipart header, where twine's HTTP library (urllib3 2) writes
``\\n``, ``\\r`` and ``"`` as ``%0A``, ``%0D`` and ``%22`` and sends every other character as
is. So a tab or DEL reaches PyPI and is refused there, but a line break arrives as the text
``%0A``: the character rule still reports it (the file would be judged, and maybe stored,
under the altered name) and says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from preupload_guard.model.findings import Finding, Rule, Severity, Skipped
from preupload_guard.model.hooks import hookimpl
from preupload_guard.model.names import WheelNameError, parse_sdist_name, parse_wheel_name
from preupload_guard.read.artifact import Artifact

if TYPE_CHECKING:
    from preupload_guard.model.context import Context

# -- PyPI's order (reference §1). ------------------------------------------------------
# Sub-steps follow the order of the checks inside one step. The reference numbers the
# last wheel check "28.10"; as a float that would equal 28.1 (the parse), so it is 28.95
# here: after every other wheel check (28.6-28.9 belong to the archives rules).
STEP_CHARACTERS = 17.0
STEP_SEPARATORS = 17.1
STEP_EXTENSION = 17.2
STEP_EXTENSION_TYPE = 17.3
STEP_TEMP_FILE = 19.0
STEP_WHEEL_SPLIT = 26.6
STEP_SDIST_PARSE = 27.1
STEP_SDIST_NAME = 27.2
STEP_SDIST_PEP625 = 27.3
STEP_WHEEL_PARSE = 28.1
STEP_WHEEL_PLATFORM = 28.2
STEP_WHEEL_NAME = 28.3
STEP_WHEEL_PREFIX = 28.4
STEP_WHEEL_VERSION = 28.5
STEP_WHEEL_METADATA_FILE = 28.95

#: Linux NAME_MAX on PyPI's servers: the temporary file is named like the upload.
NAME_MAX_BYTES = 255
#: PyPI also writes ``{filename}.metadata`` next to it for a wheel (PEP 658)...
METADATA_SUFFIX = ".metadata"
#: ...so a wheel's name may have 246 bytes at most.
WHEEL_NAME_MAX_BYTES = NAME_MAX_BYTES - len(METADATA_SUFFIX)

# -- Rule declarations. ------------------------------------------------------------------
FAMILY = "filenames"

RULES = [
    Rule(
        id="filename-characters",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The filename contains a control character, '/' or '\\'",
        explanation=(
            "Before reading the file, PyPI checks its name. A character with code 0-31 (tab, "
            "line break, escape, ...) or 127 (DEL) is refused with: 400 Cannot upload a file "
            "with non-printable characters (ordinals 0-31) or the DEL character (ordinal "
            "127) in the name. A '/' or '\\' is refused with: 400 Cannot upload a file with "
            "'/' or '\\' in the name. Such names come from scripts that pasted a line break "
            "or a path into the version or the output name, not from build backends."
        ),
        fix=(
            "Rebuild with python -m build, or rename the file so that it holds only printable "
            "characters and no path separators, and look for the script that produced it."
        ),
        step=STEP_CHARACTERS,
    ),
    Rule(
        id="invalid-extension",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The file is not a .whl, .tar.gz or .zip in lower case",
        explanation=(
            "PyPI accepts wheels (.whl) and sdists (.tar.gz, and .zip until the sdist name "
            "rules refuse it); eggs, Windows installers, .tar.bz2 and .tgz files are refused "
            "(PEP 527, PEP 715) with: 400 Invalid file extension: Use .tar.gz, .whl or .zip "
            "extension. The extension must also be lower case for the file type sent: "
            "'X.WHL' as bdist_wheel gets 400 Invalid file extension: Extension WHL is "
            "invalid for filetype bdist_wheel. twine recognises files by their exact, "
            "lower-case suffix, so it refuses all of these itself before sending anything "
            "(Unknown distribution format)."
        ),
        fix=(
            "Upload only what python -m build makes: a .whl and a .tar.gz. Rename an "
            "upper-case extension to lower case; rebuild anything else; remove legacy "
            "formats (.egg, .exe, .msi) from dist/."
        ),
        step=STEP_EXTENSION,
    ),
    Rule(
        id="filename-too-long",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The filename is too long for PyPI's servers (over 246 bytes for a wheel)",
        explanation=(
            "PyPI stores the upload in a temporary file named like it; file names are limited "
            "to 255 bytes (UTF-8) there, so a longer name makes PyPI fail with an internal "
            "error, HTTP 500 Internal Server Error, instead of a clear refusal. For a wheel "
            "it also writes the wheel's METADATA as '<filename>.metadata', 9 bytes longer: a "
            "wheel name of 247 to 255 bytes is refused with: 400 Filename is too long: "
            "'<filename>'."
        ),
        fix=(
            "Shorten the name: drop redundant tags from a compressed tag set, shorten a long "
            "build tag, or, for a new project, choose a shorter name."
        ),
        step=STEP_TEMP_FILE,
    ),
    Rule(
        id="sdist-filename",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The sdist name is not '{normalized_name}-{normalized_version}.tar.gz'",
        explanation=(
            "PyPI parses the sdist name (name, last '-', PEP 440 version) and refuses one it "
            "cannot parse with: 400 Invalid source distribution filename: FILENAME. Since "
            "PyPI enforces PEP 625 (PR #18924), the name must then be exactly the project's "
            "normalized name with '-' written '_', a '-', the normalized version from the "
            "metadata, and '.tar.gz': 'Tiny.Proj' 1.0 must be 'tiny_proj-1.0.tar.gz'. "
            "Anything else, including every .zip sdist, is refused with: 400 Filename "
            "'FILENAME' is invalid, should be 'EXPECTED'."
        ),
        fix=(
            "Build the sdist with a current backend through python -m build --sdist "
            "(setuptools 69.3 or later writes PEP 625 names); drop formats=zip from "
            "setup.cfg or any --formats=zip option. The expected name is given in the "
            "finding."
        ),
        since="2025-10-23",
        step=STEP_SDIST_PARSE,
    ),
    Rule(
        id="wheel-filename",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The wheel name cannot be parsed as name-version[-build]-python-abi-platform",
        explanation=(
            "PyPI's archive check splits the wheel name at its first two '-' and refuses a "
            "name with fewer with: 400 Invalid distribution file. Unable to parse name and "
            "version from wheel filename. Later it parses the name as packaging 26.2 does "
            "(PR #18924) and answers with packaging's error: 4 or 5 '-' are needed, the name "
            "part may hold only letters, digits, '.' and '_' (never '__'), the version must "
            "be PEP 440 and a build tag must start with a digit. For example: 400 Invalid "
            "wheel filename (wrong number of parts): 'foo-1.0-py3-any'."
        ),
        fix=(
            "Let the build backend name the wheel (python -m build --wheel) instead of "
            "renaming files: renaming also breaks the .dist-info directory PyPI looks for."
        ),
        since="2025-10-23",
        step=STEP_WHEEL_SPLIT,
    ),
    Rule(
        id="filename-project-mismatch",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The filename does not start with the project's normalized name",
        explanation=(
            "PyPI compares the name part of the filename with the Name in the metadata. If "
            "they do not normalize to the same name it answers: 400 Start filename for "
            "'NAME' with 'PREFIX'. (For an sdist of a post-release such as 1.0-1 it retries "
            "with the name cut before the second-to-last '-'.) A wheel must moreover start "
            "with exactly the normalized name with '-' written '_' (PR #18924): "
            "'Foo-1.0-py3-none-any.whl', 'foo.bar-...' and 'Foo_Bar-...' are refused with: "
            "400 Filename 'FILENAME' should contain the normalized project name 'foo', not "
            "'Foo'."
        ),
        fix=(
            "Rebuild with a current build backend, which writes normalized names. Renaming a "
            "wheel is not enough: PyPI looks for '<name>-<version>.dist-info/' inside it, "
            "spelled exactly like the start of the filename."
        ),
        since="2025-10-23",
        step=STEP_SDIST_NAME,
    ),
    Rule(
        id="filename-version-mismatch",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="The version in the filename is not the version in the metadata",
        explanation=(
            "For a wheel PyPI compares the filename's version with the metadata Version as "
            "PEP 440 versions, so 1.0.0 matches 1.0 but 1.1 does not: 400 Version in "
            "filename should be '1.0' not '1.1'. For an sdist PEP 625 wants the normalized "
            "text, so 'tinyproj-1.0.0.tar.gz' with Version 1.0 is refused with: 400 Filename "
            "'tinyproj-1.0.0.tar.gz' is invalid, should be 'tinyproj-1.0.tar.gz'. (and "
            "'tinyproj-1.0-1.tar.gz' with Version 1.0-1 should be "
            "'tinyproj-1.0.post1.tar.gz'). An sdist whose name part is wrong too is reported "
            "as sdist-filename."
        ),
        fix=(
            "Rebuild from a clean tree so that the file and its metadata agree (a stale "
            "PKG-INFO or a renamed file is the usual cause); for an sdist, let a current "
            "backend write the normalized version in the name."
        ),
        since="2024",
        step=STEP_SDIST_PEP625,
    ),
    Rule(
        id="unsupported-platform-tag",
        family=FAMILY,
        severity=Severity.ERROR,
        summary="A wheel's platform tag is not one PyPI accepts (e.g. linux_x86_64)",
        explanation=(
            "PyPI accepts a wheel only if every platform of its tag set is on its list: any; "
            "win32, win_amd64, win_arm64, win_ia64; manylinux1/2010/2014 and "
            "manylinux_X_Y/musllinux_X_Y for the common Linux architectures; linux_armv6l "
            "and linux_armv7l; macosx_10_* and macosx_11_0 to 15_0 and 26_0; iOS, Android "
            "and pyemscripten tags. A plain linux_x86_64 wheel (what a local build on Linux "
            "makes) is refused with: 400 Binary wheel 'FILENAME' has an unsupported platform "
            "tag 'linux_x86_64'."
        ),
        fix=(
            "Build Linux wheels with cibuildwheel, or repair them with auditwheel, to get a "
            "manylinux or musllinux tag; on macOS 11 and later use a deployment target with "
            "minor version 0; tag a pure-Python wheel py3-none-any."
        ),
        step=STEP_WHEEL_PLATFORM,
    ),
]


@hookimpl
def preupload_guard_rules() -> list[Rule]:
    return RULES


# -- Platform tags (reference §3.6). ---------------------------------------------------------
_STATIC_PLATFORMS = frozenset({
    "any",
    "win32", "win_arm64", "win_amd64", "win_ia64",
    "manylinux1_x86_64", "manylinux1_i686",
    "manylinux2010_x86_64", "manylinux2010_i686",
    "manylinux2014_x86_64", "manylinux2014_i686", "manylinux2014_aarch64",
    "manylinux2014_armv7l", "manylinux2014_ppc64", "manylinux2014_ppc64le",
    "manylinux2014_s390x",
    "linux_armv6l", "linux_armv7l",
})
# Each pattern is used with re.match, as PyPI does: anchored at the start only. ``.*`` stops
# at a line break and ``\d`` is any Unicode digit, as in PyPI's patterns.
_MACOSX = re.compile(r"macosx_(\d+)_(\d+)_(.*)")
_MACOSX_ARCHES = frozenset({
    "ppc", "ppc64", "i386", "x86_64", "arm64", "intel", "fat", "fat3", "fat64", "universal",
    "universal2",
})
#: Majors compared as text; for these the minor must be exactly "0". "10" takes any minor.
_MACOSX_MINOR_ZERO_MAJORS = frozenset({"11", "12", "13", "14", "15", "26"})
_LINUX_PEP600 = re.compile(r"(many|musl)linux_(\d+)_(\d+)_(.*)")
_MUSLLINUX_ARCHES = frozenset({"x86_64", "i686", "aarch64", "armv7l", "ppc64le", "s390x",
                               "riscv64"})
_MANYLINUX_ARCHES = _MUSLLINUX_ARCHES | {"ppc64"}
# No end anchor: the greedy arch runs to the *last* _iphoneos/_iphonesimulator and anything
# after it is accepted.
_IOS = re.compile(r"ios_(\d+)_(\d+)_(?P<arch>.*)_(iphoneos|iphonesimulator)")
_IOS_ARCHES = frozenset({"arm64", "x86_64"})
_ANDROID = re.compile(r"android_(\d+)_(?P<arch>.*)")
_ANDROID_ARCHES = frozenset({"armeabi_v7a", "arm64_v8a", "x86", "x86_64"})
# No end anchor either: "pyemscripten_2024_0_wasm32foo" passes.
_PYEMSCRIPTEN = re.compile(r"pyemscripten_(\d+)_(\d+)_wasm32")


def is_allowed_platform_tag(tag: str) -> bool:
    """Whether PyPI accepts one (already expanded) wheel platform tag: reference §3.6.

    A mirror of PyPI's ``_valid_platform_tag``, quirks included, because a stricter or
    looser list here means a false alarm or a refused upload: patterns are anchored at the
    start only (``ios_13_0_arm64_iphoneos_extra`` and ``pyemscripten_2024_0_wasm32foo``
    pass); ``macosx_10_<any>`` passes while 11-15 and 26 need minor ``0`` exactly
    (``macosx_11_00_arm64`` fails); a manylinux/musllinux tag of the PEP 600 form is decided
    by its architecture alone, whatever the glibc/musl version.

    ``tag`` is one platform of a compressed set, as PyPI receives it from packaging, i.e.
    already lower-cased (``ANY`` in a filename reaches this check as ``any``); the function
    itself does not lower-case, so ``"ANY"`` is refused like PyPI's function would.
    """
    if tag in _STATIC_PLATFORMS:
        return True
    match = _MACOSX.match(tag)
    if match:
        major, minor, arch = match.groups()
        if arch not in _MACOSX_ARCHES:
            return False
        if major == "10":
            return True
        return major in _MACOSX_MINOR_ZERO_MAJORS and minor == "0"
    match = _LINUX_PEP600.match(tag)
    if match:
        family, _, _, arch = match.groups()
        return arch in (_MANYLINUX_ARCHES if family == "many" else _MUSLLINUX_ARCHES)
    match = _IOS.match(tag)
    if match:
        return match.group("arch") in _IOS_ARCHES
    match = _ANDROID.match(tag)
    if match:
        return match.group("arch") in _ANDROID_ARCHES
    return _PYEMSCRIPTEN.match(tag) is not None


def _platform_hint(tag: str, filename: str, pure: bool) -> str:
    """What to do about one refused platform tag, by the family it belongs to."""
    hint = _platform_family_hint(tag, filename)
    if pure:
        hint = (
            "The wheel's ABI tag is 'none', so it is probably pure Python: then build it "
            "as py3-none-any (drop --plat-name or a platform-specific bdist_wheel option). "
            "Otherwise: " + hint
        )
    return hint


def _platform_family_hint(tag: str, filename: str) -> str:
    many = ", ".join(sorted(_MANYLINUX_ARCHES))
    if tag.startswith("linux_"):
        arch = tag[len("linux_"):]
        if arch in _MANYLINUX_ARCHES:
            return (
                "Build with cibuildwheel/auditwheel to get a manylinux tag: a wheel built on "
                "one Linux machine may need libraries other systems lack, so PyPI wants it "
                f"repaired (auditwheel repair {filename}), which bundles those libraries and "
                f"retags it, e.g. manylinux_2_28_{arch}."
            )
        return (
            f"PyPI accepts Linux wheels only for the architectures {many} (manylinux or "
            "musllinux tags), plus linux_armv6l and linux_armv7l; publish an sdist for "
            f"{arch or 'this architecture'}."
        )
    legacy = re.match(r"(manylinux1|manylinux2010|manylinux2014)_(.*)", tag)
    if legacy:
        family, arch = legacy.groups()
        if f"manylinux2014_{arch}" in _STATIC_PLATFORMS:
            return (
                f"{family} is accepted only for the architectures it was defined for; for "
                f"{arch} use manylinux2014_{arch} (PEP 600: manylinux_2_17_{arch}) or a newer "
                "glibc baseline such as manylinux_2_28, as auditwheel repair chooses."
            )
        if arch in _MANYLINUX_ARCHES:
            return (
                f"{family} is accepted only for the architectures it was defined for; for "
                f"{arch} use a PEP 600 tag manylinux_<glibc major>_<minor>_{arch} (auditwheel "
                "repair writes one)."
            )
        return f"PyPI accepts manylinux wheels only for the architectures {many}."
    pep600 = _LINUX_PEP600.match(tag)
    if pep600:
        family, arch = pep600.group(1), pep600.group(4)
        allowed = _MANYLINUX_ARCHES if family == "many" else _MUSLLINUX_ARCHES
        return (
            f"PyPI accepts {family}linux wheels only for the architectures "
            f"{', '.join(sorted(allowed))}, not {arch!r}; publish an sdist for that platform."
        )
    if tag.startswith("macosx_"):
        mac = _MACOSX.match(tag)
        arches = ", ".join(sorted(_MACOSX_ARCHES))
        if mac is None:
            return f"macOS tags have the form macosx_<major>_<minor>_<arch>, arch one of {arches}."
        major, _, arch = mac.groups()
        if arch not in _MACOSX_ARCHES:
            better = " (build for arm64, which every Apple silicon Mac runs)" if arch == "arm64e" \
                else ""
            return f"PyPI accepts macOS wheels only for the architectures {arches}{better}."
        if major in _MACOSX_MINOR_ZERO_MAJORS:
            return (
                f"From macOS 11 on, the tag must say {major}_0 (pip only ever asks for minor "
                f"0 there): build with MACOSX_DEPLOYMENT_TARGET={major}.0 to get "
                f"macosx_{major}_0_{arch}."
            )
        return (
            "PyPI accepts macOS tags for 10.x and for 11, 12, 13, 14, 15 and 26 with minor 0; "
            f"build with MACOSX_DEPLOYMENT_TARGET=11.0 (or another of those) to get, e.g., "
            f"macosx_11_0_{arch}."
        )
    if tag.startswith("win"):
        return "PyPI accepts the Windows tags win32, win_amd64, win_arm64 and win_ia64 only."
    if tag.startswith("ios_"):
        return (
            "iOS tags have the form ios_<major>_<minor>_<arm64|x86_64>_<iphoneos|"
            "iphonesimulator>."
        )
    if tag.startswith("android_"):
        return (
            "Android tags have the form android_<api level>_<arch>, arch one of "
            f"{', '.join(sorted(_ANDROID_ARCHES))}."
        )
    if tag.startswith(("emscripten_", "pyodide_", "pyemscripten_")):
        return (
            "PyPI accepts WebAssembly wheels only with a pyemscripten_<year>_<patch>_wasm32 "
            "tag; emscripten_* and pyodide_* wheels cannot be uploaded: build with a "
            "Pyodide/cibuildwheel version that writes the pyemscripten tag."
        )
    return (
        "Build the wheel on (or for) a platform PyPI accepts, for example with cibuildwheel; "
        "a wheel without compiled code should be py3-none-any."
    )


def _prefix(name: str) -> str:
    """The filename prefix PyPI requires: the normalized name with ``-`` written ``_``."""
    return canonicalize_name(name).replace("-", "_")


# -- What the client sends. ---------------------------------------------------------------
@dataclass(frozen=True)
class _FormFields:
    """The Name and Version twine sends (from METADATA/PKG-INFO), or why they are unknown."""

    name: str | None
    version: Version | None
    problem: str | None


def _form_fields(artifact: Artifact) -> _FormFields:
    try:
        error = artifact.metadata_error
        raw = artifact.raw_metadata
    except Exception as exc:  # a reader failure must not hide the filename findings
        return _FormFields(None, None, f"its metadata could not be read: {exc}")
    if error is not None or raw is None:
        return _FormFields(None, None, f"its metadata could not be read: {error}")
    name = raw.get("name")
    # PyPI drops a field whose value is exactly "UNKNOWN" before anything else.
    if not isinstance(name, str) or not name.strip() or name.strip() == "UNKNOWN":
        return _FormFields(None, None, "its metadata has no usable Name")
    text = raw.get("version")
    try:
        version = Version(text) if isinstance(text, str) else None
    except InvalidVersion:
        version = None
    if version is None:
        return _FormFields(name, None, f"its metadata Version {text!r} is not a valid version")
    return _FormFields(name, version, None)


# -- The checks. ----------------------------------------------------------------------------
#: The extension test of PyPI: case-insensitive, ``$`` (a trailing line break would pass,
#: but the character check refuses it first).
_DIST_EXTENSION = re.compile(r".+?\.(tar\.gz|zip|whl)$", re.IGNORECASE)
_EXTENSIONS_FOR = {"sdist": ("tar.gz", "zip"), "bdist_wheel": ("whl",)}


@hookimpl
def preupload_guard_check_artifact(
    artifact: Artifact, context: Context
) -> Iterator[Finding | Skipped]:
    """Every filename rule for one file; ``context`` is not needed (no index, no history)."""
    fn = artifact.filename
    yield from _check_characters(fn)
    extension_findings = list(_check_extension(artifact))
    yield from extension_findings
    yield from _check_temp_file_name(fn)
    if extension_findings:
        # Steps 26-28 concern .whl/.tar.gz/.zip files only; the rename the extension
        # finding asks for would change what they compare, so they wait for it.
        return
    if fn.endswith(".whl"):
        yield from _check_wheel(artifact, _form_fields(artifact))
    elif fn.endswith((".tar.gz", ".zip")):
        yield from _check_sdist(artifact, _form_fields(artifact))


def _check_characters(fn: str) -> Iterator[Finding]:
    bad = sorted({c for c in fn if ord(c) < 32 or ord(c) == 127})
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        answer = ("400 Cannot upload a file with non-printable characters (ordinals 0-31) or "
                  "the DEL character (ordinal 127) in the name.")
        if set(bad) <= {"\n", "\r"}:
            sent = fn.replace("\n", "%0A").replace("\r", "%0D").replace('"', "%22")
            answer = (f"twine sends line breaks as the text %0A/%0D, so PyPI would judge (and "
                      f"might store) the file as {sent!r}; a client that sends the name "
                      f"unchanged gets: {answer}")
        else:
            answer = f"PyPI would answer: {answer}"
        yield Finding(
            "filename-characters",
            f"the filename {fn!r} contains the control character(s) {shown}; {answer}",
            fn,
            hint="Rename the file without control characters (or rebuild it with python -m "
            "build), and fix the script that put them into the name.",
            step=STEP_CHARACTERS,
        )
    if "/" in fn or "\\" in fn:
        yield Finding(
            "filename-characters",
            f"the filename {fn!r} contains a path separator; PyPI would answer: 400 Cannot "
            "upload a file with '/' or '\\' in the name.",
            fn,
            hint="Rename the file without '/' or '\\' (build backends never put them there).",
            step=STEP_SEPARATORS,
        )


def _check_extension(artifact: Artifact) -> Iterator[Finding]:
    fn = artifact.filename
    twine = f"twine refuses it before sending anything (Unknown distribution format: '{fn}')"
    match = _DIST_EXTENSION.match(fn)
    if match is None:
        yield Finding(
            "invalid-extension",
            f"{fn} does not end in .whl, .tar.gz or .zip: {twine}, and PyPI accepts no other "
            "kind of file; it would answer: 400 Invalid file extension: Use .tar.gz, .whl or "
            ".zip extension.",
            fn,
            hint=_unknown_extension_hint(fn),
            step=STEP_EXTENSION,
        )
        return
    extension = match.group(1)
    # twine decides the type by exact suffix; a case-insensitive client by the lowered one.
    filetype = artifact.filetype or ("bdist_wheel" if extension.lower() == "whl" else "sdist")
    if extension in _EXTENSIONS_FOR[filetype]:
        return
    lowered = fn[: -len(extension)] + extension.lower()
    if filetype == "sdist":
        expected = _expected_sdist_name(artifact)
        if expected is not None and expected != lowered:
            hint = f"Rebuild the sdist with python -m build --sdist; PyPI expects {expected!r}."
        elif extension.lower() == "zip":
            hint = ("Build a .tar.gz sdist instead (python -m build --sdist): PyPI refuses "
                    "every .zip sdist at its sdist name check.")
        else:
            hint = f"Rename the file to {lowered!r}."
    else:
        hint = f"Rename the file to {lowered!r}."
    yield Finding(
        "invalid-extension",
        f"{fn} has the extension '.{extension}' instead of '.{extension.lower()}': {twine}, "
        f"because it recognises only lower-case extensions; a client that sends it anyway as "
        f"{filetype} gets: 400 "
        f"Invalid file extension: Extension {extension} is invalid for filetype {filetype}.",
        fn,
        hint=hint,
        step=STEP_EXTENSION_TYPE,
    )


def _unknown_extension_hint(fn: str) -> str:
    lower = fn.lower()
    if lower.endswith(".tgz"):
        return (f"A .tgz is a gzip-compressed tar: rename it to {fn[:-4]}.tar.gz, or better "
                "rebuild with python -m build --sdist, which also gets the PEP 625 name right.")
    if lower.endswith((".tar.bz2", ".tar.xz", ".tar.zst", ".tar", ".tbz2", ".txz")):
        return ("PyPI accepts only gzip-compressed .tar.gz sdists, and renaming is not enough "
                "(PyPI opens a .tar.gz as gzip): rebuild with python -m build --sdist.")
    if lower.endswith(".egg"):
        return ("PyPI no longer accepts eggs: build a wheel with python -m build --wheel and "
                "remove the .egg from the upload.")
    if lower.endswith((".exe", ".msi", ".dmg", ".rpm", ".deb")):
        return ("Installers are not accepted: publish a wheel (python -m build --wheel) and "
                "remove this file from the upload.")
    return ("Only wheels and sdists can be uploaded: remove this file from dist/ or narrow "
            "the file pattern you pass.")


def _check_temp_file_name(fn: str) -> Iterator[Finding]:
    size = len(fn.encode("utf-8", "surrogateescape"))
    if size > NAME_MAX_BYTES:
        yield Finding(
            "filename-too-long",
            f"{fn} is {size} bytes long in UTF-8, more than the {NAME_MAX_BYTES} bytes a file "
            "name may have on PyPI's servers: PyPI fails with an internal error (HTTP 500 "
            "Internal Server Error) instead of refusing the file with a reason.",
            fn,
            hint=f"Shorten the filename by at least {size - NAME_MAX_BYTES} bytes"
            + (f" ({size - WHEEL_NAME_MAX_BYTES} for a wheel, whose METADATA is also stored as "
               f"'<filename>{METADATA_SUFFIX}')" if fn.endswith(".whl") else "")
            + ": drop redundant tags from a compressed tag set, shorten a build tag, or "
            "choose a shorter project name.",
            step=STEP_TEMP_FILE,
        )


def _check_wheel_metadata_name(fn: str) -> Iterator[Finding]:
    size = len(fn.encode("utf-8", "surrogateescape"))
    if WHEEL_NAME_MAX_BYTES < size <= NAME_MAX_BYTES:
        yield Finding(
            "filename-too-long",
            f"{fn} is {size} bytes long in UTF-8, and PyPI also stores the wheel's METADATA "
            f"under this name plus '{METADATA_SUFFIX}': {size + len(METADATA_SUFFIX)} bytes, "
            f"more than the {NAME_MAX_BYTES} its servers allow; PyPI would answer: 400 "
            f"Filename is too long: '{fn}'",
            fn,
            hint=f"Shorten the filename to {WHEEL_NAME_MAX_BYTES} bytes or less (by at least "
            f"{size - WHEEL_NAME_MAX_BYTES}): drop redundant tags from a compressed tag set or "
            "shorten a build tag.",
            step=STEP_WHEEL_METADATA_FILE,
        )


def _check_wheel(artifact: Artifact, form: _FormFields) -> Iterator[Finding | Skipped]:
    yield from _check_wheel_parts(artifact, form)
    # Step 28.10 is independent of the parse: reported even when an earlier one hides it.
    yield from _check_wheel_metadata_name(artifact.filename)


def _check_wheel_parts(artifact: Artifact, form: _FormFields) -> Iterator[Finding | Skipped]:
    fn = artifact.filename
    shape = ("Wheel names have the form {name}-{version}[-{build}]-{python}-{abi}-"
             "{platform}.whl, with '_' for any '-' inside the name or version.")
    if fn.count("-") < 2:
        # The archive validator's split (Z6) comes first; the parse below fails too, but
        # one finding says it all.
        yield Finding(
            "wheel-filename",
            f"{fn} has fewer than two '-', so PyPI cannot find the project name and version "
            "in it; PyPI would answer: 400 Invalid distribution file. Unable to parse name "
            "and version from wheel filename",
            fn,
            hint=shape + " Let the build backend name it (python -m build --wheel).",
            step=STEP_WHEEL_SPLIT,
        )
        return
    try:
        wheel = parse_wheel_name(fn)
    except WheelNameError as exc:
        yield Finding(
            "wheel-filename",
            f"{fn} is not a valid wheel name; PyPI would answer: 400 {exc}",
            fn,
            hint=_wheel_parse_hint(str(exc), form) + " " + shape,
            step=STEP_WHEEL_PARSE,
        )
        return

    # Step 28.2: every platform of the compressed set.
    bad = sorted({p for p in wheel.platforms if not is_allowed_platform_tag(p)})
    pure = all(abi == "none" for abi in wheel.abis)
    for platform in bad:
        yield Finding(
            "unsupported-platform-tag",
            f"{fn} has the platform tag {platform!r}, which PyPI does not accept; PyPI would "
            f"answer: 400 Binary wheel '{fn}' has an unsupported platform tag '{platform}'."
            + (" (PyPI names the first bad tag it meets; the set's order is arbitrary.)"
               if len(bad) > 1 else ""),
            fn,
            hint=_platform_hint(platform, fn, pure),
            step=STEP_WHEEL_PLATFORM,
        )

    # Steps 28.3-28.4: the name, against the metadata Name (or, failing that, itself).
    note = ""
    name = form.name
    if name is None:
        yield Skipped("filename-project-mismatch",
                      f"{fn}: {form.problem}; the name in the filename was compared only with "
                      "its own normalized form")
        name = wheel.raw_name
        note = f" (Compared with the filename's own name, because {form.problem}.)"
    expected = _prefix(name)
    tail = fn[len(wheel.raw_name):]
    rebuild = (f" Rebuild the wheel rather than renaming it: PyPI looks for "
               f"'{expected}-{wheel.raw_version}.dist-info/' inside a file named "
               f"'{expected}{tail}'.")
    if canonicalize_name(name) != wheel.name:
        yield Finding(
            "filename-project-mismatch",
            f"{fn} is named for project {wheel.raw_name!r} but its metadata says {name!r}; "
            f"PyPI would answer: 400 Start filename for {name!r} with {expected!r}.",
            fn,
            hint=f"Check that the wheel was built from this project; expected a name starting "
            f"with {expected + '-'!r}." + rebuild,
            step=STEP_WHEEL_NAME,
        )
    elif wheel.raw_name != expected:
        yield Finding(
            "filename-project-mismatch",
            f"{fn} starts with {wheel.raw_name!r}, not the normalized name {expected!r}; PyPI "
            f"would answer: 400 Filename '{fn}' should contain the normalized project name "
            f"'{expected}', not '{wheel.raw_name}'.{note}",
            fn,
            hint="Build with a current backend, which writes the normalized name (lower case, "
            "'_' for every run of '-', '_' and '.')." + rebuild,
            step=STEP_WHEEL_PREFIX,
        )

    # Step 28.5: PEP 440 equality with the metadata Version.
    if form.version is None:
        yield Skipped("filename-version-mismatch",
                      f"{fn}: {form.problem}; the version in the filename was not compared")
    elif wheel.version != form.version:
        yield Finding(
            "filename-version-mismatch",
            f"{fn} says version {wheel.raw_version} but its metadata says {form.version}; "
            f"PyPI would answer: 400 Version in filename should be '{form.version}' not "
            f"'{wheel.version}'.",
            fn,
            hint="Rebuild the wheel from a clean tree (a stale build directory or a renamed "
            "file is the usual cause); the two must be equal as PEP 440 versions.",
            step=STEP_WHEEL_VERSION,
        )


def _wheel_parse_hint(error: str, form: _FormFields) -> str:
    if error.startswith("Invalid project name"):
        expected = f" ({_prefix(form.name)!r} here)" if form.name else ""
        return ("The name part may hold only letters, digits, '.' and single '_': use the "
                f"normalized name with '_' for '-'{expected}.")
    if "invalid version" in error:
        return "The version part must be a PEP 440 version, the one in the metadata."
    if error.startswith("Invalid build number"):
        return "An optional build tag must start with a digit, e.g. 1 or 2linux."
    return "The name needs 4 or 5 '-': a '-' inside the name or version must be written '_'."


def _check_sdist(artifact: Artifact, form: _FormFields) -> Iterator[Finding | Skipped]:
    fn = artifact.filename
    parsed = parse_sdist_name(fn)
    if parsed is None:
        expected = _expected_sdist_name(artifact, form)
        yield Finding(
            "sdist-filename",
            f"{fn} cannot be read as '<name>-<version>.tar.gz' (the part after the last '-' "
            f"must be a PEP 440 version); PyPI would answer: 400 Invalid source distribution "
            f"filename: {fn}",
            fn,
            hint="Build the sdist with python -m build --sdist"
            + (f"; PyPI expects {expected!r}." if expected else "."),
            step=STEP_SDIST_PARSE,
        )
        return

    note = ""
    name, version = form.name, form.version
    if name is None:
        yield Skipped("filename-project-mismatch",
                      f"{fn}: {form.problem}; the name in the filename was not compared")
        name = parsed.raw_name
    if version is None:
        yield Skipped("filename-version-mismatch",
                      f"{fn}: {form.problem}; the version in the filename was compared only "
                      "with its own normalized form")
        version = parsed.version
    if form.problem:
        note = f" (Compared with what the filename itself says, because {form.problem}.)"

    # Step 27.2: the name part, with PyPI's retry for legacy post-release spellings.
    raw_name = parsed.raw_name
    normalized = canonicalize_name(name)
    if canonicalize_name(raw_name) != normalized and version.is_postrelease \
            and fn.count("-") >= 2:
        retry = parsed.stem.rsplit("-", 2)[0]
        if canonicalize_name(retry) == normalized:
            raw_name = retry
    prefix = normalized.replace("-", "_")
    expected = f"{prefix}-{version}.tar.gz"
    name_ok = canonicalize_name(raw_name) == normalized
    if not name_ok:
        yield Finding(
            "filename-project-mismatch",
            f"{fn} is named for project {raw_name!r} but its PKG-INFO says {name!r}; PyPI "
            f"would answer: 400 Start filename for {name!r} with {prefix!r}.",
            fn,
            hint="Check that the sdist was built from this project and rebuild it with "
            f"python -m build --sdist; PyPI expects {expected!r}.",
            step=STEP_SDIST_NAME,
        )

    # Step 27.3: PEP 625, exactly.
    if fn == expected:
        return
    answer = f"PyPI would answer: 400 Filename '{fn}' is invalid, should be '{expected}'."
    if name_ok and raw_name == prefix and fn.endswith(".tar.gz"):
        # Only the version text differs: reported as the version rule (reference §7),
        # once, so that one refusal is one finding.
        written = parsed.stem[len(prefix) + 1:]
        try:
            same = Version(written) == version
        except InvalidVersion:
            same = False
        why = (f"writes the version {written!r}, not its normalized form {str(version)!r}"
               if same else f"says version {written!r} but its PKG-INFO says {str(version)!r}")
        yield Finding(
            "filename-version-mismatch",
            f"{fn} {why}; {answer}{note}",
            fn,
            hint=(f"Rename it to {expected!r}, or rebuild with a current backend (python -m "
                  "build --sdist), which writes normalized versions." if same else
                  "Rebuild the sdist from a clean tree, so that the name and PKG-INFO agree; "
                  f"PyPI expects {expected!r}."),
            step=STEP_SDIST_PEP625,
        )
        return
    reasons = []
    if not fn.endswith(".tar.gz"):
        reasons.append("PyPI accepts only .tar.gz sdists")
    if raw_name != prefix:
        reasons.append(f"the name part must be {prefix!r}")
    if parsed.raw_version != str(version):
        reasons.append(f"the version part must be {str(version)!r}")
    yield Finding(
        "sdist-filename",
        f"{fn} is not the PEP 625 name {expected!r} ({'; '.join(reasons)}); {answer}{note}",
        fn,
        hint=("Build a .tar.gz sdist with python -m build --sdist (drop formats=zip / "
              "--formats=zip)" if not fn.endswith(".tar.gz") else
              "Rebuild with python -m build --sdist (setuptools 69.3 or later writes PEP 625 "
              "names)") + f"; PyPI expects {expected!r}.",
        step=STEP_SDIST_PEP625,
    )


def _expected_sdist_name(artifact: Artifact, form: _FormFields | None = None) -> str | None:
    """The PEP 625 name PyPI wants, from the metadata, else from the filename if it parses.

    The extension is read in any case here, so that ``X.TAR.GZ`` gets its proper name too.
    """
    form = form or _form_fields(artifact)
    name, version = form.name, form.version
    if name is None or version is None:
        fn = artifact.filename
        parsed = None
        for extension in (".tar.gz", ".zip"):
            if fn.lower().endswith(extension):
                parsed = parse_sdist_name(fn[: -len(extension)] + extension)
        if parsed is None:
            return None
        name = name or parsed.raw_name
        version = version or parsed.version
    return f"{_prefix(name)}-{version}.tar.gz"
