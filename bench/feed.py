"""The sharing feed's latency: first and filtered pages of `GET /api/v1/feed` over real HTTP.

    python bench/feed.py [--engine sqlite|postgresql|both] [--records N] [--agreements N]
                         [--orgs N] [--people N] [--viewers V] [--requests R] [--json-out FILE]

For each engine: a fresh world built with `accord db upgrade` and `accord seed --orgs 1000
--agreements 5000 --records 1000000` (a throw-away schema on PostgreSQL), then `accord serve` on
a free loopback port. A platform admin made with `accord user create` and `accord token create`
gives `feed:read` tokens, through the API, to V viewers drawn from vetted organizations: half
from organizations party to an agreement in force, half from organizations party to none. The
viewers then ask in turn over one kept-alive connection. `GET /healthz` is measured in the same
run as the floor, and `GET /api/v1/auth/me` (a token checked, nothing shared read) as the cost
of any authenticated request. Every answer is checked: status 200, at most 50 items, no id
twice, newest first, only items that match the filter. One JSON document goes to stdout, a
short table to stderr; docs/benchmarks.md explains the figures and holds the latest ones.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import pairwise
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

if __package__ in (None, ""):
    # Run as `python bench/feed.py`: import the `bench` package from the repository root,
    # and keep bench/ itself off the path so no module here can shadow another.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import httpx
import psycopg
from sqlalchemy import create_engine, text

from bench.api import DEFAULT_POSTGRES_URL, ENGINES, HTTP_TIMEOUT_S
from bench.machine import describe_machine, load_average
from bench.probe import Call, Measurement, Source, measure, page_problems, read_access_log, repeat
from bench.server import running_server
from bench.stats import positive_int, summarize, text_table
from bench.world import (
    BenchError,
    World,
    check_loopback,
    fresh_world,
    postgres_version,
    run_cli,
    uuid_text,
)

__all__ = [
    "ENDPOINTS",
    "Endpoint",
    "FeedViewer",
    "by_group",
    "choose_viewers",
    "feed_problems",
    "main",
]

FEED = "/api/v1/feed"
PAGE = 50
TLP = "amber"
CATEGORY = "personal_data"
SECTOR = "private"
ADMIN_EMAIL = "feed-bench-admin@bench.accord.example"
GROUPS = ("with_agreements", "without_agreements")


@dataclass(frozen=True)
class Candidate:
    """A person who may be a viewer: an active account of a vetted organization."""

    person_id: str
    email: str
    role: str
    org_id: str


@dataclass(frozen=True)
class FeedViewer:
    """Someone the benchmark asks as, and whether their organization has agreements in force."""

    email: str
    role: str
    org_id: str
    group: str  # one of GROUPS
    token: str = ""


def choose_viewers(
    candidates: Sequence[Candidate], partnered: set[str], count: int, rng: random.Random
) -> list[FeedViewer]:
    """`count` viewers, half of organizations with agreements in force and half without.

    Each half takes one person per organization, organizations in random order, before it
    takes a second person of any; when one half runs short the other fills the gap.
    """
    pools: dict[str, list[list[Candidate]]] = {g: [] for g in GROUPS}
    by_org: dict[str, list[Candidate]] = {}
    for person in sorted(candidates, key=lambda c: c.email):  # engine collations differ
        by_org.setdefault(person.org_id, []).append(person)
    for org_id in sorted(by_org):
        group = GROUPS[0] if org_id in partnered else GROUPS[1]
        pools[group].append(rng.sample(by_org[org_id], len(by_org[org_id])))
    queues = {g: _round_robin(rng, orgs) for g, orgs in pools.items()}
    wanted = {GROUPS[0]: (count + 1) // 2, GROUPS[1]: count // 2}
    chosen = {g: queues[g][: wanted[g]] for g in GROUPS}
    for group, other in (GROUPS, GROUPS[::-1]):
        short = wanted[group] - len(chosen[group])
        if short > 0:
            chosen[other] = queues[other][: len(chosen[other]) + short]
    return [FeedViewer(p.email, p.role, p.org_id, group) for group in GROUPS for p in chosen[group]]


def _round_robin(rng: random.Random, orgs: list[list[Candidate]]) -> list[Candidate]:
    """Everyone, first people of every organization (in random order), then second people..."""
    order = rng.sample(orgs, len(orgs))
    deepest = max((len(people) for people in order), default=0)
    return [people[depth] for depth in range(deepest) for people in order if depth < len(people)]


def _created(item: dict[str, Any]) -> tuple[datetime, str]:
    return datetime.fromisoformat(str(item["created_at"])), str(item["id"])


def feed_problems(
    body: Any, *, limit: int, item_ok: Callable[[dict[str, Any]], bool] | None = None
) -> list[str]:
    """What is wrong with a feed page: too many items, an id twice, not newest first, a stray."""
    problems = page_problems(body, limit=limit, item_ok=item_ok)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return problems
    if len(items) > limit:
        problems.append(f"{len(items)} items, more than the limit {limit}")
    ids = [str(item.get("id")) for item in items]
    if len(set(ids)) != len(ids):
        problems.append(f"{len(ids) - len(set(ids))} ids twice on one page")
    try:
        keys = [_created(item) for item in items]
    except (KeyError, TypeError, ValueError):
        return [*problems, "an item without a valid created_at or id"]
    if any(later > earlier for earlier, later in pairwise(keys)):
        problems.append("items are not newest first")
    return problems


def _is_filtered(item: dict[str, Any]) -> bool:
    return item.get("tlp") == TLP and CATEGORY in (item.get("categories") or [])


def _in_sector(item: dict[str, Any]) -> bool:
    owner = item.get("owner") or {}
    return bool(owner.get("sector") == SECTOR)


def _is_me(body: Any) -> list[str]:
    return [] if isinstance(body, dict) and body.get("person_id") else ["no person_id"]


def _ok_status(body: Any) -> list[str]:
    return [] if isinstance(body, dict) and body.get("status") == "ok" else ["not status ok"]


@dataclass(frozen=True)
class Endpoint:
    name: str
    what: str
    source: Callable[[Sequence[FeedViewer], int], Source]


def _viewers_ask(
    params: dict[str, str | int], item_ok: Callable[[dict[str, Any]], bool] | None
) -> Callable[[Sequence[FeedViewer], int], Source]:
    def source(viewers: Sequence[FeedViewer], limit: int) -> Source:
        check = partial(feed_problems, limit=limit, item_ok=item_ok)
        return repeat([Call(FEED, {**params, "limit": limit}, v.token, check) for v in viewers])

    return source


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "healthz",
        "GET /healthz: no database, no auth; the floor every ratio divides by",
        lambda viewers, limit: repeat([Call("/healthz", check=_ok_status)]),
    ),
    Endpoint(
        "auth_me",
        "GET /api/v1/auth/me as the viewers: a token checked, no shared data read (reference)",
        lambda viewers, limit: repeat(
            [Call("/api/v1/auth/me", token=v.token, check=_is_me) for v in viewers]
        ),
    ),
    Endpoint(
        "feed_first_page",
        f"GET {FEED}?limit=50: the first page, viewers in turn",
        _viewers_ask({}, None),
    ),
    Endpoint(
        "feed_filtered",
        f"GET {FEED}?limit=50&tlp={TLP}&category={CATEGORY}: a filtered first page",
        _viewers_ask({"tlp": TLP, "category": CATEGORY}, _is_filtered),
    ),
    Endpoint(
        "feed_sector",
        f"GET {FEED}?limit=50&sector={SECTOR}: records of private-sector owners",
        _viewers_ask({"sector": SECTOR}, _in_sector),
    ),
)


def by_group(
    samples_ms: Sequence[float], labels: Sequence[str], warmup: int
) -> dict[str, list[float]]:
    """Samples split by the group of the viewer who asked: calls cycle through `labels`."""
    groups: dict[str, list[float]] = {}
    for index, sample in enumerate(samples_ms):
        groups.setdefault(labels[(warmup + index) % len(labels)], []).append(sample)
    return groups


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _build(world: World, args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    run_cli(world.env, "db", "upgrade")
    migrated = time.perf_counter()
    counts = {k: getattr(args, k) for k in ("orgs", "people", "agreements", "records")}
    options = [f"--{k}={v}" for k, v in counts.items()]
    seeded = json.loads(run_cli(world.env, "seed", *options, f"--seed={args.seed}", "--json"))
    done = time.perf_counter()
    return {
        "migrate_seconds": round(migrated - started, 3),
        "seed_seconds": round(done - migrated, 3),
        "build_seconds": round(done - started, 3),
        "seed_reported_seconds": seeded.get("elapsed_seconds"),
        **{k: seeded[k] for k in ("organizations", "people", "agreements", "records")},
    }


def _candidates(world: World) -> tuple[list[Candidate], set[str]]:
    """Active people of vetted organizations, and the organizations with agreements in force."""
    engine = create_engine(world.read_url)
    now = datetime.now(UTC)
    try:
        with engine.connect() as conn:
            people = conn.execute(
                text(
                    "SELECT p.id, p.email, p.role, p.org_id FROM people p"
                    " JOIN organizations o ON o.id = p.org_id"
                    " WHERE o.vetting_state = 'vetted' AND p.is_active = :yes"
                ),
                {"yes": True},
            ).all()
            grants = conn.execute(
                text(
                    "SELECT g.state, g.effective_at, g.expires_at, p.org_id"
                    " FROM sharing_grants g JOIN sharing_grant_parties p ON p.grant_id = g.id"
                )
            ).all()
    finally:
        engine.dispose()
    partnered = {
        uuid_text(org_id)
        for state, effective, expires, org_id in grants
        if state == "active"
        and _aware(effective) <= now
        and (expires is None or now < _aware(expires))
    }
    candidates = [
        Candidate(uuid_text(pid), email, role, uuid_text(org)) for pid, email, role, org in people
    ]
    return candidates, partnered


def _aware(value: Any) -> datetime:
    """A stored instant as an aware UTC datetime (SQLite returns text without an offset)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _admin_token(world: World) -> str:
    """A platform admin in a vetted organization, with a token that may mint others' tokens."""
    orgs = json.loads(run_cli(world.env, "org", "list", "--json"))
    home = next((o for o in orgs if o["vetting_state"] == "vetted"), None)
    if home is None:
        raise BenchError("the seeded world has no vetted organization to place the admin in")
    password = secrets.token_urlsafe(24)
    run_cli(
        world.env,
        "user", "create", ADMIN_EMAIL, "--name", "Feed Benchmark Admin", "--org", home["id"],
        "--role", "platform_admin", "--password-stdin",
        stdin=password + "\n",
    )  # fmt: skip
    scopes = ("--scope=people:write", "--scope=feed:read")
    args = ("token", "create", ADMIN_EMAIL, "--name=feed bench", "--json", *scopes)
    created = json.loads(run_cli(world.env, *args))
    return str(created["token"])


