"""The JSON API's credentials: the session cookie and its CSRF header, and API tokens by scheme."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import pyotp
import pytest
from starlette.testclient import TestClient
from tests.factories import DEFAULT_PASSWORD, make_person, token_for

from accord.app import create_app
from accord.auth.service import LOCKED_MESSAGE, TOTP_CONTEXT, WRONG_CREDENTIALS
from accord.core.db import Database
from accord.core.ids import new_id
from accord.core.security import FieldCipher, new_totp_secret
from accord.orgs.domain import Role
from accord.orgs.models import Organization, Person
from accord.orgs.people import deactivate_person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

SignIn = Callable[..., str]
PROBLEM = "application/problem+json"
WRONG = "Sentinel-Wrong-Passphrase-Never-Echoed"


def _set_cookies(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


def _enrol(db: Database, settings: Settings, person: Person, clock: MutableClock) -> str:
    secret = new_totp_secret()
    sealed = FieldCipher(settings.effective_field_key_path).seal(
        secret, TOTP_CONTEXT + str(person.id)
    )
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = sealed
        row.mfa_enabled_at = clock()
    return secret


# signing in and the cookie


def test_signing_in_sets_an_http_only_lax_cookie_for_the_whole_site(
    client: TestClient, person: Person
) -> None:
    response = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["mfa_step"] == "none"
    assert body["person_id"] == str(person.id)
    assert body["csrf_token"]
    [cookie] = _set_cookies(response)
    name, _, rest = cookie.partition("=")
    value = rest.split(";")[0]
    attributes = {a.strip().split("=")[0].lower(): a.strip() for a in rest.split(";")[1:]}
    assert name == "accord_session"
    assert value not in response.text
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=lax"
    assert attributes["path"] == "Path=/"
    assert attributes["max-age"] == "Max-Age=43200"
    assert "secure" not in attributes  # plain-HTTP settings of the test server
    assert "domain" not in attributes


def test_with_secure_cookies_the_session_cookie_is_host_prefixed_and_secure(
    settings: Settings, db: Database, clock: MutableClock, person: Person
) -> None:
    secure = Settings(
        data_dir=settings.data_dir,
        database_url=settings.database_url,
        audit_key_path=settings.audit_key_path,
        field_key_path=settings.field_key_path,
        cookie_secure=True,
    )
    app = create_app(secure, db=db, clock=clock)
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post(
            "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
        )
        assert response.status_code == 200
        [cookie] = _set_cookies(response)
        attributes = [a.strip().lower() for a in cookie.split(";")]
        assert cookie.startswith("__Host-accord_session=")
        assert "secure" in attributes
        assert "httponly" in attributes
        assert "path=/" in attributes
        assert not any(a.startswith("domain") for a in attributes)  # __Host- forbids Domain
        assert response.headers["strict-transport-security"].startswith("max-age=")
        me = client.get("/api/v1/auth/me")
        assert me.status_code == 200
        assert me.json()["via"] == "session"


def test_wrong_credentials_answer_401_problem_without_echoing_the_password(
    client: TestClient, person: Person
) -> None:
    response = client.post("/api/v1/auth/session", json={"email": person.email, "password": WRONG})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == WRONG_CREDENTIALS
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert WRONG not in response.text
    assert _set_cookies(response) == []


def test_an_unknown_account_gets_the_same_answer_as_a_wrong_password(
    client: TestClient, person: Person
) -> None:
    wrong = client.post("/api/v1/auth/session", json={"email": person.email, "password": WRONG})
    unknown = client.post(
        "/api/v1/auth/session", json={"email": "nobody@pcpd.example", "password": WRONG}
    )
    assert (wrong.status_code, wrong.json()["detail"]) == (
        unknown.status_code,
        unknown.json()["detail"],
    )


def test_a_locked_account_answers_429_with_the_lock_message(
    settings: Settings, db: Database, clock: MutableClock, person: Person
) -> None:
    quick = settings.model_copy(update={"lockout_attempts": 2})
    with TestClient(create_app(quick, db=db, clock=clock), raise_server_exceptions=False) as c:
        for _ in range(2):
            c.post("/api/v1/auth/session", json={"email": person.email, "password": WRONG})
        response = c.post(
            "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
        )
    assert response.status_code == 429
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["detail"] == LOCKED_MESSAGE


def test_signing_out_ends_the_session_and_clears_the_cookie(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    cookie = client.cookies["accord_session"]
    response = client.delete("/api/v1/auth/session", headers={"x-csrf-token": csrf})
    assert response.status_code == 204
    [cleared] = _set_cookies(response)
    assert cleared.startswith('accord_session=""') or "max-age=0" in cleared.lower()
    client.cookies.set("accord_session", cookie)  # a copy kept by an attacker
    assert client.get("/api/v1/auth/me").status_code == 401


# CSRF on session-authenticated writes


def test_a_session_write_without_the_csrf_header_is_forbidden(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    sign_in(person)
    body = {"name": "dispatch", "scopes": ["orgs:read"]}
    response = client.post("/api/v1/auth/tokens", json=body)
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert "X-CSRF-Token" in response.json()["detail"]
    assert client.get("/api/v1/auth/tokens").json() == []


def test_a_session_write_with_a_wrong_csrf_header_is_forbidden(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    body = {"name": "dispatch", "scopes": ["orgs:read"]}
    response = client.post(
        "/api/v1/auth/tokens", json=body, headers={"x-csrf-token": csrf[:-2] + "xx"}
    )
    assert response.status_code == 403


def test_a_session_write_with_the_csrf_header_works(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    response = client.post(
        "/api/v1/auth/tokens",
        json={"name": "dispatch", "scopes": ["orgs:read"]},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 201
    assert response.headers["location"] == f"/api/v1/auth/tokens/{response.json()['id']}"


def test_a_csrf_header_with_non_ascii_characters_is_refused_not_a_server_error(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    # Header bytes arrive as latin-1 text; hmac.compare_digest raises TypeError on non-ASCII str.
    sign_in(person)
    response = client.post(
        "/api/v1/auth/tokens",
        json={"name": "dispatch", "scopes": ["orgs:read"]},
        headers={"x-csrf-token": "\xe9t\xe9".encode("latin-1")},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_session_reads_need_no_csrf_header(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    sign_in(person)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 200
    assert response.json()["via"] == "session"
    assert response.json()["scopes"] is None


# API tokens


def test_a_token_is_accepted_with_the_bearer_or_token_scheme(
    client: TestClient, db: Database, person: Person
) -> None:
    secret = token_for(db, person, ["people:read"])
    for scheme in ("Bearer", "bearer", "Token"):
        response = client.get("/api/v1/auth/me", headers={"authorization": f"{scheme} {secret}"})
        assert response.status_code == 200, scheme
        body = response.json()
        assert (body["email"], body["via"], body["scopes"]) == (
            person.email,
            "token",
            ["people:read"],
        )


def test_a_token_is_accepted_as_the_password_of_http_basic(
    client: TestClient, db: Database, person: Person
) -> None:
    secret = token_for(db, person, ["people:read"])
    response = client.get("/api/v1/auth/me", auth=(person.email, secret))
    assert response.status_code == 200
    assert response.json()["via"] == "token"


@pytest.mark.parametrize(
    "header",
    [
        "Basic !!!not-base64!!!",
        "Basic " + base64.b64encode(b"no-colon-here").decode(),
        "Basic " + base64.b64encode(b"\xff\xfe:acc_x").decode(),
        "Bearer",
        "Bearer acc_unknown",
        "Digest username=x",
        "acc_bare_token_without_scheme",
    ],
)
def test_malformed_or_unknown_credentials_are_401_problems(client: TestClient, header: str) -> None:
    response = client.get("/api/v1/auth/me", headers={"authorization": header})
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_bad_authorization_header_is_not_rescued_by_a_session_cookie(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    sign_in(person)
    response = client.get("/api/v1/auth/me", headers={"authorization": "Bearer acc_forged"})
    assert response.status_code == 401


def test_a_read_scope_reads_but_cannot_write(
    client: TestClient, db: Database, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:read'])}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    response = client.post(
        "/api/v1/auth/tokens", json={"name": "x", "scopes": ["orgs:read"]}, headers=headers
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM
    assert response.json()["required_scope"] == "people:write"


def test_a_write_scope_also_reads_and_needs_no_csrf_header(
    client: TestClient, db: Database, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:write'])}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    response = client.post(
        "/api/v1/auth/tokens", json={"name": "x", "scopes": ["people:read"]}, headers=headers
    )
    assert response.status_code == 201


def test_a_token_scoped_to_another_feature_is_refused_here(
    client: TestClient, db: Database, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['orgs:write'])}"}
    response = client.get("/api/v1/auth/tokens", headers=headers)
    assert response.status_code == 403
    assert response.json()["required_scope"] == "people:read"


def test_a_created_token_is_shown_once_and_then_only_by_its_prefix(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    created = client.post(
        "/api/v1/auth/tokens",
        json={"name": "dispatch", "scopes": ["people:read"], "expires_in_days": 30},
        headers={"x-csrf-token": csrf},
    ).json()
    secret = created["token"]
    assert created["prefix"] == secret[:12]
    listed = client.get("/api/v1/auth/tokens")
    assert secret not in listed.text
    assert [t["id"] for t in listed.json()] == [created["id"]]
    assert "token" not in listed.json()[0]
    me = client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_revocation_refuses_the_very_next_request(
    client: TestClient, db: Database, person: Person
) -> None:
    secret = token_for(db, person, ["people:write"])
    headers = {"authorization": f"Bearer {secret}"}
    [token] = client.get("/api/v1/auth/tokens", headers=headers).json()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    revoked = client.delete(f"/api/v1/auth/tokens/{token['id']}", headers=headers)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_an_expired_token_is_refused_once_the_clock_passes_its_expiry(
    client: TestClient, db: Database, clock: MutableClock, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:read'], at=clock())}"}
    clock.advance(days=364)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    clock.advance(days=1)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_a_deactivated_persons_token_is_refused(
    client: TestClient, db: Database, clock: MutableClock, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:read'])}"}
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    deactivate_person(db, actor=None, at=clock(), person_id=person.id)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_revoking_an_unknown_token_is_a_404_problem(
    client: TestClient, db: Database, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:write'])}"}
    response = client.delete(f"/api/v1/auth/tokens/{new_id()}", headers=headers)
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM


def test_a_token_request_with_an_unknown_scope_is_a_422_problem(
    client: TestClient, db: Database, person: Person
) -> None:
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:write'])}"}
    response = client.post(
        "/api/v1/auth/tokens", json={"name": "x", "scopes": ["orgs:admin"]}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "scopes"


# MFA over the API


def test_a_session_that_still_owes_mfa_cannot_use_the_api(
    client: TestClient, db: Database, org: Organization, sign_in: SignIn
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    response = client.post(
        "/api/v1/auth/session", json={"email": admin.email, "password": DEFAULT_PASSWORD}
    )
    assert response.json()["mfa_step"] == "enrol"
    assert client.get("/api/v1/auth/me").status_code == 401


def test_mfa_enrolment_over_the_api_needs_the_csrf_header_and_then_signs_in(
    client: TestClient, db: Database, clock: MutableClock, org: Organization
) -> None:
    admin = make_person(db, org, role=Role.PLATFORM_ADMIN)
    session = client.post(
        "/api/v1/auth/session", json={"email": admin.email, "password": DEFAULT_PASSWORD}
    ).json()
    assert client.post("/api/v1/auth/mfa/enrolment").status_code == 403
    headers = {"x-csrf-token": session["csrf_token"]}
    enrolment = client.post("/api/v1/auth/mfa/enrolment", headers=headers)
    assert enrolment.status_code == 200
    secret = enrolment.json()["secret"]
    code = pyotp.TOTP(secret).at(clock())
    confirmed = client.post(
        "/api/v1/auth/mfa/enrolment/confirm", json={"code": code}, headers=headers
    )
    assert confirmed.status_code == 200
    assert len(confirmed.json()["recovery_codes"]) == 10
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["mfa_enabled"] is True


def test_a_pending_session_cannot_enrol_over_an_existing_authenticator(
    client: TestClient, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    _enrol(db, settings, person, clock)
    session = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    ).json()
    assert session["mfa_step"] == "verify"
    headers = {"x-csrf-token": session["csrf_token"]}
    response = client.post("/api/v1/auth/mfa/enrolment", headers=headers)
    assert response.status_code in (403, 409)
    assert response.headers["content-type"] == PROBLEM
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_code_from_the_authenticator_finishes_sign_in_over_the_api(
    client: TestClient, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    secret = _enrol(db, settings, person, clock)
    session = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    ).json()
    headers = {"x-csrf-token": session["csrf_token"]}
    code = pyotp.TOTP(secret).at(clock())
    assert client.post("/api/v1/auth/session/mfa", json={"code": code}).status_code == 403
    response = client.post("/api/v1/auth/session/mfa", json={"code": code}, headers=headers)
    assert response.status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 200


@pytest.mark.parametrize("code", ["１２３４５６", "١٢٣٤٥٦"])
def test_a_code_of_non_ascii_digits_is_refused_not_a_server_error(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    person: Person,
    code: str,
) -> None:
    # str.isdigit() is true for full-width and Arabic-Indic digits; check_totp then hands them
    # to hmac.compare_digest, which raises TypeError on non-ASCII text.
    _enrol(db, settings, person, clock)
    session = client.post(
        "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
    ).json()
    response = client.post(
        "/api/v1/auth/session/mfa",
        json={"code": code},
        headers={"x-csrf-token": session["csrf_token"]},
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM


def test_a_password_change_over_the_api_ends_the_session(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": DEFAULT_PASSWORD, "new_password": "harbour lights at dawn 2027"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_refused_password_change_names_the_field_and_echoes_no_password(
    client: TestClient, person: Person, sign_in: SignIn
) -> None:
    csrf = sign_in(person)
    response = client.post(
        "/api/v1/auth/password",
        json={"current_password": WRONG, "new_password": "Sentinel-New-Passphrase-Unseen"},
        headers={"x-csrf-token": csrf},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "current_password"
    assert WRONG not in response.text
    assert "Sentinel-New-Passphrase-Unseen" not in response.text
    assert client.get("/api/v1/auth/me").status_code == 200


def test_session_absolute_lifetime_is_enforced_for_api_requests(
    client: TestClient, clock: MutableClock, person: Person, sign_in: SignIn
) -> None:
    sign_in(person)
    for _ in range(int(timedelta(hours=12) / timedelta(minutes=29))):
        clock.advance(minutes=29)
        assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_an_idle_session_is_refused_after_thirty_minutes(
    client: TestClient, clock: MutableClock, person: Person, sign_in: SignIn
) -> None:
    sign_in(person)
    clock.advance(minutes=30)
    assert client.get("/api/v1/auth/me").status_code == 401


def test_a_token_cannot_mint_a_token_with_scopes_it_does_not_hold(
    client: TestClient, db: Database, person: Person
) -> None:
    # A token limited to people:write must not be able to create an orgs:write token for the
    # same account: the scope limit would mean nothing. Sessions may choose any scope.
    headers = {"authorization": f"Bearer {token_for(db, person, ['people:write'])}"}
    response = client.post(
        "/api/v1/auth/tokens", json={"name": "wider", "scopes": ["orgs:write"]}, headers=headers
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == PROBLEM


def test_with_secure_cookies_signing_out_really_clears_the_host_cookie(
    settings: Settings, db: Database, clock: MutableClock, person: Person
) -> None:
    # RFC 6265bis §4.1.3.2: a browser ignores any Set-Cookie for a __Host- name that lacks
    # Secure, including the expired one meant to delete it.
    secure = settings.model_copy(update={"cookie_secure": True})
    with TestClient(create_app(secure, db=db, clock=clock), base_url="https://testserver") as c:
        session = c.post(
            "/api/v1/auth/session", json={"email": person.email, "password": DEFAULT_PASSWORD}
        ).json()
        response = c.delete("/api/v1/auth/session", headers={"x-csrf-token": session["csrf_token"]})
    assert response.status_code == 204
    [cleared] = _set_cookies(response)
    attributes = [a.strip().lower() for a in cleared.split(";")]
    assert cleared.startswith("__Host-accord_session=")
    assert "secure" in attributes
    assert "path=/" in attributes
