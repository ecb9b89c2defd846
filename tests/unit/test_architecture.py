"""The shape of the code: imports go one way, so the packages form a tree above the core.

Read from the source (every ``import`` statement, at module level or inside a function), so
a lazy import counts as much as an eager one: what a module needs is what it imports.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "artgen"
# Engines and the layers above them. The core (artgen's top-level modules) sits below all of them.
ENGINES = {"dcgan", "walk", "project", "style", "labs", "quality", "generators"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The artgen modules ``path`` imports, resolved to full names.

    ``from artgen.style import vgg`` depends on ``artgen.style.vgg``, not on the package's
    ``__init__``; ``from artgen.style import StyleConfig`` depends on the package.
    """
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("artgen")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                name = f"{base}.{node.module}" if node.module else base
            else:
                name = node.module or ""
            if name.startswith("artgen"):
                for alias in node.names:
                    found.add(f"{name}.{alias.name}" if f"{name}.{alias.name}" in modules else name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(path): path for path in ROOT.rglob("*.py")}
    return {
        name: {target for target in _imports(path, set(modules)) if target in modules and target != name}
        for name, path in modules.items()
    }


def _package(module: str) -> str:
    """The package a module belongs to for layering: artgen.X for a subpackage, artgen for the core."""
    if module == "artgen.__main__":  # ``python -m artgen``: the command line's door
        return "artgen.cli"
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 2 or module in _packages() else "artgen"


def _packages() -> set[str]:
    return {f"artgen.{path.parent.name}" for path in ROOT.glob("*/__init__.py")}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, as the list of its nodes, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_packages_import_each_other_without_a_circle():
    packages: dict[str, set[str]] = defaultdict(set)
    for module, targets in _graph().items():
        for target in targets:
            if _package(target) != _package(module):
                packages[_package(module)].add(_package(target))
    cycle = _cycle(packages)
    assert cycle is None, "packages import each other in a circle: " + " -> ".join(cycle)


def test_modules_import_each_other_without_a_circle():
    cycle = _cycle(_graph())
    assert cycle is None, "modules import each other in a circle: " + " -> ".join(cycle)


def test_the_core_imports_no_engine_and_engines_import_no_interface():
    above_core = {f"artgen.{name}" for name in (*ENGINES, "jobs", "cli", "tui")}
    interfaces = {"artgen.jobs", "artgen.cli", "artgen.tui"}
    for module, targets in _graph().items():
        package = _package(module)
        reached = {_package(target) for target in targets}
        if package == "artgen":
            assert not reached & above_core, f"core module {module} imports {sorted(reached & above_core)}"
        if package.removeprefix("artgen.") in ENGINES:
            assert not reached & interfaces, f"engine module {module} imports {sorted(reached & interfaces)}"


def test_the_studio_imports_no_engine():
    engines = {f"artgen.{name}" for name in ENGINES}
    for module, targets in _graph().items():
        if _package(module) == "artgen.tui":
            reached = {_package(target) for target in targets} & engines
            assert not reached, f"{module} imports the engine package(s) {sorted(reached)}"


def test_no_module_imports_another_modules_private_name():
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("artgen"):
                private = [a.name for a in node.names if a.name.startswith("_") and not a.name.endswith("__")]
                assert not private, f"{path.relative_to(ROOT.parent)} imports {private} from {node.module}"
