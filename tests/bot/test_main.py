"""`govmod run`: clear messages for token and intent problems, a clean shutdown that drains the queue."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import discord
import pytest
from pydantic import SecretStr

import bot.__main__ as entry
from bot.client import GovmodBot, govmod_intents
from bot.pipeline import Pipeline
from bot.storage import Database
from tests.helpers.govmod_fixtures import FakeToxicity, make_settings, running

TOKEN = "MTEw.GoVmOd.fake-token-for-tests"


def _settings(tmp_path: Path, token: str | None) -> Any:
    settings = make_settings()
    discord_settings = settings.discord.model_copy(update={"token": SecretStr(token) if token else None})
    database = settings.database.model_copy(update={"path": tmp_path / "m.db"})
    return settings.model_copy(update={"discord": discord_settings, "database": database})


def test_intents_are_the_ones_the_bot_needs() -> None:
    intents = govmod_intents()
    assert intents.guilds and intents.guild_messages and intents.message_content
    assert intents.members and intents.guild_reactions and not intents.presences


@pytest.mark.parametrize(("token", "expected"), [
    (None, "no Discord bot token"), ("Bot abc.def.ghi", "contains spaces"), ("abc", "does not look like"),
])
def test_missing_or_malformed_token_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str], token: str | None,
                                                    expected: str) -> None:
    monkeypatch.setattr(entry, "Settings", lambda: _settings(tmp_path, token))
    assert entry.main() == 2
    err = capsys.readouterr().err
    assert expected in err and "GOVMOD_DISCORD__TOKEN" in err and "developers/applications" in err


@pytest.mark.parametrize(("error", "expected"), [
    (discord.LoginFailure("Improper token has been passed."), "rejected the bot token"),
    (discord.PrivilegedIntentsRequired(None), "MESSAGE CONTENT INTENT"),
])
async def test_login_and_intent_failures_give_clear_messages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str], error: Exception,
                                                             expected: str) -> None:
    async def refuse(self: GovmodBot, token: str, **_: Any) -> None:
        raise error

    monkeypatch.setattr(GovmodBot, "start", refuse)
    code = await entry.run_bot(_settings(tmp_path, TOKEN), Pipeline(None, [FakeToxicity()]))
    assert code == 1 and expected in capsys.readouterr().err
    db = await Database.open(tmp_path / "m.db")  # closed cleanly, reopens fine
    await db.close()


async def test_close_scores_and_stores_pending_posts(tmp_path: Path) -> None:
    async with running(tmp_path / "g.db", [FakeToxicity(delay=0.05)]) as r:
        for i in range(10):
            await r.fake.dispatch_message("governance", "alice", f"post {i} idiot")
        assert r.bot.live.stats().scored < 10  # still queued when the signal arrives
        await r.bot.close()  # what SIGINT/SIGTERM trigger
        stats = r.bot.live.stats()
        assert stats.scored == 10 and stats.dropped == 0 and not stats.running
        async with r.bot.db.conn.execute("SELECT COUNT(*) FROM verdicts") as cur:
            assert (await cur.fetchone())[0] == 10  # type: ignore[index]


async def test_sync_goes_to_the_dev_guild_when_configured(tmp_path: Path) -> None:
    def echo(call: Any) -> list[dict[str, Any]]:  # Discord answers context menus with description ""
        return [{"description": "", **cmd, "id": str(i + 1), "application_id": call.args["application_id"],
                 "version": "1"} for i, cmd in enumerate(call.json or [])]

    async with running(tmp_path / "g.db") as r:
        for path in ("/applications/{app}/guilds/{guild}/commands", "/applications/{app}/commands"):
            r.fake.http.respond("PUT", path, echo)
        r.bot.settings.discord.dev_guild_id = r.guild.id
        await r.bot.sync_commands()
        assert r.fake.http.calls_to("PUT", f"/applications/{{app}}/guilds/{r.guild.id}/commands")
        r.bot.settings.discord.dev_guild_id = None
        await r.bot.sync_commands()
        assert r.fake.http.calls_to("PUT", "/applications/{app}/commands")


def test_no_network_prints_one_clear_line_and_exits_non_zero(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`govmod run` with Discord unreachable: the real login request is refused; no traceback, one line."""
    monkeypatch.setattr(discord.http.Route, "BASE", "http://127.0.0.1:9/api/v10")  # nothing listens on port 9
    monkeypatch.setattr(entry, "Settings", lambda: _settings(tmp_path, TOKEN))
    monkeypatch.setattr("bot.loader.load_pipeline", lambda settings: Pipeline(None, [FakeToxicity()]))
    code = entry.main()
    err = capsys.readouterr().err
    assert code == 3 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("govmod: cannot reach Discord (network or DNS): ")


async def test_models_load_while_the_bot_connects_and_a_load_failure_stops_it_clearly(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    import asyncio

    from bot.loader import ModelLoadError

    seen: dict[str, Any] = {}

    async def connect(self: GovmodBot, token: str, **_: Any) -> None:
        seen["models_ready_at_connect"] = self.service.models_ready  # type: ignore[attr-defined]
        while not self.is_closed():  # "connected" until the failed model load closes the bot
            await asyncio.sleep(0.01)

    def load() -> Pipeline:
        raise ModelLoadError("weights for toxicity are missing; retrain with `govmod train toxicity`")

    monkeypatch.setattr(GovmodBot, "start", connect)
    code = await asyncio.wait_for(entry.run_bot(_settings(tmp_path, TOKEN), load=load), 10)
    assert code == 1 and seen["models_ready_at_connect"] is False
    assert "weights for toxicity are missing" in capsys.readouterr().err


async def test_sync_commands_cli_logs_in_over_rest_only_and_pushes_the_tree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.bot.test_resilience import echo_commands as echo
    from tests.helpers import FakeDiscord

    fakes: list[FakeDiscord] = []

    async def login(self: GovmodBot, token: str) -> None:  # what Client.login does, minus discord.com
        fake = FakeDiscord(self)
        fake.http.respond("PUT", "/applications/{app}/commands", echo)
        fakes.append(fake)
        await fake.start(ready=False)  # runs setup_hook: the cogs add their commands

    monkeypatch.setattr(GovmodBot, "login", login)
    try:
        assert await entry.sync_commands_once(_settings(tmp_path, TOKEN)) == 0
        (put,) = fakes[0].http.calls_to("PUT", "/applications/{app}/commands")
        assert {"govmod", "Check with govmod"} <= {c["name"] for c in put.json}
        assert f"Synced {len(put.json)} global commands" in capsys.readouterr().out
        assert not fakes[0].http.calls_to("GET", "/gateway/bot")  # no gateway
    finally:
        for fake in fakes:
            await fake.close(close_bot=False)


def test_sync_commands_cli_without_a_token_says_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(entry, "Settings", lambda: _settings(tmp_path, None))
    assert entry.sync_main() == 2 and "GOVMOD_DISCORD__TOKEN" in capsys.readouterr().err