def _give_tokens(
    base_url: str, admin: str, viewers: list[FeedViewer], people: dict[str, str]
) -> list[FeedViewer]:
    """A `feed:read` token for each viewer, created by the admin through the API."""
    given = []
    headers = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S, headers=headers) as client:
        for viewer in viewers:
            answer = client.post(
                "/api/v1/auth/tokens",
                json={
                    "name": "feed bench",
                    "scopes": ["feed:read"],
                    "person_id": people[viewer.email],
                },
            )
            if answer.status_code != 201:
                raise BenchError(
                    f"no token for {viewer.email}: HTTP {answer.status_code} {answer.text}"
                )
            given.append(
                FeedViewer(
                    viewer.email, viewer.role, viewer.org_id, viewer.group, answer.json()["token"]
                )
            )
    return given


@dataclass(frozen=True)
class Run:
    endpoint: Endpoint
    measurement: Measurement
    started_at: str
    load_average_after: list[float]


def _measure_all(base_url: str, viewers: list[FeedViewer], args: argparse.Namespace) -> list[Run]:
    runs = []
    with httpx.Client(base_url=base_url, timeout=HTTP_TIMEOUT_S) as client:
        for endpoint in ENDPOINTS:
            _say(f"  {endpoint.name}: {args.warmup} warm-up, then {args.requests} requests")
            started_at = _now()
            source = endpoint.source(viewers, PAGE)
            got = measure(client, source, count=args.requests, warmup=args.warmup)
            runs.append(Run(endpoint, got, started_at, load_average()))
    return runs


