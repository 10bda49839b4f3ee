"""Schemathesis drives every API operation: no 5xx, and every answer matches /openapi.json."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from tests.conftest import MutableClock
from tests.factories import make_org, make_person, token_for

from accord.app import create_app
from accord.core.db import Database
from accord.orgs.domain import Role
from accord.settings import Settings


@pytest.fixture
def admin_token(db: Database, clock: MutableClock) -> str:
    """A platform admin's token with every scope, so requests reach past authorization."""
    office = make_org(db, name="Delta County Office of Emergency Services")
    admin = make_person(db, office, role=Role.PLATFORM_ADMIN)
    make_person(db, make_org(db, name="Port City Police Department"), role=Role.DISPATCHER)
    return token_for(db, admin, at=clock())


@pytest.fixture
def api_schema(
    db: Database, settings: Settings, clock: MutableClock, admin_token: str
) -> schemathesis.BaseSchema:
    app = create_app(settings, db=db, clock=clock)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
def test_every_operation_answers_within_its_schema(
    case: schemathesis.Case, admin_token: str
) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
