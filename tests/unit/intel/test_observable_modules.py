"""The observable modules are layered without cycles: types, then rules, then the public face.

`observable_types` imports nothing from `accord.intel`, the rules modules import only it, and
every import sits at the top of its module, so no module reaches back up while it loads.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import accord.intel

INTEL = Path(accord.intel.__file__).resolve().parent
RULES = ("normalize_net", "normalize_physical")


def _tree(module: str) -> ast.Module:
    return ast.parse((INTEL / f"{module}.py").read_text(encoding="utf-8"))


def _intel_imports(module: str) -> set[str]:
    names = set()
    for node in ast.walk(_tree(module)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("accord.intel")}


def test_the_types_import_nothing_from_intel() -> None:
    assert _intel_imports("observable_types") == set()


@pytest.mark.parametrize("module", RULES)
def test_the_rules_modules_build_on_the_types_only(module: str) -> None:
    assert _intel_imports(module) == {"accord.intel.observable_types"}


@pytest.mark.parametrize("path", sorted(INTEL.glob("*.py")), ids=lambda path: path.stem)
def test_every_intel_import_is_at_the_top_of_its_module(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = {id(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)}
    nested = [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top
    ]
    assert nested == [], f"{path.name} imports below its top at lines {nested}"


def test_the_public_face_exports_the_types_the_rules_use() -> None:
    observables = importlib.import_module("accord.intel.observables")
    types = importlib.import_module("accord.intel.observable_types")
    for name in ("InvalidObservable", "Observable", "ObservableKind"):
        assert name in observables.__all__
        assert getattr(observables, name) is getattr(types, name)
    assert "normalize" in observables.__all__
