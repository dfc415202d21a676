"""Record the bot's REST calls instead of sending them, and answer with plausible payloads.

``HttpRecorder.install(bot)`` replaces ``bot.http.request`` (the one choke point every REST call
of discord.py goes through). Each call is stored as a ``Call`` (method, concrete path, route
template, json, params, files, reason), so tests assert on what the bot *did*::

    sent = recorder.calls_to("POST", "/channels/{id}/messages")   # any {placeholder} matches one segment
    assert sent[-1].json["embeds"][0]["title"] == "Case #1"
    alert_payload = sent[-1].result                                # the message "Discord" created
    assert recorder.calls_to("DELETE", f"/channels/{chan.id}/messages/{msg.id}")
    timeout = recorder.last("PATCH", "/guilds/{g}/members/{u}").json["communication_disabled_until"]

Answers: send message -> a message payload with a new id (stored in ``recorder.messages``, so a
later click/edit/fetch finds it); edit -> the edited message; delete -> None; PATCH member (timeout,
nick, roles) -> the member with the change applied; GET channel messages -> what you preloaded with
``preload_history(channel_id, [payloads])`` honouring limit/before/after. Anything else answers
None unless you register ``respond(method, path, payload_or_callable)``; ``fail(method, path,
status)`` makes a route raise ``discord.Forbidden``/``NotFound``/``HTTPException``.
"""

from __future__ import annotations

import copy
import json as jsonlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import discord
from discord.http import Route
from discord.webhook.async_ import AsyncWebhookAdapter

from . import payloads as p

Handler = Callable[["Call"], Any]


@dataclass
class Call:
    """One recorded REST request."""

    method: str
    path: str  # concrete, e.g. /channels/123/messages
    template: str  # discord.py's route template, e.g. /channels/{channel_id}/messages
    json: Any = None
    params: dict[str, Any] | None = None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    reason: str | None = None
    args: dict[str, str] = field(default_factory=dict)  # template placeholders -> concrete values
    result: Any = None  # what the fake answered, e.g. the created message payload

    def __repr__(self) -> str:
        return f"<Call {self.method} {self.path} json={self.json!r}>"


class _FakeResponse:
    """Stand-in for aiohttp.ClientResponse, enough for discord.HTTPException."""

    def __init__(self, status: int, reason: str) -> None:
        self.status, self.reason, self.headers = status, reason, {}


def http_error(status: int, message: str = "error", code: int = 0) -> discord.HTTPException:
    """Build the discord.py exception Discord's ``status`` would produce."""
    cls = {403: discord.Forbidden, 404: discord.NotFound}.get(status, discord.HTTPException)
    if status >= 500:
        cls = discord.DiscordServerError
    return cls(_FakeResponse(status, message), {"message": message, "code": code})  # type: ignore[arg-type]


def path_matches(pattern: str, call: Call) -> bool:
    """Match a path pattern: literal path, discord.py template, or ``{any}`` placeholders."""
    if pattern in (call.path, call.template):
        return True
    if "{" not in pattern:
        return False
    regex = re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(pattern))
    return re.fullmatch(regex, call.path) is not None


def _concrete(route: Route) -> str:
    """Return the route's URL path without the API base."""
    return route.url[len(Route.BASE):] if route.url.startswith(Route.BASE) else route.url


def _template_args(route: Route, concrete: str) -> dict[str, str]:
    """Extract the template placeholder values of a concrete path."""
    names = re.findall(r"\{(\w+)\}", route.path)
    regex = re.sub(r"\\\{\w+\\\}", "([^/]+)", re.escape(route.path))
    match = re.fullmatch(regex, concrete)
    return dict(zip(names, match.groups(), strict=True)) if match else {}


