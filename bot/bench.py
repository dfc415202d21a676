"""`govmod bench`: throughput, live latency and memory of the real pipeline, against a BERT-base reference."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import resource
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from bot.bench_checks import fused_check, int8_check, lm_check, precision_check, time_copy_flood, time_flood
from bot.domain import Post
from bot.loader import load_pipeline
from bot.pipeline import REREAD, Pipeline
from bot.settings import Settings

log = logging.getLogger(__name__)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "sample_server.jsonl"


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def message_mix(n: int, seed: int = 7) -> list[str]:
    """Return n texts shaped like governance chat: mostly short, some tweets, a few long forum posts."""
    rng = random.Random(seed)
    sample = [json.loads(line).get("content", "") for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
              if line.strip()] if EXAMPLES.is_file() else []
    sample = [t for t in sample if t]
    try:
        from models.training.datasets import human_tweets

        tweets = human_tweets()
    except (FileNotFoundError, OSError):
        tweets = [t for t in sample if len(t) <= 280]
    short = [t for t in sample if len(t) < 80] or ["gm", "agreed", "+1 on this"]
    long = [t for t in sample if len(t) >= 400] or [" ".join(tweets[:8])]
    out = []
    for i in range(n):
        r = rng.random()
        if r < 0.45:
            text = rng.choice(short)
        elif r < 0.92:
            text = rng.choice(tweets)
        else:
            text = rng.choice(long)
            if rng.random() < 0.5:  # long posts of several paragraphs, up to Discord's 4,000 characters
                text = "\n\n".join(rng.sample(long, k=min(3, len(long))))[:4000]
        out.append(f"{text} [{i}]" if rng.random() < 0.3 else text)  # some exact repeats, as in real chat
    return out


def make_posts(texts: list[str], start: datetime | None = None, spacing_s: float = 3.0) -> list[Post]:
    """Wrap texts into posts from a pool of authors on a few channels."""
    start = start or datetime(2026, 11, 16, tzinfo=UTC)
    rng = random.Random(11)
    return [
        Post(id=str(10_000_000 + i), channel_id=str(rng.choice([1, 2, 3])), author_id=f"u{rng.randrange(400)}",
             content=t, created_at=start + timedelta(seconds=i * spacing_s), guild_id="1")
        for i, t in enumerate(texts)
    ]


def clear_memos(pipeline: Pipeline | None = None) -> None:
    """Empty the memos of pure functions (style rows, host splits, name skeletons) and the pipeline's detectors'.

    The function memos live in their modules: without this, a round would find the previous round's hosts
    and texts already measured, and a stage timed after the whole run would find its own.
    """
    from models.ai_text.lm_features import _style_row
    from models.lookalike import skeleton
    from models.threats.domain_features import split_host

    for memo in (_style_row, skeleton, split_host):
        memo.cache_clear()
    for det in pipeline.detectors if pipeline is not None else ():
        forget = getattr(det, "forget_memos", None)
        if forget is not None:
            forget()


def time_pipeline(pipeline: Pipeline, posts: list[Post], batch: int) -> dict[str, Any]:
    """Time the whole pipeline in batch mode, then the encoder and each detector on shared contexts."""
    rate = time_whole(pipeline, posts, batch)
    if pipeline.encoder is not None:
        pipeline.encoder._cache.clear()
    contexts, enc_s = [], 0.0
    posts = [replace(p, id=f"s{p.id}") for p in posts]  # new ids: stateful detectors must not skip repeats
    for i in range(0, len(posts), batch):
        t = time.perf_counter()
        contexts.append((posts[i : i + batch], pipeline.context(posts[i : i + batch])))
        enc_s += time.perf_counter() - t
    stage = "+".join(["encoder", *(pipeline.encoder.branches if pipeline.encoder is not None else []), "normalise"])
    per = {stage: round(len(posts) / enc_s, 1)}  # the shared pass, branches included (toxicity runs there)
    for det in pipeline.detectors:
        clear_memos(pipeline)  # each stage measured cold, not warm from the whole run
        t = time.perf_counter()
        for chunk, ctx in contexts:
            det.score(chunk, ctx)
        per[det.name] = round(len(posts) / max(time.perf_counter() - t, 1e-9), 1)
    reread: dict[str, int] = {}  # posts a detector also read differently (toxicity: spelling repaired)
    for _, ctx in contexts:
        for name, rows in ctx.branches.items():
            if name.endswith(REREAD):
                base = name.removesuffix(REREAD)
                reread[base] = reread.get(base, 0) + int(np.any(rows != ctx.branches[base], axis=1).sum())
    return {"messages_per_s": rate, "seconds": round(len(posts) / rate, 2), "per_stage_messages_per_s": per,
            "second_readings": reread}


def time_bert_reference(texts: list[str], batch: int, max_length: int = 256,
                        precision: str = "float32") -> dict[str, Any]:
    """Time a BERT-base sized classifier (default BertConfig, random weights) with the same batching.

    precision 'bfloat16' casts the reference to bfloat16, the like-for-like reference of a pipeline whose
    encoder runs its products in bfloat16.
    """
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from models.encoder import minilm_path

    tokenizer = AutoTokenizer.from_pretrained(minilm_path())  # same uncased WordPiece vocabulary as BERT-base
    torch.manual_seed(0)
    model = BertForSequenceClassification(BertConfig(num_labels=6)).eval()
    if precision == "bfloat16":
        model = model.to(torch.bfloat16)
    lengths = [len(x) for x in tokenizer(texts, truncation=True, max_length=max_length)["input_ids"]]
    order = sorted(range(len(texts)), key=lengths.__getitem__)
    started = time.perf_counter()
    with torch.inference_mode():
        for i in range(0, len(order), batch):
            enc = tokenizer([texts[j] for j in order[i : i + batch]], padding=True, truncation=True,
                            max_length=max_length, return_tensors="pt")
            model(**enc)
    seconds = time.perf_counter() - started
    return {"messages_per_s": round(len(texts) / seconds, 1), "seconds": round(seconds, 2),
            "params_millions": round(sum(p.numel() for p in model.parameters()) / 1e6, 1)}


def time_whole(pipeline: Pipeline, posts: list[Post], batch: int) -> float:
    """Return the whole pipeline's throughput (messages/s) in batch mode, from a cold encoder cache."""
    from bot.pipeline import Policy

    if pipeline.encoder is not None:
        pipeline.encoder._cache.clear()
    clear_memos(pipeline)
    started = time.perf_counter()
    for i in range(0, len(posts), batch):
        pipeline.process(posts[i : i + batch], lambda _g: Policy())
    return round(len(posts) / (time.perf_counter() - started), 1)


