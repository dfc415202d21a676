"""Permission checks made in code (server admins can change a command's `default_permissions`)."""

from __future__ import annotations

import logging
from typing import Any

import discord

log = logging.getLogger(__name__)


def settings_refusal(interaction: discord.Interaction[Any]) -> str | None:
    """Return why the member may not change govmod's settings (Manage Server needed), or None if they may."""
    user = interaction.user
    perms = user.guild_permissions if isinstance(user, discord.Member) else interaction.permissions
    if perms.manage_guild:  # a server-wide right (administrators have it)
        return None
    log.info("settings change refused for %s: no Manage Server", interaction.user.id)
    return "Changing govmod's settings needs the Manage Server permission, and you do not have it."


async def refuse_settings(interaction: discord.Interaction[Any]) -> bool:
    """Tell the member (ephemeral) and return True if they may not change settings."""
    refusal = settings_refusal(interaction)
    if refusal is None:
        return False
    await interaction.response.send_message(refusal, ephemeral=True)
    return True
