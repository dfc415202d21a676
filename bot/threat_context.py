"""Give the threat detectors their per-guild context (link lists, staff names, agent channels); no discord."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bot.pipeline import Pipeline
from bot.storage import Database
from bot.storage.link_lists import LinkListRepo, ThreatRepo
from models.threats.guild_context import GuildAware, GuildThreatContext

log = logging.getLogger(__name__)


async def load_context(db: Database, guild_id: str, *, staff_names: Iterable[str] = (),
                       staff_ids: Iterable[str] = ()) -> GuildThreatContext:
    """Read a guild's link lists and agent channels from storage and add the staff the caller found."""
    repo = ThreatRepo(db)
    allow, block = await repo.domains(guild_id)
    imported = await LinkListRepo(db).domains(guild_id)
    names = {d: "this server's block list" for d in block}
    names |= {d: label for d, label in imported.block.items() if d not in allow and d not in block}
    return GuildThreatContext(
        allow_domains=allow | (frozenset(imported.allow) - block), block_domains=frozenset(names),
        list_names=names,
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


async def load_global_lists(db: Database, pipeline: Pipeline) -> int:
    """Give the server-wide imported deny / allow lists to every detector that takes them; return the count."""
    listed = await LinkListRepo(db).domains("")
    takers = [d for d in pipeline.detectors if callable(getattr(d, "set_lists", None))]
    for det in takers:
        det.set_lists(listed.block, listed.allow)  # type: ignore[attr-defined]
    log.info("imported link lists: %d blocked and %d allowed domains given to %d detectors", len(listed.block),
             len(listed.allow), len(takers))
    return len(listed.block) + len(listed.allow)
