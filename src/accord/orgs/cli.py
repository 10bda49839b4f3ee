"""`accord org` and `accord user`: the operator's commands for organizations and accounts."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.auth.service import password_policy
from accord.cli import CliContext, fail, pass_cli, print_json
from accord.core.clock import utcnow
from accord.core.pagination import MAX_LIMIT, Page
from accord.orgs import queries, service
from accord.orgs.domain import OrgKind, Role, Sector, VettingState
from accord.orgs.guards import load_person_by_email
from accord.orgs.models import Organization, Person
from accord.orgs.people import create_person, deactivate_person

__all__ = ["org", "user"]

T = TypeVar("T")
ORG_KEYS = ("id", "name", "short_name", "sector", "kind", "vetting_state")
USER_KEYS = (
    "id",
    "email",
    "display_name",
    "org_id",
    "role",
    "active",
    "cji_cleared",
    "mfa_enabled",
)
NO_ORGS = (
    "No organizations yet. Run `accord demo` for a demo world, or "
    "`accord org create NAME --sector SECTOR --kind KIND` to add the first one."
)
NO_USERS = (
    "No accounts yet. Add one with `accord user create EMAIL --name NAME --org ORG --role ROLE`."
)


def _all(fetch: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a paginated list, page after page."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Rows as aligned columns under upper-case headers."""
    cells = [[str(h).upper() for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    for row in cells:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def _find_org(s: Session, ref: str) -> Organization:
    """An organization by id or by name (any case); a one-line error when there is none."""
    org: Organization | None = None
    try:
        org = s.get(Organization, uuid.UUID(ref))
    except ValueError:
        org = s.scalar(select(Organization).where(func.lower(Organization.name) == ref.lower()))
    if org is None:
        fail(f"no organization {ref!r}; `accord org list` shows them")
    assert org is not None  # noqa: S101 - fail() exits; this tells the type checker
    return org


def _choice(enum: type[Any]) -> click.Choice[str]:
    return click.Choice([m.value for m in enum], case_sensitive=False)


@click.group()
def org() -> None:
    """Organizations: list, create and vet them."""


@org.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list with fixed keys.")
@pass_cli
def org_list(cli: CliContext, as_json: bool) -> None:
    """List every organization by name."""
    with cli.db().reading() as s:
        rows = list(
            _all(lambda c: queries.list_organizations(s, actor=None, cursor=c, limit=MAX_LIMIT))
        )
        values = [
            {
                "id": str(o.id),
                "name": o.name,
                "short_name": o.short_name,
                "sector": o.sector.value,
                "kind": o.kind.value,
                "vetting_state": o.vetting_state.value,
            }
            for o in rows
        ]
    if as_json:
        print_json(values)
    elif not values:
        click.echo(NO_ORGS)
    else:
        _table(ORG_KEYS, [[v[k] for k in ORG_KEYS] for v in values])


@org.command("create")
@click.argument("name")
@click.option("--sector", type=_choice(Sector), required=True, help="public, private, …")
@click.option("--kind", type=_choice(OrgKind), required=True, help="police, fire, business, …")
@click.option("--short-name", default="", help="Up to 40 characters; default: the name.")
@pass_cli
def org_create(cli: CliContext, name: str, sector: str, kind: str, short_name: str) -> None:
    """Create an organization; it starts pending vetting."""
    created = service.create_organization(
        cli.db(),
        actor=None,
        at=utcnow(),
        name=name,
        short_name=short_name,
        sector=Sector(sector.lower()),
        kind=OrgKind(kind.lower()),
    )
    click.echo(f"Created {created.name} ({created.id}), pending vetting.")


@org.command("vet")
@click.argument("ref", metavar="ORG_ID_OR_NAME")
@click.argument("state", type=_choice(VettingState))
@click.option("--reason", required=True, help="Why; kept in the audit log.")
@pass_cli
def org_vet(cli: CliContext, ref: str, state: str, reason: str) -> None:
    """Set an organization's vetting state: vetted, suspended or pending."""
    db = cli.db()
    with db.reading() as s:
        target = _find_org(s, ref)
    changed = service.change_vetting(
        db, actor=None, at=utcnow(), org_id=target.id, state=VettingState(state), reason=reason
    )
    click.echo(f"{changed.name} is now {changed.vetting_state.value}.")


@click.group()
def user() -> None:
    """Accounts: list, create and deactivate them."""


def _user_json(p: Person) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "email": p.email,
        "display_name": p.display_name,
        "org_id": str(p.org_id),
        "role": p.role.value,
        "active": p.is_active,
        "cji_cleared": p.cji_cleared,
        "mfa_enabled": p.mfa_enabled,
    }


@user.command("list")
@click.option("--org", "org_ref", metavar="ORG_ID_OR_NAME", help="Only this organization's.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list with fixed keys.")
@pass_cli
def user_list(cli: CliContext, org_ref: str | None, as_json: bool) -> None:
    """List accounts by name, deactivated ones included."""
    with cli.db().reading() as s:
        org_id = _find_org(s, org_ref).id if org_ref else None
        values = [
            _user_json(p)
            for p in _all(
                lambda c: queries.list_people(
                    s, actor=None, org_id=org_id, cursor=c, limit=MAX_LIMIT
                )
            )
        ]
    if as_json:
        print_json(values)
    elif not values:
        click.echo(NO_USERS)
    else:
        _table(USER_KEYS, [[v[k] for k in USER_KEYS] for v in values])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password on; pipe it in with --password-stdin")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@user.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as colleagues know it.")
@click.option("--org", "org_ref", required=True, metavar="ORG_ID_OR_NAME")
@click.option("--role", type=_choice(Role), required=True)
@click.option("--cji", is_flag=True, help="Cleared for criminal-justice information.")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of stdin.")
@pass_cli
def user_create(
    cli: CliContext,
    email: str,
    name: str,
    org_ref: str,
    role: str,
    cji: bool,
    password_stdin: bool,
) -> None:
    """Create an account with a password (asked twice, hidden, unless --password-stdin)."""
    db = cli.db()
    with db.reading() as s:
        target = _find_org(s, org_ref)
    password = _read_password(password_stdin)
    person = create_person(
        db,
        actor=None,
        at=utcnow(),
        email=email,
        display_name=name,
        org_id=target.id,
        role=Role(role.lower()),
        password=password,
        cji_cleared=cji,
        policy=password_policy(cli.settings),
    )
    click.echo(f"Created {person.email} ({person.role.value}) in {target.name}.")


def _confirmed(question: str) -> bool:
    try:
        return click.confirm(question, default=False)
    except click.Abort:  # end of input: no answer is not a yes
        return False


@user.command("deactivate")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_cli
def user_deactivate(cli: CliContext, email: str, yes: bool) -> None:
    """Deactivate an account: it can no longer sign in, and its sessions end now."""
    db = cli.db()
    with db.reading() as s:
        person = load_person_by_email(s, email)
    if not yes and not _confirmed(f"Deactivate {person.display_name} <{person.email}>?"):
        fail("not confirmed; nothing changed (add --yes to skip the question)")
    deactivate_person(db, actor=None, at=utcnow(), person_id=person.id)
    click.echo(f"Deactivated {person.email}; their sessions have ended.")
