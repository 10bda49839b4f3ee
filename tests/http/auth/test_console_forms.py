"""Console forms: the sign-in form's double-submit token, form CSRF tokens, the redirect guard."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

import pyotp
import pytest
from sqlalchemy import select
from tests.factories import DEFAULT_PASSWORD

from accord.auth.models import ApiToken, WebSession
from accord.auth.service import TOTP_CONTEXT, WRONG_CREDENTIALS
from accord.core.db import Database
from accord.core.security import FieldCipher, new_totp_secret
from accord.orgs.models import Person
from accord.settings import Settings

if TYPE_CHECKING:
    from starlette.testclient import TestClient
    from tests.conftest import MutableClock

SignIn = Callable[..., str]
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NEXT = re.compile(r'name="next" value="([^"]*)"')
HTML = {"accept": "text/html"}
WRONG = "Sentinel-Wrong-Passphrase-Never-Echoed"


def _form_token(client: TestClient, path: str = "/sign-in") -> str:
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text
    match = CSRF.search(page.text)
    assert match is not None
    return match.group(1)


def _sign_in_by_form(client: TestClient, person: Person, next_: str = "/") -> str:
    """Sign in through the form; returns the session's CSRF token from the account page."""
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": next_,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return _form_token(client, "/account")


def _tokens(db: Database, person: Person) -> list[ApiToken]:
    with db.reading() as s:
        return list(s.scalars(select(ApiToken).where(ApiToken.person_id == person.id)))


def _live_sessions(db: Database, person: Person) -> int:
    with db.reading() as s:
        rows = s.scalars(
            select(WebSession).where(
                WebSession.person_id == person.id, WebSession.ended_at.is_(None)
            )
        )
        return len(list(rows))


# the sign-in form


def test_the_sign_in_page_sets_a_strict_presession_cookie_matching_its_form_token(
    client: TestClient,
) -> None:
    page = client.get("/sign-in", headers=HTML)
    assert page.status_code == 200
    [cookie] = page.headers.get_list("set-cookie")
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert cookie.startswith("accord_presession=")
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    token = CSRF.search(page.text)
    assert token is not None
    assert client.cookies["accord_presession"] == token.group(1)


