"""Post each case once to the guild's alert channel and edit that one alert as the case grows or is decided."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord

from bot.alerts import AlertCard, render_case
from bot.domain import Case, CaseStatus, is_profile_post
from bot.history import decorate
from bot.service import BatchResult, CaseUpdate
from bot.storage import CaseRepo, PostRepo, ReviewRepo
from cogs._views import case_view, to_embed

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

MAX_POSTS_SHOWN = 20
BOT_ACTOR = "govmod"


class AlertPoster:
    """Turn stored batch results into alerts; one lock so a campaign never gets two alerts."""

    def __init__(self, bot: GovmodBot) -> None:
        """Bind to the bot's services."""
        self.bot = bot
        self.cases = CaseRepo(bot.db)
        self.posts = PostRepo(bot.db)
        self.reviews = ReviewRepo(bot.db)
        self._lock = asyncio.Lock()

    async def on_batch(self, result: BatchResult) -> None:
        """Auto-hide where a guild opted in, then post or update one alert per case in the batch."""
        if not result.cases:
            return
        async with self._lock:
            for update in result.cases:
                await self._maybe_auto_hide(update)
            for case_id in dict.fromkeys(u.case_id for u in result.cases):
                try:
                    await self.publish(case_id)
                except discord.HTTPException:
                    log.exception("could not post the alert of case %d", case_id)

    async def refresh(self, case_id: int) -> str | None:
        """Update a case's alert after a decision (under the same lock as batch alerts)."""
        async with self._lock:
            return await self.publish(case_id)

    async def card(self, case: Case) -> AlertCard:
        """Return the alert card of a case with its posts, decisions and automatic actions."""
        posts = [p for pid in case.post_ids[:MAX_POSTS_SHOWN] if (p := await self.posts.get(pid)) is not None]
        reviews = await self.reviews.for_case(case.id)
        card = await decorate(self.bot.db, case, render_case(case, posts, reviews))
        hidden = [r for r in await self.reviews.audit_rows(case.id) if r["action"] == "auto_hide"]
        if hidden:
            note = f"govmod auto-hid {len(hidden)} message(s) above this server's auto-hide threshold."
            card = AlertCard(card.title, card.description + f"\n\n**{note}**", card.colour, card.fields, card.url,
                             card.footer, card.timestamp)
        return card

    async def publish(self, case_id: int) -> str | None:
        """Send the alert of a case, or edit the one already sent; return the alert message id."""
        case = await self.cases.get(case_id)
        if case is None or (case.status is CaseStatus.MERGED and not case.alert_message_id):
            return None  # a merged case without an alert needs none: the surviving case has it
        config = await self.bot.service.config(case.guild_id)
        channel_id = case.alert_channel_id or config.alert_channel_id
        if not channel_id:
            log.info("case %d: guild %s has no alert channel (/govmod alerts channel)", case.id, case.guild_id)
            return None
        embed = to_embed(await self.card(case))
        view = case_view(case)
        channel = self.bot.get_partial_messageable(int(channel_id), guild_id=int(case.guild_id))
        if case.alert_message_id and case.alert_channel_id:
            try:
                await channel.get_partial_message(int(case.alert_message_id)).edit(embed=embed, view=view)
                return case.alert_message_id
            except discord.NotFound:
                log.info("alert of case %d was deleted; posting it again", case.id)
        problem = self._cannot_post(case.guild_id, channel_id)
        if problem:
            log.warning("case %d: %s", case.id, problem)
            return None
        kwargs = {"embed": embed} if view is None else {"embed": embed, "view": view}
        message = await channel.send(**kwargs)  # type: ignore[arg-type]
        async with self.bot.db.transaction():
            await self.cases.set_alert(case.id, channel_id, str(message.id))
        return str(message.id)

    def _cannot_post(self, guild_id: str, channel_id: str) -> str | None:
        """Return why the bot cannot post in the alert channel, if the cache can tell."""
        guild = self.bot.get_guild(int(guild_id))
        channel = guild.get_channel_or_thread(int(channel_id)) if guild else None
        if guild is None or channel is None or guild.me is None:
            return None
        perms = channel.permissions_for(guild.me)
        missing = [name for name, ok in (("View Channel", perms.view_channel), ("Send Messages", perms.send_messages),
                                         ("Embed Links", perms.embed_links)) if not ok]
        return f"cannot post alerts in #{channel}: missing {', '.join(missing)}" if missing else None

    async def _maybe_auto_hide(self, update: CaseUpdate) -> None:
        """Delete a post without a human only where the guild opted in and the score is above its threshold."""
        if update.outcome not in ("opened", "grew"):  # a merge moves posts that were judged already
            return
        config = await self.bot.service.config(update.guild_id)
        limit = config.auto_hide_threshold
        if limit is None or update.score < limit:
            return
        post = await self.posts.get(update.post_id)
        if post is None or is_profile_post(post.id):  # a member's name is no message to hide
            return
        guild = self.bot.get_guild(int(update.guild_id))
        channel = guild.get_channel_or_thread(int(post.channel_id)) if guild else None
        if guild is not None and channel is not None and guild.me is not None:
            if not channel.permissions_for(guild.me).manage_messages:
                log.warning("auto-hide of %s skipped: no Manage Messages in %s", post.id, channel)
                return
        try:
            await self.bot.http.delete_message(int(post.channel_id), int(post.id),
                                               reason=f"govmod auto-hide: case #{update.case_id}")
        except discord.NotFound:
            pass
        except discord.HTTPException:
            log.exception("auto-hide of message %s failed", post.id)
            return
        async with self.bot.db.transaction():
            await self.reviews.audit(update.guild_id, BOT_ACTOR, "auto_hide", update.case_id, post_id=post.id,
                                     detector=update.detector, score=update.score, threshold=limit)

