"""The detector contract: what a detector is given for a batch and what it must provide (no bot, no discord)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from models.types import DetectorOutput, MemberJoin, Post, Reaction

REREAD = "/reread"  # branches[name + REREAD]: a detector's branch rows of its second reading (branch_texts)


def second_reading(encoder: Any, name: str, texts: list[str], alt: list[str], rows: np.ndarray) -> np.ndarray:
    """Return branch `name`'s rows of `alt`, encoding only the texts that differ from `texts` (rows has the rest)."""
    changed = [i for i, (a, t) in enumerate(zip(alt, texts, strict=True)) if a != t]
    out = rows.copy()
    if changed:
        out[changed] = encoder.encode_all([alt[i] for i in changed]).branches[name]
    return out


@dataclass(slots=True)
class BatchContext:
    """What the pipeline computes once per batch and shares with every detector."""

    texts: list[str]  # normalised scoring text, one per post
    embeddings: np.ndarray | None  # (n, 384) unit rows from the shared encoder, or None
    branches: dict[str, np.ndarray] = field(default_factory=dict)  # encoder branch name -> (n, d) rows
    encode: Callable[[list[str]], np.ndarray] | None = None  # embeds extra texts (windows of long posts)

    def slice(self, start: int, stop: int) -> BatchContext:
        """Return the context of posts[start:stop] (views: nothing is computed again)."""
        return BatchContext(texts=self.texts[start:stop],
                            embeddings=None if self.embeddings is None else self.embeddings[start:stop],
                            branches={name: rows[start:stop] for name, rows in self.branches.items()},
                            encode=self.encode)


@runtime_checkable
class Detector(Protocol):
    """A scorer: a batch of posts in, one DetectorOutput per post out (same order)."""

    name: str
    version: str
    needs_embedding: bool
    default_threshold: float

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score posts; must not touch the event loop (runs in a worker thread)."""
        ...


@runtime_checkable
class StatefulDetector(Detector, Protocol):
    """A detector that keeps state across posts (coordination) and may revise earlier scores."""

    def observe(self, event: Reaction | MemberJoin) -> None:
        """Take in a non-message event (a reaction or a member join)."""
        ...

    def revisions(self) -> dict[str, DetectorOutput]:
        """Return post id -> revised output for earlier posts whose score changed since last call."""
        ...


@runtime_checkable
class PersistentDetector(Detector, Protocol):
    """A detector whose per-key state (e.g. per author) survives restarts through storage."""

    def state_keys(self, posts: Sequence[Post]) -> list[str]:
        """Return the state keys the next batch will read."""
        ...

    def restore(self, records: dict[str, dict[str, Any]]) -> None:
        """Load stored records for keys not already in memory."""
        ...

    def snapshot(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return JSON-able records for keys, to be stored."""
        ...


@runtime_checkable
class WindowedDetector(Detector, Protocol):
    """A detector whose whole per-guild window survives restarts (coordination), bounded by that window."""

    def window_prefixes(self, guild_ids: Iterable[str]) -> list[str]:
        """Return storage key prefixes of guilds whose state must be loaded before the next batch."""
        ...

    def restore_window(self, records: dict[str, dict[str, Any]]) -> None:
        """Rebuild state from the records stored under those prefixes."""
        ...

    def window_delta(self) -> tuple[dict[str, dict[str, Any]], list[str]]:
        """Return (records to upsert, keys to delete) changed since the last call."""
        ...
