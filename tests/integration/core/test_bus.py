"""The event bus: in-process fan-out, and NATS carrying events between two API nodes."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar
from urllib.parse import urlparse

import pytest

from accord.core.bus import QUEUE_SIZE, InProcessBus, NatsBus, make_bus

T = TypeVar("T")
NATS_URL = os.environ.get("ACCORD_TEST_NATS_URL", "nats://127.0.0.1:4222")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` on a fresh event loop in its own thread.

    The browser tests' Playwright keeps an event loop running in the main thread of the same
    worker, where asyncio.run() would refuse to start.
    """
    outcome: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(asyncio.run(coroutine))
        except BaseException as exc:  # handed to the calling thread
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def _nats_reachable() -> bool:
    parsed = urlparse(NATS_URL)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 4222), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def nats_url() -> str:
    if not _nats_reachable():
        if os.environ.get("ACCORD_TEST_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"NATS is required in CI but not reachable at {NATS_URL}")
        pytest.skip(f"no NATS server at {NATS_URL}")
    return NATS_URL


def test_subscribers_receive_events_published_from_another_thread() -> None:
    bus = InProcessBus()

    async def scenario() -> list[str]:
        async with bus.subscribe("records.") as sub, bus.subscribe("alerts.") as other:
            worker = threading.Thread(
                target=lambda: [
                    bus.publish("records.created", {"id": "a"}),
                    bus.publish("alerts.sent", {"id": "b"}),
                    bus.publish("records.changed", {"id": "c"}),
                ]
            )
            worker.start()
            worker.join()
            got = [await sub.next(2), await sub.next(2)]
            assert (await other.next(2)).data == {"id": "b"}  # type: ignore[union-attr]
            assert await sub.next(0.05) is None
            return [e.topic for e in got if e is not None]

    assert _run(scenario()) == ["records.created", "records.changed"]
    assert bus.subscriber_count == 0


def test_a_slow_subscriber_is_told_it_missed_events() -> None:
    bus = InProcessBus()

    async def scenario() -> tuple[bool, int]:
        async with bus.subscribe("records.") as sub:
            for n in range(QUEUE_SIZE + 5):
                bus.publish("records.created", {"n": n})
            await asyncio.sleep(0.05)
            return sub.overflowed, sub.queue.qsize()

    assert _run(scenario()) == (True, QUEUE_SIZE)


def test_no_url_means_the_in_process_bus() -> None:
    assert type(make_bus(None)) is InProcessBus


def test_nats_carries_events_between_two_nodes(nats_url: str) -> None:
    node_a, node_b = NatsBus(nats_url), NatsBus(nats_url)
    try:

        async def scenario() -> list[dict[str, object]]:
            async with node_b.subscribe("records.") as sub:
                await asyncio.sleep(0.1)
                node_a.publish("records.created", {"id": "note-1", "kind": "note"})
                node_a.publish("other.thing", {"id": "ignored"})
                node_a.flush()
                first = await sub.next(5)
                assert await sub.next(0.2) is None
                return [first.data] if first else []

        assert _run(scenario()) == [{"id": "note-1", "kind": "note"}]
    finally:
        node_a.close()
        node_b.close()


def test_an_unreachable_nats_server_fails_at_start() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Exception):  # noqa: B017, PT011 - nats raises its own no-servers error
        NatsBus(f"nats://127.0.0.1:{port}", connect_timeout=0.5)
