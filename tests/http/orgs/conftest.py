"""Fixtures of the organization API tests: the app, a small world, bearer tokens by persona."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning
from tests.conftest import MutableClock
from tests.factories import (
    harbour_mall,
    make_org,
    make_person,
    platform_office,
    port_city_fire,
    port_city_police,
    token_for,
)

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.settings import Settings

with warnings.catch_warnings():
    # Starlette prefers httpx2 and warns (an error here) when it finds httpx; same client.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

PROBLEM = "application/problem+json"


@dataclass
class World:
    office: Organization
    police: Organization
    fire: Organization
    mall: Organization
    pending: Organization
    people: dict[str, Person]


@pytest.fixture
def world(db: Database) -> World:
    office, police, fire = platform_office(db), port_city_police(db), port_city_fire(db)
    mall = harbour_mall(db)
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
        "analyst": make_person(db, police, "analyst@pcpd.example", name="Ana Lyst"),
        "viewer": make_person(db, police, "viewer@pcpd.example", role=Role.VIEWER, name="Vi"),
        "fire_admin": make_person(
            db, fire, "chief@pcfr.example", role=Role.ORG_ADMIN, name="Fay Chief"
        ),
        "mall_admin": make_person(
            db, mall, "security@harbourmall.example", role=Role.ORG_ADMIN, name="Mall Manager"
        ),
        "pending_admin": make_person(
            db, pending, "ops@bayside.example", role=Role.ORG_ADMIN, name="Bay Side"
        ),
    }
    return World(office, police, fire, mall, pending, people)


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    return create_app(settings, db=db, clock=clock)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


Auth = Callable[..., dict[str, str]]


@pytest.fixture
def auth(db: Database, world: World) -> Auth:
    """Bearer headers for a persona of the world (by key) or any person."""

    def headers(who: str | Person, scopes: tuple[str, ...] | None = None) -> dict[str, str]:
        person = world.people[who] if isinstance(who, str) else who
        token = token_for(db, person) if scopes is None else token_for(db, person, scopes)
        return {"authorization": f"Bearer {token}"}

    return headers


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is an RFC 9457 problem of `status`; returns its body."""
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"].startswith(PROBLEM)  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    return body
