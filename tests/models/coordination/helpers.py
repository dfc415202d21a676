"""Posts, synthetic embeddings and feeding helpers shared by the coordination detector's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from bot.domain import DetectorOutput, Post
from bot.pipeline import BatchContext
from models.coordination.detector import CoordinationDetector
from models.normalize import normalize

T0 = datetime(2025, 5, 1, 12, tzinfo=UTC)
OLD = T0 - timedelta(days=900)
TEXT = "Vote YES on AIP-42, the treasury diversification is long overdue and protects everyone."

_ids = iter(range(1_000_000, 10_000_000))


def post(author: str, text: str, at: datetime, *, topic: str = "aip-42", fresh: bool = False,
         joined: datetime | None = None) -> Post:
    """Make a post; fresh accounts are days old and joined hours ago, others are years old."""
    created = at - timedelta(days=3) if fresh else OLD
    joined = joined or (at - timedelta(hours=5) if fresh else OLD + timedelta(days=10))
    return Post(id=str(next(_ids)), channel_id=topic, author_id=author, content=text, created_at=at,
                author_created_at=created, author_joined_at=joined)


def unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    """Return n random unit vectors (float32, 384-d)."""
    v = rng.normal(size=(n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def near(base: np.ndarray, rng: np.random.Generator, noise: float = 0.25) -> np.ndarray:
    """Return a unit vector close to base (cosine about 0.94 for noise 0.25)."""
    v = base + noise * unit(rng)[0] * 1.0
    return (v / np.linalg.norm(v)).astype(np.float32)


def feed(det: CoordinationDetector, posts: list[Post], emb: np.ndarray | None = None,
         ) -> dict[str, DetectorOutput]:
    """Score posts one batch at a time; return the latest output per post (including revisions)."""
    final: dict[str, DetectorOutput] = {}
    for i, p in enumerate(posts):
        ctx = BatchContext(texts=[normalize(p.content)], embeddings=None if emb is None else emb[i:i + 1])
        final[p.id] = det.score([p], ctx)[0]
        final.update(det.revisions())
    return final


def warm(det: CoordinationDetector, rng: np.random.Generator, days: float = 1.5,
         extra: list[Post] | None = None) -> None:
    """Give the detector background history (plus `extra` posts, in time order) to end the warm-up."""
    words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron".split()
    posts = [post(f"bg{i % 40}", " ".join(rng.choice(words, 8)) + f" {i}",
                  T0 - timedelta(days=days) + timedelta(minutes=10 * i)) for i in range(int(days * 144))]
    posts = sorted(posts + (extra or []), key=lambda p: p.created_at)
    feed(det, posts, unit(rng, len(posts)))
