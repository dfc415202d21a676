"""Bounded live queue between the gateway and the pipeline, drained in micro-batches (no discord imports)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import logging
import sqlite3
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot.domain import Event, MemberJoin, Post, Reaction
from bot.service import BatchResult, ScanService, ScoredBatch
from bot.storage import StorageError

log = logging.getLogger(__name__)

ResultHandler = Callable[[BatchResult], Awaitable[None]]
STORAGE_ERRORS = (StorageError, sqlite3.Error, OSError)  # SQLITE_BUSY, a full disk, a read-only file, ...
RETRY_DELAYS = (0.1, 0.5, 2.0)  # seconds between attempts to store one batch before keeping it for later


class StorageUnavailable(RuntimeError):
    """Storage failed; the scored batch is kept in memory and stored when storage works again."""


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
    unsaved: int = 0  # posts and events scored but not yet stored (storage is failing), kept in memory
    lost: int = 0  # of those, given up on at shutdown (counted, logged with their ids)
    storage_error: str | None = None  # the last storage failure while something is unsaved


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

    Storage failures: a batch is scored once (the stateful detectors have taken it in), then stored with
    retries (`retry_delays`); if storage stays down the scored batch is kept, in order, and retried before
    anything newer is stored. At most `backlog_max` batches are kept; beyond that the drain loop stops
    taking work, so the queue fills and back-pressure (and, at worst, counted drops) takes over.
    """

    def __init__(
        self, service: ScanService, *, queue_max: int = 2000, batch_max: int = 32, batch_wait_ms: int = 50,
        put_timeout: float = 10.0, max_waiters: int | None = None, backlog_max: int = 64,
        retry_delays: Sequence[float] = RETRY_DELAYS,
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
        self.unsaved: deque[ScoredBatch] = deque()  # scored, not yet stored: oldest first
        self.backlog_max = max(1, backlog_max)
        self.retry_delays = tuple(retry_delays)
        self.storage_error: str | None = None

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
    async def score_batch(self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin] = (),
                          positions: Sequence[int] | None = None) -> BatchResult:
        """Score and store a batch now (used by the drain loop, backfill and the context menu).

        events[k] happened after the first positions[k] posts (default: before all of them).

        Raises StorageUnavailable when the batch was scored but could not be stored yet (it is kept and
        stored later, after the batches before it).
        """
        async with self._lock:
            started = time.perf_counter()
            scored = await self.service.score(posts, events, positions)
            self.last_batch_ms = (time.perf_counter() - started) * 1000
            self.counts["scored"] += len(scored.posts)
            self.counts["events"] += len(events)
            self.counts["batches"] += 1
            self.unsaved.append(scored)
            results = await self._store_unsaved()
        result = results.get(id(scored))
        if result is None:
            raise StorageUnavailable(f"storage failed ({self.storage_error}); {self.unsaved_items()} scored items "
                                     "are kept in memory and will be stored when it works again")
        return result

    async def _store_unsaved(self) -> dict[int, BatchResult]:
        """Store the kept batches oldest first, each with retries; stop at the first that still fails."""
        stored: dict[int, BatchResult] = {}
        while self.unsaved:
            batch = self.unsaved[0]
            result = await self._store_with_retries(batch)
            if result is None:
                return stored
            self.unsaved.popleft()
            stored[id(batch)] = result
            self._publish(result)
        if self.storage_error is not None:
            log.warning("storage works again: every kept batch is stored")
            self.storage_error = None
        return stored

    async def _store_with_retries(self, batch: ScoredBatch) -> BatchResult | None:
        for attempt, delay in enumerate((0.0, *self.retry_delays)):
            if delay:
                await asyncio.sleep(delay)
            try:
                return await self.service.store(batch)
            except STORAGE_ERRORS as exc:
                error = str(exc) or type(exc).__name__
                log.debug("storing a batch failed (attempt %d): %s", attempt + 1, error)
        if self.storage_error != error:
            log.error("storage is failing (%s): %d scored items kept in memory, retrying (see /govmod status)",
                      error, self.unsaved_items())
        self.storage_error = error
        return None

    def unsaved_items(self) -> int:
        """Return how many posts and events are scored but not stored."""
        return sum(b.size for b in self.unsaved)

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
            if self.unsaved and (len(self.unsaved) >= self.backlog_max or self.queue.empty()):
                # storage is down: retry the kept batches now and then; take new work only while there is room
                await asyncio.sleep(self.retry_delays[-1] if self.retry_delays else 1.0)
                async with self._lock:
                    await self._store_unsaved()
                continue
            batch = await self._next_batch()
            posts = [i for i in batch if isinstance(i, Post)]
            events = [i for i in batch if not isinstance(i, Post)]
            places = list(itertools.accumulate(isinstance(i, Post) for i in batch))  # posts up to each item
            try:
                await self.score_batch(posts, events, [n for n, i in zip(places, batch, strict=True)
                                                       if not isinstance(i, Post)])
            except StorageUnavailable:
                pass  # kept in self.unsaved; logged once and shown by /govmod status
            except Exception:
                self.counts["failed"] += len(batch)
                log.exception("scoring a batch of %d items failed; counted as failed (ids: %s)", len(batch),
                              ", ".join(p.id for p in posts[:20]))
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
        if self.unsaved:
            async with self._lock:
                await self._store_unsaved()
        if self.unsaved:
            lost = [p.id for b in self.unsaved for p in b.posts]
            self.counts["lost"] += self.unsaved_items()
            log.error("shutdown: storage still failing (%s); %d scored items could not be stored, posts: %s",
                      self.storage_error, self.unsaved_items(), ", ".join(lost[:50]))
            self.unsaved.clear()

    def stats(self) -> LiveStats:
        """Return the counters shown by `/govmod status`."""
        c = self.counts
        return LiveStats(
            depth=self.queue.qsize(), capacity=self.queue.maxsize, received=c["received"], scored=c["scored"],
            events=c["events"], dropped=c["dropped"], failed=c["failed"], batches=c["batches"],
            max_depth=self.max_depth, last_batch_ms=self.last_batch_ms, running=self.running,
            unsaved=self.unsaved_items(), lost=c["lost"], storage_error=self.storage_error if self.unsaved else None,
        )
