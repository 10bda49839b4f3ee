"""/api/v1/feed/stream over real HTTP (uvicorn): only records the viewer may see, ever."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from tests.agreements_factories import admin_of, make_agreement
from tests.conftest import MutableClock
from tests.factories import AT, DEFAULT_PASSWORD
from tests.http.notes.conftest import SCOPES, World
from tests.notes_factories import make_grant

from accord.app import create_app
from accord.auth.tokens import create_api_token, revoke_api_token
from accord.core.db import Database
from accord.feed.stream import StreamTimings
from accord.settings import Settings

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOTE = {"title": "Van at the loading dock", "body": "Grey van, two people, 22:40.", "tlp": "green"}
WAIT = 10.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Live:
    url: str
    app: FastAPI


@pytest.fixture
def live(settings: Settings, db: Database, clock: MutableClock) -> Iterator[Live]:
    """The application served by uvicorn on a loopback port, the stream's timings shortened."""
    port = _free_port()
    quick = settings.model_copy(update={"mfa_required_roles": (), "port": port})
    app = create_app(quick, db=db, clock=clock)
    app.state.feed_stream_timings = StreamTimings(heartbeat=0.2, recheck=0.5)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", ws="none"
        )
    )
    thread = threading.Thread(target=server.run, name="accord-stream-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield Live(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Message:
    event: str = "message"
    data: str = ""
    id: str = ""
    comments: list[str] = field(default_factory=list)


class Events:
    """Server-Sent Events read off a streaming response (WHATWG HTML §9.2.6), and the raw text."""

    def __init__(self, response: httpx.Response) -> None:
        self.lines = response.iter_lines()
        self.raw = ""

    def next(self, timeout: float = WAIT) -> Message | None:
        """The next message or comment block, None when the stream ends."""
        message = Message()
        deadline = time.monotonic() + timeout
        for line in self.lines:
            self.raw += line + "\n"
            if time.monotonic() > deadline:
                pytest.fail("the stream sent nothing expected in time")
            if line == "":
                return message
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comments.append(value)
            elif name == "event":
                message.event = value
            elif name == "data":
                message.data += value
            elif name == "id":
                message.id = value
        return None

    def until(self, event: str, timeout: float = WAIT) -> Message:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.next(timeout)
            if message is None:
                pytest.fail(f"the stream ended before an {event!r} event")
            if message.event == event and not message.comments:
                return message
        pytest.fail(f"no {event!r} event within {timeout} s")

    def records_for(self, seconds: float) -> list[dict[str, Any]]:
        """Every record event within `seconds` (heartbeats keep the stream moving)."""
        found = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.next()
            if message is None:
                break
            if message.event == "record" and message.data:
                found.append(json.loads(message.data))
        return found


def _token(db: Database, world: World, who: str) -> tuple[str, uuid.UUID]:
    secret, token = create_api_token(
        db,
        actor=None,
        person_id=world.people[who].id,
        name=f"stream test {uuid.uuid4().hex[:6]}",
        scopes=SCOPES,
        expires_at=None,
        at=AT,
    )
    return secret, token.id


@contextmanager
def _stream(live: Live, headers: dict[str, str], **params: Any) -> Iterator[Events]:
    with (
        httpx.Client(base_url=live.url, timeout=WAIT) as http,
        http.stream("GET", "/api/v1/feed/stream", params=params, headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        events = Events(response)
        opening = events.next()
        assert opening is not None
        assert "connected" in opening.comments  # subscribed: nothing shared from now is missed
        assert events.raw.startswith("retry: 3000\n")  # EventSource reconnects after 3 s
        yield events


def _share(live: Live, headers: dict[str, str], **fields: Any) -> str:
    clock: MutableClock = live.app.state.clock
    clock.advance(minutes=1)
    response = httpx.post(f"{live.url}/api/v1/notes", json={**NOTE, **fields}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _bearer(secret: str) -> dict[str, str]:
    return {"authorization": f"Bearer {secret}"}


def test_a_visible_note_arrives_and_an_invisible_one_never_does(
    live: Live, db: Database, world: World
) -> None:
    officer = _bearer(_token(db, world, "officer")[0])
    stranger = _bearer(_token(db, world, "stranger")[0])
    guard = _bearer(_token(db, world, "mall_guard")[0])
    with _stream(live, guard) as events:
        hidden = [
            _share(live, officer, tlp="amber+strict", title="Internal: staffing"),
            _share(live, officer, tlp="red", title="Named tip"),
            _share(live, stranger, tlp="amber", title="Alarm panel codes"),
        ]
        amber = _share(live, officer, tlp="amber", title="Perfume thefts")
        green = _share(live, officer)
        first = json.loads(events.until("record").data)
        second = json.loads(events.until("record").data)
        later = events.records_for(1.0)  # heartbeats keep coming; no other record does
    assert [first["id"], second["id"]] == [amber, green]
    assert later == []
    assert first["summary"] is None
    assert first["restricted"] is True
    assert first["why"]["agreement_title"] == "Harbour Point retail watch"
    assert second["summary"] == NOTE["body"]
    assert second["owner"]["name"] == "Port City Police Department"
    for record_id in hidden:
        assert record_id not in events.raw
    assert ": heartbeat" in events.raw
    _wait_for_no_subscribers(live)


def _wait_for_no_subscribers(live: Live) -> None:
    """A client that leaves stops its subscription: nothing keeps reading for nobody."""
    deadline = time.monotonic() + WAIT
    while live.app.state.bus.subscriber_count:
        if time.monotonic() > deadline:
            pytest.fail("the stream kept its subscription after the client left")
        time.sleep(0.05)


def test_the_stream_takes_the_feeds_filters(live: Live, db: Database, world: World) -> None:
    officer = _bearer(_token(db, world, "officer")[0])
    guard = _bearer(_token(db, world, "mall_guard")[0])
    with _stream(live, guard, tlp="amber") as events:
        _share(live, officer, title="Green, filtered out")
        amber = _share(live, officer, tlp="amber", title="Amber, wanted")
        record = json.loads(events.until("record").data)
    assert record["id"] == amber
    assert "Green, filtered out" not in events.raw


def test_a_note_newly_addressed_to_the_viewer_arrives(
    live: Live, db: Database, world: World
) -> None:
    officer = _bearer(_token(db, world, "officer")[0])
    stranger = _bearer(_token(db, world, "stranger")[0])
    note = _share(live, officer, tlp="amber+strict", title="Alarm at the depot")
    with _stream(live, stranger) as events:
        added = httpx.post(
            f"{live.url}/api/v1/notes/{note}/recipients",
            json={"recipients": [{"kind": "organization", "id": str(world.outsider.id)}]},
            headers=officer,
        )
        assert added.status_code == 200, added.text
        record = json.loads(events.until("record").data)
    assert record["id"] == note
    assert record["why"]["basis"] == "recipient_organization"


def test_a_revoked_token_ends_the_stream(live: Live, db: Database, world: World) -> None:
    secret, token_id = _token(db, world, "mall_guard")
    with _stream(live, _bearer(secret)) as events:
        revoke_api_token(db, actor=None, token_id=token_id, at=AT)
        end = events.until("end")
        assert json.loads(end.data) == {"reason": "credential-ended"}
        assert events.next() is None  # the server closed the stream
    _wait_for_no_subscribers(live)


def test_signing_out_ends_a_browser_stream(live: Live, db: Database, world: World) -> None:
    with httpx.Client(base_url=live.url, timeout=WAIT, follow_redirects=False) as browser:
        form = browser.get("/sign-in")
        token = CSRF.search(form.text)
        assert token is not None
        signed_in = browser.post(
            "/sign-in",
            data={
                "email": world.people["mall_guard"].email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": token.group(1),
                "next": "/feed",
            },
        )
        assert signed_in.status_code == 303
        page = CSRF.search(browser.get("/feed").text)
        assert page is not None
        with browser.stream("GET", "/api/v1/feed/stream") as response:
            assert response.status_code == 200
            events = Events(response)
            events.next()
            browser.post("/sign-out", data={"csrf_token": page.group(1)})
            assert events.until("end").data == json.dumps({"reason": "credential-ended"})


def test_an_overflowing_reader_is_told_to_reload(live: Live, db: Database, world: World) -> None:
    guard = _bearer(_token(db, world, "mall_guard")[0])
    with _stream(live, guard) as events:
        # Far more events than a subscriber queues, faster than the stream reads them back.
        for _ in range(3000):
            live.app.state.bus.publish("records.changed", {"id": str(uuid.uuid4()), "kind": "note"})
        events.until("reset")


def test_a_stream_with_a_lifetime_closes_for_the_client_to_reconnect(
    live: Live, db: Database, world: World
) -> None:
    live.app.state.feed_stream_timings = StreamTimings(heartbeat=0.1, recheck=0.2, lifetime=0.5)
    guard = _bearer(_token(db, world, "mall_guard")[0])
    started = time.monotonic()
    with _stream(live, guard) as events:
        while events.next() is not None:
            assert time.monotonic() - started < WAIT
    _wait_for_no_subscribers(live)


def _events_within(events: Events, seconds: float) -> list[str]:
    """The names of the events (not heartbeats) that arrive within `seconds`."""
    names = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = events.next()
        if message is None:
            break
        if not message.comments:
            names.append(message.event)
    return names


def test_a_terminated_agreement_tells_its_parties_feeds_to_reload(
    live: Live, db: Database, world: World, settings: Settings
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.mall])
    admin = admin_of(db, world.police)
    secret, _ = create_api_token(
        db,
        actor=None,
        person_id=admin.id,
        name="agreements admin",
        scopes=("agreements:write",),
        expires_at=None,
        at=AT,
    )
    guard = _bearer(_token(db, world, "mall_guard")[0])
    stranger = _bearer(_token(db, world, "stranger")[0])
    with _stream(live, guard) as party, _stream(live, stranger) as outside:
        ended = httpx.post(
            f"{live.url}/api/v1/agreements/{agreement_id}/terminate",
            json={"reason": "The mall changed security contractors."},
            headers=_bearer(secret),
        )
        assert ended.status_code == 200, ended.text
        party.until("reset")  # the guard's feed reloads: the police's AMBER notes leave it
        assert "reset" not in _events_within(outside, 1.5)  # not a party: nothing to reload


def test_an_open_stream_does_not_keep_an_idle_session_alive(
    live: Live, db: Database, world: World, settings: Settings
) -> None:
    """The stream's own credential checks are not the person's activity."""
    clock: MutableClock = live.app.state.clock
    idle = settings.session_idle_minutes
    with httpx.Client(base_url=live.url, timeout=WAIT, follow_redirects=False) as browser:
        form = browser.get("/sign-in")
        token = CSRF.search(form.text)
        assert token is not None
        signed_in = browser.post(
            "/sign-in",
            data={
                "email": world.people["mall_guard"].email,
                "password": DEFAULT_PASSWORD,
                "csrf_token": token.group(1),
                "next": "/feed",
            },
        )
        assert signed_in.status_code == 303
        with browser.stream("GET", "/api/v1/feed/stream") as response:
            assert response.status_code == 200
            events = Events(response)
            events.next()
            # Two thirds of the idle time, then the stream re-checks (every 0.5 s here)...
            clock.advance(minutes=idle * 2 // 3)
            assert "end" not in _events_within(events, 1.5)
            # ...and two thirds again: idle since sign-in for longer than the limit.
            clock.advance(minutes=idle * 2 // 3)
            assert events.until("end").data == json.dumps({"reason": "credential-ended"})


def test_an_agreement_expiring_or_starting_by_date_tells_open_feeds_to_reload(
    live: Live, db: Database, world: World
) -> None:
    clock: MutableClock = live.app.state.clock
    now = clock()
    make_grant(
        db,
        [world.police, world.outsider],
        title="Alarm verification pilot",
        effective_at=now - timedelta(days=30),
        expires_at=now + timedelta(hours=2),
        at=now,
    )
    make_grant(
        db,
        [world.police, world.outsider],
        title="Alarm verification, second year",
        effective_at=now + timedelta(hours=5),
        at=now,
    )
    alarm_company = _bearer(_token(db, world, "stranger")[0])
    guard = _bearer(_token(db, world, "mall_guard")[0])
    with _stream(live, alarm_company) as party, _stream(live, guard) as outside:
        assert "reset" not in _events_within(party, 1.0)  # nothing is due yet
        clock.advance(hours=2)  # the pilot expires at this instant
        party.until("reset")
        clock.advance(hours=3)  # the second year starts
        party.until("reset")
        assert "reset" not in _events_within(outside, 1.0)  # the mall is party to neither
