"""Watcher cog: messages, edits, forum posts, reactions and joins from watched channels go to the live queue."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from cogs._catchup import catch_up
from cogs._convert import in_watched, is_scorable, join_from_member, post_from_message, reaction_from_payload

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)


class Watcher(commands.Cog):
    """Feed the live scorer; never score on the gateway task itself."""

    def __init__(self, bot: GovmodBot) -> None:
        """Bind to the bot's services."""
        self.bot = bot

    async def _watched(self, guild_id: int, channel: object) -> bool:
        config = await self.bot.service.config(str(guild_id))
        return in_watched(channel, config.watched)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Load a guild's configuration, then re-fetch what arrived since the last scored post (restarts)."""
        await self.bot.service.config(str(guild.id))
        await catch_up(self.bot, guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Load a new guild's (default) configuration."""
        await self.bot.service.config(str(guild.id))

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        """Queue a new message or forum post from a watched channel (or a thread of one)."""
        if not is_scorable(message) or message.guild is None:
            return
        if await self._watched(message.guild.id, message.channel):
            await self.bot.live.submit(post_from_message(message))

    @commands.Cog.listener()
    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """Queue an edited message again: an edit can turn a harmless post into a flagged one."""
        message = payload.message
        if message.edited_at is None or payload.guild_id is None:  # embeds unfurling, not an edit
            return
        if not is_scorable(message):
            return
        if await self._watched(payload.guild_id, message.channel):
            await self.bot.live.submit(post_from_message(message))

    @commands.Cog.listener()
    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        """Queue a reaction in a watched channel for the coordination detector."""
        if payload.guild_id is None or (payload.member is not None and payload.member.bot):
            return
        if self.bot.user is not None and payload.user_id == self.bot.user.id:
            return
        guild = self.bot.get_guild(payload.guild_id)
        channel = guild.get_channel_or_thread(payload.channel_id) if guild else None
        if await self._watched(payload.guild_id, channel):
            await self.bot.live.submit(reaction_from_payload(payload, self.bot.clock()))

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Queue a join (join bursts are campaign evidence) in guilds that watch any channel."""
        if member.bot:
            return
        config = await self.bot.service.config(str(member.guild.id))
        if config.watched:
            await self.bot.live.submit(join_from_member(member, self.bot.clock()))


async def setup(bot: GovmodBot) -> None:
    """Add the watcher cog."""
    await bot.add_cog(Watcher(bot))
