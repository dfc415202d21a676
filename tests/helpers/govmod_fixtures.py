"""govmod on the fake-Discord harness: tiny detectors, a GovmodBot built on them, and a configured guild."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord

from bot.client import GovmodBot
from bot.domain import DetectorOutput, MemberJoin, Post, Reaction
from bot.live import LiveScorer
from bot.pipeline import BatchContext, Pipeline
from bot.service import ScanService
from bot.settings import Settings
from bot.storage import Database

from .clock import FakeClock
from .gateway import FakeDiscord, default_guild


class FakeToxicity:
    """Flag text containing "idiot" with 0.95 (stands in for the toxicity model)."""

    name = "toxicity"
    version = "fake-tox-1"
    needs_embedding = False
    default_threshold = 0.5

    def __init__(self, delay: float = 0.0) -> None:
        """Optionally sleep `delay` seconds per batch (a slow model, in the worker thread)."""
        self.delay = delay
        self.batches: list[int] = []

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score each post by keyword."""
        self.batches.append(len(posts))
        if self.delay:
            time.sleep(self.delay)
        return [DetectorOutput(0.95, {"summary": "calls someone an idiot"}) if "idiot" in t.lower()
                else DetectorOutput(0.02) for t in ctx.texts]


class FakeCoordination:
    """Put posts containing "VOTE YES" into one cluster once two or more accounts post it."""

    name = "coordination"
    version = "fake-coord-1"
    needs_embedding = False
    default_threshold = 0.5

    def __init__(self) -> None:
        """Start with no campaign."""
        self.members: dict[str, str] = {}  # post id -> author id
        self.events: list[Reaction | MemberJoin] = []
        self._revised: dict[str, DetectorOutput] = {}

    def _out(self) -> DetectorOutput:
        accounts = len(set(self.members.values()))
        if accounts < 2:
            return DetectorOutput(0.3)
        return DetectorOutput(0.9, {"summary": f"{accounts} accounts posted the same text"}, "vote-yes")

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score posts; earlier members are revised when the campaign appears."""
        before = len(set(self.members.values())) >= 2
        for post, text in zip(posts, ctx.texts, strict=True):
            if "vote yes" in text.lower():
                self.members[post.id] = post.author_id
        after = len(set(self.members.values())) >= 2
        if after and not before:
            ids = {p.id for p in posts}
            self._revised.update({pid: self._out() for pid in self.members if pid not in ids})
        return [self._out() if "vote yes" in t.lower() else DetectorOutput(0.0) for t in ctx.texts]

    def observe(self, event: Reaction | MemberJoin) -> None:
        """Remember reactions and joins."""
        self.events.append(event)

    def revisions(self) -> dict[str, DetectorOutput]:
        """Return and clear revised outputs."""
        out, self._revised = self._revised, {}
        return out


class FakeGradedToxicity:
    """Score text by how often it says "idiot": once 0.7, twice 0.8, three times or more 0.9."""

    name = "toxicity"
    version = "fake-tox-graded-1"
    needs_embedding = False
    default_threshold = 0.5

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score each post by keyword count."""
        out = []
        for text in ctx.texts:
            n = text.lower().count("idiot")
            out.append(DetectorOutput(min(0.9, 0.6 + 0.1 * n), {"summary": f"{n} insult(s)"}) if n
                       else DetectorOutput(0.02))
        return out


