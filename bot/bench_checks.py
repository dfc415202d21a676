"""The stress and side measurements of `govmod bench`: a flood into the live path, a copy-paste raid, int8, SmolLM2."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.domain import Post
from bot.pipeline import BatchContext, Pipeline
from bot.settings import Settings


async def time_flood(pipeline: Pipeline, posts: list[Post], settings: Settings) -> dict[str, Any]:
    """Submit posts all at once through the live path; measure event-loop lag (what delays the heartbeat)."""
    from bot.live import LiveScorer, freeze_heap
    from bot.service import ScanService
    from bot.storage import Database

    freeze_heap()  # as `govmod run` does once the models are loaded
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "flood.db")
        live = LiveScorer(ScanService(pipeline, db), queue_max=settings.pipeline.queue_max,
                          batch_max=settings.pipeline.batch_max, batch_wait_ms=settings.pipeline.batch_wait_ms)
        live.start()
        lags: list[float] = []
        stop = asyncio.Event()

        async def monitor() -> None:
            while not stop.is_set():
                start = time.perf_counter()
                await asyncio.sleep(0.005)
                lags.append((time.perf_counter() - start - 0.005) * 1000)

        watcher = asyncio.create_task(monitor())
        started = time.perf_counter()
        await asyncio.gather(*(live.submit(p) for p in posts))
        await live.flush(timeout=600)
        seconds = time.perf_counter() - started
        stop.set()
        await watcher
        await live.stop()
        await db.close()
    stats = live.stats()
    return {"messages": len(posts), "scored": stats.scored, "dropped": stats.dropped, "seconds": round(seconds, 1),
            "max_queue_depth": stats.max_depth, "max_event_loop_lag_ms": round(max(lags, default=0.0), 1)}


def time_copy_flood(n: int, batch: int = 8) -> dict[str, Any]:
    """Time the coordination detector on n identical posts from distinct new accounts (a copy-paste raid).

    Live-sized batches; reports ms per post for the first 100 and for every later block of 1,000,
    the ratio of the slowest block to the first hundred, and candidate comparisons per post.
    """
    import numpy as np

    from models.coordination.detector import CoordinationDetector
    from models.encoder import EMBED_DIM
    from models.normalize import normalize

    det = CoordinationDetector.load()
    text = "Vote NO on AIP-51, the core team is grabbing the treasury and nobody is watching them."
    start = datetime(2026, 11, 25, tzinfo=UTC)
    vec = np.random.default_rng(5).normal(size=(1, EMBED_DIM)).astype(np.float32)
    vec /= np.linalg.norm(vec)  # identical texts share one embedding; the detector's cost is what is timed
    posts = [Post(id=f"c{i}", channel_id="aip-51", author_id=f"raider{i}", content=text,
                  created_at=start + timedelta(milliseconds=50 * i), author_created_at=start - timedelta(days=2))
             for i in range(n)]
    times: list[float] = []
    comps: list[int] = []
    for i in range(0, n, batch):
        chunk = posts[i:i + batch]
        ctx = BatchContext(texts=[normalize(p.content) for p in chunk], embeddings=np.repeat(vec, len(chunk), 0))
        before, t = det.comparisons, time.perf_counter()
        det.score(chunk, ctx)
        det.revisions()
        times.append((time.perf_counter() - t) / len(chunk))
        comps.append(det.comparisons - before)
    per = max(1, 100 // batch)
    first = statistics.mean(times[:per]) * 1000
    step = 1000 // batch
    blocks = {f"{k * 1000}-{min(n, (k + 1) * 1000)}": round(statistics.mean(times[k * step:(k + 1) * step]) * 1000, 3)
              for k in range((n + 999) // 1000)}
    return {"posts": n, "batch": batch, "first_100_ms_per_post": round(first, 3), "ms_per_post_by_block": blocks,
            "max_block_over_first_100": round(max(blocks.values()) / first, 2),
            "comparisons_per_post_first_100": round(sum(comps[:per]) / (per * batch), 2),
            "comparisons_per_post_last_1000": round(sum(comps[-(1000 // batch):]) / 1000, 2),
            "campaigns": det.memory_stats()["campaigns"]}


def int8_check(texts: list[str]) -> dict[str, Any]:
    """Compare the encoder with an int8 dynamically quantised copy: speed and how far the embeddings move."""
    import copy
    import warnings

    import numpy as np
    import torch

    from models.encoder import Encoder
    from models.normalize import normalize

    normalised = [normalize(t) for t in texts]
    fp32 = Encoder(cache_size=0, precision="float32")
    int8 = Encoder(cache_size=0, precision="float32")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao.quantization is deprecated but still works in 2.13
        int8.model = torch.ao.quantization.quantize_dynamic(copy.deepcopy(fp32.model), {torch.nn.Linear},
                                                            dtype=torch.qint8)
    int8.fast = None  # the fused fast path reads float weights: run the quantised model itself
    timings, vectors = {}, {}
    for name, enc in (("fp32", fp32), ("int8", int8)):
        started = time.perf_counter()
        vectors[name] = enc.encode(normalised)
        timings[name] = round(len(texts) / (time.perf_counter() - started), 1)
    cosine = np.sum(vectors["fp32"] * vectors["int8"], axis=1)
    return {"fp32_texts_per_s": timings["fp32"], "int8_texts_per_s": timings["int8"],
            "cosine_mean": round(float(cosine.mean()), 4), "cosine_min": round(float(cosine.min()), 4)}


def fused_check(texts: list[str], rounds: int = 3) -> dict[str, Any]:
    """Time the encoder's fused pass (float32 and bfloat16 products) against transformers' own forward.

    The three run alternately in one process, `rounds` times each, so machine drift hits them alike. The
    bfloat16 pass is timed even where the CPU emulates it (`native_bfloat16` says which).
    """
    import numpy as np
    import torch

    from models.encoder import Encoder
    from models.fast_bert import FastBert, native_bf16
    from models.normalize import normalize

    normalised = [normalize(t) for t in texts]
    enc = Encoder(cache_size=0, precision="float32")
    passes = {"transformers": None, "fused": enc.fast, "fused_bfloat16": FastBert(enc.model, torch.bfloat16)}
    rates: dict[str, list[float]] = {name: [] for name in passes}
    vectors = {}
    for _ in range(rounds):
        for name, fast in passes.items():
            enc.fast = fast
            started = time.perf_counter()
            vectors[name] = enc.encode(normalised)
            rates[name].append(round(len(texts) / (time.perf_counter() - started), 1))
    cosine = np.sum(vectors["fused_bfloat16"] * vectors["transformers"], axis=1)
    return {"texts": len(texts), "native_bfloat16": native_bf16(), **{f"{k}_texts_per_s": v for k, v in rates.items()},
            "max_abs_difference": float(np.abs(vectors["fused"] - vectors["transformers"]).max()),
            "bfloat16_max_abs_difference": float(np.abs(vectors["fused_bfloat16"] - vectors["transformers"]).max()),
            "bfloat16_cosine_min": round(float(cosine.min()), 6)}


def lm_check(texts: list[str]) -> dict[str, Any]:
    """Time the SmolLM2 feature pass (not in the default pipeline) against the shared encoder."""
    from models.ai_text.lm_features import LmScorer
    from models.encoder import Encoder
    from models.normalize import normalize

    rates = {}
    for name, run in (("encoder", Encoder(cache_size=0).encode), ("smollm2_features", LmScorer().features)):
        started = time.perf_counter()
        run([normalize(t) for t in texts])
        rates[f"{name}_texts_per_s"] = round(len(texts) / (time.perf_counter() - started), 1)
    return {"texts": len(texts), **rates}



def precision_check(texts: list[str], batch: int = 256) -> dict[str, Any]:
    """Score the same posts with a float32 and a bfloat16 pipeline; report how far each detector's scores move.

    Per detector: the largest and mean absolute score difference, and the posts flagged (default policy) by
    one pipeline and not the other. Each pipeline keeps its own detector state, fed the same posts in order.
    """
    from bot.bench import make_posts, time_whole
    from bot.loader import load_pipeline
    from bot.pipeline import Policy

    posts = make_posts(texts)
    verdicts, rates = {}, {}
    for precision in ("float32", "bfloat16"):
        settings = Settings()
        settings.models.precision = precision  # type: ignore[assignment]
        pipeline = load_pipeline(settings)
        verdicts[precision] = [v for i in range(0, len(posts), batch)
                               for v in pipeline.process(posts[i : i + batch], lambda _g: Policy())]
        rates[precision] = time_whole(load_pipeline(settings), make_posts(texts, start=posts[-1].created_at), batch)
    full, low = verdicts["float32"], verdicts["bfloat16"]
    out: dict[str, Any] = {"posts": len(posts), "messages_per_s": rates, "detectors": {}}
    for name in full[0].scores:
        diff = [abs(a.scores[name] - b.scores[name]) for a, b in zip(full, low, strict=True)]
        flagged = [(name in a.flags, name in b.flags) for a, b in zip(full, low, strict=True)]
        out["detectors"][name] = {
            "max_abs_difference": round(max(diff), 4), "mean_abs_difference": round(statistics.mean(diff), 5),
            "flagged_float32": sum(f for f, _ in flagged), "flagged_bfloat16": sum(b for _, b in flagged),
            "flag_changed": sum(f != b for f, b in flagged)}
    return out
