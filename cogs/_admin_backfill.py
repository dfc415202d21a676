"""`/govmod backfill`: read a channel's recent history (threads and forum posts too) and score it in batches."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from bot.domain import Post
from bot.ingest import merge_in_order
from bot.live import StorageUnavailable
from cogs._convert import is_scorable, post_from_message

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 2.0


async def _sources(channel: discord.TextChannel | discord.ForumChannel,
                   after: datetime) -> AsyncIterator[discord.abc.Messageable]:
    """Yield the channel (if it has messages of its own) and its active and archived threads."""
    if isinstance(channel, discord.TextChannel):
        yield channel
    seen: set[int] = set()
    for thread in channel.threads:
        seen.add(thread.id)
        yield thread
    try:
        async for thread in channel.archived_threads(limit=None):
            stamp = thread.archive_timestamp
            if stamp is not None and stamp < after:
                break
            if thread.id not in seen:
                yield thread
    except discord.Forbidden:
        log.info("backfill: no access to the archived threads of %s", channel)


class Backfill:
    """Score history through the live scorer (one batch at a time, alerts included)."""

    def __init__(self, bot: GovmodBot) -> None:
        """Bind to the bot."""
        self.bot = bot

    async def run(self, interaction: discord.Interaction[Any], channel: discord.TextChannel | discord.ForumChannel,
                  days: int) -> None:
        """Score `days` of history of `channel`, editing an ephemeral progress message as it goes."""
        await interaction.response.send_message(f"Backfilling {channel.mention} ({days} days): reading history…",
                                                ephemeral=True)
        after = self.bot.clock() - timedelta(days=days)
        batch: list[Post] = []
        scored = cases = 0
        last = time.monotonic()
        size = self.bot.live.batch_max

        async def flush() -> None:
            nonlocal scored, cases, batch
            if batch:
                result = await self.bot.live.score_batch(batch)
                scored += len(batch)
                cases += len({u.case_id for u in result.cases})
                batch = []

        try:
            sources = [s.history(limit=None, after=after, oldest_first=True) async for s in _sources(channel, after)]
            async for message in merge_in_order(sources, key=lambda m: m.created_at):  # time order, all threads
                if is_scorable(message):
                    batch.append(post_from_message(message))
                if len(batch) >= size:
                    await flush()
                if time.monotonic() - last >= PROGRESS_EVERY_S:
                    last = time.monotonic()
                    await self._progress(interaction, f"Backfilling {channel.mention}: {scored} messages "
                                                      f"scored, {cases} case(s) opened or updated so far…")
            await flush()
        except discord.Forbidden:
            await self._progress(interaction, f"govmod cannot read the history of {channel.mention}: give it View "
                                              f"Channel and Read Message History. Scored {scored} before stopping.")
            return
        except StorageUnavailable as exc:
            await self._progress(interaction, f"Backfill of {channel.mention} paused after {scored} messages: {exc}. "
                                              "Run it again once `/govmod status` shows storage working.")
            return
        await self._progress(interaction, f"Backfill of {channel.mention} done: {scored} messages from the last "
                                          f"{days} days scored, {cases} case(s) opened or updated.")

    async def _progress(self, interaction: discord.Interaction[Any], text: str) -> None:
        try:
            await interaction.edit_original_response(content=text)
        except discord.HTTPException:  # the interaction token lasts 15 minutes; the work goes on
            log.info("backfill progress: %s", text)
