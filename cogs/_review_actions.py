"""What a click on a case button does: who may click, what the bot may do, and the record of the decision."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import discord

from bot.domain import Action, Case, CaseStatus, Decision, Post, Review, is_profile_post
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


@dataclass(frozen=True, slots=True)
class Outcome:
    """What acting on a case did, in words, and how many targets it touched."""

    done: int = 0
    skipped: int = 0
    detail: str = ""


class Refusal(Exception):
    """A click that must not go ahead; the message is shown to the moderator (ephemeral)."""


def member_refusal(interaction: discord.Interaction[Any], config: GuildConfig) -> str | None:
    """Return why the clicking member may not review cases, or None if they may (checked at click time)."""
    perms = interaction.permissions
    if perms.administrator or perms.manage_messages or perms.moderate_members:
        return None
    role_id = config.moderator_role_id
    user = interaction.user
    if role_id and isinstance(user, discord.Member) and any(str(r.id) == role_id for r in user.roles):
        return None
    role = f", or the <@&{role_id}> role" if role_id else ""
    return f"You need the Manage Messages or Moderate Members permission{role} to review govmod cases."


def _bot_perms(guild: discord.Guild | None, channel_id: str, fallback: discord.Permissions) -> discord.Permissions:
    if guild is None or guild.me is None:
        return fallback
    channel = guild.get_channel_or_thread(int(channel_id))
    return channel.permissions_for(guild.me) if channel is not None else guild.me.guild_permissions


async def delete_posts(interaction: discord.Interaction[Any], case: Case, posts: list[Post]) -> Outcome:
    """Delete the case's messages after checking the bot may do so in every channel involved."""
    targets = [p for p in posts if not is_profile_post(p.id)][:MAX_TARGETS]  # a name is no message to delete
    if not targets and posts:
        raise Refusal("This case is about a member's name, not a message: choose **Time out the author(s)** "
                      "or **Only record**.")
    for post in targets:
        if not _bot_perms(interaction.guild, post.channel_id, interaction.app_permissions).manage_messages:
            raise Refusal(f"govmod lacks the Manage Messages permission in <#{post.channel_id}>, so it cannot "
                          "delete the message. Give it that permission, or choose **Only record**.")
    done = gone = 0
    for post in targets:
        try:
            await interaction.client.http.delete_message(
                int(post.channel_id), int(post.id), reason=f"govmod case #{case.id} confirmed by {interaction.user}"
            )
            done += 1
        except discord.NotFound:
            gone += 1
        except discord.Forbidden as exc:
            raise Refusal(f"Discord refused to delete message {post.id}: {exc.text}") from exc
    return Outcome(done, gone, f"{done} message(s) deleted" + (f", {gone} already gone" if gone else ""))


async def _member(guild: discord.Guild, user_id: str) -> discord.Member | None:
    member = guild.get_member(int(user_id))
    if member is None:
        try:
            member = await guild.fetch_member(int(user_id))
        except discord.NotFound:
            return None
    return member


async def timeout_authors(interaction: discord.Interaction[Any], case: Case) -> Outcome:
    """Time out the case's authors after checking the bot's permission and role position for each."""
    guild = interaction.guild
    if guild is None:
        raise Refusal("This only works inside a server.")
    me = guild.me
    perms = me.guild_permissions if me is not None else interaction.app_permissions
    if not perms.moderate_members:
        raise Refusal("govmod lacks the Moderate Members permission, so it cannot time anyone out. "
                      "Give it that permission, or choose **Only record**.")
    members = []
    left = 0
    for author_id in case.author_ids[:MAX_TARGETS]:
        member = await _member(guild, author_id)
        if member is None:
            left += 1
            continue
        if member.id == guild.owner_id or member.guild_permissions.administrator:
            raise Refusal(f"{member.mention} is the owner or an administrator and cannot be timed out.")
        if me is not None and member.top_role >= me.top_role:
            raise Refusal(f"{member.mention}'s highest role is not below govmod's, so Discord will not let it "
                          "time them out. Move govmod's role higher, or choose **Only record**.")
        members.append(member)
    for member in members:
        await member.timeout(TIMEOUT_FOR, reason=f"govmod case #{case.id} confirmed by {interaction.user}")
    hours = TIMEOUT_FOR.total_seconds() / 3600
    return Outcome(len(members), left, f"{len(members)} account(s) timed out for {hours:g} h"
                   + (f", {left} already left the server" if left else ""))


async def record_decision(db: Database, case: Case, moderator_id: str, decision: Decision, action: Action,
                          outcome: Outcome) -> Review:
    """Store the review, the audit line and the new status together."""
    review = Review(case_id=case.id, moderator_id=moderator_id, decision=decision, action=action,
                    note=outcome.detail or None, created_at=db.clock())
    async with db.transaction():
        review_id = await ReviewRepo(db).add(review)
        await ReviewRepo(db).audit(case.guild_id, moderator_id, decision.value, case.id, action=action.value,
                                   review_id=review_id, done=outcome.done, skipped=outcome.skipped,
                                   previous_status=case.status.value)
        await CaseRepo(db).set_status(case.id, STATUS_AFTER[decision])
    return review


async def act(interaction: discord.Interaction[Any], db: Database, case: Case, action: str) -> str:
    """Carry out one decision (checking the bot's own permissions first) and record it; return a summary."""
    decision, what = DECISIONS[action]
    posts = [p for pid in case.post_ids if (p := await PostRepo(db).get(pid)) is not None]
    if what is Action.DELETE:
        outcome = await delete_posts(interaction, case, posts)
    elif what is Action.TIMEOUT:
        outcome = await timeout_authors(interaction, case)
    else:
        outcome = Outcome()
    await record_decision(db, case, str(interaction.user.id), decision, what, outcome)
    status = STATUS_AFTER[decision].value
    return f"Case #{case.id} {status} by {interaction.user.mention}" + (f": {outcome.detail}." if outcome.detail
                                                                        else ".")
