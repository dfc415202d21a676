"""Start the bot: load settings, open the database, load the models, then run GovmodBot until a signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys

import aiohttp
import discord

from bot.settings import Settings

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


async def run_bot(settings: Settings, pipeline: object) -> int:
    """Open the database, build the services and the bot, and run until SIGINT/SIGTERM or a fatal error."""
    from bot.client import GovmodBot
    from bot.live import LiveScorer, freeze_heap
    from bot.service import ScanService
    from bot.storage import Database

    db = await Database.open(settings.database.path)
    service = ScanService(pipeline, db, defaults=settings.threshold_overrides())  # type: ignore[arg-type]
    live = LiveScorer(service, queue_max=settings.pipeline.queue_max, batch_max=settings.pipeline.batch_max,
                      batch_wait_ms=settings.pipeline.batch_wait_ms)
    bot = GovmodBot(settings=settings, db=db, service=service, live=live)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not on Windows / not the main thread
            loop.add_signal_handler(sig, lambda s=sig: _on_signal(bot, s))
    token = settings.discord.token.get_secret_value().strip() if settings.discord.token else ""
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
        await db.close()
        stats = live.stats()
        log.info("stopped: %d posts scored, %d dropped, %d failed", stats.scored, stats.dropped, stats.failed)
    return 0


def _one_line(exc: BaseException) -> str:
    """Return an exception as one short line (aiohttp's messages span several)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def _on_signal(bot: discord.Client, sig: signal.Signals) -> None:
    log.info("received %s: scoring what is queued, then shutting down", sig.name)
    if not bot.is_closed():
        asyncio.get_running_loop().create_task(bot.close())


def main() -> int:
    """Run `govmod run`: check the token, load the models once, then run the bot."""
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
        pipeline = load_pipeline(settings)
        return asyncio.run(run_bot(settings, pipeline))
    except (ModelLoadError, StorageError) as exc:
        print(f"govmod: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
