"""What a click on a case button does: who may do what, one recorded decision, then each action and its result.

Order of a decision: check the clicking moderator's own permission for the action where it takes effect
(and the bot's), take the decision as one atomic status transition (the loser is told who won), record
it, act on each message or member, then record what each action did and show the moderator that list.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import discord

from bot.domain import (
    OPEN_STATUSES,
    Action,
    ActionRecord,
    ActionResult,
    Case,
    CaseStatus,
    Decision,
    Post,
    ReviewRecord,
    is_profile_post,
)
from bot.storage import CaseRepo, Database, GuildConfig, PostRepo, ReviewRepo

log = logging.getLogger(__name__)

TIMEOUT_FOR = timedelta(hours=1)
MAX_TARGETS = 25  # a campaign acts on at most this many messages / authors per click
DECISIONS: dict[str, tuple[Decision, Action]] = {
    "dismiss": (Decision.DISMISS, Action.NONE),
    "escalate": (Decision.ESCALATE, Action.NONE),
    "delete": (Decision.CONFIRM, Action.DELETE),
    "timeout": (Decision.CONFIRM, Action.TIMEOUT),
    "record": (Decision.CONFIRM, Action.NONE),
}
STATUS_AFTER = {Decision.CONFIRM: CaseStatus.CONFIRMED, Decision.DISMISS: CaseStatus.DISMISSED,
                Decision.ESCALATE: CaseStatus.ESCALATED}
RESULT_WORDS = {ActionResult.DONE: "done", ActionResult.GONE: "already gone", ActionResult.FORBIDDEN: "refused",
                ActionResult.FAILED: "failed"}
MAX_REPLY = 1900


class Refusal(Exception):
    """A click that must not go ahead; the message is shown to the moderator (ephemeral)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """What one click will do, checked before anything is recorded."""

    decision: Decision
    action: Action
    messages: tuple[Post, ...] = ()
    members: tuple[discord.Member, ...] = ()
    left: tuple[str, ...] = ()  # authors no longer in the server
    skipped: int = 0  # targets beyond MAX_TARGETS


def member_refusal(interaction: discord.Interaction[Any], config: GuildConfig) -> str | None:
    """Return why the clicking member may not review cases at all, or None if they may."""
    perms = interaction.permissions
    if perms.administrator or perms.manage_messages or perms.moderate_members:
        return None
    role_id = config.moderator_role_id
    user = interaction.user
    if role_id and isinstance(user, discord.Member) and any(str(r.id) == role_id for r in user.roles):
        return None
    role = f", or the <@&{role_id}> role" if role_id else ""
    return f"You need the Manage Messages or Moderate Members permission{role} to review govmod cases."


def _perms_in(interaction: discord.Interaction[Any], who: discord.Member | None,
              channel_id: str) -> discord.Permissions | None:
    """Return `who`'s permissions in a channel (None if the channel is unknown to the cache)."""
    guild = interaction.guild
    channel = guild.get_channel_or_thread(int(channel_id)) if guild is not None else None
    if channel is None or who is None:
        return None
    return channel.permissions_for(who)


def _moderator(interaction: discord.Interaction[Any]) -> discord.Member:
    user = interaction.user
    if not isinstance(user, discord.Member) or interaction.guild is None:
        raise Refusal("This only works inside a server.")
    return user


def _channel_perms(interaction: discord.Interaction[Any], who: discord.Member | None,
                   post: Post) -> discord.Permissions | None:
    """Return `who`'s permissions where a post is: its channel or thread, else the forum or channel above it."""
    found = _perms_in(interaction, who, post.channel_id)
    if found is None and post.parent_id:
        found = _perms_in(interaction, who, post.parent_id)
    return found


def check_delete(interaction: discord.Interaction[Any], posts: list[Post]) -> list[Post]:
    """Return the messages to delete after checking the moderator and govmod may delete in each channel."""
    targets = [p for p in posts if not is_profile_post(p.id)]  # a name is no message to delete
    if not targets and posts:
        raise Refusal("This case is about a member's name, not a message: choose **Time out the author(s)** "
                      "or **Only record**.")
    moderator = _moderator(interaction)
    guild = interaction.guild
    for post in {p.channel_id: p for p in targets}.values():
        own = _channel_perms(interaction, moderator, post)
        if own is None and str(interaction.channel_id) == post.channel_id:
            own = interaction.permissions  # the click came from that very channel
        if own is None or not own.manage_messages:
            raise Refusal(f"Deleting needs the Manage Messages permission in <#{post.channel_id}>, and you do not "
                          "have it there. Choose **Only record**, or ask a moderator who has it.")
        mine = _channel_perms(interaction, guild.me if guild else None, post)
        if not (mine if mine is not None else interaction.app_permissions).manage_messages:
            raise Refusal(f"govmod lacks the Manage Messages permission in <#{post.channel_id}>, so it cannot "
                          "delete the message. Give it that permission, or choose **Only record**.")
    return targets


