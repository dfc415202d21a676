"""Plain data passed between govmod's layers (no discord types, no database rows)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.clock import utc_now

DISCORD_EPOCH_MS = 1420070400000
# Evidence fields that quote a post's text: whoever writes one uses one of these names, and the retention
# purge removes them with the post's own text (everything else in evidence is scores, ids and descriptions).
MESSAGE_TEXT_KEYS = ("excerpt", "hidden_text", "quote", "text", "sample_text")
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


class CaseStatus(enum.StrEnum):
    """Lifecycle of a case: opened by the bot, closed by a human."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    ESCALATED = "escalated"
    MERGED = "merged"  # closed by govmod: its campaign joined another case (see `Case.merged_into`)


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ESCALATED)


class Decision(enum.StrEnum):
    """What a moderator decided on a case."""

    CONFIRM = "confirm"
    DISMISS = "dismiss"
    ESCALATE = "escalate"


class Action(enum.StrEnum):
    """What was done to the flagged content after a confirmation."""

    NONE = "none"
    DELETE = "delete"
    TIMEOUT = "timeout"
    AUTO_HIDE = "auto_hide"


class Severity(enum.StrEnum):
    """How urgently a case needs a human."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


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


@dataclass(frozen=True, slots=True)
class Verdict:
    """The pipeline's judgement of one post: scores per detector, flags, evidence, versions."""

    post_id: str
    guild_id: str
    scores: dict[str, float]
    flags: tuple[str, ...]
    evidence: dict[str, dict[str, Any]]
    model_versions: dict[str, str]
    cluster: str | None = None
    scored_at: datetime = field(default_factory=utc_now)

    def to_output(self) -> dict[str, Any]:
        """Return the JSON object of the scan output contract."""
        return {
            "id": self.post_id,
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "flags": list(self.flags),
            "cluster": self.cluster,
            "evidence": self.evidence,
        }


@dataclass(frozen=True, slots=True)
class Case:
    """A flagged item awaiting or past human review."""

    id: int
    guild_id: str
    detector: str
    status: CaseStatus
    severity: Severity
    score: float
    post_ids: tuple[str, ...]
    author_ids: tuple[str, ...]
    channel_id: str | None
    evidence: dict[str, Any]
    model_versions: dict[str, str]
    created_at: datetime
    updated_at: datetime
    cluster_key: str | None = None
    alert_channel_id: str | None = None
    alert_message_id: str | None = None
    merged_into: int | None = None  # the case that absorbed this one (status MERGED)
    follows_case_id: int | None = None  # a dismissed case whose post was edited and now scores higher

    @property
    def is_open(self) -> bool:
        """Return True while the case still awaits a decision."""
        return self.status in OPEN_STATUSES


@dataclass(frozen=True, slots=True)
class Review:
    """A moderator's decision on a case."""

    case_id: int
    moderator_id: str
    decision: Decision
    action: Action
    note: str | None
    created_at: datetime
    id: int | None = None


class ActionResult(enum.StrEnum):
    """What one action on one target did."""

    DONE = "done"
    GONE = "gone"  # the message was already deleted, or the member already left
    FORBIDDEN = "forbidden"  # Discord refused (missing permission, role order)
    FAILED = "failed"  # any other error


@dataclass(frozen=True, slots=True)
class ActionRecord:
    """The result of one action on one message or member, stored after acting."""

    target_kind: str  # "message" | "member"
    target_id: str
    result: ActionResult
    detail: str = ""


@dataclass(frozen=True, slots=True)
class CaseNote:
    """A moderator's note on a case."""

    case_id: int
    author_id: str
    text: str
    created_at: datetime
    id: int | None = None
