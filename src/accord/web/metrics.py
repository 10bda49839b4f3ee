"""Request counts and latency per route, written in the Prometheus text exposition format."""

from __future__ import annotations

import threading
from collections import defaultdict

__all__ = ["BUCKETS", "Metrics"]

# Seconds; fine at the low end, where an API that answers from indexes lives.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Thread-safe counters and histograms kept in memory by one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._buckets: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._counts: dict[tuple[str, str], int] = defaultdict(int)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route)
        with self._lock:
            self._requests[(method, route, str(status))] += 1
            buckets = self._buckets.setdefault(key, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sums[key] += seconds
            self._counts[key] += 1

    def render(self) -> str:
        """The exposition text (Prometheus text format 0.0.4)."""
        lines = [
            "# HELP accord_http_requests_total HTTP requests by method, route and status.",
            "# TYPE accord_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self._requests.items()):
                labels = _labels(method=method, route=route, status=status)
                lines.append(f"accord_http_requests_total{{{labels}}} {n}")
            lines += [
                "# HELP accord_http_request_duration_seconds Time to answer, by method and route.",
                "# TYPE accord_http_request_duration_seconds histogram",
            ]
            for key in sorted(self._buckets):
                method, route = key
                for bound, n in zip(BUCKETS, self._buckets[key], strict=True):
                    labels = _labels(method=method, route=route, le=repr(bound))
                    lines.append(f"accord_http_request_duration_seconds_bucket{{{labels}}} {n}")
                labels = _labels(method=method, route=route, le="+Inf")
                lines.append(
                    f"accord_http_request_duration_seconds_bucket{{{labels}}} {self._counts[key]}"
                )
                labels = _labels(method=method, route=route)
                lines.append(
                    f"accord_http_request_duration_seconds_sum{{{labels}}} {self._sums[key]:.6f}"
                )
                lines.append(
                    f"accord_http_request_duration_seconds_count{{{labels}}} {self._counts[key]}"
                )
        return "\n".join(lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return ",".join(f'{name}="{_escape(value)}"' for name, value in labels.items())
