"""Issue 14 acceptance on the fake gateway: sync refused, alerts refused then retried, restarts, bad events."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket

from bot.domain import DetectorOutput, Post
from bot.pipeline import BatchContext
from bot.storage import CaseRepo, Database, OutboxRepo
from tests.helpers import FakeDiscord, default_guild
from tests.helpers import payloads as p
from tests.helpers.clock import FakeClock
from tests.helpers.govmod_fixtures import FakeCoordination, FakeToxicity, configure, make_bot, running
from tests.helpers.http import Call, http_error
from tests.helpers.interactions import slash


def echo_commands(call: Call) -> list[dict[str, Any]]:
    """Answer a command sync like Discord (context menus come back with description "")."""
    return [{"description": "", **cmd, "id": str(i + 1), "application_id": call.args["application_id"],
             "version": "1"} for i, cmd in enumerate(call.json or [])]


async def wait_for(condition: Any, tries: int = 200) -> None:
    for _ in range(tries):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never became true")


async def test_a_refused_command_sync_logs_one_line_and_the_bot_still_connects_and_scores(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = await Database.open(tmp_path / "g.db")
    bot = make_bot(db)
    bot.sync_on_start, bot.sync_retry_s = True, (3600.0,)
    fake = FakeDiscord(bot)
    fake.http.respond("PUT", "/applications/{app}/commands", http_error(400, "Invalid Form Body", 50035))
    caplog.set_level(logging.INFO, logger="bot.client")
    try:
        await fake.start()  # setup_hook returns although the sync is refused
        await wait_for(lambda: bot.sync_problem is not None)
        guild = await fake.add_guild()
        await configure(db, guild)
        bot.service.forget(str(guild.id))
        await fake.dispatch_message("governance", "alice", "you are an idiot")
        await fake.settle()
        await bot.live.flush(5)
        await fake.settle()
        (case,) = await CaseRepo(db).list(str(guild.id))
        assert case.alert_message_id is not None  # scored, case opened, alert posted
        lines = [r for r in caplog.records if r.name == "bot.client" and "sync" in r.getMessage()]
        assert len(lines) == 1 and lines[0].levelno == logging.WARNING and lines[0].exc_info is None
        text = lines[0].getMessage()
        assert "HTTP status 400" in text and "keeps running and scoring" in text and "retrying in 3600 s" in text
        assert bot.sync_task is not None and not bot.sync_task.done()  # waiting to retry, not dead
        status = await slash(bot, "govmod status", member="mod")
        problems = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Problems"]
        assert "slash-command sync failed: Failed to upload commands to Discord (HTTP status 400" in problems
    finally:
        await fake.close()
        await db.close()


async def test_commands_are_synced_only_when_the_tree_changed_also_across_restarts(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        r.fake.http.respond("PUT", "/applications/{app}/commands", echo_commands)
        assert (await r.bot.sync_commands()).startswith("Synced")
        assert "unchanged" in await r.bot.sync_commands()
        assert len(r.fake.http.calls_to("PUT", "/applications/{app}/commands")) == 1
    async with running(tmp_path / "g.db") as r:  # a restart with the same commands: no request at all
        r.fake.http.respond("PUT", "/applications/{app}/commands", echo_commands)
        assert "unchanged" in await r.bot.sync_commands()
        await r.bot.unload_extension("cogs.ops")  # the tree changed
        assert (await r.bot.sync_commands()).startswith("Synced")
        assert (await r.bot.sync_commands(force=True)).startswith("Synced")
        assert len(r.fake.http.calls_to("PUT", "/applications/{app}/commands")) == 2


async def test_govmod_sync_is_for_the_application_owner_only(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        r.fake.http.respond("PUT", "/applications/{app}/commands", echo_commands)
        r.bot.owner_id = r.fake.member("owner").id
        refused = await slash(r.bot, "govmod sync", member="mod")
        assert "Only the owner" in (refused.content or "") and not r.fake.http.calls_to("PUT")
        done = await slash(r.bot, "govmod sync", member="owner")
        assert "Synced" in (done.last.content or "") and done.ephemeral
        r.fake.http.fail("PUT", "/applications/{app}/commands", 400, "Invalid Form Body")
        failed = await slash(r.bot, "govmod sync", member="owner", force=True)
        assert "Discord refused the sync: HTTP 400" in (failed.last.content or "")


async def test_an_alert_refused_with_403_is_posted_on_retry_and_the_case_records_it(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running(tmp_path / "g.db", clock=clock) as r:
        posts: list[Call] = []

        def refuse_once(call: Call) -> dict[str, Any]:
            posts.append(call)
            if len(posts) == 1:
                raise http_error(403, "Missing Permissions", 50013)
            return r.fake.http.new_message(int(call.args["channel_id"]), call.json, call.files)

        r.fake.http.respond("POST", f"/channels/{r.alert_channel.id}/messages", refuse_once)
        await r.fake.dispatch_message("governance", "alice", "you are an idiot")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.alert_message_id is None and len(posts) == 1
        (pending,) = await OutboxRepo(r.bot.db, clock=clock).pending(str(r.guild.id))
        assert pending.attempts == 1 and "Missing Permissions" in (pending.last_error or "")
        assert "#mod-log" in (pending.last_error or "")
        status = await slash(r.bot, "govmod status", member="mod")
        fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
        assert "1 pending" in fields["Alerts"] and "Missing Permissions in #mod-log" in fields["Alerts"]

        poster = r.bot.get_cog("Review").alerts  # type: ignore[union-attr]
        assert await poster.retry_due() == 0 and len(posts) == 1  # backing off: not due yet
        clock.advance(seconds=31)
        assert await poster.retry_due() == 1 and len(posts) == 2
        stored = await CaseRepo(r.bot.db).get(case.id)
        assert stored is not None and stored.alert_message_id == posts[1].result["id"]
        assert await OutboxRepo(r.bot.db, clock=clock).pending(str(r.guild.id)) == []
        status = await slash(r.bot, "govmod status", member="mod")
        assert {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Alerts"] == "all delivered"


async def test_missing_send_messages_is_named_and_fixing_the_permission_posts_the_alert(tmp_path: Path) -> None:
    gid = p.snowflake()
    deny = {"id": str(gid), "type": 0, "allow": "0", "deny": str(discord.Permissions(send_messages=True).value)}
    mod_log = p.text_channel("mod-log", position=2, overwrites=[deny])
    channels = [p.text_channel("general", position=0), p.text_channel("governance", position=1), mod_log,
                p.forum_channel("proposals", position=3)]
    async with running(tmp_path / "g.db", guild_payload=default_guild(id=gid, channels=channels)) as r:
        await r.fake.dispatch_message("governance", "alice", "you are an idiot")
        await r.idle()
        assert r.alerts() == []  # known from the cache: no request Discord would refuse
        (pending,) = await OutboxRepo(r.bot.db).pending(str(r.guild.id))
        assert pending.last_error == "missing Send Messages in #mod-log"
        await r.fake.dispatch("CHANNEL_UPDATE", {**mod_log, "guild_id": str(gid), "permission_overwrites": []})
        await r.idle()
        (alert,) = r.alerts()  # the fix was noticed at once, not after the backoff
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.alert_message_id is not None and f"Case #{case.id}" in alert["embeds"][0]["title"]


async def test_a_restart_posts_the_alert_of_a_case_that_has_none(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        r.fake.http.fail("POST", f"/channels/{r.alert_channel.id}/messages", 503, "Service Unavailable")
        await r.fake.dispatch_message("governance", "alice", "you are an idiot")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.alert_message_id is None
        (pending,) = await OutboxRepo(r.bot.db).pending()
        assert "Discord is having trouble" in (pending.last_error or "")
    async with running(tmp_path / "g.db") as r:  # the new process: READY retries what is pending
        stored = await CaseRepo(r.bot.db).get(case.id)
        assert stored is not None and stored.alert_message_id is not None
        (alert,) = r.fake.http.sent_messages()
        assert f"Case #{case.id}" in alert["embeds"][0]["title"]
        assert await OutboxRepo(r.bot.db).pending() == []


async def test_a_gateway_event_with_an_unexpected_shape_is_skipped_and_the_next_is_processed(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async with running(tmp_path / "g.db") as r:
        ws = DiscordWebSocket(None, loop=asyncio.get_running_loop())  # type: ignore[arg-type]
        ws._discord_parsers = r.bot._connection.parsers  # what DiscordWebSocket.from_client wires
        ws._dispatch, ws.shard_id = r.bot.dispatch, None
        channel = r.fake.channel("governance")
        good = p.message(channel_id=channel.id, guild_id=r.guild.id, author=p.from_member(r.fake.member("alice")),
                         content="you are an idiot")
        bad = {**good, "id": str(p.snowflake())}
        del bad["author"]  # a shape discord.py's Message() does not expect
        r.fake.http.remember(good)
        for seq, data in ((1, bad), (2, good)):
            await ws.received_message(json.dumps({"op": 0, "t": "MESSAGE_CREATE", "s": seq, "d": data}))
        await r.idle()
        assert ws.sequence == 2 and r.bot.gateway_errors["MESSAGE_CREATE"] == 1
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.post_ids == (good["id"],)
        skipped = [rec for rec in caplog.records if "skipped a malformed MESSAGE_CREATE" in rec.getMessage()]
        assert len(skipped) == 1 and "'author'" in skipped[0].getMessage()
        status = await slash(r.bot, "govmod status", member="mod")
        assert "1 MESSAGE_CREATE" in {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Problems"]


class TopicCoordination(FakeCoordination):
    """FakeCoordination that words its evidence like models/coordination_score.campaign_evidence."""

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Flag "VOTE YES" once two accounts posted it in the same place; name the place by id."""
        outs = []
        for post, text in zip(posts, ctx.texts, strict=True):
            if "vote yes" not in text.lower():
                outs.append(DetectorOutput(0.0))
                continue
            self.members[post.id] = f"{post.topic_id}|{post.author_id}"
            accounts = {m for m in self.members.values() if m.startswith(post.topic_id + "|")}
            summary = (f"{len(accounts)} accounts, posted near-identical text within under a minute"
                       f" on thread {post.topic_id}")
            outs.append(DetectorOutput(0.9, {"summary": summary, "topic": post.topic_id}, f"vote-{post.topic_id}")
                        if len(accounts) >= 2 else DetectorOutput(0.3))
        return outs


