"""Streaming coordination detector: cross-account copies and paraphrases grouped into campaigns.

Each post is matched against the posts of *other* accounts in a sliding window (copies through
5-character shingles + MinHash/LSH, paraphrases through the shared MiniLM embedding). Matches are
joined into campaigns whose id stays that of the oldest post (exact copies collapse onto one
representative, so a copy-paste flood costs one lookup per post); a campaign's score weighs accounts,
similarity, time, account age, join recency, server history, topic focus, phrase commonness in the
server's own past week, join raids and reaction brigades, and never falls: posts leaving the window
retire a campaign, they do not erase it. Earlier posts get revised scores through `revisions()`;
edits are re-matched. The window persists through storage (models/coordination/persist.py).
See models/coordination/score.py for every window and threshold.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from models.coordination.events import observe_reaction
from models.coordination.minhash import LSHIndex, MinHasher, canonical, shingles, split_quotes, text_key, words
from models.coordination.persist import WindowStore
from models.coordination.score import (
    CoordinationConfig,
    campaign_evidence,
    campaign_facts,
)
from models.coordination.state import (
    EmbeddingWindow,
    Entry,
    GuildState,
    MemberBook,
    PhraseHistory,
    TimeSeries,
    author_code,
)
from models.coordination.window import CampaignWindow
from models.detector import BatchContext
from models.types import DetectorOutput, MemberJoin, Post, Reaction, snowflake_time

log = logging.getLogger(__name__)

REVISION_DELTA = 0.01  # a revised score is reported when it moves at least this much ...
LOW_REVISION_DELTA = 0.05  # ... or this much while far below the threshold (large organic clusters stay cheap)
_EMPTY = DetectorOutput(score=0.0, evidence={}, cluster=None, eligible=True)


def _differs(old: DetectorOutput, new: DetectorOutput, threshold: float) -> bool:
    """Return True when a revision is worth sending: new campaign, score moved, or a brigade/raid appeared.

    A new member alone does not revise every earlier post (that made a large organic cluster cost
    O(cluster size) per batch); the case evidence is refreshed from the newest post anyway.
    """
    keys = ("reaction_brigade", "join_raid_members")
    near = max(old.score, new.score) >= 0.5 * threshold
    delta = REVISION_DELTA if near else LOW_REVISION_DELTA
    return (old.cluster != new.cluster or abs(old.score - new.score) >= delta
            or any(old.evidence.get(k) != new.evidence.get(k) for k in keys))


class CoordinationDetector(CampaignWindow):
    """Flag posts that belong to a multi-account campaign; stateful across batches and events."""

    name = "coordination"
    version = "coord-2"
    needs_embedding = True

    def __init__(self, config: CoordinationConfig | None = None) -> None:
        """Keep the config; per-guild state is created on first use."""
        self.config = config or CoordinationConfig()
        self.default_threshold = self.config.threshold
        self._hasher = MinHasher(self.config.num_perm)
        self._band_mix = np.random.default_rng(7).integers(1, 1 << 61, size=64, dtype=np.uint64) | np.uint64(1)
        self._guilds: dict[str, GuildState] = {}
        self._emitted: dict[str, DetectorOutput] = {}  # message id -> last reaction-brigade output
        self._pending: dict[str, DetectorOutput] = {}
        self._store = WindowStore(self)  # records changes for storage once a service asks for them
        self.comparisons = 0  # candidate pairs verified so far (the flood cost the tests count)

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> CoordinationDetector:
        """Build the detector from weights_dir/coordination.json (tuned constants) plus overrides."""
        path = (weights_dir / "coordination.json") if weights_dir else None
        return cls(CoordinationConfig.from_file(path, **opts))

    # ---- state -------------------------------------------------------------------------------

    def _guild(self, guild_id: str) -> GuildState:
        state = self._guilds.get(guild_id)
        if state is None:
            cfg = self.config
            state = self._guilds[guild_id] = GuildState(
                window=deque(), entries={}, lsh=LSHIndex(cfg.num_perm, cfg.bands),
                matrix=EmbeddingWindow(cfg.max_window_posts),
                phrases=PhraseHistory(days=int(cfg.history / timedelta(days=1))),
                members=MemberBook(cfg.history, max_members=200_000),
                joins=TimeSeries(cfg.history, max_events=50_000),
                reactions=TimeSeries(cfg.window, max_events=50_000), guild=guild_id,
            )
        return state

    def held_posts(self, guild_id: str | None = None) -> int:
        """Return how many posts are held in the window (one guild or all); for memory checks."""
        states = [self._guilds[guild_id]] if guild_id in self._guilds else (
            [] if guild_id else list(self._guilds.values()))
        return sum(len(s.window) for s in states)

    def memory_stats(self) -> dict[str, int]:
        """Return the sizes of every growing structure, summed over guilds."""
        stats = {"posts": 0, "lsh_buckets": 0, "matrix_rows": 0, "campaigns": 0, "members": 0,
                 "phrase_keys": 0, "joins": 0, "reactions": 0, "emitted": len(self._emitted),
                 "retired": 0, "copy_groups": 0}
        for s in self._guilds.values():
            stats["posts"] += len(s.window)
            stats["lsh_buckets"] += s.lsh.bucket_count
            stats["matrix_rows"] += len(s.matrix.emb)
            stats["campaigns"] += len(s.campaigns)
            stats["members"] += len(s.members)
            stats["phrase_keys"] += s.phrases.size
            stats["joins"] += len(s.joins)
            stats["reactions"] += len(s.reactions)
            stats["retired"] += len(s.retired)
            stats["copy_groups"] += len(s.exact)
        return stats

    # ---- the Detector protocol ---------------------------------------------------------------

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Match each post in order, grow campaigns, and return each post's campaign score."""
        dirty: dict[str, set[str]] = {}
        pre = self._precompute(posts, ctx)
        for i, post in enumerate(posts):
            vec = ctx.embeddings[i] if ctx.embeddings is not None else None
            cached = pre.get(post.guild_id)
            self._add_post(post, ctx.texts[i], vec, dirty.setdefault(post.guild_id, set()),
                           (cached, i) if cached else None)
        fresh = self._refresh(dirty)
        out: list[DetectorOutput] = []
        for post in posts:
            state = self._guilds[post.guild_id]
            entry = state.entries.get(post.id)
            result = fresh.pop(post.id, None) or self._emitted.get(post.id) or self._campaign_output(state, entry)
            if result is None:
                eligible = entry is not None and entry.words >= self.config.min_copy_words
                result = _EMPTY if eligible else replace(_EMPTY, eligible=False)
            self._pending.pop(post.id, None)
            out.append(result)
        self._pending.update(fresh)
        return out

    @staticmethod
    def _campaign_output(state: GuildState, entry: Entry | None) -> DetectorOutput | None:
        """Return the last output of the entry's campaign (a post re-delivered without new links)."""
        if entry is None or entry.camp is None:
            return None
        camp = state.campaigns.get(entry.camp) or state.retired.get(entry.camp)
        return camp.out if camp is not None else None

    def _precompute(self, posts: Sequence[Post], ctx: BatchContext,
                    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Multiply each guild's window by the whole batch at once (one GEMM instead of n products)."""
        if ctx.embeddings is None or len(posts) < 4:
            return {}
        return {guild: self._guild(guild).matrix.precompute(ctx.embeddings)
                for guild in {p.guild_id for p in posts}}

    def _edit(self, state: GuildState, old: Entry, post: Post, key: int) -> str | None | bool:
        """Retire the previous version of an edited post; return its campaign (False: nothing changed)."""
        if post.edited_at is None or key == old.key:
            return False
        self._unindex(state, old)
        old.dead = True
        return old.camp

    def _add_post(self, post: Post, text: str, vec: np.ndarray | None, dirty: set[str],
                  pre: tuple[tuple[np.ndarray, np.ndarray], int] | None = None) -> None:
        """Index one post (or the new text of an edited one) into its guild's window and link it."""
        cfg = self.config
        state = self._guild(post.guild_id)
        self._advance(state, post.created_at)
        if post.is_bot:
            return
        canon = canonical(text)
        key = text_key(canon)
        inherited: str | None = None
        if post.id in state.entries:
            edit = self._edit(state, state.entries[post.id], post, key)
            if edit is False:
                return
            inherited = edit or None
        if state.started is None:  # history warm-up counts from the first post seen, not from joins
            state.started = post.created_at
        n_words = len(words(canon))
        linkable = n_words >= cfg.min_copy_words
        group = state.exact.get(key) if linkable else None
        rep = group[0] if group else None
        quoted, own = split_quotes(text)
        own_canon = canonical(own) if quoted else canon
        if rep is not None:
            sig = rep.sig
        else:  # copies are judged on the author's own words: quoting one title is not a talking point
            sig = self._hasher.signature(shingles(own_canon if own_canon else canon, cfg.shingle_k))
        entry = self._new_entry(state, post, sig, n_words, linkable, key)
        entry.quote = text_key(canonical(quoted)) if quoted else 0
        if inherited is not None and inherited in state.campaigns:
            entry.camp = inherited  # an edit never takes a post out of its campaign
            state.campaigns[inherited].unsent.append(post.id)
            dirty.add(inherited)
        if rep is not None:  # an exact copy: link to its representative only (flat cost in a flood)
            self.comparisons += 1
            matches = [(rep, 1.0, True)] if rep.author != post.author_id or rep.camp else []
            group.append(entry)  # type: ignore[union-attr]
        else:
            matches = self._matches(state, entry, vec, author_code(post.author_id), pre) if linkable else []
            if vec is not None and n_words >= cfg.min_paraphrase_words:
                entry.slot = state.matrix.put(vec, author_code(post.author_id))
                state.by_slot[entry.slot] = entry
            if linkable:
                state.exact[key] = deque([entry])
                state.lsh.add(post.id, sig)
                entry.indexed = True
        state.window.append(entry)
        state.entries[post.id] = entry
        self._store.entry(state, entry)
        for other, sim, is_copy in matches:
            self._link(state, post.guild_id, entry, other, sim, is_copy, dirty)

    def _new_entry(self, state: GuildState, post: Post, sig: np.ndarray, n_words: int, linkable: bool,
                   key: int) -> Entry:
        """Record the author's activity and the phrase's use today; return the post's window entry."""
        cfg = self.config
        day = int(post.created_at.timestamp() // 86400)
        common = 0.0
        if linkable:
            band_keys = self._band_keys(sig)
            common = min(1.0, state.phrases.days_seen(band_keys, day, cfg.common_min_bands) / cfg.common_days)
            state.phrases.add(band_keys, day)
        member = state.members.get(post.author_id)
        prior = member.posts
        member.posts += 1
        if post.author_joined_at is not None:
            member.joined = post.author_joined_at
        for user in state.members.touch(post.author_id, post.created_at):
            self._store.member_gone(state, user)
        self._store.member(state, post.author_id)
        return Entry(post_id=post.id, author=post.author_id, topic=post.topic_id, at=post.created_at,
                     words=n_words, sig=sig, slot=-1, account_created=post.account_created_at,
                     joined=member.joined, prior_posts=prior, commonness=common, linkable=linkable, key=key)

    def _refresh(self, dirty: dict[str, set[str]]) -> dict[str, DetectorOutput]:
        """Rescore dirty campaigns; return outputs for their new posts, or for all when the score moved."""
        changed: dict[str, DetectorOutput] = {}
        for guild, ids in dirty.items():
            state = self._guilds[guild]
            for cid in sorted(ids):
                camp = state.campaigns.get(cid) or state.retired.get(cid)
                if camp is None:
                    continue
                facts = campaign_facts(camp, state, self.config)
                camp.best = max(camp.best, facts.score)  # evidence may grow; a score never falls
                out = DetectorOutput(score=camp.best, cluster=camp.id, eligible=True,
                                     evidence=campaign_evidence(camp, facts, state, self.config))
                if camp.out is None or _differs(camp.out, out, self.default_threshold):
                    targets: list[str] = list(dict.fromkeys([*camp.post_ids, *camp.unsent]))
                    camp.out = out
                else:
                    targets = camp.unsent
                for pid in targets:
                    changed[pid] = out
                camp.unsent = []
                self._store.campaign(state, camp)
        return changed

    # ---- persistence (bot.pipeline.WindowedDetector) -----------------------------------------

    def window_prefixes(self, guild_ids: Iterable[str]) -> list[str]:
        """Return the storage key prefixes of guilds not restored yet (and start recording changes)."""
        return self._store.prefixes(guild_ids)

    def restore_window(self, records: dict[str, dict[str, Any]]) -> None:
        """Rebuild window, campaigns, members and phrase history from stored records."""
        self._store.restore(records)

    def window_delta(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Return (records to upsert, keys to delete) for everything changed since the last call."""
        return self._store.delta()

    def revisions(self) -> dict[str, DetectorOutput]:
        """Return post id -> revised output for earlier posts whose campaign score changed."""
        pending, self._pending = self._pending, {}
        return pending

    def observe(self, event: Reaction | MemberJoin) -> None:
        """Take in a member join (raid signal) or a reaction (brigade signal)."""
        state = self._guild(event.guild_id)
        self._advance(state, event.created_at)
        if isinstance(event, MemberJoin):
            member = state.members.get(event.user_id)
            member.joined = event.created_at
            member.created = event.account_created_at or snowflake_time(event.user_id)
            for user in state.members.touch(event.user_id, event.created_at):
                self._store.member_gone(state, user)
            self._store.member(state, event.user_id)
            state.joins.add(event.created_at, event.user_id)
            return
        brigade = observe_reaction(state, event, self.config)
        if brigade is None:
            return
        topic, target, out = brigade
        dirty = {c.id for c in state.campaigns.values() if c.topics.get(topic)}
        if dirty:
            self._pending.update(self._refresh({event.guild_id: dirty}))
        elif target is not None:
            old = self._emitted.get(event.message_id)
            if old is None or abs(old.score - out.score) >= REVISION_DELTA:
                self._pending[event.message_id] = out
                self._emitted[event.message_id] = out