def _reports(
    runs: list[Run], server_ms: dict[str, float], viewers: list[FeedViewer], warmup: int
) -> dict[str, Any]:
    """Each endpoint's figures, with the floor's ratios and a split by the viewers' group."""
    floor = runs[0].measurement if runs and runs[0].measurement.samples_ms else None
    labels = [v.group for v in viewers]
    reports: dict[str, Any] = {}
    for index, run in enumerate(runs):
        got = run.measurement
        if not got.samples_ms:
            figures: dict[str, Any] = {"count": 0, "errors": got.errors, "problems": got.problems}
        else:
            figures = got.report(floor, server_ms)
            if index > 0:  # the floor asks as nobody
                split = by_group(got.samples_ms, labels, warmup)
                figures["by_group"] = {g: summarize(s).as_dict() for g, s in sorted(split.items())}
        reports[run.endpoint.name] = {
            "what": run.endpoint.what,
            **figures,
            "started_at": run.started_at,
            "load_average_after": run.load_average_after,
        }
    return reports


def run_engine(engine: str, args: argparse.Namespace, temp: Path) -> dict[str, Any]:
    """One engine from a fresh world to a stopped server; its schema is dropped whatever happens."""
    result: dict[str, Any] = {"load_average_before": load_average()}
    with fresh_world(engine, temp / engine, args.postgres_url) as world:
        _say(
            f"{engine}: building {args.orgs:,} organizations, {args.people:,} people, "
            f"{args.agreements:,} agreements and {args.records:,} records"
        )
        result["world"] = _build(world, args)
        _say(f"{engine}: world built in {result['world']['build_seconds']:.1f} s")
        started = time.perf_counter()
        candidates, partnered = _candidates(world)
        viewers = choose_viewers(candidates, partnered, args.viewers, random.Random(args.seed))
        if not viewers:
            raise BenchError("no active person of a vetted organization to ask as")
        admin = _admin_token(world)
        log = world.temp / "server.log"
        _say(f"{engine}: serving (log in {log}); tokens for {len(viewers)} viewers, then measuring")
        with running_server(world.env, log) as base_url:
            people = {c.email: c.person_id for c in candidates}
            viewers = _give_tokens(base_url, admin, viewers, people)
            result["world"]["viewers_and_tokens_seconds"] = round(time.perf_counter() - started, 3)
            runs = _measure_all(base_url, viewers, args)
        result["viewers"] = {
            "count": len(viewers),
            "organizations": len({v.org_id for v in viewers}),
            "by_group": {g: sum(v.group == g for v in viewers) for g in GROUPS},
            "roles": {
                r: sum(v.role == r for v in viewers) for r in sorted({v.role for v in viewers})
            },
        }
        result["endpoints"] = _reports(runs, read_access_log(log), viewers, args.warmup)
    result["load_average_after"] = load_average()
    return result


