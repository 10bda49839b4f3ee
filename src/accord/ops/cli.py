"""`accord serve`, `db`, `config`, `demo` and `seed`: the operator's commands to run Accord."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from alembic.util.exc import CommandError
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from accord.cli import CliContext, fail, pass_cli, print_json
from accord.core.clock import utcnow
from accord.core.logs import configure_logging
from accord.migrations import current_revision, upgrade_database
from accord.ops import demo_folder
from accord.ops.demo import seed_demo, sign_in_rows
from accord.ops.server import (
    ServeOptions,
    check_key_files,
    check_revision,
    ensure_planner_statistics,
    listen_socket,
    listen_url,
    record_settings_change,
    run_server,
    script_revisions,
)
from accord.ops.synthetic import SYNTHETIC_PASSWORD, seed_synthetic
from accord.settings import Settings

__all__ = ["config", "db", "demo", "seed", "serve"]

PORT = click.IntRange(1, 65535)


def _reason(exc: DBAPIError) -> str:
    """The driver's first line, from its last "failed: " on: "connection refused"."""
    lines = str(exc.orig if exc.orig is not None else exc).strip().splitlines() or ["unknown"]
    reason = lines[0].rpartition("failed: ")[2].strip() or lines[0]
    return reason[:1].lower() + reason[1:]


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """An unreachable or unmigrated database as one line and exit code 2, not a traceback."""
    url = settings.shown()["database_url"]
    try:
        yield
    except ProgrammingError as exc:
        fail(f"the database at {url} is not ready ({_reason(exc)}): run `accord db upgrade`")
    except OperationalError as exc:
        reason = _reason(exc)
        if "no such table" in reason:
            fail(f"the database at {url} has no Accord tables yet: run `accord db upgrade`")
        fail(f"cannot reach the database at {url}: {reason}")
    except CommandError as exc:
        fail(f"cannot migrate the database at {url}: {exc}")


def _with_address(settings: Settings, host: str | None, port: int | None) -> Settings:
    changes = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
    return settings.model_copy(update=changes) if changes else settings


def _bind(settings: Settings) -> socket.socket:
    try:
        return listen_socket(settings.host, settings.port)
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        fail(f"cannot listen on {settings.host}:{settings.port}: {reason}")
        raise  # fail() exits; this tells the type checker


def _serve(cli: CliContext, settings: Settings, sock: socket.socket, options: ServeOptions) -> None:
    """Migrate (SQLite) or check (PostgreSQL) the schema, audit settings changes, then serve."""
    # Imported here: the whole web stack, needed only when serving.
    from accord.app import create_app

    with sock:
        with database_errors(settings):
            database = cli.db()
            if database.dialect != "sqlite":
                check_revision(settings)
            check_key_files(database, settings)
            record_settings_change(database, settings, at=utcnow())
            ensure_planner_statistics(database)
        app = create_app(settings, db=database)
        url = listen_url(settings.host, settings.port)
        click.echo(f"Accord is serving at {url} (stop with Ctrl+C)")
        run_server(app, sock, settings, options)


@click.command()
@click.option("--host", help="Address to listen on (ACCORD_HOST; default 127.0.0.1).")
@click.option("--port", type=PORT, help="Port to listen on (ACCORD_PORT; default 8000).")
@click.option(
    "--proxy-headers",
    is_flag=True,
    help="Trust X-Forwarded-For/-Proto from --forwarded-allow-ips: only behind a reverse proxy.",
)
@click.option(
    "--forwarded-allow-ips",
    default="127.0.0.1",
    show_default=True,
    help="Comma-separated addresses of the proxies trusted with --proxy-headers.",
)
@pass_cli
def serve(
    cli: CliContext,
    host: str | None,
    port: int | None,
    proxy_headers: bool,
    forwarded_allow_ips: str,
) -> None:
    """Serve Accord over HTTP, logging JSON lines to stderr.

    An SQLite database is migrated first; a PostgreSQL one must already be at this version's
    schema (run `accord db upgrade`). A change of the effective settings is written to the
    audit log (which keys changed, never their values).
    """
    settings = _with_address(cli.settings, host, port)
    configure_logging(settings.log_level)
    sock = _bind(settings)
    _serve(cli, settings, sock, ServeOptions(proxy_headers, forwarded_allow_ips))


