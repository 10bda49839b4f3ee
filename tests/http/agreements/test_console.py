"""The agreement pages of the console: drafting, signing, ending, versions, accountability."""

from __future__ import annotations

import re
from datetime import timedelta

from starlette.testclient import TestClient
from tests.agreements_factories import code_for, enrol_mfa, make_agreement, standard_terms
from tests.conftest import MutableClock
from tests.http.agreements.conftest import HTML, SignIn, csrf_of
from tests.integration.agreements.conftest import World, read, share

from accord.core.db import Database
from accord.settings import Settings
from accord.sharing.domain import Purpose, Tlp


def _form(world: World, csrf: str, clock: MutableClock, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf,
        "kind": "information_sharing",
        "title": "Harbour district information sharing",
        "parties": [str(world.police.id), str(world.guards.id)],
        "covered": ["general", "personal_data"],
        "sensitive": ["personal_data"],
        "purposes": ["investigation"],
        "tlp_ceiling": "amber",
        "effective_at": (clock() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "expires_at": (clock() + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M"),
        "retention_days": "90",
        "liability_notes": "Each party answers for its own staff.",
        "role-theft-lead": str(world.police.id),
        "role-theft-supports": [str(world.guards.id)],
    }
    form.update(changes)
    return form


def _digest(html: str) -> str:
    found = re.search(r'name="digest" value="([0-9a-f]{64})"', html)
    assert found, "no signing form on the page"
    return found.group(1)


def test_the_list_says_what_to_do_when_there_is_nothing_yet(
    client: TestClient, world: World, sign_in: SignIn
) -> None:
    sign_in(world.police_admin)
    page = client.get("/agreements", headers=HTML)
    assert page.status_code == 200
    assert "No agreements yet." in page.text
    assert 'href="/agreements/new"' in page.text
    sign_in(world.officer)
    page = client.get("/agreements", headers=HTML).text
    assert "administrator drafts agreements" in page
    assert 'href="/agreements/new"' not in page
    assert client.get("/agreements/new", headers=HTML).status_code == 403


def test_the_coordinator_drafts_both_admins_sign_and_the_police_terminate(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
    sign_in: SignIn,
) -> None:
    csrf = sign_in(world.coordinator)
    form = client.get("/agreements/new", headers=HTML)
    assert "Delta Guard Services" in form.text
    assert (
        "Bayside Alarm Monitoring" not in form.text.split('id="parties"')[1].split("</select>")[0]
    )
    created = client.post("/agreements/new", data=_form(world, csrf, clock), headers=HTML)
    assert created.status_code == 303, created.text
    url = created.headers["location"].split("?")[0]
    page = client.get(created.headers["location"], headers=HTML).text
    assert "The draft was saved." in page
    assert 'class="badge badge-draft"' in page
    assert "Theft" in page
    proposed = client.post(f"{url}/propose", data={"csrf_token": csrf}, headers=HTML)
    assert proposed.status_code == 303

    note = share(db, world.officer, Tlp.AMBER, at=clock())
    secrets = {}
    for admin in (world.police_admin, world.guards_admin):
        csrf = sign_in(admin)
        page = client.get(url, headers=HTML).text
        secret = secrets[admin.id] = enrol_mfa(db, settings, admin, clock())
        signed = client.post(
            f"{url}/sign",
            data={
                "csrf_token": csrf,
                "digest": _digest(page),
                "version": "1",
                "totp": code_for(secret, clock()),
            },
            headers=HTML,
        )
        assert signed.status_code == 303, signed.text
    page = client.get(signed.headers["location"], headers=HTML).text
    assert "the terms are in force" in page
    assert 'class="badge badge-active"' in page
    assert read(db, world.guard, note, clock(), Purpose.INVESTIGATION)

    clock.advance(seconds=30)  # the code that signed cannot sign in again (RFC 6238 §5.2)
    csrf = sign_in(world.police_admin, secrets[world.police_admin.id])
    blank = client.post(f"{url}/terminate", data={"csrf_token": csrf, "reason": ""}, headers=HTML)
    assert blank.status_code == 422
    assert "Reason: say why" in blank.text
    ended = client.post(
        f"{url}/terminate",
        data={"csrf_token": csrf, "reason": "The guard company lost its licence."},
        headers=HTML,
    )
    assert ended.status_code == 303
    page = client.get(url, headers=HTML).text
    assert "The guard company lost its licence." in page
    assert 'class="badge badge-terminated"' in page


def test_refused_terms_come_back_with_the_term_named(
    client: TestClient, clock: MutableClock, world: World, sign_in: SignIn
) -> None:
    csrf = sign_in(world.coordinator)
    form = _form(
        world, csrf, clock, expires_at=(clock() - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    )
    refused = client.post("/agreements/new", data=form, headers=HTML)
    assert refused.status_code == 422
    assert "Expires: must be after the effective instant." in refused.text
    assert 'value="Harbour district information sharing"' in refused.text  # kept as typed
    unvetted = client.post(
        "/agreements/new",
        data=_form(world, csrf, clock, parties=[str(world.pending.id)]),
        headers=HTML,
    )
    assert unvetted.status_code == 422
    assert "Parties: Bayside Alarm Monitoring is not a vetted organization." in unvetted.text


def test_forms_without_the_csrf_token_are_refused(
    client: TestClient,
    db: Database,
    settings: Settings,
    clock: MutableClock,
    world: World,
    sign_in: SignIn,
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    sign_in(world.police_admin)
    assert (
        client.post("/agreements/new", data=_form(world, "", clock), headers=HTML).status_code
        == 403
    )
    stop = client.post(f"/agreements/{agreement_id}/terminate", data={"reason": "x"}, headers=HTML)
    assert stop.status_code == 403
    assert (
        'class="badge badge-active"' in client.get(f"/agreements/{agreement_id}", headers=HTML).text
    )


def test_an_outsider_gets_not_found_pages(
    client: TestClient, db: Database, settings: Settings, world: World, sign_in: SignIn
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    csrf = sign_in(world.stranger)
    for path in ("", "/edit", "/versions/1", "/diff", "/accountability"):
        assert client.get(f"/agreements/{agreement_id}{path}", headers=HTML).status_code == 404
    ended = client.post(
        f"/agreements/{agreement_id}/terminate",
        data={"csrf_token": csrf, "reason": "x"},
        headers=HTML,
    )
    assert ended.status_code == 404
    assert "Harbour" not in client.get("/agreements", headers=HTML).text


def test_party_admins_see_expiry_warnings_on_the_agreements_pages(
    client: TestClient,
    db: Database,
    settings: Settings,
    world: World,
    sign_in: SignIn,
    clock: MutableClock,
) -> None:
    terms = standard_terms(expires_at=clock() + timedelta(days=5))
    agreement_id = make_agreement(
        db, settings, parties=[world.police, world.guards], terms=terms, title="Short patrol pact"
    )
    sign_in(world.guards_admin)
    listed = client.get("/agreements", headers=HTML).text
    assert 'data-expiry-days="7"' in listed
    assert "“Short patrol pact” expires in 5 days" in listed
    assert 'data-expiry-days="7"' in client.get(f"/agreements/{agreement_id}", headers=HTML).text
    sign_in(world.guard)
    assert "data-expiry-days" not in client.get("/agreements", headers=HTML).text
    clock.advance(days=4, hours=12)
    sign_in(world.police_admin)
    assert 'data-expiry-days="1"' in client.get("/agreements", headers=HTML).text


def test_an_amendment_is_edited_proposed_and_compared_in_the_console(
    client: TestClient,
    db: Database,
    settings: Settings,
    world: World,
    sign_in: SignIn,
    clock: MutableClock,
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    url = f"/agreements/{agreement_id}"
    csrf = sign_in(world.police_admin)
    amended = client.post(f"{url}/amend", data={"csrf_token": csrf}, headers=HTML)
    assert amended.status_code == 303
    assert amended.headers["location"].startswith(f"{url}/edit")
    edit = client.get(amended.headers["location"], headers=HTML).text
    assert "Edit version 2" in edit
    form = _form(
        world, csrf, clock, purposes=["investigation", "event_security"], title="Harbour pact"
    )
    saved = client.post(f"{url}/edit", data=form, headers=HTML)
    assert saved.status_code == 303, saved.text
    page = client.get(url, headers=HTML).text
    assert "Version 2: draft amendment" in page
    assert "Permitted purposes: + Event security" in page
    diff = client.get(f"{url}/diff?from=1&to=2", headers=HTML).text
    assert "Title: Port City retail information sharing → Harbour pact" in diff
    version = client.get(f"{url}/versions/1", headers=HTML)
    assert version.status_code == 200
    assert "Crime prevention" in version.text


def test_the_accountability_page_counts_and_links_its_csv(
    client: TestClient,
    db: Database,
    settings: Settings,
    world: World,
    sign_in: SignIn,
    clock: MutableClock,
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards], at=clock())
    note = share(db, world.officer, Tlp.AMBER, at=clock())
    read(db, world.guard, note, clock(), Purpose.INVESTIGATION)
    sign_in(world.police_admin)
    page = client.get(f"/agreements/{agreement_id}/accountability", headers=HTML)
    assert page.status_code == 200
    assert re.search(r'id="shared-total">1<', page.text)
    assert re.search(r'id="reads-total">1<', page.text)
    assert f"/api/v1/agreements/{agreement_id}/accountability.csv" in page.text
    csv = client.get(f"/api/v1/agreements/{agreement_id}/accountability.csv")
    assert "restricted_reads_by_purpose" in csv.text
    sign_in(world.officer)
    assert client.get(f"/agreements/{agreement_id}/accountability", headers=HTML).status_code == 403


def test_a_signed_document_is_filed_from_the_console(
    client: TestClient, db: Database, settings: Settings, world: World, sign_in: SignIn
) -> None:
    agreement_id = make_agreement(db, settings, parties=[world.police, world.guards])
    csrf = sign_in(world.guards_admin)
    filed = client.post(
        f"/agreements/{agreement_id}/document",
        data={"csrf_token": csrf, "version": "1"},
        files={"document": ("signed.pdf", b"%PDF-1.5\n%%EOF\n", "application/pdf")},
        headers=HTML,
    )
    assert filed.status_code == 303, filed.text
    page = client.get(f"/agreements/{agreement_id}", headers=HTML).text
    assert "signed.pdf" in page
    assert csrf_of(page)
