"""Score batches with the pipeline and record verdicts and cases: shared by `govmod scan` and the bot."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain import DetectorOutput, MemberJoin, Post, Reaction, Verdict
from bot.pipeline import PersistentDetector, Pipeline, Policy, WindowedDetector
from bot.storage import CaseRepo, Database, GuildConfig, GuildRepo, PostRepo, StateRepo, severity_for
from models.registry import REGISTRY, Grouping, grouping

log = logging.getLogger(__name__)

EXCERPT_CHARS = 200  # alerts and reports quote at most this much of a flagged post
PROFILE_DETECTORS = tuple(s.name for s in REGISTRY if s.judges_profiles)  # also judge joins and renames


@dataclass(frozen=True, slots=True)
class CaseUpdate:
    """A case that was opened or grew while a batch was stored (the bot alerts on these)."""

    case_id: int
    guild_id: str
    detector: str
    outcome: str  # "opened" | "grew" | "moved" (took a merged campaign's posts) | "merged" (closed by a merge)
    post_id: str
    score: float


@dataclass(slots=True)
class BatchResult:
    """What one batch produced: verdicts (new and revised) and case changes."""

    verdicts: list[Verdict] = field(default_factory=list)
    revised: list[Verdict] = field(default_factory=list)
    cases: list[CaseUpdate] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ScoredBatch:
    """A batch the detectors have judged but storage has not yet taken (kept for a retry if storage fails)."""

    posts: list[Post]
    events: list[Reaction | MemberJoin]
    verdicts: list[Verdict]
    pending: dict[str, dict[str, DetectorOutput]]  # revisions of earlier posts the batch caused
    policies: dict[str, Policy]
    window: dict[str, tuple[dict[str, dict[str, Any]], list[str]]] = field(default_factory=dict)  # state deltas

    @property
    def size(self) -> int:
        """Return how many posts and events the batch holds."""
        return len(self.posts) + len(self.events)


def group_key(detector: str, verdict: Verdict, post: Post) -> str:
    """Return what one case gathers: a campaign, an author's LLM-like posts, or one post."""
    kind = grouping(detector)
    if kind is Grouping.CLUSTER and verdict.cluster:
        return f"campaign:{verdict.cluster}"
    if kind is Grouping.AUTHOR:
        return f"author:{post.author_id}"
    return f"post:{post.id}"