def paired_rounds(settings: Settings, texts: list[str], batch: int, rounds: int,
                  same_precision: str | None = None) -> dict[str, Any]:
    """Time the reference and the whole pipeline back to back, `rounds` times; the ratio is their median.

    The speed of a shared machine drifts by a factor of several within minutes, so a ratio of two runs taken
    minutes apart measures the machine as much as the code; each round here pairs two runs seconds apart,
    each pipeline from freshly loaded models (detector state from one round does not carry into the next).
    The reference is float32 BERT-base, as the speed target is stated. same_precision='bfloat16' (the
    pipeline's encoder runs bfloat16 products) also times a bfloat16 reference right after the pipeline in
    each round and reports that ratio beside it, so the gain that only the arithmetic gives is visible.
    """
    out = []
    for i in range(rounds):
        reference = time_bert_reference(texts, 32)["messages_per_s"]
        pipeline = load_pipeline(settings)
        start = datetime(2026, 11, 25, tzinfo=UTC) + timedelta(days=i)  # each round its own stretch of time
        whole = time_whole(pipeline, make_posts(texts, start=start), batch)
        del pipeline
        row = {"pipeline_messages_per_s": whole, "reference_messages_per_s": reference,
               "ratio": round(whole / reference, 2)}
        if same_precision is not None:
            same = time_bert_reference(texts, 32, precision=same_precision)["messages_per_s"]
            row |= {f"reference_{same_precision}_messages_per_s": same, "ratio_same_precision": round(whole / same, 2)}
        out.append(row)
    result: dict[str, Any] = {"rounds": out, "median_ratio": round(statistics.median(r["ratio"] for r in out), 2)}
    if same_precision is not None:
        result["reference_precision"] = same_precision
        result["median_ratio_same_precision"] = round(statistics.median(r["ratio_same_precision"] for r in out), 2)
    return result


