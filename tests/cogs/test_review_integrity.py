"""Review queue integrity on the fake gateway: one decision per case, recorded results, the moderator's own rights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cogs._review_actions as review_actions
from bot.domain import Action, ActionResult, CaseStatus, Decision
from bot.storage import CaseRepo, GuildRepo, ReviewRepo
from tests.helpers.govmod_fixtures import (
    STAFF_BOT_POSITION,
    FakeCampaigns,
    FakeToxicity,
    Running,
    running,
    staff_guild,
)
from tests.helpers.interactions import click, click_together, slash

MEMBER_PATH = "/guilds/{g}/members/{u}"


def staff(tmp_path: Path, **kwargs: Any) -> Any:
    """Start govmod on the staff guild (every rank of moderator) with the bot's role on top."""
    return running(tmp_path / "g.db", guild_payload=staff_guild(**kwargs), bot_role_position=STAFF_BOT_POSITION)


async def toxic_case(r: Running, author: str = "alice", channel: str = "governance") -> tuple[Any, Any, dict]:
    msg = await r.fake.dispatch_message(channel, author, "you idiot")
    await r.idle()
    case = (await CaseRepo(r.bot.db).list(str(r.guild.id)))[-1]
    return msg, case, r.fake.http.messages[int(case.alert_message_id)]


async def chooser(r: Running, case_id: int, alert: dict, member: str) -> dict:
    """Click Confirm on the alert as `member`; return the ephemeral chooser message."""
    first = await click(r.bot, f"govmod:case:{case_id}:confirm", member=member, message=alert)
    assert first.response is not None and first.response.message is not None, first.calls
    return first.response.message


async def assert_untouched(r: Running, case_id: int) -> None:
    """Nothing was recorded and the case is still open."""
    assert await ReviewRepo(r.bot.db).for_case(case_id) == []
    assert (await CaseRepo(r.bot.db).get(case_id)).status is CaseStatus.OPEN  # type: ignore[union-attr]


async def test_two_moderators_timing_out_at_once_make_one_decision(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        first, second = await chooser(r, case.id, alert, "mod"), await chooser(r, case.id, alert, "mod2")
        r.fake.http.clear()
        a, b = await click_together(r.bot, {"custom_id": f"govmod:case:{case.id}:timeout", "member": "mod",
                                            "message": first},
                                    {"custom_id": f"govmod:case:{case.id}:timeout", "member": "mod2",
                                     "message": second})
        alice = r.fake.member("alice")
        assert len(r.fake.http.calls_to("PATCH", f"/guilds/{r.guild.id}/members/{alice.id}")) == 1
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)
        assert (review.decision, review.action) == (Decision.CONFIRM, Action.TIMEOUT)
        winner, loser = (a, b) if review.moderator_id == str(r.fake.member("mod").id) else (b, a)
        assert "timed out" in (winner.content or "") and winner.ephemeral
        assert loser.ephemeral and "already confirmed by" in (loser.content or "")
        assert f"<@{review.moderator_id}>" in (loser.content or "") and "<t:" in (loser.content or "")
        assert [row["action"] for row in await ReviewRepo(r.bot.db).audit_rows(case.id)] == ["confirm", "actions"]


async def test_a_late_click_on_a_decided_case_says_who_decided(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        await click(r.bot, f"govmod:case:{case.id}:dismiss", member="mod", message=alert)
        late = await click(r.bot, f"govmod:case:{case.id}:escalate", member="mod2", message=alert)
        assert f"already dismissed by <@{r.fake.member('mod').id}>" in (late.content or "")
        assert len(await ReviewRepo(r.bot.db).for_case(case.id)) == 1


async def test_manage_messages_alone_cannot_time_out(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="helper",
                          message=await chooser(r, case.id, alert, "helper"))
        assert res.ephemeral and "Moderate Members" in (res.content or "")
        assert r.fake.http.calls_to("PATCH", MEMBER_PATH) == []
        await assert_untouched(r, case.id)


async def test_a_moderator_cannot_time_out_someone_above_them(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r, author="councillor")
        res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))
        assert "not below yours" in (res.content or "")
        assert r.fake.http.calls_to("PATCH", MEMBER_PATH) == []
        await assert_untouched(r, case.id)
        # the owner is above everyone, and nobody (not even the owner) times out the owner
        owner_res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="owner",
                                message=await chooser(r, case.id, alert, "owner"))
        assert "timed out" in (owner_res.content or "")
        _, own_case, own_alert = await toxic_case(r, author="owner")
        res = await click(r.bot, f"govmod:case:{own_case.id}:timeout", member="mod",
                          message=await chooser(r, own_case.id, own_alert, "mod"))
        assert "server owner" in (res.content or "")
        await assert_untouched(r, own_case.id)


