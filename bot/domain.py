"""Plain data passed between govmod's layers (no discord types, no database rows)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.clock import utc_now
from models.types import (  # noqa: F401  (re-exported: the detector-facing types live in models)
    DISCORD_EPOCH_MS,
    MAX_CONTENT_CHARS,
    MESSAGE_TEXT_KEYS,
    PROFILE_POST_PREFIX,
    DetectorOutput,
    Event,
    MemberJoin,
    Post,
    Reaction,
    is_profile_post,
    snowflake_time,
    valid_text,
)


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
class ReviewRecord:
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
