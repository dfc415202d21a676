"""Drive any ``commands.Bot`` through discord.py's own gateway parsers, with no network.

``FakeDiscord`` gives the bot's ``ConnectionState`` a bot user and application id, routes REST
through an ``HttpRecorder`` and interaction replies through a fake webhook adapter, then feeds
real-shaped payloads to ``bot._connection.parse_<event>`` and waits for the listeners::

    bot = MyBot(...)                              # any commands.Bot; nothing is started
    async with FakeDiscord(bot) as fake:          # runs bot.setup_hook() (loads cogs), marks ready
        guild = await fake.add_guild()            # default DAO guild, see default_guild()
        msg = await fake.dispatch_message("governance", "alice", "vote yes!")
        thread = await fake.dispatch_thread_create("proposals", "bob", "DIP-1", "Text", tags=["proposal"])
        await fake.dispatch_reaction(msg, "carol", "\N{THUMBS UP SIGN}")
        member = await fake.dispatch_member_join(name="newbie")
        assert fake.http.calls_to("POST", "/channels/{id}/messages")

Channels and members may be given as discord.py objects, ids, or names (looked up in the last
added guild). Every ``dispatch_*`` ends with ``settle()``: it waits until every task spawned since
start-up (listeners, command invocations, view callbacks and what they spawn) has finished, and
re-raises exceptions that discord.py would only have logged (``HarnessError``). Set
``fake.raise_errors = False`` to inspect ``fake.errors`` instead; register long-lived tasks a
listener starts with ``fake.ignore_task(task)`` so ``settle`` does not wait on them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import discord
import discord.interactions as d_interactions
import discord.webhook.async_ as d_webhook
from discord.ext import commands

from . import payloads as p
from .http import FakeWebhookAdapter, HttpRecorder

_registry: weakref.WeakKeyDictionary[discord.Client, FakeDiscord] = weakref.WeakKeyDictionary()
# Coroutines that only sleep until a timer fires; settle() never waits for them.
_TIMER_QUALNAMES = ("__timeout_task_impl", "inner_call", "Message.delete.<locals>.delete", "Loop._loop")


class HarnessError(AssertionError):
    """An exception raised inside a listener/command/view, or a settle() timeout."""


class _ErrorCatcher(logging.Handler):
    """Collect log records carrying exceptions (discord.py logs, not raises, handler errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            self.records.append(record)


def default_guild(**overrides: Any) -> p.Payload:
    """Build the standard test guild.

    Channels: #general, #governance, #mod-log (text), #proposals (forum; tags proposal, question,
    spam). Roles: Moderator (MODERATOR_PERMS), Delegate. Members: owner, mod (Moderator), alice
    (Delegate), bob, carol. The bot member is added by ``FakeDiscord.add_guild``.
    """
    moderator = p.role("Moderator", permissions=p.MODERATOR_PERMS, position=2)
    delegate = p.role("Delegate", position=1)
    old = p.now() - dt.timedelta(days=400)
    members = [p.member(name=n, roles=r, created_at=old, joined_at=old + dt.timedelta(days=1))
               for n, r in (("owner", []), ("mod", [moderator]), ("alice", [delegate]), ("bob", []), ("carol", []))]
    spec: dict[str, Any] = {
        "channels": [p.text_channel("general", position=0), p.text_channel("governance", position=1),
                     p.text_channel("mod-log", position=2),
                     p.forum_channel("proposals", position=3, tags=("proposal", "question", "spam"))],
        "roles": [moderator, delegate], "members": members, "owner_id": members[0]["user"],
    }
    spec.update(overrides)
    return p.guild(**spec)


class FakeDiscord:
    """A fake gateway + REST + webhook side of Discord wrapped around one ``commands.Bot``."""

    def __init__(self, bot: commands.Bot, *, bot_user: p.Payload | None = None,
                 application_id: int = p.APPLICATION_ID, settle_timeout: float = 5.0,
                 error_loggers: Iterable[str] = ("discord",)) -> None:
        self.bot = bot
        self.bot_user = bot_user or p.user(bot.__class__.__name__.lower(), id=application_id, bot=True)
        self.application_id = application_id
        self.http = HttpRecorder(bot_user=self.bot_user)
        self.webhooks = FakeWebhookAdapter(self.http, self.bot_user)
        self.settle_timeout = settle_timeout
        self.raise_errors = True
        self.guild: discord.Guild | None = None
        self._catcher = _ErrorCatcher()
        self._error_loggers = tuple(error_loggers)
        self._baseline: set[asyncio.Task[Any]] = set()  # tasks settle() never waits for (pre-existing)
        self._before: set[asyncio.Task[Any]] = set()  # tasks that existed before start(); close() spares them
        self._ignored: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._saved_contexts: list[tuple[Any, ContextVar[Any]]] = []
        self._members: dict[int, dict[int, p.Payload]] = {}  # guild id -> user id -> member payload
        self._started = False
        _registry[bot] = self

    @classmethod
    def of(cls, bot: discord.Client) -> FakeDiscord:
        """Return the FakeDiscord wrapping ``bot`` (used by the interaction helpers)."""
        try:
            return _registry[bot]
        except KeyError:
            raise HarnessError("wrap the bot in FakeDiscord(bot) and start() it first") from None

    @property
    def state(self) -> Any:
        """The bot's ``discord.state.ConnectionState``."""
        return self.bot._connection

    # --- lifecycle ------------------------------------------------------------------------------

    async def start(self, *, setup_hook: bool = True, ready: bool = True) -> FakeDiscord:
        """Wire state, HTTP and webhooks; run ``bot.setup_hook()``; mark ready and dispatch on_ready."""
        bot, state = self.bot, self.state
        self._before = set(asyncio.all_tasks())
        if not isinstance(bot.loop, asyncio.AbstractEventLoop):
            await bot._async_setup_hook()  # binds bot.loop, http.loop, state.loop, bot._ready
        state.user = discord.ClientUser(state=state, data=self.bot_user)
        state.application_id = self.application_id
        state._chunk_guilds = False  # there is no gateway to request members from
        if getattr(bot, "tree", None) is not None:
            state._command_tree = bot.tree
        self.http.install(bot)
        # The adapter lives in a ContextVar; swap the module-level vars so every task sees the fake,
        # including tasks started from pytest fixtures running in another context.
        for module in (d_webhook, d_interactions):
            self._saved_contexts.append((module, module.async_context))
            module.async_context = ContextVar("async_webhook_context", default=self.webhooks)
        for name in self._error_loggers:
            logging.getLogger(name).addHandler(self._catcher)
        self._started = True
        if setup_hook:
            await bot.setup_hook()
        self._baseline = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
        if ready:
            bot._ready.set()
            bot.dispatch("ready")
            await self.settle()
        return self

    async def close(self, *, close_bot: bool = True) -> None:
        """Close the bot (unloads cogs), cancel leftover tasks (timers too), undo the global patches."""
        try:
            if close_bot and self._started:
                await self.bot.close()
            current = asyncio.current_task()
            leftover = [t for t in asyncio.all_tasks() if t is not current and t not in self._before and not t.done()]
            for task in leftover:
                task.cancel()
            await asyncio.gather(*leftover, return_exceptions=True)
        finally:
            for module, var in reversed(self._saved_contexts):
                module.async_context = var
            self._saved_contexts.clear()
            for name in self._error_loggers:
                logging.getLogger(name).removeHandler(self._catcher)
            _registry.pop(self.bot, None)

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --- waiting ----------------------------------------------------------------------------------

    def ignore_task(self, task: asyncio.Task[Any]) -> None:
        """Tell ``settle()`` not to wait for a long-lived task (a worker a listener started)."""
        self._ignored.add(task)

    def _pending(self) -> list[asyncio.Task[Any]]:
        current = asyncio.current_task()
        out = []
        for task in asyncio.all_tasks():
            qualname = getattr(task.get_coro(), "__qualname__", "")
            if (task is current or task in self._baseline or task in self._ignored or task.done()
                    or qualname.endswith(_TIMER_QUALNAMES)):
                continue
            out.append(task)
        return out

    async def settle(self, timeout: float | None = None) -> None:
        """Yield to the loop until all dispatched tasks (and tasks they spawned) have finished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.settle_timeout)
        while True:
            for _ in range(5):
                await asyncio.sleep(0)
            pending = self._pending()
            if not pending:
                break
            remaining = deadline - loop.time()
            if remaining <= 0:
                names = [t.get_name() + ":" + getattr(t.get_coro(), "__qualname__", "?") for t in pending]
                raise HarnessError(f"settle(): tasks still running: {names}; use fake.ignore_task() "
                                   "for long-lived workers")
            await asyncio.wait(pending, timeout=remaining)
        self.check_errors()

    @property
    def errors(self) -> list[logging.LogRecord]:
        """Log records with exceptions captured so far (cleared by ``check_errors``)."""
        return self._catcher.records

    def check_errors(self) -> None:
        """Raise ``HarnessError`` for captured handler exceptions if ``raise_errors`` is set."""
        if not self.raise_errors or not self._catcher.records:
            return
        records, self._catcher.records = self._catcher.records, []
        text = "\n\n".join(logging.Formatter().format(r) for r in records)
        exc = records[0].exc_info[1] if records[0].exc_info else None
        raise HarnessError(f"{len(records)} error(s) in bot handlers:\n{text}") from exc

    # --- lookups -----------------------------------------------------------------------------------

    def _guild(self, guild: discord.Guild | int | None) -> discord.Guild:
        if isinstance(guild, discord.Guild):
            return guild
        found = self.bot.get_guild(guild) if guild else self.guild
        if found is None:
            raise HarnessError(f"unknown guild {guild!r}; call add_guild() first")
        return found

    def channel(self, ref: Any, guild: discord.Guild | int | None = None) -> Any:
        """Resolve a channel/thread given as object, id or name."""
        if not isinstance(ref, int | str):
            return ref
        g = self._guild(guild)
        found = (g.get_channel_or_thread(ref) if isinstance(ref, int)
                 else discord.utils.get([*g.channels, *g.threads], name=ref))
        if found is None:
            raise HarnessError(f"unknown channel {ref!r} in {g.name}")
        return found

    def member(self, ref: Any, guild: discord.Guild | int | None = None) -> discord.Member:
        """Resolve a member given as object, id or (user)name."""
        if isinstance(ref, discord.Member):
            return ref
        g = self._guild(guild)
        found = g.get_member(ref) if isinstance(ref, int) else g.get_member_named(str(ref))
        if found is not None:
            return found
        # Without the members intent discord.py does not cache GUILD_CREATE members: use our payloads.
        for data in self._members.get(g.id, {}).values():
            if ref in (int(data["user"]["id"]), data["user"]["username"]):
                return discord.Member(data=data, guild=g, state=self.state)
        raise HarnessError(f"unknown member {ref!r} in {g.name}")

    def role(self, name: str, guild: discord.Guild | int | None = None) -> discord.Role:
        """Resolve a role by name."""
        found = discord.utils.get(self._guild(guild).roles, name=name)
        if found is None:
            raise HarnessError(f"unknown role {name!r}")
        return found

    # --- gateway events ----------------------------------------------------------------------------

    async def dispatch(self, event: str, payload: p.Payload) -> None:
        """Feed any gateway event (e.g. ``"MESSAGE_DELETE"``) to its parser, then settle."""
        self.state.parsers[event.upper()](payload)
        await self.settle()

    async def add_guild(self, payload: p.Payload | None = None, *, bot_permissions: Any = p.BOT_PERMS,
                        event: str = "available", bot_role_position: int = 3) -> discord.Guild:
        """Parse GUILD_CREATE (default: ``default_guild()``), adding the bot as a member with its own role.

        ``event="available"`` dispatches on_guild_available (a restart), ``"join"`` on_guild_join.
        """
        data = payload or default_guild()
        if not any(m["user"]["id"] == self.bot_user["id"] for m in data["members"]):
            bot_role = p.role(self.bot_user["username"], permissions=bot_permissions, position=bot_role_position,
                              managed=True)
            data["roles"].append(bot_role)
            data["members"].append(p.member(self.bot_user, roles=[bot_role]))
            data["member_count"] = len(data["members"])
        if event == "join":
            data = {k: v for k, v in data.items() if k != "unavailable"}
        self._members[int(data["id"])] = {int(m["user"]["id"]): m for m in data["members"]}
        self.state.parse_guild_create(data)
        self.guild = self.bot.get_guild(int(data["id"]))
        await self.settle()
        assert self.guild is not None
        return self.guild

    async def dispatch_message(self, channel: Any, author: Any, content: str = "", *,
                               mentions: Iterable[Any] = (), mention_roles: Iterable[Any] = (),
                               created_at: dt.datetime | None = None, **fields: Any) -> discord.Message:
        """Dispatch MESSAGE_CREATE from ``author`` in ``channel``; return the parsed ``discord.Message``."""
        chan = self.channel(channel)
        guild = chan.guild
        data = p.message(channel_id=chan.id, guild_id=guild.id, author=self._author(author, guild), content=content,
                         mentions=[p.from_member(self.member(m, guild)) for m in mentions],
                         mention_roles=list(mention_roles), created_at=created_at, **fields)
        return await self._create(chan, data)

    async def _create(self, chan: Any, data: p.Payload) -> discord.Message:
        self.http.remember(data)
        self.state.parse_message_create(data)
        await self.settle()
        return self.state._get_message(int(data["id"])) or discord.Message(state=self.state, channel=chan, data=data)

    def _author(self, author: Any, guild: discord.Guild) -> p.Payload:
        if isinstance(author, dict):
            return author
        if isinstance(author, discord.User):
            return p.from_user(author)
        return p.from_member(self.member(author, guild))

    def message_payload(self, message: discord.Message | p.Payload | int) -> p.Payload:
        """Return the stored payload of a message (object, id or payload)."""
        if isinstance(message, dict):
            return message
        mid = message if isinstance(message, int) else message.id
        if mid in self.http.messages:
            return self.http.messages[mid]
        if isinstance(message, discord.Message):
            return p.from_message(message)
        raise HarnessError(f"unknown message id {mid}")

    async def dispatch_edit(self, message: discord.Message | p.Payload | int, content: str | None = None,
                            **changes: Any) -> discord.Message:
        """Dispatch MESSAGE_UPDATE for a known message; return the updated ``discord.Message``."""
        data = p.message_update(self.message_payload(message), content=content, **changes)
        self.http.remember(data)
        self.state.parse_message_update(data)
        await self.settle()
        cached = self.state._get_message(int(data["id"]))
        return cached or discord.Message(state=self.state, channel=self.channel(int(data["channel_id"])), data=data)

    async def dispatch_thread_create(self, forum: Any, author: Any, name: str, content: str = "", *,
                                     tags: Iterable[str] = (), created_at: dt.datetime | None = None) -> discord.Thread:
        """Create a forum post: THREAD_CREATE then the starter MESSAGE_CREATE. Tags are given by name."""
        parent = self.channel(forum)
        guild = parent.guild
        tag_ids = [t.id for t in getattr(parent, "available_tags", []) if t.name in set(tags)]
        thread_data, starter = p.thread_create(name, forum=parent, guild_id=guild.id, content=content,
                                               author=self._author(author, guild), tags=tag_ids, created_at=created_at)
        self.state.parse_thread_create(thread_data)
        await self.settle()
        thread = guild.get_thread(int(thread_data["id"]))
        await self._create(thread, starter)
        assert thread is not None
        return thread

    async def dispatch_reaction(self, message: discord.Message | p.Payload, user: Any,
                                emoji: str | p.Payload = "\N{THUMBS UP SIGN}", *, burst: bool = False) -> None:
        """Dispatch MESSAGE_REACTION_ADD by ``user`` on ``message`` (reaches on_raw_reaction_add)."""
        data = self.message_payload(message)
        guild = self._guild(int(data["guild_id"]))
        member = self.member(user, guild)
        self.state.parse_message_reaction_add(p.reaction_add(
            user_id=member.id, channel_id=data["channel_id"], message_id=data["id"], guild_id=guild.id,
            emoji=emoji, member=p.from_member(member), message_author_id=data["author"]["id"], burst=burst))
        await self.settle()

    async def dispatch_member_join(self, guild: Any = None, *, name: str = "newcomer",
                                   created_at: dt.datetime | None = None, member: p.Payload | None = None
                                   ) -> discord.Member:
        """Dispatch GUILD_MEMBER_ADD (a brand-new account by default); return the ``discord.Member``."""
        g = self._guild(guild)
        data = member or p.member(name=name, created_at=created_at)
        self._members.setdefault(g.id, {})[int(data["user"]["id"])] = data
        self.state.parse_guild_member_add(p.member_add(data, guild_id=g.id))
        await self.settle()
        return g.get_member(int(data["user"]["id"])) or discord.Member(data=data, guild=g, state=self.state)
