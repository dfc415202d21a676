"""Moderator tools on the fake gateway: member history, case notes, earlier-case counts, edits after a dismissal."""

from __future__ import annotations

import copy
from pathlib import Path

from bot.domain import CaseStatus
from bot.storage import CaseRepo, ReviewRepo
from tests.helpers.gateway import default_guild
from tests.helpers.govmod_fixtures import FakeCampaigns, FakeGradedToxicity, FakeToxicity, running
from tests.helpers.interactions import click, context_menu, slash, submit_modal


async def test_history_pages_newest_first_and_works_after_a_restart(tmp_path: Path) -> None:
    guild = default_guild()
    db_path = tmp_path / "g.db"
    async with running(db_path, [FakeToxicity(), FakeCampaigns()], guild_payload=copy.deepcopy(guild)) as r:
        first = await r.fake.dispatch_message("governance", "alice", "hello all, first post here")
        for i in range(6):
            await r.fake.dispatch_message("governance", "alice", f"idiot number {i}")
        await r.fake.dispatch_message("governance", "bob", "plan a for everyone")
        await r.fake.dispatch_message("governance", "alice", "plan a for everyone")
        await r.fake.dispatch_message("governance", "bob", "bob is an idiot too")
        await r.idle()
        cases = await CaseRepo(r.bot.db).list(str(r.guild.id), limit=100)
        mine = [c for c in cases if str(r.fake.member("alice").id) in c.author_ids]
        assert len(mine) == 7  # six toxic posts and one campaign
        await click(r.bot, f"govmod:case:{mine[0].id}:dismiss", member="mod",
                    message=r.fake.http.messages[int(mine[0].alert_message_id)])  # type: ignore[arg-type]
        res = await slash(r.bot, "govmod history", member="mod", options={"member": "alice"})
        assert res.ephemeral
        embed = res.embeds[0]
        assert "History of alice" in embed["title"] and "**7 case(s)**" in embed["description"]
        assert "1 dismissed" in embed["description"] and "6 open" in embed["description"]
        assert f"/{first.channel.id}/{first.id})" in embed["description"]  # first post in watched channels
        assert "account created <t:" in embed["description"]
        names = [f["name"] for f in embed["fields"]]
        assert len(names) == 5 and names[0].startswith(f"#{mine[-1].id} ")  # newest first
        assert embed["footer"]["text"].startswith("Page 1/2")
        buttons = [c["custom_id"] for row in res.last.components for c in row["components"]]
        alice_id = r.fake.member("alice").id
        assert f"govmod:history:{alice_id}:5:next" in buttons
        page = await click(r.bot, f"govmod:history:{alice_id}:5:next", member="mod", message=res.response.message)
        assert page.response is not None and page.response.type == 7
        fields = page.embeds[0]["fields"]
        assert len(fields) == 2 and "dismissed" in fields[-1]["name"]
        assert f"<@{r.fake.member('mod').id}>" in fields[-1]["value"]  # who decided
        old_page = page.response.message
        menu = await context_menu(r.bot, "govmod: history", user="alice", member="mod")
        assert menu.ephemeral and "**7 case(s)**" in menu.embeds[0]["description"]
        refused = await slash(r.bot, "govmod history", member="bob", options={"member": "alice"})
        assert "Manage Messages" in (refused.content or "") and not refused.embeds
    async with running(db_path, configured=False, guild_payload=copy.deepcopy(guild)) as r2:
        r2.fake.http.remember(old_page)  # type: ignore[arg-type]
        back = await click(r2.bot, f"govmod:history:{alice_id}:0:prev", member="mod", message=old_page)
        assert back.response is not None and back.response.type == 7
        assert len(back.embeds[0]["fields"]) == 5


