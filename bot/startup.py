"""Connect first, load models meanwhile: a scan service that holds batches until the models are ready."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

from bot.domain import MemberJoin, Post, Reaction
from bot.pipeline import Pipeline
from bot.service import BatchResult, ScanService, ScoredBatch
from bot.storage import Database

log = logging.getLogger(__name__)


class ModelsUnavailable(RuntimeError):
    """The models failed to load; nothing can be scored (the message says why)."""


class DeferredService(ScanService):
    """A ScanService that starts without models: batches wait (queued in the live scorer) until `ready`.

    The gateway connects and the watcher queues posts while the models load in a worker thread;
    the first batch is scored as soon as they are in. Until then `pipeline` is an empty pipeline,
    so `/govmod status` and the threshold commands still answer.
    """

    def __init__(self, db: Database, defaults: dict[str, float] | None = None) -> None:
        """Start with an empty pipeline and a closed gate."""
        super().__init__(Pipeline(None, []), db, defaults=defaults)
        self._ready = asyncio.Event()
        self.problem: str | None = None

    @property
    def models_ready(self) -> bool:
        """Return True once the real pipeline is in place."""
        return self._ready.is_set() and self.problem is None

    def ready(self, pipeline: Pipeline) -> None:
        """Put the loaded pipeline in place and let waiting batches through."""
        self.pipeline = pipeline
        self._ready.set()

    def failed(self, problem: str) -> None:
        """Record that the models cannot load; waiting batches fail (counted as failed by the live scorer)."""
        self.problem = problem
        self._ready.set()

    async def _gate(self) -> None:
        await self._ready.wait()
        if self.problem is not None:
            raise ModelsUnavailable(self.problem)

    async def score(self, posts: Sequence[Post], events: Sequence[Reaction | MemberJoin] = (),
                    positions: Sequence[int] | None = None) -> ScoredBatch:
        """Wait for the models, then score like ScanService (`process` and the live scorer come through here)."""
        await self._gate()
        return await super().score(posts, events, positions)

    async def process_profiles(self, subjects: Sequence[Post]) -> BatchResult:
        """Wait for the models, then judge names like ScanService."""
        await self._gate()
        return await super().process_profiles(subjects)


async def load_in_background(service: DeferredService, load: Callable[[], Pipeline],
                             on_ready: Callable[[], None] = lambda: None) -> Pipeline | None:
    """Load the models in a worker thread and hand them to `service`; return None (and record why) on failure."""
    try:
        pipeline = await asyncio.to_thread(load)
    except Exception as exc:  # ModelLoadError and whatever torch raises: the bot must say it, not hang
        service.failed(str(exc) or type(exc).__name__)
        log.error("models failed to load: %s", service.problem)
        return None
    service.ready(pipeline)
    on_ready()
    log.info("models ready: %s", ", ".join(d.name for d in pipeline.detectors))
    return pipeline
