"""Maintenance cog: the retention period forgets old post text, keeps hashes and verdicts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import Post
from bot.storage import PostRepo
from tests.helpers.govmod_fixtures import running


async def test_retention_purges_old_text_daily(tmp_path: Path) -> None:
    now = datetime(2026, 11, 25, tzinfo=UTC)
    async with running(tmp_path / "g.db") as env:
        cog = env.bot.get_cog("Maintenance")
        assert cog is not None and cog.retention.is_running()
        repo = PostRepo(env.bot.db)
        async with env.bot.db.transaction():
            for pid, age in (("old", 45), ("new", 2)):
                await repo.save(Post(id=pid, channel_id="1", author_id="2", content=f"text {pid}",
                                     created_at=now - timedelta(days=age), guild_id="9"))
        assert await cog.purge(now) == 1  # default retention: 30 days
        old, new = await repo.get("old"), await repo.get("new")
        assert old is not None and old.content == "" and new is not None and new.content == "text new"
        async with env.bot.db.conn.execute("SELECT content_hash FROM posts WHERE id = 'old'") as cur:
            assert len((await cur.fetchone())[0]) == 64
