"""Admin cog: watched channels, thresholds, alert channel, status, backfill and the "Check with govmod" menu."""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import label, render_verdict
from bot.domain import CaseStatus
from bot.policy import parse_categories
from bot.storage import CaseRepo, PostRepo
from cogs._admin_backfill import Backfill
from cogs._admin_status import delivery_lines
from cogs._convert import post_from_message
from cogs._permissions import refuse_settings
from cogs._views import to_embed
from models.registry import NAMES

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

DetectorName = Literal[NAMES]  # type: ignore[valid-type]  # slash-command choices, from the registry
WatchableChannel = discord.TextChannel | discord.ForumChannel
CHECK_MENU = "Check with govmod"


def _uptime(since: datetime, now: datetime) -> str:
    seconds = int((now - since).total_seconds())
    days, rest = divmod(seconds, 86400)
    return (f"{days}d " if days else "") + f"{rest // 3600}h {rest % 3600 // 60}m"


class Admin(commands.Cog):
    """Per-guild configuration and operator views, all under `/govmod` (moderators only by default)."""

    def __init__(self, bot: GovmodBot) -> None:
        """Build the command groups; they are attached to `/govmod` in `cog_load`."""
        self.bot = bot
        self.cases = CaseRepo(bot.db)
        self.backfiller = Backfill(bot)
        self.watch = app_commands.Group(name="watch", description="Channels govmod watches")
        self.threshold = app_commands.Group(name="threshold", description="When a score opens a case")
        self.alerts = app_commands.Group(name="alerts", description="Where alerts go and who reviews them")
        for group, name, callback, text in (
            (self.watch, "add", self.watch_add, "Watch a channel (its threads and forum posts too)"),
            (self.watch, "remove", self.watch_remove, "Stop watching a channel"),
            (self.watch, "list", self.watch_list, "List watched channels"),
            (self.threshold, "set", self.threshold_set, "Set a detector's threshold for this server"),
            (self.threshold, "show", self.threshold_show, "Show the thresholds in use"),
            (self.threshold, "categories", self.threshold_categories,
             "Choose which categories of a detector open cases (e.g. toxicity: hate, harassment, threat, profanity)"),
            (self.threshold, "autohide", self.threshold_autohide,
             "Opt in to hiding posts without a human above a very high score (omit the value to turn off)"),
            (self.alerts, "channel", self.alerts_channel, "Post case alerts in this channel"),
            (self.alerts, "role", self.alerts_role, "Let members with this role review cases"),
        ):
            group.add_command(app_commands.Command(name=name, description=text, callback=callback))
        self.subcommands: list[app_commands.Command[Any, ..., Any] | app_commands.Group] = [
            self.watch, self.threshold, self.alerts,
            app_commands.Command(name="status", description="Models, queue, recent cases, uptime",
                                 callback=self.status),
            app_commands.Command(name="backfill", description="Score a channel's recent history",
                                 callback=self.backfill),
        ]
        self.check_menu = app_commands.ContextMenu(name=CHECK_MENU, callback=self.check_message)
        self.check_menu.default_permissions = discord.Permissions(manage_messages=True)
        self.check_menu.guild_only = True

    async def cog_load(self) -> None:
        """Add the subcommands to `/govmod` and the message context menu to the tree."""
        for command in self.subcommands:
            self.bot.govmod.add_command(command)
        self.bot.tree.add_command(self.check_menu)

    async def cog_unload(self) -> None:
        """Undo `cog_load`."""
        for command in self.subcommands:
            self.bot.govmod.remove_command(command.name)
        self.bot.tree.remove_command(CHECK_MENU, type=discord.AppCommandType.message)

    async def _save(self, guild_id: int | None, write: Awaitable[None]) -> None:
        """Run one configuration write in a transaction and drop the cached configuration."""
        async with self.bot.db.transaction():
            await write
        self.bot.service.forget(str(guild_id))

    # ------------------------------------------------------------------ watch
    @app_commands.describe(channel="A text or forum channel; its threads and posts are included")
    async def watch_add(self, interaction: discord.Interaction[Any], channel: WatchableChannel) -> None:
        """Watch a channel."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id, self.bot.service.guilds.watch(str(interaction.guild_id),
                                                                             str(channel.id)))
        me = interaction.guild.me if interaction.guild else None
        perms = channel.permissions_for(me) if me else None
        warn = "" if perms is None or (perms.view_channel and perms.read_message_history) else (
            "\n⚠️ govmod cannot read that channel: give it View Channel and Read Message History there.")
        await interaction.response.send_message(f"Watching {channel.mention}.{warn}", ephemeral=True)

    async def watch_remove(self, interaction: discord.Interaction[Any], channel: WatchableChannel) -> None:
        """Stop watching a channel."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id, self.bot.service.guilds.watch(str(interaction.guild_id),
                                                                             str(channel.id), on=False))
        await interaction.response.send_message(f"No longer watching {channel.mention}.", ephemeral=True)

    async def watch_list(self, interaction: discord.Interaction[Any]) -> None:
        """List watched channels."""
        config = await self.bot.service.config(str(interaction.guild_id))
        text = ", ".join(f"<#{c}>" for c in sorted(config.watched)) or "No channel yet: `/govmod watch add`."
        await interaction.response.send_message(f"Watched: {text}", ephemeral=True)

    # ------------------------------------------------------------------ thresholds
    @app_commands.describe(detector="Which detector", value="Score from 0 to 1 at which a case opens")
    async def threshold_set(self, interaction: discord.Interaction[Any], detector: DetectorName,
                            value: app_commands.Range[float, 0.05, 1.0]) -> None:
        """Set one detector's threshold."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id,
                         self.bot.service.guilds.set_threshold(str(interaction.guild_id), detector, value))
        await interaction.response.send_message(f"{label(detector)}: cases open from {value:.2f}.", ephemeral=True)

    @app_commands.describe(detector="Which detector", categories="Comma-separated categories, or 'default'")
    async def threshold_categories(self, interaction: discord.Interaction[Any], detector: DetectorName,
                                   categories: str) -> None:
        """Choose the categories of a detector that open cases in this server."""
        if await refuse_settings(interaction):
            return
        det = self.bot.service.pipeline.detector(detector)
        known = tuple(getattr(det, "categories", ())) if det is not None else ()
        try:
            chosen = parse_categories(categories, known)
        except ValueError as exc:
            await interaction.response.send_message(str(exc), ephemeral=True)
            return
        await self._save(interaction.guild_id, self.bot.service.guilds.set_categories(
            str(interaction.guild_id), detector, chosen))
        text = "the default" if chosen is None else (", ".join(chosen) or "none")
        await interaction.response.send_message(f"{label(detector)}: cases open for {text}.", ephemeral=True)

    async def threshold_show(self, interaction: discord.Interaction[Any]) -> None:
        """Show thresholds in use (this server's, else the calibrated defaults)."""
        config = await self.bot.service.config(str(interaction.guild_id))
        policy = config.policy(self.bot.service.defaults)
        lines = [f"{label(d.name)}: {policy.threshold_for(d):.2f}"
                 + (" (this server)" if d.name in config.thresholds else " (default)")
                 + (f"; categories opening cases: {', '.join(sorted(policy.categories_for(d))) or 'none'}"
                    if getattr(d, "categories", None) else "")
                 for d in self.bot.service.pipeline.detectors]
        auto = config.auto_hide_threshold
        lines.append(f"Auto-hide: {'off (a human decides everything)' if auto is None else f'from {auto:.2f}'}")
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @app_commands.describe(value="0.90 to 1.00; leave out to turn auto-hide off")
    async def threshold_autohide(self, interaction: discord.Interaction[Any],
                                 value: app_commands.Range[float, 0.9, 1.0] | None = None) -> None:
        """Opt in to (or out of) automatic hiding of very high scoring posts."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id,
                         self.bot.service.guilds.update(str(interaction.guild_id), auto_hide_threshold=value))
        text = ("Auto-hide is off: nothing is deleted without a moderator." if value is None else
                f"Auto-hide is on: posts scoring {value:.2f} or more are deleted at once and still reviewed.")
        await interaction.response.send_message(text, ephemeral=True)

    # ------------------------------------------------------------------ alerts
    async def alerts_channel(self, interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
        """Post alerts in a channel."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id, self.bot.service.guilds.update(
            str(interaction.guild_id), alert_channel_id=str(channel.id)))
        await interaction.response.send_message(f"Alerts go to {channel.mention}.", ephemeral=True)

    async def alerts_role(self, interaction: discord.Interaction[Any], role: discord.Role) -> None:
        """Let a role review cases."""
        if await refuse_settings(interaction):
            return
        await self._save(interaction.guild_id, self.bot.service.guilds.update(
            str(interaction.guild_id), moderator_role_id=str(role.id)))
        await interaction.response.send_message(f"{role.mention} may now review cases.", ephemeral=True)

    # ------------------------------------------------------------------ status and backfill
    async def status(self, interaction: discord.Interaction[Any]) -> None:
        """Show model versions, queue depth, recent cases and uptime."""
        guild_id = str(interaction.guild_id)
        stats = self.bot.live.stats()
        config = await self.bot.service.config(guild_id)
        day = await self.cases.count(guild_id, since=self.bot.clock() - timedelta(hours=24))
        open_ = await self.cases.count(guild_id, status=CaseStatus.OPEN)
        versions = self.bot.service.pipeline.model_versions
        embed = discord.Embed(title="govmod status", colour=0x3498DB if stats.running else 0xE74C3C)
        embed.add_field(name="Models", value="\n".join(f"{k}: {v}" for k, v in sorted(versions.items())) or "none")
        notes = self.bot.service.pipeline.status_notes()
        if notes:
            embed.add_field(name="Model notes", value="\n".join(f"{k}: {v}" for k, v in sorted(notes.items())),
                            inline=False)
        embed.add_field(name="Queue", value=(
            f"{stats.depth}/{stats.capacity} waiting (peak {stats.max_depth})\n{stats.scored} posts and "
            f"{stats.events} events scored in {stats.batches} batches\n**{stats.dropped} dropped**, "
            f"{stats.failed} failed\nlast batch {stats.last_batch_ms:.0f} ms"
            + (f"\n**storage failing** ({stats.storage_error}): {stats.unsaved} scored items kept in memory, "
               "retrying" if stats.unsaved else "")
            + (f"\n**{stats.lost} scored items could not be stored**" if stats.lost else "")))
        embed.add_field(name="Cases", value=f"{day} in the last 24 h\n{open_} open")
        embed.add_field(name="Server", value=(
            f"{len(config.watched)} watched channel(s)\nalerts: "
            + (f"<#{config.alert_channel_id}>" if config.alert_channel_id else "not set (`/govmod alerts channel`)")))
        latency = self.bot.latency
        embed.add_field(name="Uptime", value=_uptime(self.bot.started_at, self.bot.clock())
                        + (f"\ngateway {latency * 1000:.0f} ms" if latency == latency and latency < 1e6 else ""))
        for name, value in await delivery_lines(self.bot, guild_id):  # alert outbox, sync, gateway (issue 14)
            embed.add_field(name=name, value=value, inline=False)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.describe(channel="Text or forum channel (threads included)", days="How many days back (1-30)")
    async def backfill(self, interaction: discord.Interaction[Any], channel: WatchableChannel,
                       days: app_commands.Range[int, 1, 30] = 7) -> None:
        """Score a channel's recent history with a progress message."""
        await self.backfiller.run(interaction, channel, days)

    # ------------------------------------------------------------------ context menu
    async def check_message(self, interaction: discord.Interaction[Any], message: discord.Message) -> None:
        """Show a message's scores ephemerally (stored verdict if scored already, else score it now)."""
        await interaction.response.defer(ephemeral=True, thinking=True)
        verdict = await PostRepo(self.bot.db).verdict(str(message.id))
        if verdict is None or (message.edited_at and verdict.scored_at < message.edited_at):
            if not message.content.strip():
                await interaction.followup.send("That message has no text to check.", ephemeral=True)
                return
            result = await self.bot.live.score_batch([post_from_message(message)])
            verdict = result.verdicts[0] if result.verdicts else None
        if verdict is None:
            await interaction.followup.send("govmod does not score messages from bots.", ephemeral=True)
            return
        config = await self.bot.service.config(str(interaction.guild_id))
        policy = config.policy(self.bot.service.defaults)
        thresholds = {d.name: policy.threshold_for(d) for d in self.bot.service.pipeline.detectors}
        await interaction.followup.send(embed=to_embed(render_verdict(verdict, thresholds)), ephemeral=True)


async def setup(bot: GovmodBot) -> None:
    """Add the admin cog."""
    await bot.add_cog(Admin(bot))
