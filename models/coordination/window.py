"""The coordination detector's sliding window: eviction and retirement, cross-account matching, campaign joins.

A mixin of CoordinationDetector (models/coordination/detector.py), which owns the state it works on:
`config`, `comparisons`, `_store` (the persistence journal), `_emitted` and `_band_mix`.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np

from models.coordination.minhash import jaccard
from models.coordination.persist import WindowStore
from models.coordination.score import CoordinationConfig, author_flags
from models.coordination.state import Campaign, Entry, GuildState
from models.types import DetectorOutput

MAX_MATCHES = 20  # strongest matches linked per post; enough to join a campaign, bounded cost
MAX_CAMPAIGN_POSTS = 2000  # post ids remembered per campaign (counts stay exact)
MAX_CANDIDATES = 64  # LSH candidates verified per post: exact copies collapse, so 64 covers real edits
MAX_RETIRED = 1000  # campaigns kept after their posts left the window (ids, scores), per guild


class CampaignWindow:
    """Keep each guild's window of recent posts and join matching posts from other accounts into campaigns."""

    config: CoordinationConfig
    comparisons: int
    _store: WindowStore
    _emitted: dict[str, DetectorOutput]
    _band_mix: np.ndarray

    def _advance(self, state: GuildState, at: datetime) -> None:
        """Move the guild's clock to `at`, evict posts that left the window, forget old campaigns."""
        if state.now is None or at > state.now:
            state.now = at
        horizon = state.now - self.config.window
        while state.window and (state.window[0].at < horizon
                                or len(state.window) >= self.config.max_window_posts):
            self._evict(state, state.window.popleft())
        for topic in [t for t, b in state.brigades.items()
                      if datetime.fromisoformat(str(b["at"])) < horizon]:
            del state.brigades[topic]
        history = state.now - self.config.history
        while state.retired:
            camp = next(iter(state.retired.values()))
            if camp.last_at >= history and len(state.retired) <= MAX_RETIRED:
                break
            del state.retired[camp.id]
            self._store.camp_gone(state, camp.id)

    def _unindex(self, state: GuildState, entry: Entry) -> None:
        """Take an entry out of the lookup structures; the next copy of its text becomes the representative."""
        if state.entries.get(entry.post_id) is entry:
            del state.entries[entry.post_id]
        group = state.exact.get(entry.key)
        if group is not None:
            if group and group[0] is entry:
                group.popleft()
            elif entry in group:
                group.remove(entry)
            if not group:
                del state.exact[entry.key]
        if entry.indexed:
            state.lsh.remove(entry.post_id)
            entry.indexed = False
            if group:
                head = group[0]
                state.lsh.add(head.post_id, head.sig)
                head.indexed = True
                self._store.entry(state, head)
        if entry.slot >= 0:
            state.matrix.release(entry.slot)
            state.by_slot.pop(entry.slot, None)
            entry.slot = -1

    def _evict(self, state: GuildState, entry: Entry) -> None:
        """Drop a post that left the window; a campaign whose last post leaves is retired, not lost."""
        if entry.dead:
            return
        self._unindex(state, entry)
        self._store.entry_gone(state, entry.post_id)
        self._emitted.pop(entry.post_id, None)
        camp = state.campaigns.get(entry.camp) if entry.camp else None
        if camp is not None:
            camp.live -= 1
            if camp.live <= 0:
                del state.campaigns[camp.id]
                state.retired[camp.id] = camp
                self._store.campaign(state, camp)

    def _matches(self, state: GuildState, entry: Entry, vec: np.ndarray | None, code: int,
                 pre: tuple[tuple[np.ndarray, np.ndarray], int] | None = None,
                 ) -> list[tuple[Entry, float, bool]]:
        """Return (earlier entry, similarity, is_copy) for the strongest cross-account matches.

        At most MAX_CANDIDATES LSH candidates and MAX_MATCHES embedding neighbours are verified, so
        the cost of one post is bounded however crowded the window is.
        """
        cfg = self.config
        found: dict[str, tuple[Entry, float, bool]] = {}
        if entry.words >= cfg.min_copy_words:
            for pid in state.lsh.query(entry.sig, limit=MAX_CANDIDATES):
                other = state.entries.get(str(pid))
                if other is None or other.author == entry.author:
                    continue
                self.comparisons += 1
                sim = jaccard(entry.sig, other.sig)
                if sim >= cfg.copy_jaccard:
                    found[other.post_id] = (other, sim, True)
        if vec is not None and entry.words >= cfg.min_paraphrase_words:
            slots, sims = state.matrix.neighbours(vec, code, cfg.paraphrase_cosine,
                                                  pre[0] if pre else None, pre[1] if pre else 0)
            if slots.size > MAX_MATCHES:
                top = np.argpartition(-sims, MAX_MATCHES)[:MAX_MATCHES]
                slots, sims = slots[top], sims[top]
            for slot, sim in zip(slots.tolist(), sims.tolist(), strict=True):
                other = state.by_slot.get(slot)
                self.comparisons += 1
                if other is None or other.post_id in found or (entry.quote and other.quote == entry.quote):
                    continue
                found[other.post_id] = (other, float(sim), False)
        return sorted(found.values(), key=lambda m: (-m[1], m[0].post_id))[:MAX_MATCHES]

    def _link(self, state: GuildState, guild: str, a: Entry, b: Entry, sim: float, is_copy: bool,
              dirty: set[str]) -> None:
        """Join two matched posts' campaigns (a new campaign takes the older post's id)."""
        ca = state.campaigns.get(a.camp) if a.camp else None
        cb = state.campaigns.get(b.camp) if b.camp else None
        if ca is None and cb is None:
            first = min(a, b, key=lambda e: (e.at, e.post_id))
            camp = Campaign(id=f"camp-{guild}-{first.post_id}", first_at=first.at, last_at=first.at)
            state.campaigns[camp.id] = camp
            for e in sorted((a, b), key=lambda e: (e.at, e.post_id)):
                self._join(state, camp, e)
        elif ca is None or cb is None:
            camp = ca or cb  # type: ignore[assignment]
            self._join(state, camp, a if ca is None else b)
        elif ca is cb:
            camp = ca
        else:
            camp, gone = sorted((ca, cb), key=lambda c: (c.first_at, c.id))
            camp.absorb(gone)
            del camp.post_ids[MAX_CAMPAIGN_POSTS:]
            del state.campaigns[gone.id]
            self._store.camp_gone(state, gone.id)
            dirty.discard(gone.id)
            for pid in gone.post_ids:
                moved = state.entries.get(pid)
                if moved is not None:
                    moved.camp = camp.id
                    self._store.entry(state, moved)
        camp.sim_sum += sim
        camp.edges += 1
        camp.copy_edges += is_copy
        dirty.add(camp.id)

    def _band_keys(self, sig: np.ndarray) -> np.ndarray:
        """Return one stable 32-bit key per LSH band (the phrase-history vocabulary)."""
        bands = sig.astype(np.uint64).reshape(self.config.bands, -1)
        with np.errstate(over="ignore"):
            mixed = (bands * self._band_mix[: bands.shape[1]]).sum(axis=1)
        return (mixed & np.uint64(0xFFFFFFFF)).astype(np.uint32)

    def _join(self, state: GuildState, camp: Campaign, entry: Entry) -> None:
        entry.camp = camp.id
        flags = (0, 0, 0, 0) if entry.author in camp.authors else author_flags(entry, state, self.config)
        camp.add(entry, flags)
        if len(camp.post_ids) > MAX_CAMPAIGN_POSTS:
            camp.post_ids.pop()
        self._store.entry(state, entry)
