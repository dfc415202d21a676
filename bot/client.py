"""GovmodBot: the discord.py Bot subclass that holds the services built in `bot.__main__`."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock
from bot.live import LiveScorer
from bot.service import ScanService
from bot.settings import Settings
from bot.storage import BotStateRepo, Database, StorageError

log = logging.getLogger(__name__)

REQUIRED_COGS = ("cogs.watcher", "cogs.review", "cogs.admin", "cogs.maintenance", "cogs.ops")
OPTIONAL_COGS = ("cogs.reports", "cogs.threats")  # written separately; loaded when importable


SYNC_RETRY_S = (60.0, 600.0, 3600.0)  # after a failed start-up sync


def govmod_intents() -> discord.Intents:
    """Return the gateway intents govmod needs (message content and members are privileged)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    intents.members = True
    intents.guild_reactions = True
    return intents


def command_payload_hash(tree: app_commands.CommandTree[Any], guild: discord.abc.Snowflake | None) -> str:
    """Return a SHA-256 of the command payload `tree.sync(guild=...)` would send (order-independent)."""
    payload = sorted((c.to_dict(tree) for c in tree.get_commands(guild=guild)),
                     key=lambda c: (c.get("type", 1), c["name"]))
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def one_line(exc: BaseException) -> str:
    """Return an exception as one short line for an operator's log (HTTP status and Discord's code first)."""
    if isinstance(exc, discord.HTTPException) and not isinstance(exc, app_commands.CommandSyncFailure):
        code = f" (code {exc.code})" if exc.code else ""
        text = " ".join((exc.text or getattr(exc.response, "reason", "") or "").split())
        return f"HTTP {exc.status}{code}: {text}"[:300]
    text = " ".join(str(exc).split()) or type(exc).__name__  # CommandSyncFailure names status, code, commands
    return text[:300]


