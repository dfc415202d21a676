"""A seeded governance week for `govmod eval coordination`: real human background, planted campaigns, traps.

Background: real human text (TweepFake human tweets, TweetEval non-offensive tweets and sentences
of human DAO proposals / governance-call summaries from the long-form set, label 0), posted all
week (day-heavy rhythm, ~450 posts a day) by established members with a skewed activity, a trickle
of genuinely new members, in several text channels and forum threads, before, during and after
every campaign. Campaign kinds: exact copies, light edits, real paraphrase pairs (STS-B test >= 4.0,
MRPC test label 1: held out from the cosine tuning, which used the train splits), hand-reworded
talking points; fresh, aged sleeper or mixed accounts; 3 to 30 accounts; 2 minutes to 3 hours; one
thread or several; some overlap in time. Traps that must not flag are listed in TRAPS.
"""

from __future__ import annotations

import logging
import math
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from models.coordination.simulate import PlantedCampaign, Scenario
from models.coordination.simulate_text import ANNOUNCEMENT, CONGRATS, GM, TALKING_POINTS, light_edit, paraphrase
from models.types import MemberJoin, Post, Reaction

log = logging.getLogger(__name__)

GUILD = "901"
START = datetime(2025, 6, 2, tzinfo=UTC)
CHANNELS = ("general", "governance", "random", "support", "announcements")
THREADS = tuple(f"aip-{n}" for n in range(60, 72))  # forum threads, one per proposal
KINDS = ("copy", "edit", "paraphrase", "reworded")
ACCOUNTS = ("fresh", "sleeper", "mixed")
TRAPS = ("gm_wave", "congrats_burst", "newcomer_wave", "repeater", "title_quote", "official_link",
         "daily_phrase")
TITLE = "AIP-64: Treasury Diversification Framework v2"
LINK = "https://snapshot.org/#/govdao.eth/proposal/0x3f2a9c1d"
DAILY = "wen snapshot vote? lfg team, great work on the forum today"
_SENT = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True, slots=True)
class Pools:
    """Real text the week is made of."""

    background: list[str]
    governance: list[str]
    pairs: list[tuple[str, str]]


def load_pools(limit: int = 30_000) -> Pools:
    """Return human tweets, human governance sentences and held-out real paraphrase pairs."""
    import csv

    from models.coordination.simulate import tweet_pool
    from models.training.datasets import data_root, mrpc, sts

    gov: list[str] = []
    path = data_root() / "ai_text" / "longform" / "longform.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            domain = row["domain"]
            if row["label"] == "0" and ("governance" in domain or domain == "protocol_improvement_proposal"):
                for sent in _SENT.split(" ".join(row["text"].split())):
                    if 8 <= len(sent.split()) <= 45 and not sent.startswith(("#", "|", "-")):
                        gov.append(sent)
    pairs = [(a, b) for a, b, s in sts("test") if s >= 4.0 and len(a.split()) >= 8]
    pairs += [(a, b) for a, b, y in mrpc("test") if y == 1 and len(a.split()) >= 8]
    return Pools(background=tweet_pool(limit), governance=sorted(set(gov)), pairs=pairs)


class _Week:
    """Accumulate the week's events and the truth about them."""

    def __init__(self, seed: int, pools: Pools, days: int) -> None:
        self.rng = random.Random(seed)
        self.pools, self.days = pools, days
        self.sc = Scenario(seed=seed)
        self._next = 50_000
        self.members: list[tuple[str, datetime, datetime]] = []
        self.weights: list[float] = []

    def new_id(self) -> str:
        self._next += 1
        return str(self._next)

    def account(self, at: datetime, kind: str) -> tuple[str, datetime, datetime]:
        r = self.rng
        if kind == "fresh":
            created, joined = at - timedelta(days=r.uniform(0.3, 25)), at - timedelta(hours=r.uniform(0.3, 60))
        elif kind == "sleeper":
            created, joined = at - timedelta(days=r.uniform(300, 1800)), at - timedelta(days=r.uniform(40, 400))
        else:
            created, joined = at - timedelta(days=r.uniform(120, 2200)), at - timedelta(days=r.uniform(20, 800))
        return f"u{self.new_id()}", created, joined

    def post(self, who: tuple[str, datetime, datetime], text: str, at: datetime, topic: str) -> Post:
        thread = topic if topic in THREADS else None
        p = Post(id=self.new_id(), channel_id="proposals" if thread else topic, thread_id=thread,
                 author_id=who[0], content=text, created_at=at, guild_id=GUILD, author_created_at=who[1],
                 author_joined_at=who[2])
        self.sc.events.append(p)
        return p

    def member(self) -> tuple[str, datetime, datetime]:
        return self.rng.choices(self.members, self.weights)[0]

    def when(self, day: float) -> datetime:
        """Return a time on `day` with a daytime-heavy rhythm (few posts at night)."""
        hour = min(23.99, max(0.0, self.rng.gauss(15, 4.5)))
        return START + timedelta(days=int(day), hours=hour)


