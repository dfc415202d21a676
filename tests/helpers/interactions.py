"""Invoke slash commands, context menus and components, and capture the bot's interaction replies.

Needs a started ``FakeDiscord(bot)``. Each helper builds INTERACTION_CREATE, calls
``bot._connection.parse_interaction_create`` (discord.py routes it to the command tree, a
persistent view or a ``DynamicItem``), settles, and returns an ``InteractionResult``::

    res = await slash(bot, "govmod watch add", channel=forum, member="mod")
    assert res.ephemeral and "watching" in res.content

    res = await context_menu(bot, "Report to mods", message=msg, member="alice")
    res = await click(bot, "govmod:case:7:dismiss", member="mod", message=alert_payload)
    if res.modal:                                   # the bot opened a modal: fill it in
        res = await submit_modal(bot, res.modal["custom_id"], {"reason": "spam"}, member="mod")
    assert res.response.type == 7 or res.deferred   # 7 = UPDATE_MESSAGE, 5/6 = deferred

Command options are passed as keyword arguments and encoded by the parameter types the command
declares (channels/members/roles/attachments go into ``resolved`` as Discord sends them). The
keywords ``member`` (invoker), ``in_channel`` (where it was used; default: first text channel),
``perms`` (invoker's permissions; default: computed from roles), ``app_perms`` and ``guild`` are
reserved: pass an option with one of those names via ``options={"member": bob}``.

Replies are recorded by ``FakeWebhookAdapter`` (installed as discord.py's webhook adapter) as
``WebhookCall`` objects: kind "response" (create_interaction_response: ``type`` 4 message, 5
deferred, 6 deferred update, 7 update message, 9 modal), "followup", "edit_original",
"edit_followup", "delete_original", "delete_followup", "get_original". Ephemeral means flag 64.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from . import interaction_payloads as ip
from . import payloads as p
from .gateway import FakeDiscord, HarnessError
from .http import FakeWebhookAdapter, WebhookCall

__all__ = ["FakeWebhookAdapter", "InteractionResult", "WebhookCall", "click", "click_together", "context_menu", "slash",
           "submit_modal"]

RESERVED = ("member", "in_channel", "perms", "app_perms", "guild")


@dataclass
class InteractionResult:
    """What one interaction produced: the parsed ``discord.Interaction`` and the bot's replies."""

    interaction: discord.Interaction | None
    payload: p.Payload
    calls: list[WebhookCall]

    def _kind(self, kind: str) -> list[WebhookCall]:
        return [c for c in self.calls if c.kind == kind]

    @property
    def response(self) -> WebhookCall | None:
        """The initial response (``interaction.response.*``), if any."""
        found = self._kind("response")
        return found[0] if found else None

    @property
    def followups(self) -> list[WebhookCall]:
        return self._kind("followup")

    @property
    def edits(self) -> list[WebhookCall]:
        return self._kind("edit_original")

    @property
    def deferred(self) -> bool:
        return self.response is not None and self.response.type in (5, 6)

    @property
    def messages(self) -> list[WebhookCall]:
        """Every call that carried message content, in order (response, followups, edits)."""
        return [c for c in self.calls if c.kind in ("followup", "edit_original", "edit_followup")
                or (c.kind == "response" and c.type in (4, 7))]

    @property
    def last(self) -> WebhookCall:
        assert self.messages, f"the interaction produced no message; calls: {self.calls}"
        return self.messages[-1]

    @property
    def content(self) -> str | None:
        """Content of the last message sent or edited."""
        return self.last.content

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.last.embeds

    @property
    def modal(self) -> dict[str, Any] | None:
        """The modal the bot opened (response type 9): ``custom_id``, ``title``, ``components``."""
        return self.response.data if self.response is not None and self.response.type == 9 else None

    @property
    def ephemeral(self) -> bool:
        """Whether the reply is ephemeral (initial response flags, incl. an ephemeral defer)."""
        return self.response.ephemeral if self.response is not None else self.last.ephemeral


# --- building and dispatching -----------------------------------------------------------------


def _start(bot: discord.Client, payload: p.Payload) -> Any:
    """Dispatch one INTERACTION_CREATE; return a function that collects its result after settling."""
    fake = FakeDiscord.of(bot)
    fake.webhooks.begin(payload)
    captured: list[discord.Interaction] = []
    future = bot.loop.create_future()
    future.add_done_callback(lambda f: captured.append(f.result()) if not f.cancelled() else None)
    bot._listeners.setdefault("interaction", []).append((future, lambda i: i.id == int(payload["id"])))
    fake.state.parse_interaction_create(payload)

    def finish() -> InteractionResult:
        if not future.done():
            future.cancel()
        return InteractionResult(captured[0] if captured else None, payload,
                                 fake.webhooks.for_token(payload["token"]))

    return finish