@click.group()
def db() -> None:
    """The database schema: migrate it, or show its revision."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Revision to migrate to.")
@pass_cli
def db_upgrade(cli: CliContext, revision: str) -> None:
    """Migrate the database to the latest schema (or to --revision)."""
    settings = cli.settings
    url = settings.effective_database_url
    with database_errors(settings):
        upgrade_database(url, revision)
        current = current_revision(url)
    click.echo(
        f"The database at {settings.shown()['database_url']} is at revision {current or 'none'}."
    )


@db.command("current")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@pass_cli
def db_current(cli: CliContext, as_json: bool) -> None:
    """Print the database's schema revision ("none" before any `accord db upgrade`)."""
    settings = cli.settings
    url = settings.effective_database_url
    with database_errors(settings):
        current = current_revision(url)
    head, _ = script_revisions(url)
    if as_json:
        print_json({"current": current, "head": head, "up_to_date": current == head})
        return
    click.echo(current or "none")
    if current != head and head is not None:
        click.echo(f"this version's schema is {head}: run `accord db upgrade`", err=True)


@click.group()
def config() -> None:
    """The settings Accord runs with."""


def _toml_value(value: Any) -> str:
    if value is None:
        return "(not set)"
    return json.dumps(value)


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
@click.option("--verbose", "-v", is_flag=True, help="Add each setting's help as a comment.")
@pass_cli
def config_show(cli: CliContext, as_json: bool, verbose: bool) -> None:
    """Print the effective settings (environment, then the ACCORD_CONFIG_FILE), secrets masked."""
    settings = cli.settings
    shown = settings.shown()
    if as_json:
        print_json(shown)
        return
    config_file = os.environ.get("ACCORD_CONFIG_FILE")
    if config_file:
        click.echo(f"# read from ACCORD_* variables and {config_file}")
    width = max(len(name) for name in shown)
    fields = type(settings).model_fields
    for name, value in shown.items():
        if verbose:
            click.echo(f"\n# {fields[name].description} (ACCORD_{name.upper()})")
        click.echo(f"{name.ljust(width)} = {_toml_value(value)}")


def _reset(folder: Path, settings: Settings, yes: bool) -> None:
    if not settings.effective_database_url.startswith("sqlite"):
        fail("--reset wipes the demo's SQLite file; it does not drop a database named by a URL")
    if not yes:
        click.confirm(f"Delete the demo database and keys in {folder}?", abort=True, err=True)
    removed = demo_folder.wipe(folder)
    click.echo(f"Removed {len(removed)} demo file(s) from {folder}.", err=True)


def _print_sign_ins(cli: CliContext, settings: Settings, url: str) -> None:
    rows = [("EMAIL", "ORGANIZATION", "ROLE", "MFA"), *sign_in_rows(cli.db(), settings)]
    w0, w1, w2 = (max(len(row[i]) for row in rows) for i in range(3))
    password = settings.demo_password.get_secret_value()
    click.echo(f"\nOpen {url} and sign in as any of these; every password is: {password}\n")
    for email, org, role, mfa in rows:
        click.echo(f"{email.ljust(w0)}  {org.ljust(w1)}  {role.ljust(w2)}  {mfa}")
    click.echo("")


