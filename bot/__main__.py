"""Start the bot: load settings, open the database, connect while the models load, run until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import aiohttp
import discord

from bot.pipeline import Pipeline
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.client import GovmodBot
    from bot.startup import DeferredService

log = logging.getLogger(__name__)

TOKEN_HELP = (
    "Create a bot at https://discord.com/developers/applications (your application -> Bot -> Reset Token), "
    "then put it in .env as GOVMOD_DISCORD__TOKEN=... (the token only, without 'Bot '). "
    "See the README, section Going live."
)
INTENTS_HELP = (
    "Discord refused the privileged gateway intents govmod needs. Open "
    "https://discord.com/developers/applications -> your application -> Bot -> Privileged Gateway Intents, "
    "switch on SERVER MEMBERS INTENT and MESSAGE CONTENT INTENT, save, and start govmod again."
)


def token_problem(settings: Settings) -> str | None:
    """Return why the configured token cannot work, or None if it looks usable."""
    token = settings.discord.token.get_secret_value().strip() if settings.discord.token else ""
    if not token:
        return "no Discord bot token is configured (GOVMOD_DISCORD__TOKEN is empty)."
    if token.lower().startswith("bot ") or " " in token:
        return "the Discord token contains spaces; put only the token itself in GOVMOD_DISCORD__TOKEN."
    if token.count(".") != 2:
        return "GOVMOD_DISCORD__TOKEN does not look like a bot token (expected three dot-separated parts)."
    return None


async def run_bot(settings: Settings, pipeline: Pipeline | None = None,
                  load: Callable[[], Pipeline] | None = None) -> int:
    """Open the database, build the bot and run it until SIGINT/SIGTERM or a fatal error.

    With `pipeline` the models are already loaded; with `load` they load in a worker thread while the
    bot connects, and posts that arrive meanwhile wait in the live queue.
    """
    from bot.client import GovmodBot
    from bot.live import LiveScorer, freeze_heap
    from bot.service import ScanService
    from bot.startup import DeferredService
    from bot.storage import Database

    db = await Database.open(settings.database.path)
    defaults = settings.threshold_overrides()
    service = ScanService(pipeline, db, defaults=defaults) if pipeline is not None else DeferredService(db, defaults)
    live = LiveScorer(service, queue_max=settings.pipeline.queue_max, batch_max=settings.pipeline.batch_max,
                      batch_wait_ms=settings.pipeline.batch_wait_ms)
    bot = GovmodBot(settings=settings, db=db, service=service, live=live)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not the main thread
            loop.add_signal_handler(sig, lambda s=sig: _on_signal(bot, s))
    token = _token(settings)
    if isinstance(service, DeferredService):
        loading = _load_while_connecting(bot, service, load or (lambda: _load(settings)))
    else:
        loading = None
        freeze_heap()  # models are loaded: keep full GC passes from stalling the gateway
    try:
        async with bot:
            await bot.start(token)
    except discord.LoginFailure:
        print(f"govmod: Discord rejected the bot token. {TOKEN_HELP}", file=sys.stderr)
        return 1
    except discord.PrivilegedIntentsRequired:
        print(f"govmod: {INTENTS_HELP}", file=sys.stderr)
        return 1
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:  # DNS failure, refused, unreachable, timed out
        print(f"govmod: cannot reach Discord (network or DNS): {_one_line(exc)}. Check this machine's internet "
              "connection and DNS, then start govmod again (a service unit restarts it for you).", file=sys.stderr)
        return 3
    finally:
        await live.stop()
        if loading is not None and not loading.done():
            loading.cancel()
        await db.close()
        stats = live.stats()
        log.info("stopped: %d posts scored, %d dropped, %d failed", stats.scored, stats.dropped, stats.failed)
    if isinstance(service, DeferredService) and service.problem:
        print(f"govmod: {service.problem}", file=sys.stderr)
        return 1
    return 0


def _one_line(exc: BaseException) -> str:
    """Return an exception as one short line (aiohttp's messages span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _token(settings: Settings) -> str:
    return settings.discord.token.get_secret_value().strip() if settings.discord.token else ""


def _load_while_connecting(bot: GovmodBot, service: DeferredService,
                           load: Callable[[], Pipeline]) -> asyncio.Task[Pipeline | None]:
    """Load the models in a worker thread; when in, mark the time and freeze the heap; on failure, stop."""
    from bot.live import freeze_heap
    from bot.startup import load_in_background

    def models_in() -> None:
        bot.mark("models_ready")
        freeze_heap()  # keep full GC passes from stalling the gateway

    loading = asyncio.create_task(load_in_background(service, load, models_in), name="govmod-model-load")
    loading.add_done_callback(lambda t: t.cancelled() or t.result() is not None or _on_model_failure(bot))
    return loading


def _load(settings: Settings) -> Pipeline:
    from bot.loader import load_pipeline

    return load_pipeline(settings)


def _on_model_failure(bot: discord.Client) -> None:
    log.error("stopping: govmod cannot score without its models")
    if not bot.is_closed():
        asyncio.get_running_loop().create_task(bot.close())


def _on_signal(bot: discord.Client, sig: signal.Signals) -> None:
    log.info("received %s: scoring what is queued, then shutting down", sig.name)
    if not bot.is_closed():
        asyncio.get_running_loop().create_task(bot.close())


async def sync_commands_once(settings: Settings, *, force: bool = True) -> int:
    """Log in over REST only (no gateway, no models), sync the slash commands, print what happened."""
    from bot.client import GovmodBot, one_line
    from bot.live import LiveScorer
    from bot.service import ScanService
    from bot.storage import Database

    db = await Database.open(settings.database.path)
    service = ScanService(Pipeline(None, []), db, defaults=settings.threshold_overrides())
    bot = GovmodBot(settings=settings, db=db, service=service, live=LiveScorer(service), sync_commands=False)
    token = _token(settings)
    try:
        async with bot:
            await bot.login(token)  # runs setup_hook: the cogs add their commands to the tree
            print(await bot.sync_commands(force=force))
    except discord.LoginFailure:
        print(f"govmod: Discord rejected the bot token. {TOKEN_HELP}", file=sys.stderr)
        return 1
    except (discord.HTTPException, discord.app_commands.AppCommandError) as exc:
        print(f"govmod sync-commands: Discord refused the sync: {one_line(exc)}", file=sys.stderr)
        return 1
    finally:
        await bot.live.stop()
        await db.close()
    return 0


def sync_main(force: bool = True) -> int:
    """Run `govmod sync-commands`: check the token, then sync once and exit."""
    from bot.storage import StorageError

    settings = Settings()
    problem = token_problem(settings)
    if problem:
        print(f"govmod: {problem} {TOKEN_HELP}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(sync_commands_once(settings, force=force))
    except StorageError as exc:
        print(f"govmod: {exc}", file=sys.stderr)
        return 1


def main() -> int:
    """Run `govmod run`: check the token, then connect while the models load once in a worker thread."""
    from bot.loader import ModelLoadError, load_pipeline
    from bot.storage import StorageError

    settings = Settings()
    logging.getLogger().setLevel(settings.log_level.upper())
    if not logging.getLogger().handlers:
        logging.basicConfig(level=settings.log_level.upper(),
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    problem = token_problem(settings)
    if problem:
        print(f"govmod: {problem} {TOKEN_HELP}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(run_bot(settings, load=lambda: load_pipeline(settings)))
    except (ModelLoadError, StorageError) as exc:
        print(f"govmod: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
