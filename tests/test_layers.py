"""The import contract: dependencies point one way, and nothing imports the edges.

    platform  <-  linkage, governance, cohorts, synth  <-  analyses  <-  operations
              <-  cli, web, hub, workspace (the edges)

Domain packages on the same layer do not import each other (what they share on disk is a
typed contract in ``platform``); ``analyses`` works on released frames and never reaches
into governance or linkage; of the edges only the CLI, which starts the others
(``nightingale serve``, ``nightingale hub``), may import another edge. Every import counts,
including those inside functions and under ``TYPE_CHECKING``: a type-only import is still
a dependency a reader has to follow.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nightingale"

LAYERS: dict[str, int] = {
    "platform": 0,
    "linkage": 1,
    "governance": 1,
    "cohorts": 1,
    "synth": 1,
    "analyses": 2,
    "operations": 3,
    "cli": 4,
    "web": 4,
    "hub": 4,
    "workspace": 4,
}
NEVER: dict[str, frozenset[str]] = {
    "analyses": frozenset({"governance", "linkage"}),
}
EDGE_LAUNCHER = "cli"


def allowed(importer: str, imported: str) -> bool:
    """Whether package ``importer`` may import package ``imported``."""
    if importer == imported:
        return True
    if imported in NEVER.get(importer, frozenset()):
        return False
    low, high = LAYERS[imported], LAYERS[importer]
    if low == high == max(LAYERS.values()):
        return importer == EDGE_LAUNCHER
    return low < high


def imported_packages(source: str) -> Iterator[tuple[int, str]]:
    """``(line, package)`` for every ``nightingale.<package>`` a module's source imports."""
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "nightingale":
                names = [f"nightingale.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "nightingale" and len(parts) > 1:
                yield node.lineno, parts[1]


def violations(importer: str, source: str, where: str) -> list[str]:
    return [
        f"{where}:{line} imports nightingale.{package}"
        for line, package in imported_packages(source)
        if package in LAYERS and not allowed(importer, package)
    ]


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(LAYERS)


def test_dependencies_point_one_way() -> None:
    found: list[str] = []
    for package in LAYERS:
        for module in sorted((PACKAGE / package).rglob("*.py")):
            where = str(module.relative_to(PACKAGE.parent))
            found += violations(package, module.read_text(encoding="utf-8"), where)
    assert not found, "imports against the layers:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("platform", "from nightingale.governance import audit"),
        ("linkage", "import nightingale.cohorts.zones"),
        ("cohorts", "def f():\n    from nightingale.linkage.identifiers import x\n"),
        ("governance", "from nightingale.operations.unit import Unit"),
        ("analyses", "from nightingale.governance.sdc import Outcome"),
        ("operations", "from nightingale.cli.context import state"),
        ("web", "from nightingale import cli"),
        ("hub", "from nightingale.web.main import app"),
    ],
)
def test_the_checker_catches_a_wrong_way_import(importer: str, source: str) -> None:
    assert violations(importer, source, "m.py")


@pytest.mark.parametrize(
    ("importer", "source"),
    [
        ("linkage", "from nightingale.platform.storage import DataRoot"),
        ("operations", "from nightingale.governance import audit\nimport nightingale.cohorts"),
        ("cli", "from nightingale.hub.launcher import HubProcess"),
        ("analyses", "from nightingale.synth import world"),
    ],
)
def test_the_checker_lets_right_way_imports_pass(importer: str, source: str) -> None:
    assert not violations(importer, source, "m.py")
