"""Bounded per-guild state for the coordination detector: window, campaigns, history, reactions, joins."""

from __future__ import annotations

import bisect
import hashlib
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np

from models.coordination.minhash import LSHIndex
from models.encoder import EMBED_DIM

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Entry:
    """One post held in the sliding window."""

    post_id: str
    author: str
    topic: str
    at: datetime
    words: int
    sig: np.ndarray
    slot: int
    account_created: datetime | None
    joined: datetime | None
    prior_posts: int  # the author's posts seen in the history horizon before this one
    commonness: float  # 0 new phrase .. 1 used on many recent days
    linkable: bool
    camp: str | None = None
    key: int = 0  # hash of the canonical text: exact copies share it and collapse onto one representative
    indexed: bool = False  # in the LSH index (the representative of its exact-copy group)
    dead: bool = False  # replaced by an edit: eviction skips it
    quote: int = 0  # key of the quoted material (a proposal title, a > quote), 0 if none


@dataclass(slots=True)
class Campaign:
    """A growing set of matched posts by different accounts (one case for moderators)."""

    id: str
    first_at: datetime
    last_at: datetime
    post_ids: list[str] = field(default_factory=list)
    authors: dict[str, Entry] = field(default_factory=dict)  # author -> their first post in the campaign
    flags: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # author -> (new, recent, low, raid)
    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0])  # sums of flags over authors
    topics: dict[str, int] = field(default_factory=dict)
    sim_sum: float = 0.0
    copy_edges: int = 0
    edges: int = 0
    live: int = 0  # posts of the campaign still in the window
    words_sum: int = 0
    common_sum: float = 0.0
    n: int = 0  # posts ever added (averages divide by this, so eviction never changes them)
    best: float = 0.0  # highest score reached: a campaign's score never falls
    out: Any = None  # the output last sent to every post of the campaign
    unsent: list[str] = field(default_factory=list)  # posts added (or moved here) since the last refresh

    def add(self, entry: Entry, flags: tuple[int, int, int, int]) -> None:
        """Add one post; its author's first post also records the account flags."""
        self.post_ids.append(entry.post_id)
        self.unsent.append(entry.post_id)
        if entry.author not in self.authors:
            self.authors[entry.author] = entry
            self._count(entry.author, flags)
        self.topics[entry.topic] = self.topics.get(entry.topic, 0) + 1
        self.last_at = max(self.last_at, entry.at)
        self.first_at = min(self.first_at, entry.at)
        self.live += 1
        self.n += 1
        self.words_sum += entry.words
        self.common_sum += entry.commonness

    def _count(self, author: str, flags: tuple[int, int, int, int], sign: int = 1) -> None:
        if sign > 0:
            self.flags[author] = flags
        for i, f in enumerate(flags):
            self.counts[i] += sign * f

    def absorb(self, other: Campaign) -> None:
        """Merge another campaign into this one (this one keeps its id)."""
        self.post_ids.extend(other.post_ids)
        self.unsent.extend(other.post_ids)
        self.unsent.extend(other.unsent)
        for author, entry in other.authors.items():
            mine = self.authors.get(author)
            if mine is None or entry.at < mine.at:
                if mine is not None:
                    self._count(author, self.flags.get(author, (0, 0, 0, 0)), -1)
                self.authors[author] = entry
                self._count(author, other.flags.get(author, (0, 0, 0, 0)))
        for topic, n in other.topics.items():
            self.topics[topic] = self.topics.get(topic, 0) + n
        self.first_at = min(self.first_at, other.first_at)
        self.last_at = max(self.last_at, other.last_at)
        self.sim_sum += other.sim_sum
        self.copy_edges += other.copy_edges
        self.edges += other.edges
        self.live += other.live
        self.words_sum += other.words_sum
        self.common_sum += other.common_sum
        self.n += other.n
        self.best = max(self.best, other.best)


