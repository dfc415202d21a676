"""The weekly report's Threat signals section appears when a threat detector opened a case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain import Post
from bot.pipeline import Pipeline
from bot.reporting.data import load_report
from bot.reporting.render_md import render_markdown
from bot.reporting.weeks import week_of
from bot.service import ScanService
from bot.storage import Database
from models.threats.scam_link import ScamLinkDetector


async def test_threat_section_lists_scam_link_cases(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "r.db")
    try:
        now = datetime(2026, 11, 18, 15, tzinfo=UTC)  # a fixed Wednesday: the test passes on any date
        service = ScanService(Pipeline(None, [ScamLinkDetector.load()]), db)
        post = Post(id="1001", channel_id="5", author_id="77", guild_id="9", created_at=now,
                    content="claim your airdrop https://uniswap-claim.xyz", author_created_at=now - timedelta(days=1))
        result = await service.process([post])
        assert [c.detector for c in result.cases] == ["scam_link"]
        text = render_markdown(await load_report(db, "9", week_of(now)))
        assert "## Threat signals" in text and "| Scam links | 1 | 1 | 0 | 0 | 1 |" in text
        quiet = render_markdown(await load_report(db, "8", week_of(now)))
        assert "Threat signals" not in quiet
    finally:
        await db.close()
