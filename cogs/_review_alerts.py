"""Post each case once to the guild's alert channel (an outbox: retried until it lands) and keep it up to date."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord
from discord.ext import tasks

from bot.alerts import AlertCard, Place, places_of, render_case
from bot.client import one_line
from bot.domain import Case, CaseStatus, is_profile_post
from bot.history import decorate
from bot.service import BatchResult, CaseUpdate
from bot.storage import CaseRepo, OutboxRepo, PostRepo, ReviewRepo
from cogs._views import case_view, to_embed

if TYPE_CHECKING:
    from bot.client import GovmodBot

log = logging.getLogger(__name__)

MAX_POSTS_SHOWN = 20
BOT_ACTOR = "govmod"
RETRY_EVERY_S = 15.0  # how often the outbox looks for alerts that are due again
PER_PASS = 10  # alerts tried per pass: a backlog drains steadily instead of hitting the rate limit at once
NOT_POSSIBLE_RETRY = timedelta(minutes=1)  # config or permission missing (known without a request)
BACKOFF_MIN, BACKOFF_MAX = timedelta(seconds=30), timedelta(minutes=30)
_REFRESH_EVENTS = ("on_guild_channel_update", "on_guild_role_update", "on_member_update")


class Undeliverable(Exception):
    """An alert cannot be posted now for a reason known without asking Discord (the text says which)."""


class Refused(Exception):
    """Discord refused an alert: why (in a moderator's words), whether to pause, and how long it asked."""

    def __init__(self, reason: str, *, slow: bool = False, retry_after: timedelta = timedelta(0)) -> None:
        """Keep the reason and the pacing hints."""
        super().__init__(reason)
        self.reason, self.slow, self.retry_after = reason, slow, retry_after

    @classmethod
    def of(cls, exc: discord.HTTPException, where: str) -> Refused:
        """Explain a refused send: rate limit, Discord trouble, a permission, or another refusal."""
        if isinstance(exc, discord.RateLimited):
            return cls(f"rate-limited by Discord for {exc.retry_after:.0f} s", slow=True,
                       retry_after=timedelta(seconds=exc.retry_after))
        text, asked = one_line(exc), timedelta(seconds=_retry_after(exc) or 0)
        if exc.status == 429:
            return cls(f"rate-limited by Discord ({text})", slow=True, retry_after=asked)
        if exc.status >= 500:
            return cls(f"Discord is having trouble ({text})", slow=True, retry_after=asked)
        if exc.status == 403:
            return cls(f"Discord refused: {text} in {where} (check govmod's View Channel, Send Messages and "
                       "Embed Links there)")
        if exc.status == 404:
            return cls(f"the alert channel {where} was not found ({text}; `/govmod alerts channel`)")
        return cls(f"Discord refused the alert in {where}: {text}")


def backoff(attempts: int) -> timedelta:
    """Return the wait after `attempts` failed requests: 30 s, doubling, at most 30 minutes."""
    return min(BACKOFF_MAX, BACKOFF_MIN * 2 ** max(0, attempts - 1))


def _place(channel: Any) -> Place:
    """Return the Place of a cached channel or thread (forum posts are threads of a forum channel)."""
    if isinstance(channel, discord.Thread):
        kind = "forum post" if isinstance(channel.parent, discord.ForumChannel) else "thread"
        return Place(str(channel.id), kind, channel.name, str(channel.parent_id) if channel.parent_id else None)
    return Place(str(channel.id), "channel", getattr(channel, "name", None))


class AlertPoster:
    """Turn stored batch results into alerts; one lock so a campaign never gets two alerts.

    A case that should have an alert and has none stays in the outbox (storage: `alert_outbox`) and is
    retried with backoff, after a restart too, until it is posted; `/govmod status` shows why it waits.
    """

    def __init__(self, bot: GovmodBot, *, retry_every: float = RETRY_EVERY_S) -> None:
        """Bind to the bot's services; `attach` starts listening."""
        self.bot = bot
        self.cases = CaseRepo(bot.db)
        self.posts = PostRepo(bot.db)
        self.reviews = ReviewRepo(bot.db)
        self.outbox = OutboxRepo(bot.db, clock=lambda: bot.clock())
        self._lock = asyncio.Lock()
        self._restarted = True  # the first READY of this process tries every pending alert once
        self.retry_loop = tasks.loop(seconds=retry_every)(self.retry_due)

    def attach(self) -> None:
        """Retry pending alerts once connected and whenever permissions may have changed."""
        self.bot.add_listener(self._on_ready, "on_ready")
        for event in _REFRESH_EVENTS:
            self.bot.add_listener(self._on_permissions_changed, event)
        if self.bot.is_ready():  # the cog was (re)loaded on a running bot: no READY is coming
            self.retry_loop.start()

    def detach(self) -> None:
        """Stop the retry loop and the listeners."""
        self.retry_loop.cancel()
        self.bot.remove_listener(self._on_ready, "on_ready")
        for event in _REFRESH_EVENTS:
            self.bot.remove_listener(self._on_permissions_changed, event)

    async def _on_ready(self) -> None:
        if self._restarted:  # a restart is often the fix (new permissions, Discord back): try them all now
            self._restarted = False
            async with self.bot.db.transaction():
                await self.outbox.retry_now()
        await self.retry_due()  # alerts left over from before a restart go out now
        if not self.retry_loop.is_running():
            self.retry_loop.start()

    async def _on_permissions_changed(self, before: Any, after: Any) -> None:
        guild = getattr(after, "guild", None)
        if guild is None or (isinstance(after, discord.Member) and after.id != getattr(self.bot.user, "id", None)):
            return
        if not await self.outbox.pending(str(guild.id)):
            return
        async with self.bot.db.transaction():
            await self.outbox.retry_now(str(guild.id))
        await self.retry_due()

    async def on_batch(self, result: BatchResult) -> None:
        """Auto-hide where a guild opted in, then post or update one alert per case in the batch."""
        if not result.cases:
            return
        async with self._lock:
            for update in result.cases:
                await self._maybe_auto_hide(update)
            for case_id in dict.fromkeys(u.case_id for u in result.cases):
                if not await self.outbox.backing_off(case_id):  # else the outbox posts its latest state when due
                    await self.deliver(case_id)

    async def retry_due(self) -> int:
        """Try the pending alerts that are due (a few per pass); return how many were posted."""
        try:
            async with self._lock:
                due = await self.outbox.due(limit=PER_PASS)
                posted = 0
                for item in due:
                    outcome = await self.deliver(item.case_id)
                    if outcome == "posted":
                        posted += 1
                    elif outcome == "slow down":  # rate limit or Discord trouble: not the moment to insist
                        break
            if posted:
                log.info("alert outbox: posted %d pending alert(s)", posted)
            return posted
        except Exception:  # the loop must outlive a bad pass (a database hiccup, a bug in one card)
            log.exception("alert outbox pass failed; retrying on the next pass")
            return 0

    async def refresh(self, case_id: int) -> str | None:
        """Update a case's alert after a decision (under the same lock as batch alerts)."""
        async with self._lock:
            try:
                return await self.publish(case_id)
            except (Undeliverable, Refused) as exc:  # an open case stays in the outbox; a decided one needs none
                log.info("case %d: alert not updated: %s", case_id, exc)
                return None

    async def deliver(self, case_id: int) -> str:
        """Publish a case's alert; on failure keep it in the outbox with the reason and when to retry.

        Returns "posted", "waiting" (known reason, no request made), "failed" or "slow down" (rate limit,
        Discord error: the current pass stops).
        """
        try:
            await self.publish(case_id)
        except Undeliverable as exc:
            await self._failed(case_id, str(exc), lambda _n: NOT_POSSIBLE_RETRY)
            return "waiting"
        except Refused as exc:
            asked = exc.retry_after
            await self._failed(case_id, exc.reason, lambda n: max(backoff(n), asked))
            return "slow down" if exc.slow else "failed"
        except discord.HTTPException as exc:  # editing an alert that reached the moderators already
            log.warning("could not update the alert of case %d: %s", case_id, one_line(exc))
            return "failed"
        return "posted"

    async def _failed(self, case_id: int, reason: str, wait: Callable[[int], timedelta]) -> None:
        async with self.bot.db.transaction():
            attempts = await self.outbox.attempts(case_id) + 1
            delay = wait(attempts)
            await self.outbox.failed(case_id, reason, delay)
        level = logging.WARNING if attempts == 1 else logging.INFO
        log.log(level, "alert of case %d not posted (attempt %d): %s; retrying in %.0f s",
                case_id, attempts, reason, delay.total_seconds())

    async def card(self, case: Case) -> AlertCard:
        """Return the alert card of a case with its posts, decisions and automatic actions."""
        posts = [p for pid in case.post_ids[:MAX_POSTS_SHOWN] if (p := await self.posts.get(pid)) is not None]
        reviews = await self.reviews.for_case(case.id)
        card = await decorate(self.bot.db, case, render_case(case, posts, reviews, self.places(case, posts)))
        hidden = [r for r in await self.reviews.audit_rows(case.id) if r["action"] == "auto_hide"]
        if hidden:
            note = f"govmod auto-hid {len(hidden)} message(s) above this server's auto-hide threshold."
            card = AlertCard(card.title, card.description + f"\n\n**{note}**", card.colour, card.fields, card.url,
                             card.footer, card.timestamp)
        return card

    def places(self, case: Case, posts: list[Any]) -> dict[str, Place]:
        """Return the case's channels and threads, named from the bot's cache where it knows them."""
        known = places_of(posts, case.channel_id)
        topic = case.evidence.get("topic")
        if topic and str(topic) not in known:
            known[str(topic)] = Place(str(topic))
        guild = self.bot.get_guild(int(case.guild_id)) if case.guild_id.isdigit() else None
        if guild is None:
            return known
        for place_id in list(known):
            channel = guild.get_channel_or_thread(int(place_id)) if place_id.isdigit() else None
            if channel is not None:
                known[place_id] = _place(channel)
        return known

    async def publish(self, case_id: int) -> str | None:
        """Send the alert of a case, or edit the one already sent; return the alert message id.

        Raises Undeliverable when the guild has no alert channel or the bot lacks a permission there,
        Refused when Discord refuses the new alert, discord.HTTPException when an edit fails.
        """
        case = await self.cases.get(case_id)
        if case is None or (case.status is CaseStatus.MERGED and not case.alert_message_id):
            return None  # a merged case without an alert needs none: the surviving case has it
        config = await self.bot.service.config(case.guild_id)
        channel_id = case.alert_channel_id or config.alert_channel_id
        if not channel_id:
            raise Undeliverable("no alert channel is set (`/govmod alerts channel`)")
        editing = bool(case.alert_message_id and case.alert_channel_id)
        problem = None if editing else self._cannot_post(case.guild_id, channel_id)
        if problem:
            raise Undeliverable(problem)
        embed = to_embed(await self.card(case))
        view = case_view(case)
        channel = self.bot.get_partial_messageable(int(channel_id), guild_id=int(case.guild_id))
        if editing:
            try:
                await channel.get_partial_message(int(case.alert_message_id or 0)).edit(embed=embed, view=view)
                return case.alert_message_id
            except discord.NotFound:
                log.info("alert of case %d was deleted; posting it again", case.id)
            problem = self._cannot_post(case.guild_id, channel_id)
            if problem:
                raise Undeliverable(problem)
        kwargs = {"embed": embed} if view is None else {"embed": embed, "view": view}
        try:
            message = await channel.send(**kwargs)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            raise Refused.of(exc, self._where(case.guild_id, channel_id)) from exc
        async with self.bot.db.transaction():
            await self.cases.set_alert(case.id, channel_id, str(message.id))
            await self.outbox.delivered(case.id)
        return str(message.id)

    def _where(self, guild_id: str, channel_id: str) -> str:
        """Return `#name` of a channel when cached, else its id."""
        guild = self.bot.get_guild(int(guild_id))
        channel = guild.get_channel_or_thread(int(channel_id)) if guild else None
        return f"#{channel}" if channel is not None else f"channel {channel_id}"

    def _cannot_post(self, guild_id: str, channel_id: str) -> str | None:
        """Return why the bot cannot post in the alert channel, if the cache can tell."""
        guild = self.bot.get_guild(int(guild_id))
        channel = guild.get_channel_or_thread(int(channel_id)) if guild else None
        if guild is None or guild.me is None:
            return None
        if channel is None:
            return f"the alert channel {channel_id} no longer exists (`/govmod alerts channel`)"
        perms = channel.permissions_for(guild.me)
        # without View Channel Discord denies everything, without Send Messages it denies Embed Links: name the cause
        needed = (("View Channel", perms.view_channel), ("Send Messages", perms.send_messages),
                  ("Embed Links", perms.embed_links))
        missing = next(([name] for name, ok in needed[:2] if not ok), [n for n, ok in needed if not ok])
        return f"missing {', '.join(missing)} in #{channel}" if missing else None

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



def _retry_after(exc: discord.HTTPException) -> float | None:
    """Return the Retry-After Discord sent with a refusal, in seconds, if any."""
    headers = getattr(exc.response, "headers", None) or {}
    try:
        return float(headers.get("Retry-After") or 0) or None
    except (TypeError, ValueError):
        return None
