"""A fresh world per engine, built and populated with the real `accord` CLI, then torn down."""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text

__all__ = [
    "LOOPBACK_HOSTS",
    "BenchError",
    "Person",
    "Viewer",
    "World",
    "accord_executable",
    "build_world",
    "check_loopback",
    "create_admin",
    "create_tokens",
    "fresh_world",
    "pick_members",
    "postgres_version",
    "run_cli",
    "sample_people",
    "uuid_text",
]

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})
CLI_TIMEOUT_S = 1800  # seeding 100,000 people on a busy machine takes a few minutes at most
ADMIN_EMAIL = "bench-admin@bench.accord.example"
SCOPES = ("orgs:read", "people:read")


class BenchError(Exception):
    """The benchmark cannot go on: a command failed, or the server did not come up."""


def accord_executable() -> str:
    """The `accord` script of this interpreter (no pyenv shim in between), else the one on PATH."""
    beside = Path(sys.executable).parent / "accord"
    if beside.is_file():
        return str(beside)
    found = shutil.which("accord")
    if found is None:
        raise BenchError("no `accord` command: install Accord first (pip install -e .)")
    return str(Path(found).resolve())


def check_loopback(url: str) -> str:
    """`url` itself, if its host is the loopback interface; benchmarks send nothing elsewhere."""
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise BenchError(f"{url!r} is not on loopback; benchmarks only talk to 127.0.0.1")
    return url


def _tail(text_: str, lines: int = 15) -> str:
    return "\n".join(text_.strip().splitlines()[-lines:])


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `accord ARGS` in `env` and return its stdout; a failure is a BenchError with stderr."""
    command = [accord_executable(), *args]
    done = subprocess.run(
        command,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
    )
    if done.returncode != 0:
        raise BenchError(
            f"`accord {' '.join(args)}` exited {done.returncode}:\n{_tail(done.stderr)}"
        )
    return done.stdout


def _cli_json(env: dict[str, str], *args: str, stdin: str | None = None) -> Any:
    return json.loads(run_cli(env, *args, stdin=stdin))


@dataclass
class World:
    """One engine's world: the environment its CLI and server run in, and what building took."""

    engine: str
    env: dict[str, str]
    read_url: str  # SQLAlchemy URL of the same database, opened read-only
    temp: Path
    timings: dict[str, float] = field(default_factory=dict)
    seeded: dict[str, Any] = field(default_factory=dict)


def _base_environment(data_dir: Path) -> dict[str, str]:
    """This process's environment without any ACCORD_* setting, so only ours apply."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_DATA_DIR"] = str(data_dir)
    return env


def _sqlalchemy_url(libpq_url: str, schema: str, *, read_only: bool) -> str:
    options = f"-csearch_path={schema}"
    if read_only:
        options += " -cdefault_transaction_read_only=on"
    base = libpq_url.replace("postgresql://", "postgresql+psycopg://", 1)
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}options={quote(options, safe='')}"


@contextmanager
def fresh_world(engine: str, temp: Path, postgres_url: str) -> Iterator[World]:
    """An empty world for `engine` in `temp`; a PostgreSQL schema is dropped at the end, always."""
    data_dir = temp / "data"
    data_dir.mkdir(parents=True)
    env = _base_environment(data_dir)
    if engine == "sqlite":
        database = data_dir / "accord.db"
        yield World(engine, env, f"sqlite:///file:{database}?mode=ro&uri=true", temp)
        return
    schema = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(check_loopback(postgres_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    try:
        env["ACCORD_DATABASE_URL"] = _sqlalchemy_url(postgres_url, schema, read_only=False)
        read_url = _sqlalchemy_url(postgres_url, schema, read_only=True)
        yield World(engine, env, read_url, temp)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def postgres_version(postgres_url: str) -> str:
    with psycopg.connect(check_loopback(postgres_url), autocommit=True) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "unknown"


def build_world(world: World, *, orgs: int, people: int, seed: int) -> None:
    """Migrate, then `accord seed`; the wall-clock time of each goes into `world.timings`."""
    started = time.perf_counter()
    run_cli(world.env, "db", "upgrade")
    migrated = time.perf_counter()
    args = ("seed", "--orgs", str(orgs), "--people", str(people), "--seed", str(seed), "--json")
    world.seeded = _cli_json(world.env, *args)
    seeded = time.perf_counter()
    world.timings["migrate_seconds"] = round(migrated - started, 3)
    world.timings["seed_seconds"] = round(seeded - migrated, 3)
    world.timings["build_seconds"] = round(seeded - started, 3)


@dataclass(frozen=True)
class Person:
    """An existing account, as the benchmark reads it straight from the database."""

    email: str
    role: str
    org_id: str
    org_vetted: bool
    org_active_people: int


@dataclass(frozen=True)
class Viewer:
    """Someone the benchmark asks as: their API token and what their answers should hold."""

    email: str
    role: str
    org_id: str
    org_active_people: int
    token: str


def uuid_text(value: Any) -> str:
    """A UUID as the API writes it, from either engine's storage (SQLite keeps 32 hex digits)."""
    raw = str(value).replace("-", "")
    return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"