async def test_reviewer_role_may_dismiss_but_not_delete(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        async with r.bot.db.transaction():
            await GuildRepo(r.bot.db).update(str(r.guild.id), moderator_role_id=str(r.fake.role("Reviewer").id))
        r.bot.service.forget(str(r.guild.id))
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="reviewer",
                          message=await chooser(r, case.id, alert, "reviewer"))
        assert "Manage Messages permission in <#" in (res.content or "")
        assert r.fake.http.calls_to("DELETE") == []
        await assert_untouched(r, case.id)
        res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="reviewer",
                          message=await chooser(r, case.id, alert, "reviewer"))
        assert "Moderate Members" in (res.content or "")
        await assert_untouched(r, case.id)
        res = await click(r.bot, f"govmod:case:{case.id}:dismiss", member="reviewer", message=alert)
        assert "dismissed" in (res.content or "")


async def test_delete_needs_manage_messages_in_the_messages_channel(tmp_path: Path) -> None:
    async with staff(tmp_path, governance_denies=("Moderator",)) as r:
        _, case, alert = await toxic_case(r)  # posted in #governance, where moderators may not delete
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))  # clicked in #mod-log, where they may
        assert f"<#{r.fake.channel('governance').id}>" in (res.content or "")
        assert r.fake.http.calls_to("DELETE") == []
        await assert_untouched(r, case.id)


async def test_a_delete_that_fails_half_way_records_each_message(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", [FakeToxicity(), FakeCampaigns()]) as r:
        posted = {}
        for name in ("alice", "bob", "carol", "owner"):
            posted[name] = await r.fake.dispatch_message("governance", name, "we all back plan a today")
            await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert len(case.post_ids) == 4
        chan = r.fake.channel("governance").id
        r.fake.http.fail("DELETE", f"/channels/{chan}/messages/{posted['bob'].id}", 403)
        r.fake.http.fail("DELETE", f"/channels/{chan}/messages/{posted['carol'].id}", 404, "Unknown Message")
        r.fake.http.fail("DELETE", f"/channels/{chan}/messages/{posted['owner'].id}", 500, "Internal Server Error")
        alert = r.fake.http.messages[int(case.alert_message_id)]  # type: ignore[arg-type]
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))
        assert len(r.fake.http.calls_to("DELETE")) == 4  # it went on after the refusal
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)
        results = {a.target_id: a.result for a in await ReviewRepo(r.bot.db).actions(review.id or 0)}
        assert results == {str(posted["alice"].id): ActionResult.DONE, str(posted["bob"].id): ActionResult.FORBIDDEN,
                           str(posted["carol"].id): ActionResult.GONE, str(posted["owner"].id): ActionResult.FAILED}
        assert review.note == "1 done, 1 already gone, 1 refused, 1 failed"
        text = res.content or ""
        assert f"message {posted['alice'].id} in <#{chan}>: deleted" in text
        assert f"message {posted['bob'].id} in <#{chan}>: refused (Missing Permissions)" in text
        assert "already gone" in text and "failed (HTTP 500" in text
        assert (await CaseRepo(r.bot.db).get(case.id)).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]


async def test_a_failing_timeout_is_recorded_and_answered(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        r.fake.http.fail("PATCH", MEMBER_PATH, 500, "Internal Server Error")
        res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))
        assert res.deferred and res.followups, "the moderator was left on 'thinking...'"
        assert "failed" in (res.content or "")
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)
        assert [a.result for a in await ReviewRepo(r.bot.db).actions(review.id or 0)] == [ActionResult.FAILED]


async def test_an_unexpected_error_never_leaves_the_moderator_waiting(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(*_: Any) -> None:
        raise RuntimeError("boom")

    async with staff(tmp_path) as r:
        _, case, alert = await toxic_case(r)
        monkeypatch.setattr(review_actions, "carry_out", broken)
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))
        assert res.followups and "Something went wrong" in (res.content or "")
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)  # the decision was recorded before acting
        assert review.action is Action.DELETE


