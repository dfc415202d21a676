"""Settings, campaign score and moderator-readable evidence for the coordination detector."""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from models.coordination.state import Campaign, Entry, GuildState
from models.paths import WEIGHTS_DIR

log = logging.getLogger(__name__)

WEIGHTS_FILE = WEIGHTS_DIR / "coordination.json"


@dataclass(frozen=True, slots=True)
class CoordinationConfig:
    """Every window and threshold of the detector, with where its default comes from."""

    # Campaigns in the scenarios run from 2 minutes to 2 hours; 6 h holds a whole 2 h
    # campaign even when it starts late, with room for stragglers, and keeps the window small.
    window: timedelta = timedelta(hours=6)
    # Hard cap on posts held per guild so a flood cannot grow memory past ~30 MB (20k x 384 x 4 B).
    max_window_posts: int = 20_000
    # Phrase commonness and account history look back a week: "daily" phrases show up on most days.
    history: timedelta = timedelta(days=7)
    # A near-duplicate seen on 3 earlier days of the week is a server habit ("gm fam, have a great
    # day"), not a talking point; commonness = days_seen / common_days, capped at 1.
    common_days: int = 3
    # A day counts as "seen" when at least this many of the 16 band keys recur (1 = any band, which
    # a merely related post with Jaccard ~0.3 hits one time in eight).
    common_min_bands: int = 1
    # 5-character shingles are the usual choice for short web text (Broder; Leskovec et al., MMDS ch.3):
    # long enough that unrelated tweets share few, short enough that a typo breaks only 5 of them.
    shingle_k: int = 5
    num_perm: int = 64
    bands: int = 16  # 16 x 4 rows: 50% LSH recall at Jaccard 0.5, ~99% at 0.7
    # Estimated Jaccard >= 0.6 over 5-shingles = a copy or a light edit (a few words changed).
    copy_jaccard: float = 0.6
    # Cosine of MiniLM embeddings for "same talking point"; tuned by models/coordination/tune_paraphrase.py on
    # STS-B + MRPC train at precision 0.9 (the stored value in weights/coordination.json wins).
    paraphrase_cosine: float = 0.80
    # Phatic messages ("gm", "+1", "congrats!", "agreed") are 1-3 words; texts under these
    # lengths never link. Paraphrase links need more words: MiniLM puts any two short greetings close.
    min_copy_words: int = 3
    min_paraphrase_words: int = 6
    # Information of a text grows with its length until full_info_words words (a full sentence).
    full_info_words: int = 10
    # Account facts: Discord's own raid heuristics and most servers' verification gates use days/weeks.
    new_account_days: int = 30
    recent_join_days: int = 7
    low_history_posts: int = 3  # fewer posts than this in the week before = "little server history"
    # ...but only once the detector has watched the guild this long: before that everyone looks new.
    history_warmup: timedelta = timedelta(days=1)
    # Lurkers also have little history, so it counts less than a new account or a fresh join.
    low_history_weight: float = 0.7
    # Join raids and reaction brigades: bursts within 10 minutes, as in Discord's raid alerts.
    burst: timedelta = timedelta(minutes=10)
    raid_min_joins: int = 5
    brigade_min_reactions: int = 5
    # Score = accounts x similarity x information x (1 - commonness) x (base + (1 - base) x suspicion);
    # base 0.3 lets an exact copy campaign by established accounts reach about half the maximum.
    suspicion_base: float = 0.3
    # Accounts strength 1 - exp(-(a - 1) / strength_scale): 2.5 gives 3 accounts 0.55, 10 accounts 0.97.
    strength_scale: float = 2.5
    cross_thread_focus: bool = False
    # Default flag threshold (chosen on the simulator's dev seed, evaluated on other seeds).
    threshold: float = 0.45

    @classmethod
    def from_file(cls, path: Path | None = None, **overrides: Any) -> CoordinationConfig:
        """Return the defaults, updated by the tuned JSON (if present) and then by overrides."""
        values: dict[str, Any] = {}
        path = path or WEIGHTS_FILE
        if path.exists():
            stored = json.loads(path.read_text())
            names = {f.name for f in fields(cls)}
            values.update({k: v for k, v in stored.items() if k in names})
        values.update(overrides)
        for key in ("window", "history", "burst", "history_warmup"):
            if isinstance(values.get(key), int | float):
                values[key] = timedelta(seconds=float(values[key]))
        return cls(**values)


def _age_days(at: datetime, since: datetime | None) -> float | None:
    return None if since is None else (at - since).total_seconds() / 86400


@dataclass(frozen=True, slots=True)
class CampaignFacts:
    """The measured signals of one campaign, in [0, 1] unless said otherwise."""

    accounts: int
    posts: int
    similarity: float
    copy_share: float
    span: timedelta
    new_accounts: int
    recent_joins: int
    low_history: int
    topic: str
    topic_share: float
    information: float
    commonness: float
    raid_joins: int
    brigade_reactors: int
    tightness: float
    suspicion: float
    score: float


def author_flags(entry: Entry, state: GuildState, cfg: CoordinationConfig) -> tuple[int, int, int, int]:
    """Return (new account, recent join, little history, raid joiner) for an author's first campaign post.

    Computed once when the author joins the campaign, so scoring a campaign of 20,000 accounts
    costs the same as one of five.
    """
    warm = state.started is not None and entry.at - state.started >= cfg.history_warmup
    age = _age_days(entry.at, entry.account_created)
    new = age is not None and age < cfg.new_account_days
    member = state.members.peek(entry.author)
    joined = entry.joined or (member.joined if member else None)
    since_join = _age_days(entry.at, joined)
    recent = since_join is not None and since_join < cfg.recent_join_days
    low = warm and entry.prior_posts < cfg.low_history_posts
    raid = False
    if joined is not None and recent:
        raid = len(state.joins.between(joined - cfg.burst, joined + cfg.burst)) >= cfg.raid_min_joins
    return int(new), int(recent), int(low), int(raid)


