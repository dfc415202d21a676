"""Prove the fake-Discord harness against a throwaway bot defined here (no govmod code)."""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.helpers import payloads as p
from tests.helpers.gateway import FakeDiscord, HarnessError
from tests.helpers.interactions import click, context_menu, slash, submit_modal

seen: dict[str, list[Any]] = {}


class CaseButton(discord.ui.DynamicItem[discord.ui.Button], template=r"govmod:case:(?P<id>\d+):(?P<action>\w+)"):
    """A persistent review button that survives restarts."""

    def __init__(self, case_id: int, action: str) -> None:
        super().__init__(discord.ui.Button(label=action, custom_id=f"govmod:case:{case_id}:{action}"))
        self.case_id, self.action = case_id, action

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Button,
                             match: re.Match[str]) -> CaseButton:
        return cls(int(match["id"]), match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        seen.setdefault("click", []).append((self.case_id, self.action, interaction.permissions))
        await interaction.response.edit_message(content=f"case {self.case_id}: {self.action}", view=None)


class Reason(discord.ui.Modal, title="Why?"):
    reason = discord.ui.TextInput(label="Reason", custom_id="reason")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"because {self.reason.value}", ephemeral=True)


class Pick(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=180)  # a view timer must not block settle()

    @discord.ui.select(custom_id="pick", options=[discord.SelectOption(label="a"), discord.SelectOption(label="b")])
    async def pick(self, interaction: discord.Interaction, select: discord.ui.Select) -> None:
        await interaction.response.send_modal(Reason())


