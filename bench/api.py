"""The API baseline: latency of the directory, people and audit routes over real HTTP.

    python bench/api.py [--engine sqlite|postgresql|both] [--orgs N] [--people M]
                        [--requests R] [--json-out FILE]

For each engine: a fresh world built with `accord db upgrade` and `accord seed`, a platform
admin and members with API tokens made with `accord user create` and `accord token create`,
then `accord serve` on a free loopback port, asked sequentially over one kept-alive
connection. One JSON document goes to stdout, a short table to stderr. docs/benchmarks.md
explains each figure and holds the latest ones.
"""

from __future__ import annotations

import argparse
import json
import random
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

if __package__ in (None, ""):
    # Run as `python bench/api.py`: import the `bench` package from the repository root,
    # and keep bench/ itself off the path so no module here can shadow another.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
import psycopg

from bench.machine import describe_machine, load_average
from bench.probe import (
    Call,
    Measurement,
    Source,
    deep_walk,
    measure,
    page_problems,
    read_access_log,
    repeat,
)
from bench.server import running_server
from bench.stats import percentile, positive_int, ratio, summarize, text_table
from bench.world import (
    BenchError,
    Viewer,
    World,
    build_world,
    check_loopback,
    create_admin,
    create_tokens,
    fresh_world,
    pick_members,
    postgres_version,
    sample_people,
)

__all__ = ["ENDPOINTS", "Context", "Endpoint", "main", "percentile", "ratio", "summarize"]

ENGINES = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
ORGS = "/api/v1/orgs"
PEOPLE = "/api/v1/people"
TREE_HEAD = "/api/v1/audit/tree-head"
PAGE = 50
FOLLOWS = 20
SEARCH = "lodi"  # a place name: about one organization in sixteen carries it
PERSON_SEARCH = "maya"  # a first name: about one person in thirty carries it
SECTOR = "private"
HTTP_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class Context:
    """Who asks, and what the seeded world holds, so each answer can be checked."""

    admin: Viewer
    members: list[Viewer]
    organizations: int
    people: int  # every account, the benchmark's admin included
    limit: int = PAGE
    follows: int = FOLLOWS


@dataclass(frozen=True)
class Endpoint:
    """A named series of requests: what it measures and where its calls come from."""

    name: str
    what: str
    source: Callable[[Context], Source]


def _ok_status(body: Any) -> list[str]:
    return [] if isinstance(body, dict) and body.get("status") == "ok" else ["not status ok"]


def _signed_head(body: Any) -> list[str]:
    good = isinstance(body, dict) and body.get("size", 0) > 0 and body.get("signature")
    return [] if good else ["no signed head of a non-empty log"]


def _in_sector(item: dict[str, Any]) -> bool:
    return bool(item.get("sector") == SECTOR)


def _named_like_search(item: dict[str, Any]) -> bool:
    return SEARCH in str(item.get("name", "")).lower()


def _named_like_person_search(item: dict[str, Any]) -> bool:
    return PERSON_SEARCH in str(item.get("display_name", "")).lower()


def _in_org(org_id: str, item: dict[str, Any]) -> bool:
    return bool(item.get("org_id") == org_id)


def _members_ask(ctx: Context, path: str, params: dict[str, str | int], **check: Any) -> Source:
    """The same request from each member in turn."""
    verify = partial(page_problems, limit=ctx.limit, **check)
    return repeat([Call(path, params, m.token, verify) for m in ctx.members])