class EmbeddingWindow:
    """A growable matrix of the window's embeddings with free-slot reuse, capped at max_rows."""

    def __init__(self, max_rows: int, start: int = 256) -> None:
        """Allocate a small matrix; it doubles on demand up to max_rows."""
        self.max_rows = max_rows
        self.emb = np.zeros((min(start, max_rows), EMBED_DIM), dtype=np.float32)
        self.valid = np.zeros(len(self.emb), dtype=bool)
        self.author = np.zeros(len(self.emb), dtype=np.int64)
        self.gen = np.zeros(len(self.emb), dtype=np.int64)  # bumped when a slot is rewritten
        self._free: list[int] = list(range(len(self.emb) - 1, -1, -1))

    def put(self, vec: np.ndarray, author_code: int) -> int:
        """Store a vector and return its slot (the caller evicts first when full)."""
        if not self._free:
            old = len(self.emb)
            new = min(old * 2, self.max_rows)
            if new == old:
                raise RuntimeError("embedding window full; evict before adding")
            self.emb = np.vstack([self.emb, np.zeros((new - old, EMBED_DIM), dtype=np.float32)])
            self.valid = np.concatenate([self.valid, np.zeros(new - old, dtype=bool)])
            self.author = np.concatenate([self.author, np.zeros(new - old, dtype=np.int64)])
            self.gen = np.concatenate([self.gen, np.zeros(new - old, dtype=np.int64)])
            self._free = list(range(new - 1, old - 1, -1))
        slot = self._free.pop()
        self.gen[slot] += 1
        self.emb[slot] = vec
        self.valid[slot] = True
        self.author[slot] = author_code
        return slot

    def release(self, slot: int) -> None:
        """Free a slot."""
        self.valid[slot] = False
        self._free.append(slot)

    def precompute(self, batch: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (window x batch cosines, slot generations) in one matrix product for a whole batch."""
        return self.emb @ batch.T, self.gen.copy()

    def neighbours(self, vec: np.ndarray, author_code: int, threshold: float,
                   pre: tuple[np.ndarray, np.ndarray] | None = None,
                   column: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Return (slots, cosines) of window rows by other authors with cosine >= threshold.

        With `pre` (from precompute) only rows rewritten or added since are multiplied again.
        """
        if pre is None:
            sims = self.emb @ vec
        else:
            cached, gen = pre
            sims = np.empty(len(self.emb), dtype=np.float32)
            n0 = len(gen)
            sims[:n0] = cached[:, column]
            stale = np.flatnonzero(self.gen[:n0] != gen)
            if stale.size:
                sims[stale] = self.emb[stale] @ vec
            if len(self.emb) > n0:
                sims[n0:] = self.emb[n0:] @ vec
        mask = self.valid & (self.author != author_code) & (sims >= threshold)
        slots = np.flatnonzero(mask)
        return slots, sims[slots]


class PhraseHistory:
    """Which near-duplicate band keys the server used on each of the last `days` days.

    Each closed day is a sorted uint32 array (exact, 4 bytes per key), the current day a set, so
    memory is bounded by the horizon times the message rate.
    """

    def __init__(self, days: int) -> None:
        """Keep `days` closed days plus the current one."""
        self.days = days
        self._closed: deque[tuple[int, np.ndarray]] = deque()
        self._today: int | None = None
        self._keys: set[int] = set()

    def _roll(self, day: int) -> None:
        if self._today is None:
            self._today = day
        if day <= self._today:
            return
        self._closed.append((self._today, np.array(sorted(self._keys), dtype=np.uint32)))
        self._keys = set()
        self._today = day
        while self._closed and self._closed[0][0] < day - self.days:
            self._closed.popleft()

    def days_seen(self, keys: np.ndarray, day: int, min_hits: int = 1) -> int:
        """Return on how many earlier days in the horizon at least min_hits of keys were used."""
        self._roll(day)
        seen = 0
        for closed_day, arr in self._closed:
            if closed_day < day and arr.size:
                pos = np.searchsorted(arr, keys)
                pos[pos >= arr.size] = arr.size - 1
                seen += int(np.count_nonzero(arr[pos] == keys)) >= min_hits
        return seen

    def add(self, keys: np.ndarray, day: int) -> None:
        """Record keys as used today."""
        self._roll(day)
        self._keys.update(int(k) for k in keys)

    @property
    def size(self) -> int:
        """Return the number of keys held (for memory checks)."""
        return len(self._keys) + sum(arr.size for _, arr in self._closed)

    def closed(self) -> list[tuple[int, np.ndarray]]:
        """Return the closed days held, oldest first (for storage)."""
        return list(self._closed)

    def today(self) -> tuple[int | None, np.ndarray]:
        """Return the current day and its keys so far (for storage)."""
        return self._today, np.array(sorted(self._keys), dtype=np.uint32)

    def load(self, closed: list[tuple[int, np.ndarray]], today: int | None, keys: np.ndarray) -> None:
        """Replace the history with stored days (closed days sorted by day)."""
        self._closed = deque(sorted(closed, key=lambda d: d[0]))
        self._today = today
        self._keys = {int(k) for k in keys}


@dataclass(slots=True)
class Member:
    """What the detector knows about one account in one guild."""

    posts: int = 0
    last_seen: datetime | None = None
    joined: datetime | None = None
    created: datetime | None = None


class MemberBook:
    """Per-account post counts and join times, forgetting accounts idle for longer than the horizon."""

    def __init__(self, horizon: timedelta, max_members: int) -> None:
        """Bound the book by idle time and by count."""
        self.horizon = horizon
        self.max_members = max_members
        self._members: OrderedDict[str, Member] = OrderedDict()

    def __len__(self) -> int:
        """Return the number of accounts held."""
        return len(self._members)

    def get(self, user: str) -> Member:
        """Return the member record (created if new), marking it most recently used."""
        m = self._members.get(user)
        if m is None:
            m = self._members[user] = Member()
        else:
            self._members.move_to_end(user)
        return m

    def peek(self, user: str) -> Member | None:
        """Return the member record without creating it."""
        return self._members.get(user)

    def touch(self, user: str, at: datetime) -> list[str]:
        """Mark activity and drop accounts idle past the horizon or beyond the cap; return those dropped."""
        self.get(user).last_seen = at
        dropped: list[str] = []
        while self._members:
            oldest_user, oldest = next(iter(self._members.items()))
            idle = oldest.last_seen is not None and at - oldest.last_seen > self.horizon
            if not idle and len(self._members) <= self.max_members:
                break
            del self._members[oldest_user]
            dropped.append(oldest_user)
        return dropped

    def put(self, user: str, member: Member) -> None:
        """Insert a restored record (restores run oldest activity first, so the order stays LRU)."""
        self._members[user] = member


class TimeSeries:
    """Time-ordered (time, key) events kept for a horizon, with range counts by bisection."""

    def __init__(self, horizon: timedelta, max_events: int) -> None:
        """Bound by age and count."""
        self.horizon = horizon
        self.max_events = max_events
        self.times: list[datetime] = []
        self.keys: list[str] = []

    def __len__(self) -> int:
        """Return the number of events held."""
        return len(self.times)

    def add(self, at: datetime, key: str) -> None:
        """Append an event (out-of-order events are inserted in place) and trim old ones."""
        i = bisect.bisect_right(self.times, at)
        self.times.insert(i, at)
        self.keys.insert(i, key)
        cut = bisect.bisect_left(self.times, at - self.horizon)
        cut = max(cut, len(self.times) - self.max_events)
        if cut > 0:
            del self.times[:cut]
            del self.keys[:cut]

    def between(self, start: datetime, end: datetime) -> list[str]:
        """Return the keys of events with start <= time <= end."""
        lo = bisect.bisect_left(self.times, start)
        hi = bisect.bisect_right(self.times, end)
        return self.keys[lo:hi]


@dataclass(slots=True)
class GuildState:
    """Everything the detector holds for one guild."""

    window: deque[Entry]
    entries: dict[str, Entry]
    lsh: LSHIndex
    matrix: EmbeddingWindow
    phrases: PhraseHistory
    members: MemberBook
    joins: TimeSeries
    reactions: TimeSeries  # key "message_id|user_id|channel_id"
    campaigns: dict[str, Campaign] = field(default_factory=dict)
    retired: OrderedDict[str, Campaign] = field(default_factory=OrderedDict)  # campaigns whose posts left the window
    exact: dict[int, deque[Entry]] = field(default_factory=dict)  # text hash -> its copies in the window, oldest first
    by_slot: dict[int, Entry] = field(default_factory=dict)  # embedding-matrix row -> entry
    brigades: dict[str, dict[str, object]] = field(default_factory=dict)  # topic -> latest brigade facts
    now: datetime | None = None
    started: datetime | None = None  # first post seen for this guild (history warm-up)
    guild: str = ""


def author_code(author: str) -> int:
    """Return a 63-bit integer for an author id (collisions are astronomically unlikely)."""
    digest = hashlib.blake2b(author.encode("utf-8", "replace"), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1
