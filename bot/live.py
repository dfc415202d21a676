"""Bounded live queue between the gateway and the pipeline, drained in micro-batches (no discord imports)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain import Event, MemberJoin, Post, Reaction
from bot.service import BatchResult, ScanService

log = logging.getLogger(__name__)

ResultHandler = Callable[[BatchResult], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class LiveStats:
    """A snapshot of the live scorer for `/govmod status`."""

    depth: int
    capacity: int
    received: int
    scored: int
    events: int
    dropped: int
    failed: int
    batches: int
    max_depth: int
    last_batch_ms: float
    running: bool


def freeze_heap() -> None:
    """Move everything built at start-up (models, caches) out of the garbage collector's sight.

    A full collection re-scans every live object; with models loaded that pauses the event loop for
    well over 100 ms (measured: ~170 ms in the test process alone). Objects alive after start-up live
    for the whole run, so freezing them keeps later collections short.
    """
    gc.collect()
    gc.freeze()


def _kind(item: Event) -> str:
    return "post" if isinstance(item, Post) else "reaction" if isinstance(item, Reaction) else "join"


class LiveScorer:
    """Accept posts and events without blocking the gateway; score them in micro-batches, one batch at a time.

    Back-pressure: when the queue is full a producer waits at most `put_timeout` seconds, and at most
    `max_waiters` producers (default: as many as the queue holds) wait at once, so memory stays bounded;
    an item that cannot be queued is counted as dropped (shown by `/govmod status`), never silently lost.
    """

    def __init__(
        self, service: ScanService, *, queue_max: int = 2000, batch_max: int = 32, batch_wait_ms: int = 50,
        put_timeout: float = 10.0, max_waiters: int | None = None,
    ) -> None:
        """Bind to the scan service; nothing runs until `start`."""
        self.service = service
        self.queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=max(1, queue_max))
        self.batch_max = max(1, batch_max)
        self.batch_wait = max(0, batch_wait_ms) / 1000
        self.put_timeout = put_timeout
        self.max_waiters = max_waiters if max_waiters is not None else self.queue.maxsize
        self.counts: Counter[str] = Counter()
        self.dropped_ids: list[str] = []  # the most recent dropped post ids, for operators
        self.max_depth = 0
        self.last_batch_ms = 0.0
        self._handlers: list[ResultHandler] = []
        self._handler_tasks: set[asyncio.Task[None]] = set()
        self._waiting = 0
        self._accepting = False
        self._task: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()  # the pipeline's stateful detectors see one batch at a time

    # ----------------------------------------------------------------- producers
    def subscribe(self, handler: ResultHandler) -> None:
        """Call `handler` with every stored batch result (the review cog posts alerts from it)."""
        self._handlers.append(handler)

    def unsubscribe(self, handler: ResultHandler) -> None:
        """Stop calling `handler`."""
        with contextlib.suppress(ValueError):
            self._handlers.remove(handler)

    async def submit(self, item: Event) -> bool:
        """Queue a post or event; return False (and count it as dropped) if it could not be queued in time."""
        self.counts["received"] += 1
        if not self._accepting:
            return self._drop(item, "not running")
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            if self._waiting >= self.max_waiters:
                return self._drop(item, "queue full")
            self._waiting += 1
            try:
                await asyncio.wait_for(self.queue.put(item), self.put_timeout)
            except TimeoutError:
                return self._drop(item, "queue full")
            finally:
                self._waiting -= 1
        self.max_depth = max(self.max_depth, self.queue.qsize())
        return True

    def _drop(self, item: Event, why: str) -> bool:
        self.counts["dropped"] += 1
        self.counts[f"dropped_{_kind(item)}"] += 1
        if isinstance(item, Post):
            self.dropped_ids = [*self.dropped_ids[-49:], item.id]
        if self.counts["dropped"] in (1, 10, 100) or self.counts["dropped"] % 1000 == 0:
            log.warning("live queue %s: %d items dropped so far (see /govmod status)", why, self.counts["dropped"])
        return False

    # ----------------------------------------------------------------- scoring
    async def score_batch(self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin] = ()) -> BatchResult:
        """Score and store a batch now (used by the drain loop, backfill and the context menu)."""
        async with self._lock:
            started = time.perf_counter()
            result = await self.service.process(posts, events)
            self.last_batch_ms = (time.perf_counter() - started) * 1000
        self.counts["scored"] += len(posts)
        self.counts["events"] += len(events)
        self.counts["batches"] += 1
        self._publish(result)
        return result

    async def score_profiles(self, subjects: Sequence[Post]) -> BatchResult:
        """Judge members' names (joins, name changes) now and hand any case to the result handlers."""
        async with self._lock:
            result = await self.service.process_profiles(subjects)
        self.counts["profiles"] += len(subjects)
        self._publish(result)
        return result

    def _publish(self, result: BatchResult) -> None:
        """Call every subscribed handler with a stored result, each in its own task."""
        for handler in list(self._handlers):
            task = asyncio.create_task(self._notify(handler, result))
            self._handler_tasks.add(task)
            task.add_done_callback(self._handler_tasks.discard)

    async def _notify(self, handler: ResultHandler, result: BatchResult) -> None:
        try:
            await handler(result)
        except Exception:
            log.exception("batch result handler %r failed", handler)

    async def _next_batch(self) -> list[Event]:
        """Wait for one item, then gather company for up to `batch_wait` seconds or `batch_max` items."""
        batch = [await self.queue.get()]
        deadline = asyncio.get_running_loop().time() + self.batch_wait
        while len(batch) < self.batch_max:
            try:
                batch.append(self.queue.get_nowait())
                continue
            except asyncio.QueueEmpty:
                pass
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self.queue.get(), remaining))
            except TimeoutError:
                break
        return batch

    async def _drain(self) -> None:
        while True:
            batch = await self._next_batch()
            posts = [i for i in batch if isinstance(i, Post)]
            events = [i for i in batch if not isinstance(i, Post)]
            try:
                await self.score_batch(posts, events)
            except Exception:
                self.counts["failed"] += len(batch)
                log.exception("scoring a batch of %d items failed; counted as failed", len(batch))
            finally:
                for _ in batch:
                    self.queue.task_done()

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> None:
        """Start the drain loop (idempotent)."""
        self._accepting = True
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="govmod-live-drain")

    @property
    def running(self) -> bool:
        """Return True while the drain loop runs."""
        return self._task is not None and not self._task.done()

    async def flush(self, timeout: float | None = None) -> None:
        """Wait until everything queued so far is scored and every result handler finished."""
        async def settle() -> None:
            await self.queue.join()
            while self._handler_tasks:
                await asyncio.gather(*list(self._handler_tasks), return_exceptions=True)

        await asyncio.wait_for(settle(), timeout)

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop accepting, score and store what is queued (up to `timeout` s), then end the drain loop."""
        self._accepting = False
        if self.running:
            try:
                await self.flush(timeout)
            except TimeoutError:
                log.error("shutdown: %d queued items not scored within %.0f s", self.queue.qsize(), timeout)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        left = self.queue.qsize()
        while not self.queue.empty():
            self._drop(self.queue.get_nowait(), "shutdown")
            self.queue.task_done()
        if left:
            log.error("shutdown: %d items were not scored (counted as dropped)", left)

    def stats(self) -> LiveStats:
        """Return the counters shown by `/govmod status`."""
        c = self.counts
        return LiveStats(
            depth=self.queue.qsize(), capacity=self.queue.maxsize, received=c["received"], scored=c["scored"],
            events=c["events"], dropped=c["dropped"], failed=c["failed"], batches=c["batches"],
            max_depth=self.max_depth, last_batch_ms=self.last_batch_ms, running=self.running,
        )
