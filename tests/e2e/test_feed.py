"""The live feed in a browser: a partner shares, the dispatcher's open feed shows it at once."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from tests.e2e.conftest import World, sign_in
from tests.factories import make_person, token_for
from tests.notes_factories import make_grant

from accord.core.clock import utcnow
from accord.core.db import Database
from accord.orgs.domain import Role
from accord.orgs.models import Organization
from accord.sharing.domain import Category

pytestmark = pytest.mark.e2e


def _mall_token(db: Database, world: World) -> str:
    """The mall's security manager, under an agreement with the police, with a notes token."""
    with db.reading() as s:
        mall = s.scalars(
            select(Organization).where(Organization.name == "Harbour Point Mall Security")
        ).one()
    now = utcnow()
    make_grant(
        db,
        [world.police, mall],
        title="Harbour Point retail watch",
        covered=[Category.GENERAL],
        effective_at=now - timedelta(days=1),
        at=now,
    )
    manager = make_person(
        db, mall, "security@harbourmall.example", role=Role.ORG_ADMIN, name="Mall Manager", at=now
    )
    return token_for(db, manager, ("notes:write",), at=now)


def _share(live_server: str, token: str, **note: str) -> str:
    response = httpx.post(
        f"{live_server}/api/v1/notes",
        json={"body": "Seen by the east entrance at 21:05.", **note},
        headers={"authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_partners_note_appears_live_in_the_open_feed(
    page: Page, world: World, db: Database, live_server: str
) -> None:
    token = _mall_token(db, world)
    sign_in(page, world.dispatcher.email)
    page.goto("/feed")
    expect(page.get_by_role("heading", name="Feed", exact=True)).to_be_visible()
    expect(page.get_by_text("Nothing has been shared with you yet.")).to_be_visible()
    expect(page.locator("#live-status")).to_have_text(re.compile("^Live"))

    hidden = _share(live_server, token, title="Staff rota, internal", tlp="amber+strict")
    green = _share(live_server, token, title="Unattended bag at Harbour Point", tlp="green")
    items = page.locator("#feed-items > li")
    item = page.locator(f"#item-{green}")
    expect(item).to_contain_text("Unattended bag at Harbour Point")
    expect(item).to_contain_text("Harbour Point Mall Security")
    expect(item).to_contain_text("TLP:GREEN")
    expect(item).to_contain_text("Seen by the east entrance at 21:05.")
    expect(item).to_contain_text("Why you see this: TLP:GREEN: shared with every vetted member.")
    expect(page.locator("#feed-empty")).to_be_hidden()

    amber = _share(live_server, token, title="Shoplifting suspects, level 2", tlp="amber")
    restricted = page.locator(f"#item-{amber}")
    expect(restricted).to_contain_text('Shared under agreement "Harbour Point retail watch"')
    expect(items.first).to_have_attribute("id", f"item-{amber}")  # newest at the top
    expect(items).to_have_count(2)
    expect(page.locator(f"#item-{hidden}")).to_have_count(0)
    assert hidden not in page.content()

    restricted.get_by_label("Restricted: state why you open it").select_option("investigation")
    restricted.get_by_role("button", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", name=re.compile("Shoplifting suspects"))).to_be_visible()
    expect(page.locator("#note-body")).to_contain_text("Seen by the east entrance at 21:05.")
    expect(page.get_by_text("(recorded in the audit log)")).to_be_visible()
