"""Link allow/block lists (per guild and imported feeds) and the channels an AI agent reads (threat detectors)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.storage.db import Database
from bot.storage.repos import _iso


def clean_domain(value: str) -> str:
    """Return a domain as stored: lower case, no scheme, path, port, 'www.' or trailing dot."""
    text = value.strip().lower()
    text = text.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    text = text.rsplit("@", 1)[-1].split(":", 1)[0].strip(".")
    return text[4:] if text.startswith("www.") else text


class ThreatRepo:
    """Read and edit the guild settings of the scam-link and prompt-injection detectors."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def set_domain(self, guild_id: str, domain: str, kind: str, added_by: str) -> str:
        """Put a domain on the guild's allow or block list (moving it off the other); return it cleaned."""
        if kind not in ("allow", "block"):
            raise ValueError(f"kind must be allow or block, not {kind!r}")
        cleaned = clean_domain(domain)
        if "." not in cleaned:
            raise ValueError(f"{domain!r} is not a domain")
        await self.db.conn.execute(
            """INSERT INTO guild_domains (guild_id, domain, kind, added_by, added_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (guild_id, domain) DO UPDATE SET kind = excluded.kind, added_by = excluded.added_by,
               added_at = excluded.added_at""",
            (guild_id, cleaned, kind, added_by, _iso(self.db.clock())),
        )
        return cleaned

    async def remove_domain(self, guild_id: str, domain: str) -> bool:
        """Take a domain off both lists; return True if it was on one."""
        cur = await self.db.conn.execute(
            "DELETE FROM guild_domains WHERE guild_id = ? AND domain = ?", (guild_id, clean_domain(domain)))
        return (cur.rowcount or 0) > 0

    async def domains(self, guild_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """Return the guild's (allow, block) domain sets."""
        async with self.db.conn.execute(
            "SELECT domain, kind FROM guild_domains WHERE guild_id = ?", (guild_id,)) as cur:
            rows = await cur.fetchall()
        return (frozenset(r["domain"] for r in rows if r["kind"] == "allow"),
                frozenset(r["domain"] for r in rows if r["kind"] == "block"))

    async def set_agent_reads(self, guild_id: str, channel_id: str, on: bool) -> None:
        """Mark (or unmark) a channel as read by an AI agent; marking it also watches it."""
        if on:
            await self.db.conn.execute(
                "INSERT OR IGNORE INTO watched_channels (guild_id, channel_id) VALUES (?, ?)", (guild_id, channel_id))
        await self.db.conn.execute(
            "UPDATE watched_channels SET agent_reads = ? WHERE guild_id = ? AND channel_id = ?",
            (1 if on else 0, guild_id, channel_id))

    async def agent_channels(self, guild_id: str) -> frozenset[str]:
        """Return the channels of a guild that an AI agent reads."""
        async with self.db.conn.execute(
            "SELECT channel_id FROM watched_channels WHERE guild_id = ? AND agent_reads = 1", (guild_id,)) as cur:
            return frozenset(r["channel_id"] for r in await cur.fetchall())


@dataclass(frozen=True, slots=True)
class StoredList:
    """One imported deny / allow list: where it came from, when, how big."""

    scope: str  # '' = every server, else a guild id
    name: str
    source: str
    format: str
    listed_on: str
    deny_count: int
    allow_count: int


@dataclass(frozen=True, slots=True)
class ListedDomains:
    """Domains of the imported lists of one scope, each mapped to the label of the list that holds it."""

    block: dict[str, str]
    allow: dict[str, str]


class LinkListRepo:
    """Store imported deny / allow lists (govmod links import and the feed refresh)."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def replace(self, scope: str, name: str, source: str, fmt: str, listed_on: datetime,
                      block: Iterable[str], allow: Iterable[str]) -> None:
        """Replace one list's domains (call inside a transaction so readers see the old or the new list whole)."""
        block, allow = sorted(set(block)), sorted(set(allow))
        conn = self.db.conn
        await conn.execute("DELETE FROM link_list_domains WHERE scope = ? AND name = ?", (scope, name))
        await conn.execute(
            """INSERT INTO link_lists (scope, name, source, format, listed_on, deny_count, allow_count)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (scope, name) DO UPDATE SET source = excluded.source,
               format = excluded.format, listed_on = excluded.listed_on, deny_count = excluded.deny_count,
               allow_count = excluded.allow_count""",
            (scope, name, source, fmt, _iso(listed_on), len(block), len(allow)))
        await conn.executemany(
            "INSERT INTO link_list_domains (scope, name, domain, kind) VALUES (?, ?, ?, ?)",
            [(scope, name, d, "block") for d in block] + [(scope, name, d, "allow") for d in allow])

    async def lists(self, scope: str | None = None) -> list[StoredList]:
        """Return the stored lists (of one scope, or all)."""
        sql = "SELECT * FROM link_lists" + (" WHERE scope = ?" if scope is not None else "") + " ORDER BY scope, name"
        async with self.db.conn.execute(sql, (scope,) if scope is not None else ()) as cur:
            rows = await cur.fetchall()
        return [StoredList(r["scope"], r["name"], r["source"], r["format"], r["listed_on"], r["deny_count"],
                           r["allow_count"]) for r in rows]

    async def domains(self, scope: str) -> ListedDomains:
        """Return the blocked and allowed domains of a scope, each with '<list name> (<date>)' as its label."""
        async with self.db.conn.execute(
            """SELECT d.domain, d.kind, l.name, l.listed_on FROM link_list_domains d
               JOIN link_lists l ON l.scope = d.scope AND l.name = d.name WHERE d.scope = ? ORDER BY l.name""",
            (scope,)) as cur:
            rows = await cur.fetchall()
        out: dict[str, dict[str, str]] = {"block": {}, "allow": {}}
        for r in rows:
            out[r["kind"]].setdefault(r["domain"], f"{r['name']} ({str(r['listed_on'])[:10]})")
        return ListedDomains(out["block"], out["allow"])