async def _run(bot: discord.Client, payload: p.Payload) -> InteractionResult:
    finish = _start(bot, payload)
    await FakeDiscord.of(bot).settle()
    return finish()


def _context(bot: discord.Client, member: Any, in_channel: Any, guild: Any, perms: Any) -> tuple[Any, ...]:
    """Resolve invoker, channel, guild and the invoker's member payload with ``permissions``."""
    fake = FakeDiscord.of(bot)
    g = fake._guild(guild)
    who = fake.member(member if member is not None else g.owner_id, g)
    chan = fake.channel(in_channel, g) if in_channel is not None else g.text_channels[0]
    value = perms if perms is not None else chan.permissions_for(who)
    return fake, g, chan, p.from_member(who, permissions=value)


def _build(itype: int, data: p.Payload, ctx: tuple[Any, ...], app_perms: Any,
           message: p.Payload | None = None) -> p.Payload:
    fake, g, chan, member_payload = ctx
    return ip.interaction(type=itype, data=data, guild_id=g.id, channel=p.from_channel(chan), member=member_payload,
                         app_permissions=app_perms if app_perms is not None else chan.permissions_for(g.me),
                         application_id=fake.application_id, message=message)


def _find_command(bot: Any, path: list[str], guild: discord.Guild) -> tuple[Any, bool]:
    tree: app_commands.CommandTree = bot.tree
    cmd, in_guild = tree.get_command(path[0], guild=guild), True
    if cmd is None:
        cmd, in_guild = tree.get_command(path[0]), False
    for part in path[1:]:
        cmd = cmd.get_command(part) if isinstance(cmd, app_commands.Group) else None
    if not isinstance(cmd, app_commands.Command):
        raise HarnessError(f"no slash command /{' '.join(path)} in bot.tree")
    return cmd, in_guild


def _encode(fake: FakeDiscord, opt_type: discord.AppCommandOptionType, value: Any, resolved: dict[str, Any],
            guild: discord.Guild) -> Any:
    """Encode one option value as Discord sends it, filling ``resolved`` for entities."""
    t = discord.AppCommandOptionType
    if isinstance(value, app_commands.Choice):
        value = value.value
    if isinstance(value, enum.Enum):
        value = value.value if isinstance(value.value, str | int | float) else value.name
    if opt_type in (t.user, t.mentionable) and not isinstance(value, discord.Role):
        m = fake.member(value, guild)
        data = p.from_member(m, permissions=m.guild_permissions)
        resolved.setdefault("users", {})[str(m.id)] = data["user"]
        resolved.setdefault("members", {})[str(m.id)] = p.without_user(data)
        return str(m.id)
    if opt_type in (t.role, t.mentionable):
        r = value if isinstance(value, discord.Role) else fake.role(value, guild)
        resolved.setdefault("roles", {})[str(r.id)] = p.role(r.name, id=r.id, permissions=r.permissions,
                                                             position=r.position)
        return str(r.id)
    if opt_type is t.channel:
        chan = fake.channel(value, guild)
        resolved.setdefault("channels", {})[str(chan.id)] = ip.resolved_channel(
            p.from_channel(chan), permissions=chan.permissions_for(guild.me))
        return str(chan.id)
    if opt_type is t.attachment:
        data = value if isinstance(value, dict) else p.attachment(str(value))
        resolved.setdefault("attachments", {})[data["id"]] = data
        return data["id"]
    return value


async def slash(bot: Any, command: str, *, member: Any = None, in_channel: Any = None, perms: Any = None,
                app_perms: Any = None, guild: Any = None, options: dict[str, Any] | None = None,
                **kwargs: Any) -> InteractionResult:
    """Invoke ``/command`` (e.g. ``"govmod watch add"``) with options; return the captured replies."""
    fake = FakeDiscord.of(bot)
    g = fake._guild(guild)
    path = command.lstrip("/").split()
    cmd, in_guild = _find_command(bot, path, g)
    values = {k: v for k, v in {**kwargs, **(options or {})}.items() if v is not None}
    names = {prm.display_name: prm for prm in cmd.parameters}
    clash = [n for n in RESERVED if n in names and n not in (options or {})]
    if clash:
        raise HarnessError(f"/{command} has option(s) {clash} named like slash() keywords; pass options={{...}}")
    resolved: dict[str, Any] = {}
    leaf = []
    for name, value in values.items():
        if name not in names:
            raise HarnessError(f"/{command} has no option {name!r}; options: {sorted(names)}")
        leaf.append(ip.option(name, names[name].type.value, _encode(fake, names[name].type, value, resolved, g)))
    for depth, name in enumerate(reversed(path[1:])):  # wrap: innermost is the subcommand (1), then groups (2)
        leaf = [ip.option(name, 1 if depth == 0 else 2, options=leaf)]
    data = ip.slash_data(path[0], options=leaf, resolved=resolved, guild_id=g.id if in_guild else None)
    ctx = _context(bot, member, in_channel, g, perms)
    return await _run(bot, _build(2, data, ctx, app_perms))


