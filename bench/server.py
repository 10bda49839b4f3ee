"""The real `accord serve` as a subprocess on a free loopback port, always stopped afterwards."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.world import BenchError, accord_executable

__all__ = ["free_port", "running_server", "stop"]

HOST = "127.0.0.1"
READY_TIMEOUT_S = 120.0
POLL_INTERVAL_S = 0.2
STOP_TIMEOUT_S = 15.0


def free_port() -> int:
    """A TCP port nobody listens on at this moment, chosen by the kernel."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _log_tail(log_path: Path, lines: int = 20) -> str:
    try:
        text = log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.strip().splitlines()[-lines:])


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    """Poll /readyz until it answers 200; a server that exits or never answers is an error."""
    attempts = int(READY_TIMEOUT_S / POLL_INTERVAL_S)
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        for _ in range(attempts):
            if process.poll() is not None:
                raise BenchError(
                    f"the server exited with {process.returncode}:\n{_log_tail(log_path)}"
                )
            try:
                if client.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass  # not listening yet
            time.sleep(POLL_INTERVAL_S)
    raise BenchError(f"the server was not ready within {READY_TIMEOUT_S:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts down gracefully), then SIGKILL if it has not exited in time."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Start `accord serve` with `env`, its logs in `log_path`; yield its base URL once ready."""
    port = free_port()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [accord_executable(), "serve", "--host", HOST, "--port", str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl+C in the terminal reaches us, and we stop it
        )
    try:
        base_url = f"http://{HOST}:{port}"
        _wait_ready(base_url, process, log_path)
        yield base_url
    finally:
        stop(process)
