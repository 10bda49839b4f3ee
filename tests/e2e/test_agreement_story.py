"""An agreement's whole life in the browser: drafted, signed, used, terminated, accounted for.

Five people, each in a browser context of their own: the partnership coordinator drafts an
information-sharing agreement between the police and a guard company, both organizations'
admins sign it with their authenticator codes, an officer shares notes, a guard reads the one
the agreement carries, the police terminate it, the guard's next request is refused, and the
accountability page shows all of it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from tests.agreements_factories import code_for, enrol_mfa
from tests.e2e.conftest import VIEWPORT, World, _violation, sign_in
from tests.factories import make_org, make_person

from accord.core.clock import utcnow
from accord.core.db import Database
from accord.core.security import TOTP_PERIOD
from accord.orgs.domain import OrgKind, Role, Sector
from accord.orgs.models import Person
from accord.settings import Settings

pytestmark = pytest.mark.e2e

# Generous: the story makes some forty requests, on a machine that may be busy.
SLOW_MS = 60_000

AGREEMENT = "Harbour district information sharing"
REASON = "Delta Guard Services lost its state guard licence."
AMBER_TITLE = "Door-handle testing on Harbour Street"
AMBER_BODY = "Two people tried the doors of parked cars on Harbour Street at 02:10."
AMBER_PEOPLE = "One wore a red cap; the other rode a green bicycle."
STRICT_TITLE = "Night shift briefing, internal"
STRICT_BODY = "Two units short on the night shift until Friday."

Tab = Callable[[], Page]


@dataclass
class Authenticator:
    """A person's authenticator app: each code it gives is one the server has not seen used.

    A code's time step can be used once (RFC 6238 §5.2) and the server accepts one step of
    drift, so a second code within the same 30 seconds is the next step's.
    """

    secret: str
    last_step: int = -1

    def next_code(self) -> str:
        step = max(int(time.time()) // TOTP_PERIOD, self.last_step + 1)
        self.last_step = step
        return code_for(self.secret, datetime.fromtimestamp(step * TOTP_PERIOD, UTC))


@dataclass
class Partners:
    """The guard company beside the e2e world's police, and the people of the story."""

    coordinator: Person
    police_admin: Person
    officer: Person
    guards_admin: Person
    guard: Person
    codes: dict[str, Authenticator]


@pytest.fixture
def partners(db: Database, settings: Settings, world: World) -> Partners:
    """Delta Guard Services and its people; the three who sign have authenticators."""
    now = utcnow()
    guards = make_org(db, "Delta Guard Services", sector=Sector.PRIVATE, kind=OrgKind.GUARD_COMPANY)
    officer = make_person(
        db, world.police, "reyes@pcpd.example", role=Role.FIELD_RESPONDER, name="Ofc. Dana Reyes"
    )
    guards_admin = make_person(
        db, guards, "gil@deltaguard.example", role=Role.ORG_ADMIN, name="Gil Supervisor"
    )
    guard = make_person(
        db, guards, "sam@deltaguard.example", role=Role.FIELD_RESPONDER, name="Sam Ortiz"
    )
    signers = (world.admin, world.police_admin, guards_admin)
    codes = {p.email: Authenticator(enrol_mfa(db, settings, p, now)) for p in signers}
    return Partners(world.admin, world.police_admin, officer, guards_admin, guard, codes)


@pytest.fixture(autouse=True)
def patient_assertions() -> Iterator[None]:
    expect.set_options(timeout=SLOW_MS)
    try:
        yield
    finally:
        expect.set_options(timeout=None)  # back to Playwright's default for the other tests


@pytest.fixture
def new_tab(browser: Browser, live_server: str) -> Iterator[Tab]:
    """A tab in a browser context of its own (its own cookies) for each person of the story.

    Like the `page` fixture, a CSP violation or a script error on any tab fails the test.
    """
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def open_tab() -> Page:
        context = browser.new_context(base_url=live_server, viewport=VIEWPORT)
        context.set_default_timeout(SLOW_MS)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda msg: errors.append(msg.text) if _violation(msg.text) else None)
        return tab

    try:
        yield open_tab
    finally:
        for context in contexts:
            context.close()
    assert not errors, errors


def _signed_in(tab: Page, person: Person, partners: Partners) -> Page:
    """Sign in, passing the two-step page with the person's authenticator when they have one."""
    sign_in(tab, person.email)
    authenticator = partners.codes.get(person.email)
    if authenticator is not None:
        expect(tab).to_have_url(re.compile(r"/mfa\?"))
        tab.get_by_label(re.compile("Six-digit code")).fill(authenticator.next_code())
        tab.get_by_role("button", name="Verify").click()
    expect(tab.get_by_role("heading", name=f"Welcome, {person.display_name}")).to_be_visible()
    return tab