def _background(w: _Week, per_day: int) -> None:
    r = w.rng
    for day in range(w.days):
        for _ in range(per_day):
            topic = r.choice(CHANNELS[:4] + THREADS) if r.random() < 0.75 else r.choice(THREADS)
            gov = topic in THREADS or topic == "governance"
            text = r.choice(w.pools.governance if gov and r.random() < 0.6 else w.pools.background)
            w.post(w.member(), text, w.when(day), topic)
        for _ in range(r.randint(3, 8)):  # a trickle of genuinely new members, each with their own words
            at = w.when(day)
            acct = w.account(at, "fresh")
            w.sc.events.append(MemberJoin(user_id=acct[0], created_at=acct[2], guild_id=GUILD,
                                          account_created_at=acct[1]))
            w.post(acct, r.choice(w.pools.background), at, r.choice(CHANNELS[:2]))


def _trap_posts(w: _Week, trap: str, texts: list[str], at: datetime, minutes: float, topic: str,
                authors: list[tuple[str, datetime, datetime]] | None = None) -> None:
    authors = authors or w.rng.sample(w.members, len(texts))
    for who, text in zip(authors, texts, strict=False):
        p = w.post(who, text, at + timedelta(minutes=w.rng.uniform(0, minutes)), topic)
        w.sc.trap_of[p.id] = trap


def _traps(w: _Week) -> None:
    r = w.rng
    for day in range(w.days):
        n = r.randint(25, 40)
        _trap_posts(w, "gm_wave", [r.choice(GM) for _ in range(n)], START + timedelta(days=day, hours=8), 45,
                    "general")
        own = [r.choice(w.members) for _ in range(9)]  # the same regulars say it every day
        _trap_posts(w, "daily_phrase", [DAILY] * 9, START + timedelta(days=day, hours=10), 600, "general", own)
    at = START + timedelta(days=w.days - 2, hours=16)
    w.post(w.members[0], ANNOUNCEMENT, at, "announcements")
    _trap_posts(w, "congrats_burst", [r.choice(CONGRATS) for _ in range(26)], at, 20, "announcements")
    newcomers = START + timedelta(days=2, hours=19)
    accts = []
    for _ in range(22):
        uid, created, _ = w.account(newcomers, "fresh")
        joined = newcomers + timedelta(minutes=r.uniform(0, 8))
        w.sc.events.append(MemberJoin(user_id=uid, created_at=joined, guild_id=GUILD, account_created_at=created))
        accts.append((uid, created, joined))
    _trap_posts(w, "newcomer_wave", [r.choice(w.pools.background) for _ in accts], newcomers + timedelta(minutes=10),
                50, "general", accts)
    rep = [w.members[7]] * 15
    _trap_posts(w, "repeater", ["Has anyone checked the new staking contract? I can't claim my rewards and "
                                "support is silent."] * 15, START + timedelta(days=3, hours=11), 60, "support", rep)
    quotes = [f'Re "{TITLE}": {r.choice(w.pools.governance)}' for _ in range(20)]
    _trap_posts(w, "title_quote", quotes, START + timedelta(days=4, hours=14), 90, "aip-64")
    links = [LINK if i % 2 else f"{r.choice(['voted', 'vote is up', 'official link', 'here'])} {LINK}"
             for i in range(18)]
    _trap_posts(w, "official_link", links, START + timedelta(days=5, hours=15), 60, "governance")


