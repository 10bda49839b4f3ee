"""Timed HTTP calls: a source of calls per endpoint, correctness checks, and the timing loop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.stats import percentile, ratio, summarize

__all__ = [
    "Call",
    "Measurement",
    "Source",
    "deep_walk",
    "measure",
    "page_problems",
    "read_access_log",
    "repeat",
]

Check = Callable[[Any], list[str]]
# A source yields the next call and is sent the JSON body of the answer to the last one.
Source = Generator["Call", Any, None]
KEPT_PROBLEMS = 5


def no_problems(_body: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class Call:
    """One GET: the path, query and token, and how to tell a right answer."""

    path: str
    params: dict[str, str | int] = field(default_factory=dict)
    token: str | None = None
    check: Check = no_problems
    measured: bool = True  # False: a step to reach the measured page (the first of a walk)
    depth: int = 0  # next_cursor links followed to reach this page


def repeat(calls: Sequence[Call]) -> Source:
    """The calls in turn, round and round (round-robin over viewers, for instance)."""
    index = 0
    while True:
        yield calls[index % len(calls)]
        index += 1


def page_problems(
    body: Any,
    *,
    limit: int,
    expected_items: int | None = None,
    item_ok: Callable[[dict[str, Any]], bool] | None = None,
) -> list[str]:
    """What is wrong with a page: a short page that claims more, a wrong count, a stray item."""
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        return ["the answer has no list of items"]
    problems = []
    if body.get("next_cursor") and len(items) != limit:
        problems.append(f"{len(items)} items on a page with a next_cursor, not {limit}")
    if expected_items is not None and len(items) != expected_items:
        problems.append(f"{len(items)} items, expected {expected_items}")
    if item_ok is not None:
        stray = sum(1 for item in items if not item_ok(item))
        if stray:
            problems.append(f"{stray} items do not match the filter")
    return problems


def _walk_check(
    body: Any, *, seen: set[str], limit: int, total: int | None, item_ok: Any
) -> list[str]:
    problems = page_problems(body, limit=limit, item_ok=item_ok)
    ids = [str(item.get("id")) for item in (body.get("items") or [])]
    repeated = seen.intersection(ids)
    if repeated:
        problems.append(f"{len(repeated)} ids already seen on an earlier page of this walk")
    seen.update(ids)
    if total is not None and body.get("next_cursor") is None and len(seen) != total:
        problems.append(f"the walk ended after {len(seen)} items, expected {total}")
    return problems


def deep_walk(
    path: str,
    params: dict[str, str | int],
    tokens: Sequence[str],
    *,
    follows: int,
    limit: int,
    total: int | None = None,
    item_ok: Callable[[dict[str, Any]], bool] | None = None,
) -> Source:
    """From page one, follow next_cursor up to `follows` times; measure every followed page.

    Each walk checks that no id comes back on a later page, and (given `total`) that a walk
    reaching the end saw every item once. Walks start again at page one, viewer after viewer.
    """
    walks = 0
    while True:
        token = tokens[walks % len(tokens)]
        walks += 1
        seen: set[str] = set()
        check = partial(_walk_check, seen=seen, limit=limit, total=total, item_ok=item_ok)
        cursor: str | None = None
        for depth in range(follows + 1):
            query = {**params, "cursor": cursor} if cursor else dict(params)
            body = yield Call(path, query, token, check, measured=depth > 0, depth=depth)
            cursor = body.get("next_cursor") if isinstance(body, dict) else None
            if not cursor:
                break


@dataclass
class Measurement:
    """Latencies of the measured calls of one endpoint, and any wrong answers seen."""

    samples_ms: list[float] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)  # X-Request-Id of each sample
    by_depth_ms: dict[int, list[float]] = field(default_factory=dict)
    items: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)

    def note(self, found: list[str]) -> None:
        if found:
            self.errors += 1
            for problem in found:
                if problem not in self.problems and len(self.problems) < KEPT_PROBLEMS:
                    self.problems.append(problem)

    def report(
        self, floor: Measurement | None, server_ms: dict[str, float] | None = None
    ) -> dict[str, Any]:
        """Client-side figures, ratios to the floor, and (given the server's durations by
        request id) the server's own figures for the same requests."""
        summary = summarize(self.samples_ms)
        result: dict[str, Any] = summary.as_dict()
        if floor is not None:
            base = summarize(floor.samples_ms)
            result["ratio_p50_to_floor"] = ratio(summary.p50_ms, base.p50_ms)
            result["ratio_p99_to_floor"] = ratio(summary.p99_ms, base.p99_ms)
        result["mean_items"] = round(self.items / len(self.samples_ms), 1)
        if self.by_depth_ms:
            depths = sorted(self.by_depth_ms)
            medians = {d: round(percentile(self.by_depth_ms[d], 50), 3) for d in depths}
            result["p50_ms_by_depth"] = {str(d): medians[d] for d in depths}
            result["ratio_p50_deepest_to_first_followed"] = ratio(
                medians[depths[-1]], medians[depths[0]]
            )
        if server_ms:
            inside = [server_ms[i] for i in self.request_ids if i in server_ms]
            if inside:
                server = summarize(inside).as_dict()
                result["server"] = {k: v for k, v in server.items() if k != "mean_ms"}
        result["errors"] = self.errors
        result["problems"] = self.problems
        return result


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def measure(client: httpx.Client, source: Source, *, count: int, warmup: int) -> Measurement:
    """Send the source's calls one after another; time the measured ones after `warmup`.

    The time is that of the whole exchange on the kept-alive connection, body read included;
    decoding and checking the JSON happen outside it.
    """
    result = Measurement()
    wanted = warmup + count
    done = 0
    call = next(source)
    # Bounded: a walk has at most one unmeasured call (its first page) per measured one.
    for _ in range(2 * wanted + 1):
        headers = {"Authorization": f"Bearer {call.token}"} if call.token else None
        started = time.perf_counter_ns()
        response = client.get(call.path, params=call.params, headers=headers)
        elapsed_ms = (time.perf_counter_ns() - started) / 1e6
        body = _json(response)
        if response.status_code != 200:
            result.note([f"HTTP {response.status_code} from {call.path}"])
        else:
            result.note(call.check(body))
        if call.measured:
            if done >= warmup:
                result.samples_ms.append(elapsed_ms)
                result.request_ids.append(response.headers.get("x-request-id", ""))
                if call.depth:
                    result.by_depth_ms.setdefault(call.depth, []).append(elapsed_ms)
                items = body.get("items") if isinstance(body, dict) else None
                result.items += len(items) if isinstance(items, list) else 0
            done += 1
            if done >= wanted:
                break
        call = source.send(body)
    return result


def read_access_log(path: Path) -> dict[str, float]:
    """The server's own duration of each request, by request id, from its JSON access log."""
    durations: dict[str, float] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return durations
    for line in lines:
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "accord.access" and "duration_ms" in entry:
            durations[str(entry.get("request_id"))] = float(entry["duration_ms"])
    return durations
