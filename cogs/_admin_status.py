"""The delivery part of `/govmod status`: pending alerts and why, command sync, gateway, models (issue 14)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.storage import OutboxRepo

if TYPE_CHECKING:
    from bot.client import GovmodBot

MAX_REASONS = 3


async def delivery_lines(bot: GovmodBot, guild_id: str) -> list[tuple[str, str]]:
    """Return (field name, text) pairs: alerts waiting and why, plus anything keeping govmod from Discord."""
    summary = await OutboxRepo(bot.db, clock=bot.clock).summary(guild_id)
    if summary.pending:
        reasons = "\n".join(f"{n} × {why}" for why, n in summary.reasons[:MAX_REASONS])
        more = len(summary.reasons) - MAX_REASONS
        alerts = f"**{summary.pending} pending** (retried with backoff)\n{reasons}" + (
            f"\n… and {more} other reason(s)" if more > 0 else "")
    else:
        alerts = "all delivered"
    lines = [("Alerts", alerts[:1024])]
    problems = []
    ready = getattr(bot.service, "models_ready", True)
    if not ready:
        problem = getattr(bot.service, "problem", None)
        problems.append(f"models: {problem}" if problem else "models still loading: posts are queued, not lost")
    if bot.sync_problem:
        problems.append(f"slash-command sync failed: {bot.sync_problem} (`govmod sync-commands` retries)")
    if bot.gateway_errors:
        skipped = ", ".join(f"{n} {event}" for event, n in bot.gateway_errors.most_common(3))
        problems.append(f"malformed gateway events skipped: {skipped} (see the log)")
    if problems:
        lines.append(("Problems", "\n".join(problems)[:1024]))
    return lines