class FakeCampaigns:
    """Two phrases, "plan a" and "plan b", each a campaign once two accounts post it; a post with both merges them.

    On a merge the older campaign keeps its id (as the real coordination detector does) and every post of the
    absorbed one is revised into it.
    """

    name = "coordination"
    version = "fake-campaigns-1"
    needs_embedding = False
    default_threshold = 0.5
    PHRASES = ("plan a", "plan b")

    def __init__(self) -> None:
        """Start with no campaign."""
        self.root: dict[str, str] = {k: k for k in self.PHRASES}
        self.members: dict[str, tuple[str, str]] = {}  # post id -> (phrase root, author)
        self.first: dict[str, int] = {}  # phrase -> order of its first post
        self._revised: dict[str, DetectorOutput] = {}

    def _out(self, root: str) -> DetectorOutput:
        authors = {a for r, a in self.members.values() if r == root}
        if len(authors) < 2:
            return DetectorOutput(0.3)
        return DetectorOutput(0.9, {"summary": f"{len(authors)} accounts posted it"}, f"camp-{root}")

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Index posts in order, merge campaigns a post bridges, revise earlier posts whose campaign changed."""
        before = {pid: self._out(r).cluster for pid, (r, _) in self.members.items()}
        mine: list[str | None] = []
        for post, text in zip(posts, ctx.texts, strict=True):
            roots = {self.root[k] for k in self.PHRASES if k in text.lower()}
            for root in roots:
                self.first.setdefault(root, len(self.first))
            if not roots:
                mine.append(None)
                continue
            keep = min(roots, key=lambda r: self.first[r])
            for gone in roots - {keep}:
                self.root = {k: keep if r == gone else r for k, r in self.root.items()}
                self.members = {pid: (keep if r == gone else r, a) for pid, (r, a) in self.members.items()}
            self.members[post.id] = (keep, post.author_id)
            mine.append(post.id)
        ids = {p.id for p in posts}
        for pid, (root, _) in self.members.items():
            out = self._out(root)
            if pid not in ids and out.cluster != before.get(pid):
                self._revised[pid] = out
        return [self._out(self.members[pid][0]) if pid else DetectorOutput(0.0) for pid in mine]

    def observe(self, event: Reaction | MemberJoin) -> None:
        """Ignore reactions and joins."""

    def revisions(self) -> dict[str, DetectorOutput]:
        """Return and clear revised outputs."""
        out, self._revised = self._revised, {}
        return out


STAFF_BOT_POSITION = 5


def staff_guild(*, governance_denies: Sequence[str] = ()) -> dict[str, Any]:
    """Return the default guild plus staff of every rank, for permission tests.

    Roles (bottom to top): Delegate 1, Reviewer 1 (no permissions; configure it with `alerts role`),
    Helper 1 (Manage Messages only), Moderator 2 (MODERATOR_PERMS), Council 3 (no permissions, above
    Moderator); start it with `running(..., bot_role_position=STAFF_BOT_POSITION)` so the bot is above all.
    Members: owner, mod and mod2 (Moderator), alice (Delegate), bob, carol, helper, reviewer, councillor
    (Council). `governance_denies` names roles denied Manage Messages in #governance (a channel overwrite).
    """
    from .payloads import MODERATOR_PERMS, member, role

    base = default_guild()
    roles = {r["name"]: r for r in base["roles"]}
    moderator = roles["Moderator"]
    extra = {"Reviewer": role("Reviewer", position=1), "Helper": role("Helper", position=1,
             permissions=discord.Permissions(manage_messages=True)), "Council": role("Council", position=3)}
    moderator["position"] = 2
    assert moderator["permissions"] == str(MODERATOR_PERMS.value)
    base["roles"] += list(extra.values())
    roles.update(extra)
    old = next(m for m in base["members"] if m["user"]["username"] == "mod")["joined_at"]
    for name, held in (("mod2", "Moderator"), ("helper", "Helper"), ("reviewer", "Reviewer"),
                       ("councillor", "Council")):
        added = member(name=name, roles=[roles[held]])
        added["joined_at"] = old
        base["members"].append(added)
    base["member_count"] = len(base["members"])
    for channel in base["channels"]:
        if channel["name"] == "governance" and governance_denies:
            channel["permission_overwrites"] = [
                {"id": roles[n]["id"], "type": 0, "allow": "0",
                 "deny": str(discord.Permissions(manage_messages=True).value)} for n in governance_denies]
    return base


def make_settings(**pipeline: int) -> Settings:
    """Return settings that ignore any .env file."""
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update=pipeline)})


def make_bot(db: Database, detectors: Sequence[Any] | None = None, *, settings: Settings | None = None,
             **live_options: Any) -> GovmodBot:
    """Build GovmodBot on fake detectors, exactly as bot.__main__ does with real ones."""
    settings = settings or make_settings()
    pipeline = Pipeline(None, list(detectors) if detectors is not None else [FakeToxicity(), FakeCoordination()])
    service = ScanService(pipeline, db)
    options = {"queue_max": settings.pipeline.queue_max, "batch_max": settings.pipeline.batch_max,
               "batch_wait_ms": 5, **live_options}
    live = LiveScorer(service, **options)
    return GovmodBot(settings=settings, db=db, service=service, live=live, sync_commands=False)  # db's clock


@dataclass
class Running:
    """A started govmod bot on the fake gateway, with the standard guild configured."""

    bot: GovmodBot
    fake: FakeDiscord
    guild: discord.Guild

    @property
    def alert_channel(self) -> Any:
        """Return #mod-log, the configured alert channel."""
        return self.fake.channel("mod-log")

    async def idle(self) -> None:
        """Wait until everything queued is scored, alerts are sent, and listeners have finished."""
        await self.fake.settle()
        await self.bot.live.flush(5)
        await self.fake.settle()

    def alerts(self) -> list[dict[str, Any]]:
        """Return the messages the bot POSTed to the alert channel."""
        return self.fake.http.sent_messages(self.alert_channel.id)

    def alert_edits(self) -> list[Any]:
        """Return the PATCH calls on messages in the alert channel."""
        return self.fake.http.calls_to("PATCH", f"/channels/{self.alert_channel.id}/messages/{{id}}")


async def configure(db: Database, guild: discord.Guild, *, watch: Sequence[str] = ("governance", "proposals"),
                    alerts: str | None = "mod-log", **settings: Any) -> None:
    """Watch channels and set the alert channel directly in storage."""
    from bot.storage import GuildRepo

    repo = GuildRepo(db)
    async with db.transaction():
        for name in watch:
            channel = discord.utils.get(guild.channels, name=name)
            assert channel is not None, name
            await repo.watch(str(guild.id), str(channel.id))
        values = dict(settings)
        if alerts:
            channel = discord.utils.get(guild.channels, name=alerts)
            assert channel is not None
            values["alert_channel_id"] = str(channel.id)
        if values:
            await repo.update(str(guild.id), **values)


@asynccontextmanager
async def running(db_path: Path | str, detectors: Sequence[Any] | None = None, *, configured: bool = True,
                  guild_payload: dict[str, Any] | None = None, clock: FakeClock | None = None,
                  bot_role_position: int = 3, **options: Any) -> AsyncIterator[Running]:
    """Open the database, start govmod on the fake gateway with the default guild, close everything after.

    The bot and its storage read `clock` (default: a fresh `FakeClock` at the harness's fixed "now").
    """
    db = await Database.open(db_path, clock=clock or FakeClock())
    try:
        bot = make_bot(db, detectors, **options)
        async with FakeDiscord(bot) as fake:
            fake.http.respond("GET", "/channels/{id}/threads/archived/public",
                              {"threads": [], "members": [], "has_more": False})
            guild = await fake.add_guild(guild_payload, bot_role_position=bot_role_position)
            if configured:
                await configure(db, guild)
                bot.service.forget(str(guild.id))  # the watcher loaded the config when the guild appeared
            yield Running(bot, fake, guild)
    finally:
        await db.close()
