"""Admin commands: watch, thresholds, alerts, status, backfill, the context menu, and cog set-up."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
from pathlib import Path

import discord
import pytest

from bot.client import OPTIONAL_COGS, REQUIRED_COGS
from bot.storage import CaseRepo, GuildRepo, PostRepo, ReviewRepo
from tests.helpers import payloads as p
from tests.helpers.govmod_fixtures import running
from tests.helpers.interactions import context_menu, slash


@pytest.mark.parametrize("name", REQUIRED_COGS)
def test_every_cog_imports_without_a_token_or_database(name: str) -> None:
    module = importlib.import_module(name)
    assert callable(module.setup)


async def test_cogs_set_up_and_unload_cleanly(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", configured=False) as r:
        assert {"Watcher", "Review", "Admin"} <= set(r.bot.cogs)
        names = sorted(c.name for c in r.bot.govmod.commands)
        assert {"alerts", "backfill", "case", "review", "status", "threshold", "watch"} <= set(names)
        assert r.bot.tree.get_command("Check with govmod", type=discord.AppCommandType.message) is not None
        assert r.bot.govmod.default_permissions == discord.Permissions(manage_messages=True)
        for name in REQUIRED_COGS:
            await r.bot.reload_extension(name)
        assert sorted(c.name for c in r.bot.govmod.commands) == names
        await r.bot.unload_extension("cogs.admin")
        assert r.bot.tree.get_command("Check with govmod", type=discord.AppCommandType.message) is None
        assert "watch" not in {c.name for c in r.bot.govmod.commands}
        if importlib.util.find_spec(OPTIONAL_COGS[0]) is None:  # the reports cog is optional
            assert OPTIONAL_COGS[0] not in r.bot.extensions


async def test_watch_add_list_remove(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", configured=False) as r:
        forum = r.fake.channel("proposals")
        res = await slash(r.bot, "govmod watch add", member="mod", channel=forum)
        assert res.ephemeral and f"<#{forum.id}>" in (res.content or "")
        assert (await GuildRepo(r.bot.db).get(str(r.guild.id))).watched == {str(forum.id)}
        await r.fake.dispatch_thread_create(forum, "bob", "DIP-2", "idiot")
        await r.idle()
        assert await CaseRepo(r.bot.db).count() == 1  # the cached config was refreshed
        listed = await slash(r.bot, "govmod watch list", member="mod")
        assert f"<#{forum.id}>" in (listed.content or "")
        await slash(r.bot, "govmod watch remove", member="mod", channel=forum)
        assert (await GuildRepo(r.bot.db).get(str(r.guild.id))).watched == frozenset()


async def test_thresholds_alerts_and_autohide(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", configured=False) as r:
        await slash(r.bot, "govmod threshold set", member="mod", detector="toxicity", value=0.97)
        shown = await slash(r.bot, "govmod threshold show", member="mod")
        assert "0.97 (this server)" in (shown.content or "") and "Auto-hide: off" in (shown.content or "")
        await slash(r.bot, "govmod alerts channel", member="mod", channel=r.fake.channel("mod-log"))
        await slash(r.bot, "govmod alerts role", member="mod", role=r.fake.role("Delegate"))
        on = await slash(r.bot, "govmod threshold autohide", member="mod", value=0.95)
        assert "Auto-hide is on" in (on.content or "")
        config = await GuildRepo(r.bot.db).get(str(r.guild.id))
        assert config.thresholds == {"toxicity": 0.97} and config.auto_hide_threshold == 0.95
        assert config.alert_channel_id == str(r.fake.channel("mod-log").id)
        assert config.moderator_role_id == str(r.fake.role("Delegate").id)
        off = await slash(r.bot, "govmod threshold autohide", member="mod")
        assert "off" in (off.content or "")
        assert (await GuildRepo(r.bot.db).get(str(r.guild.id))).auto_hide_threshold is None


async def test_nothing_is_deleted_without_a_human_unless_the_guild_opted_in(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        await r.fake.dispatch_message("governance", "alice", "idiot")
        await r.idle()
        assert r.fake.http.calls_to("DELETE") == []
        async with r.bot.db.transaction():
            await GuildRepo(r.bot.db).update(str(r.guild.id), auto_hide_threshold=0.9)
        r.bot.service.forget(str(r.guild.id))
        msg = await r.fake.dispatch_message("governance", "bob", "idiot again")
        await r.idle()
        assert r.fake.http.calls_to("DELETE", f"/channels/{msg.channel.id}/messages/{msg.id}")
        cases = await CaseRepo(r.bot.db).list(str(r.guild.id))
        rows = await ReviewRepo(r.bot.db).audit_rows(cases[-1].id)
        assert [(x["actor_id"], x["action"]) for x in rows] == [("govmod", "auto_hide")]
        assert cases[-1].status.value == "open"  # still in front of a human
        assert "auto-hid" in r.alerts()[-1]["embeds"][0]["description"]


async def test_status_shows_models_queue_and_cases(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        await r.fake.dispatch_message("governance", "alice", "idiot")
        await r.idle()
        res = await slash(r.bot, "govmod status", member="mod")
        text = str(res.embeds[0])
        assert res.ephemeral and "fake-tox-1" in text and "0 dropped" in text
        assert "1 in the last 24 h" in text and "1 posts and" in text
        assert "Model notes" not in text  # the fake detector has nothing to say about its state

        detector = r.bot.service.pipeline.detectors[0]
        detector.status_note = lambda: "SmolLM2 stage **off**: the language model could not load"  # type: ignore
        text = str((await slash(r.bot, "govmod status", member="mod")).embeds[0])
        assert "Model notes" in text and "could not load" in text


async def test_check_with_govmod_context_menu(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg = await r.fake.dispatch_message("general", "alice", "what an idiot idea")  # unwatched channel
        res = await context_menu(r.bot, "Check with govmod", message=msg, member="mod")
        assert res.ephemeral and res.deferred
        text = str(res.embeds[0])
        assert "0.95" in text and "Toxic" in text
        assert await PostRepo(r.bot.db).verdict(str(msg.id)) is not None


async def test_backfill_scores_history_with_progress(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        chan = r.fake.channel("governance")
        alice = r.fake.member("alice")
        history = [p.message(channel_id=chan.id, guild_id=r.guild.id, author=p.from_member(alice),
                             content=text, created_at=p.now() - dt.timedelta(hours=h))
                   for h, text in ((30, "old idiot post"), (20, "fine"), (10, "also fine"))]
        r.fake.http.preload_history(chan.id, history)
        res = await slash(r.bot, "govmod backfill", member="mod", channel=chan, days=2)
        await r.idle()
        assert res.ephemeral and "Backfilling" in (res.response.content or "")  # type: ignore[union-attr]
        assert "done: 3 messages" in (res.edits[-1].content or "") and "1 case(s)" in (res.edits[-1].content or "")
        assert await CaseRepo(r.bot.db).count() == 1


async def test_backfill_of_a_forum_scores_all_its_posts_in_time_order(tmp_path: Path) -> None:
    from tests.helpers.govmod_fixtures import FakeToxicity

    seen: list[str] = []
    tox = FakeToxicity()
    score = tox.score
    tox.score = lambda posts, ctx: seen.extend(p.content for p in posts) or score(posts, ctx)  # type: ignore[method-assign]
    async with running(tmp_path / "g.db", [tox]) as r:
        alice, bob = r.fake.member("alice"), r.fake.member("bob")
        start = p.now() - dt.timedelta(hours=20)
        threads = [await r.fake.dispatch_thread_create("proposals", "bob", name, "", created_at=start)
                   for name in ("DIP-1", "DIP-2")]
        await r.idle()
        seen.clear()
        for k, thread in enumerate(threads):  # the two threads' replies interleave in time
            r.fake.http.preload_history(thread.id, [
                p.message(channel_id=thread.id, guild_id=r.guild.id, author=p.from_member((alice, bob)[k]),
                          content=f"reply at {h}h", created_at=start + dt.timedelta(hours=h))
                for h in range(1 + k, 12, 2)])
        res = await slash(r.bot, "govmod backfill", member="mod", channel=r.fake.channel("proposals"), days=2)
        await r.idle()
        assert "done: 11 messages" in (res.edits[-1].content or "")
        assert seen == [f"reply at {h}h" for h in range(1, 12)], seen  # one timeline, not thread after thread
