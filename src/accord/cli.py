"""The root `accord` command; each feature adds its own sub-commands from its cli module."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from pydantic import ValidationError

from accord import __version__
from accord.core.db import Database
from accord.core.errors import AccordError
from accord.settings import Settings, load_settings

__all__ = ["CliContext", "fail", "main", "pass_cli", "print_json", "root"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class CliContext:
    """What every command needs: the settings, and a database opened on first use."""

    data_dir: Path | None
    _settings: Settings | None = None
    _db: Database | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(data_dir=self.data_dir)
            except ValidationError as exc:
                errors = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
                )
                fail(f"invalid settings: {errors}")
        return self._settings

    def db(self, *, upgrade: bool = True) -> Database:
        """The database of these settings; an SQLite file is created and migrated on first use."""
        if self._db is None:
            from accord.migrations import upgrade_database

            settings = self.settings
            if upgrade and settings.effective_database_url.startswith("sqlite"):
                upgrade_database(settings.effective_database_url)
            self._db = Database(
                settings.effective_database_url, audit_key_path=settings.effective_audit_key_path
            )
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.dispose()


pass_cli = click.make_pass_decorator(CliContext)


def fail(message: str) -> NoReturn:
    """One clear line on stderr and exit code 2: a usage or input error."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def print_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn our domain errors into the CLI's one-line message and exit code 2."""
    try:
        yield
    except AccordError as exc:
        fail(exc.detail)


class AccordGroup(click.Group):
    """Runs commands with domain errors mapped to exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        with domain_errors():
            return super().invoke(ctx)


@click.group(cls=AccordGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="accord")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ACCORD_DATA_DIR",
    help="Folder holding the database file, keys and uploads (ACCORD_DATA_DIR).",
)
@click.pass_context
def root(ctx: click.Context, data_dir: Path | None) -> None:
    """Accord: public safety and private security partners working together under agreements."""
    cli = CliContext(data_dir=data_dir)
    ctx.obj = cli
    ctx.call_on_close(cli.close)


def _register() -> None:
    from accord.audit.cli import audit
    from accord.auth.cli import register as register_auth
    from accord.ops.cli import config, db, demo, seed, serve
    from accord.orgs.cli import org, user

    for command in (audit, config, db, demo, org, seed, serve, user):
        root.add_command(command)
    register_auth(root)


def main() -> None:
    _register()
    root(prog_name="accord")
