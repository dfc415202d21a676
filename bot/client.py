"""GovmodBot: the discord.py Bot subclass that holds the services built in `bot.__main__`."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import discord
from discord import app_commands
from discord.ext import commands

from bot.clock import Clock
from bot.live import LiveScorer
from bot.service import ScanService
from bot.settings import Settings
from bot.storage import Database

log = logging.getLogger(__name__)

REQUIRED_COGS = ("cogs.watcher", "cogs.review", "cogs.admin", "cogs.maintenance")
OPTIONAL_COGS = ("cogs.reports", "cogs.threats")  # written separately; loaded when importable


def govmod_intents() -> discord.Intents:
    """Return the gateway intents govmod needs (message content and members are privileged)."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    intents.members = True
    intents.guild_reactions = True
    return intents


class GovmodBot(commands.Bot):
    """The bot: services are passed in, cogs add their commands under `/govmod`."""

    def __init__(
        self, *, settings: Settings, db: Database, service: ScanService, live: LiveScorer,
        cogs: Sequence[str] = REQUIRED_COGS, optional_cogs: Sequence[str] = OPTIONAL_COGS,
        sync_commands: bool = True, clock: Clock | None = None, **options: object,
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
        self.cog_names = tuple(cogs)
        self.optional_cog_names = tuple(optional_cogs)
        self.sync_on_start = sync_commands
        self.govmod = app_commands.Group(
            name="govmod", description="Governance moderation: cases, watched channels, thresholds",
            default_permissions=discord.Permissions(manage_messages=True), guild_only=True,
        )
        self.tree.add_command(self.govmod)

    async def setup_hook(self) -> None:
        """Load the cogs (the review cog registers the persistent buttons), start scoring, sync commands."""
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
        if self.sync_on_start:
            await self.sync_commands()

    async def sync_commands(self) -> list[app_commands.AppCommand]:
        """Sync slash commands to the development guild if configured (instant), else globally (slow)."""
        guild_id = self.settings.discord.dev_guild_id
        if guild_id:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to development guild %s", len(synced), guild_id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (may take up to an hour to appear)", len(synced))
        return synced

    async def on_ready(self) -> None:
        """Log who we are and where."""
        log.info("logged in as %s in %d guilds", self.user, len(self.guilds))

    async def close(self) -> None:
        """Score and store what is queued, then disconnect (the database is closed by `bot.__main__`)."""
        await self.live.stop()
        await super().close()
