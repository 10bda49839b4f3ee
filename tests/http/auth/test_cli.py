"""The operator's commands: `accord token create|list|revoke`, `accord user reset-mfa|unlock`."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pyotp
import pytest
from alembic import command
from click.testing import CliRunner, Result
from sqlalchemy import select
from tests.factories import DEFAULT_PASSWORD

import accord.cli as accord_cli
from accord.auth import service
from accord.auth.models import ApiToken, WebSession
from accord.core.audit.service import list_entries
from accord.core.clock import utcnow
from accord.core.db import Database
from accord.core.errors import TooManyRequests, Unauthorized
from accord.core.security import FieldCipher, new_totp_secret
from accord.migrations import alembic_config
from accord.orgs.models import Person
from accord.settings import Settings

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.conftest import MutableClock

Run = Callable[..., Result]


@pytest.fixture(scope="session", autouse=True)
def registered_commands() -> None:
    # main() registers each feature's sub-commands; adding a command twice just replaces it.
    accord_cli._register()
    accord_cli._register()


@pytest.fixture
def run(settings: Settings, db: Database, clock: MutableClock, tmp_path: Path) -> Run:
    """`accord ARGS…` against the test database, with the test's keys."""
    if settings.effective_database_url.startswith("sqlite"):
        # The CLI migrates an SQLite file on first use; this one was built from the models.
        command.stamp(alembic_config(settings.effective_database_url), "head")
    clock.now = utcnow()  # the CLI stamps tokens with the real time; the app must agree
    env = {
        "ACCORD_DATABASE_URL": settings.effective_database_url,
        "ACCORD_AUDIT_KEY_PATH": str(settings.effective_audit_key_path),
        "ACCORD_FIELD_KEY_PATH": str(settings.effective_field_key_path),
        "ACCORD_DATA_DIR": str(tmp_path / "cli-data"),
        "ACCORD_CONFIG_FILE": "",
    }

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(accord_cli.root, list(args), env=env, input=input)

    return invoke


