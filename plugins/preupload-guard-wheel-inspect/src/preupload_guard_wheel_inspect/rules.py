"""The rules this plugin declares (ids are namespaced ``wheel-inspect/...`` on loading).

None of these is a refusal by PyPI: PyPI accepts every problem below. They are about what
happens after the upload, when installers and users meet the wheel. So most are warnings;
the ones that make common installers refuse or break the wheel are errors. Importing this
module costs nothing: wheel-inspect is imported only when a wheel is checked.
"""

from __future__ import annotations

from preupload_guard import Rule, Severity

RECORD_HASH = "record-hash"
RECORD_ENTRY = "record-entry"
DIST_INFO = "dist-info"
WHEEL_TAGS = "wheel-tags"
ENTRY_POINTS = "entry-points"
BYTECODE = "bytecode"
COLLIDING = "colliding-top-level"
UNRELATED = "unrelated-top-level"
UNREADABLE = "unreadable"

_RECORD = "wheel-record"
_DIST_INFO = "wheel-dist-info"
_LAYOUT = "wheel-layout"

RULES = [
    Rule(
        id=RECORD_HASH,
        family=_RECORD,
        severity=Severity.ERROR,
        summary="A member's content does not match its RECORD digest or size, or cannot be read",
        explanation=(
            "Every file of a wheel is listed in .dist-info/RECORD with its digest "
            "(sha256=...) and size, and the wheel specification says installers MUST verify "
            "them. A difference means the wheel was modified after it was built (a file "
            "patched, re-compressed, or swapped in), or built by a broken tool. PyPI does not "
            "look at the digests. pip does not verify them today; strict installers do "
            "(`python -m installer --validate-record=all`, tools built on the `installer` "
            "library with validation on), and anyone auditing the wheel sees it was tampered "
            "with. A member whose compressed data is corrupt (a bad CRC-32) cannot be "
            "extracted by any installer. Every mismatched member is verified and reported, "
            "not only the first."
        ),
        fix=(
            "Rebuild the wheel from source with your build backend (python -m build) and "
            "upload that file unmodified. If you must change a built wheel, unpack it, edit, "
            "and repack it with `python -m wheel unpack` / `python -m wheel pack`, which "
            "regenerates RECORD."
        ),
    ),
    Rule(
        id=RECORD_ENTRY,
        family=_RECORD,
        severity=Severity.WARNING,
        summary="RECORD has rows installers cannot use (bad hash, size, path or duplicates)",
        explanation=(
            "Each RECORD row must be `path,algorithm=urlsafe-base64-digest,size`: a relative, "
            "normalized, '/'-separated path; sha256 or a stronger hashlib algorithm (md5 and "
            "sha1 are forbidden); a digest of the algorithm's length; a decimal size; one "
            "row per path. Only RECORD's own row (and the RECORD.jws / RECORD.p7s signature "
            "files, which are not listed at all) may leave the hash and size empty. A member "
            "whose row is malformed cannot be verified, so its content is not checked. "
            "Strict installers refuse such a RECORD; pip may fail to uninstall the files."
        ),
        fix=(
            "Rebuild the wheel with a current build backend. If RECORD was written by a "
            "custom script, generate it with `python -m wheel pack` instead."
        ),
    ),
    Rule(
        id=DIST_INFO,
        family=_DIST_INFO,
        severity=Severity.ERROR,
        summary="The .dist-info / .data layout is one installers refuse or misread",
        explanation=(
            "Installers find the wheel's metadata in its one top-level "
            "'{name}-{version}.dist-info' directory. pip refuses a wheel with several "
            ".dist-info directories, a WHEEL file that is not UTF-8 or lacks a numeric "
            "Wheel-Version, a Wheel-Version of a newer major version, files in a '.data' "
            "directory outside its scheme directories (purelib, platlib, headers, scripts, "
            "data), and a METADATA whose Name or Version differs from the dist-info "
            "directory's (when that METADATA is not the one PyPI reads, the core rules "
            "cannot see it). A '.data' directory named for another project or version, a stale "
            "'.egg-info' shipped beside the .dist-info (importlib.metadata then sees two "
            "distributions), and a newer minor Wheel-Version are reported as warnings. What "
            "PyPI itself checks about WHEEL, RECORD and METADATA presence is reported by the "
            "core rule wheel-missing-file."
        ),
        fix=(
            "Rebuild the wheel with your build backend, from a clean build directory (a stale "
            "build/ directory is the usual source of a second .dist-info). Put data files "
            "under '{name}-{version}.data/data/' (or purelib, platlib, headers, scripts)."
        ),
    ),
    Rule(
        id=WHEEL_TAGS,
        family=_DIST_INFO,
        severity=Severity.WARNING,
        summary="The WHEEL file disagrees with the filename's tags or with the wheel's content",
        explanation=(
            "WHEEL must hold Wheel-Version, Generator, Root-Is-Purelib and one Tag line for "
            "each tag the filename expands to (py3-none-any, or every combination of a "
            "compressed tag set such as py2.py3), and a Build line exactly when the filename "
            "has a build tag. Tools that read WHEEL (auditwheel, delocate, wheel tags, "
            "installers choosing the lib directory) then see the same wheel as the resolver "
            "that read the filename. Root-Is-Purelib must be plausible: 'true' with compiled "
            "extension modules or a CPython ABI tag installs binaries into purelib (wrong on "
            "systems where purelib and platlib differ, such as lib and lib64); 'false' with a "
            "'none-any' tag says a universal wheel is platform-specific."
        ),
        fix=(
            "Rebuild the wheel rather than renaming it or editing WHEEL: the build backend "
            "writes tags and Root-Is-Purelib from what it compiled. To retag a wheel, use "
            "`python -m wheel tags`, which rewrites the filename, WHEEL and RECORD together."
        ),
    ),
    Rule(
        id=ENTRY_POINTS,
        family=_DIST_INFO,
        severity=Severity.WARNING,
        summary="entry_points.txt is not valid per the entry-points specification",
        explanation=(
            "Beyond what PyPI checks (core rule invalid-entry-points), every value in "
            "entry_points.txt must be an object reference `package.module:attr.attr` with "
            "optional `[extras]`; importlib.metadata and plugin hosts fail to load an entry "
            "point that is not. Console and GUI scripts also need the ':attr' part: pip "
            "refuses to install a wheel whose script has no callable suffix (reported as an "
            "error)."
        ),
        fix=(
            "Fix [project.scripts], [project.gui-scripts] and [project.entry-points] in "
            "pyproject.toml (each value 'module:function') and rebuild."
        ),
    ),
    Rule(
        id=BYTECODE,
        family=_LAYOUT,
        severity=Severity.WARNING,
        summary="The wheel ships compiled bytecode (__pycache__/, .pyc next to .py, .pyo)",
        explanation=(
            "Installers compile .py files for the interpreter they install into. Bytecode in "
            "a wheel was compiled by one particular Python from the build machine's tree, is "
            "useless (or stale) for other versions, and shows that the build picked up files "
            "left over from running the code. A .pyc with no .py beside it (outside "
            "__pycache__) is taken to be a deliberate sourceless module and is not reported."
        ),
        fix=(
            "Delete __pycache__ directories before building, build from a clean checkout "
            "(python -m build builds the wheel from a fresh sdist), or exclude '*.pyc' and "
            "'__pycache__' in the build backend's configuration."
        ),
    ),
    Rule(
        id=COLLIDING,
        family=_LAYOUT,
        severity=Severity.WARNING,
        summary="A top-level name many projects ship by accident (tests, docs, src, build, ...)",
        explanation=(
            "Everything at the root of a wheel is installed straight into site-packages. "
            "Names such as tests, test, docs, src, examples, benchmarks, build, scripts, "
            "utils, setup.py or conftest.py are shipped by accident by many projects (they "
            "are the names setuptools refuses to auto-discover for exactly that reason): two "
            "such wheels overwrite each other's files, uninstalling one breaks the other, and "
            "`import tests` finds somebody else's. 'test' also shadows the standard library's "
            "test package. Plain files at the root (LICENSE, README.md, py.typed) collide "
            "the same way. Not reported when the name is the project's own name, or allowed "
            "by [tool.preupload-guard.plugins.wheel-inspect] allow-top-level."
        ),
        fix=(
            "Exclude the directory from the wheel (setuptools: "
            "packages = find_packages(exclude=['tests*', 'docs*']); hatchling: "
            "[tool.hatch.build.targets.wheel] packages = ['src/yourpkg']), or move the "
            "files inside your package."
        ),
    ),
    Rule(
        id=UNRELATED,
        family=_LAYOUT,
        severity=Severity.WARNING,
        summary="A top-level package or module whose name has nothing to do with the project",
        explanation=(
            "A top-level import name that shares nothing with the project name (no common "
            "word, not an abbreviation of it) is often a file that slipped into the build: a "
            "helper script, a vendored copy, a leftover directory. Names are compared "
            "normalized, ignoring a leading underscore, a py/python prefix or suffix, '-stubs' "
            "and a 'types-' project prefix; abbreviations whose letters appear in order in the "
            "project name (bs4 for beautifulsoup4, sklearn for scikit-learn) count as related. "
            "The .dist-info and .data directories, .pth files and the names in the allow-list "
            "are never reported. Some projects ship unrelated names on purpose (cv2 in "
            "opencv-python, pkg_resources in setuptools): allow them."
        ),
        fix=(
            "Exclude the stray files from the wheel, or, if the name is intended, add it to "
            "allow-top-level in [tool.preupload-guard.plugins.wheel-inspect] "
            "(glob patterns are accepted)."
        ),
    ),
    Rule(
        id=UNREADABLE,
        family=_RECORD,
        severity=Severity.WARNING,
        summary="Part of the wheel could not be read or parsed, so some checks did not run",
        explanation=(
            "wheel-inspect and its parsers (wheel-filename, headerparser, entry-points-txt) "
            "raise on broken input; this plugin turns each such error into this finding, "
            "naming the file and the problem, and goes on with the checks that do not need "
            "it. Problems the core rules already report (an archive that does not open, a "
            "missing WHEEL/RECORD/METADATA where PyPI looks) are not repeated here. The "
            "finding also says when RECORD verification stopped at the verify-limit."
        ),
        fix=(
            "Rebuild the wheel with your build backend. If the limit was reached, raise "
            "verify-limit in [tool.preupload-guard.plugins.wheel-inspect]."
        ),
    ),
]
