"""The operator commands' contract: help everywhere, exit 0 or 2 with one line, secrets masked."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from sqlalchemy import func, select
from tests.integration.ops.conftest import FreshDatabase, Invoke

from accord.core.db import Database
from accord.ops import demo_folder
from accord.ops.demo import DEMO_DISPATCHER_EMAIL, DEMO_PEOPLE
from accord.orgs.models import Person

UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"
COMMANDS = [
    ("serve",),
    ("db",),
    ("db", "upgrade"),
    ("db", "current"),
    ("config",),
    ("config", "show"),
    ("demo",),
    ("seed",),
]


def _one_line_error(output: str) -> str:
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(invoke: Invoke, command: tuple[str, ...]) -> None:
    result = invoke(*command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output


def test_seed_help_states_the_shared_password_hash(invoke: Invoke) -> None:
    text = " ".join(invoke("seed", "--help").output.split())
    assert "synthetic-world-password" in text
    assert "ONE argon2id hash of it is computed once" in text


@pytest.mark.parametrize(
    "args",
    [
        ("seed", "--orgs", "0"),
        ("seed", "--people", "many"),
        ("serve", "--port", "70000"),
        ("demo", "--port", "0"),
        ("db", "sideways"),
    ],
)
def test_usage_errors_exit_2(invoke: Invoke, args: tuple[str, ...]) -> None:
    assert invoke(*args).exit_code == 2


@pytest.mark.parametrize(
    "args",
    [
        ("db", "current"),
        ("db", "upgrade"),
        ("seed", "--orgs", "1", "--people", "1"),
        ("demo", "--no-serve"),
        ("serve", "--port", "0"),
    ],
)
def test_an_unreachable_database_is_one_line_and_exit_2(
    invoke: Invoke, args: tuple[str, ...], tmp_path: Path, free_port: int
) -> None:
    args = tuple(str(free_port) if a == "0" else a for a in args)
    env = {"ACCORD_DATABASE_URL": UNREACHABLE, "ACCORD_DATA_DIR": str(tmp_path)}
    result = invoke(*args, env=env)
    assert result.exit_code == 2
    line = _one_line_error(result.stderr)
    assert line == f"error: cannot reach the database at {UNREACHABLE}: connection refused"


def test_a_busy_port_is_one_line_and_exit_2(invoke: Invoke, tmp_path: Path, free_port: int) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port))
        taken.listen()
        result = invoke("serve", "--port", str(free_port), env={"ACCORD_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    line = _one_line_error(result.stderr)
    assert line == f"error: cannot listen on 127.0.0.1:{free_port}: address already in use"


def test_config_show_masks_secrets(invoke: Invoke, tmp_path: Path) -> None:
    env = {
        "ACCORD_DATA_DIR": str(tmp_path),
        "ACCORD_DEMO_PASSWORD": "lantern-harbour-secret-77",
        "ACCORD_DATABASE_URL": "postgresql+psycopg://accord:hunter2-db-secret@db.example/accord",
    }
    human = invoke("config", "show", env=env)
    verbose = invoke("config", "show", "--verbose", env=env)
    as_json = invoke("config", "show", "--json", env=env)
    for result in (human, verbose, as_json):
        assert result.exit_code == 0
        assert "lantern-harbour-secret-77" not in result.output
        assert "hunter2-db-secret" not in result.output
    shown = json.loads(as_json.stdout)
    assert shown["demo_password"] == "**********"
    assert shown["database_url"] == "postgresql+psycopg://accord:**********@db.example/accord"
    assert 'demo_password           = "**********"' in human.stdout
    assert "# Port `accord serve` uses. (ACCORD_PORT)" in verbose.stdout


def test_db_upgrade_then_current_prints_the_head(
    invoke: Invoke, fresh_database: FreshDatabase
) -> None:
    before = invoke("db", "current", env=fresh_database.env)
    assert (before.exit_code, before.stdout.strip()) == (0, "none")
    assert invoke("db", "upgrade", env=fresh_database.env).exit_code == 0
    after = invoke("db", "current", "--json", env=fresh_database.env)
    state = json.loads(after.stdout)
    assert state["current"] is not None
    assert state["up_to_date"] is True


def test_seed_command_adds_the_world_and_refuses_the_same_seed_again(
    invoke: Invoke, fresh_database: FreshDatabase
) -> None:
    env = fresh_database.env
    assert invoke("db", "upgrade", env=env).exit_code == 0
    result = invoke("seed", "--orgs", "24", "--people", "300", "--seed", "5", "--json", env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["organizations"], summary["people"], summary["seed"]) == (24, 300, 5)
    database = Database(fresh_database.url)
    try:
        with database.reading() as s:
            assert s.scalar(select(func.count()).select_from(Person)) == 300
    finally:
        database.dispose()
    again = invoke("seed", "--orgs", "24", "--people", "300", "--seed", "5", env=env)
    assert again.exit_code == 2
    assert "seed 5" in _one_line_error(again.stderr)


def test_serve_refuses_a_postgresql_database_behind_the_code(
    invoke: Invoke, fresh_postgres: FreshDatabase, free_port: int
) -> None:
    result = invoke("serve", "--port", str(free_port), env=fresh_postgres.env)
    assert result.exit_code == 2
    assert "run `accord db upgrade`" in _one_line_error(result.stderr)


def test_demo_creates_then_reuses_then_resets_its_world(invoke: Invoke, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    env = {"ACCORD_DEMO_PASSWORD": "harbour-lights-demo-42"}
    first = invoke("demo", "--data-dir", str(folder), "--no-serve", env=env)
    assert first.exit_code == 0, first.output
    assert "Created the demo world" in first.stdout
    assert "harbour-lights-demo-42" in first.stdout
    assert all(p.email in first.stdout for p in DEMO_PEOPLE)
    dispatcher = next(line for line in first.stdout.splitlines() if DEMO_DISPATCHER_EMAIL in line)
    assert dispatcher.rstrip().endswith("password only")
    assert (folder / demo_folder.MARKER).exists()
    again = invoke("--data-dir", str(folder), "demo", "--no-serve", env=env)
    assert "Reusing the demo world" in again.stdout
    reset = invoke("demo", "--data-dir", str(folder), "--reset", "--no-serve", env=env, stdin="y\n")
    assert reset.exit_code == 0, reset.output
    assert "Created the demo world" in reset.stdout


def test_demo_will_not_wipe_or_mix_with_a_real_database(invoke: Invoke, tmp_path: Path) -> None:
    env = {"ACCORD_DATA_DIR": str(tmp_path)}
    assert invoke("seed", "--orgs", "2", "--people", "2", env=env).exit_code == 0
    wipe = invoke("demo", "--reset", "--yes", "--no-serve", env=env)
    assert wipe.exit_code == 2
    assert "refusing to wipe it" in _one_line_error(wipe.stderr)
    mix = invoke("demo", "--no-serve", env=env)
    assert mix.exit_code == 2
    assert "not the demo world" in _one_line_error(mix.stderr)
    assert (tmp_path / "accord.db").exists()


def test_the_demo_folder_defaults_to_the_user_data_folder() -> None:
    assert demo_folder.demo_folder(None).name == "demo"
    assert demo_folder.demo_folder(Path("/srv/x")) == Path("/srv/x")
