"""Write the generated week: the JSON Lines input, the ground truth file and the DiscordChatExporter sample."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sample_server_model import GUILD_NAME, ROLES, THREAD_TITLES, WEEK_END, WEEK_START, T, User, Week, iso

Event = dict[str, Any]

TRUTH_NOTES = {
    "gm_wave": "daily gm/gm gm/gm fam waves in #general-governance-chat: short phatic messages, not a campaign",
    "congrats_burst": "20 congratulations within ~20 minutes of the AIP-40 announcement, many identical",
    "new_members": "9 genuinely new members (8 in a Tuesday evening wave after a Twitter Space), "
                   "each saying something different",
    "repeated_question": "one member asking the same question twice, 1.5 h apart: spam-ish, not coordination",
    "heated_civil": "a sharp but civil argument about AIP-42; not toxic",
    "positive_swearing": "swearing used as praise ('this is fucking great work'); not toxic",
    "abusive": "insults at delegates; evasions: leetspeak (1d1ot), Cyrillic homoglyphs (\u0456d\u0456ot), "
               "zero-width spaces",
    "llm_astroturf": "4 accounts (months old, little history) posting polished LLM-style support for AIP-42 all week, "
                     "each post worded differently",
    "sockpuppet_campaign": "10 accounts created 4-7 days earlier, joined within 18 minutes, posted near-identical "
                           "AIP-41 talking points within 10 minutes and put 👍 on the AIP-41 and AIP-43 forum posts "
                           "within minutes",
}
TRAP_KEYS = {"gm": "gm_wave", "congrats": "congrats_burst", "new_member": "new_members",
             "repeated_question": "repeated_question", "heated": "heated_civil",
             "positive_swearing": "positive_swearing"}  # message tag trap:<key> -> trap name in the truth file

CET = timedelta(hours=1)  # the DiscordChatExporter sample was exported from a machine in CET (+01:00)
EMOJI_CODES = {"👍": "thumbsup", "👎": "thumbsdown", "🎉": "tada", "❤️": "heart", "🔥": "fire", "😂": "joy", "💯": "100",
               "👀": "eyes", "🙏": "pray", "🤔": "thinking", "✅": "white_check_mark", "🫡": "saluting_face",
               "☀️": "sunny", "🗳️": "ballot_box", "😅": "sweat_smile", "🚀": "rocket", "😬": "grimacing",
               "☕": "coffee", "🧵": "thread", "🌱": "seedling", "📝": "pencil", "⚠️": "warning", "🍺": "beer"}
EMOJI_RE = re.compile("[\u2600-\u27bf\U0001f300-\U0001faff][\ufe0f]?")


def _escape_invisible(text: str) -> str:
    """Write format characters (zero-width etc.) and Cyrillic letters as \\u escapes, so evasions are visible."""
    return "".join(f"\\u{ord(ch):04x}" if unicodedata.category(ch) == "Cf" or "\u0400" <= ch <= "\u04ff" else ch
                   for ch in text)


def public(event: Event) -> Event:
    """Drop the generator's private keys."""
    return {k: v for k, v in event.items() if not k.startswith("_")}


def write_jsonl(path: Path, events: list[Event]) -> None:
    """Write all events in time order as JSON Lines."""
    order = {"member_join": 0, "message": 1, "reaction": 2}
    events = sorted(events, key=lambda e: (e["_when"], order[e["type"]], e.get("id") or e["user_id"]))
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for event in events:
            fh.write(_escape_invisible(json.dumps(public(event), ensure_ascii=False)) + "\n")


def _evasion(content: str) -> str:
    """Name the filter evasion an abusive message uses."""
    if "\u200b" in content:
        return "zero_width"
    if re.search("[\u0400-\u04ff]", content):
        return "homoglyph_cyrillic"
    return "leetspeak" if re.search(r"\w\d\w", content) else "none"


def _account(user: User) -> dict[str, str]:
    """Return an account's id, name and times for the truth file."""
    return {"id": user.id, "name": user.handle, "account_created_at": iso(user.created), "joined_at": iso(user.joined)}


