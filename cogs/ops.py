"""Operator cog: `/govmod sync`, the bot owner's way to push the slash commands to Discord now."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import one_line

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)


class Ops(commands.Cog):
    """Commands for whoever runs the bot (the application's owner), not for a server's moderators."""

    def __init__(self, bot: GovmodBot) -> None:
        """Build `/govmod sync`; it is attached in `cog_load`."""
        self.bot = bot
        self.sync = app_commands.Command(name="sync", callback=self.sync_now,
                                         description="Bot owner only: sync the slash commands with Discord now")

    async def cog_load(self) -> None:
        """Add `/govmod sync`."""
        self.bot.govmod.add_command(self.sync)

    async def cog_unload(self) -> None:
        """Remove `/govmod sync`."""
        self.bot.govmod.remove_command(self.sync.name)

    @app_commands.describe(force="Sync even if the commands did not change since the last sync")
    async def sync_now(self, interaction: discord.Interaction[Any], force: bool = False) -> None:
        """Sync the command tree if it changed (or if forced); only the application's owner may."""
        if not await self.bot.is_owner(interaction.user):
            await interaction.response.send_message(
                "Only the owner of the govmod application may sync its commands.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = await self.bot.sync_commands(force=force)
        except (discord.HTTPException, app_commands.AppCommandError) as exc:
            log.warning("/govmod sync by %s failed: %s", interaction.user.id, one_line(exc))
            text = f"Discord refused the sync: {one_line(exc)}. govmod keeps running with the commands it has."
        await interaction.followup.send(text, ephemeral=True)


async def setup(bot: GovmodBot) -> None:
    """Add the operator cog."""
    await bot.add_cog(Ops(bot))
