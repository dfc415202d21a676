"""Run every enabled detector over batches of posts and turn scores into verdicts and flags."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from bot.domain import DetectorOutput, MemberJoin, Post, Reaction, Verdict
from bot.policy import Policy
from models.detector import (  # noqa: F401  (re-exported for bot code)
    REREAD,
    BatchContext,
    Detector,
    PersistentDetector,
    StatefulDetector,
    WindowedDetector,
    second_reading,
)
from models.normalize import normalize
from models.registry import Grouping, grouping

log = logging.getLogger(__name__)


class Pipeline:
    """Shared encoder pass + all detectors over one batch; synchronous, so run it off the event loop."""

    def __init__(self, encoder: Any | None, detectors: Sequence[Detector]) -> None:
        """Keep the loaded encoder and detectors, and attach the detectors' encoder branches to the encoder."""
        self.encoder = encoder
        self.detectors = list(detectors)
        for det in self.detectors:
            branch = getattr(det, "encoder_branch", None)
            if branch is not None:
                if encoder is None:
                    raise ValueError(f"detector {det.name!r} runs a branch of the shared encoder: pass an encoder")
                encoder.add_branch(branch)

    @property
    def model_versions(self) -> dict[str, str]:
        """Return detector name -> version, plus the encoder's."""
        versions = {d.name: d.version for d in self.detectors}
        if self.encoder is not None:
            versions["encoder"] = self.encoder.version
        return versions

    def status_notes(self) -> dict[str, str]:
        """Return detector name -> a line about its state, for the detectors that have one to give."""
        notes = {}
        for d in self.detectors:
            note = getattr(d, "status_note", None)
            line = note() if callable(note) else None
            if line:
                notes[d.name] = line
        return notes

    def detector(self, name: str) -> Detector | None:
        """Return the detector with this name, if enabled."""
        return next((d for d in self.detectors if d.name == name), None)

    def observe(self, events: Sequence[Reaction | MemberJoin]) -> None:
        """Pass reactions and joins to the stateful detectors."""
        for det in self.detectors:
            if isinstance(det, StatefulDetector):
                for event in events:
                    det.observe(event)

    def context(self, posts: Sequence[Post]) -> BatchContext:
        """Normalise and embed a batch once."""
        texts = [normalize(p.scoring_text) for p in posts]
        encode = getattr(self.encoder, "embed_only", None)
        needs = self.encoder is not None and any(d.needs_embedding for d in self.detectors)
        if not (needs and texts):
            return BatchContext(texts=texts, embeddings=None, encode=encode if texts else None)
        encoded = self.encoder.encode_all(texts)
        return BatchContext(texts=texts, embeddings=encoded.embeddings, branches=self._reread(texts, encoded.branches),
                            encode=encode)

    def _reread(self, texts: list[str], branches: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Add a branch's rows for a second reading of the posts, where its detector reads them differently.

        A detector with `branch_texts` (toxicity: the spelling repaired) gets `branches["<name>/reread"]`: the
        branch's rows of those texts; only the posts whose text changes are encoded again, in one extra pass.
        """
        out = dict(branches)
        for det in self.detectors:
            reading = getattr(det, "branch_texts", None)
            if reading is None or det.name not in out:
                continue
            out[det.name + REREAD] = second_reading(self.encoder, det.name, texts, reading(texts), out[det.name])
        return out

    def process(self, posts: Sequence[Post], policy_for: Callable[[str], Policy],
                events: Sequence[Reaction | MemberJoin] = (), positions: Sequence[int] | None = None) -> list[Verdict]:
        """Score a batch and return one verdict per post, in order.

        `events` (reactions, joins) happened among the posts: events[k] came after the first positions[k]
        posts (default: before all of them). The encoder runs once for the whole batch; a stateful detector
        sees posts and events in that order, so a join is known before its member's first post and a
        reaction after the post it reacts to, however large the batch.
        """
        where = list(positions) if positions is not None else [0] * len(events)
        if len(where) != len(events):
            raise ValueError("positions must give one place per event")
        if not posts:
            self.observe(events)
            return []
        ctx = self.context(posts)
        outputs = {d.name: (_score_in_order(d, posts, ctx, events, where) if isinstance(d, StatefulDetector)
                            else d.score(posts, ctx)) for d in self.detectors}
        return [
            self.verdict(post, {name: outs[i] for name, outs in outputs.items()}, policy_for(post.guild_id))
            for i, post in enumerate(posts)
        ]

    def pending_revisions(self) -> dict[str, dict[str, DetectorOutput]]:
        """Collect post id -> {detector: revised output} from the stateful detectors."""
        pending: dict[str, dict[str, DetectorOutput]] = {}
        for det in self.detectors:
            if isinstance(det, StatefulDetector):
                for post_id, out in det.revisions().items():
                    pending.setdefault(post_id, {})[det.name] = out
        return pending

    def revise(self, post: Post, old: Verdict, changed: dict[str, DetectorOutput], policy: Policy) -> Verdict:
        """Return the verdict of an earlier post with some detectors' outputs replaced."""
        outs = {  # unchanged detectors keep their earlier decision (eligible only if they flagged before)
            name: DetectorOutput(score, old.evidence.get(name, {}),
                                 old.cluster if grouping(name) is Grouping.CLUSTER else None,
                                 eligible=name in old.flags)
            for name, score in old.scores.items()
        }
        outs.update(changed)
        return self.verdict(post, outs, policy)

    def verdict(self, post: Post, outs: dict[str, DetectorOutput], policy: Policy) -> Verdict:
        """Apply the guild's thresholds to detector outputs."""
        flags: list[str] = []
        scores = {name: float(o.score) for name, o in outs.items()}
        for det in self.detectors:
            out = outs.get(det.name)
            if out is None:
                continue
            scores[det.name] = policy.score_of(det, out.score, out.categories)  # the guild's chosen categories
            if det.name not in policy.disabled and out.eligible and scores[det.name] >= policy.threshold_for(det):
                flags.append(det.name)
        cluster = next((o.cluster for o in outs.values() if o.cluster), None)
        return Verdict(
            post_id=post.id,
            guild_id=post.guild_id,
            scores=scores,
            flags=tuple(flags),
            evidence={name: o.evidence for name, o in outs.items() if o.evidence},
            model_versions=self.model_versions,
            cluster=cluster,
        )


def _score_in_order(det: StatefulDetector, posts: Sequence[Post], ctx: BatchContext,
                    events: Sequence[Reaction | MemberJoin], positions: Sequence[int]) -> list[DetectorOutput]:
    """Score a stateful detector's batch in runs of posts, observing each event at its place between them."""
    outputs: list[DetectorOutput] = []
    start = 0
    for place, event in sorted(zip(positions, range(len(events)), strict=True)):
        stop = min(max(place, start), len(posts))
        if stop > start:
            outputs += det.score(posts[start:stop], ctx.slice(start, stop))
            start = stop
        det.observe(events[event])
    if start < len(posts):
        outputs += det.score(posts[start:], ctx.slice(start, len(posts)))
    return outputs
