"""`accord org` and `accord user` through click's runner, against the test database."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from click.testing import CliRunner, Result
from tests.factories import DEFAULT_PASSWORD, make_person, port_city_police

import accord.cli
import accord.migrations
from accord.core.db import Database
from accord.orgs.domain import Role
from accord.orgs.models import Person
from accord.settings import Settings

Invoke = Callable[..., Result]
ORG_KEYS = {"id", "name", "short_name", "sector", "kind", "vetting_state"}
USER_KEYS = {
    "id", "email", "display_name", "org_id", "role", "active", "cji_cleared", "mfa_enabled",
}  # fmt: skip


@pytest.fixture
def invoke(settings: Settings, db: Database, monkeypatch: pytest.MonkeyPatch) -> Invoke:
    """Run `accord ARGS…` in-process, pointed at the test database by ACCORD_* variables."""
    if "org" not in accord.cli.root.commands:
        accord.cli._register()
    # The test database was made from the metadata, not by Alembic: nothing to migrate.
    monkeypatch.setattr(accord.migrations, "upgrade_database", lambda url: None)
    env = {
        "ACCORD_CONFIG_FILE": None,
        "ACCORD_DATABASE_URL": settings.effective_database_url,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_AUDIT_KEY_PATH": str(settings.effective_audit_key_path),
        "ACCORD_FIELD_KEY_PATH": str(settings.effective_field_key_path),
    }

    def run(*args: str, stdin: str | None = None) -> Result:
        return CliRunner().invoke(accord.cli.root, list(args), env=env, input=stdin)

    return run


def test_an_empty_directory_says_what_to_do(invoke: Invoke) -> None:
    result = invoke("org", "list")
    assert result.exit_code == 0
    assert "accord demo" in result.output
    assert "accord org create" in result.output
    assert json.loads(invoke("org", "list", "--json").output) == []
    assert "accord user create" in invoke("user", "list").output


def test_create_and_list_organizations(invoke: Invoke) -> None:
    made = invoke(
        "org", "create", "Port City Police Department", "--sector", "public", "--kind", "police",
        "--short-name", "PCPD",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    listed = json.loads(invoke("org", "list", "--json").output)
    assert [set(o) for o in listed] == [ORG_KEYS]
    assert listed[0]["short_name"] == "PCPD"
    assert listed[0]["vetting_state"] == "pending"
    table = invoke("org", "list").output.splitlines()
    assert table[0].split() == ["ID", "NAME", "SHORT_NAME", "SECTOR", "KIND", "VETTING_STATE"]
    assert "Port City Police Department" in table[1]
    vetted = invoke("org", "vet", "port city police department", "vetted", "--reason", "MOU")
    assert vetted.exit_code == 0, vetted.output
    assert json.loads(invoke("org", "list", "--json").output)[0]["vetting_state"] == "vetted"


def test_organization_errors_are_one_line_and_exit_2(invoke: Invoke) -> None:
    args = ("org", "create", "Fire", "--sector", "public", "--kind", "fire")
    assert invoke(*args).exit_code == 0
    again = invoke(*args)
    assert again.exit_code == 2
    assert again.output.strip().count("\n") == 0
    assert again.output.startswith("error: ")
    assert invoke("org", "create", "X", "--sector", "pirate", "--kind", "fire").exit_code == 2
    assert invoke("org", "vet", "Nowhere", "vetted", "--reason", "x").exit_code == 2


def test_create_a_user_from_stdin_and_list_them(invoke: Invoke, db: Database) -> None:
    police = port_city_police(db)
    result = invoke(
        "user", "create", "Dana@PCPD.example", "--name", "Dana Dispatch",
        "--org", "Port City Police Department", "--role", "dispatcher", "--cji",
        "--password-stdin", stdin=DEFAULT_PASSWORD + "\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke("user", "list", "--org", str(police.id), "--json").output)
    assert [set(u) for u in listed] == [USER_KEYS]
    dana = listed[0]
    assert (dana["email"], dana["role"], dana["cji_cleared"], dana["active"]) == (
        "dana@pcpd.example",
        "dispatcher",
        True,
        True,
    )
    assert dana["org_id"] == str(police.id)
    table = invoke("user", "list").output
    assert "dana@pcpd.example" in table
    assert DEFAULT_PASSWORD not in table


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (("--org", "Nowhere"), DEFAULT_PASSWORD, "no organization"),
        (("--org", "Port City Police Department"), "short", "characters"),
        (("--org", "Port City Police Department", "--role", "sheriff"), DEFAULT_PASSWORD, ""),
    ],
)
def test_user_create_errors_exit_2(
    invoke: Invoke, db: Database, args: tuple[str, ...], stdin: str, message: str
) -> None:
    port_city_police(db)
    base = ["user", "create", "x@example.org", "--name", "X", "--role", "analyst"]
    result = invoke(*base, *args, "--password-stdin", stdin=stdin + "\n")
    assert result.exit_code == 2
    assert message in result.output


def test_without_a_terminal_the_password_must_come_from_stdin(invoke: Invoke, db: Database) -> None:
    port_city_police(db)
    result = invoke(
        "user", "create", "x@example.org", "--name", "X", "--role", "analyst",
        "--org", "Port City Police Department",
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--password-stdin" in result.output


def test_deactivate_asks_unless_yes(invoke: Invoke, db: Database) -> None:
    officer = make_person(db, port_city_police(db), "olu@pcpd.example", role=Role.ANALYST)
    declined = invoke("user", "deactivate", "OLU@pcpd.example", stdin="n\n")
    assert declined.exit_code == 2
    no_answer = invoke("user", "deactivate", "olu@pcpd.example")
    assert no_answer.exit_code == 2
    with db.reading() as s:
        assert s.get_one(Person, officer.id).is_active
    done = invoke("user", "deactivate", "olu@pcpd.example", stdin="y\n")
    assert done.exit_code == 0, done.output
    with db.reading() as s:
        assert not s.get_one(Person, officer.id).is_active
    again = invoke("user", "deactivate", "olu@pcpd.example", "--yes")
    assert again.exit_code == 2
    assert "already deactivated" in again.output


def test_unknown_email_exits_2(invoke: Invoke) -> None:
    result = invoke("user", "deactivate", "nobody@example.org", "--yes")
    assert result.exit_code == 2
    assert result.output.strip() == "error: No account with the e-mail address nobody@example.org."
