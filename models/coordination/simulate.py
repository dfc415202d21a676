"""Seeded synthetic server histories with planted coordination campaigns and organic traps.

Background chatter is real human tweet text (`models.training.datasets.human_tweets`) from established
members. Planted campaigns (exact copies, light edits, paraphrases; fresh accounts, aged sleeper
accounts or a mix; 2-minute or 2-hour windows; 3-15 accounts) push a talking point on one proposal
thread, sometimes after a join raid and with a reaction brigade. Traps must *not* be flagged: daily
gm waves, a congratulations burst after an announcement, a wave of genuinely new members each
saying something different, and one member repeating themselves.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from models.coordination.simulate_text import (
    ANNOUNCEMENT,
    CONGRATS,
    GM,
    TALKING_POINTS,
    light_edit,
    paraphrase,
)
from models.types import MemberJoin, Post, Reaction

log = logging.getLogger(__name__)

GUILD = "900"
START = datetime(2025, 3, 3, tzinfo=UTC)
TRAPS = ("gm_wave", "congrats_burst", "newcomer_wave", "repeater")
CAMPAIGN_KINDS = ("copy", "edit", "paraphrase")
ACCOUNT_KINDS = ("fresh", "sleeper", "mixed")


@dataclass(frozen=True, slots=True)
class PlantedCampaign:
    """What was planted: the truth the evaluation compares against."""

    id: str
    kind: str
    accounts: str
    n_accounts: int
    spread: timedelta
    topic: str
    post_ids: tuple[str, ...]
    raid: bool
    brigade: bool


@dataclass(slots=True)
class Scenario:
    """A simulated server history: time-ordered events and the truth about them."""

    seed: int
    events: list[Post | Reaction | MemberJoin] = field(default_factory=list)
    campaigns: list[PlantedCampaign] = field(default_factory=list)
    campaign_of: dict[str, str] = field(default_factory=dict)  # post id -> planted campaign id
    trap_of: dict[str, str] = field(default_factory=dict)  # post id -> trap name

    @property
    def posts(self) -> list[Post]:
        """Return the posts in time order."""
        return [e for e in self.events if isinstance(e, Post)]


class _Builder:
    """Accumulate events with unique ids."""

    def __init__(self, seed: int, texts: list[str]) -> None:
        self.rng = random.Random(seed)
        self.texts = texts
        self.sc = Scenario(seed=seed)
        self._next_id = 10_000
        self.members: list[tuple[str, datetime, datetime]] = []  # (id, created, joined)

    def new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def account(self, at: datetime, kind: str) -> tuple[str, datetime, datetime]:
        """Return a fresh (days old, joined hours ago) or sleeper (years old, joined months ago) account."""
        rng = self.rng
        uid = f"u{self.new_id()}"
        if kind == "fresh":
            created = at - timedelta(days=rng.uniform(0.5, 20))
            joined = at - timedelta(hours=rng.uniform(0.5, 48))
        elif kind == "sleeper":
            created = at - timedelta(days=rng.uniform(400, 1500))
            joined = at - timedelta(days=rng.uniform(90, 380))
        else:  # established member
            created = at - timedelta(days=rng.uniform(200, 2000))
            joined = at - timedelta(days=rng.uniform(60, 700))
        return uid, created, joined

    def post(self, author: tuple[str, datetime, datetime], text: str, at: datetime, topic: str) -> Post:
        uid, created, joined = author
        post = Post(id=self.new_id(), channel_id=topic, author_id=uid, content=text, created_at=at,
                    guild_id=GUILD, author_created_at=created, author_joined_at=joined)
        self.sc.events.append(post)
        return post

    def tweet(self) -> str:
        return self.rng.choice(self.texts)


def _background(b: _Builder, days: int, per_day: int, topics: list[str]) -> None:
    """Established members chatting all day long, with a Zipf-like activity skew."""
    rng = b.rng
    weights = [1 / (i + 1) ** 0.8 for i in range(len(b.members))]
    for _ in range(days * per_day):
        at = START + timedelta(seconds=rng.uniform(0, days * 86400))
        author = rng.choices(b.members, weights)[0]
        b.post(author, b.tweet(), at, rng.choice(topics))


def _gm_waves(b: _Builder, days: int) -> None:
    for day in range(days):
        base = START + timedelta(days=day, hours=8 + b.rng.uniform(0, 1))
        for author in b.rng.sample(b.members, 25):
            text = b.rng.choice(GM)
            p = b.post(author, text, base + timedelta(minutes=b.rng.uniform(0, 40)), "general")
            b.sc.trap_of[p.id] = "gm_wave"


def _congrats(b: _Builder, at: datetime) -> None:
    mod = b.members[0]
    b.post(mod, ANNOUNCEMENT, at, "announcements")
    for author in b.rng.sample(b.members[1:], 22):
        p = b.post(author, b.rng.choice(CONGRATS), at + timedelta(minutes=b.rng.uniform(0.2, 20)),
                   "announcements")
        b.sc.trap_of[p.id] = "congrats_burst"
    announcement = next(e for e in reversed(b.sc.events) if isinstance(e, Post) and e.content == ANNOUNCEMENT)
    for uid, created, joined in b.rng.sample(b.members, 40):  # an organic pile of reactions
        b.sc.events.append(Reaction(message_id=announcement.id, user_id=uid, emoji="🎉", guild_id=GUILD,
                                    created_at=at + timedelta(minutes=b.rng.uniform(0, 15)),
                                    channel_id="announcements", user_created_at=created,
                                    user_joined_at=joined))


def _newcomers(b: _Builder, at: datetime) -> None:
    """Twenty genuinely new members join within minutes (e.g. after a tweet) and each say something."""
    for _ in range(20):
        acct = b.account(at, "fresh")
        uid, created, _ = acct
        joined = at + timedelta(minutes=b.rng.uniform(0, 8))
        acct = (uid, created, joined)
        b.sc.events.append(MemberJoin(user_id=uid, created_at=joined, guild_id=GUILD,
                                      account_created_at=created))
        p = b.post(acct, b.tweet(), joined + timedelta(minutes=b.rng.uniform(2, 60)), "general")
        b.sc.trap_of[p.id] = "newcomer_wave"


def _repeater(b: _Builder, at: datetime) -> None:
    author = b.members[5]
    text = "Has anyone checked the new staking contract? I can't claim my rewards and support is silent."
    for i in range(15):
        p = b.post(author, text, at + timedelta(minutes=4 * i), b.rng.choice(["general", "support"]))
        b.sc.trap_of[p.id] = "repeater"


def _campaign(b: _Builder, idx: int, at: datetime, topic: str) -> None:
    rng = b.rng
    kind = CAMPAIGN_KINDS[idx % 3]
    acc_kind = ACCOUNT_KINDS[(idx // 3) % 3]
    n = rng.choice([3, 4]) if idx % 7 == 6 else rng.randint(5, 15)
    spread = timedelta(minutes=2) if idx % 2 == 0 else timedelta(hours=2)
    raid = acc_kind == "fresh" and rng.random() < 0.5
    brigade = rng.random() < 0.4
    cid = f"planted-{b.sc.seed}-{idx}"
    variants = [v.replace("{p}", topic.upper()) for v in TALKING_POINTS[rng.randrange(len(TALKING_POINTS))]]
    seed_text = variants[0]
    raid_at = at - timedelta(hours=rng.uniform(1, 12))
    post_ids: list[str] = []
    accounts = []
    for i in range(n):
        kind_i = acc_kind if acc_kind != "mixed" else ("fresh" if i % 2 else "sleeper")
        acct = b.account(at, kind_i)
        if raid:
            acct = (acct[0], acct[1], raid_at + timedelta(seconds=rng.uniform(0, 300)))
        if kind_i == "fresh":
            b.sc.events.append(MemberJoin(user_id=acct[0], created_at=acct[2], guild_id=GUILD,
                                          account_created_at=acct[1]))
        accounts.append(acct)
    for acct in accounts:
        for _ in range(1 if rng.random() < 0.8 else 2):
            text = (seed_text if kind == "copy" else light_edit(seed_text, rng) if kind == "edit"
                    else paraphrase(variants, rng))
            p = b.post(acct, text, at + rng.uniform(0, 1) * spread, topic)
            post_ids.append(p.id)
            b.sc.campaign_of[p.id] = cid
    if brigade and post_ids:
        target = post_ids[0]
        for acct in accounts:
            b.sc.events.append(Reaction(message_id=target, user_id=acct[0], emoji="👍", guild_id=GUILD,
                                        created_at=at + spread + timedelta(seconds=rng.uniform(0, 300)),
                                        channel_id=topic, user_created_at=acct[1], user_joined_at=acct[2]))
    b.sc.campaigns.append(PlantedCampaign(id=cid, kind=kind, accounts=acc_kind, n_accounts=n, spread=spread,
                                          topic=topic, post_ids=tuple(post_ids), raid=raid, brigade=brigade))


def simulate(seed: int, texts: list[str], *, days: int = 3, members: int = 150, per_day: int = 400,
             campaigns: int = 9) -> Scenario:
    """Return a seeded server history of `days` days with planted campaigns and every trap."""
    b = _Builder(seed, texts)
    b.members = [b.account(START, "member") for _ in range(members)]
    proposals = [f"aip-{40 + i}" for i in range(6)]
    _background(b, days, per_day, ["general", "governance", *proposals])
    _gm_waves(b, days)
    end = START + timedelta(days=days)
    _congrats(b, START + timedelta(days=days - 1, hours=15))
    _newcomers(b, START + timedelta(days=1, hours=18))
    _repeater(b, START + timedelta(days=1, hours=11))
    for idx in range(campaigns):
        # campaigns start after the first day so history (phrases, member activity) exists
        at = START + timedelta(days=1) + (end - START - timedelta(days=1, hours=3)) * b.rng.random()
        _campaign(b, idx + seed * 100, at, b.rng.choice(proposals))
    b.sc.events.sort(key=lambda e: e.created_at)
    return b.sc


def tweet_pool(limit: int = 20_000) -> list[str]:
    """Return distinct human tweet texts (>= 3 words) for background chatter."""
    from models.coordination.minhash import canonical
    from models.training.datasets import human_tweets

    seen: set[str] = set()
    pool: list[str] = []
    for text in human_tweets():
        key = canonical(text)
        if len(key.split()) >= 3 and key not in seen:
            seen.add(key)
            pool.append(text)
        if len(pool) >= limit:
            break
    return pool
