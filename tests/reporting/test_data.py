"""Report numbers on the seeded database against values worked out by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.reporting.data import excerpt, load_report
from bot.reporting.model import Outcomes
from bot.storage import Database

from .conftest import G


async def test_totals_of_the_week(seeded: Database) -> None:
    r = await load_report(seeded, G, "2026-W47")
    t = r.totals
    assert (t.posts_scored, t.active_accounts, t.flagged_posts, t.flagged_accounts) == (9, 6, 7, 5)
    assert dict(t.flags) == {"coordination": 3, "ai_generated": 3, "toxicity": 2}
    assert (t.cases, t.campaigns) == (5, 1)
    assert (t.new_accounts, t.new_account_posts) == (3, 4)  # 200, 201, 202: p2, p3, p4, p10
    assert t.outcomes == Outcomes(confirmed=2, dismissed=1, escalated=1, open=1)
    assert t.outcomes.precision == pytest.approx(2 / 3)


async def test_previous_week_for_the_change(seeded: Database) -> None:
    p = (await load_report(seeded, G, "2026-W47")).previous
    assert p.week == "2026-W46"
    assert (p.posts_scored, p.flagged_posts, p.cases, p.campaigns) == (5, 3, 2, 1)
    assert (p.new_accounts, p.new_account_posts) == (3, 3)
    assert p.outcomes == Outcomes(dismissed=2)
    assert p.outcomes.precision == 0.0


async def test_flags_per_day(seeded: Database) -> None:
    r = await load_report(seeded, G, "2026-W47")
    assert [d.day for d in r.daily] == [date(2026, 11, d) for d in range(16, 23)]
    assert [dict(d.counts) for d in r.daily] == [
        {"coordination": 3, "ai_generated": 1}, {"toxicity": 1}, {"ai_generated": 2}, {}, {}, {}, {"toxicity": 1},
    ]


async def test_precision_per_detector_and_history(seeded: Database) -> None:
    r = await load_report(seeded, G, "2026-W47")
    by = {p.detector: p.outcomes for p in r.precision}
    assert by["coordination"] == Outcomes(confirmed=1)
    assert by["ai_generated"] == Outcomes(dismissed=1, open=1)
    assert by["toxicity"] == Outcomes(confirmed=1, escalated=1)
    assert [by[d].precision for d in ("coordination", "ai_generated", "toxicity")] == [1.0, 0.0, 1.0]
    history = {h.week: dict(h.precision) for h in r.history}
    assert len(r.history) == 8 and r.history[-1].week == "2026-W47" and r.history[0].week == "2026-W40"
    assert history["2026-W45"] == {"ai_generated": None, "coordination": None, "toxicity": 1.0}
    assert history["2026-W46"] == {"ai_generated": None, "coordination": 0.0, "toxicity": 0.0}
    assert history["2026-W47"] == {"ai_generated": 0.0, "coordination": 1.0, "toxicity": 1.0}


async def test_decisions_and_time_to_decision(seeded: Database) -> None:
    d = (await load_report(seeded, G, "2026-W47")).decisions
    assert d.decided == 4
    assert d.median_hours == pytest.approx(4.0)  # hours 2, 24, 1, 6
    assert d.max_hours == pytest.approx(24.0)


async def test_campaign_list(seeded: Database) -> None:
    r = await load_report(seeded, G, "2026-W47")
    assert len(r.campaigns) == 1
    c = r.campaigns[0]
    assert (c.case_id, c.campaign_id, c.status, c.posts, c.topic_id, c.topics) == (1, "k1", "confirmed", 3, "t1", 1)
    assert c.accounts == ("200", "201", "202")
    assert c.new_accounts == 3
    assert c.median_age_days == pytest.approx(6 + (11 * 60 + 5) / 1440)
    assert (c.first_at, c.last_at) == (datetime(2026, 11, 16, 11, tzinfo=UTC), datetime(2026, 11, 16, 11, 10,
                                                                                        tzinfo=UTC))
    assert c.excerpt.startswith("@\u200beveryone vote YES") and len(c.excerpt) <= 160


async def test_targets_accounts_and_new_accounts(seeded: Database) -> None:
    r = await load_report(seeded, G, "2026-W47")
    assert [(t.topic_id, t.posts, t.flagged_posts, t.flagged_accounts, t.campaigns) for t in r.topics] == [
        ("c2", 5, 4, 2, 0), ("t1", 3, 3, 3, 1)]
    assert [(a.author_id, a.posts, a.flagged_posts) for a in r.accounts] == [
        ("101", 2, 2), ("300", 2, 2), ("200", 2, 1), ("201", 1, 1), ("202", 1, 1)]
    assert dict(r.accounts[-1].by_detector) == {"coordination": 1, "ai_generated": 1}
    assert [(n.author_id, n.posts, n.flagged_posts, n.topics) for n in r.new_accounts] == [
        ("200", 2, 1, 2), ("201", 1, 1, 1), ("202", 1, 1, 1)]
    assert [e.post_id for e in r.examples] == ["p5", "p4", "p2", "p3", "p7"]


async def test_names_only_when_allowed(seeded: Database) -> None:
    hidden = await load_report(seeded, G, "2026-W47", show_names=False)
    shown = await load_report(seeded, G, "2026-W47", show_names=True)
    assert hidden.accounts[0].label == "101" and hidden.campaigns[0].accounts[0] == "200"
    assert shown.accounts[0].label == "bob (101)" and shown.campaigns[0].accounts[0] == "sock1 (200)"


async def test_other_guild_and_empty_week(seeded: Database) -> None:
    other = await load_report(seeded, "g2", "2026-W47")
    assert (other.totals.posts_scored, other.totals.flagged_posts, other.totals.cases) == (1, 1, 0)
    empty = await load_report(seeded, G, "2026-W30")
    assert (empty.totals.posts_scored, empty.campaigns, empty.accounts, empty.decisions.median_hours) == (
        0, (), (), None)


async def test_bad_week_is_rejected(seeded: Database) -> None:
    with pytest.raises(ValueError, match="ISO week"):
        await load_report(seeded, G, "2026-47")


def test_excerpt_is_short_one_line_and_pings_nobody() -> None:
    text = excerpt("hi @here\n\n" + "x" * 500)
    assert len(text) <= 160 and "\n" not in text and "@\u200bhere" in text and text.endswith("…")
    assert excerpt(None) == "(text expired)"
