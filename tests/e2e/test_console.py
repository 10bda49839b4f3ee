"""The paths people walk through the console, in headless Chromium against a live server."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import World, sign_in

from accord.core.clock import utcnow
from accord.core.db import Database
from accord.orgs.domain import Role
from accord.orgs.invitations import invite_person

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "tidal basin lantern seventeen"


def _enrol_authenticator(page: Page) -> pyotp.TOTP:
    """On /mfa/enrol: read the key as a person would type it, answer with the app's code."""
    expect(page).to_have_url(re.compile(r"/mfa/enrol"))
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("Six-digit code").fill(totp.now())
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name=re.compile("I have saved them")).click()
    return totp


def test_dispatcher_signs_in_and_reaches_the_dashboard(page: Page, world: World) -> None:
    sign_in(page, world.dispatcher.email)

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", name="Welcome, Dee Spatcher")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Audit log")).to_have_count(0)
    expect(page.locator("#orgs-total")).to_have_text("8")


def test_platform_admin_enrols_mfa_then_signs_in_with_a_code(page: Page, world: World) -> None:
    sign_in(page, world.admin.email)
    totp = _enrol_authenticator(page)

    expect(page.get_by_role("heading", name="Welcome, Pat Coordinator")).to_be_visible()
    expect(page.get_by_role("heading", name="Awaiting vetting")).to_be_visible()
    expect(page.locator("#locked").get_by_role("link", name="Fil Responder")).to_be_visible()
    screenshot = os.environ.get("ACCORD_SCREENSHOT")
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=screenshot)

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    sign_in(page, world.admin.email)
    expect(page).to_have_url(re.compile(r"/mfa"))
    # The code just used is refused as a replay (RFC 6238 §5.2); the next one is accepted.
    page.get_by_label(re.compile("Six-digit code")).fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", name="Welcome, Pat Coordinator")).to_be_visible()


def test_invitee_accepts_the_link_and_signs_in(
    page: Page, world: World, db: Database, live_server: str
) -> None:
    issued = invite_person(
        db,
        actor=None,
        at=utcnow(),
        org_id=world.police.id,
        email="new.analyst@pcpd.example",
        role=Role.ANALYST,
        public_url=live_server,
        display_name="Nia Analyst",
    )
    page.goto(issued.link)
    expect(page.get_by_role("heading", name="Join Port City Police Department on Accord"))
    expect(page.locator("#invitation-email")).to_have_text("new.analyst@pcpd.example")
    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type it again").fill("not the same at all, sorry")
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("alert")).to_contain_text("does not match")

    page.get_by_label("Choose a password").fill(NEW_PASSWORD)
    page.get_by_label("Type it again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/sign-in"))
    expect(page.get_by_role("status")).to_contain_text("Your account is ready")

    sign_in(page, "new.analyst@pcpd.example", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Welcome, Nia Analyst")).to_be_visible()
    page.goto(issued.link)
    expect(page.locator("#invitation-problem")).to_contain_text("already been used")


def test_platform_admin_vets_a_pending_organization(page: Page, world: World) -> None:
    sign_in(page, world.admin.email)
    _enrol_authenticator(page)

    page.get_by_role("link", name="Review them").click()
    page.get_by_role("link", name="Bayside Alarm Monitoring").click()
    page.get_by_label("New state").select_option("vetted")
    page.get_by_role("button", name="Record decision").click()
    # The reason is mandatory: the browser or the server asks for it.
    page.get_by_label("Reason").fill("Licence and two agency references checked.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_role("status")).to_contain_text("vetting decision was recorded")
    expect(page.locator("#vetting-state")).to_contain_text("Vetted")
    expect(page.get_by_text("Licence and two agency references checked.")).to_be_visible()
    page.goto("/orgs?vetting=vetted")
    row = page.locator("#directory tr", has_text="Bayside Alarm Monitoring")
    expect(row).to_contain_text("Vetted")


def test_org_admin_invites_copies_the_link_and_revokes_it(page: Page, world: World) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, world.police_admin.email)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_label("E-mail address").fill("temp@pcpd.example")
    page.get_by_label("Role").select_option("viewer")
    page.get_by_role("button", name="Create invitation").click()

    link = page.locator("#invitation-link").inner_text()
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#copy-status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == link

    row = page.locator("#invitations tr", has_text="temp@pcpd.example")
    page.once("dialog", lambda dialog: dialog.dismiss())
    row.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Pending")
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_contain_text("withdrawn")
    expect(page.locator("#invitations tr", has_text="temp@pcpd.example")).to_contain_text("Revoked")
