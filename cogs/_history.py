"""A member's case history for moderators: `/govmod history @member` and the "govmod: history" user menu."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.history import HISTORY_PAGE, MemberFacts, history_card
from bot.storage.casebook import HistoryRepo
from cogs._review_actions import member_refusal
from cogs._views import history_view, show, to_embed

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

HISTORY_MENU = "govmod: history"


async def _facts(interaction: discord.Interaction[Any], user_id: int,
                 user: discord.abc.User | None = None) -> MemberFacts:
    """Return the member's names and dates from the cache (or the user given), without a network call."""
    guild = interaction.guild
    member = guild.get_member(user_id) if guild is not None else None
    who = member or user
    if who is None:
        return MemberFacts(str(user_id), f"user {user_id}", discord.utils.snowflake_time(user_id), None, False)
    joined = getattr(member or who, "joined_at", None)
    return MemberFacts(str(user_id), getattr(who, "display_name", None) or who.name, who.created_at, joined,
                       member is not None or isinstance(who, discord.Member))


class HistoryPager:
    """Render and page a member's history (ephemeral; the buttons keep working after a restart)."""

    def __init__(self, bot: GovmodBot) -> None:
        """Bind to the bot's services."""
        self.bot = bot
        self.repo = HistoryRepo(bot.db)

    async def show(self, interaction: discord.Interaction[Any], user_id: int, offset: int, *, edit: bool,
                   user: discord.abc.User | None = None) -> None:
        """Check the clicking member may review, then show one page of `user_id`'s history."""
        guild_id = str(interaction.guild_id)
        config = await self.bot.service.config(guild_id)
        refusal = member_refusal(interaction, config)
        if refusal:
            await interaction.response.send_message(refusal, ephemeral=True)
            return
        summary = await self.repo.summary(guild_id, str(user_id), config.watched)
        offset = max(0, min(offset, max(0, summary.total - 1) // HISTORY_PAGE * HISTORY_PAGE))
        page = await self.repo.cases(guild_id, str(user_id), limit=HISTORY_PAGE, offset=offset)
        card = history_card(guild_id, await _facts(interaction, user_id, user), summary, page, offset)
        await show(interaction, to_embed(card), history_view(user_id, offset, HISTORY_PAGE, summary.total), edit=edit)
