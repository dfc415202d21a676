"""Detector-facing plain data: posts, reactions, joins and what a detector says about a post.

The detection core (`models/`) is built on these types alone; `bot/` builds the application on them.
No discord types, no database rows, no imports from `bot` or `cogs`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
# Evidence fields that quote a post's text: whoever writes one uses one of these names, and the retention
# purge removes them with the post's own text (everything else in evidence is scores, ids and descriptions).
MESSAGE_TEXT_KEYS = ("excerpt", "hidden_text", "quote", "text", "sample_text", "read_as")
MAX_CONTENT_CHARS = 4000  # Discord's limit for Nitro messages; longer text is truncated for scoring
# A stand-in post for a member's profile (a join or a name change judged by the impersonation detector):
# it carries the names through cases and alerts but is no Discord message (nothing to delete or link to).
PROFILE_POST_PREFIX = "profile:"


def is_profile_post(post_id: str) -> bool:
    """Return True for a profile stand-in post (not a Discord message)."""
    return post_id.startswith(PROFILE_POST_PREFIX)


def snowflake_time(snowflake: str | int) -> datetime | None:
    """Return the creation time encoded in a Discord snowflake id, or None if it is not one."""
    try:
        value = int(snowflake)
    except (TypeError, ValueError):
        return None
    if value < (1 << 22):
        return None
    ms = (value >> 22) + DISCORD_EPOCH_MS
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def valid_text(text: str) -> str:
    """Return text that is valid Unicode: each lone UTF-16 surrogate (real exports have them) becomes U+FFFD.

    Python's JSON decoder joins a proper surrogate pair into one character, so what is left can never be
    encoded as UTF-8: tokenizers and SQLite both reject it. Everything else is kept as written.
    """
    return _LONE_SURROGATE.sub("\ufffd", text) if _LONE_SURROGATE.search(text) else text


@dataclass(frozen=True, slots=True)
class Post:
    """One message or forum post, as the detectors see it (its text is always valid Unicode)."""

    id: str
    channel_id: str
    author_id: str
    content: str
    created_at: datetime
    guild_id: str = "0"
    author_name: str | None = None
    author_created_at: datetime | None = None
    author_joined_at: datetime | None = None
    thread_id: str | None = None
    parent_id: str | None = None
    reply_to: str | None = None
    edited_at: datetime | None = None
    is_bot: bool = False
    truncated: bool = False

    def __post_init__(self) -> None:
        """Make the text and names valid Unicode, whichever door (gateway, export, test) the post came in by."""
        for name in ("content", "author_name"):
            value = getattr(self, name)
            if isinstance(value, str) and (clean := valid_text(value)) is not value:
                object.__setattr__(self, name, clean)

    @property
    def scoring_text(self) -> str:
        """Return the content cut to Discord's maximum length, the text detectors score."""
        return self.content[:MAX_CONTENT_CHARS]

    @property
    def account_created_at(self) -> datetime | None:
        """Return the author's account creation time, from the payload or the snowflake id."""
        return self.author_created_at or snowflake_time(self.author_id)

    @property
    def account_age_days(self) -> float | None:
        """Return how old the author's account was when this post was made, in days (None if unknown)."""
        created = self.account_created_at
        return (self.created_at - created).total_seconds() / 86400 if created else None

    @property
    def topic_id(self) -> str:
        """Return the proposal thread (or channel) this post belongs to."""
        return self.thread_id or self.channel_id

    @property
    def version_key(self) -> str:
        """Return a key that changes when the post is edited (one verdict per version)."""
        return f"{self.id}@{self.edited_at.isoformat()}" if self.edited_at else self.id


@dataclass(frozen=True, slots=True)
class Reaction:
    """A reaction added to a message."""

    message_id: str
    user_id: str
    emoji: str
    created_at: datetime
    guild_id: str = "0"
    channel_id: str | None = None
    user_created_at: datetime | None = None
    user_joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MemberJoin:
    """A member joining the server."""

    user_id: str
    created_at: datetime
    guild_id: str = "0"
    account_created_at: datetime | None = None
    user_name: str | None = None


Event = Post | Reaction | MemberJoin


@dataclass(frozen=True, slots=True)
class DetectorOutput:
    """What one detector says about one post: a score in [0, 1] and readable evidence."""

    score: float
    evidence: dict[str, Any] = field(default_factory=dict)
    cluster: str | None = None
    eligible: bool = True  # False: never flag this post on its own (e.g. too short to judge)
    # Scores per category (e.g. toxicity: hate, harassment, threat, profanity) on the detector's own scale:
    # a guild's policy picks which categories count, and the post's score is the highest of those.
    categories: dict[str, float] = field(default_factory=dict)
