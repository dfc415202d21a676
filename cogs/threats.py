"""Threats cog: link allow/block lists, agent channels, and name checks on join, rename and role changes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.link_feeds import refresh as refresh_feeds
from bot.storage.link_lists import LinkListRepo, ThreatRepo
from bot.threat_context import load_context, load_global_lists, push_context
from cogs._permissions import refuse_settings
from models.threats.impersonation import profile_subject

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

LinkKind = Literal["allow", "block"]


def staff_of(guild: discord.Guild, moderator_role_id: str | None) -> tuple[set[str], set[str]]:
    """Return (names, ids) of the members a scammer would impersonate: moderators, admins and bots."""
    names: set[str] = set()
    ids: set[str] = set()
    for member in guild.members:
        perms = member.guild_permissions
        is_staff = (member.bot or perms.administrator or perms.manage_messages or perms.moderate_members
                    or member.id == guild.owner_id
                    or (moderator_role_id is not None and any(str(r.id) == moderator_role_id for r in member.roles)))
        if is_staff:
            ids.add(str(member.id))
            names.update(n for n in (member.name, member.global_name, member.nick, member.display_name) if n)
    return names, ids


def _display(member: discord.Member | discord.User) -> str:
    return getattr(member, "display_name", None) or member.name


class Threats(commands.Cog):
    """Keep the threat detectors' per-guild context current and judge members' names when they change."""

    def __init__(self, bot: GovmodBot) -> None:
        """Build the `/govmod links` and `/govmod agent` groups (attached in `cog_load`)."""
        self.bot = bot
        self.repo = ThreatRepo(bot.db)
        self.feed_task: asyncio.Task[None] | None = None
        self.links = app_commands.Group(name="links", description="Domains the scam-link check trusts or blocks")
        self.agent = app_commands.Group(name="agent", description="Channels an AI agent reads")
        for group, name, callback, text in (
            (self.links, "allow", self.links_allow, "Trust a domain (your project's own site, docs, forum)"),
            (self.links, "block", self.links_block, "Always flag links to a domain"),
            (self.links, "remove", self.links_remove, "Take a domain off the allow or block list"),
            (self.links, "list", self.links_list, "Show this server's allowed and blocked domains"),
            (self.agent, "channel", self.agent_channel,
             "Mark a channel an AI agent reads (prompt injection counts more there)"),
        ):
            group.add_command(app_commands.Command(name=name, description=text, callback=callback))

    async def cog_load(self) -> None:
        """Add the groups to `/govmod`, load the imported link lists, start the feed refresh if configured."""
        self.bot.govmod.add_command(self.links)
        self.bot.govmod.add_command(self.agent)
        await load_global_lists(self.bot.db, self.bot.service.pipeline)
        feeds = self.bot.settings.link_feeds
        if (feeds.urls or feeds.allow_urls) and feeds.refresh_hours > 0:
            self.feed_task = asyncio.create_task(self.refresh_feeds_forever(feeds.refresh_hours * 3600))

    async def cog_unload(self) -> None:
        """Undo `cog_load`."""
        self.bot.govmod.remove_command("links")
        self.bot.govmod.remove_command("agent")
        if self.feed_task is not None:
            self.feed_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.feed_task

    async def refresh_feeds_forever(self, every_seconds: float) -> None:
        """Fetch the configured deny / allow lists now and then every `every_seconds`; failures keep old lists."""
        feeds = self.bot.settings.link_feeds
        while True:
            try:
                results = await refresh_feeds(self.bot.db, feeds.urls, allow_urls=feeds.allow_urls,
                                              timeout=feeds.timeout_seconds, clock=self.bot.clock)
                if any(r.ok for r in results):
                    await load_global_lists(self.bot.db, self.bot.service.pipeline)
            except Exception:  # keep refreshing later; the lists already loaded stay in force
                log.exception("link list refresh failed; the current lists stay")
            await asyncio.sleep(every_seconds)

    async def refresh(self, guild: discord.Guild) -> None:
        """Read the guild's lists and staff and give them to the detectors."""
        config = await self.bot.service.config(str(guild.id))
        names, ids = staff_of(guild, config.moderator_role_id)
        context = await load_context(self.bot.db, str(guild.id), staff_names=names, staff_ids=ids)
        push_context(self.bot.service.pipeline, str(guild.id), context)

    # ------------------------------------------------------------------ listeners
    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        """Load a guild's context when it appears."""
        await self.refresh(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        """Load a new guild's context."""
        await self.refresh(guild)

    @commands.Cog.listener()
    async def on_member_join(self, member: discord.Member) -> None:
        """Judge a new member's names."""
        await self.check(member, "join")

    @commands.Cog.listener()
    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        """Refresh staff on role changes; judge the names after a nickname change."""
        if before.roles != after.roles:
            await self.refresh(after.guild)
        if (before.nick, before.display_name) != (after.nick, after.display_name):
            await self.check(after, "rename", previous=_display(before))

    @commands.Cog.listener()
    async def on_user_update(self, before: discord.User, after: discord.User) -> None:
        """Judge a changed username or global display name in every guild the member shares with govmod."""
        if (before.name, before.global_name) == (after.name, after.global_name):
            return
        for guild in after.mutual_guilds:
            member = guild.get_member(after.id)
            if member is not None:
                await self.check(member, "rename", previous=_display(before))

    async def check(self, member: discord.Member, reason: str, previous: str | None = None) -> None:
        """Send a member's names to the impersonation detector (guilds that watch a channel only)."""
        if member.bot:
            return
        config = await self.bot.service.config(str(member.guild.id))
        if not config.watched:
            return
        subject = profile_subject(
            guild_id=str(member.guild.id), user_id=str(member.id), display_name=_display(member),
            username=member.name, reason=reason, at=self.bot.clock(), account_created_at=member.created_at,
            joined_at=member.joined_at, previous_name=previous,
        )
        await self.bot.live.score_profiles([subject])

    # ------------------------------------------------------------------ commands
    async def _set(self, interaction: discord.Interaction[Any], domain: str, kind: LinkKind) -> None:
        if await refuse_settings(interaction):
            return
        guild = interaction.guild
        try:
            async with self.bot.db.transaction():
                cleaned = await self.repo.set_domain(str(interaction.guild_id), domain, kind, str(interaction.user.id))
        except ValueError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        if guild is not None:
            await self.refresh(guild)
        what = "trusted" if kind == "allow" else "blocked: links to it always open a case"
        await interaction.response.send_message(f"`{cleaned}` is {what}.", ephemeral=True)

    @app_commands.describe(domain="e.g. ourdao.org (subdomains included)")
    async def links_allow(self, interaction: discord.Interaction[Any], domain: str) -> None:
        """Trust a domain."""
        await self._set(interaction, domain, "allow")

    @app_commands.describe(domain="e.g. ourdao-claim.xyz")
    async def links_block(self, interaction: discord.Interaction[Any], domain: str) -> None:
        """Block a domain."""
        await self._set(interaction, domain, "block")

    async def links_remove(self, interaction: discord.Interaction[Any], domain: str) -> None:
        """Take a domain off the lists."""
        if await refuse_settings(interaction):
            return
        async with self.bot.db.transaction():
            removed = await self.repo.remove_domain(str(interaction.guild_id), domain)
        if interaction.guild is not None:
            await self.refresh(interaction.guild)
        text = f"`{domain}` removed." if removed else f"`{domain}` was on neither list."
        await interaction.response.send_message(text, ephemeral=True)

    async def links_list(self, interaction: discord.Interaction[Any]) -> None:
        """Show the lists."""
        allow, block = await self.repo.domains(str(interaction.guild_id))
        imported = [*await LinkListRepo(self.bot.db).lists(""), *await LinkListRepo(self.bot.db).lists(
            str(interaction.guild_id))]
        feeds = "; ".join(f"`{x.name}` ({x.listed_on[:10]}: {x.deny_count} blocked, {x.allow_count} allowed"
                          f"{', every server' if not x.scope else ''})" for x in imported)
        text = (f"Allowed: {', '.join(f'`{d}`' for d in sorted(allow)) or 'none (`/govmod links allow`)'}\n"
                f"Blocked: {', '.join(f'`{d}`' for d in sorted(block)) or 'none'}\n"
                f"Imported lists: {feeds or 'none (`govmod links import FILE`)'}\n"
                "The bundled block list applies too.")
        await interaction.response.send_message(text[:1900], ephemeral=True)

    @app_commands.describe(channel="A channel an AI agent reads", reads="False to unmark it")
    async def agent_channel(self, interaction: discord.Interaction[Any],
                            channel: discord.TextChannel | discord.ForumChannel, reads: bool = True) -> None:
        """Mark or unmark a channel an AI agent reads (marking also watches it)."""
        if await refuse_settings(interaction):
            return
        async with self.bot.db.transaction():
            await self.repo.set_agent_reads(str(interaction.guild_id), str(channel.id), reads)
        self.bot.service.forget(str(interaction.guild_id))
        if interaction.guild is not None:
            await self.refresh(interaction.guild)
        text = (f"{channel.mention} is read by an AI agent: it is watched and prompt injection scores higher there."
                if reads else f"{channel.mention} is no longer marked as read by an AI agent.")
        await interaction.response.send_message(text, ephemeral=True)


async def setup(bot: GovmodBot) -> None:
    """Add the threats cog."""
    await bot.add_cog(Threats(bot))
