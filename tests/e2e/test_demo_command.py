"""The newcomer's first command: `accord demo` serves Port City, and its dispatcher signs in."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright import sync_api
from tests.e2e.conftest import TIMEOUT_MS, VIEWPORT, _free_port

from accord.ops.demo import DEMO_DISPATCHER_EMAIL
from accord.settings import Settings

pytestmark = pytest.mark.e2e


def _accord_command() -> list[str]:
    script = Path(sys.executable).with_name("accord")
    if script.exists():
        return [str(script)]
    found = shutil.which("accord")
    if found is None:
        pytest.fail("the `accord` command is not installed (pip install .)")
    return [found]


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"accord demo exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    pytest.fail(f"accord demo did not become ready within 120 s:\n{log_path.read_text()}")


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    log_path = tmp_path / "demo.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [*_accord_command(), "demo", "--port", str(port), "--data-dir", str(tmp_path / "d")],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(process, url, log_path)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_demo_dispatcher_signs_in_to_the_served_demo(
    browser: sync_api.Browser, demo_server: str
) -> None:
    password = Settings.model_fields["demo_password"].default.get_secret_value()
    context = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{demo_server}/")
        page.wait_for_url(f"{demo_server}/sign-in*")
        page.fill("#email", DEMO_DISPATCHER_EMAIL)
        page.fill("#password", password)
        page.click("form[action='/sign-in'] button[type=submit]")
        page.wait_for_url(f"{demo_server}/")
        sync_api.expect(page.locator("h1")).to_contain_text("Jordan Avila")
        sync_api.expect(page.locator("header")).to_contain_text("Port City Police Department")
    finally:
        context.close()
