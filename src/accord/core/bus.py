"""The event bus: services publish after commit, live streams (SSE) subscribe.

One small interface, two backends: in-process (the default, one node) and NATS (several API
nodes: every node publishes to NATS and fans what NATS delivers out to its own subscribers).
Events carry ids, never content: a subscriber re-reads the record through the access module
before showing it, so the bus cannot leak what a viewer may not see. Live events are
notifications, not the record of truth: a reader that misses one is told to reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

__all__ = ["Bus", "Event", "InProcessBus", "NatsBus", "Subscription", "make_bus"]

QUEUE_SIZE = 1000
SUBJECT_PREFIX = "accord.events."
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    topic: str  # e.g. "records.created"
    data: dict[str, Any]


@dataclass
class Subscription:
    """A subscriber's queue; `overflowed` is set when events were dropped for a slow reader."""

    prefix: str
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Event] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    overflowed: bool = False

    def offer(self, event: Event) -> None:
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # The reader is told to reload rather than silently missing events.
            self.overflowed = True

    async def next(self, timeout: float) -> Event | None:
        """The next event, or None after `timeout` seconds without one."""
        try:
            return await asyncio.wait_for(self.queue.get(), timeout)
        except TimeoutError:
            return None


class Bus(Protocol):
    def publish(self, topic: str, data: dict[str, Any]) -> None: ...

    def subscribe(self, prefix: str) -> Any: ...

    def close(self) -> None: ...


class InProcessBus:
    """Delivers to subscribers in this process; publish is safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: list[Subscription] = []

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        self._fan_out(Event(topic=topic, data=data))

    def _fan_out(self, event: Event) -> None:
        topic = event.topic
        with self._lock:
            targets = [s for s in self._subscriptions if topic.startswith(s.prefix)]
        for sub in targets:
            if sub.loop.is_closed():
                continue
            sub.loop.call_soon_threadsafe(sub.offer, event)

    @asynccontextmanager
    async def subscribe(self, prefix: str) -> AsyncIterator[Subscription]:
        sub = Subscription(prefix=prefix, loop=asyncio.get_running_loop())
        with self._lock:
            self._subscriptions.append(sub)
        try:
            yield sub
        finally:
            with self._lock:
                self._subscriptions.remove(sub)

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscriptions)

    def close(self) -> None:
        """Nothing to release in process."""


class NatsBus(InProcessBus):
    """Events travel through a NATS server, so subscribers on every node receive them.

    The NATS client runs on an event loop of its own in a daemon thread, so publishing works
    the same from request threads, the worker and async streams.
    """

    def __init__(self, url: str, *, connect_timeout: float = 5.0) -> None:
        import nats  # imported here: single-node installs never load it

        super().__init__()
        self.url = url
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="bus")
        self._thread.start()

        async def connect() -> Any:
            client = await nats.connect(
                url, connect_timeout=connect_timeout, max_reconnect_attempts=-1, name="accord"
            )
            await client.subscribe(SUBJECT_PREFIX + ">", cb=self._received)
            await client.flush()
            return client

        future = asyncio.run_coroutine_threadsafe(connect(), self._loop)
        try:
            self._client = future.result(connect_timeout + 1)
        except BaseException:
            self._stop_loop()
            raise

    async def _received(self, message: Any) -> None:
        try:
            data = json.loads(message.data)
        except ValueError:
            log.warning("ignored a malformed bus message", extra={"subject": message.subject})
            return
        topic = message.subject.removeprefix(SUBJECT_PREFIX)
        self._fan_out(Event(topic=topic, data=data if isinstance(data, dict) else {}))

    def publish(self, topic: str, data: dict[str, Any]) -> None:
        payload = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
        asyncio.run_coroutine_threadsafe(
            self._client.publish(SUBJECT_PREFIX + topic, payload), self._loop
        )

    def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything published so far has reached the server (for tests, shutdown)."""
        asyncio.run_coroutine_threadsafe(self._client.flush(), self._loop).result(timeout)

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._client.drain(), self._loop).result(5)
        except Exception:  # closing anyway: the server may already be gone
            log.warning("the bus did not drain cleanly")
        self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()


def make_bus(url: str | None) -> InProcessBus:
    """The bus the settings ask for: NATS when a URL is set, else in-process."""
    return NatsBus(url) if url else InProcessBus()
