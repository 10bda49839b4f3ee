"""Identifiers are time-ordered UUIDv7; settings come from env and TOML and mask secrets."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from pydantic import ValidationError

from accord.core.errors import Invalid, NotFound
from accord.core.ids import new_id, new_secret
from accord.settings import Settings


def test_new_ids_are_version_7_with_the_rfc_variant() -> None:
    value = new_id()
    assert value.version == 7
    assert value.variant == uuid.RFC_4122


def test_ids_made_a_millisecond_apart_sort_in_time_order() -> None:
    ids = []
    for _ in range(5):
        ids.append(new_id())
        time.sleep(0.002)
    assert ids == sorted(ids, key=lambda u: u.bytes)


def test_secrets_are_long_and_distinct() -> None:
    secrets = {new_secret() for _ in range(100)}
    assert len(secrets) == 100
    assert all(len(s) >= 43 for s in secrets)


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ACCORD_SESSION_IDLE_MINUTES", "10")
    monkeypatch.setenv("ACCORD_MFA_REQUIRED_ROLES", "platform_admin, org_admin")
    settings = Settings()
    assert settings.session_idle_minutes == 10
    assert settings.mfa_required_roles == ("platform_admin", "org_admin")
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'accord.db'}"


def test_a_toml_file_supplies_settings_and_the_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = tmp_path / "accord.toml"
    config.write_text('port = 9100\nlockout_attempts = 3\nlog_level = "DEBUG"\n')
    monkeypatch.setenv("ACCORD_CONFIG_FILE", str(config))
    monkeypatch.setenv("ACCORD_PORT", "9200")
    settings = Settings()
    assert settings.lockout_attempts == 3
    assert settings.log_level == "DEBUG"
    assert settings.port == 9200


def test_unknown_or_invalid_settings_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        Settings(port=70000)
    with pytest.raises(ValidationError):
        Settings(password_min_length=4)


def test_shown_settings_mask_secrets_and_database_passwords() -> None:
    settings = Settings(
        database_url="postgresql+psycopg://accord:hunter2-very-secret@db.internal/accord",
        demo_password="not-for-display",  # type: ignore[arg-type]
    )
    shown = settings.shown()
    text = repr(shown)
    assert "hunter2-very-secret" not in text
    assert "not-for-display" not in text
    assert shown["database_url"] == "postgresql+psycopg://accord:**********@db.internal/accord"


@pytest.mark.parametrize(
    ("host", "public_url", "explicit", "secure"),
    [
        ("127.0.0.1", None, None, False),
        ("localhost", None, None, False),
        ("0.0.0.0", None, None, True),  # noqa: S104 - a listen address under test
        ("127.0.0.1", "https://accord.portcity.example", None, True),
        ("0.0.0.0", None, False, False),  # noqa: S104
    ],
)
def test_cookies_are_secure_unless_plain_http_on_loopback(
    host: str, public_url: str | None, explicit: bool | None, secure: bool
) -> None:
    settings = Settings(host=host, public_url=public_url, cookie_secure=explicit)
    assert settings.secure_cookies is secure


def test_domain_errors_render_as_rfc9457_problems() -> None:
    body = NotFound("No such organization.").problem("/api/v1/orgs/x")
    assert body == {
        "type": "urn:accord:problem:not-found",
        "title": "Not found",
        "status": 404,
        "detail": "No such organization.",
        "instance": "/api/v1/orgs/x",
    }
    invalid = Invalid("Bad.", errors=[{"field": "name", "message": "required"}]).problem()
    assert invalid["status"] == 422
    assert invalid["errors"] == [{"field": "name", "message": "required"}]
