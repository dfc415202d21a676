"""Tests for the coordination simulator: seeded, labelled, with every campaign kind and trap."""

from __future__ import annotations

import random

import pytest

from bot.domain import MemberJoin, Post, Reaction
from models.coordination.simulate import TRAPS, simulate
from models.coordination.simulate_text import TALKING_POINTS, light_edit, paraphrase

TEXTS = [f"background tweet number {i} about topic {i % 17} with some more words" for i in range(500)]


@pytest.fixture(scope="module")
def scenario():  # type: ignore[no-untyped-def]
    return simulate(1, TEXTS, days=2, per_day=150, campaigns=9)


def test_same_seed_gives_the_same_history() -> None:
    a = simulate(5, TEXTS, days=2, per_day=50)
    b = simulate(5, TEXTS, days=2, per_day=50)
    assert [(type(e).__name__, e.created_at) for e in a.events] == [(type(e).__name__, e.created_at)
                                                                    for e in b.events]
    assert [p.content for p in a.posts] == [p.content for p in b.posts]
    c = simulate(6, TEXTS, days=2, per_day=50)
    assert [p.content for p in c.posts] != [p.content for p in a.posts]


def test_events_are_time_ordered_with_unique_post_ids(scenario) -> None:  # type: ignore[no-untyped-def]
    times = [e.created_at for e in scenario.events]
    assert times == sorted(times)
    assert all(isinstance(p, Post) and p.account_created_at is not None for p in scenario.posts)
    ids = [p.id for p in scenario.posts]
    assert len(ids) == len(set(ids))
    assert any(isinstance(e, MemberJoin) for e in scenario.events)
    assert any(isinstance(e, Reaction) for e in scenario.events)


def test_campaigns_are_labelled_and_span_accounts(scenario) -> None:  # type: ignore[no-untyped-def]
    posts = {p.id: p for p in scenario.posts}
    assert len(scenario.campaigns) == 9
    assert {c.kind for c in scenario.campaigns} == {"copy", "edit", "paraphrase"}
    for camp in scenario.campaigns:
        authors = {posts[pid].author_id for pid in camp.post_ids}
        assert len(authors) == camp.n_accounts
        assert {posts[pid].topic_id for pid in camp.post_ids} == {camp.topic}
        span = max(posts[pid].created_at for pid in camp.post_ids) - min(posts[pid].created_at
                                                                        for pid in camp.post_ids)
        assert span <= camp.spread
        assert all(scenario.campaign_of[pid] == camp.id for pid in camp.post_ids)
    assert not set(scenario.campaign_of) & set(scenario.trap_of)


def test_every_trap_is_planted(scenario) -> None:  # type: ignore[no-untyped-def]
    posts = {p.id: p for p in scenario.posts}
    for trap in TRAPS:
        ids = [pid for pid, t in scenario.trap_of.items() if t == trap]
        assert len(ids) >= 10, trap
    repeat = [posts[pid] for pid, t in scenario.trap_of.items() if t == "repeater"]
    assert len({p.author_id for p in repeat}) == 1 and len({p.content for p in repeat}) == 1
    newcomers = [posts[pid] for pid, t in scenario.trap_of.items() if t == "newcomer_wave"]
    assert len({p.author_id for p in newcomers}) == len(newcomers)


def test_text_variations_stay_close_but_differ() -> None:
    rng = random.Random(0)
    src = TALKING_POINTS[0][0].replace("{p}", "AIP-1")
    edits = {light_edit(src, rng) for _ in range(10)}
    assert src not in edits or len(edits) > 1
    assert all(abs(len(e) - len(src)) < 25 for e in edits)
    paras = {paraphrase([v.replace("{p}", "AIP-1") for v in TALKING_POINTS[0]], rng) for _ in range(10)}
    assert len(paras) >= 5
    assert len(TALKING_POINTS) == 20 and all(len(v) == 5 for v in TALKING_POINTS)


def _pools() -> object:
    from models.coordination.eval_week import Pools

    gov = [f"governance sentence {i} about the budget of working group {i % 11} and its audits" for i in range(300)]
    pairs = [(f"the committee approved the grant number {i} on monday", f"on monday grant {i} was approved by "
              "the committee") for i in range(50)]
    return Pools(background=TEXTS, governance=gov, pairs=pairs)


def test_week_has_traffic_around_every_campaign_and_every_trap() -> None:
    from datetime import timedelta

    from models.coordination.eval import REPORT_SEEDS, TUNE_SEEDS
    from models.coordination.eval_week import KINDS, THREADS, week
    from models.coordination.eval_week import TRAPS as WEEK_TRAPS

    assert not set(TUNE_SEEDS) & set(REPORT_SEEDS)
    sc = week(3, _pools(), days=8, per_day=200)  # type: ignore[arg-type]
    posts = sc.posts
    assert (posts[-1].created_at - posts[0].created_at) >= timedelta(days=7)
    assert set(sc.trap_of.values()) == set(WEEK_TRAPS)
    assert {c.kind.split("/")[0] for c in sc.campaigns} == set(KINDS)
    assert {p.thread_id for p in posts} >= set(THREADS) and len({p.channel_id for p in posts}) >= 5
    ordinary = [p.created_at for p in posts if p.id not in sc.campaign_of and p.id not in sc.trap_of]
    for c in sc.campaigns:
        times = [p.created_at for p in posts if p.id in c.post_ids]
        assert any(t < min(times) for t in ordinary) and any(t > max(times) for t in ordinary)
        if max(times) - min(times) > timedelta(hours=1):
            assert any(min(times) <= t <= max(times) for t in ordinary)
    spans = sorted((min(t), max(t)) for c in sc.campaigns
                   if (t := [p.created_at for p in posts if p.id in c.post_ids]))
    assert any(later[0] <= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False))