def test_the_sign_in_form_without_the_presession_cookie_is_refused(
    client: TestClient, db: Database, person: Person
) -> None:
    token = _form_token(client)
    client.cookies.clear()
    response = client.post(
        "/sign-in",
        data={"email": person.email, "password": DEFAULT_PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "accord_session" not in response.headers.get("set-cookie", "")
    assert _live_sessions(db, person) == 0


def test_the_sign_in_form_with_a_token_not_matching_the_cookie_is_refused(
    client: TestClient, db: Database, person: Person
) -> None:
    _form_token(client)
    response = client.post(
        "/sign-in",
        data={"email": person.email, "password": DEFAULT_PASSWORD, "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _live_sessions(db, person) == 0


def test_a_non_ascii_sign_in_form_token_is_refused_not_a_server_error(
    client: TestClient, person: Person
) -> None:
    # hmac.compare_digest raises TypeError when either str holds a non-ASCII character.
    _form_token(client)
    response = client.post(
        "/sign-in",
        data={"email": person.email, "password": DEFAULT_PASSWORD, "csrf_token": "jeton-été"},
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_the_sign_in_form_signs_in_and_replaces_the_presession_cookie(
    client: TestClient, person: Person
) -> None:
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    cookies = " ".join(response.headers.get_list("set-cookie"))
    assert "accord_session=" in cookies
    assert 'accord_presession=""' in cookies or "accord_presession=;" in cookies
    assert client.get("/account", headers=HTML, follow_redirects=False).status_code == 200


def test_a_wrong_password_on_the_form_shows_the_one_message_and_not_the_password(
    client: TestClient, person: Person
) -> None:
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={"email": person.email, "password": WRONG, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 401
    assert WRONG_CREDENTIALS in response.text
    assert WRONG not in response.text
    assert "accord_session=" not in response.headers.get("set-cookie", "")


def test_the_typed_email_is_shown_back_escaped(client: TestClient) -> None:
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={"email": '"><script>alert(1)</script>', "password": WRONG, "csrf_token": token},
        follow_redirects=False,
    )
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;" in response.text or "&#34;&gt;&lt;script" in response.text


# the open-redirect guard


# safe_next itself is tested against many targets in tests/unit/auth/test_redirect_guard.py.
@pytest.mark.parametrize(
    "target", ["//evil.example/path", "/\\evil.example", "https://evil.example", ""]
)
def test_sign_in_never_redirects_off_site(client: TestClient, person: Person, target: str) -> None:
    token = _form_token(client, f"/sign-in?next={target}")
    response = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": target,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_the_sign_in_page_never_carries_an_off_site_next(client: TestClient) -> None:
    page = client.get("/sign-in", params={"next": "//evil.example"}, headers=HTML)
    match = NEXT.search(page.text)
    assert match is not None
    assert match.group(1) == "/"


def test_a_signed_in_visit_to_the_sign_in_page_stays_on_site(
    client: TestClient, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.get(
        "/sign-in", params={"next": "//evil.example"}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"


def test_an_on_site_next_with_a_query_is_kept(client: TestClient, person: Person) -> None:
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": "/orgs?q=harbour",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/orgs?q=harbour"


def test_a_console_page_sends_strangers_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/account", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Faccount"


# forms of the account page


def test_creating_a_token_without_the_form_token_is_refused(
    client: TestClient, db: Database, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.post(
        "/account/tokens",
        data={"name": "dispatch", "scopes": ["orgs:read"]},
        follow_redirects=False,
    )
    assert response.status_code in (403, 422)
    assert _tokens(db, person) == []


def test_creating_a_token_with_a_wrong_form_token_is_refused(
    client: TestClient, db: Database, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.post(
        "/account/tokens",
        data={"name": "dispatch", "scopes": ["orgs:read"], "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _tokens(db, person) == []


def test_a_non_ascii_form_token_is_refused_not_a_server_error(
    client: TestClient, db: Database, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.post(
        "/account/tokens",
        data={"name": "dispatch", "scopes": ["orgs:read"], "csrf_token": "jeton-été"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _tokens(db, person) == []


def test_a_token_made_on_the_account_page_is_shown_once_and_works(
    client: TestClient, db: Database, person: Person
) -> None:
    csrf = _sign_in_by_form(client, person)
    response = client.post(
        "/account/tokens",
        data={"name": "dispatch", "scopes": ["people:read"], "csrf_token": csrf},
        follow_redirects=False,
    )
    assert response.status_code == 200
    match = re.search(r'<code id="new-token" class="secret">([^<]+)</code>', response.text)
    assert match is not None
    secret = match.group(1)
    assert secret not in client.get("/account", headers=HTML).text
    me = client.get("/api/v1/auth/me", headers={"authorization": f"Bearer {secret}"})
    assert me.status_code == 200


def test_revoking_a_token_on_the_account_page_needs_the_form_token(
    client: TestClient, db: Database, person: Person
) -> None:
    csrf = _sign_in_by_form(client, person)
    client.post(
        "/account/tokens", data={"name": "dispatch", "scopes": ["people:read"], "csrf_token": csrf}
    )
    [token] = _tokens(db, person)
    refused = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": "forged"}, follow_redirects=False
    )
    assert refused.status_code == 403
    assert _tokens(db, person)[0].revoked_at is None
    done = client.post(
        f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    assert _tokens(db, person)[0].revoked_at is not None


def test_changing_the_password_without_the_form_token_is_refused(
    client: TestClient, db: Database, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "new_password": "harbour lights 2027 ok",
            "csrf_token": "forged",
        },
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert _live_sessions(db, person) == 1


def test_signing_out_by_form_needs_the_form_token_and_ends_the_session(
    client: TestClient, db: Database, person: Person
) -> None:
    csrf = _sign_in_by_form(client, person)
    refused = client.post("/sign-out", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403
    assert _live_sessions(db, person) == 1
    done = client.post("/sign-out", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/sign-in"
    assert _live_sessions(db, person) == 0


def test_a_non_ascii_sign_out_form_token_is_refused_not_a_server_error(
    client: TestClient, db: Database, person: Person
) -> None:
    _sign_in_by_form(client, person)
    response = client.post("/sign-out", data={"csrf_token": "jeton-été"}, follow_redirects=False)
    assert response.status_code == 403
    assert _live_sessions(db, person) == 1


def test_after_the_code_the_person_lands_on_the_page_they_asked_for(
    client: TestClient, db: Database, settings: Settings, clock: MutableClock, person: Person
) -> None:
    secret = new_totp_secret()
    with db.transaction() as s:
        row = s.get_one(Person, person.id)
        row.totp_secret_enc = FieldCipher(settings.effective_field_key_path).seal(
            secret, TOTP_CONTEXT + str(person.id)
        )
        row.mfa_enabled_at = clock()
    token = _form_token(client, "/sign-in?next=/account")
    signed_in = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": "/account",
        },
        follow_redirects=False,
    )
    assert signed_in.headers["location"] == "/mfa?next=/account"
    page = client.get(signed_in.headers["location"], headers=HTML)
    csrf = CSRF.search(page.text)
    assert csrf is not None
    # Post the form where the page's own <form action> sends it, as a browser would.
    action = re.search(r'<form method="post" action="([^"]+)"', page.text)
    assert action is not None
    verified = client.post(
        action.group(1),
        data={"code": pyotp.TOTP(secret).at(clock()), "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert verified.status_code == 303
    assert verified.headers["location"] == "/account"


def test_a_tab_smuggled_into_next_is_percent_encoded_in_the_redirect(
    client: TestClient, person: Person
) -> None:
    # Browsers drop a raw tab from URLs ("/\t/x" would become "//x"); an encoded one stays.
    token = _form_token(client)
    response = client.post(
        "/sign-in",
        data={
            "email": person.email,
            "password": DEFAULT_PASSWORD,
            "csrf_token": token,
            "next": "/\t/evil.example",
        },
        follow_redirects=False,
    )
    location = response.headers["location"]
    assert "\t" not in location
    assert urlsplit(urljoin("https://accord.example/sign-in", location)).netloc == (
        "accord.example"
    )