def sample_people(world: World, count: int, rng: random.Random) -> list[Person]:
    """`count` people drawn at random (by `rng`, the same on every engine), read-only."""
    engine = create_engine(world.read_url)
    try:
        with engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT p.email, p.role, p.org_id, p.is_active, o.vetting_state"
                    " FROM people p JOIN organizations o ON o.id = p.org_id"
                )
            )
            rows = list(found)
    finally:
        engine.dispose()
    # Sorted here, not by the database: collations differ between engines.
    rows.sort(key=lambda r: r.email)
    active = Counter(uuid_text(r.org_id) for r in rows if r.is_active)
    chosen = rng.sample(rows, min(count, len(rows)))
    return [
        Person(
            email=r.email,
            role=r.role,
            org_id=uuid_text(r.org_id),
            org_vetted=r.vetting_state == "vetted",
            org_active_people=active[uuid_text(r.org_id)],
        )
        for r in chosen
    ]


def pick_members(people: Sequence[Person], count: int) -> list[Person]:
    """Up to `count` people of vetted organizations, each role in turn, organizations varied."""
    by_role: dict[str, list[Person]] = {}
    for person in people:
        if person.org_vetted:
            by_role.setdefault(person.role, []).append(person)
    picked: list[Person] = []
    orgs: set[str] = set()
    for _ in range(count):  # bounded: at most `count` rounds
        for role in sorted(by_role):
            waiting = by_role[role]
            if waiting and len(picked) < count:
                # Someone of an organization not picked yet, if there is one: more variety.
                index = next((i for i, p in enumerate(waiting) if p.org_id not in orgs), 0)
                picked.append(waiting.pop(index))
                orgs.add(picked[-1].org_id)
        if len(picked) >= count or not any(by_role.values()):
            break
    return picked


def _token(world: World, email: str) -> str:
    args = ["token", "create", email, "--name", "bench", "--json"]
    for scope in SCOPES:
        args += ["--scope", scope]
    created = _cli_json(world.env, *args)
    return str(created["token"])


def create_admin(world: World) -> Viewer:
    """A platform admin in the first vetted organization (by name), with a read token."""
    orgs = _cli_json(world.env, "org", "list", "--json")
    home = next((o for o in orgs if o["vetting_state"] == "vetted"), None)
    if home is None:
        raise BenchError("the seeded world has no vetted organization to place the admin in")
    password = secrets.token_urlsafe(24)
    run_cli(
        world.env,
        "user", "create", ADMIN_EMAIL, "--name", "Benchmark Admin", "--org", home["id"],
        "--role", "platform_admin", "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip
    return Viewer(ADMIN_EMAIL, "platform_admin", home["id"], 0, _token(world, ADMIN_EMAIL))


def create_tokens(world: World, members: Sequence[Person]) -> list[Viewer]:
    """A read token for each member, made with `accord token create`."""
    return [
        Viewer(m.email, m.role, m.org_id, m.org_active_people, _token(world, m.email))
        for m in members
    ]
