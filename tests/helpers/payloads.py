"""Build real-shaped Discord gateway and interaction payloads (API v10, as discord.py 2.7.1 parses them).

Every builder returns a plain ``dict`` shaped like what Discord sends, with ids as strings and
timestamps as ISO-8601. Feed them to ``bot._connection.parse_<event>(payload)`` (``FakeDiscord``
in ``gateway.py`` does that for you) or tweak them first for edge cases::

    from tests.helpers import payloads as p

    alice = p.member(p.user(name="alice"), roles=[mod_role["id"]])
    guild = p.guild(name="DAO", channels=[p.text_channel("general")], members=[alice])
    msg = p.message(channel_id=guild["channels"][0]["id"], author=alice, content="hi",
                    guild_id=guild["id"])

``snowflake(when)`` encodes a datetime into an id, so ``discord.utils.snowflake_time(id) == when``
(account age for a user, creation time for a message). The ``from_*`` converters turn cached
discord.py objects back into payloads (used by the harness when a test passes objects).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import discord

from .clock import T0

Payload = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000
EPHEMERAL = 64  # MessageFlags.ephemeral
APPLICATION_ID = 1100000000000000001
BOT_USER_ID = APPLICATION_ID  # a bot user's id equals its application id
BUTTON, SELECT = 2, 3  # component types
_counter = itertools.count(1)

# Permission sets used by the default guild; callers may pass any int or discord.Permissions.
EVERYONE_PERMS = discord.Permissions(
    view_channel=True, send_messages=True, read_message_history=True, add_reactions=True,
    send_messages_in_threads=True, create_public_threads=True, use_application_commands=True,
    embed_links=True, attach_files=True,
)
MODERATOR_PERMS = discord.Permissions(
    manage_messages=True, moderate_members=True, kick_members=True, ban_members=True,
    manage_threads=True, manage_guild=True,
)
BOT_PERMS = discord.Permissions(
    view_channel=True, send_messages=True, read_message_history=True, embed_links=True, attach_files=True,
    add_reactions=True, manage_messages=True, moderate_members=True, manage_threads=True,
    send_messages_in_threads=True, create_public_threads=True,
)


def now() -> dt.datetime:
    """Return the harness's "now" (a fixed time, never the wall clock: the suite passes on any date)."""
    return T0