class TinyBot(commands.Bot):
    """The smallest bot exercising every harness path."""

    def __init__(self) -> None:
        intents = discord.Intents.default()
        intents.members = intents.message_content = True
        super().__init__(command_prefix="!", intents=intents)
        group = app_commands.Group(name="govmod", description="govmod")
        watch = app_commands.Group(name="watch", description="watch", parent=group)

        @group.command(name="ping", description="ping")
        async def ping(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("pong", ephemeral=True)

        @watch.command(name="add", description="watch a channel")
        async def watch_add(interaction: discord.Interaction, channel: discord.ForumChannel | discord.TextChannel,
                            threshold: float = 0.5) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            seen.setdefault("watch", []).append((channel, threshold))
            await interaction.followup.send(f"watching {channel.mention} at {threshold}", ephemeral=True)

        @app_commands.context_menu(name="Report to mods")
        async def report(interaction: discord.Interaction, message: discord.Message) -> None:
            await interaction.response.send_message(f"reported {message.id} by {message.author}", ephemeral=True)

        @app_commands.context_menu(name="Inspect")
        async def inspect(interaction: discord.Interaction, user: discord.Member) -> None:
            await interaction.response.send_message(f"{user} joined", view=Pick(), file=discord.File(
                io.BytesIO(b"PNG"), "chart.png"))

        @group.command(name="broken", description="raises")
        async def broken(interaction: discord.Interaction) -> None:
            raise ValueError("broken command")

        self.tree.add_command(group)
        self.tree.add_command(report)
        self.tree.add_command(inspect)

    async def setup_hook(self) -> None:
        self.add_dynamic_items(CaseButton)

    async def on_message(self, message: discord.Message) -> None:
        seen.setdefault("message", []).append(message)
        if "delete me" in message.content:
            await message.delete()
        if message.content == "history":
            seen["history"] = [m.content async for m in message.channel.history(limit=2)]
            seen["fetched"] = await message.channel.fetch_message(message.id)
        if message.content == "alert":
            view = discord.ui.View(timeout=None).add_item(CaseButton(7, "dismiss"))
            await message.channel.send("Case #7", view=view)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        seen.setdefault("thread", []).append(thread)

    async def on_raw_reaction_add(self, event: discord.RawReactionActionEvent) -> None:
        seen.setdefault("reaction", []).append(event)

    async def on_member_join(self, member: discord.Member) -> None:
        seen.setdefault("join", []).append(member)
        await member.timeout(dt.timedelta(minutes=10), reason="new account")


@pytest.fixture
async def fake() -> Any:
    seen.clear()
    bot = TinyBot()
    async with FakeDiscord(bot) as fake:
        await fake.add_guild()
        yield fake


async def test_on_message_sees_real_message(fake: FakeDiscord) -> None:
    msg = await fake.dispatch_message("governance", "alice", "I propose we vote", mentions=["bob"])
    (got,) = seen["message"]
    assert got is msg and isinstance(got, discord.Message)
    assert isinstance(got.channel, discord.TextChannel) and got.channel.name == "governance"
    assert isinstance(got.author, discord.Member) and got.author.name == "alice"
    assert [r.name for r in got.author.roles] == ["@everyone", "Delegate"]
    assert got.content == "I propose we vote" and [m.name for m in got.mentions] == ["bob"]
    assert got.guild is fake.guild


async def test_forum_post_creates_thread_with_forum_parent(fake: FakeDiscord) -> None:
    thread = await fake.dispatch_thread_create("proposals", "bob", "DIP-1: fund grants", "Body", tags=["proposal"])
    (got,) = seen["thread"]
    assert got is thread and isinstance(thread.parent, discord.ForumChannel)
    assert [t.name for t in thread.applied_tags] == ["proposal"]
    assert thread.owner_id == fake.member("bob").id
    starter = seen["message"][-1]
    assert starter.id == thread.id and starter.channel == thread and starter.content == "Body"
    assert thread.starter_message is starter


async def test_reaction_and_edit(fake: FakeDiscord) -> None:
    msg = await fake.dispatch_message("general", "alice", "hello")
    await fake.dispatch_reaction(msg, "carol", "\N{THUMBS UP SIGN}")
    (event,) = seen["reaction"]
    assert event.message_id == msg.id and event.member.name == "carol" and str(event.emoji) == "\N{THUMBS UP SIGN}"
    edited = await fake.dispatch_edit(msg, "hello (edited)")
    assert edited.content == "hello (edited)" and edited.edited_at is not None


async def test_member_join_and_timeout_recorded(fake: FakeDiscord) -> None:
    born = p.now() - dt.timedelta(hours=2)
    member = await fake.dispatch_member_join(name="fresh", created_at=born)
    assert seen["join"] == [member] and abs((member.created_at - born).total_seconds()) < 1
    call = fake.http.last("PATCH", "/guilds/{guild_id}/members/{user_id}")
    assert call.args["user_id"] == str(member.id) and call.reason == "new account"
    assert call.json["communication_disabled_until"] is not None


async def test_message_delete_is_recorded(fake: FakeDiscord) -> None:
    msg = await fake.dispatch_message("governance", "bob", "please delete me")
    assert fake.http.calls_to("DELETE", f"/channels/{msg.channel.id}/messages/{msg.id}")
    assert msg.id in fake.http.deleted


async def test_slash_in_group_routed_with_ephemeral_reply(fake: FakeDiscord) -> None:
    res = await slash(fake.bot, "govmod ping", member="alice")
    assert res.response.type == 4 and res.content == "pong" and res.ephemeral
    assert res.interaction.command.qualified_name == "govmod ping"


async def test_slash_subcommand_group_defer_and_followup(fake: FakeDiscord) -> None:
    forum = fake.channel("proposals")
    res = await slash(fake.bot, "govmod watch add", channel=forum, threshold=0.8, member="mod")
    assert seen["watch"] == [(forum, 0.8)]
    assert res.deferred and res.response.ephemeral
    (followup,) = res.followups
    assert followup.content == f"watching {forum.mention} at 0.8" and followup.ephemeral


async def test_context_menu_on_message(fake: FakeDiscord) -> None:
    msg = await fake.dispatch_message("governance", "bob", "spam spam")
    res = await context_menu(fake.bot, "Report to mods", message=msg, member="alice")
    assert res.content == f"reported {msg.id} by bob" and res.ephemeral


async def test_dynamic_button_click_reads_permissions(fake: FakeDiscord) -> None:
    await fake.dispatch_message("mod-log", "mod", "alert")
    alert = fake.http.last("POST", "/channels/{id}/messages")
    assert alert.json["content"] == "Case #7" and alert.json["components"]
    res = await click(fake.bot, "govmod:case:7:dismiss", member="mod", message=alert.result)
    ((case_id, action, perms),) = seen["click"]
    assert (case_id, action) == (7, "dismiss") and perms.moderate_members and perms.manage_messages
    assert res.response.type == 7 and res.content == "case 7: dismiss" and res.response.components == []
    assert res.response.message["id"] == alert.result["id"]  # UPDATE_MESSAGE edits the clicked message

    await click(fake.bot, "govmod:case:8:ban", member="bob")
    assert not seen["click"][-1][2].moderate_members


async def test_handler_errors_surface(fake: FakeDiscord) -> None:
    @fake.bot.listen("on_message")
    async def boom(message: discord.Message) -> None:
        raise RuntimeError("kaboom")

    with pytest.raises(HarnessError, match="kaboom"):
        await fake.dispatch_message("general", "bob", "hi")


async def test_history_fetch_user_menu_select_modal(fake: FakeDiscord) -> None:
    chan = fake.channel("general")
    fake.http.preload_history(chan.id, [p.message(channel_id=chan.id, guild_id=fake.guild.id, author=p.user("x"),
                                                  content=f"old {i}") for i in range(3)])
    msg = await fake.dispatch_message(chan, "bob", "history")
    assert seen["history"] == ["old 2", "old 1"] and seen["fetched"].id == msg.id

    res = await context_menu(fake.bot, "Inspect", user="carol", member="mod")
    assert res.content == "carol joined" and res.response.files == [("chart.png", b"PNG")]
    picked = await click(fake.bot, "pick", values=["b"], member="mod", message=res.response.message)
    assert picked.modal["title"] == "Why?"
    done = await submit_modal(fake.bot, picked.modal["custom_id"], {"reason": "spam"}, member="mod")
    assert done.content == "because spam" and done.ephemeral


async def test_command_errors_surface(fake: FakeDiscord) -> None:
    with pytest.raises(HarnessError, match="broken command"):
        await slash(fake.bot, "govmod broken")