TABLE_HEAD = (
    "engine", "endpoint", "count", "p50 ms", "p95 ms", "p99 ms", "max ms", "p99/floor",
    "server p99", "p99 with", "p99 without",
)  # fmt: skip


def _row(engine: str, name: str, s: dict[str, Any]) -> tuple[str, ...]:
    client = [s.get(k, "") for k in ("count", "p50_ms", "p95_ms", "p99_ms", "max_ms")]
    groups = s.get("by_group", {})
    flag = f" ({s['errors']} wrong)" if s.get("errors") else ""
    return (
        engine,
        name + flag,
        *map(str, client),
        str(s.get("ratio_p99_to_floor", "")),
        str(s.get("server", {}).get("p99_ms", "")),
        *(str(groups.get(g, {}).get("p99_ms", "")) for g in GROUPS),
    )


def _stop_on_sigterm(signum: int, _frame: FrameType | None) -> NoReturn:
    # SystemExit unwinds through every `finally`: the server stops and the schema is dropped.
    raise SystemExit(128 + signum)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/feed.py",
        description="Latency of the sharing feed over real HTTP on a fresh synthetic world per "
        "engine. JSON on stdout, a table on stderr; see docs/benchmarks.md.",
    )
    parser.add_argument("--engine", choices=(*ENGINES, "both"), default="both")
    parser.add_argument("--orgs", type=positive_int, default=1_000, help="default: 1000")
    parser.add_argument("--people", type=positive_int, default=20_000, help="default: 20000")
    parser.add_argument("--agreements", type=int, default=5_000, help="default: 5000")
    parser.add_argument(
        "--records", type=int, default=1_000_000, help="shared records; default: 1000000"
    )
    parser.add_argument("--viewers", type=positive_int, default=200, help="default: 200")
    parser.add_argument(
        "--requests", type=positive_int, default=2_000, help="measured per endpoint; default: 2000"
    )
    parser.add_argument("--warmup", type=int, default=200, help="unmeasured first; default: 200")
    parser.add_argument("--seed", type=int, default=1, help="world and viewer seed; default: 1")
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


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    engines = ENGINES if args.engine == "both" else (args.engine,)
    pg_version = None
    if "postgresql" in engines:
        try:
            pg_version = postgres_version(args.postgres_url)
        except (psycopg.Error, OSError) as exc:  # reported; the PostgreSQL run then fails too
            pg_version = f"unreachable: {exc}".splitlines()[0]
    document: dict[str, Any] = {
        "benchmark": "feed",
        "command": shlex.join(["python", "bench/feed.py", *(argv or sys.argv[1:])]),
        "started_at": _now(),
        "machine": describe_machine(pg_version),
        "parameters": {
            "engines": list(engines),
            **{k: getattr(args, k) for k in ("orgs", "people", "agreements", "records")},
            **{k: getattr(args, k) for k in ("viewers", "requests", "warmup", "seed")},
            "page_limit": PAGE,
            "filter": {"tlp": TLP, "category": CATEGORY, "sector": SECTOR},
            "target": "feed p99 <= 25 ms and <= 4 x the floor's p99, on both engines",
            "percentiles": "linear interpolation between closest ranks (numpy default)",
        },
        "engines": {},
    }
    failed = False
    temp = Path(tempfile.mkdtemp(prefix="accord-bench-feed-"))
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
    document["finished_at"] = _now()
    output = json.dumps(document, indent=2)
    print(output)
    if args.json_out:
        args.json_out.write_text(output + "\n", encoding="utf-8")
    _say(text_table(document["engines"], TABLE_HEAD, _row))
    wrong = any(
        s.get("errors")
        for result in document["engines"].values()
        for s in result.get("endpoints", {}).values()
    )
    return 2 if failed else 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
