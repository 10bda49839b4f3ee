"""bench/api.py and bench/feed.py: statistics right on known data, checks that catch wrong pages,
viewers drawn as documented, and both run as scripts."""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from bench import api, feed
from bench.probe import Call, deep_walk, measure, page_problems, repeat

ROOT = Path(__file__).resolve().parents[2]


def test_percentile_interpolates_linearly_between_closest_ranks() -> None:
    # numpy.percentile([15, 20, 35, 40, 50], 40) == 29.0: rank 1.6, 20 + 0.6 * (35 - 20)
    assert api.percentile([15, 20, 35, 40, 50], 40) == pytest.approx(29.0)
    assert api.percentile([50, 15, 40, 20, 35], 40) == pytest.approx(29.0)  # any order
    assert api.percentile([1, 2, 3, 4], 50) == pytest.approx(2.5)
    assert api.percentile([1, 2, 3, 4], 0) == 1
    assert api.percentile([1, 2, 3, 4], 100) == 4
    assert api.percentile([7.5], 99) == 7.5


@pytest.mark.parametrize(("values", "q"), [([], 50), ([1.0], -1), ([1.0], 100.5)])
def test_percentile_refuses_no_values_and_impossible_ranks(values: list[float], q: float) -> None:
    with pytest.raises(ValueError, match=r"percentile|no values"):
        api.percentile(values, q)


def test_summary_of_one_to_a_hundred_milliseconds() -> None:
    summary = api.summarize([float(ms) for ms in range(100, 0, -1)])
    assert summary.as_dict() == {
        "count": 100,
        "p50_ms": 50.5,
        "p95_ms": 95.05,
        "p99_ms": 99.01,
        "max_ms": 100.0,
        "mean_ms": 50.5,
    }


def test_ratio_to_the_floor_and_to_no_floor() -> None:
    assert api.ratio(12.5, 2.5) == 5.0
    assert api.ratio(1.0, 3.0) == 0.33
    assert api.ratio(1.0, 0.0) is None


def test_page_checks_catch_short_pages_wrong_counts_and_stray_items() -> None:
    page = {"items": [{"sector": "private"}, {"sector": "public"}], "next_cursor": "c"}
    problems = page_problems(
        page, limit=50, expected_items=50, item_ok=lambda i: i["sector"] == "private"
    )
    assert problems == [
        "2 items on a page with a next_cursor, not 50",
        "2 items, expected 50",
        "1 items do not match the filter",
    ]
    assert page_problems({"items": [{}], "next_cursor": None}, limit=50) == []
    assert page_problems({"detail": "nope"}, limit=50) == ["the answer has no list of items"]


def test_deep_walk_measures_followed_pages_and_catches_repeated_ids() -> None:
    walk = deep_walk("/x", {"limit": 2}, ["t"], follows=20, limit=2, total=4)
    first = next(walk)
    assert (first.measured, first.depth, first.params) == (False, 0, {"limit": 2})
    page_one = {"items": [{"id": "a"}, {"id": "b"}], "next_cursor": "c1"}
    assert first.check(page_one) == []  # measure() checks every answer before the next call
    second = walk.send(page_one)
    assert (second.measured, second.depth, second.params["cursor"]) == (True, 1, "c1")
    repeated = {"items": [{"id": "b"}, {"id": "c"}], "next_cursor": None}
    assert second.check(repeated) == [
        "1 ids already seen on an earlier page of this walk",
        "the walk ended after 3 items, expected 4",
    ]
    again = walk.send(repeated)
    assert (again.measured, again.depth) == (False, 0)  # the walk starts over


def test_measure_skips_the_warm_up_and_the_unmeasured_first_page_of_a_walk() -> None:
    pages = {
        None: {"items": [{"id": "1"}, {"id": "2"}], "next_cursor": "p2"},
        "p2": {"items": [{"id": "3"}], "next_cursor": None},
    }
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        cursor = request.url.params.get("cursor")
        seen.append(cursor)
        return httpx.Response(200, json=pages[cursor])

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://t") as client:
        walk = deep_walk("/x", {"limit": 2}, ["t"], follows=20, limit=2, total=3)
        result = measure(client, walk, count=3, warmup=1)
    # Four walks of two pages: the first followed page warms up, the next three count.
    assert seen == [None, "p2"] * 4
    assert len(result.samples_ms) == 3
    assert set(result.by_depth_ms) == {1}
    assert (result.items, result.errors) == (3, 0)


