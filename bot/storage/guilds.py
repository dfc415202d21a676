"""Per-guild policy (watched channels, thresholds, alert channel) and persisted detector state."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.policy import Policy
from bot.storage.db import Database
from bot.storage.repos import _iso


@dataclass(frozen=True, slots=True)
class GuildConfig:
    """What a guild's moderators configured with slash commands."""

    guild_id: str
    alert_channel_id: str | None = None
    report_channel_id: str | None = None
    moderator_role_id: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    auto_hide_threshold: float | None = None
    show_names: bool = False
    watched: frozenset[str] = frozenset()
    categories: dict[str, frozenset[str]] = field(default_factory=dict)  # detector -> categories opening cases

    def policy(self, defaults: dict[str, float] | None = None) -> Policy:
        """Return the scoring policy: server-wide defaults overridden by this guild's thresholds."""
        return Policy(thresholds={**(defaults or {}), **self.thresholds}, disabled=self.disabled,
                      categories=dict(self.categories))


_COLUMNS = ("alert_channel_id", "report_channel_id", "moderator_role_id", "auto_hide_threshold", "show_names")


class GuildRepo:
    """Read and edit guild configuration."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def get(self, guild_id: str) -> GuildConfig:
        """Return a guild's configuration (defaults if never configured)."""
        async with self.db.conn.execute("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,)) as cur:
            row = await cur.fetchone()
        async with self.db.conn.execute(
            "SELECT channel_id FROM watched_channels WHERE guild_id = ?", (guild_id,)
        ) as cur:
            watched = frozenset(r[0] for r in await cur.fetchall())
        if row is None:
            return GuildConfig(guild_id=guild_id, watched=watched)
        return GuildConfig(
            guild_id=guild_id, alert_channel_id=row["alert_channel_id"], report_channel_id=row["report_channel_id"],
            moderator_role_id=row["moderator_role_id"], thresholds=json.loads(row["thresholds"]),
            disabled=frozenset(json.loads(row["disabled"])), auto_hide_threshold=row["auto_hide_threshold"],
            show_names=bool(row["show_names"]), watched=watched,
            categories={k: frozenset(v) for k, v in json.loads(row["categories"]).items()},
        )

    async def update(self, guild_id: str, **values: Any) -> None:
        """Set configuration columns (alert_channel_id=..., show_names=..., ...)."""
        unknown = set(values) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        await self.db.conn.execute("INSERT OR IGNORE INTO guild_settings (guild_id) VALUES (?)", (guild_id,))
        for column, value in values.items():
            await self.db.conn.execute(f"UPDATE guild_settings SET {column} = ? WHERE guild_id = ?", (value, guild_id))

    async def set_categories(self, guild_id: str, detector: str, categories: Sequence[str] | None) -> None:
        """Choose (or with None reset to the detector's default) the categories of a detector that open cases."""
        config = await self.get(guild_id)
        chosen = {k: sorted(v) for k, v in config.categories.items()}
        if categories is None:
            chosen.pop(detector, None)
        else:
            chosen[detector] = sorted(set(categories))
        await self.db.conn.execute("INSERT OR IGNORE INTO guild_settings (guild_id) VALUES (?)", (guild_id,))
        await self.db.conn.execute(
            "UPDATE guild_settings SET categories = ? WHERE guild_id = ?", (json.dumps(chosen), guild_id)
        )

    async def set_threshold(self, guild_id: str, detector: str, value: float | None) -> None:
        """Override (or with None reset) one detector's threshold for a guild."""
        config = await self.get(guild_id)
        thresholds = dict(config.thresholds)
        if value is None:
            thresholds.pop(detector, None)
        else:
            thresholds[detector] = value
        await self.db.conn.execute("INSERT OR IGNORE INTO guild_settings (guild_id) VALUES (?)", (guild_id,))
        await self.db.conn.execute(
            "UPDATE guild_settings SET thresholds = ? WHERE guild_id = ?", (json.dumps(thresholds), guild_id)
        )

    async def watch(self, guild_id: str, channel_id: str, *, on: bool = True) -> None:
        """Start or stop watching a channel (its threads and forum posts included)."""
        if on:
            await self.db.conn.execute(
                "INSERT OR IGNORE INTO watched_channels (guild_id, channel_id) VALUES (?, ?)", (guild_id, channel_id)
            )
        else:
            await self.db.conn.execute(
                "DELETE FROM watched_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
            )


class StateRepo:
    """Detector state that must survive restarts (e.g. per-author AI-text records)."""

    def __init__(self, db: Database) -> None:
        """Bind to a database."""
        self.db = db

    async def load(self, detector: str, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return stored records for keys (missing keys are absent)."""
        out: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), 500):
            chunk = list(keys[start : start + 500])
            sql = f"SELECT key, value FROM detector_state WHERE detector = ? AND key IN ({','.join('?' * len(chunk))})"
            async with self.db.conn.execute(sql, [detector, *chunk]) as cur:
                out.update({r["key"]: json.loads(r["value"]) for r in await cur.fetchall()})
        return out

    async def load_prefixes(self, detector: str, prefixes: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return every stored record whose key starts with one of prefixes (a detector's whole window)."""
        out: dict[str, dict[str, Any]] = {}
        for prefix in prefixes:
            sql = "SELECT key, value FROM detector_state WHERE detector = ? AND key >= ? AND key < ?"
            async with self.db.conn.execute(sql, (detector, prefix, prefix + "\uffff")) as cur:
                out.update({r["key"]: json.loads(r["value"]) for r in await cur.fetchall()})
        return out

    async def delete(self, detector: str, keys: Sequence[str]) -> None:
        """Delete records (state that left a detector's window)."""
        await self.db.conn.executemany(
            "DELETE FROM detector_state WHERE detector = ? AND key = ?", [(detector, k) for k in keys])

    async def save(self, detector: str, records: dict[str, dict[str, Any]]) -> None:
        """Upsert records."""
        stamp = _iso(self.db.clock())
        await self.db.conn.executemany(
            "INSERT OR REPLACE INTO detector_state (detector, key, value, updated_at) VALUES (?, ?, ?, ?)",
            [(detector, k, json.dumps(v), stamp) for k, v in records.items()],
        )
