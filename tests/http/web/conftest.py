"""Fixtures of the console tests: the app over HTTP, a small demo world, signing in by role."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from tests.conftest import MutableClock
from tests.factories import (
    DEFAULT_PASSWORD,
    harbour_mall,
    make_org,
    make_person,
    platform_office,
    port_city_police,
)

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.settings import Settings

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html,application/xhtml+xml"}


@dataclass
class World:
    """The partnership office, the police, the mall, an organization awaiting vetting."""

    office: Organization
    police: Organization
    mall: Organization
    pending: Organization
    people: dict[str, Person]


@pytest.fixture
def world(db: Database) -> World:
    office, police, mall = platform_office(db), port_city_police(db), harbour_mall(db)
    pending = make_org(
        db,
        "Bayside Alarm Monitoring",
        sector=Sector.PRIVATE,
        kind=OrgKind.ALARM_MONITORING,
        vetted=False,
    )
    people = {
        "platform_admin": make_person(
            db,
            office,
            "coordinator@partnership.example",
            role=Role.PLATFORM_ADMIN,
            name="Pat Coordinator",
        ),
        "org_admin": make_person(
            db, police, "admin@pcpd.example", role=Role.ORG_ADMIN, name="Olive Admin"
        ),
        "analyst": make_person(
            db, police, "analyst@pcpd.example", role=Role.ANALYST, name="Ana Lyst"
        ),
        "dispatcher": make_person(
            db, police, "dispatch@pcpd.example", role=Role.DISPATCHER, name="Dee Spatcher"
        ),
        "field_responder": make_person(
            db, police, "field@pcpd.example", role=Role.FIELD_RESPONDER, name="Fil Responder"
        ),
        "viewer": make_person(db, police, "viewer@pcpd.example", role=Role.VIEWER, name="Vi Ewer"),
        "mall_admin": make_person(
            db, mall, "security@harbourmall.example", role=Role.ORG_ADMIN, name="Mall Manager"
        ),
        "pending_admin": make_person(
            db, pending, "ops@bayside.example", role=Role.ORG_ADMIN, name="Bay Side"
        ),
    }
    return World(office, police, mall, pending, people)


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    # No MFA step here: tests/e2e walks the enrolment; these tests look at the pages behind it.
    quick = settings.model_copy(update={"mfa_required_roles": ()})
    return create_app(quick, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, headers=HTML, follow_redirects=False) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


SignIn = Callable[[Person], str]


@pytest.fixture
def sign_in(client: TestClient) -> SignIn:
    """Sign `person` in on the shared client; returns the session's CSRF token."""

    def go(person: Person) -> str:
        client.cookies.clear()
        form = client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={
                "email": person.email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/",
            },
        )
        assert response.status_code == 303, response.text
        assert response.headers["location"] == "/"
        return csrf_of(client.get("/").text)

    return go
