"""What a wheel puts at the root of site-packages, and whether it belongs to the project.

The names come from the member list (``.data/purelib`` and ``.data/platlib`` count as the
root, as installers put them there) and from ``top_level.txt``, which
``importlib.metadata.packages_distributions()`` reads. wheel-inspect's own module-suffix
pattern (``wheel_inspect.util.MODULE_EXT_RGX``: .py, .so, .pyd, ``.cpython-312-x86_64-...so``)
decides what is a module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from wheel_inspect.util import MODULE_EXT_RGX

#: Names setuptools refuses to auto-discover as top-level packages or modules in a flat
#: layout (setuptools.discovery.FlatLayoutPackageFinder / FlatLayoutModuleFinder), because
#: projects ship them by accident; plus ``src`` (a misconfigured src layout ships the
#: directory itself) and the dunder modules that make site-packages itself a package.
COLLIDING = frozenset({
    # packages
    "ci", "bin", "debian", "doc", "docs", "documentation", "manpages", "news",
    "newsfragments", "changelog", "test", "tests", "unit_test", "unit_tests", "example",
    "examples", "scripts", "tools", "util", "utils", "python", "build", "dist", "venv", "env",
    "requirements", "tasks", "fabfile", "site_scons", "benchmark", "benchmarks", "exercise",
    "exercises", "htmlcov",
    # modules
    "setup", "conftest", "toxfile", "noxfile", "pavement", "dodo", "sconstruct", "conanfile",
    "manage",
    # ours
    "src", "__init__", "__main__",
})
STDLIB_SHADOWED = frozenset({"test"})
#: Plain files every project has: at the root of site-packages they always collide.
GENERIC_FILES = re.compile(
    r"(licen[cs]e|copying|readme|changelog|changes|history|authors|contributors|notice|"
    r"requirements[\w.-]*|setup|pyproject|tox|makefile|manifest)(\.[\w.]+)?|py\.typed",
    re.IGNORECASE)

_LIB_SCHEMES = ("purelib", "platlib")
_EXTRA_MODULE_SUFFIXES = (".pyi", ".pyc")
_PREFIXES = ("python_", "python", "py_", "py", "types_")
_SUFFIXES = ("_python", "python", "_py", "py", "_stubs", "stubs")
_GENERIC_TOKENS = frozenset({"py", "python", "lib", "libs", "the", "and", "for", "stubs",
                             "types"})


@dataclass
class TopLevel:
    """One name at the root of site-packages."""

    name: str  # import name (package or module) or file name
    kind: str  # "package", "module", "file" or "pth"
    example: str  # a member that puts it there, or "top_level.txt"

    @property
    def key(self) -> str:
        return self.name.lower()


def collect(names: Iterable[str], declared: Iterable[str] = ()) -> dict[str, TopLevel]:
    """Top-level names by lowercased name, in member order, then ``declared`` ones."""
    found: dict[str, TopLevel] = {}
    for name in names:
        parts = name.split("/")
        head = parts[0]
        if not head or head.endswith((".dist-info", ".egg-info", ".egg-link")):
            continue  # metadata, not importable (the dist-info rule reports stale egg-info)
        if head.endswith(".data"):
            if len(parts) > 3 and parts[1] in _LIB_SCHEMES and parts[2]:
                parts = parts[2:]
            else:
                continue  # scripts, headers, data: not importable (the dist-info rule looks)
        top = _classify(parts)
        if top is not None:
            top.example = name
            found.setdefault(top.key, top)
    for line in declared:
        name = line.strip().replace("/", ".").split(".")[0]
        if name and name.lower() not in found:
            found[name.lower()] = TopLevel(name, "package", "top_level.txt")
    return found


def _classify(parts: list[str]) -> TopLevel | None:
    if len(parts) > 1:  # a directory (or a "dir/" entry)
        return TopLevel(parts[0], "package", "")
    filename = parts[0]
    if filename.endswith(".pth"):
        return TopLevel(filename, "pth", "")
    match = MODULE_EXT_RGX.search(filename)
    if match is not None:
        return TopLevel(filename[: match.start()], "module", "")
    for suffix in _EXTRA_MODULE_SUFFIXES:
        if filename.endswith(suffix) and len(filename) > len(suffix):
            return TopLevel(filename[: -len(suffix)], "module", "")
    return TopLevel(filename, "file", "")


# -- is it the project's? -------------------------------------------------------------------
def _norm(name: str) -> str:
    return re.sub(r"[-_.\s]+", "_", name).lower().strip("_")


def project_variants(project: str) -> set[str]:
    """The project name normalized, with and without py/python/types- affixes."""
    base = _norm(project)
    out = {base}
    for prefix in _PREFIXES:
        if base.startswith(prefix) and len(base) > len(prefix) + 1:
            out.add(base[len(prefix):].strip("_"))
    for suffix in _SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix) + 1:
            out.add(base[: -len(suffix)].strip("_"))
    return {v for v in out if v}


def import_stem(name: str) -> str:
    """``numpy.libs`` -> ``numpy``, ``foo-stubs`` -> ``foo``, ``_yaml`` -> ``yaml``."""
    stem = name.split(".")[0]
    for suffix in ("-stubs", "_stubs"):
        if stem.lower().endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
    return _norm(stem)


def file_collides(filename: str, projects: Iterable[str]) -> bool:
    """A plain file at the root collides unless it is named for the project."""
    if GENERIC_FILES.fullmatch(filename):
        return True
    return not is_related(filename.rsplit(".", 1)[0] if "." in filename[1:] else filename,
                          projects)


def is_own_name(name: str, projects: Iterable[str]) -> bool:
    """The name *is* the project's (``build`` in project ``build``), not merely related."""
    stem = import_stem(name)
    return any(stem == _norm(p) for p in projects)


