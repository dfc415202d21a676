"""Build real-shaped Discord interaction payloads: components, command options, slash, context-menu and button data.

Use as ``from tests.helpers import interaction_payloads as ip``; ids, users and members come from ``payloads``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import discord

from .payloads import APPLICATION_ID, BOT_PERMS, BUTTON, SELECT, Payload, _sid, perm_value, snowflake, without_user


def button(custom_id: str, label: str = "button", *, style: int = 1, disabled: bool = False) -> Payload:
    """Build a button component (type 2)."""
    return {"type": BUTTON, "custom_id": custom_id, "label": label, "style": style, "disabled": disabled}
def select(custom_id: str, options: Iterable[str] = ("a", "b"), *, max_values: int = 1) -> Payload:
    """Build a string select component (type 3)."""
    return {"type": SELECT, "custom_id": custom_id, "min_values": 1, "max_values": max_values,
            "options": [{"label": o, "value": o, "default": False} for o in options], "disabled": False}
def action_row(*components: Payload) -> Payload:
    """Wrap components in an action row (type 1)."""
    return {"type": 1, "components": list(components)}
def option(name: str, type: int, value: Any = None, *, options: Sequence[Payload] | None = None,
           focused: bool = False) -> Payload:
    """Build one application command option (1 subcommand, 2 group, 3 str, 4 int, 7 channel, ...)."""
    data: Payload = {"name": name, "type": type}
    if options is not None:
        data["options"] = list(options)
    if value is not None:
        data["value"] = value
    if focused:
        data["focused"] = True
    return data
def resolved_channel(channel: Payload, *, permissions: int | discord.Permissions = BOT_PERMS) -> Payload:
    """Return the ``resolved.channels`` entry for a channel or thread payload."""
    keys = ("id", "type", "name", "parent_id", "guild_id", "topic", "position", "nsfw", "flags",
            "rate_limit_per_user", "last_message_id", "thread_metadata", "owner_id", "member_count",
            "message_count", "applied_tags")
    data = {k: channel[k] for k in keys if k in channel}
    data["permissions"] = perm_value(permissions)
    return data
def interaction(*, type: int, data: Payload, guild_id: Any, channel: Payload, member: Payload,
                app_permissions: int | discord.Permissions = BOT_PERMS, application_id: int = APPLICATION_ID,
                message: Payload | None = None, locale: str = "en-US", id: int | None = None,
                token: str | None = None) -> Payload:
    """Build INTERACTION_CREATE. 2.7.1 needs ``attachment_size_limit`` and ``version`` among others.

    ``member`` must carry ``permissions`` (the invoker's permissions in the channel), which is what
    ``interaction.permissions`` returns.
    """
    iid = id or snowflake()
    payload: Payload = {
        "id": str(iid), "application_id": str(application_id), "type": type, "token": token or f"tok-{iid}",
        "version": 1, "guild_id": _sid(guild_id), "channel_id": channel["id"], "channel": channel,
        "member": member, "app_permissions": perm_value(app_permissions), "locale": locale,
        "guild_locale": "en-US", "attachment_size_limit": 10 * 1024 * 1024, "entitlements": [],
        "authorizing_integration_owners": {"0": _sid(guild_id)}, "context": 0, "data": data,
    }
    if message is not None:
        payload["message"] = message
    return payload
def slash_data(name: str, *, options: Sequence[Payload] = (), resolved: Payload | None = None,
               guild_id: Any = None, command_id: int | None = None) -> Payload:
    """Build ``data`` of a chat-input command (type 1); subcommands/groups are nested ``options``."""
    data: Payload = {"id": str(command_id or snowflake()), "name": name, "type": 1, "options": list(options)}
    if resolved:
        data["resolved"] = resolved
    if guild_id:
        data["guild_id"] = _sid(guild_id)
    return data
def message_command_data(name: str, target: Payload, *, guild_id: Any = None,
                         command_id: int | None = None) -> Payload:
    """Build ``data`` of a message context-menu command (type 3) targeting a message payload."""
    data: Payload = {"id": str(command_id or snowflake()), "name": name, "type": 3, "target_id": target["id"],
                     "resolved": {"messages": {target["id"]: target}}}
    if guild_id:
        data["guild_id"] = _sid(guild_id)
    return data
def user_command_data(name: str, target: Payload, *, guild_id: Any = None, command_id: int | None = None) -> Payload:
    """Build ``data`` of a user context-menu command (type 2) targeting a member payload."""
    uid = target["user"]["id"]
    data: Payload = {"id": str(command_id or snowflake()), "name": name, "type": 2, "target_id": uid,
                     "resolved": {"users": {uid: target["user"]}, "members": {uid: without_user(target)}}}
    if guild_id:
        data["guild_id"] = _sid(guild_id)
    return data
def component_data(custom_id: str, *, component_type: int = BUTTON, values: Sequence[str] | None = None) -> Payload:
    """Build ``data`` of a component interaction (type 3): a button click or select choice."""
    data: Payload = {"custom_id": custom_id, "component_type": component_type}
    if values is not None:
        data["values"] = list(values)
    return data