def build_truth(week: Week) -> dict[str, Any]:
    """Return the ground truth of the generated week."""
    by_time = sorted(week.messages, key=lambda m: m["_when"])

    def ids(pred: Callable[[Event], bool]) -> list[str]:
        """Return the ids of messages matching ``pred``, in time order."""
        return [m["id"] for m in by_time if pred(m)]

    abusive = [m for m in by_time if "abuse" in m["_tags"]]
    astro_users, socks = week.kind("astro"), week.kind("sock")
    sock_msgs = [m for m in by_time if "sock" in m["_tags"]]
    sock_reacts = [r for r in week.reactions if "sock" in r["_tags"]]
    traps = {name: ids(lambda m, k=key: f"trap:{k}" in m["_tags"]) for key, name in TRAP_KEYS.items()}
    congrats_reacts = sorted((r for r in week.reactions if "trap:congrats_reactions" in r["_tags"]),
                             key=lambda r: r["_when"])
    forum_id, labels, threads = week.channels["forum"].id, week.labels, week.threads

    def sock_reactions(target: str) -> dict[str, Any]:
        """Return the ring's 👍 on one forum post."""
        mine = sorted((r for r in sock_reacts if r["message_id"] == target), key=lambda r: r["_when"])
        return {"message_id": target, "emoji": "👍", "user_ids": [r["user_id"] for r in mine],
                "window": {"start": iso(min(r["_when"] for r in mine)), "end": iso(max(r["_when"] for r in mine))}}

    return {
        "about": "Ground truth for examples/sample_server.jsonl. Synthetic data written for govmod; "
                 "generated by examples/make_sample_server.py.",
        "week": "2026-W47",
        "window": {"start": iso(WEEK_START), "end": iso(WEEK_END)},
        "guild": {"id": week.guild_id, "name": GUILD_NAME},
        "channels": [{"key": k, "id": c.id, "name": c.name, "type": c.type} for k, c in week.channels.items()],
        "threads": [{"key": k, "id": threads[k], "parent_id": forum_id, "title": THREAD_TITLES[k],
                     "opened_by": labels[f"p{k[1:]}"]["author_id"], "created_at": labels[f"p{k[1:]}"]["created_at"]}
                    for k in threads],
        "counts": {
            "events": len(week.messages) + len(week.reactions) + len(week.joins),
            "messages": len(week.messages),
            "reactions": len(week.reactions),
            "member_joins": len(week.joins),
            "authors": len({m["_who"] for m in week.messages}),
            "regular_members": len(week.kind("regular")),
            "accounts": len(week.users),
            "bot_messages": sum(1 for m in week.messages if m["is_bot"]),
            "edited_messages": sum(1 for m in week.messages if m["edited_at"]),
            "replies": sum(1 for m in week.messages if m["reply_to"]),
        },
        "expected": {
            "toxicity": [m["id"] for m in abusive],
            "ai_generated": ids(lambda m: "astro" in m["_tags"]),
            "coordination": [m["id"] for m in sock_msgs],
            "must_not_flag": sorted({i for v in traps.values() for i in v}, key=lambda i: int(i)),
        },
        "abusive": {
            "message_ids": [m["id"] for m in abusive],
            "details": [{"id": m["id"], "author_id": m["author_id"], "author_name": m["author_name"],
                         "channel_id": m["channel_id"], "evasion": _evasion(m["content"])} for m in abusive],
        },
        "llm_astroturf": {
            "proposal": "AIP-42",
            "thread_id": threads["t42"],
            "account_ids": [u.id for u in astro_users],
            "accounts": [{**_account(u), "messages": sum(1 for m in week.messages if m["_who"] == u.handle)}
                         for u in astro_users],
            "message_ids": ids(lambda m: "astro" in m["_tags"]),
            "mutual_reactions": len([r for r in week.reactions if "astro" in r["_tags"]]),
        },
        "sockpuppet_campaign": {
            "proposal": "AIP-41",
            "thread_id": threads["t41"],
            "account_ids": [u.id for u in socks],
            "accounts": [_account(u) for u in socks],
            "message_ids": [m["id"] for m in sock_msgs],
            "join_window": {"start": iso(min(u.joined for u in socks)), "end": iso(max(u.joined for u in socks))},
            "post_window": {"start": sock_msgs[0]["created_at"], "end": sock_msgs[-1]["created_at"]},
            "reactions": [sock_reactions(labels["p41"]["id"]), sock_reactions(labels["p43"]["id"])],
        },
        "traps": traps,  # every value is a list of message ids that no detector should flag
        "trap_context": {
            "congrats_reaction_burst": {"message_id": labels["a40"]["id"],
                                        "user_ids": [r["user_id"] for r in congrats_reacts],
                                        "window": {"start": congrats_reacts[0]["created_at"],
                                                   "end": congrats_reacts[-1]["created_at"]}},
            "new_member_joins": [u.id for u in week.kind("newcomer")],
        },
        "notes": TRUTH_NOTES,
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write indented JSON with invisible characters escaped."""
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    path.write_text(_escape_invisible(text), encoding="utf-8", newline="\n")


def dce_time(dt: datetime) -> str:
    """Format like System.Text.Json writes a DateTimeOffset: local offset, fraction without trailing zeros."""
    local = dt + CET
    frac = f"{local.microsecond:06d}".rstrip("0")
    return local.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if frac else "") + "+01:00"


def twemoji_url(emoji: str) -> str:
    """Return the Twemoji image URL of a standard emoji."""
    codes = "-".join(f"{ord(c):x}" for c in emoji if c != "\ufe0f")
    return f"https://cdn.jsdelivr.net/gh/twitter/twemoji@latest/assets/svg/{codes}.svg"


def dce_emoji(emoji: str) -> dict[str, Any]:
    """Return a standard emoji as DiscordChatExporter writes it."""
    return {"id": "", "name": emoji, "code": EMOJI_CODES.get(emoji, emoji), "isAnimated": False,
            "imageUrl": twemoji_url(emoji)}


def dce_user(week: Week, avatars: dict[str, str], user: User, include_roles: bool = True) -> dict[str, Any]:
    """Return a user as DiscordChatExporter writes it (reaction users have no roles); ``avatars`` caches hashes."""
    roles = sorted(user.roles, key=lambda r: -ROLES[r][1])
    colored = [r for r in roles if ROLES[r][0]]
    if user.handle not in avatars:
        avatars[user.handle] = f"{week.rng_misc.getrandbits(128):032x}" if week.rng_misc.random() < 0.7 else ""
    avatar = (f"https://cdn.discordapp.com/avatars/{user.id}/{avatars[user.handle]}.png?size=512"
              if avatars[user.handle] else f"https://cdn.discordapp.com/embed/avatars/{(int(user.id) >> 22) % 6}.png")
    out: dict[str, Any] = {"id": user.id, "name": user.handle, "discriminator": "0000", "nickname": user.display,
                           "color": ROLES[colored[0]][0] if colored else None, "isBot": user.kind == "bot"}
    if include_roles:
        out["roles"] = [{"id": week.role_ids[r], "name": r, "color": ROLES[r][0], "position": ROLES[r][1]}
                        for r in roles]
    out["avatarUrl"] = avatar
    return out


def build_dce(week: Week) -> dict[str, Any]:
    """Return Wednesday's #governance as a DiscordChatExporter JSON export."""
    after, before = T("2026-11-18T08:00:00"), T("2026-11-18T23:00:00")
    chan, users, avatars = week.channels["gov"], week.users, {}
    msgs = sorted((m for m in week.messages if m["_channel"] == "gov" and after <= m["_when"] < before),
                  key=lambda m: m["_when"])
    by_id = {m["id"]: m for m in week.messages}
    handles = sorted(users, key=len, reverse=True)
    out_msgs = []
    for m in msgs:
        reactions = []
        mine = sorted((r for r in week.reactions if r["message_id"] == m["id"]), key=lambda r: r["_when"])
        for emoji in dict.fromkeys(r["emoji"] for r in mine):
            reacted = [users[r["_who"]] for r in mine if r["emoji"] == emoji]
            reactions.append({"emoji": dce_emoji(emoji), "count": len(reacted),
                              "users": [dce_user(week, avatars, u, include_roles=False) for u in reacted]})
        mentioned: list[User] = []
        if m["reply_to"]:
            mentioned.append(users[by_id[m["reply_to"]]["_who"]])
        for h in handles:
            if f"@{h}" in m["content"] and users[h] not in mentioned:
                mentioned.append(users[h])
        entry: dict[str, Any] = {
            "id": m["id"],
            "type": "Reply" if m["reply_to"] else "Default",
            "timestamp": dce_time(m["_when"]),
            "timestampEdited": dce_time(T(m["edited_at"][:-1])) if m["edited_at"] else None,
            "callEndedTimestamp": None,
            "isPinned": False,
            "content": m["content"],
            "author": dce_user(week, avatars, users[m["_who"]]),
            "attachments": [],
            "components": [],
            "embeds": [],
            "stickers": [],
            "reactions": reactions,
            "mentions": [dce_user(week, avatars, u) for u in mentioned],
        }
        if m["reply_to"]:
            entry["reference"] = {"type": "Default", "messageId": m["reply_to"], "channelId": chan.id,
                                  "guildId": week.guild_id}
        inline = dict.fromkeys(x.group(0) for x in EMOJI_RE.finditer(m["content"]))
        entry["inlineEmojis"] = [dce_emoji(e) for e in inline]
        out_msgs.append(entry)
    icon = f"https://cdn.discordapp.com/icons/{week.guild_id}/{week.rng_misc.getrandbits(128):032x}.png?size=512"
    return {
        "guild": {"id": week.guild_id, "name": GUILD_NAME, "iconUrl": icon},
        "channel": {"id": chan.id, "type": "GuildTextChat", "categoryId": week.category_id, "category": "GOVERNANCE",
                    "name": chan.name, "topic": chan.topic},
        "dateRange": {"after": dce_time(after), "before": dce_time(before)},
        "exportedAt": "2026-11-23T09:14:52.3318274+01:00",
        "messages": out_msgs,
        "messageCount": len(out_msgs),
    }