def is_related(name: str, projects: Iterable[str]) -> bool:
    """Does top-level ``name`` plausibly belong to one of the ``projects``?

    Related when, after normalizing: one contains the other (3+ characters), they share a
    word of 3+ characters that is not generic (``py``, ``lib``), or the name is an
    abbreviation whose letters appear in order in the project name and start alike
    (``bs4`` / beautifulsoup4, ``sklearn`` / scikit-learn).
    """
    stem = import_stem(name)
    if not stem:
        return True
    compact = stem.replace("_", "")
    tokens = {t for t in stem.split("_") if len(t) >= 3} - _GENERIC_TOKENS
    for project in projects:
        for variant in project_variants(project):
            pcompact = variant.replace("_", "")
            if compact == pcompact or _abbreviates(compact, pcompact, 2):
                return True
            if len(pcompact) >= 3 and pcompact in compact:
                return True
            ptokens = {t for t in variant.split("_") if len(t) >= 3} - _GENERIC_TOKENS
            if tokens & ptokens:
                return True
            # One word of the name abbreviates the project: mpl_toolkits / matplotlib.
            if len(tokens) > 1 and any(_abbreviates(t, pcompact, 3) for t in tokens):
                return True
    return False


def _abbreviates(short: str, long: str, minimum: int) -> bool:
    """``short`` is in ``long``, or its letters appear in order in it, starting alike."""
    if len(short) < minimum or not long:
        return False
    if len(short) >= 3 and short in long:
        return True
    return short[0] == long[0] and _subsequence(short, long)


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


# -- bytecode -------------------------------------------------------------------------------
def bytecode_members(names: Iterable[str]) -> list[str]:
    """``__pycache__/`` contents, ``.pyo`` files, and ``.pyc`` files next to their ``.py``.

    A lone ``.pyc`` outside ``__pycache__`` is a sourceless module, shipped on purpose.
    """
    names = list(names)
    present = set(names)
    found = []
    for name in names:
        if name.endswith("/"):
            continue
        in_cache = "__pycache__" in name.split("/")[:-1]
        beside_source = name.endswith(".pyc") and name[:-1] in present
        if in_cache or beside_source or name.endswith(".pyo"):
            found.append(name)
    return found
