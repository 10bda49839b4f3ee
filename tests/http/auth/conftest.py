"""Fixtures of the auth HTTP tests: the real app on the test database, a person, signing in."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from tests.factories import DEFAULT_PASSWORD, make_person, port_city_police

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.models import Organization, Person
from accord.settings import Settings

if TYPE_CHECKING:
    from tests.conftest import MutableClock

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

SignIn = Callable[..., str]


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    # Server errors come back as responses, so tests can assert "never 500" instead of crashing.
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def org(db: Database) -> Organization:
    return port_city_police(db)


@pytest.fixture
def person(db: Database, org: Organization) -> Person:
    return make_person(db, org, "dana.whitfield@pcpd.example", name="Dana Whitfield")


@pytest.fixture
def sign_in(client: TestClient) -> SignIn:
    """Sign in through the JSON API; the cookie stays in the client, the CSRF token comes back."""

    def do(person: Person, password: str = DEFAULT_PASSWORD, on: TestClient | None = None) -> str:
        response = (on or client).post(
            "/api/v1/auth/session", json={"email": person.email, "password": password}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["csrf_token"]
        return token

    return do
