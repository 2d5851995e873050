"""The checks of one wheel, built from wheel-inspect's parts.

wheel-inspect's ``inspect_wheel`` opens the zip itself, raises on the first broken input,
stops at the first RECORD problem and renders the README. So its lower-level pieces are used
instead, on the bytes the core's bounded archive reader hands over:

* :class:`wheel_filename.WheelFilename` for the filename and its expanded tag triples;
* :func:`wheel_inspect.util.find_dist_info_dir` for the name/version match of the
  ``.dist-info`` directory;
* :func:`wheel_inspect.wheel_info.parse_wheel_info` and
  :func:`wheel_inspect.metadata.parse_metadata` (headerparser) to validate WHEEL and METADATA;
* :class:`wheel_inspect.record.RecordEntry` and :mod:`wheel_inspect.errors` for every RECORD
  row (see :mod:`.record`);
* :mod:`entry_points_txt` for entry_points.txt;
* :data:`wheel_inspect.util.MODULE_EXT_RGX` for module names (see :mod:`.toplevel`).

Each step runs on its own: an exception any of these raises on broken input becomes a
``unreadable`` finding naming the step, and the other steps still run. Problems the core
rules already report (the archive does not open, WHEEL/RECORD/METADATA missing where PyPI
looks, an entry_points.txt PyPI refuses) are not repeated.
"""

from __future__ import annotations

import csv
import email.parser
import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from typing import Any

import entry_points_txt
import headerparser
from packaging.utils import canonicalize_name, canonicalize_version
from preupload_guard import (
    ArchiveError,
    ArchiveReader,
    Artifact,
    Finding,
    Member,
    MemberTooLarge,
    Severity,
    format_size,
)
from wheel_filename import ParseError as FilenameError
from wheel_filename import WheelFilename
from wheel_inspect import errors as wi_errors
from wheel_inspect.metadata import parse_metadata
from wheel_inspect.util import find_dist_info_dir, yield_lines
from wheel_inspect.wheel_info import parse_wheel_info

from . import record as rec
from . import toplevel
from .config import Config
from .rules import (
    BYTECODE,
    COLLIDING,
    DIST_INFO,
    ENTRY_POINTS,
    RECORD_ENTRY,
    RECORD_HASH,
    UNREADABLE,
    UNRELATED,
    WHEEL_TAGS,
)

#: dist-info text files are read up to this size; RECORD may be large in big wheels.
SMALL_LIMIT = 16 * 1024 * 1024
RECORD_LIMIT = 64 * 1024 * 1024
#: What the core's encrypted-code scan reads (a member it cannot read is reported there).
_CORE_SCAN_SUFFIXES = (".py", ".pye")
_CORE_SCAN_MAX = 5 * 1024 * 1024
_CORE_DIST_INFO_FILES = ("WHEEL", "RECORD", "METADATA", "entry_points.txt")
SCHEME_KEYS = ("data", "headers", "platlib", "purelib", "scripts")
_SCRIPT_GROUPS = ("console_scripts", "gui_scripts")

#: Exceptions wheel-inspect, its parsers, zipfile and the core's readers raise on broken
#: input. Anything else is a bug here and is left to surface as a plugin-error.
INPUT_ERRORS: tuple[type[BaseException], ...] = (
    wi_errors.WheelValidationError,
    FilenameError,
    entry_points_txt.ParseError,
    headerparser.errors.Error,
    ArchiveError,
    zipfile.BadZipFile,
    UnicodeError,
    csv.Error,
    EOFError,
    zlib.error,
    ValueError,
    LookupError,
)

REBUILD = "Rebuild the wheel with your build backend (python -m build) and upload that file."