def _one_error_line(result: Result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output
    return lines[0]


def _tokens(db: Database, person: Person) -> list[ApiToken]:
    with db.reading() as s:
        return list(s.scalars(select(ApiToken).where(ApiToken.person_id == person.id)))


def test_token_create_prints_the_token_once_and_it_works_over_http(
    run: Run, client: TestClient, db: Database, person: Person
) -> None:
    result = run("token", "create", person.email, "--scope", "orgs:read", "--name", "cad")
    assert result.exit_code == 0, result.output
    secret = result.stdout.strip()
    assert secret.startswith("acc_")
    assert "\n" not in secret
    assert "shown only now" in result.stderr
    assert secret not in result.stderr

    headers = {"authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/orgs", headers=headers).status_code == 200
    # Scoped to orgs:read only: neither writes nor other features; it may still ask who it is.
    assert client.get("/api/v1/people", headers=headers).status_code == 403
    assert client.get("/api/v1/auth/me", headers=headers).json()["scopes"] == ["orgs:read"]
    [token] = _tokens(db, person)
    assert (token.name, token.scopes) == ("cad", ["orgs:read"])
    assert token.token_hash != secret


def test_token_list_shows_prefixes_never_secrets(run: Run, person: Person) -> None:
    secret = run("token", "create", person.email, "--scope", "orgs:read").stdout.strip()
    listed = run("token", "list", person.email)
    assert listed.exit_code == 0
    assert secret[:12] in listed.stdout
    assert secret not in listed.stdout
    as_json = json.loads(run("token", "list", person.email, "--json").stdout)
    assert [t["prefix"] for t in as_json] == [secret[:12]]
    assert all("token" not in t for t in as_json)


def test_token_revoke_refuses_the_very_next_request(
    run: Run, client: TestClient, db: Database, person: Person
) -> None:
    created = json.loads(
        run("token", "create", person.email, "--scope", "orgs:read", "--json").stdout
    )
    headers = {"authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/orgs", headers=headers).status_code == 200

    result = run("token", "revoke", created["id"])

    assert result.exit_code == 0, result.output
    assert created["id"] in result.stdout
    assert client.get("/api/v1/orgs", headers=headers).status_code == 401
    with db.reading() as s:
        entries = list_entries(s, action_prefix="auth.token", target_id=created["id"]).items
    assert {(e.action, e.actor_label) for e in entries} == {
        ("auth.token.created", "cli"),
        ("auth.token.revoked", "cli"),
    }


def test_revoking_a_revoked_token_is_one_error_line(run: Run, person: Person) -> None:
    created = json.loads(
        run("token", "create", person.email, "--scope", "orgs:read", "--json").stdout
    )
    run("token", "revoke", created["id"])
    assert "already revoked" in _one_error_line(run("token", "revoke", created["id"]))


@pytest.mark.parametrize("token_id", ["not-a-uuid", "0190f1c2-5b7e-7a10-8d2e-4c1f00000000"])
def test_revoking_an_unknown_token_is_one_error_line(run: Run, token_id: str) -> None:
    _one_error_line(run("token", "revoke", token_id))


@pytest.mark.parametrize("scope", ["orgs:admin", "secrets:read", "orgs"])
def test_a_bad_scope_exits_2_with_one_line(
    run: Run, db: Database, person: Person, scope: str
) -> None:
    line = _one_error_line(run("token", "create", person.email, "--scope", scope))
    assert "unknown scope" in line
    assert _tokens(db, person) == []


def test_an_unknown_account_exits_2_with_one_line(run: Run) -> None:
    line = _one_error_line(run("token", "create", "nobody@pcpd.example", "--scope", "orgs:read"))
    assert "nobody@pcpd.example" in line


def test_user_reset_mfa_clears_the_authenticator_and_ends_every_session(
    run: Run, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    secret = new_totp_secret()
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = FieldCipher(settings.effective_field_key_path).seal(
            secret, service.TOTP_CONTEXT + str(person.id)
        )
        row.mfa_enabled_at = clock()
    signed_in = service.sign_in(
        db, settings, email=person.email, password=DEFAULT_PASSWORD, at=clock()
    )
    service.verify_mfa(
        db,
        settings,
        session_id=signed_in.session.id,
        code=pyotp.TOTP(secret).at(clock()),
        at=clock(),
    )

    result = run("user", "reset-mfa", person.email, "--yes")

    assert result.exit_code == 0, result.output
    with db.reading() as s:
        assert not s.get_one(Person, person.id).mfa_enabled
        assert s.get_one(WebSession, signed_in.session.id).end_reason == "mfa_reset"
        entries = list_entries(s, action_prefix="auth.mfa.reset", target_id=str(person.id))
    assert [e.actor_label for e in entries.items] == ["cli"]


def test_user_reset_mfa_asks_first_without_yes(
    run: Run, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = FieldCipher(settings.effective_field_key_path).seal(
            new_totp_secret(), service.TOTP_CONTEXT + str(person.id)
        )
        row.mfa_enabled_at = clock()
    result = run("user", "reset-mfa", person.email, input="n\n")
    assert result.exit_code == 1
    with db.reading() as s:
        assert s.get_one(Person, person.id).mfa_enabled


def test_user_unlock_releases_a_locked_account(
    run: Run, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    quick = settings.model_copy(update={"lockout_attempts": 1})
    with pytest.raises(Unauthorized):
        service.sign_in(db, quick, email=person.email, password="wrong password!", at=clock())
    with pytest.raises(TooManyRequests):
        service.sign_in(db, quick, email=person.email, password=DEFAULT_PASSWORD, at=clock())

    result = run("user", "unlock", person.email)

    assert result.exit_code == 0, result.output
    clock.now = utcnow()
    assert service.sign_in(db, quick, email=person.email, password=DEFAULT_PASSWORD, at=clock())


def test_unlocking_an_account_that_is_not_locked_is_one_error_line(
    run: Run, person: Person
) -> None:
    assert "not locked" in _one_error_line(run("user", "unlock", person.email))
