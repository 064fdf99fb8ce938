"""The package map of docs/architecture.md holds: stage packages never reach the checks or the assets."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "dtsen_assets"
# Packages that stage tables and return what they staged; the gate and the checks judge them.
STAGE_PACKAGES = ("sources", "staging", "unify", "welfare", "program", "explain", "finalize")
FORBIDDEN = ("dtsen_assets.checks", "dtsen_assets.assets", "dtsen_assets.definitions")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, package: str | None = None) -> set[str]:
    """Every dtsen_assets module a file imports (also inside functions), relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if package is None:
        package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {name for name in found if name.startswith("dtsen_assets")}


def module_files() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}


def reachable(start: str, files: dict[str, Path], packages: dict[str, str] | None = None) -> dict[str, str]:
    """Every module reachable from `start` through imports, with the module that imports it."""
    seen, todo = {start: start}, [start]
    while todo:
        current = todo.pop()
        for name in imports_of(files[current], (packages or {}).get(current)):
            target = name if name in files else name.rpartition(".")[0]
            if target in files and target not in seen:
                seen[target] = current
                todo.append(target)
    return seen


@pytest.mark.parametrize("stage", STAGE_PACKAGES)
def test_stage_package_never_reaches_the_checks(stage: str) -> None:
    files = module_files()
    modules = [name for name in files if name == f"dtsen_assets.{stage}" or name.startswith(f"dtsen_assets.{stage}.")]
    assert modules, stage
    for module in modules:
        for target, importer in reachable(module, files).items():
            assert not target.startswith(FORBIDDEN), f"{module} reaches {target} (imported by {importer})"


def test_the_walk_finds_a_forbidden_import_two_steps_away(tmp_path: Path) -> None:
    """The walk can fail: a stage module that imports a module that imports the checks is caught."""
    files = module_files()
    (tmp_path / "first.py").write_text("from . import second\n", encoding="utf-8")
    (tmp_path / "second.py").write_text("def f():\n    from ..checks import staging\n", encoding="utf-8")
    files["dtsen_assets.staging.first"] = tmp_path / "first.py"
    files["dtsen_assets.staging.second"] = tmp_path / "second.py"
    packages = {"dtsen_assets.staging.first": "dtsen_assets.staging", "dtsen_assets.staging.second": "dtsen_assets.staging"}
    found = reachable("dtsen_assets.staging.first", files, packages)
    assert found["dtsen_assets.checks.staging"] == "dtsen_assets.staging.second"