class Inspection:
    """The plugin's checks of one wheel whose archive the core could open."""

    def __init__(self, artifact: Artifact, reader: ArchiveReader, config: Config, *,
                 verify: bool = True) -> None:
        self.artifact = artifact
        self.reader = reader
        self.config = config
        #: False when record-hash is ignored: then no member is read to hash it.
        self.verify = verify
        self.fn = artifact.filename
        self.names = reader.names()
        self.wheel_name: WheelFilename | None = None
        self.dist_info: str | None = None
        parts = artifact.raw_name_parts
        #: The dist-info directory PyPI (and so the core rules) look at.
        self.raw_dist_info = f"{parts[0]}-{parts[1]}.dist-info" if parts else None
        self.contents: dict[str, bytes | ArchiveError] = {}

    # -- plumbing ------------------------------------------------------------------------
    def finding(self, rule: str, message: str, hint: str | None = None,
                severity: Severity | None = None) -> Finding:
        return Finding(rule, f"{self.fn}: {message}", self.fn, hint=hint, severity=severity)

    def run(self) -> Iterator[Finding]:
        steps: list[tuple[str, Callable[[], Iterator[Finding]]]] = [
            ("filename", self.check_filename),
            ("dist-info", self.check_dist_info_dirs),
            ("WHEEL", self.check_wheel),
            ("METADATA", self.check_metadata),
            (".data", self.check_data_dirs),
            ("entry_points.txt", self.check_entry_points),
            ("RECORD", self.check_record),
            ("bytecode", self.check_bytecode),
            ("top-level names", self.check_top_level),
        ]
        for label, step in steps:
            try:
                yield from step()
            except INPUT_ERRORS as exc:
                text = str(exc) or type(exc).__name__
                yield self.finding(
                    UNREADABLE,
                    f"the {label} check stopped on broken input ({type(exc).__name__}: "
                    f"{text}); its remaining checks did not run",
                    REBUILD,
                )

    def core_reads(self, member: Member | str) -> bool:
        """Does a core rule read this member's content (and so report it unreadable)?"""
        name = member if isinstance(member, str) else member.name
        if self.raw_dist_info is not None and name in {
                f"{self.raw_dist_info}/{f}" for f in _CORE_DIST_INFO_FILES}:
            return True
        info = self.reader.member(name)
        return (info is not None and name.lower().endswith(_CORE_SCAN_SUFFIXES)
                and info.size <= _CORE_SCAN_MAX)

    def text(self, name: str) -> Generator[Finding, None, str | None]:
        """``text = yield from self.text(name)``: a dist-info file as UTF-8, or ``None``.

        ``None`` when it is absent, or unreadable (reported here unless a core rule reads it
        and says so itself). A file that is not UTF-8 raises :class:`UnicodeDecodeError`
        for the caller to judge.
        """
        value = self.contents.get(name)
        if value is None:
            return None
        if isinstance(value, MemberTooLarge):
            limit = RECORD_LIMIT if name.endswith("/RECORD") else SMALL_LIMIT
            yield self.finding(UNREADABLE, f"{name} is larger than {format_size(limit)}; it "
                               "was not checked", REBUILD)
            return None
        if isinstance(value, ArchiveError):
            if not self.core_reads(name):
                yield self.finding(UNREADABLE, f"{name} cannot be read ({value}); "
                                   "installers cannot extract it", REBUILD)
            return None
        return value.decode("utf-8")

    # -- filename and dist-info ------------------------------------------------------------
    def check_filename(self) -> Iterator[Finding]:
        try:
            self.wheel_name = WheelFilename.parse(self.fn)
        except FilenameError as exc:
            if self.artifact.filename_error is None:  # else the core's filename rules say it
                yield self.finding(
                    UNREADABLE,
                    f"wheel-filename cannot parse the name ({exc}); the checks that compare "
                    "WHEEL's tags with the filename did not run",
                    "Name the wheel {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, "
                    "as the build backend does.")

    def check_dist_info_dirs(self) -> Iterator[Finding]:
        dirs = sorted({n.split("/", 1)[0] for n in self.names
                       if "/" in n and n.split("/", 1)[0].endswith(".dist-info")})
        eggs = sorted({n.split("/", 1)[0] for n in self.names
                       if n.split("/", 1)[0].endswith((".egg-info", ".egg-link"))})
        if eggs:
            yield self.finding(
                DIST_INFO,
                f"the wheel installs {rec.examples(eggs, 3)} into site-packages: "
                "importlib.metadata then finds a second, stale distribution beside the "
                ".dist-info one (pip list and version lookups may show either)",
                "Delete *.egg-info before building and exclude it from the wheel; "
                "python -m build from a clean checkout never includes it.",
                Severity.WARNING)
        if not dirs:
            return  # the core's wheel-missing-file reports the missing WHEEL
        if len(dirs) == 1:
            self.dist_info = dirs[0]
        else:
            yield self.finding(
                DIST_INFO,
                f"the wheel has {len(dirs)} .dist-info directories ({rec.examples(dirs)}); "
                "pip refuses it: 'multiple .dist-info directories found'",
                "A stale build directory leaked an old .dist-info into the wheel: delete "
                "build/ and rebuild (python -m build builds from a fresh copy of the sdist).")
            self.dist_info = self._matching_dist_info(dirs)
        if self.dist_info is not None:
            wanted = [f"{self.dist_info}/{f}" for f in
                      ("WHEEL", "METADATA", "entry_points.txt", "top_level.txt")]
            wanted = [n for n in wanted if (m := self.reader.member(n)) and m.is_file]
            self.contents = self.reader.read_members(wanted, SMALL_LIMIT)
            record = f"{self.dist_info}/RECORD"
            if (m := self.reader.member(record)) is not None and m.is_file:
                self.contents.update(self.reader.read_members([record], RECORD_LIMIT))

    def _matching_dist_info(self, dirs: list[str]) -> str | None:
        """Of several, the one PyPI reads, else the one wheel-inspect would match."""
        if self.raw_dist_info in dirs:
            return self.raw_dist_info
        if self.wheel_name is None:
            return None
        for candidate in dirs:
            try:
                return str(find_dist_info_dir([f"{candidate}/"], self.wheel_name.project,
                                              self.wheel_name.version))
            except wi_errors.DistInfoError:
                continue
        return None

    # -- WHEEL -------------------------------------------------------------------------------
    def check_wheel(self) -> Iterator[Finding]:
        if self.dist_info is None:
            return
        name = f"{self.dist_info}/WHEEL"
        try:
            text = yield from self.text(name)
        except UnicodeDecodeError as exc:
            yield self.finding(
                DIST_INFO,
                f"{name} is not UTF-8 ({exc.reason} at byte {exc.start}); pip refuses the "
                "wheel: 'error decoding WHEEL'", REBUILD)
            return
        if text is None:
            return
        # pip reads WHEEL with the email parser and needs a numeric Wheel-Version.
        message = email.parser.Parser().parsestr(text)
        yield from self._wheel_version(name, message.get("Wheel-Version"))
        try:
            parse_wheel_info(io.StringIO(text))
        except headerparser.errors.Error as exc:
            if not (isinstance(exc, headerparser.errors.MissingFieldError)
                    and exc.name == "Wheel-Version"):
                yield self.finding(
                    WHEEL_TAGS,
                    f"{name} does not follow the wheel format ({_headerparser_text(exc)})",
                    "WHEEL needs Wheel-Version, Generator, Root-Is-Purelib (true/false) and "
                    "Tag lines, once each (Tag repeated). " + REBUILD)
        tags = [t.strip() for t in message.get_all("Tag") or []]
        yield from self._tags(name, tags, message.get("Build"))
        yield from self._purelib(name, message.get("Root-Is-Purelib"), tags)

    def _wheel_version(self, name: str, value: str | None) -> Iterator[Finding]:
        if value is None:
            yield self.finding(DIST_INFO, f"{name} has no Wheel-Version; pip refuses the "
                               "wheel: 'WHEEL is missing Wheel-Version'", REBUILD)
            return
        try:
            version = tuple(int(p) for p in value.strip().split("."))
        except ValueError:
            yield self.finding(DIST_INFO, f"{name} has Wheel-Version {value.strip()!r}, not "
                               "numbers; pip refuses the wheel: 'invalid Wheel-Version'",
                               REBUILD)
            return
        if version[0] > 1:
            yield self.finding(
                DIST_INFO,
                f"{name} says Wheel-Version {value.strip()}; installers that know format 1 "
                "refuse a newer major version (pip: 'Wheel-Version ... is not compatible')",
                "Build with a backend that writes Wheel-Version 1.0.")
        elif version > (1, 0):
            yield self.finding(
                DIST_INFO,
                f"{name} says Wheel-Version {value.strip()}; pip warns 'Installing from a "
                "newer Wheel-Version' and other installers may refuse it",
                "Build with a backend that writes Wheel-Version 1.0.", Severity.WARNING)

    def _tags(self, name: str, tags: list[str], build: str | None) -> Iterator[Finding]:
        if self.wheel_name is None:
            return
        expected = list(dict.fromkeys(self.wheel_name.tag_triples()))
        missing = [t for t in expected if t not in tags]
        extra = [t for t in dict.fromkeys(tags) if t not in expected]
        if tags and (missing or extra):
            parts = []
            if missing:
                parts.append(f"the filename's {rec.examples(missing)} "
                             f"{'is' if len(missing) == 1 else 'are'} missing")
            if extra:
                parts.append(f"{rec.examples(extra)} "
                             f"{'is' if len(extra) == 1 else 'are'} not in the filename")
            yield self.finding(
                WHEEL_TAGS,
                f"{name}'s Tag lines do not match the filename's tags ({'; '.join(parts)}); "
                "tools that read WHEEL see another wheel than resolvers that read the name",
                "The file was probably renamed after it was built. Retag with `python -m "
                "wheel tags` (it rewrites name, WHEEL and RECORD together) or rebuild.")
        filename_build = self.wheel_name.build
        build = build.strip() if build is not None else None
        if (build or None) != (filename_build or None):
            what = (f"Build {build!r}" if build else "no Build line")
            has = (f"build tag {filename_build!r}" if filename_build else "no build tag")
            yield self.finding(
                WHEEL_TAGS,
                f"{name} has {what} but the filename has {has}",
                "Rebuild with the build tag set in the backend (e.g. --build-number) instead "
                "of renaming the file.")

    def _purelib(self, name: str, value: str | None, tags: list[str]) -> Iterator[Finding]:
        if value is None or value.strip().lower() not in ("true", "false"):
            return  # reported by parse_wheel_info above
        purelib = value.strip().lower() == "true"
        if not tags and self.wheel_name is not None:
            tags = list(self.wheel_name.tag_triples())
        triples = [t.split("-") for t in tags if t.count("-") == 2]
        compiled = [n for n in self.names if _is_extension(n) and _in_purelib(n)]
        if purelib:
            abi_specific = [t for t in tags if t.count("-") == 2 and t.split("-")[1] != "none"]
            if compiled or abi_specific:
                why = (f"it holds compiled extensions ({rec.examples(compiled, 3)})" if compiled
                       else f"its tags are ABI-specific ({rec.examples(abi_specific, 3)})")
                yield self.finding(
                    WHEEL_TAGS,
                    f"{name} says Root-Is-Purelib: true but {why}: installers put the root in "
                    "purelib, which is the wrong place for binaries on systems where purelib "
                    "and platlib differ (lib vs lib64)",
                    "Let the build backend decide: a wheel with extension modules gets "
                    "Root-Is-Purelib: false and a platform tag automatically.")
        elif triples and all(abi == "none" and plat == "any" for _, abi, plat in triples) \
                and not compiled:
            yield self.finding(
                WHEEL_TAGS,
                f"{name} says Root-Is-Purelib: false, yet the wheel is tagged "
                f"{rec.examples(tags, 3)} (any platform) and holds no compiled code",
                "A pure-Python wheel should say Root-Is-Purelib: true; rebuild it with your "
                "build backend.")

    # -- METADATA -----------------------------------------------------------------------------
    def check_metadata(self) -> Iterator[Finding]:
        if self.dist_info is None:
            return
        name = f"{self.dist_info}/METADATA"
        if self.artifact.metadata_path == name:
            return  # the core compares this file's Name/Version with the filename
        try:
            text = yield from self.text(name)
        except UnicodeDecodeError as exc:
            yield self.finding(UNREADABLE, f"{name} is not UTF-8 ({exc.reason} at byte "
                               f"{exc.start}); it was not checked", REBUILD)
            return
        if text is None:
            return
        fields: dict[str, Any]
        try:
            fields = parse_metadata(io.StringIO(text))
        except headerparser.errors.Error as exc:
            yield self.finding(
                DIST_INFO,
                f"{name} does not parse as core metadata ({_headerparser_text(exc)}); PyPI "
                f"reads {self.artifact.metadata_path or 'no METADATA'} instead, so nothing "
                "else checks this file",
                REBUILD, Severity.WARNING)
            message = email.parser.Parser().parsestr(text)
            fields = {"name": message.get("Name"), "version": message.get("Version")}
        stem = self.dist_info[: -len(".dist-info")]
        dname, _, dversion = stem.partition("-")
        problems = []
        meta_name, meta_version = fields.get("name"), fields.get("version")
        if meta_name and canonicalize_name(str(meta_name)) != canonicalize_name(dname):
            problems.append(f"Name {meta_name!r}")
        if meta_version and (canonicalize_version(str(meta_version))
                             != canonicalize_version(dversion.replace("_", "-"))):
            problems.append(f"Version {meta_version!r}")
        if problems:
            yield self.finding(
                DIST_INFO,
                f"{name} says {' and '.join(problems)}, which does not match the directory "
                f"{self.dist_info!r}; installers read this file, PyPI reads "
                f"{self.artifact.metadata_path or 'none'}, so the index and the installed "
                "package disagree (pip refuses: inconsistent metadata)",
                "Rebuild the wheel; do not edit or rename dist-info files by hand.")

    # -- .data ------------------------------------------------------------------------------
    def check_data_dirs(self) -> Iterator[Finding]:
        data_dirs = sorted({n.split("/", 1)[0] for n in self.names
                            if "/" in n and n.split("/", 1)[0].endswith(".data")})
        if not data_dirs:
            return
        expected = (self.dist_info[: -len(".dist-info")] + ".data") if self.dist_info else None
        unexpected: list[str] = []
        unknown: list[str] = []
        for n in self.names:
            head, _, rest = n.partition("/")
            if head not in data_dirs or not rest or n.endswith("/"):
                continue
            key, slash, sub = rest.partition("/")
            if not slash or not sub:
                unexpected.append(n)
            elif key not in SCHEME_KEYS:
                unknown.append(n)
        if unexpected:
            yield self.finding(
                DIST_INFO,
                f"{rec.examples(unexpected, 3)} {'is' if len(unexpected) == 1 else 'are'} "
                "directly in a .data directory, outside any scheme directory; pip refuses the "
                "wheel: '.data directory contents should be named like: <scheme key>/<path>'",
                f"Put data files under .data/{{{','.join(SCHEME_KEYS)}}}/...; rebuild.")
        if unknown:
            keys = sorted({n.split("/")[1] for n in unknown})
            yield self.finding(
                DIST_INFO,
                f".data has unknown scheme director{'y' if len(keys) == 1 else 'ies'} "
                f"{rec.examples(keys, 3)} (for {rec.examples(unknown, 2)}); pip refuses the "
                f"wheel: 'Unknown scheme key' (valid: {', '.join(SCHEME_KEYS)})",
                "Rename the directory to one of the scheme keys and rebuild.")
        strays = [d for d in data_dirs if expected is not None and d != expected]
        if strays:
            yield self.finding(
                DIST_INFO,
                f"{rec.examples(strays, 3)} {'is' if len(strays) == 1 else 'are'} not this "
                f"wheel's data directory (expected {expected!r}); installers that look for "
                "that name only treat the directory as plain files in site-packages",
                "Rebuild the wheel: the backend names the .data directory like the "
                ".dist-info one.", Severity.WARNING)

    # -- entry_points.txt ---------------------------------------------------------------------
    def check_entry_points(self) -> Iterator[Finding]:
        if self.dist_info is None:
            return
        name = f"{self.dist_info}/entry_points.txt"
        try:
            text = yield from self.text(name)
        except UnicodeDecodeError as exc:
            if self.dist_info != self.raw_dist_info:  # else invalid-entry-points says it
                yield self.finding(UNREADABLE, f"{name} is not UTF-8 ({exc.reason}); it "
                                   "was not checked", REBUILD)
            return
        if text is None:
            return
        if self.dist_info == self.raw_dist_info and _core_refuses_entry_points(text):
            return  # the core's invalid-entry-points reports it, in PyPI's words
        problems: list[str] = []
        no_callable: list[str] = []
        header: str | None = None
        header_ok = True
        for lineno, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith(("#", ";")):
                continue
            if line.startswith("["):
                header, chunk = line, line
            elif not header_ok:
                continue  # the bad header is reported once
            else:
                chunk = f"{header}\n{line}" if header else line
            try:
                parsed = entry_points_txt.loads(chunk)
            except entry_points_txt.ParseError as exc:
                problems.append(f"line {lineno}: {exc}")
                if line.startswith("["):
                    header_ok = False
                continue
            if line.startswith("["):
                header_ok = True
                continue
            for group, eps in parsed.items():
                if group in _SCRIPT_GROUPS:
                    no_callable.extend(f"{group}: {ep.to_line()}" for ep in eps.values()
                                       if ep.attr is None)
        if problems:
            yield self.finding(
                ENTRY_POINTS,
                f"{name} does not follow the entry-points specification: "
                f"{rec.examples(problems, 3)}; importlib.metadata cannot load these entry "
                "points",
                "Each value must be 'package.module:object' (optional ' [extras]'), in a "
                "'[group]' whose name is a dotted identifier. Fix the entry points in "
                "pyproject.toml and rebuild.")
        if no_callable:
            yield self.finding(
                ENTRY_POINTS,
                f"{name}: script entry point{'s' if len(no_callable) > 1 else ''} without a "
                f"callable ({rec.examples(no_callable, 3)}); pip refuses to install the wheel: "
                "'Invalid script entry point ... A callable suffix is required'",
                "Write scripts as 'name = package.module:function' in [project.scripts] and "
                "rebuild.", Severity.ERROR)

    # -- RECORD -------------------------------------------------------------------------------
    def check_record(self) -> Iterator[Finding]:
        if self.dist_info is None:
            return
        name = f"{self.dist_info}/RECORD"
        try:
            text = yield from self.text(name)
        except UnicodeDecodeError as exc:
            if self.dist_info != self.raw_dist_info:  # else wheel-missing-file says it
                yield self.finding(UNREADABLE, f"{name} is not UTF-8 ({exc.reason}); the "
                                   "members were not verified", REBUILD)
            return
        if text is None:
            return  # absent: the core's wheel-missing-file
        try:
            parsed = rec.parse_record(text, self.dist_info)
        except csv.Error as exc:
            if self.dist_info != self.raw_dist_info:
                yield self.finding(UNREADABLE, f"{name} is not valid CSV ({exc}); the "
                                   "members were not verified", REBUILD)
            return
        if parsed.problems:
            yield self.finding(
                RECORD_ENTRY,
                f"{name} has {len(parsed.problems)} row(s) installers cannot use: "
                f"{rec.examples(parsed.problems, 4)}; members whose row is unusable were "
                "not verified",
                "Regenerate RECORD: rebuild, or `python -m wheel unpack` then "
                "`python -m wheel pack`. Use sha256 digests, '/' paths, one row per file.")
        budget = self.config.verify_limit
        if budget <= 0 or not self.verify:
            return
        result = rec.verify_members(self.reader, parsed.entries, budget=budget,
                                    quiet_failure=self.core_reads,
                                    hashed=self.artifact.subscribed(rec.MemberHashes))
        if result.mismatched:
            count = len(result.mismatched)
            yield self.finding(
                RECORD_HASH,
                f"{count} member{'s do' if count > 1 else ' does'} not match RECORD: "
                f"{rec.examples(result.mismatched)}; the wheel was changed after RECORD was "
                "written, and installers that verify RECORD (as the wheel spec requires) "
                "refuse it",
                "Rebuild the wheel and upload it unmodified; to change a built wheel use "
                "`python -m wheel unpack` / `python -m wheel pack`, which rewrites RECORD.")
        if result.unreadable:
            items = [f"{n} ({why})" for n, why in result.unreadable]
            yield self.finding(
                RECORD_HASH,
                f"{len(items)} member(s) cannot be read to verify RECORD: "
                f"{rec.examples(items, 3)}; installers cannot extract them either",
                "The file is corrupt (bad CRC or compressed data) or encrypted. " + REBUILD)
        count, size = result.over_budget
        if count:
            yield self.finding(
                UNREADABLE,
                f"{count} member(s) ({format_size(size)} uncompressed) were not verified "
                f"against RECORD: the wheel is over the verify-limit of {format_size(budget)}",
                "Raise verify-limit in [tool.preupload-guard.plugins.wheel-inspect] to "
                "verify everything.")

    # -- layout ---------------------------------------------------------------------------------
    def check_bytecode(self) -> Iterator[Finding]:
        found = toplevel.bytecode_members(self.names)
        if found:
            yield self.finding(
                BYTECODE,
                f"{len(found)} compiled bytecode file{'s' if len(found) > 1 else ''} in the "
                f"wheel ({rec.examples(found, 3)}); installers compile .py files for the "
                "target interpreter themselves",
                "Delete __pycache__ and *.pyc before building, or build from a clean checkout "
                "(python -m build goes through a fresh sdist); exclude '__pycache__' and "
                "'*.py[co]' in the backend's configuration.")

    def check_top_level(self) -> Iterator[Finding]:
        declared: list[str] = []
        if self.dist_info is not None:
            name = f"{self.dist_info}/top_level.txt"
            try:
                text = yield from self.text(name)
            except UnicodeDecodeError as exc:
                yield self.finding(UNREADABLE, f"{name} is not UTF-8 ({exc.reason}); it was "
                                   "not read", REBUILD)
                text = None
            if text:
                declared = list(yield_lines(io.StringIO(text)))
        tops = toplevel.collect(self.names, declared)
        projects = [p for p in dict.fromkeys((
            self.artifact.name, self.artifact.filename_project,
            self.wheel_name.project if self.wheel_name else None)) if p]
        colliding: list[str] = []
        shadows: set[str] = set()
        unrelated: list[str] = []
        for top in tops.values():
            if top.kind == "pth" or self.config.allows(top.name):
                continue
            label = _label(top)
            if top.kind == "file":
                if toplevel.file_collides(top.name, projects):
                    colliding.append(label)
                continue
            if top.key in toplevel.COLLIDING:
                if not toplevel.is_own_name(top.name, projects):
                    colliding.append(label)
                    shadows.add(top.key)
                continue
            if projects and not toplevel.is_related(top.name, projects):
                unrelated.append(label)
        if colliding:
            shadowing = sorted(k for k in shadows if k in toplevel.STDLIB_SHADOWED)
            note = (f" ({', '.join(shadowing)} also shadows the standard library's package "
                    "of that name)" if shadowing else "")
            yield self.finding(
                COLLIDING,
                f"the wheel installs {rec.examples(colliding, 4)} at the top of "
                "site-packages, where other projects' files of the same name overwrite them"
                f"{note}",
                "Leave them out of the wheel (setuptools: find_packages(exclude=[\"tests*\", "
                "\"docs*\"]); hatchling: list only your package in "
                "[tool.hatch.build.targets.wheel] packages) or move them into your package; "
                "if intended, add them to allow-top-level in "
                "[tool.preupload-guard.plugins.wheel-inspect].")
        if unrelated:
            who = self.artifact.name or projects[0]
            yield self.finding(
                UNRELATED,
                f"top-level {rec.examples(unrelated, 4)} "
                f"{'has' if len(unrelated) == 1 else 'have'} nothing to do with the project "
                f"name {who!r}; stray files often slip into a build this way",
                "Leave stray modules and directories out of the wheel, or add the intended "
                "names to allow-top-level in [tool.preupload-guard.plugins.wheel-inspect].")


def _label(top: toplevel.TopLevel) -> str:
    if top.kind == "package":
        where = " (from top_level.txt)" if top.example == "top_level.txt" else ""
        return f"{top.name}/{where}"
    if top.kind == "module":
        return posixpath.basename(top.example) if top.example else top.name
    return top.name


def _in_purelib(name: str) -> bool:
    """Installed into the root scheme (the wheel's root) or explicitly into purelib."""
    head, _, rest = name.partition("/")
    if head.endswith(".dist-info"):
        return False
    if head.endswith(".data"):
        return rest.startswith("purelib/")
    return True


def _is_extension(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.endswith((".so", ".pyd")) and not base.startswith(".")


def _headerparser_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def _core_refuses_entry_points(text: str) -> bool:
    """Whether the core's invalid-entry-points rule reports this file (PyPI refuses it)."""
    try:
        from preupload_guard import entry_points_problem
    except ImportError:  # pragma: no cover - an older or newer core
        return False
    return entry_points_problem(text.encode("utf-8")) is not None
