"""Load one guild's ISO week from the govmod database into a WeeklyReport (SQL in, dataclasses out).

Definitions used throughout the report:
- a post belongs to the week of its `created_at`; flags are the detectors in its stored verdict;
- a case belongs to the week of its first post (so replayed or re-scanned history lands in the
  week it happened, not the week it was scanned); its outcome is its status now;
- a campaign is a coordination case grouped as 'campaign:<id>' with at least one post in the week;
- an account is new when it was younger than NEW_ACCOUNT_DAYS at the time of its post.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.clock import stored_time, utc_now
from bot.domain import snowflake_time
from bot.reporting.model import (
    DETECTORS,
    EXCERPT_CHARS,
    NEW_ACCOUNT_DAYS,
    Account,
    Campaign,
    DayFlags,
    Decisions,
    DetectorPrecision,
    FlaggedPost,
    NewAccount,
    Outcomes,
    PrecisionPoint,
    Topic,
    Totals,
    WeeklyReport,
)
from bot.reporting.weeks import iso_week_bounds, normalize_week, shift_week, week_of
from bot.storage import Database
from models.registry import Grouping, grouping

HISTORY_WEEKS = 8
TOP_N = 10
_MARGIN = timedelta(days=1)  # SQL compares ISO strings; widen, then filter parsed times exactly


parse_time = stored_time  # a stored ISO 8601 time as aware UTC (None if missing or malformed)


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str:
    """Quote a post briefly on one line, with mentions defused so pasting it pings nobody."""
    if text is None:
        return "(text expired)"
    flat = re.sub(r"\s+", " ", text).strip().replace("@", "@\u200b")
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


@dataclass(frozen=True, slots=True)
class _Post:
    id: str
    channel_id: str
    thread_id: str | None
    author_id: str
    author_name: str | None
    account_created: datetime | None
    created_at: datetime
    content: str | None
    scored: bool
    flags: tuple[str, ...]
    scores: dict[str, float]

    @property
    def topic_id(self) -> str:
        return self.thread_id or self.channel_id

    @property
    def age_days(self) -> float | None:
        if self.account_created is None:
            return None
        return max(0.0, (self.created_at - self.account_created).total_seconds() / 86400)

    @property
    def is_new(self) -> bool:
        age = self.age_days
        return age is not None and age < NEW_ACCOUNT_DAYS


@dataclass(frozen=True, slots=True)
class _Case:
    id: int
    detector: str
    group_key: str
    status: str
    score: float
    created_at: datetime
    post_times: tuple[datetime, ...]
    alerted: bool = True  # an alert reached the moderators' channel

    @property
    def first_at(self) -> datetime:
        return self.post_times[0]

    @property
    def is_campaign(self) -> bool:
        return grouping(self.detector) is Grouping.CLUSTER and self.group_key.startswith("campaign:")

    def touches(self, start: datetime, end: datetime) -> bool:
        return any(start <= t < end for t in self.post_times)


_POST_SQL = """SELECT p.id, p.channel_id, p.thread_id, p.author_id, p.author_name, p.author_created_at,
       p.created_at, p.content, v.post_id AS scored, v.flags, v.scores FROM posts p
       LEFT JOIN verdicts v ON v.post_id = p.id"""


class _Loader:
    """Run the queries of one report against one database and guild."""

    def __init__(self, db: Database, guild_id: str) -> None:
        self.db = db
        self.guild_id = guild_id
        self.joined: dict[str, datetime] = {}

    async def rows(self, sql: str, args: Sequence[Any]) -> list[Any]:
        async with self.db.conn.execute(sql, args) as cur:
            return list(await cur.fetchall())

    async def load_joins(self) -> None:
        rows = await self.rows(
            "SELECT user_id, MIN(account_created_at) AS created FROM member_joins WHERE guild_id = ? "
            "AND account_created_at IS NOT NULL GROUP BY user_id", (self.guild_id,))
        self.joined = {r["user_id"]: t for r in rows if (t := parse_time(r["created"])) is not None}

    def post(self, row: Any) -> _Post | None:
        created = parse_time(row["created_at"])
        if created is None:
            return None
        account = (parse_time(row["author_created_at"]) or self.joined.get(row["author_id"])
                   or snowflake_time(row["author_id"]))
        return _Post(
            id=row["id"], channel_id=row["channel_id"], thread_id=row["thread_id"], author_id=row["author_id"],
            author_name=row["author_name"], account_created=account, created_at=created, content=row["content"],
            scored=row["scored"] is not None, flags=tuple(json.loads(row["flags"] or "[]")),
            scores=json.loads(row["scores"] or "{}"),
        )

    async def posts(self, start: datetime, end: datetime) -> list[_Post]:
        rows = await self.rows(
            f"{_POST_SQL} WHERE p.guild_id = ? AND p.created_at >= ? AND p.created_at < ? ORDER BY p.created_at",
            (self.guild_id, (start - _MARGIN).isoformat(), (end + _MARGIN).isoformat()))
        return [p for r in rows if (p := self.post(r)) is not None and start <= p.created_at < end]

    async def cases(self, start: datetime, end: datetime) -> list[_Case]:
        rows = await self.rows(
            """SELECT c.id, c.detector, c.group_key, c.status, c.score, c.created_at, c.alert_message_id,
                   p.created_at AS post_at
               FROM cases c JOIN case_posts cp ON cp.case_id = c.id JOIN posts p ON p.id = cp.post_id
               WHERE c.guild_id = ? AND c.id IN (
                   SELECT cp2.case_id FROM case_posts cp2 JOIN posts p2 ON p2.id = cp2.post_id
                   WHERE p2.guild_id = ? AND p2.created_at >= ? AND p2.created_at < ?)""",
            (self.guild_id, self.guild_id, (start - _MARGIN).isoformat(), (end + _MARGIN).isoformat()))
        grouped: dict[int, list[Any]] = defaultdict(list)
        for row in rows:
            grouped[row["id"]].append(row)
        cases = []
        for case_id, members in grouped.items():
            times = sorted(t for m in members if (t := parse_time(m["post_at"])) is not None)
            head = members[0]
            if times:
                cases.append(_Case(case_id, head["detector"], head["group_key"], head["status"], head["score"],
                                   parse_time(head["created_at"]) or times[0], tuple(times),
                                   head["alert_message_id"] is not None))
        return [c for c in cases if c.touches(start, end)]

    async def members(self, case_ids: Iterable[int]) -> dict[int, list[_Post]]:
        ids = list(case_ids)
        out: dict[int, list[_Post]] = defaultdict(list)
        if not ids:
            return out
        rows = await self.rows(
            f"SELECT cp.case_id, q.* FROM case_posts cp JOIN ({_POST_SQL}) q ON q.id = cp.post_id "
            f"WHERE cp.case_id IN ({','.join('?' * len(ids))}) ORDER BY q.created_at", ids)
        for row in rows:
            if (p := self.post(row)) is not None:
                out[row["case_id"]].append(p)
        return out

    async def first_reviews(self, case_ids: Iterable[int]) -> dict[int, datetime]:
        ids = list(case_ids)
        if not ids:
            return {}
        rows = await self.rows(
            f"SELECT case_id, created_at FROM reviews WHERE case_id IN ({','.join('?' * len(ids))}) ORDER BY id",
            ids)
        out: dict[int, datetime] = {}
        for row in rows:
            if row["case_id"] not in out and (t := parse_time(row["created_at"])) is not None:
                out[row["case_id"]] = t
        return out


def _outcomes(cases: Iterable[_Case]) -> Outcomes:
    counts = Counter(c.status for c in cases)
    return Outcomes(confirmed=counts["confirmed"], dismissed=counts["dismissed"], escalated=counts["escalated"],
                    open=counts["open"])


def _in_week(cases: Iterable[_Case], week: str) -> list[_Case]:
    return [c for c in cases if week_of(c.first_at) == week]


def _totals(week: str, posts: Sequence[_Post], cases: Sequence[_Case]) -> Totals:
    start, end = iso_week_bounds(week)
    scored = [p for p in posts if p.scored]
    flagged = [p for p in scored if p.flags]
    new = [p for p in posts if p.is_new]
    own = _in_week(cases, week)
    return Totals(
        week=week, posts=len(posts), posts_scored=len(scored), active_accounts=len({p.author_id for p in posts}),
        flagged_posts=len(flagged), flagged_accounts=len({p.author_id for p in flagged}),
        flags=dict(Counter(d for p in flagged for d in p.flags)), cases=len(own),
        campaigns=sum(1 for c in cases if c.is_campaign and c.touches(start, end)),
        new_accounts=len({p.author_id for p in new}), new_account_posts=len(new), outcomes=_outcomes(own),
    )


class _Labels:
    """Show account ids, or names too where moderators allowed it."""

    def __init__(self, show_names: bool, posts: Iterable[_Post]) -> None:
        self.show_names = show_names
        self.names = {p.author_id: p.author_name for p in posts if p.author_name}

    def __call__(self, author_id: str) -> str:
        name = self.names.get(author_id) if self.show_names else None
        return f"{name} ({author_id})" if name else author_id


def _daily(start: datetime, posts: Sequence[_Post]) -> tuple[DayFlags, ...]:
    days = []
    for offset in range(7):
        day = (start + timedelta(days=offset)).date()
        counts = Counter(d for p in posts if p.created_at.date() == day for d in p.flags)
        days.append(DayFlags(day=day, counts=dict(counts)))
    return tuple(days)


def _campaign(case: _Case, members: Sequence[_Post], label: _Labels) -> Campaign:
    first_by_author: dict[str, _Post] = {}
    for post in members:
        first_by_author.setdefault(post.author_id, post)
    ages = sorted(a for p in first_by_author.values() if (a := p.age_days) is not None)
    topics = Counter(p.topic_id for p in members)
    return Campaign(
        case_id=case.id, campaign_id=case.group_key.removeprefix("campaign:"), status=case.status,
        score=case.score, topic_id=topics.most_common(1)[0][0] if topics else None, topics=len(topics),
        accounts=tuple(label(a) for a in first_by_author), account_ages_days=tuple(ages),
        new_accounts=sum(1 for p in first_by_author.values() if p.is_new), post_times=case.post_times,
        excerpt=excerpt(members[0].content) if members else "",
    )


def _topics(posts: Sequence[_Post], campaigns: Sequence[Campaign], members: dict[int, list[_Post]]) -> list[Topic]:
    by_topic: dict[str, list[_Post]] = defaultdict(list)
    for post in posts:
        by_topic[post.topic_id].append(post)
    campaign_topics: Counter[str] = Counter()
    for campaign in campaigns:
        campaign_topics.update({p.topic_id for p in members.get(campaign.case_id, [])})
    topics = [
        Topic(topic_id=t, posts=len(ps), flagged_posts=sum(1 for p in ps if p.flags),
              flagged_accounts=len({p.author_id for p in ps if p.flags}), campaigns=campaign_topics[t])
        for t, ps in by_topic.items()
    ]
    topics = [t for t in topics if t.flagged_posts or t.campaigns]
    return sorted(topics, key=lambda t: (-t.flagged_posts, -t.campaigns, -t.posts, t.topic_id))[:5]


def _accounts(posts: Sequence[_Post], label: _Labels) -> list[Account]:
    by_author: dict[str, list[_Post]] = defaultdict(list)
    for post in posts:
        by_author[post.author_id].append(post)
    accounts = [
        Account(author_id=a, label=label(a), posts=len(ps), flagged_posts=sum(1 for p in ps if p.flags),
                by_detector=dict(Counter(d for p in ps for d in p.flags)), age_days=ps[0].age_days)
        for a, ps in by_author.items() if any(p.flags for p in ps)
    ]
    return sorted(accounts, key=lambda a: (-a.flagged_posts, -a.posts, a.author_id))[:TOP_N]


def _new_accounts(posts: Sequence[_Post], label: _Labels) -> list[NewAccount]:
    by_author: dict[str, list[_Post]] = defaultdict(list)
    for post in posts:
        if post.is_new:
            by_author[post.author_id].append(post)
    rows = [
        NewAccount(author_id=a, label=label(a), age_days=ps[0].age_days or 0.0, posts=len(ps),
                   flagged_posts=sum(1 for p in ps if p.flags), topics=len({p.topic_id for p in ps}))
        for a, ps in by_author.items()
    ]
    return sorted(rows, key=lambda n: (-n.flagged_posts, -n.posts, n.author_id))[:TOP_N]


def _decisions(cases: Sequence[_Case], reviews: dict[int, datetime]) -> Decisions:
    hours = [max(0.0, (reviews[c.id] - c.created_at).total_seconds() / 3600) for c in cases if c.id in reviews]
    unreached = sum(1 for c in cases if not c.alerted and c.id not in reviews)
    return Decisions(outcomes=_outcomes(cases), decided=len(hours),
                     median_hours=statistics.median(hours) if hours else None, max_hours=max(hours, default=None),
                     unreached=unreached)


def _examples(posts: Sequence[_Post], label: _Labels, limit: int = 5) -> list[FlaggedPost]:
    flagged = [p for p in posts if p.flags]
    flagged.sort(key=lambda p: (-max(p.scores.get(d, 0.0) for d in p.flags), p.created_at, p.id))
    return [
        FlaggedPost(post_id=p.id, author=label(p.author_id), topic_id=p.topic_id, created_at=p.created_at,
                    detectors=p.flags, score=max(p.scores.get(d, 0.0) for d in p.flags), excerpt=excerpt(p.content))
        for p in flagged[:limit]
    ]


async def load_report(db: Database, guild_id: str, week: str, show_names: bool = False,
                      now: datetime | None = None) -> WeeklyReport:
    """Query everything the weekly report of one guild shows, with last week's totals for comparison."""
    week = normalize_week(week)
    start, end = iso_week_bounds(week)
    before = shift_week(week, -1)
    history_start, _ = iso_week_bounds(shift_week(week, -(HISTORY_WEEKS - 1)))
    loader = _Loader(db, guild_id)
    await loader.load_joins()
    posts = await loader.posts(start, end)
    previous_posts = await loader.posts(*iso_week_bounds(before))
    cases = await loader.cases(history_start, end)
    own = _in_week(cases, week)
    campaign_cases = [c for c in cases if c.is_campaign and c.touches(start, end)]
    members = await loader.members(c.id for c in campaign_cases)
    label = _Labels(show_names, [*posts, *(p for ps in members.values() for p in ps)])
    campaigns = sorted((_campaign(c, members.get(c.id, []), label) for c in campaign_cases),
                       key=lambda c: (c.first_at, c.case_id))
    found = sorted({c.detector for c in cases} | {d for p in posts for d in p.flags})
    detectors = (*DETECTORS, *(d for d in found if d not in DETECTORS))
    history = []
    for offset in range(HISTORY_WEEKS - 1, -1, -1):
        w = shift_week(week, -offset)
        weekly = _in_week(cases, w)
        history.append(PrecisionPoint(week=w, precision={
            d: _outcomes(c for c in weekly if c.detector == d).precision for d in detectors}))
    return WeeklyReport(
        guild_id=guild_id, week=week, start=start, end=end, show_names=show_names, detectors=detectors,
        totals=_totals(week, posts, cases), previous=_totals(before, previous_posts, cases),
        daily=_daily(start, posts),
        precision=tuple(DetectorPrecision(d, _outcomes(c for c in own if c.detector == d)) for d in detectors),
        history=tuple(history), campaigns=tuple(campaigns), topics=tuple(_topics(posts, campaigns, members)),
        accounts=tuple(_accounts(posts, label)), new_accounts=tuple(_new_accounts(posts, label)),
        decisions=_decisions(own, await loader.first_reviews(c.id for c in own)),
        examples=tuple(_examples(posts, label)), generated_at=now or utc_now(),
    )
