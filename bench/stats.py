"""Latency statistics: percentiles, summaries in milliseconds, and ratios to a floor."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

__all__ = [
    "PERCENTILES",
    "Summary",
    "percentile",
    "positive_int",
    "ratio",
    "summarize",
    "text_table",
]

PERCENTILES = (50, 95, 99)


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100) of `values`, interpolated linearly between closest ranks.

    This is numpy's default ("linear") and Excel's PERCENTILE.INC: rank (n - 1) * q / 100,
    so p0 is the minimum, p100 the maximum and p50 the median.
    """
    if not values:
        raise ValueError("no values to take a percentile of")
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0–100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """Count and latency percentiles of one endpoint, in milliseconds."""

    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def summarize(samples_ms: Sequence[float], digits: int = 3) -> Summary:
    """The summary of latency samples in milliseconds, rounded to `digits` decimals."""
    if not samples_ms:
        raise ValueError("no samples to summarize")
    p50, p95, p99 = (round(percentile(samples_ms, q), digits) for q in PERCENTILES)
    return Summary(
        count=len(samples_ms),
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=round(max(samples_ms), digits),
        mean_ms=round(math.fsum(samples_ms) / len(samples_ms), digits),
    )


def ratio(value: float, floor: float, digits: int = 2) -> float | None:
    """How many times the floor `value` is; None when the floor is not positive."""
    if floor <= 0:
        return None
    return round(value / floor, digits)


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def text_table(
    engines: dict[str, Any],
    head: tuple[str, ...],
    row: Callable[[str, str, dict[str, Any]], tuple[str, ...]],
) -> str:
    """A benchmark's figures as aligned columns, for people; the JSON has them all."""
    blank = [""] * (len(head) - 2)
    rows: list[tuple[str, ...]] = [head]
    for engine, result in engines.items():
        if "error" in result:
            rows.append((engine, "FAILED: " + result["error"].splitlines()[0], *blank))
            continue
        build = result["world"]["build_seconds"]
        rows.append((engine, f"(world built in {build:.1f} s)", *blank))
        rows.extend(row(engine, name, s) for name, s in result["endpoints"].items())
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in rows
    )
