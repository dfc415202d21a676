"""Watcher + alerts end to end on the fake gateway: messages, forum posts, edits and campaigns."""

from __future__ import annotations

from pathlib import Path

from bot.domain import CaseStatus
from bot.storage import CaseRepo, PostRepo
from tests.helpers.govmod_fixtures import running


async def test_toxic_message_in_watched_channel_opens_case_and_alert(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg = await r.fake.dispatch_message("governance", "alice", "you are an idiot, this proposal is theft")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.detector == "toxicity" and case.status is CaseStatus.OPEN
        assert case.post_ids == (str(msg.id),)
        (alert,) = r.alerts()
        embed = alert["embeds"][0]
        assert f"Case #{case.id}" in embed["title"] and "Toxic" in embed["title"]
        assert embed["url"] == f"https://discord.com/channels/{r.guild.id}/{msg.channel.id}/{msg.id}"
        text = str(embed)
        assert "calls someone an idiot" in text and "0.95" in text
        ids = [c["custom_id"] for row in alert["components"] for c in row["components"]]
        assert ids == [f"govmod:case:{case.id}:{a}" for a in ("confirm", "dismiss", "escalate", "note")]
        stored = await CaseRepo(r.bot.db).get(case.id)
        assert stored is not None and stored.alert_message_id is not None


async def test_unwatched_channel_does_nothing(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg = await r.fake.dispatch_message("general", "alice", "you idiot")
        await r.idle()
        assert await PostRepo(r.bot.db).get(str(msg.id)) is None
        assert await CaseRepo(r.bot.db).count() == 0
        assert r.alerts() == [] and r.bot.live.stats().received == 0


async def test_bots_are_ignored(tmp_path: Path) -> None:
    from tests.helpers import payloads as p

    async with running(tmp_path / "g.db") as r:
        await r.fake.dispatch_message("governance", p.user("otherbot", bot=True), "idiot idiot")
        await r.idle()
        assert r.bot.live.stats().received == 0


async def test_forum_post_is_scored_with_its_title(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        thread = await r.fake.dispatch_thread_create("proposals", "bob", "DIP-7: fund the idiot tax", "Details.")
        await r.idle()
        post = await PostRepo(r.bot.db).get(str(thread.id))
        assert post is not None and post.thread_id == str(thread.id)
        assert post.parent_id == str(thread.parent_id) and post.content.startswith("DIP-7")
        verdict = await PostRepo(r.bot.db).verdict(str(thread.id))
        assert verdict is not None and verdict.flags == ("toxicity",)
        assert len(r.alerts()) == 1


async def test_reply_in_thread_of_watched_forum_is_scored(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        thread = await r.fake.dispatch_thread_create("proposals", "bob", "DIP-8", "Budget.")
        reply = await r.fake.dispatch_message(thread, "carol", "I support this")
        await r.idle()
        assert await PostRepo(r.bot.db).verdict(str(reply.id)) is not None


async def test_edit_is_rescored(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg = await r.fake.dispatch_message("governance", "alice", "I disagree with the budget")
        await r.idle()
        assert (await PostRepo(r.bot.db).verdict(str(msg.id))).flags == ()  # type: ignore[union-attr]
        await r.fake.dispatch_edit(msg, "I disagree, you idiot")
        await r.idle()
        verdict = await PostRepo(r.bot.db).verdict(str(msg.id))
        assert verdict is not None and verdict.flags == ("toxicity",)
        post = await PostRepo(r.bot.db).get(str(msg.id))
        assert post is not None and post.edited_at is not None and "idiot" in post.content
        assert len(r.alerts()) == 1


async def test_campaign_is_one_alert_edited_as_it_grows(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        for author in ("alice", "bob", "carol"):
            await r.fake.dispatch_message("governance", author, "VOTE YES on DIP-9")
            await r.idle()
        cases = await CaseRepo(r.bot.db).list(str(r.guild.id))
        (case,) = [c for c in cases if c.detector == "coordination"]
        assert len(case.post_ids) == 3 and len(set(case.author_ids)) == 3
        assert len(r.alerts()) == 1
        edits = [c for c in r.alert_edits() if c.args["message_id"] == case.alert_message_id]
        assert edits, "the campaign alert is edited when the campaign grows"
        final = r.fake.http.messages[int(case.alert_message_id)]  # type: ignore[arg-type]
        assert "3 posts by 3 accounts" in final["embeds"][0]["description"]


async def test_reactions_and_joins_reach_the_coordination_detector(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg = await r.fake.dispatch_message("governance", "alice", "proposal text")
        await r.fake.dispatch_reaction(msg, "bob")
        await r.fake.dispatch_member_join(name="fresh")
        await r.idle()
        coordination = r.bot.service.pipeline.detector("coordination")
        kinds = sorted(type(e).__name__ for e in coordination.events)  # type: ignore[union-attr]
        assert kinds == ["MemberJoin", "Reaction"]
