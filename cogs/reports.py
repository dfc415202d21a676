"""Reports cog: the weekly manipulation report, posted on schedule and on demand under `/govmod report`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.reporting import ReportFiles, claim_week, due_week, last_sent_week, release_week, report_targets, write_report
from bot.reporting.render_md import summary_fields
from bot.reporting.weeks import normalize_week, previous_week, week_of

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

CHECK_MINUTES = 5
FIELD_MAX, DESCRIPTION_MAX, EMBED_MAX = 1024, 4096, 6000
MORE = "… (see the attached report)"
Messageable = discord.TextChannel | discord.Thread


def fit(text: str, limit: int) -> str:
    """Return text cut to `limit` characters, pointing to the attached file when cut."""
    return text if len(text) <= limit else text[: limit - len(MORE)].rstrip() + MORE


def report_embed(files: ReportFiles, *, partial: bool = False) -> discord.Embed:
    """Build the summary embed: headline numbers, the flags chart, the rest in the attachments."""
    report = files.report
    title = f"Governance manipulation report, {files.week}" + (" (so far)" if partial else "")
    campaigns = "\n".join(
        f"#{c.case_id}: {c.posts} posts by {len(c.accounts)} accounts ({c.new_accounts} new), {c.status}"
        for c in report.campaigns) or "none"
    description = (f"{report.start:%d %b} to {report.end:%d %b %Y} (UTC). Flags are govmod's; outcomes are "
                   "your moderators'. The full report (Markdown, HTML) and the charts are attached.")
    embed = discord.Embed(title=title, description=fit(description, DESCRIPTION_MAX), colour=0xE8590C,
                          timestamp=report.generated_at)
    for name, value in [*summary_fields(report), ("Campaigns", campaigns)]:
        embed.add_field(name=name, value=fit(value, FIELD_MAX), inline=False)
    flags_chart = files.charts.get("flags_per_day")
    if flags_chart is not None:
        embed.set_image(url=f"attachment://{flags_chart.name}")
    while len(embed) > EMBED_MAX and embed.fields:  # cannot happen with today's fields; stay safe anyway
        embed.remove_field(-1)
    return embed


def attachments(files: ReportFiles) -> list[discord.File]:
    """Return the Markdown, the charts and the HTML as Discord files."""
    return [discord.File(path, filename=path.name) for path in files.paths]


class ReportGroup(app_commands.Group):
    """`/govmod report ...`: post the report now, choose its channel, show or hide names."""

    def __init__(self, cog: Reports) -> None:
        """Bind the subcommands to the cog."""
        super().__init__(name="report", description="Weekly manipulation report")
        self.cog = cog

    @app_commands.command(name="now", description="Post the report now (default: this week so far)")
    @app_commands.describe(week="An ISO week such as 2026-W47, or 'last' for the last complete week")
    async def now(self, interaction: discord.Interaction[Any], week: str | None = None) -> None:
        """Post the report on demand."""
        await self.cog.report_now(interaction, week)

    @app_commands.command(name="channel", description="Post the weekly report in this channel")
    async def channel(self, interaction: discord.Interaction[Any], channel: discord.TextChannel) -> None:
        """Choose the report channel."""
        await self.cog.set_config(interaction, f"Weekly reports go to {channel.mention}.",
                                  report_channel_id=str(channel.id))

    @app_commands.command(name="names", description="Show account names in reports, or ids only (default)")
    async def names(self, interaction: discord.Interaction[Any], show: bool) -> None:
        """Turn account names in reports on or off."""
        text = "Reports show account names and ids." if show else "Reports show account ids only."
        await self.cog.set_config(interaction, text, show_names=int(show))


class Reports(commands.Cog):
    """Weekly report delivery; the report itself is built by `bot.reporting` (no discord there)."""

    def __init__(self, bot: GovmodBot, clock: Callable[[], datetime] | None = None) -> None:
        """Keep the bot and a clock (injected in tests)."""
        self.bot = bot
        self.clock = clock or bot.clock
        self.group = ReportGroup(self)
        self._warned: set[tuple[str, str]] = set()

    async def cog_load(self) -> None:
        """Add `/govmod report` and start the weekly check."""
        self.bot.govmod.add_command(self.group)
        self.weekly.start()

    async def cog_unload(self) -> None:
        """Stop the weekly check and remove `/govmod report`."""
        self.weekly.cancel()
        self.bot.govmod.remove_command(self.group.name)

    @tasks.loop(minutes=CHECK_MINUTES)
    async def weekly(self) -> None:
        """Post every report that is due (a failure is logged and retried at the next check)."""
        try:
            await self.send_due()
        except Exception:
            log.exception("weekly report check failed")

    @weekly.before_loop
    async def _before_weekly(self) -> None:
        await self.bot.wait_until_ready()

    async def send_due(self) -> list[tuple[str, str]]:
        """Post last week's report to each guild whose slot has passed; return the (guild, week) pairs sent."""
        cfg = self.bot.settings.reports
        now = self.clock()
        sent = []
        for target in await report_targets(self.bot.db):
            week = due_week(now, cfg.weekday, cfg.hour, await last_sent_week(self.bot.db, target.guild_id))
            if week is None:
                continue
            channel = self.bot.get_channel(int(target.channel_id))
            if not isinstance(channel, Messageable) or channel.guild.id != int(target.guild_id):
                if (target.guild_id, week) not in self._warned:  # once per week, not every few minutes
                    self._warned.add((target.guild_id, week))
                    log.warning("report channel %s of guild %s is gone or not a text channel; %s report skipped",
                                target.channel_id, target.guild_id, week)
                continue
            if not await claim_week(self.bot.db, target.guild_id, week, now):
                continue  # another check got there first
            try:
                await self.post(channel, week, target.show_names or cfg.show_names)
            except Exception:
                await release_week(self.bot.db, target.guild_id, week)
                log.exception("could not post the %s report of guild %s; will retry", week, target.guild_id)
                continue
            sent.append((target.guild_id, week))
        return sent

    async def build(self, guild: discord.Guild, week: str, show_names: bool) -> ReportFiles:
        """Write a guild's report files under the configured report folder."""
        names = {str(c.id): c.name for c in [*guild.channels, *guild.threads]}
        out = self.bot.settings.reports.out_dir / str(guild.id)
        return await write_report(self.bot.db, str(guild.id), week, out, show_names, channel_names=names,
                                  now=self.clock())

    async def post(self, channel: Messageable, week: str, show_names: bool) -> discord.Message:
        """Write a report and post its summary embed with the files attached."""
        files = await self.build(channel.guild, week, show_names)
        partial = week == week_of(self.clock())
        return await channel.send(embed=report_embed(files, partial=partial), files=attachments(files))

    async def report_now(self, interaction: discord.Interaction[Any], week: str | None) -> None:
        """Post a report on demand to the report channel, or privately to the moderator without one."""
        guild = interaction.guild
        if guild is None:
            await interaction.response.send_message("Reports exist per server.", ephemeral=True)
            return
        now = self.clock()
        try:
            target = (previous_week(week_of(now)) if week and week.strip().lower() == "last"
                      else normalize_week(week) if week else week_of(now))
        except ValueError as exc:
            await interaction.response.send_message(f"{exc}. Use a week like {week_of(now)}.", ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        config = await self.bot.service.config(str(guild.id))
        show_names = config.show_names or self.bot.settings.reports.show_names
        channel = guild.get_channel(int(config.report_channel_id)) if config.report_channel_id else None
        if isinstance(channel, Messageable):
            message = await self.post(channel, target, show_names)
            await interaction.followup.send(f"Posted the {target} report: {message.jump_url}", ephemeral=True)
            return
        files = await self.build(guild, target, show_names)
        await interaction.followup.send(
            "No report channel is set (`/govmod report channel`), so here it is just for you.",
            embed=report_embed(files, partial=target == week_of(now)), files=attachments(files), ephemeral=True)

    async def set_config(self, interaction: discord.Interaction[Any], done: str, **values: Any) -> None:
        """Save report settings for this server and confirm privately."""
        guild_id = str(interaction.guild_id)
        async with self.bot.db.transaction():
            await self.bot.service.guilds.update(guild_id, **values)
        self.bot.service.forget(guild_id)
        await interaction.response.send_message(done, ephemeral=True)


async def setup(bot: GovmodBot) -> None:
    """Load the reports cog."""
    await bot.add_cog(Reports(bot))