async def test_a_coordination_alert_names_the_channel_and_the_thread_correctly(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", [FakeToxicity(), TopicCoordination()]) as r:
        channel = r.fake.channel("governance")
        for author in ("alice", "bob"):
            await r.fake.dispatch_message(channel, author, "VOTE YES on DIP-9")
        thread = await r.fake.dispatch_thread_create("proposals", "carol", "DIP-10: treasury", "Discuss here.")
        for author in ("alice", "bob"):
            await r.fake.dispatch_message(thread, author, "VOTE YES on DIP-10")
        await r.idle()
        cards = sorted((a["embeds"][0] for a in r.alerts()), key=lambda e: e["title"])
        assert len(cards) == 2

        def text(embed: dict[str, Any]) -> str:  # what a moderator reads (the jump links carry ids, fine)
            return embed["description"] + "".join(f["value"] for f in embed["fields"] if f["name"] == "Why")

        in_channel, in_thread = (text(c) for c in cards)
        assert f"in <#{channel.id}>" in in_channel and "thread" not in in_channel
        assert str(channel.id) not in in_channel.replace(f"<#{channel.id}>", "")  # never a bare id
        forum = r.fake.channel("proposals")
        named = f"forum post **DIP-10: treasury** (<#{thread.id}>) in <#{forum.id}>"
        assert f"within under a minute in {named}" in in_thread  # the evidence line
        assert f"> in {named}.\n" in in_thread  # the description: "Post by @bob in forum post ..."


async def test_the_gateway_does_not_wait_for_the_models_posts_queue_until_they_are_ready(tmp_path: Path) -> None:
    from bot.pipeline import Pipeline
    from bot.startup import DeferredService

    db = await Database.open(tmp_path / "g.db")
    bot = make_bot(db)
    service = DeferredService(db)
    bot.service = bot.live.service = service
    try:
        async with FakeDiscord(bot) as fake:  # connected and READY with no models at all
            guild = await fake.add_guild()
            await configure(db, guild)
            service.forget(str(guild.id))
            await fake.dispatch_message("governance", "alice", "you are an idiot")
            await fake.settle()
            stats = bot.live.stats()
            assert stats.received == 1 and stats.scored == 0 and stats.dropped == 0  # queued, not lost
            status = await slash(bot, "govmod status", member="mod")
            problems = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}["Problems"]
            assert "models still loading" in problems
            service.ready(Pipeline(None, [FakeToxicity()]))
            await bot.live.flush(5)
            await fake.settle()
            assert bot.live.stats().scored == 1 and await CaseRepo(db).count() == 1
            assert len(fake.http.sent_messages()) == 1
    finally:
        await db.close()