class HttpRecorder:
    """Fake ``HTTPClient.request``: record every call and return plausible Discord payloads."""

    def __init__(self, *, bot_user: p.Payload | None = None) -> None:
        self.calls: list[Call] = []
        self.messages: dict[int, p.Payload] = {}  # every message payload seen or sent, by id
        self.deleted: set[int] = set()
        self.history: dict[int, list[p.Payload]] = {}
        self.bot_user = bot_user or p.user("govmod", id=p.BOT_USER_ID, bot=True)
        self._overrides: list[tuple[str, str, Any]] = []
        self._state: Any = None
        self._handlers: dict[tuple[str, str], Handler] = {
            ("POST", "/channels/{channel_id}/messages"): self._send_message,
            ("PATCH", "/channels/{channel_id}/messages/{message_id}"): self._edit_message,
            ("GET", "/channels/{channel_id}/messages/{message_id}"): self._get_message,
            ("DELETE", "/channels/{channel_id}/messages/{message_id}"): self._delete_message,
            ("GET", "/channels/{channel_id}/messages"): self._get_history,
            ("PATCH", "/guilds/{guild_id}/members/{user_id}"): self._edit_member,
            ("GET", "/guilds/{guild_id}/members/{user_id}"): self._edit_member,
            ("GET", "/guilds/{guild_id}/members/{member_id}"): self._edit_member,  # guild.fetch_member
            ("POST", "/users/@me/channels"): self._create_dm,
            ("PUT", "/applications/{application_id}/commands"): self._sync_commands,
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"): self._sync_commands,
        }

    # --- wiring -------------------------------------------------------------------------------

    def install(self, bot: discord.Client) -> HttpRecorder:
        """Route every REST call of ``bot`` through this recorder."""
        self._state = bot._connection
        bot.http.request = self.request  # type: ignore[method-assign]
        return self

    async def request(self, route: Route, *, files: Any = None, form: Any = None, **kwargs: Any) -> Any:
        """Record one request and answer it (signature of ``discord.http.HTTPClient.request``)."""
        body = kwargs.get("json")
        for part in form or []:
            if part.get("name") == "payload_json":
                body = jsonlib.loads(part["value"])
        concrete = _concrete(route)
        call = Call(route.method, concrete, route.path, copy.deepcopy(body), kwargs.get("params"),
                    read_files(files), kwargs.get("reason"), _template_args(route, concrete))
        self.calls.append(call)
        call.result = self._answer(call)
        return copy.deepcopy(call.result)

    def _answer(self, call: Call) -> Any:
        for method, pattern, answer in reversed(self._overrides):
            if method == call.method and path_matches(pattern, call):
                if isinstance(answer, BaseException):
                    raise answer
                return answer(call) if callable(answer) else copy.deepcopy(answer)
        handler = self._handlers.get((call.method, call.template))
        return handler(call) if handler else None

    # --- assertions and set-up ---------------------------------------------------------------

    def calls_to(self, method: str, path: str | None = None) -> list[Call]:
        """Return recorded calls with this method (and path pattern, if given), oldest first."""
        return [c for c in self.calls if c.method == method and (path is None or path_matches(path, c))]

    def last(self, method: str, path: str | None = None) -> Call:
        """Return the most recent matching call; AssertionError listing all calls if none."""
        found = self.calls_to(method, path)
        assert found, f"no {method} {path} call; recorded: {[f'{c.method} {c.path}' for c in self.calls]}"
        return found[-1]

    def sent_messages(self, channel_id: int | None = None) -> list[p.Payload]:
        """Return the JSON bodies the bot POSTed as channel messages (optionally to one channel)."""
        path = f"/channels/{channel_id}/messages" if channel_id else "/channels/{id}/messages"
        return [c.json for c in self.calls_to("POST", path)]

    def clear(self) -> None:
        """Forget the recorded calls (stored messages and overrides stay)."""
        self.calls.clear()

    def respond(self, method: str, path: str, answer: Any) -> None:
        """Answer matching calls with ``answer`` (a payload, or a callable taking the ``Call``)."""
        self._overrides.append((method, path, answer))

    def fail(self, method: str, path: str, status: int = 403, message: str = "Missing Permissions") -> None:
        """Make matching calls raise the discord.py exception for ``status``."""
        self._overrides.append((method, path, http_error(status, message)))

    def preload_history(self, channel_id: int, messages: list[p.Payload]) -> None:
        """Set what GET /channels/{id}/messages (``channel.history()``) returns."""
        self.history[int(channel_id)] = list(messages)
        for m in messages:
            self.remember(m)

    def remember(self, message: p.Payload) -> None:
        """Store a message payload so fetch/edit/click can find it by id."""
        self.messages[int(message["id"])] = message

    # --- default answers -----------------------------------------------------------------------

    def guild_id_of(self, channel_id: int) -> int | None:
        """Return the guild id owning a channel or thread known to the bot's state."""
        for guild in self._state.guilds if self._state else []:
            if guild.get_channel_or_thread(channel_id) is not None:
                return guild.id
        return None

    def new_message(self, channel_id: int, body: dict[str, Any] | None, files: list[tuple[str, bytes]],
                    **extra: Any) -> p.Payload:
        """Build and store the message Discord would create for a send with ``body``."""
        body = body or {}
        data = p.message(channel_id=channel_id, author=self.bot_user, content=body.get("content") or "",
                         guild_id=self.guild_id_of(channel_id), embeds=body.get("embeds") or [],
                         components=body.get("components") or [], flags=body.get("flags") or 0,
                         attachments=[p.attachment(name, size=len(raw)) for name, raw in files], **extra)
        if body.get("message_reference"):
            data["message_reference"] = body["message_reference"]
        self.remember(data)
        return copy.deepcopy(data)

    def _send_message(self, call: Call) -> p.Payload:
        return self.new_message(int(call.args["channel_id"]), call.json, call.files)

    def edit_stored(self, message_id: int, body: dict[str, Any] | None, channel_id: int | None = None) -> p.Payload:
        """Apply an edit body (content/embeds/components/flags) to a stored message and return it."""
        base = self.messages.get(message_id) or self.new_message(channel_id or p.snowflake(), {}, [], id=message_id)
        changes = {k: v for k, v in (body or {}).items() if k in ("content", "embeds", "components", "flags")}
        edited = p.message_update(base, **changes) if changes else base
        self.remember(edited)
        return copy.deepcopy(edited)

    def _edit_message(self, call: Call) -> p.Payload:
        return self.edit_stored(int(call.args["message_id"]), call.json, int(call.args["channel_id"]))

    def _get_message(self, call: Call) -> p.Payload:
        mid = int(call.args["message_id"])
        if mid not in self.messages or mid in self.deleted:
            raise http_error(404, "Unknown Message", 10008)
        return copy.deepcopy(self.messages[mid])

    def _delete_message(self, call: Call) -> None:
        self.deleted.add(int(call.args["message_id"]))

    def _get_history(self, call: Call) -> list[p.Payload]:
        params = call.params or {}
        msgs = sorted(self.history.get(int(call.args["channel_id"]), []), key=lambda m: -int(m["id"]))
        if "before" in params:
            msgs = [m for m in msgs if int(m["id"]) < int(params["before"])]
        limit = int(params.get("limit", 50))
        if "after" in params:  # as Discord does: the oldest `limit` messages after the id, sent newest first
            later = [m for m in msgs if int(m["id"]) > int(params["after"])][::-1][:limit]
            return copy.deepcopy(later[::-1])
        return copy.deepcopy(msgs[:limit])

    def _edit_member(self, call: Call) -> p.Payload:
        guild = self._state._get_guild(int(call.args["guild_id"])) if self._state else None
        found = guild.get_member(int(call.args.get("user_id") or call.args["member_id"])) if guild else None
        if found is None:
            raise http_error(404, "Unknown Member", 10007)
        data = p.from_member(found)
        for key in ("communication_disabled_until", "nick", "roles"):
            if call.json and key in call.json:
                data[key] = call.json[key]
        return data

    def _create_dm(self, call: Call) -> p.Payload:
        uid = int((call.json or {})["recipient_id"])
        target = self._state.get_user(uid) if self._state else None
        recipient = p.from_user(target) if target else p.user(id=uid)
        return {"id": str(p.snowflake()), "type": 1, "last_message_id": None, "recipients": [recipient]}

    def _sync_commands(self, call: Call) -> list[p.Payload]:
        app_id = call.args["application_id"]
        return [{**cmd, "id": str(p.snowflake()), "application_id": app_id, "version": "1",
                 "guild_id": call.args.get("guild_id")} for cmd in call.json or []]


