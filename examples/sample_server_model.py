"""The sample server's fixed parts and the week's events: ids, times, accounts, channels, messages and reactions."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sample_server_texts import Account

DISCORD_EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
WEEK_START = datetime(2026, 11, 16, tzinfo=UTC)
WEEK_END = datetime(2026, 11, 22, 23, 59, 59, 999000, tzinfo=UTC)

GUILD_NAME = "Aster DAO"
GUILD_CREATED = "2021-10-05T17:22:41.318"
CATEGORY_CREATED = "2021-10-05T17:31:02.554"  # the "GOVERNANCE" category
CHANNEL_SPECS = {  # key: (created, name, type, topic)
    "ann": ("2021-10-05T17:33:19.120", "announcements", 5, "Official announcements. Read-only."),
    "gov": ("2021-10-05T17:35:47.902", "governance", 0,
            "Discussion of live proposals. Be civil: argue with positions, not people. "
            "Votes: snapshot.org/#/asterdao.eth and tally.xyz/gov/aster"),
    "chat": ("2022-03-14T10:02:11.407", "general-governance-chat", 0, "Casual governance chat, questions welcome."),
    "forum": ("2023-03-21T15:48:30.016", "proposals", 15, "One post per AIP. Title format: AIP-<n>: <title>"),
}
THREAD_TITLES = {
    "t41": "AIP-41: Treasury diversification into stablecoins",
    "t42": "AIP-42: Raise delegate compensation",
    "t43": "AIP-43: Grants council renewal (Season 4)",
    "t44": "AIP-44: Emergency multisig signer rotation",
}
ROLES = {  # name: (color, position); used for the DiscordChatExporter sample
    "Moderator": ("#E67E22", 9),
    "Security Council": ("#E74C3C", 8),
    "Delegate": ("#3498DB", 6),
    "Treasury WG": ("#2ECC71", 5),
    "Contributor": ("#9B59B6", 4),
    "Member": (None, 1),
}
ROLES_CREATED = "2021-10-05T18:00:00"  # role i was created 7*i minutes later


def T(text: str) -> datetime:
    """Parse a naive ISO time as UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ms_floor(dt: datetime) -> datetime:
    """Drop sub-millisecond precision (Discord timestamps are milliseconds)."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def iso(dt: datetime) -> str:
    """Format as ISO 8601 UTC with milliseconds and a Z."""
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def snowflake_time(sf: str) -> datetime:
    """Return the creation time encoded in a snowflake."""
    return DISCORD_EPOCH + timedelta(milliseconds=int(sf) >> 22)


class Snowflakes:
    """Hand out unique Discord snowflakes with seeded low bits."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[int] = set()

    def new(self, dt: datetime) -> str:
        """Return a unique snowflake whose timestamp part is ``dt``."""
        ms = (ms_floor(dt) - DISCORD_EPOCH) // timedelta(milliseconds=1)
        while True:
            value = (ms << 22) | self.rng.getrandbits(22)
            if value not in self.used:
                self.used.add(value)
                return str(value)


@dataclass
class User:
    """One account in the sample server."""

    handle: str
    display: str
    kind: str  # regular, astro, sock, newcomer, lurker, bot
    created: datetime
    joined: datetime
    roles: tuple[str, ...]
    id: str


@dataclass(frozen=True)
class Channel:
    """One channel of the guild."""

    id: str
    name: str
    type: int
    topic: str


@dataclass
class Week:
    """The guild, its accounts and the week's events as they are generated."""

    ids: Snowflakes
    rng_time: random.Random  # typing delays
    rng_people: random.Random  # who says gm, who reacts
    rng_misc: random.Random  # avatars, account creation clock times
    guild_id: str
    category_id: str
    channels: dict[str, Channel]
    users: dict[str, User]
    role_ids: dict[str, str]
    posts: dict[str, str]
    messages: list[dict[str, Any]] = field(default_factory=list)
    reactions: list[dict[str, Any]] = field(default_factory=list)
    joins: list[dict[str, Any]] = field(default_factory=list)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    threads: dict[str, str] = field(default_factory=dict)  # thread key -> thread id (= id of its forum post)

    def kind(self, kind: str) -> list[User]:
        """Return the accounts of one kind, in creation order."""
        return [u for u in self.users.values() if u.kind == kind]


