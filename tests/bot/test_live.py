"""The live queue: micro-batches, back-pressure, drops that are counted, drain on shutdown, a 1,000-message flood."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot.domain import Post
from bot.live import LiveScorer
from bot.pipeline import Pipeline
from bot.service import BatchResult, ScanService
from bot.storage import Database
from tests.helpers import payloads as p
from tests.helpers.govmod_fixtures import FakeToxicity, running


def _post(i: int, text: str = "hello") -> Post:
    return Post(id=str(1000 + i), channel_id="10", author_id=str(500 + i % 7), content=text,
                created_at=datetime(2026, 11, 20, 12, tzinfo=UTC), guild_id="1")


async def _count_posts(db: Database) -> int:
    async with db.conn.execute("SELECT COUNT(*) FROM posts") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def test_micro_batches_and_results_reach_subscribers(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    tox = FakeToxicity()
    live = LiveScorer(ScanService(Pipeline(None, [tox]), db), batch_max=8, batch_wait_ms=20)
    seen: list[BatchResult] = []

    async def handler(result: BatchResult) -> None:
        seen.append(result)

    live.subscribe(handler)
    live.start()
    for i in range(20):
        assert await live.submit(_post(i, "idiot" if i == 3 else "fine"))
    await live.flush(5)
    assert sum(tox.batches) == 20 and max(tox.batches) <= 8 and len(tox.batches) < 20
    assert [u.outcome for r in seen for u in r.cases] == ["opened"]
    await live.stop()
    await db.close()


async def test_full_queue_drops_are_counted_never_silent(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    live = LiveScorer(ScanService(Pipeline(None, [FakeToxicity()]), db), queue_max=5, put_timeout=0.01)
    results = [await live.submit(_post(i)) for i in range(3)]  # not started: refused and counted
    assert results == [False, False, False] and live.stats().dropped == 3
    live._accepting = True  # accept without draining: the queue fills up
    results = [await live.submit(_post(i)) for i in range(8)]
    assert results == [True] * 5 + [False] * 3
    stats = live.stats()
    assert stats.depth == 5 and stats.dropped == 6 and stats.received == 11
    assert live.dropped_ids[-1] == _post(7).id
    await db.close()


async def test_stop_scores_and_stores_what_is_queued(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    live = LiveScorer(ScanService(Pipeline(None, [FakeToxicity(delay=0.01)]), db), batch_max=4)
    live.start()
    for i in range(30):
        await live.submit(_post(i))
    await live.stop()
    assert await _count_posts(db) == 30 and live.stats().scored == 30 and not live.running
    assert not await live.submit(_post(99))  # after shutdown: counted as dropped
    await db.close()


async def _flood(tmp_path: Path, n: int, **live_options: object) -> tuple[object, set[int], int]:
    """Deliver n messages in gateway bursts; return the stats, the threads the model ran on, and the rows stored.

    The event loop must never run the model: that is checked by thread, not by timing (timing is what
    `govmod bench` measures), so the test means the same on a loaded machine.
    """
    tox = FakeToxicity(delay=0.01)
    threads: set[int] = set()
    score = tox.score
    tox.score = lambda posts, ctx: threads.add(threading.get_ident()) or score(posts, ctx)  # type: ignore[method-assign]
    async with running(tmp_path / "f.db", [tox], **live_options) as r:
        chan = r.fake.channel("governance")
        author = p.from_member(r.fake.member("alice"))
        payloads = [p.message(channel_id=chan.id, guild_id=r.guild.id, author=author,
                              content="idiot" if i % 100 == 0 else f"post {i}") for i in range(n)]
        for start in range(0, n, 50):  # the gateway delivers a burst, a few events per loop turn
            for data in payloads[start:start + 50]:
                r.fake.state.parse_message_create(data)
            await asyncio.sleep(0)
        await r.fake.settle(60)
        await r.bot.live.flush(60)
        stored = await _count_posts(r.bot.db)
        return r.bot.live.stats(), threads, stored


async def test_flood_of_1000_messages_with_default_settings_scores_every_one(tmp_path: Path) -> None:
    stats, threads, stored = await _flood(tmp_path, 1000)  # queue_max 2000, batch_max 32 (the defaults)
    assert stats.received == 1000 and stats.dropped == 0  # type: ignore[attr-defined]
    assert stats.scored == stored == 1000  # type: ignore[attr-defined]
    assert stats.batches <= 1000 / 8  # type: ignore[attr-defined]  # micro-batched, not one by one
    assert threads and threading.get_ident() not in threads  # the model never ran on the event loop


async def test_flood_into_a_small_queue_applies_back_pressure(tmp_path: Path) -> None:
    stats, threads, stored = await _flood(tmp_path, 1000, queue_max=100, batch_max=32)
    assert stats.received == 1000  # type: ignore[attr-defined]
    assert stats.max_depth <= 100  # type: ignore[attr-defined]  # bounded memory
    assert stats.scored + stats.dropped == 1000  # type: ignore[attr-defined]  # scored or reported
    assert stored == stats.scored  # type: ignore[attr-defined]
    assert threads and threading.get_ident() not in threads  # the model never ran on the event loop


async def test_flood_beyond_capacity_reports_drops(tmp_path: Path) -> None:
    stats, threads, stored = await _flood(tmp_path, 1000, queue_max=20, batch_max=8, put_timeout=0.02,
                                          max_waiters=10)
    assert stats.dropped > 0 and stats.max_depth <= 20  # type: ignore[attr-defined]
    assert stats.scored + stats.dropped == 1000 and stored == stats.scored  # type: ignore[attr-defined]
    assert threads and threading.get_ident() not in threads  # the model never ran on the event loop


class FlakyStorage:
    """Make the first write of a batch (saving a post) fail with SQLITE_BUSY a given number of times."""

    def __init__(self, service: ScanService, failures: int) -> None:
        """Wrap `service.posts.save`."""
        self.failures, self.calls = failures, 0
        self._save = service.posts.save
        service.posts.save = self.save  # type: ignore[method-assign]

    async def save(self, post: Post) -> None:
        """Fail while failures are left, then save for real."""
        self.calls += 1
        if self.failures > 0:
            self.failures -= 1
            import sqlite3

            raise sqlite3.OperationalError("database is locked")
        await self._save(post)


async def test_a_batch_whose_first_write_fails_with_sqlite_busy_is_stored_on_retry(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    tox = FakeToxicity()
    service = ScanService(Pipeline(None, [tox]), db)
    flaky = FlakyStorage(service, failures=1)
    live = LiveScorer(service, batch_max=8, batch_wait_ms=5, retry_delays=(0.01, 0.01))
    opened: list[int] = []

    async def handler(result: BatchResult) -> None:
        opened.extend(u.case_id for u in result.cases)

    live.subscribe(handler)
    live.start()
    assert await live.submit(_post(1, "you idiot"))
    await live.flush(5)
    assert await _count_posts(db) == 1 and len(opened) == 1 and flaky.calls == 2
    assert tox.batches == [1]  # scored once, stored on the second attempt
    stats = live.stats()
    assert stats.unsaved == 0 and stats.failed == 0 and stats.storage_error is None
    await live.stop()
    await db.close()


async def test_storage_down_keeps_batches_in_order_and_stores_them_when_it_is_back(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    service = ScanService(Pipeline(None, [FakeToxicity()]), db)
    flaky = FlakyStorage(service, failures=10**6)  # down until the test says otherwise
    live = LiveScorer(service, batch_max=2, batch_wait_ms=1, retry_delays=(0.01,))
    live.start()
    for i in range(6):
        assert await live.submit(_post(i, "idiot" if i == 4 else "fine"))
    await live.flush(5)
    stats = live.stats()
    assert stats.unsaved == 6 and stats.storage_error == "database is locked" and await _count_posts(db) == 0
    flaky.failures = 0  # storage is back: the idle loop retries on its own
    for _ in range(200):
        if not live.unsaved:
            break
        await asyncio.sleep(0.01)
    assert await _count_posts(db) == 6 and live.stats().unsaved == 0 and live.stats().storage_error is None
    await live.stop()
    assert live.stats().lost == 0
    await db.close()


async def test_storage_still_down_at_shutdown_counts_what_is_lost(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "l.db")
    service = ScanService(Pipeline(None, [FakeToxicity()]), db)
    FlakyStorage(service, failures=10**6)
    live = LiveScorer(service, batch_max=4, batch_wait_ms=1, retry_delays=())
    live.start()
    for i in range(3):
        await live.submit(_post(i))
    await live.flush(5)
    await live.stop()
    assert live.stats().lost == 3 and live.stats().unsaved == 0
    await db.close()