def campaign_facts(camp: Campaign, state: GuildState, cfg: CoordinationConfig) -> CampaignFacts:
    """Measure a campaign and combine the signals into its score."""
    a = len(camp.authors)
    posts = camp.n
    similarity = camp.sim_sum / camp.edges if camp.edges else 0.0
    copy_share = camp.copy_edges / camp.edges if camp.edges else 0.0
    new, recent, low, raid = camp.counts
    topic, top_n = max(camp.topics.items(), key=lambda kv: kv[1]) if camp.topics else ("", 0)
    topic_share = top_n / max(sum(camp.topics.values()), 1)
    # The same text pushed into several proposal threads is as focused as one thread hammered.
    focus = max(topic_share, min(1.0, (len(camp.topics) - 1) / 2)) if cfg.cross_thread_focus else topic_share
    mean_words = camp.words_sum / max(camp.n, 1)  # over every post ever added: eviction changes nothing
    information = min(1.0, max(0.0, (mean_words - 2) / (cfg.full_info_words - 2)))
    commonness = min(1.0, camp.common_sum / max(camp.n, 1))
    span = camp.last_at - camp.first_at
    tightness = 1.0 - min(1.0, span / cfg.window)
    brigade = state.brigades.get(topic, {})
    brigade_reactors = int(brigade.get("fresh_reactors", 0)) if brigade else 0  # type: ignore[call-overload]
    brigade_sig = min(1.0, brigade_reactors / (2 * cfg.brigade_min_reactions))
    accounts_sig = max(new, recent, cfg.low_history_weight * low) / a if a else 0.0
    raid_sig = raid / a if a else 0.0
    # Account facts carry half the weight: they are what separates a ring from a community that
    # agrees. Timing and topic focus are shared by organic bursts, so they count less.
    suspicion = (0.5 * accounts_sig + 0.15 * tightness + 0.15 * focus
                 + 0.1 * brigade_sig + 0.1 * raid_sig)
    strength = 1.0 - math.exp(-(a - 1) / cfg.strength_scale) if a > 1 else 0.0
    sim_factor = copy_share + (1 - copy_share) * 0.85  # a paraphrase is weaker evidence than a copy
    score = (strength * sim_factor * information * (1 - commonness)
             * (cfg.suspicion_base + (1 - cfg.suspicion_base) * suspicion))
    return CampaignFacts(
        accounts=a, posts=posts, similarity=similarity, copy_share=copy_share, span=span,
        new_accounts=new, recent_joins=recent, low_history=low, topic=topic, topic_share=topic_share,
        information=information, commonness=commonness, raid_joins=raid,
        brigade_reactors=brigade_reactors, tightness=tightness, suspicion=suspicion,
        score=float(min(1.0, max(0.0, score))),
    )


def _span_text(span: timedelta) -> str:
    minutes = span.total_seconds() / 60
    if minutes < 1:
        return "under a minute"
    if minutes < 120:
        return f"{minutes:.0f} minutes"
    return f"{minutes / 60:.1f} hours"


MAX_LISTED = 50  # members / messages listed in one output; the counts are always complete


def campaign_evidence(camp: Campaign, facts: CampaignFacts, state: GuildState,
                      cfg: CoordinationConfig) -> dict[str, Any]:
    """Return the evidence a moderator reads for a campaign."""
    kind = "near-identical text" if facts.copy_share >= 0.5 else "paraphrases of the same text"
    parts = [f"{facts.accounts} accounts"]
    if facts.new_accounts:
        parts.append(f"{facts.new_accounts} created in the last {cfg.new_account_days} days")
    if facts.recent_joins:
        parts.append(f"{facts.recent_joins} joined in the last {cfg.recent_join_days} days")
    if facts.low_history:
        parts.append(f"{facts.low_history} with under {cfg.low_history_posts} posts here in the past week")
    summary = (", ".join(parts) + f", posted {kind} within {_span_text(facts.span)}"
               f" on thread {facts.topic}")
    if facts.raid_joins:
        summary += f"; {facts.raid_joins} of them joined in a burst of joins"
    if facts.brigade_reactors:
        summary += f"; a reaction burst from {facts.brigade_reactors} fresh accounts hit this thread"
    listed = list(islice(camp.authors.items(), MAX_LISTED))
    ages = {a: (round(d, 1) if (d := _age_days(e.at, e.account_created)) is not None else None)
            for a, e in listed}
    evidence: dict[str, Any] = {
        "summary": summary,
        "campaign": camp.id,
        "accounts": facts.accounts,
        "posts": facts.posts,
        "members": [a for a, _ in listed],
        "message_ids": camp.post_ids[:MAX_LISTED],
        "first_at": camp.first_at.isoformat(),
        "last_at": camp.last_at.isoformat(),
        "span_seconds": round(facts.span.total_seconds()),
        "mean_similarity": round(facts.similarity, 3),
        "copy_share": round(facts.copy_share, 3),
        "account_age_days": ages,
        "new_accounts": facts.new_accounts,
        "recent_joins": facts.recent_joins,
        "low_history_accounts": facts.low_history,
        "topic": facts.topic,
        "topic_share": round(facts.topic_share, 3),
        "phrase_commonness": round(facts.commonness, 3),
        "suspicion": round(facts.suspicion, 3),
    }
    if facts.raid_joins:
        evidence["join_raid_members"] = facts.raid_joins
    brigade = state.brigades.get(facts.topic)
    if brigade:
        evidence["reaction_brigade"] = dict(brigade)
    return evidence