def account_time(text: str, rng: random.Random) -> datetime:
    """Return the time of an account line: a bare date gets a seeded clock time, a full time seeded milliseconds."""
    if "T" in text:
        return T(text) + timedelta(milliseconds=rng.randint(0, 999))
    seconds, millis = rng.randint(6 * 3600, 23 * 3600), rng.randint(0, 999)
    return ms_floor(T(text) + timedelta(seconds=seconds, milliseconds=millis))


def new_week(accounts: list[Account], posts: dict[str, str]) -> Week:
    """Give the guild, channels, accounts and roles their ids (in this fixed order, so the seeds give the same ids)."""
    ids = Snowflakes(random.Random(4701))
    rng_misc = random.Random(4704)
    guild_id, category_id = ids.new(T(GUILD_CREATED)), ids.new(T(CATEGORY_CREATED))
    channels = {key: Channel(ids.new(T(created)), name, kind, topic)
                for key, (created, name, kind, topic) in CHANNEL_SPECS.items()}
    users: dict[str, User] = {}
    for acc in accounts:
        created, joined = account_time(acc.created, rng_misc), account_time(acc.joined, rng_misc)
        user_id = ids.new(created)
        users[acc.handle] = User(acc.handle, acc.display, acc.kind, snowflake_time(user_id), joined, acc.roles, user_id)
    role_ids = {name: ids.new(T(ROLES_CREATED) + timedelta(minutes=i * 7)) for i, name in enumerate(ROLES)}
    return Week(ids, random.Random(4702), random.Random(4703), rng_misc, guild_id, category_id, channels, users,
                role_ids, posts)


def add_message(week: Week, channel: str, when: datetime, who: str, content: str, reply_to: str | None = None,
                tags: tuple[str, ...] = (), edited_at: datetime | None = None) -> dict[str, Any]:
    """Create a message (opening the forum thread if this is its first message)."""
    user = week.users[who]
    when = ms_floor(when)
    msg_id = week.ids.new(when)
    thread_id = parent_id = None
    if channel.startswith("t"):
        if channel not in week.threads:
            week.threads[channel] = msg_id
        thread_id, parent_id = week.threads[channel], week.channels["forum"].id
        channel_id = thread_id
    else:
        channel_id = week.channels[channel].id
    assert user.created < when and user.joined < when, (who, when)
    msg = {
        "type": "message",
        "id": msg_id,
        "guild_id": week.guild_id,
        "channel_id": channel_id,
        "thread_id": thread_id,
        "parent_id": parent_id,
        "author_id": user.id,
        "author_name": user.handle,
        "author_created_at": iso(user.created),
        "author_joined_at": iso(user.joined),
        "content": content,
        "created_at": iso(when),
        "edited_at": iso(ms_floor(edited_at)) if edited_at else None,
        "reply_to": reply_to,
        "is_bot": user.kind == "bot",
        "_when": when,
        "_who": who,
        "_channel": channel,
        "_tags": tags,
    }
    week.messages.append(msg)
    return msg


def add_reaction(week: Week, msg: dict[str, Any], who: str, emoji: str, when: datetime,
                 tags: tuple[str, ...] = ()) -> None:
    """Add a reaction event."""
    user = week.users[who]
    when = ms_floor(when)
    assert when > msg["_when"] and user.joined < when, (who, msg["id"])
    week.reactions.append({
        "type": "reaction",
        "guild_id": week.guild_id,
        "channel_id": msg["channel_id"],
        "message_id": msg["id"],
        "user_id": user.id,
        "emoji": emoji,
        "created_at": iso(when),
        "user_created_at": iso(user.created),
        "user_joined_at": iso(user.joined),
        "_when": when,
        "_who": who,
        "_tags": tags,
    })