async def _member(guild: discord.Guild, user_id: str) -> discord.Member | None:
    member = guild.get_member(int(user_id))
    if member is None:
        try:
            member = await guild.fetch_member(int(user_id))
        except discord.NotFound:
            return None
        except discord.HTTPException as exc:
            raise Refusal(f"Discord did not say whether <@{user_id}> is still here (HTTP {exc.status}); nothing "
                          "was done. Try again in a moment.") from exc
    return member


async def check_timeout(interaction: discord.Interaction[Any], author_ids: tuple[str, ...]
                        ) -> tuple[list[discord.Member], list[str]]:
    """Return (members to time out, authors who left) after checking permissions and role order for each."""
    moderator = _moderator(interaction)
    guild = moderator.guild
    if not moderator.guild_permissions.moderate_members:  # a server-wide right (administrators have it)
        raise Refusal("Timing out needs the Moderate Members permission, and you do not have it. "
                      "Choose **Only record**, or ask a moderator who has it.")
    me = guild.me
    if not (me.guild_permissions.moderate_members if me is not None else interaction.app_permissions.moderate_members):
        raise Refusal("govmod lacks the Moderate Members permission, so it cannot time anyone out. "
                      "Give it that permission, or choose **Only record**.")
    members, left = [], []
    for author_id in author_ids:
        member = await _member(guild, author_id)
        if member is None:
            left.append(author_id)
            continue
        if member.id == guild.owner_id or member.guild_permissions.administrator:
            raise Refusal(f"{member.mention} is the server owner or an administrator and cannot be timed out.")
        if moderator.id != guild.owner_id and member.top_role >= moderator.top_role:
            raise Refusal(f"{member.mention}'s highest role is not below yours, so you may not time them out. "
                          "Ask someone above them, or choose **Only record**.")
        if me is not None and member.top_role >= me.top_role:
            raise Refusal(f"{member.mention}'s highest role is not below govmod's, so Discord will not let it "
                          "time them out. Move govmod's role higher, or choose **Only record**.")
        members.append(member)
    return members, left


async def make_plan(interaction: discord.Interaction[Any], db: Database, case: Case, action: str) -> Plan:
    """Check everything that can be checked before the decision; raise Refusal if the click must not go ahead."""
    decision, what = DECISIONS[action]
    if what is Action.DELETE:
        posts = [p for pid in case.post_ids if (p := await PostRepo(db).get(pid)) is not None]
        targets = check_delete(interaction, posts)
        return Plan(decision, what, messages=tuple(targets[:MAX_TARGETS]),
                    skipped=max(0, len(targets) - MAX_TARGETS))
    if what is Action.TIMEOUT:
        members, left = await check_timeout(interaction, case.author_ids[:MAX_TARGETS])
        return Plan(decision, what, members=tuple(members), left=tuple(left),
                    skipped=max(0, len(case.author_ids) - MAX_TARGETS))
    return Plan(decision, what)


async def decide(db: Database, case: Case, moderator_id: str, plan: Plan) -> int | None:
    """Take the decision atomically and record it before acting; return the review id, None if it lost.

    Escalating needs an open case; confirming and dismissing need an open or escalated one. The status
    changes only if it still is what it was, so of two clicks at once exactly one wins.
    """
    allowed = (CaseStatus.OPEN,) if plan.decision is Decision.ESCALATE else OPEN_STATUSES
    async with db.transaction():
        if not await CaseRepo(db).transition(case.id, STATUS_AFTER[plan.decision], from_=allowed):
            return None
        reviews = ReviewRepo(db)
        review_id = await reviews.add(ReviewRecord(case_id=case.id, moderator_id=moderator_id, decision=plan.decision,
                                             action=plan.action, note=None, created_at=db.clock()))
        await reviews.audit(case.guild_id, moderator_id, plan.decision.value, case.id, action=plan.action.value,
                            review_id=review_id, previous_status=case.status.value,
                            targets=len(plan.messages) + len(plan.members))
    return review_id


async def lost_race(db: Database, case_id: int) -> str:
    """Tell a moderator whose click lost who decided the case, and when."""
    case = await CaseRepo(db).get(case_id)
    if case is not None and case.status is CaseStatus.MERGED:
        return f"Case #{case_id} was merged into case #{case.merged_into}; decide it there. Nothing changed."
    review = await ReviewRepo(db).latest(case_id)
    status = case.status.value if case else "decided"
    if review is None:
        return f"Case #{case_id} was already {status}; nothing changed."
    return (f"Case #{case_id} was already {status} by <@{review.moderator_id}> "
            f"<t:{int(review.created_at.timestamp())}:R>; nothing changed.")


