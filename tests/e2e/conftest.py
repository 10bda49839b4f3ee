"""Fixtures of the browser tests: a live server in a thread, headless Chromium, a seeded world."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from tests.factories import (
    DEFAULT_PASSWORD,
    harbour_mall,
    make_org,
    make_person,
    platform_office,
    port_city_fire,
    port_city_police,
)

from accord.app import create_app
from accord.auth import service as auth_service
from accord.core.clock import utcnow
from accord.core.db import Database
from accord.core.errors import AccordError
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Organization, Person
from accord.settings import Settings

CHROMIUM = Path(os.environ.get("ACCORD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TIMEOUT_MS = 15_000

from playwright import sync_api  # noqa: E402 - after the constants it reads


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def live_settings(settings: Settings) -> Settings:
    port = _free_port()
    return settings.model_copy(
        update={"host": "127.0.0.1", "port": port, "public_url": f"http://127.0.0.1:{port}"}
    )


@pytest.fixture
def live_server(live_settings: Settings, db: Database) -> Iterator[str]:
    """The whole application served by uvicorn on a free loopback port, in a thread."""
    app = create_app(live_settings, db=db)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=live_settings.port,
        log_level="warning",
        lifespan="off",
        ws="none",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="accord-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.02)
    try:
        yield live_settings.effective_public_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        # A missing browser is a broken set-up, not a reason to pass: ./scripts/test installs it.
        pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's chromium package")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: sync_api.Browser, live_server: str) -> Iterator[sync_api.Page]:
    context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: errors.append(msg.text) if _violation(msg.text) else None)
    try:
        yield tab
    finally:
        context.close()
    # A CSP violation or a script error is a failure, even when the page looked right.
    assert not errors, errors


def _violation(text: str) -> bool:
    """A console message about the Content-Security-Policy (a 4xx page is not a failure)."""
    return "Content Security Policy" in text or "Refused to" in text


@dataclass
class World:
    office: Organization
    police: Organization
    pending: Organization
    admin: Person
    dispatcher: Person
    police_admin: Person


@pytest.fixture
def world(db: Database, settings: Settings) -> World:
    """A small partnership: enough records that the dashboard has something to show."""
    office, police = platform_office(db), port_city_police(db)
    port_city_fire(db)
    harbour_mall(db)
    make_org(db, "Northgate Campus Security", sector=Sector.PRIVATE, kind=OrgKind.CAMPUS)
    make_org(db, "Port City General Hospital", sector=Sector.PRIVATE, kind=OrgKind.HOSPITAL)
    pending = make_org(
        db,
        "Bayside Alarm Monitoring",
        sector=Sector.PRIVATE,
        kind=OrgKind.ALARM_MONITORING,
        vetted=False,
    )
    make_org(
        db, "Harbour Neighbourhood Watch", sector=Sector.COMMUNITY, kind=OrgKind.OTHER, vetted=False
    )
    admin = make_person(
        db,
        office,
        "coordinator@partnership.example",
        role=Role.PLATFORM_ADMIN,
        name="Pat Coordinator",
    )
    police_admin = make_person(
        db, police, "admin@pcpd.example", role=Role.ORG_ADMIN, name="Olive Admin"
    )
    dispatcher = make_person(
        db, police, "dispatch@pcpd.example", role=Role.DISPATCHER, name="Dee Spatcher"
    )
    make_person(db, police, "analyst@pcpd.example", role=Role.ANALYST, name="Ana Lyst")
    locked = make_person(
        db, police, "field@pcpd.example", role=Role.FIELD_RESPONDER, name="Fil Responder"
    )
    for _ in range(settings.lockout_attempts):
        _fail_sign_in(db, settings, locked.email)
    return World(office, police, pending, admin, dispatcher, police_admin)


def _fail_sign_in(db: Database, settings: Settings, email: str) -> None:
    # Refused on purpose: after enough failures the account locks, for the dashboard to show.
    with suppress(AccordError):
        auth_service.sign_in(db, settings, email=email, password="not the password", at=utcnow())


def sign_in(page: sync_api.Page, email: str, password: str = DEFAULT_PASSWORD) -> None:
    """Fill and send the sign-in form as a person would."""
    page.goto("/sign-in")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