def _people_of_own_org(ctx: Context) -> Source:
    calls = []
    for member in ctx.members:
        # The admin was added to an existing organization; its people count one more.
        people = member.org_active_people + (member.org_id == ctx.admin.org_id)
        verify = partial(
            page_problems,
            limit=ctx.limit,
            expected_items=min(ctx.limit, people),
            item_ok=partial(_in_org, member.org_id),
        )
        calls.append(Call(PEOPLE, {"limit": ctx.limit}, member.token, verify))
    return repeat(calls)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "healthz",
        "GET /healthz: no database, no auth; the floor every ratio divides by",
        lambda ctx: repeat([Call("/healthz", check=_ok_status)]),
    ),
    Endpoint(
        "orgs_first_page",
        f"GET {ORGS}?limit=50 as members of vetted organizations, in turn",
        lambda ctx: _members_ask(
            ctx, ORGS, {"limit": ctx.limit}, expected_items=min(ctx.limit, ctx.organizations)
        ),
    ),
    Endpoint(
        "orgs_sector",
        f"GET {ORGS}?sector={SECTOR}&limit=50 as members",
        lambda ctx: _members_ask(
            ctx, ORGS, {"sector": SECTOR, "limit": ctx.limit}, item_ok=_in_sector
        ),
    ),
    Endpoint(
        "orgs_search",
        f"GET {ORGS}?q={SEARCH}&limit=50 (name search) as members",
        lambda ctx: _members_ask(
            ctx, ORGS, {"q": SEARCH, "limit": ctx.limit}, item_ok=_named_like_search
        ),
    ),
    Endpoint(
        "orgs_deep",
        f"GET {ORGS}?limit=50&cursor=…: each page reached by following next_cursor "
        f"(up to {FOLLOWS} times from page one) as members",
        lambda ctx: deep_walk(
            ORGS,
            {"limit": ctx.limit},
            [m.token for m in ctx.members],
            follows=ctx.follows,
            limit=ctx.limit,
            total=ctx.organizations,
        ),
    ),
    Endpoint(
        "people_member",
        f"GET {PEOPLE}?limit=50 as members: their own organization's people",
        _people_of_own_org,
    ),
    Endpoint(
        "people_admin",
        f"GET {PEOPLE}?limit=50 as a platform admin: everyone's, first page",
        lambda ctx: repeat(
            [
                Call(
                    PEOPLE,
                    {"limit": ctx.limit},
                    ctx.admin.token,
                    partial(
                        page_problems, limit=ctx.limit, expected_items=min(ctx.limit, ctx.people)
                    ),
                )
            ]
        ),
    ),
    Endpoint(
        "people_admin_search",
        f"GET {PEOPLE}?q={PERSON_SEARCH}&limit=50 (name search) as a platform admin",
        lambda ctx: repeat(
            [
                Call(
                    PEOPLE,
                    {"q": PERSON_SEARCH, "limit": ctx.limit},
                    ctx.admin.token,
                    partial(page_problems, limit=ctx.limit, item_ok=_named_like_person_search),
                )
            ]
        ),
    ),
    Endpoint(
        "people_admin_deep",
        f"GET {PEOPLE}?limit=50&cursor=… as a platform admin, following next_cursor "
        f"up to {FOLLOWS} times",
        lambda ctx: deep_walk(
            PEOPLE,
            {"limit": ctx.limit},
            [ctx.admin.token],
            follows=ctx.follows,
            limit=ctx.limit,
            total=ctx.people,
        ),
    ),
    Endpoint(
        "tree_head",
        f"GET {TREE_HEAD}: the signed head of the audit log (public)",
        lambda ctx: repeat([Call(TREE_HEAD, check=_signed_head)]),
    ),
)


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Run:
    """One endpoint's measurement, with when it ran and the machine's load at its end."""

    endpoint: Endpoint
    measurement: Measurement
    started_at: str
    load_average_after: list[float]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _measure_all(base_url: str, ctx: Context, args: argparse.Namespace) -> list[Run]:
    runs = []
    with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client:
        for endpoint in ENDPOINTS:
            _say(f"  {endpoint.name}: {args.warmup} warm-up, then {args.requests} requests")
            started_at = _now()
            got = measure(client, endpoint.source(ctx), count=args.requests, warmup=args.warmup)
            runs.append(Run(endpoint, got, started_at, load_average()))
    return runs


def _reports(runs: list[Run], server_ms: dict[str, float]) -> dict[str, Any]:
    """Each endpoint's figures; the first endpoint (healthz) is the floor of the ratios."""
    floor = runs[0].measurement if runs and runs[0].measurement.samples_ms else None
    reports: dict[str, Any] = {}
    for run in runs:
        got = run.measurement
        figures = (
            got.report(floor, server_ms)
            if got.samples_ms
            else {"count": 0, "errors": got.errors, "problems": got.problems}
        )
        reports[run.endpoint.name] = {
            "what": run.endpoint.what,
            **figures,
            "started_at": run.started_at,
            "load_average_after": run.load_average_after,
        }
    return reports


def _prepare(world: World, args: argparse.Namespace) -> tuple[Context, dict[str, Any]]:
    """Build the world, then the admin and the members the benchmark asks as."""
    _say(f"{world.engine}: building {args.orgs:,} organizations and {args.people:,} people")
    build_world(world, orgs=args.orgs, people=args.people, seed=args.seed)
    started = time.perf_counter()
    admin = create_admin(world)
    sample = sample_people(world, args.sample, random.Random(args.seed))
    members = create_tokens(world, pick_members(sample, args.members))
    if not members:
        raise BenchError("no sampled person belongs to a vetted organization")
    world.timings["accounts_and_tokens_seconds"] = round(time.perf_counter() - started, 3)
    ctx = Context(
        admin=admin,
        members=members,
        organizations=int(world.seeded["organizations"]),
        people=int(world.seeded["people"]) + 1,
    )
    about = {
        **world.timings,
        "seed_reported_seconds": world.seeded.get("elapsed_seconds"),
        "organizations": ctx.organizations,
        "people": ctx.people,
        "sample": {
            "people": len(sample),
            "of_vetted_organizations": sum(p.org_vetted for p in sample),
            "roles": dict(sorted(Counter(p.role for p in sample).items())),
        },
        "members_with_tokens": {
            "count": len(members),
            "roles": dict(sorted(Counter(m.role for m in members).items())),
            "organizations": len({m.org_id for m in members}),
        },
    }
    return ctx, about


