"""Every route × persona × method: shared records only ever pass through the access module.

The test enumerates the application's routes (so a route is covered the day it is added), fills
each path with the ids of records every persona may or may not see, and sends every HTTP method
as every persona. For each request it checks that
- nothing answers 5xx;
- nothing of a record the persona may not see appears in the answer (each record's title and
  body hold a unique marker);
- a record the persona may not see is "not found", never "forbidden" or a success;
- no statement reads or changes a shared table unless the access module resolved the viewer in
  the same request (`accord.sharing.access.consulted`).
"""

from __future__ import annotations

import re
import threading
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlalchemy import event
from starlette.exceptions import StarletteDeprecationWarning
from tests.agreements_factories import make_agreement, standard_terms
from tests.conftest import MutableClock
from tests.factories import AT, make_org, make_person, token_for

from accord.app import create_app
from accord.auth.domain import SCOPE_FEATURES
from accord.core.db import Database
from accord.feed.stream import StreamTimings
from accord.orgs.domain import OrgKind, Role, Sector
from accord.settings import Settings
from accord.sharing import access
from accord.sharing.domain import Category, Purpose, RecipientKind, Tlp
from accord.sharing.service import Recipient

with warnings.catch_warnings():
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")
ALL_SCOPES = tuple(f"{f}:{level}" for f in SCOPE_FEATURES for level in ("read", "write"))
# Tables that hold shared records or facts about them.
SHARED_TABLES = re.compile(
    r"\b(shared_records|record_recipients|record_cells|notes|note_attachments)\b"
)
READ_OR_CHANGE = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
# Bodies that try to set what no request may set.
GREEDY_BODY = {
    "id": str(uuid.uuid4()),
    "owner_org_id": str(uuid.uuid4()),
    "author_id": str(uuid.uuid4()),
    "created_at": "2020-01-01T00:00:00Z",
    "title": "greedy",
    "body": "greedy",
    "tlp": "clear",
    "reason": "matrix",
    "purpose": "investigation",
}


@dataclass
class Matrix:
    records: dict[str, uuid.UUID]  # name → id
    markers: dict[str, str]  # name → secret text in the title and body
    may_see: dict[str, set[str]]  # persona → names of records they may see
    tokens: dict[str, str | None]  # persona → bearer token (None: anonymous)
    agreement_id: uuid.UUID
    org_ids: dict[str, uuid.UUID]


def _make_note(
    db: Database, author: Any, tlp: Tlp, marker: str, recipients: list[Recipient]
) -> uuid.UUID:
    from tests.notes_factories import make_note

    note = make_note(
        db, author, tlp=tlp, title=f"Title {marker}", body=f"Body {marker}", recipients=recipients
    )
    return note.id if hasattr(note, "id") else note  # type: ignore[no-any-return]


