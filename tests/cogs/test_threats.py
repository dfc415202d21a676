"""Threat signals on the fake gateway: drainer links, impersonation by rename, link lists; no action without a human."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.domain import CaseStatus, is_profile_post
from bot.storage import CaseRepo
from bot.storage.link_lists import ThreatRepo
from models.threats.impersonation import ImpersonationDetector
from models.threats.scam_link import ScamLinkDetector
from tests.helpers import payloads as p
from tests.helpers.govmod_fixtures import FakeToxicity, running
from tests.helpers.interactions import click, slash


def _detectors() -> list[object]:
    return [FakeToxicity(), ScamLinkDetector.load(), ImpersonationDetector.load()]


def _no_action(r: object) -> None:
    http = r.fake.http  # type: ignore[attr-defined]
    assert http.calls_to("DELETE") == []
    assert [c for c in http.calls_to("PATCH", "/guilds/{id}/members/{id}")] == []


async def test_drainer_lookalike_from_day_old_account_opens_case_and_alert(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        fresh = p.user("dave_eth", created_at=p.now() - dt.timedelta(days=1))
        msg = await r.fake.dispatch_message(
            "governance", fresh, "Snapshot is live! Claim your UNI airdrop before it expires: "
            "https://uniswap-claim.xyz/connect-wallet")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.detector == "scam_link" and case.status is CaseStatus.OPEN and case.post_ids == (str(msg.id),)
        assert case.score >= 0.9
        (alert,) = r.alerts()
        text = str(alert["embeds"][0])
        assert "Scam or phishing link" in text and "uniswap-claim.xyz" in text and "days old" in text
        _no_action(r)


async def test_allowed_docs_link_from_new_account_is_not_flagged(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        res = await slash(r.bot, "govmod links allow", member="mod", domain="https://docs.ourdao.org/start")
        assert "`docs.ourdao.org`" in (res.content or "")
        await slash(r.bot, "govmod links allow", member="mod", domain="ourdao.org")
        listed = await slash(r.bot, "govmod links list", member="mod")
        assert "ourdao.org" in (listed.content or "")
        fresh = p.user("newcomer", created_at=p.now() - dt.timedelta(days=1))
        await r.fake.dispatch_message("governance", fresh, "Where is the voting guide? Found it: "
                                      "https://docs.ourdao.org/governance/how-to-vote")
        await r.idle()
        assert await CaseRepo(r.bot.db).count() == 0 and r.alerts() == []


async def test_blocked_domain_via_slash_command_flags_old_account(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        await slash(r.bot, "govmod links block", member="mod", domain="ourdao-rewards.com")
        await r.fake.dispatch_message("governance", "alice", "found this: https://ourdao-rewards.com")
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.detector == "scam_link" and "block list" in str(case.evidence)


async def test_rename_to_moderator_name_opens_case_and_alert_without_action(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        bob = r.fake.member("bob")
        data = p.member(p.from_user(bob), nick="mod", joined_at=bob.joined_at)
        await r.fake.dispatch("GUILD_MEMBER_UPDATE", {**data, "guild_id": str(r.guild.id)})
        await r.idle()
        (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
        assert case.detector == "impersonation" and case.author_ids == (str(bob.id),)
        assert is_profile_post(case.post_ids[0])
        (alert,) = r.alerts()
        embed = alert["embeds"][0]
        assert "impersonation" in embed["title"] and "Profile of" in embed["description"]
        assert "url" not in embed or not embed.get("url")
        assert "same as staff member" in str(embed)
        _no_action(r)
        # a moderator confirms and picks "delete": there is no message, so govmod refuses and deletes nothing
        await click(r.bot, f"govmod:case:{case.id}:confirm", member="mod")
        refused = await click(r.bot, f"govmod:case:{case.id}:delete", member="mod")
        assert "name, not a message" in str(refused.calls)
        _no_action(r)


async def test_moderator_and_ordinary_names_are_not_flagged(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        await r.fake.dispatch_message("governance", "mod", "Reminder: vote closes Friday.")
        await r.fake.dispatch_message("governance", "alice", "Thanks mod, I agree with what mod said.")
        await r.fake.dispatch_member_join(name="carla")
        await r.idle()
        assert await CaseRepo(r.bot.db).count() == 0


async def test_agent_channel_command_marks_and_watches(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", _detectors()) as r:
        general = r.fake.channel("general")
        res = await slash(r.bot, "govmod agent channel", member="mod", channel=general)
        assert "AI agent" in (res.content or "")
        assert await ThreatRepo(r.bot.db).agent_channels(str(r.guild.id)) == frozenset({str(general.id)})
        assert str(general.id) in (await r.bot.service.config(str(r.guild.id))).watched


async def test_scheduled_feed_refresh_loads_a_deny_list_and_names_it_in_the_case(tmp_path: Path) -> None:
    import asyncio
    import json

    from bot.storage.link_lists import LinkListRepo
    from tests.bot.test_link_feeds import feed_server_at
    from tests.helpers.govmod_fixtures import make_settings

    with feed_server_at(json.dumps({"deny": ["ourdao-gov-portal.com"], "allow": []}).encode()) as url:
        settings = make_settings()
        settings = settings.model_copy(update={"link_feeds": settings.link_feeds.model_copy(
            update={"urls": [url], "refresh_hours": 24.0})})
        async with running(tmp_path / "g.db", _detectors(), settings=settings) as r:
            for _ in range(200):  # the refresh task runs right after the cog loads
                if (await LinkListRepo(r.bot.db).domains("")).block:
                    break
                await asyncio.sleep(0.02)
            old = p.user("old_timer", created_at=p.now() - dt.timedelta(days=900))
            await r.fake.dispatch_message("governance", old, "New portal: https://ourdao-gov-portal.com/vote")
            await r.idle()
            (case,) = await CaseRepo(r.bot.db).list(str(r.guild.id))
            assert case.detector == "scam_link" and "deny list: 127.0.0.1" in json.dumps(case.evidence)
            _no_action(r)
            listed = await slash(r.bot, "govmod links list", member="mod")
            assert "/feeds/all.json" in (listed.content or "") and "1 blocked" in (listed.content or "")
