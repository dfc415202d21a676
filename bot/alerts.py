"""Render cases and verdicts as plain alert cards (turned into discord.Embed by the cogs; no discord here)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain import Case, CaseStatus, Post, ReviewRecord, Severity, Verdict, is_profile_post
from models.registry import REGISTRY

LABELS = {spec.name: spec.title for spec in REGISTRY}  # alert card titles
SEVERITY_COLOURS = {Severity.LOW: 0xF1C40F, Severity.MEDIUM: 0xE67E22, Severity.HIGH: 0xE74C3C}
STATUS_COLOURS = {CaseStatus.CONFIRMED: 0x2ECC71, CaseStatus.DISMISSED: 0x95A5A6, CaseStatus.ESCALATED: 0x9B59B6}
# evidence keys the card shows on its own lines, or that are bookkeeping, not something to read
_SHOWN = {"summary", "excerpt", "author_id", "channel_id", "thread_id", "threshold"}
_SKIPPED = {"campaign", "members", "message_ids", "first_at", "last_at", "account_age_days", "topic"}
MAX_LISTED = 10
FIELD_MAX = 1024
DESCRIPTION_MAX = 4096


@dataclass(frozen=True, slots=True)
class CardField:
    """One name/value line of an alert card."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True, slots=True)
class AlertCard:
    """What an alert shows, independent of Discord: title, text, colour, fields, link, footer."""

    title: str
    description: str
    colour: int
    fields: tuple[CardField, ...] = ()
    url: str | None = None
    footer: str = ""
    timestamp: datetime | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a post was made: a channel, or a thread / forum post (with its title and parent channel)."""

    id: str
    kind: str = "channel"  # "channel", "thread" or "forum post"
    name: str | None = None
    parent_id: str | None = None

    def describe(self) -> str:
        """Return the place for a moderator: `<#id>` for a channel (Discord renders the name), titled threads."""
        if self.kind == "channel":
            return f"<#{self.id}>"
        title = f" **{_clip(self.name, 80)}** (<#{self.id}>)" if self.name else f" <#{self.id}>"
        return f"{self.kind}{title}" + (f" in <#{self.parent_id}>" if self.parent_id else "")


Places = Mapping[str, Place]
# "on thread 123", "in channel 123", "topic 123" (the words a detector may have used), or a bare snowflake
_PLACE_WORDS = re.compile(r"\b(?:(?:on|in) )?(?:the )?(?:thread|channel|topic) (\d{15,21})\b")
_BARE_ID = re.compile(r"(?<![<#@&!\d/])(\d{15,21})(?![\d>])")


def places_of(posts: Sequence[Post], channel_id: str | None = None) -> dict[str, Place]:
    """Return what the stored posts alone say about their places (no names: the cogs add them from the cache)."""
    places: dict[str, Place] = {}
    for post in posts:
        if post.thread_id:
            places.setdefault(post.thread_id, Place(post.thread_id, "thread", parent_id=post.parent_id))
            if post.parent_id:
                places.setdefault(post.parent_id, Place(post.parent_id))
        else:
            places.setdefault(post.channel_id, Place(post.channel_id))
    if channel_id:
        places.setdefault(channel_id, Place(channel_id))
    return places


def name_places(text: str, places: Places) -> str:
    """Replace raw channel/thread ids in evidence text with the place named correctly ("thread" only if one)."""
    def worded(match: re.Match[str]) -> str:
        place = places.get(match.group(1))
        return f"in {place.describe()}" if place else f"in <#{match.group(1)}>"

    def bare(match: re.Match[str]) -> str:
        place = places.get(match.group(1))
        return place.describe() if place else match.group(0)

    return _BARE_ID.sub(bare, _PLACE_WORDS.sub(worded, text))


def jump_url(guild_id: str, channel_id: str | None, message_id: str) -> str:
    """Return the discord.com link that opens a message."""
    return f"https://discord.com/channels/{guild_id}/{channel_id or guild_id}/{message_id}"


def label(detector: str) -> str:
    """Return the plain-words name of a detector."""
    return LABELS.get(detector, detector.replace("_", " ").capitalize())


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _quote(text: str) -> str:
    return "\n".join(f"> {line}" for line in (text or "(no text)").splitlines()[:8])


def _plain(key: str, value: Any) -> str | None:
    """Return one evidence entry in words, or None if it is not worth a moderator's time."""
    if key in _SHOWN or key in _SKIPPED or value in (None, "", [], {}):
        return None
    words = key.replace("_", " ")
    if isinstance(value, float):
        return f"{words}: {value:.2f}"
    if isinstance(value, list | tuple):
        listed = ", ".join(str(v) for v in value[:MAX_LISTED])
        more = f" and {len(value) - MAX_LISTED} more" if len(value) > MAX_LISTED else ""
        return f"{words}: {listed}{more}"
    if isinstance(value, dict):
        return f"{words}: " + ", ".join(f"{k} {v}" for k, v in list(value.items())[:MAX_LISTED])
    return f"{words}: {value}"