async def test_settings_need_manage_server_checked_in_code(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        before = await GuildRepo(r.bot.db).get(str(r.guild.id))
        for command, options in (("govmod threshold set", {"detector": "toxicity", "value": 0.9}),
                                 ("govmod threshold autohide", {"value": 0.95}),
                                 ("govmod alerts role", {"role": r.fake.role("Helper")}),
                                 ("govmod alerts channel", {"channel": r.fake.channel("general")}),
                                 ("govmod watch add", {"channel": r.fake.channel("general")}),
                                 ("govmod watch remove", {"channel": r.fake.channel("governance")}),
                                 ("govmod links allow", {"domain": "evil.example"})):
            res = await slash(r.bot, command, member="helper", options=options)  # Manage Messages, not Server
            assert res.ephemeral and "Manage Server" in (res.content or ""), command
        assert await GuildRepo(r.bot.db).get(str(r.guild.id)) == before
        ok = await slash(r.bot, "govmod threshold set", member="mod", detector="toxicity", value=0.9)
        assert "0.90" in (ok.content or "")


async def test_a_campaign_merge_leaves_one_open_case_with_every_post(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", [FakeToxicity(), FakeCampaigns()]) as r:
        posts = []
        for name, text in (("alice", "vote for plan b now"), ("bob", "vote for plan b now"),
                           ("carol", "plan a is the one"), ("owner", "plan a is the one")):
            posts.append(await r.fake.dispatch_message("governance", name, text))
            await r.idle()
        first, second = await CaseRepo(r.bot.db).list(str(r.guild.id))
        alerts = {c.id: int(c.alert_message_id) for c in (first, second)}  # type: ignore[arg-type]
        r.fake.http.clear()
        posts.append(await r.fake.dispatch_message("governance", "mod", "plan a and plan b together"))
        await r.idle()
        (survivor,) = await CaseRepo(r.bot.db).list(str(r.guild.id))  # one open case
        assert survivor.id == first.id  # the older campaign keeps its case
        assert set(survivor.post_ids) == {str(p.id) for p in posts}
        assert len(survivor.author_ids) == 5
        absorbed = await CaseRepo(r.bot.db).get(second.id)
        assert absorbed is not None and absorbed.status is CaseStatus.MERGED and absorbed.merged_into == first.id
        assert absorbed.post_ids == ()
        for case_id, message_id in alerts.items():
            edits = r.fake.http.calls_to("PATCH", f"/channels/{r.alert_channel.id}/messages/{message_id}")
            assert len(edits) == 1, (case_id, edits)
        merged_alert = r.fake.http.messages[alerts[second.id]]
        assert f"case #{first.id}" in str(merged_alert["embeds"]) and merged_alert["components"] == []
        assert len(r.alerts()) == 0  # no new alert: the two were edited
        for action in ("confirm", "note"):
            late = await click(r.bot, f"govmod:case:{second.id}:{action}", member="mod")  # a button from before
            assert late.modal is None and f"merged into case #{first.id}" in (late.content or "")
        rows = await ReviewRepo(r.bot.db).audit_rows(second.id)
        assert [(x["actor_id"], x["action"]) for x in rows] == [("govmod", "merged")]


async def test_a_forum_post_is_deleted_in_its_thread_and_a_departed_author_is_recorded_gone(tmp_path: Path) -> None:
    async with staff(tmp_path) as r:
        thread = await r.fake.dispatch_thread_create("proposals", "alice", "DIP-9", "what an idiot plan")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        alert = r.fake.http.messages[int(case.alert_message_id)]  # type: ignore[arg-type]
        alice = r.fake.member("alice")
        await r.fake.dispatch("GUILD_MEMBER_REMOVE", {"guild_id": str(r.guild.id),
                                                      "user": {"id": str(alice.id), "username": "alice",
                                                               "discriminator": "0", "avatar": None}})
        res = await click(r.bot, f"govmod:case:{case.id}:timeout", member="mod",
                          message=await chooser(r, case.id, alert, "mod"))
        assert f"<@{alice.id}>: already gone (left the server)" in (res.content or "")
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)
        assert [a.result for a in await ReviewRepo(r.bot.db).actions(review.id or 0)] == [ActionResult.GONE]
        _, other, other_alert = await toxic_case(r, author="bob", channel=thread.id)  # a reply in the thread
        await click(r.bot, f"govmod:case:{other.id}:delete", member="mod",
                    message=await chooser(r, other.id, other_alert, "mod"))
        assert r.fake.http.calls_to("DELETE", f"/channels/{thread.id}/messages/{other.post_ids[0]}")