async def context_menu(bot: Any, name: str, *, message: Any = None, user: Any = None, member: Any = None,
                       in_channel: Any = None, perms: Any = None, app_perms: Any = None,
                       guild: Any = None) -> InteractionResult:
    """Invoke a message (``message=``) or user (``user=``) context-menu command by its name."""
    fake = FakeDiscord.of(bot)
    g = fake._guild(guild)
    registered = bot.tree.get_command(name, guild=g, type=discord.AppCommandType.message if message is not None
                                      else discord.AppCommandType.user)
    gid = g.id if registered is not None else None
    if message is not None:
        target = fake.message_payload(message)
        data = ip.message_command_data(name, target, guild_id=gid)
        in_channel = in_channel if in_channel is not None else int(target["channel_id"])
    else:
        target_member = fake.member(user, g)
        data = ip.user_command_data(name, p.from_member(target_member, permissions=0), guild_id=gid)
    ctx = _context(bot, member, in_channel, g, perms)
    return await _run(bot, _build(2, data, ctx, app_perms))


def _has_component(components: list[dict[str, Any]], custom_id: str) -> bool:
    for comp in components:
        if comp.get("custom_id") == custom_id or _has_component(comp.get("components") or [], custom_id):
            return True
    return False


async def click(bot: Any, custom_id: str, *, member: Any = None, message: Any = None, values: list[str] | None = None,
                in_channel: Any = None, perms: Any = None, app_perms: Any = None,
                guild: Any = None) -> InteractionResult:
    """Click a button (or choose ``values`` in a select) with ``custom_id`` on ``message``.

    ``message`` is a payload/``discord.Message``/id the button is on (e.g. what the bot sent, from
    ``fake.http.messages``). Without one, a bot message holding just this component is made up.
    A message whose components lack ``custom_id`` is an error: discord.py would ignore the click.
    """
    return await _run(bot, _click_payload(bot, custom_id, member=member, message=message, values=values,
                                          in_channel=in_channel, perms=perms, app_perms=app_perms, guild=guild))


def _click_payload(bot: Any, custom_id: str, *, member: Any = None, message: Any = None,
                   values: list[str] | None = None, in_channel: Any = None, perms: Any = None,
                   app_perms: Any = None, guild: Any = None) -> p.Payload:
    fake = FakeDiscord.of(bot)
    g = fake._guild(guild)
    ctype = p.SELECT if values is not None else p.BUTTON
    comp = ip.select(custom_id, values or ()) if values is not None else ip.button(custom_id)
    if message is None:
        chan = fake.channel(in_channel, g) if in_channel is not None else g.text_channels[0]
        msg = fake.http.new_message(chan.id, {"components": [ip.action_row(comp)]}, [])
    else:
        msg = copy.deepcopy(fake.message_payload(message))
        if not msg.get("components"):
            msg["components"] = [ip.action_row(comp)]
        elif not _has_component(msg["components"], custom_id):
            raise HarnessError(f"message {msg['id']} has no component {custom_id!r}")
    in_channel = in_channel if in_channel is not None else int(msg["channel_id"])
    ctx = _context(bot, member, in_channel, g, perms)
    data = ip.component_data(custom_id, component_type=ctype, values=values)
    return _build(3, data, ctx, app_perms, message=msg)


async def click_together(bot: Any, *clicks: dict[str, Any]) -> list[InteractionResult]:
    """Dispatch several clicks before any is handled (two moderators at once); each dict holds ``click`` args.

    The handlers run interleaved on the event loop, exactly as simultaneous interactions do.
    """
    payloads = [_click_payload(bot, **c) for c in clicks]
    finishers = [_start(bot, payload) for payload in payloads]
    await FakeDiscord.of(bot).settle()
    return [finish() for finish in finishers]


async def submit_modal(bot: Any, custom_id: str, fields: dict[str, str], *, member: Any = None,
                       in_channel: Any = None, perms: Any = None, app_perms: Any = None,
                       guild: Any = None) -> InteractionResult:
    """Submit the modal ``custom_id`` (see ``InteractionResult.modal``) with text input values by custom_id."""
    g = FakeDiscord.of(bot)._guild(guild)
    rows = [ip.action_row({"type": 4, "custom_id": key, "value": value}) for key, value in fields.items()]
    ctx = _context(bot, member, in_channel, g, perms)
    return await _run(bot, _build(5, {"custom_id": custom_id, "components": rows}, ctx, app_perms))