def _draft_and_propose(tab: Page) -> str:
    """The coordinator drafts the agreement, proposes it, and returns its page's path."""
    tab.goto("/agreements")
    tab.get_by_role("link", name="Draft an agreement").click()
    expect(tab.get_by_role("heading", name="Draft an agreement")).to_be_visible()
    tab.get_by_label("Kind").select_option(label="Information sharing")
    tab.get_by_label("Title").fill(AGREEMENT)
    tab.get_by_label("Party organizations").select_option(
        label=["Port City Police Department", "Delta Guard Services"]
    )
    tab.locator("#covered").get_by_label("General", exact=True).check()
    tab.locator("#covered").get_by_label("Personal data", exact=True).check()
    tab.locator("#sensitive").get_by_label("Personal data", exact=True).check()
    tab.locator("#purposes").get_by_label("Investigation", exact=True).check()
    tab.get_by_label("TLP ceiling").select_option(label="TLP:AMBER")
    expires = (utcnow() + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M")
    tab.get_by_label("Expires (UTC)").fill(expires)
    tab.get_by_label("Retention (days)").fill("90")
    tab.get_by_label("Liability").fill("Each party answers for its own staff.")
    tab.get_by_role("button", name="Save as draft").click()

    expect(tab).to_have_url(re.compile(r"/agreements/[0-9a-f-]{36}\?"))
    expect(tab.get_by_role("heading", name=AGREEMENT, exact=True)).to_be_visible()
    expect(tab.locator(".flash-success")).to_contain_text("The draft was saved.")
    expect(tab.locator("#status")).to_have_text("Draft")
    path = re.sub(r"^https?://[^/]+|\?.*$", "", tab.url)
    tab.get_by_role("button", name="Propose for signature").click()
    expect(tab.locator(".flash-success")).to_contain_text(
        "Proposed: an administrator of each party now signs the terms."
    )
    expect(tab.locator("#status")).to_have_text("Proposed")
    expect(tab.locator("#pending table.parties")).to_contain_text("Awaiting signature")
    return path


def _sign(tab: Page, path: str, org_name: str, authenticator: Authenticator) -> None:
    """A party's admin reads the proposed terms and signs them with a current code."""
    tab.goto(path)
    pending = tab.locator("#pending")
    expect(pending).to_contain_text("Investigation")
    expect(pending).to_contain_text("General, Personal data")
    expect(tab.get_by_role("heading", name=f"Sign for {org_name}")).to_be_visible()
    tab.get_by_label("Two-step code").fill(authenticator.next_code())
    tab.get_by_role("button", name="Sign the agreement").click()
    expect(tab).to_have_url(re.compile(r"notice=agreement-"))


def _share(tab: Page, title: str, body: str, marking: str, people: str = "") -> str:
    """The officer shares a note through the console's form; returns its id."""
    tab.goto("/notes/new")
    expect(tab.get_by_role("heading", name="Share a note")).to_be_visible()
    tab.get_by_label("Title").fill(title)
    tab.get_by_label("What happened").fill(body)
    if people:
        tab.get_by_label("People involved").fill(people)
    tab.get_by_role("radio", name=re.compile(rf"^{re.escape(marking)}\s*—")).check()
    tab.get_by_role("button", name="Share the note").click()
    expect(tab.locator(".flash-success")).to_contain_text("The note is shared.")
    expect(tab.get_by_role("heading", name=title)).to_be_visible()
    found = re.search(r"/notes/([0-9a-f-]{36})\?", tab.url)
    assert found, tab.url
    return found.group(1)


def _read_in_the_feed(tab: Page, amber: str, strict: str) -> None:
    """The guard finds the AMBER note in the feed, not the AMBER+STRICT one, and opens it."""
    tab.goto("/feed")
    expect(tab.get_by_role("heading", name="Feed", exact=True)).to_be_visible()
    item = tab.locator(f"#item-{amber}")
    expect(item).to_contain_text(AMBER_TITLE)
    expect(item).to_contain_text("Port City Police Department")
    expect(item).to_contain_text("TLP:AMBER")
    expect(item).to_contain_text(f'Shared under agreement "{AGREEMENT}"')
    expect(tab.locator("#feed-items > li")).to_have_count(1)
    expect(tab.locator(f"#item-{strict}")).to_have_count(0)
    assert STRICT_TITLE not in tab.content()

    item.get_by_label("Restricted: state why you open it").select_option(label="Investigation")
    item.get_by_role("button", name=re.compile("^Open")).click()
    expect(tab.get_by_role("heading", name=AMBER_TITLE)).to_be_visible()
    expect(tab.locator("#note-body")).to_contain_text(AMBER_BODY)
    expect(tab.locator("#personal-details")).to_contain_text(AMBER_PEOPLE)
    expect(tab.get_by_text("(recorded in the audit log)")).to_be_visible()


def _terminate(tab: Page, path: str) -> None:
    tab.goto(path)
    expect(tab.locator("#status")).to_have_text("Active")
    tab.get_by_label("Reason").fill(REASON)
    tab.get_by_role("button", name="Terminate").click()
    expect(tab.locator(".flash-success")).to_contain_text(
        "Terminated: the next request that relied on it is refused."
    )
    expect(tab.locator("#status")).to_have_text("Terminated")
    expect(tab.locator("#status-reason")).to_contain_text(REASON)


def _row(tab: Page, table: str, *cells: str) -> None:
    """The report's table `table` has one row with exactly these cells, in order."""
    row = tab.locator(f"#{table} tbody tr")
    for cell in cells:
        row = row.filter(has_text=cell)
    expect(row).to_have_count(1)
    expect(row.locator("th, td")).to_have_text(list(cells))


def _accountability(tab: Page, path: str) -> None:
    """What the coordinator sees on the report once the agreement has ended."""
    tab.goto(path)
    tab.get_by_role("link", name="Accountability").click()
    expect(tab.get_by_role("heading", name="Accountability", exact=True)).to_be_visible()
    expect(tab.locator(".lede .badge")).to_have_text("Terminated")
    expect(tab.locator("#shared-total")).to_have_text("1")
    _row(tab, "shared-by-tlp", "Port City Police Department", "TLP:AMBER", "1")
    for category in ("General", "Personal data"):
        _row(tab, "shared-by-category", "Port City Police Department", category, "1")
    expect(tab.locator("#shared-by-category tbody tr")).to_have_count(2)
    expect(tab.locator("#reads-total")).to_have_text("1")
    _row(tab, "reads-by-purpose", "investigation", "1")
    _row(tab, "reads-by-organization", "Delta Guard Services", "read", "1")
    expect(tab.locator("#refused-total")).to_have_text("2")  # the reload and the address
    _row(tab, "refused-by-organization", "Delta Guard Services", "refused", "2")


def _both_sign(new_tab: Tab, path: str, partners: Partners) -> Page:
    """Each party's admin signs; returns the police admin's tab, still signed in."""
    codes = partners.codes
    police = _signed_in(new_tab(), partners.police_admin, partners)
    _sign(police, path, "Port City Police Department", codes[partners.police_admin.email])
    expect(police.locator(".flash-success")).to_have_text("Signed for your organization.")
    expect(police.locator("#status")).to_have_text("Proposed")

    guards = _signed_in(new_tab(), partners.guards_admin, partners)
    _sign(guards, path, "Delta Guard Services", codes[partners.guards_admin.email])
    expect(guards.locator(".flash-success")).to_have_text(
        "Signed by every party: the terms are in force and enforced from now on."
    )
    expect(guards.locator("#status")).to_have_text("Active")
    expect(guards.locator(".lede")).to_contain_text("version 1 in force")
    parties = guards.locator("#parties")
    expect(parties.locator("tr", has_text="Port City Police Department")).to_contain_text(
        "Signed by Olive Admin"
    )
    expect(parties.locator("tr", has_text="Delta Guard Services")).to_contain_text(
        "Signed by Gil Supervisor"
    )
    return police


def _refused(tab: Page, amber: str) -> None:
    """The guard's next request for the note, and the feed, once the agreement has ended."""
    # Reloading the opened note sends its open-with-purpose request again.
    response = tab.reload()
    assert response is not None
    assert response.request.method == "POST"
    assert response.status == 404
    expect(tab.get_by_role("heading", name="Not found")).to_be_visible()
    expect(tab.get_by_text("Error 404")).to_be_visible()
    assert AMBER_TITLE not in tab.content()
    assert AMBER_BODY not in tab.content()
    # Asking for the note's address afresh is refused, and counted, the same way.
    response = tab.goto(f"/notes/{amber}")
    assert response is not None
    assert response.status == 404
    assert AMBER_TITLE not in tab.content()
    tab.goto("/feed")
    expect(tab.get_by_text("Nothing has been shared with you yet.")).to_be_visible()
    expect(tab.locator(f"#item-{amber}")).to_have_count(0)


def test_the_coordinator_drafts_both_admins_sign_and_the_police_terminate(
    new_tab: Tab, partners: Partners
) -> None:
    coordinator = _signed_in(new_tab(), partners.coordinator, partners)
    path = _draft_and_propose(coordinator)
    police_admin = _both_sign(new_tab, path, partners)

    officer = _signed_in(new_tab(), partners.officer, partners)
    strict = _share(officer, STRICT_TITLE, STRICT_BODY, "TLP:AMBER+STRICT")
    amber = _share(officer, AMBER_TITLE, AMBER_BODY, "TLP:AMBER", people=AMBER_PEOPLE)
    guard = _signed_in(new_tab(), partners.guard, partners)
    _read_in_the_feed(guard, amber, strict)

    _terminate(police_admin, path)
    _refused(guard, amber)
    _accountability(coordinator, path)
