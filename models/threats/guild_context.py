"""Per-guild facts the threat detectors need and the pipeline does not carry (no discord types)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class GuildThreatContext:
    """What a guild told govmod: its own domains, blocked domains, its staff and the channels an agent reads."""

    allow_domains: frozenset[str] = frozenset()
    block_domains: frozenset[str] = frozenset()
    staff_names: frozenset[str] = frozenset()  # moderators', admins' and the bot's display and user names
    staff_ids: frozenset[str] = frozenset()
    agent_channels: frozenset[str] = frozenset()
    list_names: Mapping[str, str] = field(default_factory=dict)  # block-listed domain -> the list it came from


@runtime_checkable
class GuildAware(Protocol):
    """A detector that takes per-guild context pushed in by the bot (allow lists, staff names, agent channels)."""

    def configure(self, guild_id: str, context: GuildThreatContext) -> None:
        """Replace the context of one guild."""
        ...


class GuildContexts:
    """A small holder of GuildThreatContext per guild, shared by the detectors' `configure` methods."""

    def __init__(self) -> None:
        """Start with no guild configured."""
        self._by_guild: dict[str, GuildThreatContext] = {}

    def set(self, guild_id: str, context: GuildThreatContext) -> None:
        """Replace the context of one guild."""
        self._by_guild[guild_id] = context

    def get(self, guild_id: str) -> GuildThreatContext:
        """Return a guild's context (empty if never configured)."""
        return self._by_guild.get(guild_id, EMPTY)


EMPTY = GuildThreatContext()