def explain(evidence: dict[str, Any], places: Places | None = None) -> list[str]:
    """Return a detector's evidence as short sentences, the summary first, places named instead of ids."""
    lines = [str(evidence["summary"])] if evidence.get("summary") else []
    lines += [line for key, value in evidence.items() if (line := _plain(key, value))]
    return [name_places(line, places or {}) for line in lines]


def _mentions(ids: Sequence[str], limit: int = MAX_LISTED) -> str:
    shown = ", ".join(f"<@{i}>" for i in ids[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def render_case(case: Case, posts: Sequence[Post] = (), reviews: Sequence[ReviewRecord] = (),
                places: Places | None = None) -> AlertCard:
    """Return the alert card of a case: what was flagged, the score, the evidence in words and a jump link.

    `places` (channel or thread id -> Place, with names from the bot's cache) name where things happened;
    without it the stored posts tell channels from threads and Discord's mentions supply the names.
    """
    evidence = case.evidence
    threshold = evidence.get("threshold")
    first = posts[0] if posts else None
    campaign = len(case.post_ids) > 1
    known = {**places_of(posts, case.channel_id), **(places or {})}
    where = known[case.channel_id].describe() if case.channel_id else "unknown channel"
    if campaign:
        description = f"{len(case.post_ids)} posts by {len(case.author_ids)} accounts in {where}."
    elif first is not None and is_profile_post(first.id):
        description = f"Profile of {_mentions(list(case.author_ids))} (a name, not a message)."
    else:
        description = f"Post by {_mentions(list(case.author_ids))} in {where}."
    excerpt = (first.content if first and first.content else evidence.get("excerpt")) or ""
    description += "\n" + _quote(_clip(excerpt, 400))
    score = f"**{case.score:.2f}**" + (f" (threshold {float(threshold):.2f})" if threshold is not None else "")
    fields = [
        CardField("Score", score, inline=True),
        CardField("Severity", case.severity.value, inline=True),
        CardField("Status", case.status.value, inline=True),
    ]
    reasons = explain(evidence, known)
    if reasons:
        fields.append(CardField("Why", _clip("\n".join(f"• {r}" for r in reasons[:8]), FIELD_MAX)))
    if campaign:
        fields.append(CardField("Accounts", _clip(_mentions(list(case.author_ids)), FIELD_MAX)))
        links = [f"[{i + 1}]({jump_url(case.guild_id, p.channel_id, p.id)})" for i, p in enumerate(posts[:20])]
        if links:
            fields.append(CardField("Messages", _clip(" ".join(links), FIELD_MAX)))
    for review in reviews[-3:]:
        fields.append(CardField(
            f"Decision: {review.decision.value}",
            f"by <@{review.moderator_id}> <t:{int(review.created_at.timestamp())}:R>, action: {review.action.value}"
            + (f"\n{_clip(review.note, 200)}" if review.note else ""),
        ))
    colour = STATUS_COLOURS.get(case.status, SEVERITY_COLOURS[case.severity])
    versions = ", ".join(f"{k} {v}" for k, v in sorted(case.model_versions.items()))
    return AlertCard(
        title=_clip(f"Case #{case.id}: {label(case.detector)}", 256),
        description=_clip(description, DESCRIPTION_MAX),
        colour=colour,
        fields=tuple(fields[:25]),
        url=jump_url(case.guild_id, first.channel_id, first.id) if first and not is_profile_post(first.id) else None,
        footer=_clip(f"govmod · a human decides · models: {versions}", 2048),
        timestamp=case.created_at,
    )


def render_verdict(verdict: Verdict, thresholds: dict[str, float]) -> AlertCard:
    """Return the card of the context-menu check: every detector's score against its threshold."""
    lines = []
    for name, score in sorted(verdict.scores.items()):
        limit = thresholds.get(name)
        mark = "⚠️ over" if name in verdict.flags else "ok"
        lines.append(f"**{label(name)}**: {score:.2f}" + (f" (threshold {limit:.2f}, {mark})" if limit else ""))
    fields = tuple(
        CardField(label(name), _clip("\n".join(explain(ev)) or "-", FIELD_MAX))
        for name, ev in sorted(verdict.evidence.items()) if explain(ev)
    )
    flagged = ", ".join(label(f) for f in verdict.flags)
    return AlertCard(
        title="govmod check",
        description="\n".join(lines) + ("\n\nFlagged: " + flagged if flagged else "\n\nNothing over a threshold."),
        colour=0xE67E22 if verdict.flags else 0x2ECC71,
        fields=fields[:10],
        footer=_clip("models: " + ", ".join(f"{k} {v}" for k, v in sorted(verdict.model_versions.items())), 2048),
        timestamp=verdict.scored_at,
    )
