"""Review cog: alerts in the moderators' channel, case buttons, `/govmod review`, `case`, `history` and notes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.alerts import label
from bot.domain import OPEN_STATUSES, Case, CaseStatus
from bot.history import with_notes
from bot.storage import CaseRepo
from bot.storage.casebook import NOTE_MAX, NoteRepo
from cogs._history import HISTORY_MENU, HistoryPager
from cogs._review_actions import Reply, act, lost_race, member_refusal
from cogs._review_alerts import AlertPoster
from cogs._views import (
    CaseButton,
    HistoryButton,
    NoteModal,
    PageButton,
    case_view,
    confirm_view,
    page_view,
    show,
    to_embed,
)

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

PAGE_SIZE = 4
DYNAMIC_ITEMS = (CaseButton, PageButton, HistoryButton)


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
        self.notes = NoteRepo(bot.db)
        self.alerts = AlertPoster(bot)
        self.history = HistoryPager(bot)
        self.subcommands = [
            app_commands.Command(name="review", description="Open cases, oldest first, with their buttons",
                                 callback=self._review),
            app_commands.Command(name="case", description="One case with its evidence, notes and buttons",
                                 callback=self._case),
            app_commands.Command(name="history", description="A member's cases, counts and first post",
                                 callback=self._history),
        ]
        self.history_menu = app_commands.ContextMenu(name=HISTORY_MENU, callback=self._history_menu)
        self.history_menu.default_permissions = discord.Permissions(manage_messages=True)
        self.history_menu.guild_only = True

    async def cog_load(self) -> None:
        """Register the persistent buttons, subscribe to batch results, add the commands."""
        self.bot.add_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.live.subscribe(self.alerts.on_batch)
        self.alerts.attach()  # the alert outbox: retries pending alerts once connected (issue 14)
        for command in self.subcommands:
            self.bot.govmod.add_command(command)
        self.bot.tree.add_command(self.history_menu)

    async def cog_unload(self) -> None:
        """Undo `cog_load`."""
        self.bot.remove_dynamic_items(*DYNAMIC_ITEMS)
        self.bot.live.unsubscribe(self.alerts.on_batch)
        self.alerts.detach()
        for command in self.subcommands:
            self.bot.govmod.remove_command(command.name)
        self.bot.tree.remove_command(HISTORY_MENU, type=discord.AppCommandType.user)

    async def _refusal(self, interaction: discord.Interaction[Any]) -> str | None:
        return member_refusal(interaction, await self.bot.service.config(str(interaction.guild_id)))

    async def _checked(self, interaction: discord.Interaction[Any], case_id: int, action: str) -> Case | None:
        """Return the case if the member may review cases and it is in this server; else answer why and None."""
        refusal = await self._refusal(interaction)
        if refusal:
            log.info("refused %s on case %d for %s: no permission", action, case_id, interaction.user.id)
            await _tell(interaction, refusal)
            return None
        case = await self.cases.get(case_id)
        if case is None or case.guild_id != str(interaction.guild_id):
            await _tell(interaction, f"Case #{case_id} does not exist in this server.")
            return None
        return case

    async def _review(self, interaction: discord.Interaction[Any]) -> None:
        """List open cases, oldest first."""
        await self.show_page(interaction, 0, edit=False)

    @app_commands.describe(id="The case number shown in alerts", note="Add this note to the case first")
    async def _case(self, interaction: discord.Interaction[Any], id: app_commands.Range[int, 1],
                    note: app_commands.Range[str, 1, NOTE_MAX] | None = None) -> None:
        """Show one case: what was flagged, the evidence, decisions and notes, and its buttons."""
        case = await self._checked(interaction, id, "case")
        if case is None:
            return
        if note is not None and not await self._store_note(interaction, case.id, case.guild_id, note):
            return
        embed = to_embed(with_notes(await self.alerts.card(case), await self.notes.for_case(case.id)))
        await show(interaction, embed, case_view(case),
                   content=f"Note added to case #{case.id}." if note is not None else None)

    @app_commands.describe(member="The member whose cases to show")
    async def _history(self, interaction: discord.Interaction[Any], member: discord.User) -> None:
        """Show a member's cases across every detector, newest first."""
        await self.history.show(interaction, member.id, 0, edit=False, user=member)

    async def _history_menu(self, interaction: discord.Interaction[Any], member: discord.User) -> None:
        """Show a member's history from the user context menu."""
        await self.history.show(interaction, member.id, 0, edit=False, user=member)

    async def show_history(self, interaction: discord.Interaction[Any], user_id: int, offset: int, *,
                           edit: bool) -> None:
        """Show one page of a member's history (the page buttons call this)."""
        await self.history.show(interaction, user_id, offset, edit=edit)

    async def show_page(self, interaction: discord.Interaction[Any], offset: int, *, edit: bool) -> None:
        """Show open cases from `offset` (a page button edits the list in place)."""
        guild_id = str(interaction.guild_id)
        refusal = await self._refusal(interaction)
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
        await show(interaction, embed, view, edit=edit)

    async def handle_click(self, interaction: discord.Interaction[Any], case_id: int, action: str) -> None:
        """Check the clicking member, then confirm (ask what to do), note, dismiss, escalate or act on a case."""
        case = await self._checked(interaction, case_id, action)
        if case is None:
            return
        if action == "note" and case.status is not CaseStatus.MERGED:  # a merged case's notes go to its survivor
            await interaction.response.send_modal(NoteModal(case_id, interaction.user.id))
            return
        if not case.is_open:
            await _tell(interaction, await lost_race(self.bot.db, case_id))
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
            reply = await act(interaction, self.bot.db, case, action)
        except Exception:
            log.exception("%s on case %d failed", action, case_id)
            reply = Reply(f"Something went wrong while handling **{action}** on case #{case_id}; the details are "
                          f"in govmod's log. `/govmod case {case_id}` shows what was recorded.", decided=True)
        await interaction.followup.send(reply.text, ephemeral=True)
        if reply.decided:
            await self._refresh_alert(case_id)

    async def _refresh_alert(self, case_id: int) -> None:
        try:
            await self.alerts.refresh(case_id)
        except discord.HTTPException:
            log.exception("could not update the alert of case %d", case_id)

    async def _store_note(self, interaction: discord.Interaction[Any], case_id: int, guild_id: str,
                          text: str) -> bool:
        """Store a note; tell the moderator and return False if it is empty."""
        try:
            async with self.bot.db.transaction():
                await self.notes.add(guild_id, case_id, str(interaction.user.id), text)
        except ValueError as exc:
            await _tell(interaction, f"Nothing saved: {exc}.")
            return False
        return True

    async def add_note(self, interaction: discord.Interaction[Any], case_id: int, text: str) -> None:
        """Add a note submitted from the alert's modal (the submitter is checked again)."""
        case = await self._checked(interaction, case_id, "note")
        if case is None:
            return
        if await self._store_note(interaction, case_id, case.guild_id, text):
            count = len(await self.notes.for_case(case_id))
            await _tell(interaction, f"Note added to case #{case_id} ({count} note(s); `/govmod case {case_id}` "
                                     "shows them).")


async def setup(bot: GovmodBot) -> None:
    """Add the review cog."""
    await bot.add_cog(Review(bot))
