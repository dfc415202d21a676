"""Review buttons: confirm + delete, refusals, dismiss/escalate, restart survival, the review list."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import discord

from bot.domain import Action, CaseStatus, Decision
from bot.storage import CaseRepo, GuildRepo, ReviewRepo
from tests.helpers.gateway import default_guild
from tests.helpers.govmod_fixtures import Running, running
from tests.helpers.interactions import click, slash


async def _toxic_case(r: Running) -> tuple[discord.Message, Any, dict[str, Any]]:
    msg = await r.fake.dispatch_message("governance", "alice", "you idiot")
    await r.idle()
    (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
    alert = r.fake.http.messages[int(case.alert_message_id)]
    return msg, case, alert


async def _confirm(bot: Any, case_id: int, alert: dict[str, Any], action: str, member: str = "mod") -> Any:
    """Click Confirm on the alert, then `action` on the ephemeral chooser."""
    first = await click(bot, f"govmod:case:{case_id}:confirm", member=member, message=alert)
    return await click(bot, f"govmod:case:{case_id}:{action}", member=member, message=first.response.message)


async def test_confirm_then_delete_by_moderator(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg, case, alert = await _toxic_case(r)
        first = await click(r.bot, f"govmod:case:{case.id}:confirm", member="mod", message=alert)
        assert first.ephemeral and "what should happen" in (first.content or "")
        chooser = first.response.message  # type: ignore[union-attr]
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="mod", message=chooser)
        await r.idle()
        delete = r.fake.http.last("DELETE", f"/channels/{msg.channel.id}/messages/{msg.id}")
        assert f"case #{case.id}" in (delete.reason or "")
        mod = r.fake.member("mod")
        (review,) = await ReviewRepo(r.bot.db).for_case(case.id)
        assert (review.moderator_id, review.decision, review.action) == (str(mod.id), Decision.CONFIRM, Action.DELETE)
        decided, acted = await ReviewRepo(r.bot.db).audit_rows(case.id)  # the decision first, then its results
        assert decided["actor_id"] == str(mod.id) and decided["action"] == "confirm" and decided["created_at"]
        assert acted["action"] == "actions" and '"result": "done"' in acted["detail"]
        assert [a.result.value for a in await ReviewRepo(r.bot.db).actions(review.id or 0)] == ["done"]
        assert (await CaseRepo(r.bot.db).get(case.id)).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]
        assert "confirmed" in (res.last.content or "") and res.ephemeral
        edited = r.fake.http.messages[int(case.alert_message_id)]
        buttons = [c["custom_id"] for row in edited["components"] for c in row["components"]]
        assert buttons == [f"govmod:case:{case.id}:note"]  # no decision buttons once decided, notes still
        assert "Decision: confirm" in str(edited["embeds"])


async def test_same_click_by_member_without_permission_is_refused(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        msg, case, alert = await _toxic_case(r)
        r.fake.http.clear()
        res = await click(r.bot, f"govmod:case:{case.id}:confirm", member="bob", message=alert)
        assert res.ephemeral and "Manage Messages" in (res.content or "")
        chooser = (await click(r.bot, f"govmod:case:{case.id}:confirm", member="mod", message=alert)).response
        res = await click(r.bot, f"govmod:case:{case.id}:delete", member="bob", message=chooser.message)
        assert res.ephemeral and "Manage Messages" in (res.content or "")
        assert r.fake.http.calls_to("DELETE") == []
        assert await ReviewRepo(r.bot.db).for_case(case.id) == []
        assert await ReviewRepo(r.bot.db).audit_rows(case.id) == []
        assert (await CaseRepo(r.bot.db).get(case.id)).status is CaseStatus.OPEN  # type: ignore[union-attr]


async def test_configured_moderator_role_may_review(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        _, case, alert = await _toxic_case(r)
        delegate = r.fake.role("Delegate")
        async with r.bot.db.transaction():
            await GuildRepo(r.bot.db).update(str(r.guild.id), moderator_role_id=str(delegate.id))
        r.bot.service.forget(str(r.guild.id))
        res = await click(r.bot, f"govmod:case:{case.id}:dismiss", member="alice", message=alert)
        assert "dismissed" in (res.last.content or "")
        assert (await CaseRepo(r.bot.db).get(case.id)).status is CaseStatus.DISMISSED  # type: ignore[union-attr]


async def test_bot_without_manage_messages_refuses_to_delete(tmp_path: Path) -> None:
    from tests.helpers import payloads as p

    async with running(tmp_path / "g.db") as r:
        _, case, alert = await _toxic_case(r)
        weak = discord.Permissions(p.BOT_PERMS.value)
        weak.manage_messages = False
        bot_role = r.fake.role(r.bot.user.name)  # type: ignore[union-attr]
        bot_role._permissions = weak.value  # the bot lost the permission after the alert went out
        res = await _confirm(r.bot, case.id, alert, "delete")
        assert "lacks the Manage Messages permission" in (res.last.content or "") and res.ephemeral
        assert r.fake.http.calls_to("DELETE") == []
        assert await ReviewRepo(r.bot.db).for_case(case.id) == []


async def test_escalate_then_dismiss_and_decided_case_is_final(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        _, case, alert = await _toxic_case(r)
        await click(r.bot, f"govmod:case:{case.id}:escalate", member="mod", message=alert)
        assert (await CaseRepo(r.bot.db).get(case.id)).status is CaseStatus.ESCALATED  # type: ignore[union-attr]
        await click(r.bot, f"govmod:case:{case.id}:dismiss", member="mod", message=alert)
        res = await click(r.bot, f"govmod:case:{case.id}:confirm", member="mod", message=alert)
        assert "already dismissed" in (res.content or "")
        decisions = [rv.decision for rv in await ReviewRepo(r.bot.db).for_case(case.id)]
        assert decisions == [Decision.ESCALATE, Decision.DISMISS]


async def test_timeout_author(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        _, case, alert = await _toxic_case(r)
        res = await _confirm(r.bot, case.id, alert, "timeout")
        alice = r.fake.member("alice")
        call = r.fake.http.last("PATCH", f"/guilds/{r.guild.id}/members/{alice.id}")
        assert call.json and call.json.get("communication_disabled_until")
        assert "timed out" in (res.last.content or "")


async def test_buttons_work_for_a_case_created_before_a_restart(tmp_path: Path) -> None:
    db_path = tmp_path / "g.db"
    guild = default_guild()  # the same server before and after the restart
    async with running(db_path, guild_payload=copy.deepcopy(guild)) as r:
        msg, case, alert = await _toxic_case(r)
    # a new process: a new bot instance on the same database
    async with running(db_path, configured=False, guild_payload=copy.deepcopy(guild)) as r2:
        r2.fake.http.remember(alert)
        res = await _confirm(r2.bot, case.id, alert, "delete")
        assert r2.fake.http.calls_to("DELETE", f"/channels/{msg.channel.id}/messages/{msg.id}")
        assert "confirmed" in (res.last.content or "")
        assert (await CaseRepo(r2.bot.db).get(case.id)).status is CaseStatus.CONFIRMED  # type: ignore[union-attr]


async def test_review_lists_open_cases_oldest_first_with_buttons(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        for i in range(5):
            await r.fake.dispatch_message("governance", "alice", f"idiot number {i}")
        await r.idle()
        res = await slash(r.bot, "govmod review", member="mod")
        assert res.ephemeral
        embed = res.embeds[0]
        assert embed["title"] == "Open cases 1-4 of 5"
        assert embed["description"].index("**#1**") < embed["description"].index("**#4**")
        ids = [c["custom_id"] for row in res.response.data["components"] for c in row["components"]]  # type: ignore
        assert "govmod:case:1:confirm" in ids and "govmod:review:4:next" in ids
        page = await click(r.bot, "govmod:review:4:next", member="mod", message=res.response.message)  # type: ignore
        assert page.response.type == 7 and page.embeds[0]["title"] == "Open cases 5-5 of 5"  # type: ignore


async def test_case_command_shows_the_card(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        _, case, _ = await _toxic_case(r)
        res = await slash(r.bot, "govmod case", member="mod", id=case.id)
        assert res.ephemeral and f"Case #{case.id}" in res.embeds[0]["title"]
        missing = await slash(r.bot, "govmod case", member="mod", id=999)
        assert "does not exist" in (missing.content or "")
