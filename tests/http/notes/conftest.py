"""Fixtures of the notes and feed HTTP tests: the police and the mall under an agreement."""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from tests.conftest import MutableClock
from tests.factories import DEFAULT_PASSWORD, harbour_mall, make_org, make_person, token_for
from tests.notes_factories import make_grant

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.settings import Settings
from accord.sharing.domain import Category, Purpose

with warnings.catch_warnings():
    # Starlette prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PROBLEM = "application/problem+json"
SCOPES = ("notes:write", "feed:read")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html,application/xhtml+xml"}


@dataclass
class World:
    """The police and the mall's security under an agreement; an alarm company outside it."""

    police: Organization
    mall: Organization
    outsider: Organization
    agreement_id: object
    people: dict[str, Person]


@pytest.fixture
def world(db: Database) -> World:
    police = make_org(db, "Port City Police Department", short_name="PCPD")
    mall = harbour_mall(db)
    outsider = make_org(
        db, "Riverside Alarm Co", sector=Sector.PRIVATE, kind=OrgKind.ALARM_MONITORING
    )
    agreement_id = make_grant(
        db,
        [police, mall],
        title="Harbour Point retail watch",
        version=2,
        covered=[Category.GENERAL, Category.VIDEO],
        purposes=[Purpose.INVESTIGATION, Purpose.CRIME_PREVENTION],
    )
    people = {
        "officer": make_person(db, police, "officer@pcpd.example", name="Olu Officer"),
        "sergeant": make_person(
            db, police, "sergeant@pcpd.example", role=Role.ORG_ADMIN, name="Sam Sergeant"
        ),
        "viewer": make_person(db, police, "viewer@pcpd.example", role=Role.VIEWER, name="Vi"),
        "detective": make_person(
            db, police, "detective@pcpd.example", cji_cleared=True, name="Dana Detective"
        ),
        "mall_manager": make_person(
            db, mall, "security@harbourmall.example", role=Role.ORG_ADMIN, name="Mall Manager"
        ),
        "mall_guard": make_person(db, mall, "guard@harbourmall.example", name="Gil Guard"),
        "stranger": make_person(db, outsider, "ops@riverside.example", name="Rio Side"),
    }
    return World(police, mall, outsider, agreement_id, people)


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    # No MFA step for console tests: tests/e2e walks the enrolment.
    quick = settings.model_copy(update={"mfa_required_roles": ()})
    return create_app(quick, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth(db: Database, world: World) -> Auth:
    """Bearer headers for a persona of the world, with the notes and feed scopes unless told."""
    tokens: dict[tuple[str, tuple[str, ...]], str] = {}

    def headers(who: str, scopes: tuple[str, ...] = SCOPES) -> dict[str, str]:
        key = (who, scopes)
        if key not in tokens:
            tokens[key] = token_for(db, world.people[who], scopes)
        return {"authorization": f"Bearer {tokens[key]}"}

    return headers


def share_note(client: TestClient, headers: dict[str, str], note: dict[str, Any]) -> dict[str, Any]:
    """POST a note and return it; the app's clock moves a minute first, so each note is newer."""
    clock: MutableClock = client.app.state.clock  # type: ignore[attr-defined]
    clock.advance(minutes=1)
    response = client.post("/api/v1/notes", json=note, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


SignIn = Callable[[str], str]


@pytest.fixture
def sign_in(client: TestClient, world: World) -> SignIn:
    """Sign a persona in on the shared client (as a browser); returns the session's CSRF token."""

    def go(who: str) -> str:
        client.cookies.clear()
        form = client.get("/sign-in", headers=HTML)
        response = client.post(
            "/sign-in",
            headers=HTML,
            data={
                "email": world.people[who].email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": csrf_of(form.text),
                "next": "/feed",
            },
        )
        assert response.status_code == 303, response.text
        return csrf_of(client.get("/feed", headers=HTML).text)

    return go