def test_measure_counts_an_error_status_as_a_wrong_answer() -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, json={"detail": "boom"})

    with httpx.Client(transport=httpx.MockTransport(handler), base_url="http://t") as client:
        result = measure(client, repeat([Call("/x")]), count=5, warmup=0)
    report: dict[str, Any] = result.report(None)
    assert (report["count"], report["errors"]) == (5, 5)
    assert report["problems"] == ["HTTP 500 from /x"]


def test_every_endpoint_has_a_unique_name_and_healthz_is_the_floor() -> None:
    names = [e.name for e in api.ENDPOINTS]
    assert names[0] == "healthz"
    assert len(names) == len(set(names))


def test_help_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "api.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for option in ("--engine", "--orgs", "--people", "--requests", "--json-out"):
        assert option in done.stdout


def _candidate(n: int, org: str) -> feed.Candidate:
    return feed.Candidate(f"p{n}", f"person{n:03d}@{org}.example", "analyst", org)


def test_viewers_are_half_with_agreements_half_without_one_per_organization_first() -> None:
    people = [_candidate(n, f"org{n % 6}") for n in range(60)]
    partnered = {"org0", "org1", "org2"}
    viewers = feed.choose_viewers(people, partnered, 8, random.Random(1))
    groups = Counter(v.group for v in viewers)
    assert groups == {"with_agreements": 4, "without_agreements": 4}
    assert all((v.org_id in partnered) == (v.group == "with_agreements") for v in viewers)
    # Three organizations in each half: the fourth pick is a second person of one of them.
    assert len({v.org_id for v in viewers if v.group == "with_agreements"}) == 3
    assert len({v.email for v in viewers}) == 8
    assert feed.choose_viewers(people, partnered, 8, random.Random(1)) == viewers


def test_a_short_half_is_filled_from_the_other() -> None:
    people = [_candidate(n, f"org{n % 4}") for n in range(20)]
    viewers = feed.choose_viewers(people, {"org0"}, 10, random.Random(2))
    assert Counter(v.group for v in viewers) == {"with_agreements": 5, "without_agreements": 5}
    lonely = feed.choose_viewers(people[:2], {"org0"}, 10, random.Random(2))
    assert len(lonely) == 2


def _item(n: int, created: str, **extra: Any) -> dict[str, Any]:
    return {"id": f"id{n}", "created_at": created, **extra}


def test_feed_checks_catch_repeated_ids_wrong_order_long_pages_and_strays() -> None:
    newest_first = {
        "items": [_item(2, "2026-11-21T10:00:00Z"), _item(1, "2026-11-21T09:00:00Z")],
        "next_cursor": None,
    }
    assert feed.feed_problems(newest_first, limit=50) == []
    wrong = {
        "items": [
            _item(1, "2026-11-21T09:00:00Z", tlp="green"),
            _item(1, "2026-11-21T10:00:00Z", tlp="amber"),
            _item(3, "2026-11-21T10:00:00Z", tlp="amber"),
        ],
        "next_cursor": None,
    }
    assert feed.feed_problems(wrong, limit=2, item_ok=lambda i: i["tlp"] == "amber") == [
        "1 items do not match the filter",
        "3 items, more than the limit 2",
        "1 ids twice on one page",
        "items are not newest first",
    ]
    # The same instant: the larger id comes first (created_at DESC, id DESC).
    tie = {"items": [_item(1, "2026-11-21T10:00:00Z"), _item(2, "2026-11-21T10:00:00Z")]}
    assert feed.feed_problems(tie, limit=50) == ["items are not newest first"]
    assert feed.feed_problems({"items": [{"id": "x"}]}, limit=50) == [
        "an item without a valid created_at or id"
    ]


def test_samples_split_by_the_group_of_the_viewer_who_asked() -> None:
    labels = ["with", "without", "without"]
    # After 2 warm-up calls the first sample is the third viewer's.
    split = feed.by_group([1.0, 2.0, 3.0, 4.0], labels, warmup=2)
    assert split == {"without": [1.0, 3.0, 4.0], "with": [2.0]}


def test_the_feed_benchmark_measures_the_floor_first_with_unique_names() -> None:
    names = [e.name for e in feed.ENDPOINTS]
    assert names[0] == "healthz"
    assert len(names) == len(set(names))


def test_feed_help_runs_as_a_script() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "feed.py"), "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    for option in ("--engine", "--records", "--agreements", "--viewers", "--json-out"):
        assert option in done.stdout
