"""The package runs on an edge device with the standard library alone (DESIGN.md, "Light on the edge")."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

PACKAGE = Path(__file__).parents[1]
SOURCES = sorted((PACKAGE / "src" / "energy_edge" / "physics").glob("*.py"))


def imported_top_level_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_sources_import_only_the_standard_library_and_the_package_itself() -> None:
    assert SOURCES, "no sources found"
    for path in SOURCES:
        foreign = imported_top_level_modules(path) - set(sys.stdlib_module_names) - {"energy_edge"}
        assert not foreign, f"{path.name} imports {sorted(foreign)}"


def test_the_distribution_declares_no_runtime_dependencies() -> None:
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["dependencies"] == []
    # Whatever the version, the members that use the package pin exactly this one.
    pins = {
        path.parent.name: line.strip()
        for path in PACKAGE.parents[1].glob("*/*/pyproject.toml")
        for line in path.read_text(encoding="utf-8").splitlines()
        if '"energy-edge-physics==' in line
    }
    assert pins, "no member pins energy-edge-physics"
    assert set(pins.values()) == {f'"energy-edge-physics=={project["version"]}",'}, pins