@pytest.fixture
def matrix(db: Database, settings: Settings) -> Matrix:
    police = make_org(db, "Port City Police Department")
    guards = make_org(db, "Delta Guard Services", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    mall = make_org(db, "Harbour Mall Security", sector=Sector.PRIVATE, kind=OrgKind.BUSINESS)
    pending = make_org(db, "Bayside Alarm", sector=Sector.PRIVATE, vetted=False)
    owner = make_person(db, police, role=Role.ANALYST)
    colleague = make_person(db, police, role=Role.ORG_ADMIN)
    people = {
        "owner": owner,
        "colleague": colleague,
        "partner": make_person(db, guards, role=Role.ORG_ADMIN),
        "outsider": make_person(db, mall, role=Role.ORG_ADMIN),
        "unvetted": make_person(db, pending, role=Role.ORG_ADMIN),
    }
    # A real agreement through the service, so agreement routes (accountability included)
    # read real shared records.
    agreement_id = make_agreement(
        db,
        settings,
        parties=[police, guards],
        terms=standard_terms(
            AT, covered=frozenset({Category.GENERAL}), purposes=frozenset(Purpose)
        ),
    )
    markers = {
        name: f"MARKER-{name}-{uuid.uuid4().hex[:10]}" for name in ("amber", "strict", "red")
    }
    records = {
        "amber": _make_note(db, owner, Tlp.AMBER, markers["amber"], []),
        "strict": _make_note(
            db,
            owner,
            Tlp.AMBER_STRICT,
            markers["strict"],
            [Recipient(RecipientKind.ORGANIZATION, guards.id)],
        ),
        "red": _make_note(
            db, owner, Tlp.RED, markers["red"], [Recipient(RecipientKind.PERSON, colleague.id)]
        ),
    }
    may_see = {
        "owner": {"amber", "strict", "red"},
        "colleague": {"amber", "strict", "red"},
        "partner": {"amber", "strict"},
        "outsider": set(),
        "unvetted": set(),
        "anonymous": set(),
    }
    tokens: dict[str, str | None] = {
        name: token_for(db, person, ALL_SCOPES) for name, person in people.items()
    }
    tokens["anonymous"] = None
    return Matrix(
        records=records,
        markers=markers,
        may_see=may_see,
        tokens=tokens,
        agreement_id=agreement_id,
        org_ids={"police": police.id, "guards": guards.id},
    )


@pytest.fixture
def app(settings: Settings, db: Database, clock: MutableClock) -> FastAPI:
    application = create_app(
        settings.model_copy(update={"mfa_required_roles": ()}), db=db, clock=clock
    )
    # The live stream ends quickly here, so every method on it answers within the test.
    application.state.feed_stream_timings = StreamTimings(heartbeat=0.05, recheck=0.1, lifetime=0.3)
    return application


class SharedTableWatch:
    """Statements that touch shared tables without the access module having resolved a viewer."""

    def __init__(self) -> None:
        self.active = False
        self.seen = 0
        self.violations: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.active or not SHARED_TABLES.search(statement):
            return
        self.seen += 1
        if READ_OR_CHANGE.match(statement) and not access.consulted():
            with self._lock:
                self.violations.append(statement.split("\n")[0][:160])


@pytest.fixture
def watch(db: Database) -> Iterator[SharedTableWatch]:
    watcher = SharedTableWatch()
    event.listen(db.engine, "before_cursor_execute", watcher)
    try:
        yield watcher
    finally:
        event.remove(db.engine, "before_cursor_execute", watcher)


def api_routes(app: FastAPI) -> list[Any]:
    seen: dict[str, Any] = {}
    for context in iter_route_contexts(app.routes):
        if context.path and context.path.startswith("/api/"):
            seen.setdefault(context.path, context)
    return list(seen.values())


def _fill(path: str, record_id: uuid.UUID, m: Matrix) -> str:
    """A concrete path; every parameter must be known here, so new routes are mapped on purpose."""
    values = {
        "note_id": str(record_id),
        "record_id": str(record_id),
        "agreement_id": str(m.agreement_id),
        "attachment_id": str(uuid.uuid4()),
        "kind": RecipientKind.ORGANIZATION.value,
        "target_id": str(m.org_ids["guards"]),
        "version": "1",
        "number": "1",
        "org_id": str(m.org_ids["police"]),
        "person_id": str(uuid.uuid4()),
        "group_id": str(uuid.uuid4()),
        "invitation_id": str(uuid.uuid4()),
        "token_id": str(uuid.uuid4()),
        "size": "1",
        "seq": "1",
        "entry_id": "1",
    }
    if path.startswith("/api/v1/agreements"):
        values["id"] = str(m.agreement_id)
    else:
        values["id"] = str(record_id)

    def replace(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        assert name in values, f"route {path}: map the path parameter {{{name}}} in this test"
        return values[name]

    return re.sub(r"\{([^}]+)\}", replace, path)


def _is_record_route(path: str) -> bool:
    return "{note_id}" in path or "{record_id}" in path or (path.startswith("/api/v1/notes/{id}"))


def test_no_route_leaks_or_bypasses_the_access_module(
    app: FastAPI, matrix: Matrix, watch: SharedTableWatch
) -> None:
    routes = api_routes(app)
    record_routes = [r for r in routes if _is_record_route(r.path)]
    assert record_routes, "the notes API should have routes addressing one record"
    checked = 0
    with TestClient(app, follow_redirects=False) as client:
        for route in routes:
            for name, record_id in matrix.records.items():
                if not _is_record_route(route.path) and name != "amber":
                    continue  # routes without a record in the path: once is enough
                url = _fill(route.path, record_id, matrix)
                for persona, token in matrix.tokens.items():
                    headers = {"authorization": f"Bearer {token}"} if token else {}
                    hidden = [
                        matrix.markers[n]
                        for n in matrix.records
                        if n not in matrix.may_see[persona]
                    ]
                    for method in METHODS:
                        kwargs: dict[str, Any] = {"headers": headers}
                        if method in ("POST", "PUT", "PATCH"):
                            kwargs["json"] = GREEDY_BODY
                        watch.active = True
                        try:
                            response = client.request(method, url, **kwargs)
                        finally:
                            watch.active = False
                        where = f"{persona} {method} {route.path} [{name}]"
                        assert response.status_code < 500, (where, response.text[:300])
                        for marker in hidden:
                            assert marker not in response.text, f"{where} leaked {marker}"
                        if "json" in kwargs:
                            # Mass assignment: owner, author, id and times are never accepted.
                            assert not 200 <= response.status_code < 300, (where, "took greedy")
                        if _is_record_route(route.path) and name not in matrix.may_see[persona]:
                            assert response.status_code in (401, 404, 405, 422), (
                                where,
                                response.status_code,
                                response.text[:200],
                            )
                        checked += 1
    assert not watch.violations, "shared tables read outside the access module:\n" + "\n".join(
        sorted(set(watch.violations))
    )
    assert checked > 500
    assert watch.seen > 100, "the statement watch saw no shared-table statements"
