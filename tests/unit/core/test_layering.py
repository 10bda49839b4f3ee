"""core/ imports no feature, so every feature can build on it without cycles (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import accord

SRC = Path(accord.__file__).resolve().parent
FEATURES = {
    p.name
    for p in SRC.iterdir()
    if p.is_dir() and p.name not in {"core", "__pycache__", "migrations"}
}


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_modules_import_no_feature() -> None:
    offenders = []
    for path in sorted((SRC / "core").rglob("*.py")):
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "accord" and (
                len(parts) == 1 or parts[1] in FEATURES | {"app", "cli", "tables", "settings"}
            ):
                offenders.append(f"{path.relative_to(SRC)} imports {module}")
    assert offenders == []
