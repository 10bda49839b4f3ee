"""`accord serve` starts as a real process on a fresh SQLite folder, answers, and stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlalchemy import select

from accord.core.audit.models import AuditEntry
from accord.core.db import Database
from accord.ops.server import SETTINGS_ACTION

START_TIMEOUT_SECONDS = 90
ACCORD = [sys.executable, "-c", "from accord.cli import main; main()"]


def _wait_until_healthy(process: subprocess.Popen[str], url: str) -> httpx.Response:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"accord serve exited early with {process.returncode}")
        try:
            return httpx.get(f"{url}/healthz", timeout=2)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("accord serve did not answer in time")


def test_serve_starts_answers_health_checks_and_stops(tmp_path: Path, free_port: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env["ACCORD_DATA_DIR"] = str(tmp_path)
    url = f"http://127.0.0.1:{free_port}"
    process = subprocess.Popen(
        [*ACCORD, "serve", "--port", str(free_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        health = _wait_until_healthy(process, url)
        ready = httpx.get(f"{url}/readyz", timeout=5)
    finally:
        process.terminate()
        stdout, stderr = process.communicate(timeout=30)
    assert health.status_code == 200, stderr
    assert (ready.status_code, ready.json()) == (200, {"status": "ready", "database": "ok"})
    # uvicorn shuts down gracefully, then lets SIGTERM end the process as the signal asks.
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Finished server process" in stderr
    assert f"Accord is serving at {url}" in stdout
    logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert logs, stderr
    assert all("level" in entry and "message" in entry for entry in logs)
    database = Database(f"sqlite:///{tmp_path / 'accord.db'}")
    try:
        with database.reading() as s:
            actions = list(s.scalars(select(AuditEntry.action)))
    finally:
        database.dispose()
    assert actions == [SETTINGS_ACTION]
