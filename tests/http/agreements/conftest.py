"""Fixtures of the agreement HTTP tests: the app, the demo partners, tokens and console sign-in."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from tests.agreements_factories import code_for, enrol_mfa
from tests.conftest import MutableClock
from tests.factories import DEFAULT_PASSWORD, token_for
from tests.integration.agreements.conftest import World, world  # noqa: F401 - the shared world

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.models import Person
from accord.settings import Settings

with warnings.catch_warnings():
    # Starlette prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PROBLEM = "application/problem+json"
HTML = {"accept": "text/html,application/xhtml+xml"}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SCOPES = ("agreements:read", "agreements:write")


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    # No MFA step at sign-in here; signing checks the code itself, which is what is tested.
    quick = settings.model_copy(update={"mfa_required_roles": ()})
    return create_app(quick, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth(db: Database) -> Auth:
    """Bearer headers for a person, with the agreements scopes unless told otherwise."""

    def headers(person: Person, scopes: tuple[str, ...] = SCOPES) -> dict[str, str]:
        return {"authorization": f"Bearer {token_for(db, person, scopes)}"}

    return headers


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


SignIn = Callable[..., str]


@pytest.fixture
def sign_in(client: TestClient, db: Database, settings: Settings, clock: MutableClock) -> SignIn:
    """Sign `person` in to the console on the shared client; returns the session's CSRF token.

    A person with an authenticator passes the two-step page with a code of `totp_secret`, or
    of a new authenticator given to them here.
    """

    def go(person: Person, totp_secret: str | None = None) -> str:
        client.cookies.clear()
        form = client.get("/sign-in", headers=HTML)
        response = client.post(
            "/sign-in",
            headers=HTML,
            data={
                "email": person.email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/",
            },
        )
        assert response.status_code == 303, response.text
        if response.headers["location"].startswith("/mfa"):
            totp_secret = totp_secret or enrol_mfa(db, settings, person, clock())
            page = client.get("/mfa", headers=HTML)
            passed = client.post(
                "/mfa",
                headers=HTML,
                data={"csrf_token": csrf_of(page.text), "code": code_for(totp_secret, clock())},
            )
            assert passed.status_code == 303, passed.text
        return csrf_of(client.get("/", headers=HTML).text)

    return go


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body
