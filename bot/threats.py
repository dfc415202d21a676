"""Give the threat detectors their per-guild context (link lists, staff names, agent channels); no discord."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.pipeline import Pipeline
from bot.storage import Database
from bot.storage.threats import ThreatRepo
from models.guild_context import GuildAware, GuildThreatContext

log = logging.getLogger(__name__)


async def load_context(db: Database, guild_id: str, *, staff_names: Iterable[str] = (),
                       staff_ids: Iterable[str] = ()) -> GuildThreatContext:
    """Read a guild's link lists and agent channels from storage and add the staff the caller found."""
    repo = ThreatRepo(db)
    allow, block = await repo.domains(guild_id)
    return GuildThreatContext(
        allow_domains=allow, block_domains=block,
        staff_names=frozenset(n for n in staff_names if n and n.strip()), staff_ids=frozenset(staff_ids),
        agent_channels=await repo.agent_channels(guild_id),
    )


def push_context(pipeline: Pipeline, guild_id: str, context: GuildThreatContext) -> int:
    """Hand a guild's context to every detector that takes one; return how many did."""
    aware = [d for d in pipeline.detectors if isinstance(d, GuildAware)]
    for det in aware:
        det.configure(guild_id, context)
    log.debug("guild %s: threat context given to %d detectors (%d staff names)", guild_id, len(aware),
              len(context.staff_names))
    return len(aware)