def run_engine(engine: str, args: argparse.Namespace, temp: Path) -> dict[str, Any]:
    """One engine from a fresh world to a stopped server; its schema is dropped whatever happens."""
    result: dict[str, Any] = {"load_average_before": load_average()}
    with fresh_world(engine, temp / engine, args.postgres_url) as world:
        ctx, result["world"] = _prepare(world, args)
        log = world.temp / "server.log"
        _say(f"{engine}: serving (log in {log}); measuring")
        with running_server(world.env, log) as base_url:
            runs = _measure_all(base_url, ctx, args)
        result["endpoints"] = _reports(runs, read_access_log(log))
    result["load_average_after"] = load_average()
    return result


TABLE_HEAD = (
    "engine", "endpoint", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99/floor",
    "server p50", "server p99",
)  # fmt: skip


def _row(engine: str, name: str, s: dict[str, Any]) -> tuple[str, ...]:
    client = [s.get(k, "") for k in ("count", "p50_ms", "p95_ms", "p99_ms", "max_ms")]
    server = s.get("server", {})
    flag = f" ({s['errors']} wrong)" if s.get("errors") else ""
    return (
        engine,
        name + flag,
        *map(str, client),
        str(s.get("ratio_p99_to_floor", "")),
        str(server.get("p50_ms", "")),
        str(server.get("p99_ms", "")),
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/api.py",
        description="Latency of Accord's API over real HTTP on a fresh synthetic world per "
        "engine. JSON on stdout, a table on stderr; see docs/benchmarks.md.",
    )
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--orgs", type=positive_int, default=1_000, help="default: 1000")
    parser.add_argument("--people", type=positive_int, default=100_000, help="default: 100000")
    parser.add_argument(
        "--requests", type=positive_int, default=2_000, help="measured per endpoint; default: 2000"
    )
    parser.add_argument("--warmup", type=int, default=100, help="unmeasured first; default: 100")
    parser.add_argument("--seed", type=int, default=1, help="world and sample seed; default: 1")
    parser.add_argument(
        "--sample", type=positive_int, default=200, help="random people; default: 200"
    )
    parser.add_argument(
        "--members", type=positive_int, default=20, help="sampled members given tokens; default: 20"
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help=f"loopback PostgreSQL for a throw-away schema; default: {DEFAULT_POSTGRES_URL}",
    )
    parser.add_argument("--json-out", type=Path, metavar="FILE", help="also write the JSON here")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the temporary folder (server logs)"
    )
    args = parser.parse_args(argv)
    try:
        check_loopback(args.postgres_url)
    except BenchError as exc:
        parser.error(str(exc))
    return args


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> NoReturn:
    # SystemExit unwinds through every `finally`: the server stops and the schema is dropped.
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    started_at = datetime.now(UTC)
    pg_version = None
    if "postgresql" in engines:
        try:
            pg_version = postgres_version(args.postgres_url)
        except (psycopg.Error, OSError) as exc:  # reported; the PostgreSQL run then fails too
            pg_version = f"unreachable: {exc}".splitlines()[0]
    document: dict[str, Any] = {
        "benchmark": "api",
        "command": shlex.join(["python", "bench/api.py", *(argv or sys.argv[1:])]),
        "started_at": started_at.isoformat(timespec="seconds"),
        "machine": describe_machine(pg_version),
        "parameters": {
            "engines": list(engines),
            "orgs": args.orgs,
            "people": args.people,
            "requests": args.requests,
            "warmup": args.warmup,
            "seed": args.seed,
            "sample": args.sample,
            "members": args.members,
            "page_limit": PAGE,
            "deep_follows": FOLLOWS,
            "percentiles": "linear interpolation between closest ranks (numpy default)",
        },
        "engines": {},
    }
    failed = False
    temp = Path(tempfile.mkdtemp(prefix="accord-bench-"))
    try:
        for engine in engines:
            try:
                document["engines"][engine] = run_engine(engine, args, temp)
            except BenchError as exc:
                failed = True
                document["engines"][engine] = {"error": str(exc)}
                _say(f"{engine}: {exc}")
    finally:
        if args.keep_temp:
            _say(f"kept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)
    document["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    text = json.dumps(document, indent=2)
    print(text)
    if args.json_out:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    _say(text_table(document["engines"], TABLE_HEAD, _row))
    wrong = any(
        s.get("errors")
        for result in document["engines"].values()
        for s in result.get("endpoints", {}).values()
    )
    return 2 if failed else 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