class GovmodBot(commands.Bot):
    """The bot: services are passed in, cogs add their commands under `/govmod`."""

    def __init__(
        self, *, settings: Settings, db: Database, service: ScanService, live: LiveScorer,
        cogs: Sequence[str] = REQUIRED_COGS, optional_cogs: Sequence[str] = OPTIONAL_COGS,
        sync_commands: bool = True, sync_retry_s: Sequence[float] = SYNC_RETRY_S, clock: Clock | None = None,
        **options: object,
    ) -> None:
        """Keep the already-built services; nothing connects until `start`.

        `clock` is the bot's only source of the current time (default: the database's clock), so cogs,
        retention and reports can be driven by a test clock.
        """
        super().__init__(
            command_prefix=commands.when_mentioned, intents=govmod_intents(), help_command=None,
            allowed_mentions=discord.AllowedMentions.none(), **options,  # type: ignore[arg-type]
        )
        self.settings = settings
        self.db = db
        self.service = service
        self.live = live
        self.clock: Clock = clock or db.clock
        self.started_at = self.clock()
        self.startup: dict[str, float] = {}  # seconds since construction: setup_done, ready, models_ready
        self._t0 = time.perf_counter()
        self.cog_names = tuple(cogs)
        self.optional_cog_names = tuple(optional_cogs)
        self.sync_on_start = sync_commands
        self.sync_retry_s = tuple(sync_retry_s)
        self.sync_problem: str | None = None  # why the last command sync failed, for /govmod status
        self.sync_task: asyncio.Task[None] | None = None
        self.gateway_errors: Counter[str] = Counter()  # malformed gateway events skipped, by event name
        guard_parsers(self._connection.parsers, self.gateway_errors)
        self.govmod = app_commands.Group(
            name="govmod", description="Governance moderation: cases, watched channels, thresholds",
            default_permissions=discord.Permissions(manage_messages=True), guild_only=True,
        )
        self.tree.add_command(self.govmod)

    def mark(self, stage: str) -> None:
        """Record when a start-up stage was reached (seconds since the bot was built), once."""
        self.startup.setdefault(stage, round(time.perf_counter() - self._t0, 3))

    async def setup_hook(self) -> None:
        """Load the cogs (the review cog registers the persistent buttons), start scoring, sync in the background."""
        for name in self.cog_names:
            await self.load_extension(name)
        for name in self.optional_cog_names:
            try:
                await self.load_extension(name)
            except commands.ExtensionNotFound:
                log.info("optional extension %s is not installed; skipped", name)
            except commands.ExtensionError:
                log.exception("optional extension %s failed to load; continuing without it", name)
        self.live.start()
        if self.sync_on_start:  # never blocks connecting: Discord may refuse or rate-limit it
            self.sync_task = asyncio.create_task(self._sync_in_background(), name="govmod-command-sync")
        self.mark("setup_done")

    def _sync_target(self) -> tuple[discord.Object | None, str]:
        guild_id = self.settings.discord.dev_guild_id
        return (discord.Object(id=guild_id), f"guild {guild_id}") if guild_id else (None, "global")

    async def sync_commands(self, *, force: bool = False) -> str:
        """Sync slash commands if they changed since the last successful sync (or if forced); say what happened.

        Goes to the development guild if one is configured (instant), else globally (slow). Raises
        discord.HTTPException / app_commands.AppCommandError when Discord refuses the sync.
        """
        guild, scope = self._sync_target()
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        digest = command_payload_hash(self.tree, guild)
        key = f"command_sync:{self.application_id}:{scope}"
        state = BotStateRepo(self.db)
        if not force and await state.get(key) == digest:
            log.info("slash commands unchanged since the last sync (%s); not syncing", scope)
            return f"Slash commands unchanged since the last sync ({scope}); nothing sent."
        synced = await self.tree.sync(guild=guild)
        async with self.db.transaction():
            await state.set(key, digest)
        self.sync_problem = None
        if guild is not None:
            log.info("synced %d commands to development guild %s", len(synced), guild.id)
            return f"Synced {len(synced)} commands to development guild {guild.id}."
        log.info("synced %d global commands (may take up to an hour to appear)", len(synced))
        return f"Synced {len(synced)} global commands (they may take up to an hour to appear everywhere)."

    async def _sync_in_background(self) -> None:
        """Sync at start-up; on failure log one line, keep running, and retry after each delay."""
        delays = (*self.sync_retry_s, None)
        for attempt, delay in enumerate(delays, 1):
            try:
                await self.sync_commands()
                return
            except (discord.HTTPException, app_commands.AppCommandError, StorageError) as exc:
                self.sync_problem = one_line(exc)
            then = (f"retrying in {delay:.0f} s" if delay is not None
                    else "giving up until the next start or `govmod sync-commands`")
            log.warning("slash-command sync failed (attempt %d): %s; govmod keeps running and scoring; %s",
                        attempt, self.sync_problem, then)
            if delay is None:
                return
            await asyncio.sleep(delay)

    async def on_ready(self) -> None:
        """Log who we are and where."""
        self.mark("ready")
        log.info("logged in as %s in %d guilds (%.1f s after start)", self.user, len(self.guilds),
                 self.startup["ready"])

    async def close(self) -> None:
        """Score and store what is queued, then disconnect (the database is closed by `bot.__main__`)."""
        if self.sync_task is not None and not self.sync_task.done():
            self.sync_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.sync_task
        await self.live.stop()
        await super().close()


def guard_parsers(parsers: dict[str, Callable[[Any], None]], errors: Counter[str]) -> None:
    """Wrap discord.py's gateway event parsers so one malformed event is logged and skipped.

    `DiscordWebSocket.received_message` calls `ConnectionState.parsers[event](data)` with nothing around
    it; an exception there leaves the connection loop and ends the process. Wrapping the dict in place
    (the websocket holds the same dict) keeps the connection: the event is dropped, the next one parsed.
    """
    for event, parser in list(parsers.items()):
        parsers[event] = _guarded(event, parser, errors)


def _guarded(event: str, parser: Callable[[Any], None], errors: Counter[str]) -> Callable[[Any], None]:
    def parse(data: Any) -> None:
        try:
            parser(data)
        except Exception as exc:
            errors[event] += 1
            keys = sorted(data)[:12] if isinstance(data, dict) else type(data).__name__
            log.error("skipped a malformed %s gateway event (%s: %s; payload keys %s); the connection continues",
                      event, type(exc).__name__, exc, keys)
            log.debug("traceback of the skipped %s event", event, exc_info=True)

    parse.__wrapped__ = parser  # type: ignore[attr-defined]
    return parse
