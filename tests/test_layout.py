"""The house stays readable: no import circle, and imports only go down the layers.

The layers of ``src/preupload_guard`` (docs/architecture.md), bottom to top::

    model < read, index < advise < checks < engine, report < integrations < cli < testing

A module may import its own package, or a lower layer; never a higher layer, and never a
sibling package of the same rank (``read`` and ``index`` know nothing of each other).
Imports under ``if TYPE_CHECKING:`` do not run, so they cannot form a circle; they may name
any type (a ``Context`` mentions the ``Index`` it holds). The root package is the public
facade: at import time it loads only ``model``, and its lazy names reach anywhere.

The imports are read from the source with :mod:`ast`, so a new circle or an upward import
fails here before it can bite at run time.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

import preupload_guard

SRC = Path(preupload_guard.__file__).parent
ROOT = "preupload_guard"

RANK = {
    "model": 0,
    "read": 1,
    "index": 1,
    "advise": 2,
    "checks": 3,
    "engine": 4,
    "report": 4,
    "integrations": 5,
    "cli": 6,
    "testing": 7,
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _runtime_imports(path: Path, package: str | None = None) -> list[tuple[int, str, bool]]:
    """(line, imported module, at module level) for every import that runs; ``package`` is
    the one relative imports start from (by default, the file's own)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if package is None:
        package = _module_name(path)
        if path.name != "__init__.py":
            package = package.rpartition(".")[0]
    found: list[tuple[int, str, bool]] = []

    def visit(node: ast.AST, top: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                for other in child.orelse:
                    visit(other, top)
                continue
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")[: len(package.split(".")) - child.level + 1]
                    module = ".".join([*base, child.module] if child.module else base)
                else:
                    module = child.module or ""
                if module == ROOT or module.startswith(ROOT + "."):
                    for alias in child.names:
                        candidate = f"{module}.{alias.name}"
                        is_module = (SRC.parent / candidate.replace(".", "/")).with_suffix(
                            ".py").exists() or (SRC.parent / candidate.replace(".", "/")).is_dir()
                        found.append((child.lineno, candidate if is_module else module, top))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name == ROOT or alias.name.startswith(ROOT + "."):
                        found.append((child.lineno, alias.name, top))
            is_scope = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            visit(child, top and not is_scope)

    visit(tree, True)
    return found


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


MODULES = {_module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def test_every_package_has_a_layer() -> None:
    packages = {_layer(m) for m in MODULES} - {None, "__main__"}
    assert packages <= set(RANK), f"packages without a layer: {packages - set(RANK)}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module: str) -> None:
    layer = _layer(module)
    if layer in (None, "__main__"):
        return  # the facade and `python -m`
    problems = []
    for line, target, _ in _runtime_imports(MODULES[module]):
        other = _layer(target)
        if other is None or other == layer:
            continue  # the facade's vocabulary, or the module's own package
        if RANK[other] >= RANK[layer]:
            problems.append(f"line {line}: {module} ({layer}) imports {target} ({other})")
    assert not problems, "\n".join(problems)


def test_the_facade_loads_only_the_vocabulary() -> None:
    imports = _runtime_imports(SRC / "__init__.py")
    at_import = {_layer(t) for _, t, top in imports if top}
    assert at_import <= {"model"}, at_import


def test_no_import_circle() -> None:
    """No circle among modules, counting every import that runs (also inside functions)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for _, target, _ in _runtime_imports(path):
            while target not in MODULES and "." in target:
                target = target.rpartition(".")[0]  # a name imported from a module
            if target in MODULES and target != module and target != ROOT:
                graph[module].add(target)
    state: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def walk(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                circles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                walk(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(MODULES):
        if node not in state:
            walk(node)
    assert not circles, "\n".join(" -> ".join(c) for c in circles)


def test_the_checker_sees_an_upward_import(tmp_path: Path) -> None:
    """The test above can fail: an upward import written in a scratch module is found."""
    scratch = tmp_path / "mod.py"
    scratch.write_text("from preupload_guard.cli.options import EXIT_OK\n"
                       "if TYPE_CHECKING:\n    from preupload_guard.engine import runner\n"
                       "def f():\n    from preupload_guard.checks import size\n")
    found = _runtime_imports(scratch, package=ROOT)
    assert [(t, top) for _, t, top in found] == [("preupload_guard.cli.options", True),
                                                 ("preupload_guard.checks.size", False)]


def test_public_names_resolve() -> None:
    """Every name the facade promises (plugins import these, not module paths) exists."""
    for name in preupload_guard.__all__:
        assert getattr(preupload_guard, name) is not None, name
    assert set(preupload_guard.__all__) >= set(preupload_guard._LAZY)
