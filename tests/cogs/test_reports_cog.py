"""Reports cog on the fake gateway: weekly posting with a controlled clock, restarts, retries, /govmod report."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import discord

from bot.domain import Post, Verdict
from bot.reporting import last_sent_week
from bot.storage import PostRepo
from cogs.reports import Reports, fit
from tests.helpers import default_guild, slash
from tests.helpers.clock import FakeClock
from tests.helpers.govmod_fixtures import Running, running

SLOT = datetime(2026, 11, 23, 9, tzinfo=UTC)  # Monday 09:00 UTC of 2026-W48: the 2026-W47 report is due
PNG = b"\x89PNG\r\n\x1a\n"


@asynccontextmanager
async def bot_with_reports(db_path: Path, guild: dict[str, Any], clock: FakeClock, out: Path) -> AsyncIterator[
        tuple[Running, Reports]]:
    """Start govmod (a fresh process, as far as the bot knows) with the reports cog on a fake clock."""
    async with running(db_path, guild_payload=copy.deepcopy(guild), clock=clock) as r:
        cog = cast(Reports, r.bot.get_cog("Reports"))  # load_extension imports its own copy of the module
        assert cog is not None and type(cog).__name__ == "Reports"
        cog.weekly.cancel()  # the test ticks by hand (the bot was built on `clock` before the loop started)
        r.bot.settings = r.bot.settings.model_copy(update={"reports": r.bot.settings.reports.model_copy(
            update={"out_dir": out, "weekday": 0, "hour": 9})})
        yield r, cog


async def seed_week(r: Running) -> None:
    """Store two posts of 2026-W47, one flagged, in the running guild."""
    repo, g = PostRepo(r.bot.db), str(r.guild.id)
    for i, flags in enumerate(((), ("toxicity",))):
        when = datetime(2026, 11, 17, 10 + i, tzinfo=UTC)
        await repo.save(Post(id=f"p{i}", guild_id=g, channel_id=str(r.fake.channel("governance").id),
                             author_id="4242", author_name="alice", content="you idiot @everyone", created_at=when))
        await repo.save_verdict(Verdict(post_id=f"p{i}", guild_id=g, scores={"toxicity": 0.9 if flags else 0.1},
                                        flags=flags, evidence={}, model_versions={}, scored_at=when))


def reports_in(r: Running, channel: str) -> list[Any]:
    """Return the POST calls that put a message in a channel."""
    return r.fake.http.calls_to("POST", f"/channels/{r.fake.channel(channel).id}/messages")


async def test_weekly_report_once_per_week_across_restarts(tmp_path: Path) -> None:
    guild, clock, db = default_guild(), FakeClock(datetime(2026, 11, 23, 8, 59, tzinfo=UTC)), tmp_path / "g.db"
    async with bot_with_reports(db, guild, clock, tmp_path / "out") as (r, cog):
        await seed_week(r)
        res = await slash(r.bot, "govmod report channel", channel=r.fake.channel("mod-log"), member="mod")
        assert res.ephemeral and res.content == f"Weekly reports go to {r.fake.channel('mod-log').mention}."
        assert await cog.send_due() == []  # a minute early
        clock.now = SLOT
        assert await cog.send_due() == [(str(r.guild.id), "2026-W47")]
        clock.now = SLOT.replace(minute=5)
        assert await cog.send_due() == []  # the next check: already sent
        (call,) = reports_in(r, "mod-log")
        embed = call.json["embeds"][0]
        assert embed["title"] == "Governance manipulation report, 2026-W47"
        fields = {f["name"]: f["value"] for f in embed["fields"]}
        assert fields["Posts scored"].startswith("2 ") and fields["Flagged posts"].startswith("1 ")
        names = [name for name, _ in call.files]
        assert names == ["report-2026-W47.md", "report-2026-W47-flags-per-day.png",
                         "report-2026-W47-campaign-timeline.png", "report-2026-W47-precision-by-week.png",
                         "report-2026-W47.html"]
        assert embed["image"]["url"] == "attachment://report-2026-W47-flags-per-day.png"
        assert all(raw.startswith(PNG) for name, raw in call.files if name.endswith(".png"))
        md = dict(call.files)["report-2026-W47.md"].decode()
        assert "4242" in md and "alice" not in md and "@everyone" not in md  # ids only by default
    clock.now = SLOT.replace(hour=15)  # restarted the same day: nothing in memory, the database remembers
    async with bot_with_reports(db, guild, clock, tmp_path / "out") as (r, cog):
        assert await cog.send_due() == [] and reports_in(r, "mod-log") == []
        clock.now = datetime(2026, 11, 30, 9, tzinfo=UTC)
        assert await cog.send_due() == [(str(r.guild.id), "2026-W48")]
        assert await cog.send_due() == []
        assert len(reports_in(r, "mod-log")) == 1


async def test_failed_post_is_retried_not_lost(tmp_path: Path) -> None:
    clock = FakeClock(SLOT)
    async with bot_with_reports(tmp_path / "g.db", default_guild(), clock, tmp_path / "out") as (r, cog):
        await slash(r.bot, "govmod report channel", channel=r.fake.channel("mod-log"), member="mod")
        path = f"/channels/{r.fake.channel('mod-log').id}/messages"
        r.fake.http.fail("POST", path, 403)
        assert await cog.send_due() == []  # Discord refused: logged, and the claim on the week released
        assert await last_sent_week(r.bot.db, str(r.guild.id)) is None
        r.fake.http._overrides.clear()  # Discord accepts again
        clock.now = SLOT.replace(minute=5)
        assert await cog.send_due() == [(str(r.guild.id), "2026-W47")]


async def test_names_shown_only_when_moderators_allow(tmp_path: Path) -> None:
    async with bot_with_reports(tmp_path / "g.db", default_guild(), FakeClock(SLOT), tmp_path / "out") as (r, cog):
        await seed_week(r)
        await slash(r.bot, "govmod report channel", channel=r.fake.channel("mod-log"), member="mod")
        res = await slash(r.bot, "govmod report names", show=True, member="mod")
        assert res.content == "Reports show account names and ids."
        await cog.send_due()
        (call,) = reports_in(r, "mod-log")
        assert "alice (4242)" in dict(call.files)["report-2026-W47.md"].decode()


async def test_report_now_posts_in_report_channel_or_privately(tmp_path: Path) -> None:
    async with bot_with_reports(tmp_path / "g.db", default_guild(), FakeClock(SLOT), tmp_path / "out") as (r, cog):
        await seed_week(r)
        res = await slash(r.bot, "govmod report now", week="last", member="mod")
        assert res.deferred and res.ephemeral
        (reply,) = res.followups
        assert reply.ephemeral and "No report channel is set" in (reply.content or "")
        assert reply.embeds[0]["title"] == "Governance manipulation report, 2026-W47"
        assert len(reply.files) == 5
        await slash(r.bot, "govmod report channel", channel=r.fake.channel("mod-log"), member="mod")
        res = await slash(r.bot, "govmod report now", member="mod")
        assert "Posted the 2026-W48 report" in (res.content or "")
        (call,) = reports_in(r, "mod-log")
        assert call.json["embeds"][0]["title"].endswith("2026-W48 (so far)")
        bad = await slash(r.bot, "govmod report now", week="2026-47", member="mod")
        assert bad.ephemeral and "not an ISO week" in (bad.content or "")
        assert await cog.send_due() == [(str(r.guild.id), "2026-W47")]  # on-demand posts leave the schedule alone


async def test_unload_removes_the_command_group(tmp_path: Path) -> None:
    async with bot_with_reports(tmp_path / "g.db", default_guild(), FakeClock(SLOT), tmp_path / "out") as (r, _):
        assert r.bot.govmod.get_command("report") is not None
        await r.bot.unload_extension("cogs.reports")
        assert r.bot.govmod.get_command("report") is None


def test_fit_points_to_the_attachment() -> None:
    assert fit("short", 1024) == "short"
    cut = fit("x" * 5000, 1024)
    assert len(cut) == 1024 and cut.endswith("(see the attached report)")
    assert isinstance(discord.Embed(description=cut), discord.Embed)
