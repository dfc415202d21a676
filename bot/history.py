"""Render a member's case history, case notes and case links as plain alert cards (no discord here)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from bot.alerts import FIELD_MAX, AlertCard, CardField, jump_url, label
from bot.domain import Case, CaseNote, CaseStatus
from bot.storage import Database
from bot.storage.casebook import HistoryRepo, MemberCase, MemberSummary

HISTORY_PAGE = 5
MAX_FIELDS = 25
MAX_NOTES_SHOWN = 5
MAX_EARLIER_LISTED = 10


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What the cog knows about the member from Discord (names and dates, no discord types)."""

    user_id: str
    name: str
    created_at: datetime | None = None
    joined_at: datetime | None = None
    in_server: bool = True


def _ts(when: datetime | None, style: str = "R") -> str:
    return f"<t:{int(when.timestamp())}:{style}>" if when else "unknown"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def note_lines(notes: Sequence[CaseNote], limit: int = MAX_NOTES_SHOWN) -> str:
    """Return notes as lines: who wrote what, when (the newest `limit`)."""
    shown = list(notes)[-limit:]
    more = f"({len(notes) - limit} earlier note(s) not shown)\n" if len(notes) > limit else ""
    return more + "\n".join(f"<@{n.author_id}> {_ts(n.created_at)}: {_clip(n.text, 300)}" for n in shown)


def with_fields(card: AlertCard, extra: Sequence[CardField]) -> AlertCard:
    """Return the card with fields appended (Discord shows at most 25)."""
    return replace(card, fields=tuple([*card.fields, *extra][:MAX_FIELDS])) if extra else card


def with_notes(card: AlertCard, notes: Sequence[CaseNote]) -> AlertCard:
    """Return the card with a Notes field, if the case has notes."""
    if not notes:
        return card
    return with_fields(card, [CardField(f"Notes ({len(notes)})", _clip(note_lines(notes), FIELD_MAX))])


def merged_card(case: Case, card: AlertCard) -> AlertCard:
    """Return the card of a case closed because its campaign joined another case's campaign."""
    return AlertCard(
        title=_clip(f"Case #{case.id}: {label(case.detector)} (merged)", 256),
        description=f"This campaign joined the one in **case #{case.merged_into}**: its posts and accounts are "
                    f"listed there and it is decided there (`/govmod case {case.merged_into}`).",
        colour=0x95A5A6, fields=(CardField("Status", f"merged into #{case.merged_into}", inline=True),),
        footer=card.footer, timestamp=card.timestamp,
    )


def earlier_field(counts: dict[str, int]) -> CardField:
    """Return the field saying how many earlier cases each of a case's members has."""
    if len(counts) == 1:
        ((author, n),) = counts.items()
        return CardField("Earlier cases", f"<@{author}> has {n} earlier case(s) in this server "
                         f"(`/govmod history`).")
    with_cases = sorted(((a, n) for a, n in counts.items() if n), key=lambda x: -x[1])
    if not with_cases:
        return CardField("Earlier cases", f"None of the {len(counts)} accounts has an earlier case.")
    listed = ", ".join(f"<@{a}> {n}" for a, n in with_cases[:MAX_EARLIER_LISTED])
    more = f" and {len(with_cases) - MAX_EARLIER_LISTED} more" if len(with_cases) > MAX_EARLIER_LISTED else ""
    return CardField("Earlier cases", _clip(f"{len(with_cases)} of {len(counts)} accounts: {listed}{more}",
                                            FIELD_MAX))


async def decorate(db: Database, case: Case, card: AlertCard) -> AlertCard:
    """Return a case's alert card with its links: merged into, follows a dismissed case, earlier cases."""
    if case.status is CaseStatus.MERGED:
        return merged_card(case, card)
    extra = []
    if case.follows_case_id:
        extra.append(CardField("Edited after a dismissal",
                               f"The post was edited after case #{case.follows_case_id} was dismissed, and the new "
                               f"version scores higher (`/govmod case {case.follows_case_id}`)."))
    if not case.is_open and case.author_ids:
        extra.append(earlier_field(await HistoryRepo(db).earlier(case.guild_id, case.author_ids, case.id)))
    return with_fields(card, extra)


def _case_field(guild_id: str, item: MemberCase) -> CardField:
    """Return one history entry: what, when, outcome, who decided, links and notes."""
    name = _clip(f"#{item.case_id} {label(item.detector)} · {item.status.value}", 256)
    parts = [f"opened {_ts(item.created_at)} · score {item.score:.2f}"]
    if item.decision is not None:
        action = f", {item.action.value}" if item.action and item.action.value != "none" else ""
        parts.append(f"{item.decision.value}{action} by <@{item.moderator_id}> {_ts(item.decided_at)}")
    links = []
    if item.alert_message_id:
        links.append(f"[alert]({jump_url(guild_id, item.alert_channel_id, item.alert_message_id)})")
    if item.first_post_id and not item.first_post_id.startswith("profile:"):
        links.append(f"[message]({jump_url(guild_id, item.first_post_channel_id, item.first_post_id)})")
    value = " · ".join(parts) + ("\n" + " ".join(links) if links else "")
    if item.notes:
        value += "\n" + note_lines(item.notes, 2)
    return CardField(name, _clip(value, FIELD_MAX))


def _counts(summary: MemberSummary) -> str:
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(summary.by_status.items(), key=lambda x: -x[1]))
    detectors = ", ".join(f"{label(d)} {n}" for d, n in sorted(summary.by_detector.items(), key=lambda x: -x[1]))
    return f"**{summary.total} case(s)**" + (f": {statuses}\n{detectors}" if summary.total else "")


def history_card(guild_id: str, member: MemberFacts, summary: MemberSummary, page: Sequence[MemberCase],
                 offset: int) -> AlertCard:
    """Return one page of a member's history: who they are, their counts, then their cases newest first."""
    lines = [f"<@{member.user_id}> · account created {_ts(member.created_at)}"
             + (f" · joined {_ts(member.joined_at)}" if member.joined_at else "")
             + ("" if member.in_server else " · **not in the server**")]
    if summary.first_post_at and summary.first_post_id:
        link = jump_url(guild_id, summary.first_post_channel_id, summary.first_post_id)
        lines.append(f"First post in watched channels: {_ts(summary.first_post_at)} in "
                     f"<#{summary.first_post_channel_id}> ([open]({link}))")
    else:
        lines.append("No post stored from the watched channels.")
    lines.append(_counts(summary))
    pages = max(1, -(-summary.total // HISTORY_PAGE))
    footer = (f"Page {offset // HISTORY_PAGE + 1}/{pages} · newest first" if summary.total
              else "No case so far.")
    return AlertCard(title=_clip(f"History of {member.name}", 256), description="\n".join(lines),
                     colour=0x3498DB, fields=tuple(_case_field(guild_id, c) for c in page), footer=footer)