def _error_result(exc: Exception) -> tuple[ActionResult, str]:
    if isinstance(exc, discord.NotFound):
        return ActionResult.GONE, ""
    if isinstance(exc, discord.Forbidden):
        return ActionResult.FORBIDDEN, exc.text or "Missing Permissions"
    if isinstance(exc, discord.HTTPException):
        return ActionResult.FAILED, f"HTTP {exc.status}: {exc.text}"[:200]
    log.exception("action failed unexpectedly", exc_info=exc)
    return ActionResult.FAILED, type(exc).__name__


async def carry_out(interaction: discord.Interaction[Any], case: Case, plan: Plan) -> list[ActionRecord]:
    """Act on every target of the plan, going on after a failure; return one record per target."""
    reason = f"govmod case #{case.id} confirmed by {interaction.user}"
    records: list[ActionRecord] = []
    for post in plan.messages:
        try:
            await interaction.client.http.delete_message(int(post.channel_id), int(post.id), reason=reason)
            records.append(ActionRecord("message", post.id, ActionResult.DONE, post.channel_id))
        except Exception as exc:  # every outcome is recorded; the loop goes on
            result, detail = _error_result(exc)
            records.append(ActionRecord("message", post.id, result, f"{post.channel_id} {detail}".strip()))
    for member in plan.members:
        try:
            await member.timeout(TIMEOUT_FOR, reason=reason)
            records.append(ActionRecord("member", str(member.id), ActionResult.DONE))
        except Exception as exc:
            result, detail = _error_result(exc)
            records.append(ActionRecord("member", str(member.id), result, detail))
    records += [ActionRecord("member", author, ActionResult.GONE, "left the server") for author in plan.left]
    return records


def _line(record: ActionRecord) -> str:
    if record.target_kind == "message":
        channel, _, detail = record.detail.partition(" ")
        what = f"message {record.target_id} in <#{channel}>"
        done = "deleted" if record.result is ActionResult.DONE else RESULT_WORDS[record.result]
    else:
        what, detail = f"<@{record.target_id}>", record.detail
        hours = TIMEOUT_FOR.total_seconds() / 3600
        done = f"timed out for {hours:g} h" if record.result is ActionResult.DONE else RESULT_WORDS[record.result]
    return f"• {what}: {done}" + (f" ({detail})" if detail and record.result is not ActionResult.DONE else "")


def summarise(records: list[ActionRecord], skipped: int = 0) -> str:
    """Return a one-line count of what the actions did (kept with the decision)."""
    counts = {r: sum(1 for x in records if x.result is r) for r in ActionResult}
    parts = [f"{n} {RESULT_WORDS[r]}" for r, n in counts.items() if n]
    if skipped:
        parts.append(f"{skipped} not acted on (over {MAX_TARGETS} per click)")
    return ", ".join(parts)


async def record_results(db: Database, case: Case, moderator_id: str, review_id: int,
                         records: list[ActionRecord], skipped: int) -> str:
    """Store what each action did (rows, the decision's summary, one audit line); return the summary."""
    summary = summarise(records, skipped)
    reviews = ReviewRepo(db)
    async with db.transaction():
        await reviews.add_actions(review_id, case.id, records)
        await reviews.set_note(review_id, summary)
        await reviews.audit(case.guild_id, moderator_id, "actions", case.id, review_id=review_id,
                            results=[{"kind": r.target_kind, "id": r.target_id, "result": r.result.value,
                                      "detail": r.detail} for r in records], skipped=skipped)
    return summary


@dataclass(frozen=True, slots=True)
class Reply:
    """What to tell the moderator, and whether the case changed (its alert then needs an edit)."""

    text: str
    decided: bool = False


async def act(interaction: discord.Interaction[Any], db: Database, case: Case, action: str) -> Reply:
    """Check, decide, act and record one click on a case; return what to tell the moderator."""
    try:
        plan = await make_plan(interaction, db, case, action)
    except Refusal as refusal:
        return Reply(str(refusal))
    moderator_id = str(interaction.user.id)
    review_id = await decide(db, case, moderator_id, plan)
    if review_id is None:
        return Reply(await lost_race(db, case.id))
    status = STATUS_AFTER[plan.decision].value
    head = f"Case #{case.id} {status} by {interaction.user.mention}"
    if plan.action is Action.NONE:
        return Reply(head + ".", decided=True)
    records = await carry_out(interaction, case, plan)
    summary = await record_results(db, case, moderator_id, review_id, records, plan.skipped)
    lines = "\n".join(_line(r) for r in records)
    text = f"{head}: {summary}.\n{lines}"
    return Reply(text if len(text) <= MAX_REPLY else text[: MAX_REPLY - 1] + "…", decided=True)