def read_files(files: Any) -> list[tuple[str, bytes]]:
    """Read ``discord.File`` objects into (filename, bytes) and rewind them."""
    out = []
    for f in files or []:
        raw = f.fp.read()
        f.reset()
        out.append((f.filename, raw))
    return out


# --- interaction replies (discord.py's webhook adapter) -------------------------------------

_KINDS = {  # (method, path suffix after the token) -> kind
    ("POST", "callback"): "response", ("POST", ""): "followup",
    ("PATCH", "messages/@original"): "edit_original", ("DELETE", "messages/@original"): "delete_original",
    ("GET", "messages/@original"): "get_original", ("PATCH", "messages/"): "edit_followup",
    ("DELETE", "messages/"): "delete_followup",
}


@dataclass
class WebhookCall:
    """One interaction reply the bot made (response, followup or edit)."""

    kind: str
    method: str
    path: str
    token: str
    payload: dict[str, Any] | None
    files: list[tuple[str, bytes]] = field(default_factory=list)
    result: Any = None  # what the fake answered (message payload for sends/edits)

    @property
    def type(self) -> int | None:
        """Interaction response type for kind "response" (4, 5, 6, 7, 9...)."""
        return (self.payload or {}).get("type") if self.kind == "response" else None

    @property
    def data(self) -> dict[str, Any]:
        """The message body: ``payload["data"]`` for responses, the payload otherwise."""
        body = self.payload or {}
        return (body.get("data") or {}) if self.kind == "response" else body

    @property
    def content(self) -> str | None:
        return self.data.get("content")

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return self.data.get("embeds") or []

    @property
    def components(self) -> list[dict[str, Any]]:
        return self.data.get("components") or []

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & p.EPHEMERAL)

    @property
    def message(self) -> p.Payload | None:
        """The message payload this call created or edited (feed it to ``click(message=...)``)."""
        if self.kind == "response":
            return (self.result or {}).get("resource", {}).get("message")
        return self.result if isinstance(self.result, dict) else None


