"""Turn discord.py objects into govmod's plain domain data (the only place that knows both)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import discord

from bot.domain import MAX_CONTENT_CHARS, MemberJoin, Post, Reaction, snowflake_time

SCORED_TYPES = (discord.MessageType.default, discord.MessageType.reply)


def parent_of(channel: Any) -> int | None:
    """Return the parent channel id of a thread or forum post, else None."""
    return getattr(channel, "parent_id", None) if isinstance(channel, discord.Thread) else None


def in_watched(channel: Any, watched: frozenset[str]) -> bool:
    """Return True if the channel, or the channel a thread belongs to, is watched."""
    if channel is None or not watched:
        return False
    parent = parent_of(channel)
    return str(channel.id) in watched or (parent is not None and str(parent) in watched)


def is_scorable(message: discord.Message) -> bool:
    """Return True for human, non-system guild messages with text."""
    return (
        message.guild is not None and not message.author.bot and message.webhook_id is None
        and message.type in SCORED_TYPES and bool(message.content.strip() or _forum_title(message))
    )


def _forum_title(message: discord.Message) -> str | None:
    """Return the post title if this message opens a forum post (its id equals the thread's)."""
    channel = message.channel
    if isinstance(channel, discord.Thread) and channel.id == message.id:
        parent = channel.parent
        if parent is None or isinstance(parent, discord.ForumChannel):
            return channel.name
    return None


def post_from_message(message: discord.Message) -> Post:
    """Return the Post the detectors score for a message (a forum post's title is part of its text)."""
    channel = message.channel
    author = message.author
    title = _forum_title(message)
    content = f"{title}\n\n{message.content}" if title else message.content
    parent = parent_of(channel)
    is_thread = isinstance(channel, discord.Thread)
    reply = message.reference.message_id if message.reference and message.reference.message_id else None
    return Post(
        id=str(message.id), channel_id=str(channel.id), author_id=str(author.id), content=content,
        created_at=message.created_at, guild_id=str(message.guild.id if message.guild else 0),
        author_name=getattr(author, "display_name", None) or author.name,
        author_created_at=author.created_at, author_joined_at=getattr(author, "joined_at", None),
        thread_id=str(channel.id) if is_thread else None, parent_id=str(parent) if parent else None,
        reply_to=str(reply) if reply else None, edited_at=message.edited_at, is_bot=author.bot,
        truncated=len(content) > MAX_CONTENT_CHARS,
    )


def reaction_from_payload(payload: discord.RawReactionActionEvent, received_at: datetime) -> Reaction:
    """Return the Reaction event for a raw reaction payload (the gateway gives no time: `received_at`)."""
    member = payload.member
    return Reaction(
        message_id=str(payload.message_id), user_id=str(payload.user_id), emoji=str(payload.emoji),
        created_at=received_at, guild_id=str(payload.guild_id or 0), channel_id=str(payload.channel_id),
        user_created_at=snowflake_time(payload.user_id), user_joined_at=member.joined_at if member else None,
    )


def join_from_member(member: discord.Member, received_at: datetime) -> MemberJoin:
    """Return the MemberJoin event for a member who just joined."""
    return MemberJoin(
        user_id=str(member.id), created_at=member.joined_at or received_at, guild_id=str(member.guild.id),
        account_created_at=member.created_at, user_name=member.name,
    )