@click.command()
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=PORT, help="Port to listen on (default 8000).")
@click.option(
    "--data-dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of the demo world. Default: `accord --data-dir`, ACCORD_DATA_DIR, "
    "else a `demo` folder in your user data folder.",
)
@click.option("--reset", is_flag=True, help="Wipe the demo database and keys first.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask before --reset wipes them.")
@click.option("--no-serve", is_flag=True, help="Create or reuse the world, print, and exit.")
@pass_cli
def demo(
    cli: CliContext, host: str | None, port: int | None, folder: Path | None,
    reset: bool, yes: bool, no_serve: bool,
) -> None:  # fmt: skip
    """Run the Port City demo world, with ready-made sign-ins.

    Fictional partners at real coordinates in California's Central Valley (37.95 N, 121.29 W).
    The world is created the first time and reused afterwards; --reset starts it afresh.
    """
    cli.data_dir = demo_folder.demo_folder(folder or cli.data_dir)
    settings = _with_address(cli.settings, host, port)
    if reset:
        _reset(cli.data_dir, settings, yes)
    if not no_serve:
        configure_logging(settings.log_level)
    sock = None if no_serve else _bind(settings)
    with database_errors(settings):
        created = seed_demo(cli.db(), settings, now=utcnow())
        demo_folder.mark(cli.data_dir)
        what = "Created" if created else "Reusing"
        click.echo(f"{what} the demo world in {cli.data_dir}")
        _print_sign_ins(cli, settings, listen_url(settings.host, settings.port))
    if sock is not None:
        _serve(cli, settings, sock, ServeOptions())


@contextmanager
def _progress_bar(length: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, shown from the first rows on: an early error stays one line."""
    bar: Any = None

    def advance(count: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=length, label="Seeding", file=sys.stderr)
            bar.__enter__()
        bar.update(count)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@click.command()
@click.option(
    "--orgs",
    type=click.IntRange(1, 1_000_000),
    default=100,
    show_default=True,
    help="Organizations to add, of every sector and kind.",
)
@click.option(
    "--people",
    type=click.IntRange(0, 10_000_000),
    default=1_000,
    show_default=True,
    help="People to spread across them, in every role.",
)
@click.option(
    "--agreements",
    type=click.IntRange(0, 1_000_000),
    default=0,
    show_default=True,
    help="Agreements in force or not (suspended, terminated, expired) between vetted ones.",
)
@click.option(
    "--records",
    type=click.IntRange(0, 100_000_000),
    default=0,
    show_default=True,
    help="Shared records (notes) of every TLP marking, over the year before now.",
)
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=1,
    show_default=True,
    help="Random seed: the same seed gives the same world.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@pass_cli
def seed(
    cli: CliContext, orgs: int, people: int, agreements: int, records: int, seed_value: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Add a large synthetic world for benchmarks, deterministic by --seed.

    Organizations of every sector and kind get service areas scattered over the county
    around Port City; people in every role are spread across them. With --agreements and
    --records, the sharing world too: agreements between vetted organizations (their enforced
    terms: parties, categories, purposes, TLP ceiling, some with an area) and shared records
    of every marking with their recipients and places, timed relative to now. One audit entry
    records the whole seed (counts and seed value), not one per row.

    \b
    Every synthetic account's password is: synthetic-world-password
    ONE argon2id hash of it is computed once and reused for every row, so seeding is fast.
    """
    settings = cli.settings
    total = orgs + people + agreements + records
    with database_errors(settings), _progress_bar(total) as progress:
        result = seed_synthetic(
            cli.db(), organizations=orgs, people=people, seed=seed_value, at=utcnow(),
            agreements=agreements, records=records, progress=progress,
        )  # fmt: skip
    if as_json:
        print_json({**vars(result), "password": SYNTHETIC_PASSWORD})
        return
    counts = [f"{result.organizations:,} organizations", f"{result.people:,} people"]
    if agreements or records:
        counts += [f"{result.agreements:,} agreements", f"{result.records:,} shared records"]
    listed = ", ".join(counts[:-1]) + " and " + counts[-1]
    click.echo(f"Seeded {listed} (seed {result.seed}) in {result.elapsed_seconds:.1f} s.")