class FakeWebhookAdapter(AsyncWebhookAdapter):
    """discord.py's webhook adapter with ``request`` replaced by a recorder (no network)."""

    def __init__(self, http: HttpRecorder, bot_user: p.Payload) -> None:
        super().__init__()
        self.http, self.bot_user = http, bot_user
        self.calls: list[WebhookCall] = []
        self.contexts: dict[str, dict[str, Any]] = {}  # interaction token -> channel, clicked msg, original

    def for_token(self, token: str) -> list[WebhookCall]:
        return [c for c in self.calls if c.token == token]

    async def request(self, route: Any, session: Any = None, *, payload: dict[str, Any] | None = None,
                      multipart: list[dict[str, Any]] | None = None, files: Any = None, **_: Any) -> Any:
        """Record one webhook/interaction request and answer like Discord would."""
        for part in multipart or []:
            if part.get("name") == "payload_json":
                payload = jsonlib.loads(part["value"])
        token = str(route.webhook_token)
        suffix = route.path.split("{webhook_token}", 1)[-1].strip("/")
        key = suffix if suffix in ("callback", "", "messages/@original") else "messages/"
        call = WebhookCall(_KINDS.get((route.method, key), route.method.lower()), route.method, _concrete(route),
                           token, copy.deepcopy(payload), read_files(files))
        call.result = self._answer(call, route)
        self.calls.append(call)
        return copy.deepcopy(call.result)

    def begin(self, interaction: p.Payload) -> None:
        """Remember the channel and clicked message of an interaction about to be dispatched."""
        self.contexts[interaction["token"]] = {"channel_id": int(interaction["channel_id"]),
                                               "message": interaction.get("message"), "original": None}

    def _new(self, ctx: dict[str, Any], body: dict[str, Any], files: list[tuple[str, bytes]]) -> p.Payload:
        return self.http.new_message(ctx.get("channel_id") or p.snowflake(), body, files,
                                     webhook_id=self.bot_user["id"], application_id=self.bot_user["id"])

    def _answer(self, call: WebhookCall, route: Any) -> Any:
        ctx = self.contexts.setdefault(call.token, {})
        if call.kind == "response":
            return self._respond(call, ctx, route)
        if call.kind == "followup":
            return self._new(ctx, call.payload or {}, call.files)
        if call.kind in ("edit_original", "get_original"):
            if ctx.get("original") is None:
                ctx["original"] = int(self._new(ctx, {}, [])["id"])
            return self.http.edit_stored(ctx["original"], call.payload if call.kind == "edit_original" else {})
        if call.kind == "edit_followup":
            return self.http.edit_stored(int(call.path.rsplit("/", 1)[-1]), call.payload or {})
        return None

    def _respond(self, call: WebhookCall, ctx: dict[str, Any], route: Any) -> p.Payload:
        """Answer create_interaction_response (``with_response=1``): the callback response object."""
        rtype, message = call.type or 0, None
        if rtype in (4, 5):  # new message, or the "thinking..." placeholder a defer creates
            flags = call.flags | (128 if rtype == 5 else 0)
            message = self._new(ctx, {**call.data, "flags": flags}, call.files)
        elif rtype in (6, 7) and ctx.get("message"):  # (deferred) update of the clicked message
            self.http.remember(ctx["message"])
            message = self.http.edit_stored(int(ctx["message"]["id"]), call.data if rtype == 7 else {})
        if message is not None:
            ctx["original"] = int(message["id"])
        interaction = {"id": str(route.webhook_id), "type": 2, "response_message_loading": rtype == 5,
                       "response_message_ephemeral": call.ephemeral}
        resource: dict[str, Any] = {"type": rtype}
        if message is not None and rtype != 6:
            interaction["response_message_id"] = message["id"]
            resource["message"] = message
        return {"interaction": interaction, "resource": resource}
