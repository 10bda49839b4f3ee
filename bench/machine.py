"""What the benchmark ran on: CPU, cores, memory, load, software versions, the code's commit."""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

__all__ = ["describe_machine", "load_average"]

ROOT = Path(__file__).resolve().parents[1]


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return platform.processor() or "unknown"
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        lines = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for line in lines:
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024**2, 1)
    return None


def _commit() -> str | None:
    """The checked-out commit (read-only `git rev-parse`); None outside a git checkout."""
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run(  # a fixed, read-only git command
        [git, "-C", str(ROOT), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    return done.stdout.strip() or None if done.returncode == 0 else None


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, as `uptime` shows them."""
    return [round(x, 2) for x in os.getloadavg()]


def describe_machine(postgres_version: str | None) -> dict[str, Any]:
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": _memory_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": postgres_version,
        "commit": _commit(),
    }
