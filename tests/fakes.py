"""Tiny deterministic detectors for fast tests of the pipeline, storage and bot (no model weights)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from bot.domain import DetectorOutput, MemberJoin, Post, Reaction
from bot.pipeline import BatchContext


class KeywordDetector:
    """Flag normalised text containing a keyword (stands in for the toxicity model)."""

    needs_embedding = False
    default_threshold = 0.5

    def __init__(self, name: str = "toxicity", keyword: str = "idiot", delay: float = 0.0) -> None:
        """Score 0.95 when `keyword` is in the normalised text, else 0.05."""
        self.name, self.keyword, self.delay = name, keyword, delay
        self.version = f"fake-{keyword}-1"

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score each post by keyword presence."""
        if self.delay:
            time.sleep(self.delay)
        return [
            DetectorOutput(0.95 if self.keyword in text.lower() else 0.05, {"summary": f"contains {self.keyword!r}"}
                           if self.keyword in text.lower() else {})
            for text in ctx.texts
        ]


class PhraseCampaignDetector:
    """Cluster posts that contain a phrase across distinct authors (stands in for coordination)."""

    name = "coordination"
    version = "fake-campaign-1"
    needs_embedding = False
    default_threshold = 0.5

    def __init__(self, phrase: str = "vote yes", min_accounts: int = 3) -> None:
        """A campaign is `min_accounts` distinct authors using `phrase`."""
        self.phrase, self.min_accounts = phrase, min_accounts
        self.members: dict[str, str] = {}  # post id -> author
        self._revised: dict[str, DetectorOutput] = {}
        self.events: list[Reaction | MemberJoin] = []

    def _output(self) -> DetectorOutput:
        authors = set(self.members.values())
        hit = len(authors) >= self.min_accounts
        first = min(self.members) if self.members else None
        return DetectorOutput(0.9 if hit else 0.1, {"accounts": sorted(authors)} if hit else {},
                              f"camp-{first}" if hit else None)

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score posts; earlier members are revised when the campaign crosses the line."""
        before = len(set(self.members.values())) >= self.min_accounts
        outs = []
        for post, text in zip(posts, ctx.texts, strict=True):
            if self.phrase in text.lower():
                self.members[post.id] = post.author_id
        now_hit = len(set(self.members.values())) >= self.min_accounts
        for text in ctx.texts:
            outs.append(self._output() if self.phrase in text.lower() else DetectorOutput(0.0))
        if now_hit and not before:
            batch_ids = {p.id for p in posts}
            self._revised.update({pid: self._output() for pid in self.members if pid not in batch_ids})
        return outs

    def observe(self, event: Reaction | MemberJoin) -> None:
        """Remember events (tests check they arrive)."""
        self.events.append(event)

    def revisions(self) -> dict[str, DetectorOutput]:
        """Return and clear revised outputs."""
        out, self._revised = self._revised, {}
        return out


class CountingAuthorDetector:
    """Persist a per-author message count through the PersistentDetector protocol."""

    name = "ai_generated"
    version = "fake-author-1"
    needs_embedding = False
    default_threshold = 0.5

    def __init__(self) -> None:
        """Start with no author records."""
        self.counts: dict[str, dict[str, Any]] = {}

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Count messages per author; score 0.9 from the third message on."""
        outs = []
        for post in posts:
            rec = self.counts.setdefault(f"{post.guild_id}:{post.author_id}", {"n": 0})
            rec["n"] += 1
            outs.append(DetectorOutput(0.9 if rec["n"] >= 3 else 0.1, {"messages": rec["n"]}))
        return outs

    def state_keys(self, posts: Sequence[Post]) -> list[str]:
        """Return author keys."""
        return sorted({f"{p.guild_id}:{p.author_id}" for p in posts})

    def restore(self, records: dict[str, dict[str, Any]]) -> None:
        """Load records not in memory."""
        for key, rec in records.items():
            self.counts.setdefault(key, dict(rec))

    def snapshot(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return records for keys."""
        return {k: dict(self.counts[k]) for k in keys if k in self.counts}