async def test_notes_from_the_alert_modal_and_the_case_command_survive_a_restart(tmp_path: Path) -> None:
    guild = default_guild()
    db_path = tmp_path / "g.db"
    async with running(db_path, guild_payload=copy.deepcopy(guild)) as r:
        await r.fake.dispatch_message("governance", "alice", "you idiot")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        alert = r.fake.http.messages[int(case.alert_message_id)]  # type: ignore[arg-type]
        opened = await click(r.bot, f"govmod:case:{case.id}:note", member="mod", message=alert)
        assert opened.modal is not None and f"case #{case.id}" in opened.modal["title"]
        saved = await submit_modal(r.bot, opened.modal["custom_id"], {"note": "warned her in DMs"}, member="mod")
        assert saved.ephemeral and f"Note added to case #{case.id}" in (saved.content or "")
        res = await slash(r.bot, "govmod case", member="mod", id=case.id, note="second strike this month")
        assert "Note added" in (res.content or "")
        notes = next(f for f in res.embeds[0]["fields"] if f["name"].startswith("Notes"))
        assert notes["name"] == "Notes (2)" and "warned her in DMs" in notes["value"]
        assert "second strike" in notes["value"] and f"<@{r.fake.member('mod').id}>" in notes["value"]
        empty = await slash(r.bot, "govmod case", member="mod", id=case.id, note="   ")
        assert "Nothing saved" in (empty.content or "")
        denied = await click(r.bot, f"govmod:case:{case.id}:note", member="bob", message=alert)
        assert denied.modal is None and "Manage Messages" in (denied.content or "")
    async with running(db_path, configured=False, guild_payload=copy.deepcopy(guild)) as r2:
        shown = await slash(r2.bot, "govmod case", member="mod", id=case.id)
        assert any(f["name"] == "Notes (2)" for f in shown.embeds[0]["fields"])
        history = await slash(r2.bot, "govmod history", member="mod", options={"member": "alice"})
        assert "warned her in DMs" in str(history.embeds[0]["fields"])
        rows = await ReviewRepo(r2.bot.db).audit_rows(case.id)
        assert [x["action"] for x in rows] == ["note", "note"] and "warned her" in rows[0]["detail"]


async def test_after_a_decision_the_alert_counts_the_members_earlier_cases(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db") as r:
        for text in ("idiot one", "idiot two", "idiot three"):
            await r.fake.dispatch_message("governance", "alice", text)
        await r.idle()
        cases = await CaseRepo(r.bot.db).list(str(r.guild.id))
        latest = cases[-1]
        alert = r.fake.http.messages[int(latest.alert_message_id)]  # type: ignore[arg-type]
        assert "Earlier cases" not in str(alert["embeds"])  # before a decision the alert does not say
        await click(r.bot, f"govmod:case:{latest.id}:dismiss", member="mod", message=alert)
        edited = r.fake.http.messages[int(latest.alert_message_id)]  # type: ignore[arg-type]
        field = next(f for f in edited["embeds"][0]["fields"] if f["name"] == "Earlier cases")
        assert f"<@{r.fake.member('alice').id}> has 2 earlier case(s)" in field["value"]


async def test_an_edit_scoring_higher_than_a_dismissed_version_opens_a_linked_case(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", [FakeGradedToxicity()]) as r:
        msg = await r.fake.dispatch_message("governance", "alice", "meh, idiot")
        await r.idle()
        (dismissed,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        await click(r.bot, f"govmod:case:{dismissed.id}:dismiss", member="mod",
                    message=r.fake.http.messages[int(dismissed.alert_message_id)])  # type: ignore[arg-type]
        await r.fake.dispatch_edit(msg, "meh, IDIOT!")  # same score: the dismissal stands
        await r.idle()
        assert await CaseRepo(r.bot.db).count(str(r.guild.id)) == 1
        await r.fake.dispatch_edit(msg, "idiot, idiot, you idiot")  # scores higher than the dismissed version
        await r.idle()
        (new,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert new.id != dismissed.id and new.follows_case_id == dismissed.id and new.post_ids == (str(msg.id),)
        assert new.score > dismissed.score
        alert = r.alerts()[-1]
        assert f"case #{dismissed.id} was dismissed" in str(alert["embeds"])
        still = await CaseRepo(r.bot.db).get(dismissed.id)
        assert still is not None and still.status is CaseStatus.DISMISSED and still.post_ids == (str(msg.id),)
        await r.fake.dispatch_edit(msg, "idiot, idiot, you idiot")  # the same version again: nothing new
        await r.idle()
        assert await CaseRepo(r.bot.db).count(str(r.guild.id)) == 2