class ScanService:
    """Run the pipeline off the event loop and store everything one batch at a time, atomically."""

    def __init__(self, pipeline: Pipeline, db: Database, defaults: dict[str, float] | None = None) -> None:
        """Keep the loaded pipeline, the open database and server-wide threshold overrides."""
        self.pipeline = pipeline
        self.db = db
        self.defaults = defaults or {}
        self.posts = PostRepo(db)
        self.cases = CaseRepo(db)
        self.guilds = GuildRepo(db)
        self.state = StateRepo(db)
        self._configs: dict[str, GuildConfig] = {}

    async def config(self, guild_id: str) -> GuildConfig:
        """Return a guild's configuration (cached; call `forget` after editing it)."""
        if guild_id not in self._configs:
            self._configs[guild_id] = await self.guilds.get(guild_id)
        return self._configs[guild_id]

    def forget(self, guild_id: str) -> None:
        """Drop a cached guild configuration after a slash command changed it."""
        self._configs.pop(guild_id, None)

    async def policies(self, guild_ids: set[str]) -> dict[str, Policy]:
        """Return the scoring policy of each guild."""
        return {g: (await self.config(g)).policy(self.defaults) for g in guild_ids}

    async def process(
        self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin] = (),
        positions: Sequence[int] | None = None,
    ) -> BatchResult:
        """Score posts and events and store the results in one transaction.

        events[k] happened after the first positions[k] posts (default: before all of them).
        """
        return await self.store(await self.score(posts, events, positions))

    async def score(self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin] = (),
                    positions: Sequence[int] | None = None) -> ScoredBatch:
        """Run the detectors on a batch (off the event loop); nothing is stored yet.

        The stateful detectors have taken the batch in once this returns, so a batch must be scored once
        and then stored, retrying `store` if storage fails, never scored again.
        """
        where = list(positions) if positions is not None else [0] * len(events)
        if any(p.is_bot for p in posts):  # bots are not scored: keep each event's place among the others
            humans = [0, *itertools.accumulate(not p.is_bot for p in posts)]
            where = [humans[min(w, len(posts))] for w in where]
            posts = [p for p in posts if not p.is_bot]
        policies = await self.policies({p.guild_id for p in posts} | {e.guild_id for e in events})
        await self._restore_state(posts, {p.guild_id for p in posts} | {e.guild_id for e in events})
        verdicts = await asyncio.to_thread(self._score, posts, events, where, policies)
        window = {w.name: w.window_delta() for w in self._windowed()}  # taken now: a retried store reuses it
        return ScoredBatch(list(posts), list(events), verdicts, self.pipeline.pending_revisions(), policies,
                           window)

    async def store(self, batch: ScoredBatch) -> BatchResult:
        """Store a scored batch, its revisions and cases in one transaction (safe to retry after a failure)."""
        result = BatchResult(verdicts=list(batch.verdicts))
        by_id = {p.id: p for p in batch.posts}
        policies = batch.policies
        async with self.db.transaction():
            for event in batch.events:
                await (self.posts.save_reaction(event) if isinstance(event, Reaction) else self.posts.save_join(event))
            for post, verdict in zip(batch.posts, batch.verdicts, strict=True):
                await self.posts.save(post)
                await self.posts.save_verdict(verdict)
            for post_id, changed in batch.pending.items():
                post = by_id.get(post_id) or await self.posts.get(post_id)
                old = (next((v for v in batch.verdicts if v.post_id == post_id), None)
                       or await self.posts.verdict(post_id))
                if post is None or old is None:
                    continue
                revised = self.pipeline.revise(post, old, changed, policies.get(post.guild_id, Policy()))
                await self.posts.save_verdict(revised)
                result.revised.append(revised)
                by_id[post_id] = post
            final = {v.post_id: v for v in [*batch.verdicts, *result.revised]}
            for post_id, verdict in final.items():
                result.cases += await self._record_cases(by_id[post_id], verdict, policies)
            await self._save_state(batch)
        return result

    async def process_profiles(self, subjects: Sequence[Post]) -> BatchResult:
        """Score profile stand-in posts (a join or a name change) with the detectors that judge names only.

        They are stored like posts, so cases, alerts and review buttons work unchanged, but the text
        detectors (and the coordination state) never see them.
        """
        dets = [d for d in self.pipeline.detectors if d.name in PROFILE_DETECTORS]
        if not dets or not subjects:
            return BatchResult()
        policies = await self.policies({p.guild_id for p in subjects})
        names = Pipeline(None, dets)
        verdicts = await asyncio.to_thread(names.process, subjects, lambda g: policies.get(g, Policy()))
        result = BatchResult(verdicts=verdicts)
        async with self.db.transaction():
            for post, verdict in zip(subjects, verdicts, strict=True):
                if not verdict.flags:
                    continue  # a name that raised nothing is not worth storing
                await self.posts.save(post)
                await self.posts.save_verdict(verdict)
                result.cases += await self._record_cases(post, verdict, policies)
        return result

    def _score(self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin], positions: Sequence[int],
               policies: dict[str, Policy]) -> list[Verdict]:
        """Run in a worker thread: the batch, with each event at its place among the posts."""
        return self.pipeline.process(posts, lambda g: policies.get(g, Policy()), events, positions)

    async def _record_cases(self, post: Post, verdict: Verdict, policies: dict[str, Policy]) -> list[CaseUpdate]:
        updates = []
        policy = policies.get(post.guild_id, Policy())
        for detector in verdict.flags:
            det = self.pipeline.detector(detector)
            threshold = policy.threshold_for(det) if det else 0.5
            score = verdict.scores.get(detector, 0.0)
            evidence: dict[str, Any] = {
                **verdict.evidence.get(detector, {}),
                "excerpt": post.content[:EXCERPT_CHARS],
                "author_id": post.author_id,
                "channel_id": post.channel_id,
                "thread_id": post.thread_id,
                "threshold": threshold,
            }
            recorded = await self.cases.record_flag(
                guild_id=post.guild_id, detector=detector, group_key=group_key(detector, verdict, post), post=post,
                score=score, severity=severity_for(score, threshold), evidence=evidence,
                model_versions=verdict.model_versions,
            )
            if recorded is None:
                continue
            updates.append(CaseUpdate(recorded.case_id, post.guild_id, detector, recorded.outcome, post.id, score))
            if recorded.absorbed is not None:  # its alert is edited once to point at the surviving case
                updates.append(CaseUpdate(recorded.absorbed, post.guild_id, detector, "merged", post.id, score))
        return updates

    def _persistent(self) -> list[PersistentDetector]:
        return [d for d in self.pipeline.detectors if isinstance(d, PersistentDetector)]

    async def _restore_state(self, posts: Sequence[Post], guild_ids: set[str]) -> None:
        for det in self._persistent():
            keys = det.state_keys(posts)
            if keys:
                det.restore(await self.state.load(det.name, keys))
        for win in self._windowed():
            prefixes = win.window_prefixes(guild_ids)
            if prefixes:
                win.restore_window(await self.state.load_prefixes(win.name, prefixes))

    async def _save_state(self, batch: ScoredBatch) -> None:
        for det in self._persistent():
            keys = det.state_keys(batch.posts)
            if keys:
                await self.state.save(det.name, det.snapshot(keys))
        for name, (upserts, gone) in batch.window.items():
            await self.state.save(name, upserts)
            await self.state.delete(name, gone)

    def _windowed(self) -> list[WindowedDetector]:
        return [d for d in self.pipeline.detectors if isinstance(d, WindowedDetector)]
