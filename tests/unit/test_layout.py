"""The house's floors, read from the code's own imports: which package may import which, and through what.

The ground floor ``core`` imports nothing of the project but the wire contract; the stack model stands on it; the
tools (analysis, loadgen, localcloud, layers) stand on both and never import each other; the Pulumi components
read the stack model. Outside its own package, ``core`` and ``stack`` are imported through their faces.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core import PROJECT_ROOT

TOOLS = ("analysis", "loadgen", "localcloud", "layers")
ALLOWED = {
    "core": {"core", "handlers.contract"},
    "stack": {"core", "stack", "handlers"},
    "components": {"core", "stack", "handlers", "components"},
    **{tool: {"core", "stack", "handlers", tool} for tool in TOOLS},
}
FACES = ("core", "stack")  # imported as ``from core import …`` outside their own package
COMMANDS = ("loadgen.cli", "analysis.compare", "localcloud.__main__", "layers.__main__")  # what a user runs
DRIVERS = ("benchmarks", "tests/e2e", "tests/support")  # they drive the tools as a user's code would
PROJECT_PACKAGES = ("handlers", "core", "stack", "components", "benchmarks", *TOOLS)


def imported_modules(path: Path) -> list[str]:
    """Every project module ``path`` imports (at any depth: a lazy import in a function counts too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return [name for name in names if name.split(".")[0] in PROJECT_PACKAGES]


def allows(allowed: set[str], module: str) -> bool:
    return any(module == entry or module.startswith(entry + ".") for entry in allowed)


def package_files(package: str) -> list[Path]:
    return sorted((PROJECT_ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_the_floors_below_it(package: str) -> None:
    wrong = [f"{path.relative_to(PROJECT_ROOT)} imports {module}" for path in package_files(package)
             for module in imported_modules(path) if not allows(ALLOWED[package], module)]
    assert not wrong, "\n".join(wrong)


def test_the_tools_never_import_each_other() -> None:
    for tool in TOOLS:
        others = {other for other in TOOLS if other != tool}
        wrong = [f"{path.relative_to(PROJECT_ROOT)} imports {module}" for path in package_files(tool)
                 for module in imported_modules(path) if module.split(".")[0] in others]
        assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("face", FACES)
def test_other_packages_import_the_ground_floor_and_the_stack_model_through_their_faces(face: str) -> None:
    outside = [path for package in PROJECT_PACKAGES if package != face for path in package_files(package)]
    outside.append(PROJECT_ROOT / "__main__.py")
    wrong = [f"{path.relative_to(PROJECT_ROOT)} imports {module}" for path in outside
             for module in imported_modules(path) if module.startswith(face + ".")]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("face", [*FACES, *TOOLS])
def test_every_face_names_what_it_exports(face: str) -> None:
    module = ast.parse((PROJECT_ROOT / face / "__init__.py").read_text())
    exported = [node for node in module.body if isinstance(node, ast.Assign)
                and any(isinstance(target, ast.Name) and target.id == "__all__" for target in node.targets)]
    assert exported, f"{face}/__init__.py has no __all__"


def test_benchmarks_and_end_to_end_tests_drive_the_tools_through_their_faces() -> None:
    """Through the library calls the commands stand on (or the command itself), never the internals."""
    files = [path for folder in DRIVERS for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    wrong = [f"{path.relative_to(PROJECT_ROOT)} imports {module}" for path in files
             for module in imported_modules(path)
             if module.split(".")[0] in TOOLS and "." in module and module not in COMMANDS]
    assert not wrong, "\n".join(wrong)
