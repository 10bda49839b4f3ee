"""docs/permissions.md prints the same permission table as accord.orgs.domain.PERMISSIONS."""

from __future__ import annotations

from pathlib import Path

from accord.orgs.domain import PERMISSIONS, Permission, Role

DOC = Path(__file__).resolve().parents[3] / "docs" / "permissions.md"
START, END = "<!-- permissions-table: start -->", "<!-- permissions-table: end -->"


def _cells(line: str) -> list[str]:
    return [c.strip().strip("`") for c in line.strip().strip("|").split("|")]


def documented_table() -> dict[Role, frozenset[Permission]]:
    text = DOC.read_text(encoding="utf-8")
    lines = text[text.index(START) + len(START) : text.index(END)].strip().splitlines()
    header = _cells(lines[0])
    assert header[0] == "permission"
    roles = [Role(name) for name in header[1:-1]]
    granted: dict[Role, set[Permission]] = {role: set() for role in roles}
    for line in lines[2:]:
        cells = _cells(line)
        permission = Permission(cells[0])
        for role, mark in zip(roles, cells[1:-1], strict=True):
            assert mark in ("yes", "—"), f"{permission}/{role}: write yes or —, not {mark!r}"
            if mark == "yes":
                granted[role].add(permission)
    return {role: frozenset(perms) for role, perms in granted.items()}


def test_the_documented_table_matches_the_code() -> None:
    assert documented_table() == PERMISSIONS


def test_every_permission_has_a_row_and_every_role_a_column() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index(START) : text.index(END)]
    for permission in Permission:
        assert f"| `{permission.value}` |" in table
    for role in Role:
        assert f"`{role.value}`" in table.splitlines()[1]