async def test_after_a_restart_posts_missed_since_the_last_scored_one_are_fetched_and_scored(tmp_path: Path) -> None:
    guild = default_guild()  # the same server both times
    async with running(tmp_path / "g.db", guild_payload=copy.deepcopy(guild)) as r:
        seen = await r.fake.dispatch_message("governance", "alice", "I support DIP-3")
        await r.idle()
    async with running(tmp_path / "g.db", guild_payload=copy.deepcopy(guild)) as r:  # died with 2 posts queued
        channel = r.fake.channel("governance")
        alice = p.from_member(r.fake.member("alice"))
        missed = [p.message(channel_id=channel.id, guild_id=r.guild.id, author=alice, content=text)
                  for text in ("you are an idiot", "and I mean it")]
        r.fake.http.preload_history(channel.id, [p.from_message(seen), *missed])
        r.bot.dispatch("guild_available", r.guild)  # what a reconnect or a restart delivers
        await r.idle()
        params = r.fake.http.last("GET", f"/channels/{channel.id}/messages").params or {}
        assert int(params["after"]) == seen.id
        assert r.bot.live.stats().scored == 2  # only the missed ones, not the post scored before
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.post_ids == (missed[0]["id"],) and len(r.alerts()) == 1


async def test_a_rate_limit_pauses_the_outbox_for_as_long_as_discord_asks(tmp_path: Path) -> None:
    clock = FakeClock()
    async with running(tmp_path / "g.db", clock=clock) as r:
        limited = http_error(429, "You are being rate limited.")
        limited.response.headers = {"Retry-After": "120"}
        r.fake.http.respond("POST", f"/channels/{r.alert_channel.id}/messages", limited)
        for text in ("you idiot", "what an idiot"):
            await r.fake.dispatch_message("governance", "alice", text)
            await r.idle()
        outbox = OutboxRepo(r.bot.db, clock=clock)
        assert [x.attempts for x in await outbox.pending()] == [1, 1]
        assert all("rate-limited by Discord" in (x.last_error or "") for x in await outbox.pending())
        poster = r.bot.get_cog("Review").alerts  # type: ignore[union-attr]
        clock.advance(seconds=60)  # the 30 s backoff is over, but Discord asked for 120 s
        assert await poster.retry_due() == 0 and len(r.fake.http.calls_to("POST")) == 2
        clock.advance(seconds=61)
        assert await poster.retry_due() == 0  # refused again: the pass stops at the first refusal
        assert [x.attempts for x in await outbox.pending()] == [2, 1]


async def test_a_case_growing_while_its_alert_backs_off_does_not_hit_discord_again(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        r.fake.http.fail("POST", f"/channels/{r.alert_channel.id}/messages", 503, "Service Unavailable")
        for author in ("alice", "bob", "carol"):  # one campaign case, growing with every post
            await r.fake.dispatch_message("governance", author, "VOTE YES on DIP-9")
            await r.idle()
        assert len(r.fake.http.calls_to("POST")) == 1  # the first failure set a backoff; growth waited for it
        await r.bot.reload_extension("cogs.review")
        assert r.bot.get_cog("Review").alerts.retry_loop.is_running()  # type: ignore[union-attr]