def _campaign_texts(w: _Week, kind: str, n_posts: int, topic: str) -> list[str]:
    r = w.rng
    point = [v.replace("{p}", topic.upper()) for v in r.choice(TALKING_POINTS)]
    if kind == "paraphrase":
        a, b = r.choice(w.pools.pairs)
        return [(a, b)[i % 2] for i in range(n_posts)]
    base = point[0] if r.random() < 0.5 else r.choice(w.pools.pairs)[0]
    if kind == "copy":
        return [base] * n_posts
    if kind == "edit":
        return [light_edit(base, r) for _ in range(n_posts)]
    return [paraphrase(point, r) for _ in range(n_posts)]


def _campaign(w: _Week, idx: int, at: datetime) -> None:
    r = w.rng
    kind, acc_kind = KINDS[idx % len(KINDS)], ACCOUNTS[(idx // len(KINDS)) % len(ACCOUNTS)]
    n = r.choice([3, 3, 4, 5, 6, 8, 10, 12, 16, 20, 30])
    spread = timedelta(minutes=math.exp(r.uniform(math.log(2), math.log(180))))
    topics = r.sample(THREADS, r.choice([1, 1, 1, 2, 3]))
    raid, brigade = acc_kind == "fresh" and r.random() < 0.4, r.random() < 0.3
    accounts = []
    raid_at = at - timedelta(hours=r.uniform(0.5, 10))
    for i in range(n):
        kind_i = acc_kind if acc_kind != "mixed" else ("fresh" if i % 2 else "sleeper")
        acct = w.account(at, kind_i)
        if raid:
            acct = (acct[0], acct[1], raid_at + timedelta(seconds=r.uniform(0, 300)))
        if kind_i == "fresh":
            w.sc.events.append(MemberJoin(user_id=acct[0], created_at=acct[2], guild_id=GUILD,
                                          account_created_at=acct[1]))
        accounts.append(acct)
    posters = [a for a in accounts for _ in range(1 if r.random() < 0.85 else 2)]
    cid = f"week-{w.sc.seed}-{idx}"
    ids = []
    for acct, text in zip(posters, _campaign_texts(w, kind, len(posters), topics[0]), strict=True):
        p = w.post(acct, text, at + r.uniform(0, 1) * spread, r.choice(topics))
        ids.append(p.id)
        w.sc.campaign_of[p.id] = cid
    if brigade:
        for acct in accounts:
            w.sc.events.append(Reaction(message_id=ids[0], user_id=acct[0], emoji="👍", guild_id=GUILD,
                                        created_at=at + spread + timedelta(seconds=r.uniform(0, 300)),
                                        channel_id="proposals", user_created_at=acct[1], user_joined_at=acct[2]))
    w.sc.campaigns.append(PlantedCampaign(id=cid, kind=f"{kind}/{acc_kind}", accounts=acc_kind, n_accounts=n,
                                          spread=spread, topic=",".join(topics), post_ids=tuple(ids), raid=raid,
                                          brigade=brigade))


def week(seed: int, pools: Pools, *, days: int = 8, per_day: int = 450, members: int = 320,
         campaigns: int = 16) -> Scenario:
    """Return a seeded governance week (`days` days) with planted campaigns and every trap."""
    w = _Week(seed, pools, days)
    w.members = [w.account(START, "member") for _ in range(members)]
    w.weights = [1 / (i + 1) ** 0.8 for i in range(members)]
    _background(w, per_day)
    _traps(w)
    at = START + timedelta(days=1, hours=9)
    for idx in range(campaigns):  # from day 2 to the last day's evening; a third start 5-40 min after the previous one
        if idx % 3 != 2:
            at = START + timedelta(days=1) + timedelta(days=days - 1.4) * w.rng.random()
        else:
            at += timedelta(minutes=w.rng.uniform(5, 40))
        _campaign(w, idx + seed * 100, at)
    w.sc.events.sort(key=lambda e: (e.created_at, 0 if isinstance(e, MemberJoin) else 1))
    return w.sc