async def time_live(pipeline: Pipeline, posts: list[Post], rate: float, settings: Settings) -> dict[str, Any]:
    """Feed posts at a steady rate through the live micro-batching path; latency = arrival to stored verdict."""
    from bot.live import LiveScorer
    from bot.service import ScanService
    from bot.storage import Database

    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.db")
        live = LiveScorer(ScanService(pipeline, db), queue_max=settings.pipeline.queue_max,
                          batch_max=settings.pipeline.batch_max, batch_wait_ms=settings.pipeline.batch_wait_ms)
        arrived: dict[str, float] = {}
        latencies: list[float] = []
        depths: list[int] = []

        async def on_result(result: Any) -> None:
            done = time.perf_counter()
            latencies.extend((done - arrived[v.post_id]) * 1000 for v in result.verdicts if v.post_id in arrived)

        live.subscribe(on_result)
        live.start()
        lag_max, interval = 0.0, 1.0 / rate
        start = time.perf_counter()
        for i, post in enumerate(posts):
            target = start + i * interval
            delay = target - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            lag_max = max(lag_max, (time.perf_counter() - target) * 1000)
            arrived[post.id] = time.perf_counter()
            await live.submit(post)
            depths.append(live.queue.qsize())
        await live.stop(timeout=120)
        await db.close()
    stats = live.stats()
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))], 1) if latencies else -1.0

    half = len(depths) // 2
    growing = bool(depths) and statistics.mean(depths[half:]) > 2 * max(1.0, statistics.mean(depths[:half])) + rate
    return {
        "rate_per_s": rate, "messages": len(posts), "scored": stats.scored, "dropped": stats.dropped,
        "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_queue_depth": max(depths, default=0),
        "max_arrival_lag_ms": round(lag_max, 1), "queue_grew_without_bound": growing,
    }


def write_scan_input(path: Path, n: int) -> None:
    """Write n posts of the message mix as JSON Lines (seeded), for the `govmod scan` benchmark."""
    texts = message_mix(min(n, 20_000), seed=3)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "id": str(20_000_000 + i), "channel_id": str(rng.choice([1, 2, 3, 4])), "guild_id": "1",
                "author_id": f"u{rng.randrange(5000)}", "content": f"{texts[i % len(texts)]} #{i // len(texts)}",
                "created_at": (start + timedelta(seconds=i * 6)).isoformat(),
            }) + "\n")


