"""After a restart or a lost session, re-fetch what watched channels got since the last scored post."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord

from bot.client import one_line
from bot.storage import ResumeRepo
from cogs._convert import in_watched, is_scorable, post_from_message

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

MAX_PER_CHANNEL = 500  # a long outage is `/govmod backfill`'s job; this covers a crash or a restart


async def catch_up(bot: GovmodBot, guild: discord.Guild) -> int:
    """Queue the messages posted after the newest stored one in each watched channel and thread; return how many.

    Posts are stored only once scored, so whatever was queued but not scored when the process died
    (or arrived while it was down) is newer than that and is fetched again. Channels govmod never
    scored anything in are skipped: scoring old history is what `/govmod backfill` is for.
    """
    config = await bot.service.config(str(guild.id))
    if not config.watched:
        return 0
    newest = await ResumeRepo(bot.db).newest_per_channel(str(guild.id))
    queued = 0
    for channel_id, after in newest.items():
        channel = guild.get_channel_or_thread(int(channel_id))
        if channel is None or not in_watched(channel, config.watched) or not hasattr(channel, "history"):
            continue
        queued += await _fetch(bot, channel, after)
    if queued:
        log.info("caught up %d message(s) in %s posted since govmod last scored there", queued, guild.name)
    return queued


async def _fetch(bot: GovmodBot, channel: Any, after: int) -> int:
    queued = 0
    try:
        async for message in channel.history(limit=MAX_PER_CHANNEL, after=discord.Object(id=after),
                                             oldest_first=True):
            if is_scorable(message) and await bot.live.submit(post_from_message(message)):
                queued += 1
    except discord.HTTPException as exc:
        log.warning("could not re-fetch #%s after a restart (%s); use /govmod backfill there", channel,
                    one_line(exc))
    return queued
