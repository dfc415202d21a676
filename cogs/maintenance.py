"""Maintenance cog: forget the text of old posts once a day (GOVMOD_DATABASE__RETENTION_DAYS)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.storage import PostRepo

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)


class Maintenance(commands.Cog):
    """Apply the retention period: post text older than it is set to NULL; hashes and verdicts stay."""

    def __init__(self, bot: GovmodBot) -> None:
        """Keep the bot whose database is maintained."""
        self.bot = bot

    async def cog_load(self) -> None:
        """Start the daily retention task."""
        self.retention.start()

    async def cog_unload(self) -> None:
        """Stop the daily retention task."""
        self.retention.cancel()

    async def purge(self, now: datetime | None = None) -> int:
        """Forget the text of posts older than the retention period; return how many were purged."""
        days = self.bot.settings.database.retention_days
        cutoff = (now or self.bot.clock()) - timedelta(days=days)
        async with self.bot.db.transaction():
            purged = await PostRepo(self.bot.db).purge_content(cutoff)
        if purged:
            log.info("retention: forgot the text of %d posts older than %d days", purged, days)
        return purged

    @tasks.loop(hours=24)
    async def retention(self) -> None:
        """Run the purge once a day (first run at start-up)."""
        try:
            await self.purge()
        except Exception:  # a failed purge must not stop the loop; it is retried tomorrow
            log.exception("retention purge failed")


async def setup(bot: GovmodBot) -> None:
    """Add the maintenance cog."""
    await bot.add_cog(Maintenance(bot))
