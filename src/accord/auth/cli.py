"""CLI: `accord token create|revoke|list`, and `accord user reset-mfa|unlock`."""

from __future__ import annotations

import uuid
from datetime import timedelta

import click
from sqlalchemy import select

from accord.auth import service, tokens
from accord.auth.domain import SCOPE_FEATURES
from accord.cli import CliContext, fail, pass_cli, print_json
from accord.core.clock import utcnow
from accord.orgs.models import Person

__all__ = ["register", "token"]


def _person_by_email(cli: CliContext, email: str) -> Person:
    with cli.db().reading() as s:
        person = s.scalar(select(Person).where(Person.email == email.strip().lower()))
    if person is None:
        fail(f"no account with the e-mail address {email}")
    return person


@click.group()
def token() -> None:
    """API tokens for machines: create (shown once), list, revoke."""


@token.command("create")
@click.argument("email")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help=f"FEATURE:read or FEATURE:write; repeatable. Features: {', '.join(SCOPE_FEATURES)}.",
)
@click.option("--name", default="cli", show_default=True, help="What the token is for.")
@click.option(
    "--expires",
    "days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Days until the token expires.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
def create(
    cli: CliContext, email: str, scopes: tuple[str, ...], name: str, days: int, as_json: bool
) -> None:
    """Create a token for the account EMAIL and print it once."""
    person = _person_by_email(cli, email)
    at = utcnow()
    secret, row = tokens.create_api_token(
        cli.db(),
        actor=None,
        person_id=person.id,
        name=name,
        scopes=list(scopes),
        expires_at=at + timedelta(days=days),
        at=at,
    )
    if as_json:
        print_json(
            {
                "id": str(row.id),
                "token": secret,
                "scopes": row.scopes,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None,
            }
        )
        return
    click.echo(secret)
    click.echo(
        f"token {row.id} for {person.email}, scopes {' '.join(row.scopes)}, "
        f"expires {row.expires_at:%Y-%m-%d}. It is shown only now.",
        err=True,
    )


@token.command("list")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
def list_(cli: CliContext, email: str, as_json: bool) -> None:
    """List the tokens of the account EMAIL (never their secrets)."""
    person = _person_by_email(cli, email)
    with cli.db().reading() as s:
        rows = tokens.list_api_tokens(s, person.id)
    items = [
        {
            "id": str(t.id),
            "name": t.name,
            "prefix": t.prefix,
            "scopes": t.scopes,
            "created_at": t.created_at.isoformat(),
            "expires_at": t.expires_at.isoformat() if t.expires_at else None,
            "revoked": t.revoked_at is not None,
        }
        for t in rows
    ]
    if as_json:
        print_json(items)
        return
    if not items:
        click.echo(f"{person.email} has no tokens. Create one with `accord token create`.")
    for t in rows:
        state = (
            "revoked"
            if t.revoked_at
            else f"expires {t.expires_at:%Y-%m-%d}"
            if t.expires_at
            else "no expiry"
        )
        click.echo(f"{t.id}  {t.prefix}…  {' '.join(t.scopes)}  {state}")


@token.command("revoke")
@click.argument("token_id")
@pass_cli
def revoke(cli: CliContext, token_id: str) -> None:
    """Revoke the token TOKEN_ID; its next use is refused."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        fail(f"{token_id!r} is not a token id (a UUID, as `accord token list` shows)")
    row = tokens.revoke_api_token(cli.db(), actor=None, token_id=parsed, at=utcnow())
    click.echo(f"revoked token {row.id}")


@click.command("reset-mfa")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_cli
def reset_mfa(cli: CliContext, email: str, yes: bool) -> None:
    """Clear the authenticator of EMAIL (lost phone); they enrol again at next sign-in."""
    person = _person_by_email(cli, email)
    if not yes:
        click.confirm(f"Clear the authenticator of {person.email}?", abort=True)
    service.reset_mfa(cli.db(), actor=None, person_id=person.id, at=utcnow())
    click.echo(f"MFA cleared for {person.email}; every session ended")


@click.command("unlock")
@click.argument("email")
@pass_cli
def unlock(cli: CliContext, email: str) -> None:
    """Release the account EMAIL after a lockout."""
    person = _person_by_email(cli, email)
    service.release_lock(cli.db(), actor=None, person_id=person.id, at=utcnow())
    click.echo(f"released {person.email}")


def register(root: click.Group) -> None:
    """Add `token` to the root, and the auth sub-commands to `accord user`."""
    root.add_command(token)
    user = root.commands.get("user")
    if isinstance(user, click.Group):
        user.add_command(reset_mfa)
        user.add_command(unlock)