def time_scan(n: int) -> dict[str, Any]:
    """Time `govmod scan` of n posts in a child process; report its wall time and peak memory."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "posts.jsonl"
        write_scan_input(src, n)
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "bot.cli", "scan", str(src), "--db", str(Path(tmp) / "s.db"),
                               "--out", str(Path(tmp) / "out.jsonl"), "--quiet"], capture_output=True, text=True)
        seconds = time.perf_counter() - started
        lines = sum(1 for _ in (Path(tmp) / "out.jsonl").open()) if proc.returncode == 0 else 0
    child_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"posts": n, "exit_code": proc.returncode, "output_lines": lines, "seconds": round(seconds, 1),
            "posts_per_s": round(n / seconds, 1), "peak_rss_mb": round(child_rss, 1),
            "stderr_tail": proc.stderr[-500:] if proc.returncode else ""}


def stage(text: str) -> None:
    """Say on stderr which part of the benchmark runs now (the JSON result goes to stdout)."""
    print(f"govmod bench: {text}", file=sys.stderr, flush=True)


def long_check(n: int, batch: int) -> dict[str, Any]:
    """Time the AI-text long-form path: the pipeline with it (and its SmolLM2 stage) and without it."""
    from bot.policy import Policy
    from models.ai_text.detector import LONG_FLAG_WORDS, LONG_PATH_WORDS
    from models.ai_text.lm_features import word_count
    from models.ai_text.lm_stage import LM_TOKENS
    from models.normalize import normalize

    texts = message_mix(n)
    words = [word_count(normalize(t)) for t in texts]
    pipeline = load_pipeline(Settings())
    det = pipeline.detector("ai_generated")
    if det is None or getattr(det, "long", None) is None:
        raise SystemExit("the ai_generated detector has no long-form path loaded")
    long_path, lm = det.long, getattr(det, "lm", None)
    if lm is None and det.meta.get("long", {}).get("lm"):  # the LM stage is opt-in (`use_lm`): time it anyway
        from models.ai_text.lm_stage import LmStage
        from models.paths import WEIGHTS_DIR

        folder = Settings().models.weights_dir or WEIGHTS_DIR
        lm = LmStage.load(folder / "ai_text_long.npz", det.meta["long"]["lm"])
    out: dict[str, Any] = {"messages": len(texts)}
    if lm is not None:  # the LM loads on its first gated post; time that once, outside the throughput runs
        started = time.perf_counter()
        lm.statistics(["warm-up"])
        out["smollm2_load_seconds"] = round(time.perf_counter() - started, 1)
        lm.calls = 0
    variants = (("long_path_and_lm_on", long_path, lm), ("long_path_on_lm_off", long_path, None),
                ("long_path_off", None, None))
    for name, long, stage in variants:
        if name == "long_path_and_lm_on" and lm is None:
            continue
        det.long, det.lm = long, stage
        pipeline.encoder._cache.clear()
        posts = make_posts(texts)
        started = time.perf_counter()
        for i in range(0, len(posts), batch):
            pipeline.process([replace(p, id=f"{name}{p.id}") for p in posts[i : i + batch]], lambda _g: Policy())
        out[f"{name}_messages_per_s"] = round(len(posts) / (time.perf_counter() - started), 1)
        if stage is not None:
            out["lm_posts_read"] = stage.calls
    det.long, det.lm = long_path, lm
    share = sum(w >= LONG_FLAG_WORDS for w in words) / len(words)
    out[f"share_{LONG_PATH_WORDS}_plus_words"] = round(sum(w >= LONG_PATH_WORDS for w in words) / len(words), 4)
    out[f"share_{LONG_FLAG_WORDS}_plus_words"] = round(share, 4)
    if lm is not None:
        long_texts = [normalize(t) for t, w in zip(texts, words, strict=True) if w >= LONG_FLAG_WORDS][:16]
        started = time.perf_counter()
        lm.statistics(long_texts)
        lm_s = (time.perf_counter() - started) / max(len(long_texts), 1)
        on = out["long_path_on_lm_off_messages_per_s"]
        out[f"smollm2_{LM_TOKENS}_tokens_seconds_per_long_post"] = round(lm_s, 3)
        out["projected_messages_per_s_if_smollm2_read_every_long_post"] = round(1 / (1 / on + share * lm_s), 1)
    out["peak_rss_mb"] = round(peak_rss_mb(), 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print JSON; exit 1 if the live queue grows without bound."""
    parser = argparse.ArgumentParser(prog="govmod bench", description=__doc__)
    parser.add_argument("--messages", type=int, default=1000, help="messages in the batch-mode mix")
    parser.add_argument("--rate", type=float, default=20.0, help="arrival rate for the live path (messages/s)")
    parser.add_argument("--live-seconds", type=float, default=30.0, help="duration of the live replay")
    parser.add_argument("--batch", type=int, default=256, help="posts per pipeline call in batch mode (as govmod scan)")
    parser.add_argument("--flood", type=int, default=1000, help="messages submitted at once (back-pressure check)")
    parser.add_argument("--skip-reference", action="store_true", help="do not time the BERT-base reference")
    parser.add_argument("--rounds", type=int, default=3,
                        help="paired rounds (reference, then whole pipeline) whose median ratio is reported")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--lm", action="store_true", help="only time the SmolLM2 features against the encoder")
    parser.add_argument("--int8", action="store_true", help="only compare the encoder with an int8 copy")
    parser.add_argument("--fused", action="store_true",
                        help="only time the encoder's fused pass against transformers' forward, alternately")
    parser.add_argument("--precision", action="store_true",
                        help="only score the mix with a float32 and a bfloat16 pipeline and compare their scores")
    parser.add_argument("--scan", type=int, metavar="N", help="only time `govmod scan` of N synthetic posts")
    parser.add_argument("--startup", action="store_true", help="only time start-up: connect, models ready")
    parser.add_argument("--copy-flood", type=int, metavar="N",
                        help="only time the coordination detector on N identical posts from distinct accounts")
    parser.add_argument("--long", action="store_true", help="only time the AI-text long-form path (on/off, + LM)")
    args = parser.parse_args(argv)
    if args.startup:
        from bot.bench_startup import time_startup

        startup = time_startup()
        print(json.dumps(startup, indent=2))
        return 0 if "exit_code" not in startup else 1
    if args.copy_flood:
        print(json.dumps(time_copy_flood(args.copy_flood), indent=2))
        return 0
    if args.long:
        print(json.dumps(long_check(args.messages, args.batch), indent=2))
        return 0
    if args.lm:
        print(json.dumps(lm_check(message_mix(args.messages)), indent=2))
        return 0
    if args.int8:
        print(json.dumps(int8_check(message_mix(args.messages)), indent=2))
        return 0
    if args.fused:
        print(json.dumps(fused_check(message_mix(args.messages), max(1, args.rounds)), indent=2))
        return 0
    if args.precision:
        print(json.dumps(precision_check(message_mix(args.messages), args.batch), indent=2))
        return 0
    if args.scan:
        out = time_scan(args.scan)
        print(json.dumps(out, indent=2))
        return 0 if out["exit_code"] == 0 else 1

    import torch

    from bot.bench_startup import time_startup

    startup = time_startup()  # first, in a child process: nothing else competes for the two cores
    settings = Settings()
    texts = message_mix(args.messages)
    stage("loading the models")
    t = time.perf_counter()
    pipeline = load_pipeline(settings)
    load_s = time.perf_counter() - t
    result: dict[str, Any] = {
        "detectors": [d.name for d in pipeline.detectors], "model_versions": pipeline.model_versions,
        "torch": {"version": torch.__version__, "intra_op_threads": torch.get_num_threads(),
                  "inter_op_threads": torch.get_num_interop_threads()},
        "load_seconds": round(load_s, 1), "startup": startup, "messages": len(texts),
        "mean_chars": round(statistics.mean(len(x) for x in texts), 1),
    }
    stage(f"batch mode: {len(texts)} messages in batches of {args.batch}")
    result["batch_mode"] = time_pipeline(pipeline, make_posts(texts), args.batch)
    live_posts = make_posts(message_mix(int(args.rate * args.live_seconds), seed=99),
                            start=datetime(2026, 11, 23, tzinfo=UTC), spacing_s=1 / args.rate)
    fresh = load_pipeline(settings)  # fresh detector state for the live replay
    fresh_precision = getattr(fresh.encoder, "precision", "float32")
    result["encoder_precision"] = fresh_precision
    # the SmolLM2 stage loads on the first long post near the AI-text line, which the mix may not have: load it
    # now, so the bot's memory below is that of a bot that has met one (its calls then say what it read)
    lm_stage = getattr(fresh.detector("ai_generated"), "lm", None)
    if lm_stage is not None:
        lm_stage.statistics(["warm-up"])
        lm_stage.calls = 0
    result["smollm2_loaded"] = lm_stage is not None
    del pipeline
    stage(f"live path: {len(live_posts)} messages at {args.rate:g}/s ({args.live_seconds:g} s)")
    result["live"] = asyncio.run(time_live(fresh, live_posts, args.rate, settings))
    flood_posts = make_posts(message_mix(args.flood, seed=123), start=datetime(2026, 11, 24, tzinfo=UTC),
                             spacing_s=0.01)
    stage(f"flood: {len(flood_posts)} messages at once")
    result["flood"] = asyncio.run(time_flood(fresh, [replace(p, id=f"f{p.id}") for p in flood_posts], settings))
    result["peak_rss_mb_bot"] = round(peak_rss_mb(), 1)  # all models loaded, before the reference model exists
    if lm_stage is not None:
        result["smollm2_posts_read_live_and_flood"] = lm_stage.calls
    if not args.skip_reference:
        stage("reference: a BERT-base classifier on the same messages")
        result["reference_bert_base"] = time_bert_reference(texts, 32)
        result["single_run_ratio"] = round(
            result["batch_mode"]["messages_per_s"] / result["reference_bert_base"]["messages_per_s"], 2)
        result["throughput_ratio_vs_bert_base"] = result["single_run_ratio"]
        if args.rounds > 0:
            stage(f"paired rounds: reference then whole pipeline, {args.rounds} times")
            precision = fresh_precision
            result["paired"] = paired_rounds(settings, texts, args.batch, args.rounds,
                                             None if precision == "float32" else precision)
            result["throughput_ratio_vs_bert_base"] = result["paired"]["median_ratio"]
            if precision != "float32":
                result["throughput_ratio_vs_bert_base_same_precision"] = \
                    result["paired"]["median_ratio_same_precision"]
    result["peak_rss_mb_process"] = round(peak_rss_mb(), 1)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    if result["live"]["queue_grew_without_bound"]:
        print("live queue grew without bound at this rate", file=sys.stderr)
        return 1
    return 0
