"""Review cog: alerts in the moderators' channel, persistent case buttons and the `/govmod review` queue."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import label
from bot.domain import CaseStatus
from bot.storage import CaseRepo
from cogs._review_actions import Refusal, act, member_refusal
from cogs._review_alerts import AlertPoster
from cogs._views import CaseButton, PageButton, case_view, confirm_view, is_open, page_view, to_embed

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

PAGE_SIZE = 4
OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ESCALATED)


async def _tell(interaction: discord.Interaction[Any], text: str) -> None:
    """Answer ephemerally, whether or not the interaction was answered already."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True)
    else:
        await interaction.response.send_message(text, ephemeral=True)


class Review(commands.Cog):
    """Put cases in front of human moderators and record what they decide."""

    def __init__(self, bot: GovmodBot) -> None:
        """Bind to the bot's services."""
        self.bot = bot
        self.cases = CaseRepo(bot.db)
        self.alerts = AlertPoster(bot)
        self.subcommands = [
            app_commands.Command(name="review", description="Open cases, oldest first, with their buttons",
                                 callback=self._review),
            app_commands.Command(name="case", description="One case with its evidence and buttons",
                                 callback=self._case),
        ]

    async def cog_load(self) -> None:
        """Register the persistent buttons, subscribe to batch results, add `/govmod review`."""
        self.bot.add_dynamic_items(CaseButton, PageButton)
        self.bot.live.subscribe(self.alerts.on_batch)
        for command in self.subcommands:
            self.bot.govmod.add_command(command)

    async def cog_unload(self) -> None:
        """Undo `cog_load`."""
        self.bot.remove_dynamic_items(CaseButton, PageButton)
        self.bot.live.unsubscribe(self.alerts.on_batch)
        for command in self.subcommands:
            self.bot.govmod.remove_command(command.name)

    async def _review(self, interaction: discord.Interaction[Any]) -> None:
        """List open cases, oldest first."""
        await self.show_page(interaction, 0, edit=False)

    @app_commands.describe(id="The case number shown in alerts")
    async def _case(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1]) -> None:
        """Show one case: what was flagged, the evidence, decisions so far, and the buttons if still open."""
        guild_id = str(interaction.guild_id)
        refusal = member_refusal(interaction, await self.bot.service.config(guild_id))
        if refusal:
            await _tell(interaction, refusal)
            return
        case = await self.cases.get(id)
        if case is None or case.guild_id != guild_id:
            await _tell(interaction, f"Case #{id} does not exist in this server.")
            return
        embed = to_embed(await self.alerts.card(case))
        view = case_view(case)
        if view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def show_page(self, interaction: discord.Interaction[Any], offset: int, *, edit: bool) -> None:
        """Show open cases from `offset` (a page button edits the list in place)."""
        guild_id = str(interaction.guild_id)
        refusal = member_refusal(interaction, await self.bot.service.config(guild_id))
        if refusal:
            await _tell(interaction, refusal)
            return
        total = sum([await self.cases.count(guild_id, status=s) for s in OPEN_STATUSES])
        offset = max(0, min(offset, max(0, total - 1) // PAGE_SIZE * PAGE_SIZE))
        cases = await self.cases.list(guild_id, statuses=OPEN_STATUSES, limit=PAGE_SIZE, offset=offset)
        if not cases:
            embed = discord.Embed(title="No open cases", description="Nothing is waiting for a decision.",
                                  colour=0x2ECC71)
            view: discord.ui.View | None = None
        else:
            lines = [
                f"**#{c.id}** {label(c.detector)} · score {c.score:.2f} ({c.severity.value}) · "
                f"{len(c.post_ids)} post(s) in <#{c.channel_id}> · opened <t:{int(c.created_at.timestamp())}:R>"
                + (" · **escalated**" if c.status is CaseStatus.ESCALATED else "")
                for c in cases
            ]
            last = offset + len(cases)
            embed = discord.Embed(title=f"Open cases {offset + 1}-{last} of {total}", description="\n".join(lines),
                                  colour=0xE67E22)
            embed.set_footer(text="Oldest first. /govmod case <id> shows the full evidence.")
            view = page_view(cases, offset, PAGE_SIZE, total)
        if edit:
            await interaction.response.edit_message(embed=embed, view=view)
        elif view is None:
            await interaction.response.send_message(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, view=view, ephemeral=True)

    async def handle_click(self, interaction: discord.Interaction[Any], case_id: int, action: str) -> None:
        """Check the clicking member, then confirm (ask what to do), dismiss, escalate or act on a case."""
        case = await self.cases.get(case_id)
        if case is None or case.guild_id != str(interaction.guild_id):
            await _tell(interaction, f"Case #{case_id} does not exist in this server.")
            return
        refusal = member_refusal(interaction, await self.bot.service.config(case.guild_id))
        if refusal:
            log.info("refused %s on case %d for %s: no permission", action, case_id, interaction.user.id)
            await _tell(interaction, refusal)
            return
        if not is_open(case):
            await _tell(interaction, f"Case #{case_id} was already {case.status.value}; nothing changed.")
            return
        if action == "escalate" and case.status is CaseStatus.ESCALATED:
            await _tell(interaction, f"Case #{case_id} is already escalated.")
            return
        if action == "confirm":
            await interaction.response.send_message(
                f"Confirm case #{case_id}: what should happen? Nothing is done until you choose.",
                view=confirm_view(case_id), ephemeral=True,
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            summary = await act(interaction, self.bot.db, case, action)
        except Refusal as refusal_:
            await interaction.followup.send(str(refusal_), ephemeral=True)
            return
        await interaction.followup.send(summary, ephemeral=True)
        try:
            await self.alerts.refresh(case_id)
        except discord.HTTPException:
            log.exception("could not update the alert of case %d", case_id)


async def setup(bot: GovmodBot) -> None:
    """Add the review cog."""
    await bot.add_cog(Review(bot))
