"""Per-guild link allow/block lists and the channels an AI agent reads (for the threat detectors)."""

from __future__ import annotations

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