def snowflake(when: dt.datetime | None = None) -> int:
    """Return a unique snowflake id whose timestamp part encodes ``when`` (default: now)."""
    when = when or now()
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    ms = int(when.timestamp() * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso(when: dt.datetime | None) -> str | None:
    """Format an aware datetime as Discord does (ISO-8601 with offset)."""
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.isoformat()


def perm_value(perms: int | discord.Permissions | None, default: int = 0) -> str:
    """Return a permissions bitfield as the decimal string Discord uses."""
    if perms is None:
        return str(default)
    return str(perms.value if isinstance(perms, discord.Permissions) else int(perms))


def _sid(value: Any) -> str:
    """Coerce an id, a payload with an id, or an object with ``.id`` to a string snowflake."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(getattr(value, "id", value))


# --- users, members, roles -------------------------------------------------------------------


def user(name: str = "user", *, id: int | None = None, bot: bool = False, created_at: dt.datetime | None = None,
         global_name: str | None = None) -> Payload:
    """Build a user object; ``created_at`` sets the account creation time encoded in the id."""
    return {
        "id": str(id or snowflake(created_at)), "username": name, "discriminator": "0",
        "global_name": global_name if global_name is not None else name, "avatar": None,
        "bot": bot, "system": False, "public_flags": 0, "flags": 0, "banner": None, "accent_color": None,
        "avatar_decoration_data": None, "primary_guild": None, "collectibles": None,
    }


def member(user_payload: Payload | None = None, *, roles: Iterable[Any] = (), joined_at: dt.datetime | None = None,
           nick: str | None = None, permissions: int | discord.Permissions | None = None,
           timed_out_until: dt.datetime | None = None, **user_kwargs: Any) -> Payload:
    """Build a guild member (with ``user``). ``permissions`` is only present in interaction payloads."""
    data: Payload = {
        "user": user_payload or user(**user_kwargs), "roles": [_sid(r) for r in roles],
        "joined_at": iso(joined_at or now()), "nick": nick, "avatar": None, "banner": None,
        "premium_since": None, "deaf": False, "mute": False, "pending": False, "flags": 0,
        "communication_disabled_until": iso(timed_out_until),
    }
    if permissions is not None:
        data["permissions"] = perm_value(permissions)
    return data


def without_user(member_payload: Payload) -> Payload:
    """Return a member payload minus ``user`` (the shape of MESSAGE_CREATE ``member`` and mentions)."""
    return {k: v for k, v in member_payload.items() if k != "user"}


def role(name: str, *, id: int | None = None, permissions: int | discord.Permissions = 0, position: int = 1,
         color: int = 0, hoist: bool = False, managed: bool = False, mentionable: bool = False) -> Payload:
    """Build a role; ``permissions`` is the bitfield (int or ``discord.Permissions``)."""
    return {
        "id": str(id or snowflake()), "name": name, "permissions": perm_value(permissions),
        "position": position, "color": color, "colors": {"primary_color": color, "secondary_color": None,
                                                         "tertiary_color": None},
        "hoist": hoist, "managed": managed, "mentionable": mentionable, "icon": None, "unicode_emoji": None,
        "flags": 0,
    }


# --- channels, threads, guilds ---------------------------------------------------------------


def text_channel(name: str, *, id: int | None = None, guild_id: Any = None, position: int = 0,
                 parent_id: Any = None, topic: str | None = None, overwrites: Sequence[Payload] = (),
                 type: int = 0) -> Payload:
    """Build a guild text channel (type 0; 5 for announcement)."""
    return {
        "id": str(id or snowflake()), "type": type, "guild_id": _sid(guild_id) if guild_id else None,
        "name": name, "position": position, "parent_id": _sid(parent_id) if parent_id else None,
        "topic": topic, "nsfw": False, "rate_limit_per_user": 0, "last_message_id": None,
        "permission_overwrites": list(overwrites), "default_auto_archive_duration": 1440, "flags": 0,
    }


def forum_tag(name: str, *, id: int | None = None, moderated: bool = False, emoji_name: str | None = None) -> Payload:
    """Build one ``available_tags`` entry of a forum channel."""
    return {"id": str(id or snowflake()), "name": name, "moderated": moderated, "emoji_id": None,
            "emoji_name": emoji_name}


def forum_channel(name: str, *, id: int | None = None, guild_id: Any = None, position: int = 0,
                  tags: Iterable[str | Payload] = ("proposal", "discussion"), topic: str | None = None) -> Payload:
    """Build a forum channel (type 15) with ``available_tags`` (names or ``forum_tag`` payloads)."""
    data = text_channel(name, id=id, guild_id=guild_id, position=position, topic=topic, type=15)
    data.update({
        "available_tags": [forum_tag(t) if isinstance(t, str) else t for t in tags],
        "default_reaction_emoji": None, "default_sort_order": None, "default_forum_layout": 0,
        "default_thread_rate_limit_per_user": 0,
    })
    return data


def thread(name: str, *, parent_id: Any, guild_id: Any, owner_id: Any, id: int | None = None, type: int = 11,
           applied_tags: Iterable[Any] = (), created_at: dt.datetime | None = None, message_count: int = 0,
           archived: bool = False, locked: bool = False, newly_created: bool = False,
           message: Payload | None = None) -> Payload:
    """Build a thread channel (11 public, 12 private); a forum post is a public thread of a forum."""
    created_at = created_at or now()
    data: Payload = {
        "id": str(id or snowflake(created_at)), "type": type, "guild_id": _sid(guild_id), "name": name,
        "parent_id": _sid(parent_id), "owner_id": _sid(owner_id), "last_message_id": None,
        "message_count": message_count, "member_count": 1, "total_message_sent": message_count,
        "rate_limit_per_user": 0, "flags": 0, "applied_tags": [_sid(t) for t in applied_tags],
        "thread_metadata": {"archived": archived, "auto_archive_duration": 4320, "locked": locked,
                            "archive_timestamp": iso(created_at), "create_timestamp": iso(created_at),
                            "invitable": True},
    }
    if newly_created:
        data["newly_created"] = True
    if message is not None:
        data["message"] = message
    return data


def guild(name: str = "Test DAO", *, id: int | None = None, owner_id: Any = None,
          channels: Iterable[Payload] = (), threads: Iterable[Payload] = (), roles: Iterable[Payload] = (),
          members: Iterable[Payload] = (), everyone_permissions: int | discord.Permissions = EVERYONE_PERMS) -> Payload:
    """Build a GUILD_CREATE payload. The @everyone role (id == guild id) is added if missing.

    Channels and threads get ``guild_id`` filled in; ``member_count`` equals the members given, so
    discord.py considers the guild chunked and never asks the (absent) gateway for members.
    """
    gid = str(id or snowflake())
    members = list(members)
    roles = list(roles)
    if not any(r["id"] == gid for r in roles):
        roles.insert(0, role("@everyone", id=int(gid), permissions=everyone_permissions, position=0))
    chans = [{**c, "guild_id": gid} for c in channels]
    return {
        "id": gid, "name": name, "owner_id": _sid(owner_id or (members[0]["user"] if members else snowflake())),
        "unavailable": False, "large": False, "member_count": len(members), "joined_at": iso(now()),
        "icon": None, "splash": None, "discovery_splash": None, "banner": None, "description": None,
        "features": ["COMMUNITY"], "verification_level": 1, "default_message_notifications": 1,
        "explicit_content_filter": 2, "mfa_level": 0, "nsfw_level": 0, "premium_tier": 0,
        "preferred_locale": "en-US", "system_channel_id": None, "rules_channel_id": None,
        "public_updates_channel_id": None, "afk_channel_id": None, "afk_timeout": 300,
        "roles": roles, "emojis": [], "stickers": [], "channels": chans,
        "threads": [{**t, "guild_id": gid} for t in threads], "members": members, "voice_states": [],
        "presences": [], "stage_instances": [], "guild_scheduled_events": [], "soundboard_sounds": [],
    }


# --- messages ----------------------------------------------------------------------------------


def message(*, channel_id: Any, author: Payload, content: str = "", guild_id: Any = None, id: int | None = None,
            created_at: dt.datetime | None = None, mentions: Iterable[Payload] = (),
            mention_roles: Iterable[Any] = (), embeds: Iterable[Payload] = (), attachments: Iterable[Payload] = (),
            components: Iterable[Payload] = (), flags: int = 0, type: int = 0, reference: Payload | None = None,
            webhook_id: Any = None, edited_at: dt.datetime | None = None, **extra: Any) -> Payload:
    """Build a MESSAGE_CREATE payload (also the shape REST returns for a message).

    ``author`` may be a user payload or a member payload (with ``user``): for a guild message the
    member part becomes the ``member`` field, as the gateway sends it. ``mentions`` take user or
    member payloads; members are sent as users with a nested ``member``, like Discord does.
    """
    created_at = created_at or now()
    member_part = None
    if "user" in author:
        member_part, author = without_user(author), author["user"]
    mention_list = []
    for m in mentions:
        if "user" in m:
            mention_list.append({**m["user"], "member": without_user(m)} if guild_id else m["user"])
        else:
            mention_list.append(m)
    data: Payload = {
        "id": str(id or snowflake(created_at)), "channel_id": _sid(channel_id), "author": author,
        "content": content, "timestamp": iso(created_at), "edited_timestamp": iso(edited_at), "tts": False,
        "mention_everyone": "@everyone" in content, "mentions": mention_list,
        "mention_roles": [_sid(r) for r in mention_roles], "attachments": list(attachments),
        "embeds": list(embeds), "reactions": [], "pinned": False, "type": type, "flags": flags,
        "components": list(components), "nonce": None,
    }
    if guild_id:
        data["guild_id"] = _sid(guild_id)
        if member_part is not None:
            data["member"] = member_part
    if reference is not None:
        data["message_reference"] = reference
    if webhook_id:
        data["webhook_id"] = _sid(webhook_id)
    data.update(extra)
    return data


def message_update(original: Payload, *, content: str | None = None, edited_at: dt.datetime | None = None,
                   **changes: Any) -> Payload:
    """Build a MESSAGE_UPDATE from the original message: Discord sends the full edited message."""
    data = {**original, **changes, "edited_timestamp": iso(edited_at or now())}
    if content is not None:
        data["content"] = content
    return data


def attachment(filename: str = "file.png", *, size: int = 1024, content_type: str = "image/png",
               id: int | None = None) -> Payload:
    """Build a message attachment object."""
    aid = str(id or snowflake())
    url = f"https://cdn.discordapp.com/attachments/0/{aid}/{filename}"
    return {"id": aid, "filename": filename, "size": size, "url": url, "proxy_url": url,
            "content_type": content_type, "height": None, "width": None, "ephemeral": False}


def thread_create(name: str, *, forum: Payload | Any, guild_id: Any, author: Payload, content: str = "",
                  tags: Iterable[Any] = (), created_at: dt.datetime | None = None) -> tuple[Payload, Payload]:
    """Build THREAD_CREATE for a new forum post plus its starter MESSAGE_CREATE (id == thread id).

    Discord sends THREAD_CREATE (``newly_created: true``) and then MESSAGE_CREATE for the starter
    message in the thread; the THREAD_CREATE here also carries it as ``message``, as REST does.
    """
    created_at = created_at or now()
    author_user = author.get("user", author)
    tid = snowflake(created_at)
    starter = message(id=tid, channel_id=tid, author=author, content=content, guild_id=guild_id,
                      created_at=created_at)
    data = thread(name, id=tid, parent_id=forum, guild_id=guild_id, owner_id=author_user,
                  applied_tags=tags, created_at=created_at, newly_created=True, message=starter,
                  message_count=1)
    return data, starter


def reaction_add(*, user_id: Any, channel_id: Any, message_id: Any, guild_id: Any = None,
                 emoji: str | Payload = "\N{THUMBS UP SIGN}", member: Payload | None = None,
                 message_author_id: Any = None, burst: bool = False) -> Payload:
    """Build MESSAGE_REACTION_ADD; ``type`` (0 normal, 1 burst) is required since discord.py 2.4."""
    emoji_data = {"id": None, "name": emoji, "animated": False} if isinstance(emoji, str) else emoji
    data: Payload = {
        "user_id": _sid(user_id), "channel_id": _sid(channel_id), "message_id": _sid(message_id),
        "emoji": emoji_data, "burst": burst, "type": 1 if burst else 0, "burst_colors": [],
    }
    if guild_id:
        data["guild_id"] = _sid(guild_id)
    if member is not None:
        data["member"] = member
    if message_author_id:
        data["message_author_id"] = _sid(message_author_id)
    return data


def member_add(member_payload: Payload, *, guild_id: Any) -> Payload:
    """Build GUILD_MEMBER_ADD: the member object plus ``guild_id``."""
    return {**member_payload, "guild_id": _sid(guild_id)}


# --- components and interactions --------------------------------------------------------------


# --- discord.py objects back to payloads --------------------------------------------------------


def from_user(obj: discord.abc.User) -> Payload:
    """Return a user payload for a cached ``discord.User``/``discord.Member``/``ClientUser``."""
    return user(obj.name, id=obj.id, bot=obj.bot, global_name=obj.global_name)


def from_member(obj: discord.Member, *, permissions: int | discord.Permissions | None = None) -> Payload:
    """Return a member payload (with ``user``) for a cached ``discord.Member``."""
    return member(from_user(obj), roles=[r for r in obj._roles], joined_at=obj.joined_at, nick=obj.nick,
                  permissions=permissions, timed_out_until=obj.timed_out_until)


def from_channel(obj: Any) -> Payload:
    """Return a partial channel payload (id, type, name, guild_id, parent_id) for a channel or thread."""
    data: Payload = {"id": str(obj.id), "type": obj.type.value, "name": getattr(obj, "name", None),
                     "guild_id": str(obj.guild.id) if getattr(obj, "guild", None) else None,
                     "parent_id": str(obj.parent_id) if getattr(obj, "parent_id", None) else None,
                     "position": getattr(obj, "position", 0), "nsfw": False, "flags": 0}
    if isinstance(obj, discord.Thread):
        data.update(owner_id=str(obj.owner_id), member_count=obj.member_count or 1,
                    message_count=obj.message_count or 0,
                    thread_metadata={"archived": obj.archived, "auto_archive_duration": obj.auto_archive_duration,
                                     "archive_timestamp": iso(obj.archive_timestamp), "locked": obj.locked})
    return data


def from_message(obj: discord.Message) -> Payload:
    """Return a best-effort message payload for a cached ``discord.Message`` (prefer stored payloads)."""
    author = from_member(obj.author) if isinstance(obj.author, discord.Member) else from_user(obj.author)
    return message(id=obj.id, channel_id=obj.channel.id, author=author, content=obj.content,
                   guild_id=obj.guild.id if obj.guild else None, created_at=obj.created_at,
                   embeds=[e.to_dict() for e in obj.embeds], flags=obj.flags.value,
                   components=[c.to_dict() for c in obj.components])
