"""Reaction brigades for the coordination detector: a burst of fresh reactors on one message."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from models.coordination.score import MAX_LISTED, CoordinationConfig
from models.coordination.state import Entry, GuildState
from models.types import DetectorOutput, Reaction, snowflake_time

log = logging.getLogger(__name__)


def is_fresh(state: GuildState, user: str, at: datetime, created: datetime | None, joined: datetime | None,
             cfg: CoordinationConfig) -> bool:
    """Return True for a new account or a recent joiner."""
    member = state.members.peek(user)
    created = created or (member.created if member else None) or snowflake_time(user)
    joined = joined or (member.joined if member else None)
    new = created is not None and (at - created) < timedelta(days=cfg.new_account_days)
    recent = joined is not None and (at - joined) < timedelta(days=cfg.recent_join_days)
    return new or recent


def observe_reaction(state: GuildState, r: Reaction, cfg: CoordinationConfig,
                     ) -> tuple[str, Entry | None, DetectorOutput] | None:
    """Record a reaction; on a brigade return (topic, reacted entry, brigade output), else None."""
    target = state.entries.get(r.message_id)
    topic = target.topic if target else (r.channel_id or "")
    fresh_one = is_fresh(state, r.user_id, r.created_at, r.user_created_at, r.user_joined_at, cfg)
    state.reactions.add(r.created_at, f"{r.message_id}|{r.user_id}|{int(fresh_one)}")
    recent = [k.split("|") for k in state.reactions.between(r.created_at - cfg.burst, r.created_at)]
    fresh = sorted({u for m, u, f in recent if m == r.message_id and f == "1"})
    if len(fresh) < cfg.brigade_min_reactions:
        return None
    fresh_set = set(fresh)
    co: dict[str, int] = {}
    for m, u, _ in (k.split("|") for k in state.reactions.keys):
        if m != r.message_id and u in fresh_set:
            co[m] = co.get(m, 0) + 1
    co_msgs = sorted(m for m, n in co.items() if n >= 3)
    state.brigades[topic] = {
        "message_id": r.message_id, "fresh_reactors": len(fresh), "reactors": fresh[:MAX_LISTED],
        "within_seconds": int(cfg.burst.total_seconds()), "co_reacted_messages": co_msgs[:MAX_LISTED],
        "at": r.created_at.isoformat(),
    }
    strength = 0.5 * min(1.0, len(fresh) / (2 * cfg.brigade_min_reactions)) + 0.3 * bool(co_msgs)
    out = DetectorOutput(score=strength, cluster=f"brig-{r.guild_id}-{r.message_id}", evidence={
        "summary": f"{len(fresh)} new or recently joined accounts reacted within "
                   f"{int(cfg.burst.total_seconds() // 60)} minutes"
                   + (f"; they also co-reacted on {len(co_msgs)} other messages" if co_msgs else ""),
        "reaction_brigade": state.brigades[topic]})
    return topic, target, out
