"""The weekly report counts the cases that never reached a moderator (no alert posted, nobody reviewed)."""

from __future__ import annotations

from bot.reporting.data import load_report
from bot.reporting.render_md import build_blocks, to_markdown
from bot.storage import Database
from tests.reporting.conftest import G


async def test_cases_without_alert_and_review_are_counted_until_their_alert_lands(seeded: Database) -> None:
    report = await load_report(seeded, G, "2026-W47")
    assert report.decisions.unreached == 1  # case 4: open, never alerted, never reviewed (the seed posts no alerts)
    assert "1 case(s) never reached a moderator" in to_markdown(build_blocks(report), {})
    await seeded.conn.execute("UPDATE cases SET alert_channel_id = 'm', alert_message_id = '77' WHERE id = 4")
    report = await load_report(seeded, G, "2026-W47")
    assert report.decisions.unreached == 0 and "never reached a moderator" not in to_markdown(build_blocks(report), {})
