"""The `ai_generated` detector: how LLM-like a post is, and how consistently its author posts that way.

Per message: a logistic-regression head over the shared MiniLM embedding plus cheap stylometric
features (`models/ai_text/lm_features.py`); posts of LONG_PATH_WORDS+ words are scored by the long-form path
instead (`models/ai_text/long.py`: MiniLM windows + document features). Per author: a bounded window of
recent message log-odds per (guild, author), persisted through the PersistentDetector protocol. A post
is flagged on its own only when it has LONG_FLAG_WORDS+ words and its long-form score crosses the
threshold; a shorter post only through its author's score over enough messages and words. Both paths
and the author score are shifted onto one calibrated threshold, which guild policy may override.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.ai_text.lm_features import STYLE_NAMES, style_features, word_count
from models.ai_text.lm_stage import LM_TOKENS, LmStage
from models.ai_text.long import CASCADE_MARGIN, LONG_NAMES, LinearHead, LongResult, LongScorer
from models.detector import BatchContext
from models.paths import WEIGHTS_DIR
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

WEIGHTS_DIR = WEIGHTS_DIR
MIN_WORDS = 12  # below this a message counts little towards its author's score
LONG_PATH_WORDS = 80  # from here the long-form path gives the message score
LONG_FLAG_WORDS = 150  # from here a post may be flagged on its own (long-form threshold)
MIN_AUTHOR_MESSAGES = 5
MIN_AUTHOR_WORDS = 100
AUTHOR_WINDOW = 20  # recent messages kept per author
AUTHOR_LOGIT_FLOOR = 1.0  # an author flag needs messages averaging >= 73% LLM-like (log-odds 1)
LOGIT_CLIP = 6.0  # one message can move the author mean by at most this much
MAX_AUTHORS_IN_MEMORY = 50_000
LENGTH_EDGES = (12, 25, 40)  # word-count buckets, each calibrated to the same human false-positive rate

_PHRASES: dict[str, tuple[str | None, str | None]] = {  # feature -> (phrase if high, phrase if low)
    "mean_word_len": ("long, polished words", "short everyday words"),
    "type_token_ratio": ("no repeated words", "repetitive wording"),
    "title_case_ratio": ("many Capitalised Words", "mostly lowercase words"),
    "hashtag_rate": ("hashtag-and-emoji template typical of LLM tweets", "no hashtags"),
    "trailing_tag_block": ("hashtag-and-emoji template typical of LLM tweets", None),
    "emoji_count": ("hashtag-and-emoji template typical of LLM tweets", "no emoji"),
    "exclaim_rate": ("promotional exclamation marks", None),
    "question_rate": ("rhetorical questions", None),
    "lowercase_start": ("starts in lowercase like casual chat", "starts with a capital like edited prose"),
    "sentence_len_cv": ("uneven sentence lengths", "uniform sentence rhythm"),
    "ends_with_period": ("tidy final punctuation", "no final full stop"),
    "casual_rate": ("casual markers (slang, abbreviations)", "no casual markers (slang, abbreviations)"),
    "first_person_rate": ("personal voice (I, me, my)", "impersonal voice (few first-person words)"),
    "comma_rate": ("many commas and long clauses", "few commas"),
    "ellipsis_or_repeat": ("informal punctuation (..., !!, stretched words)", "no informal punctuation"),
    "digit_rate": ("numbers and figures", None),
    "lm_logp": ("very low perplexity for its length", "high perplexity (surprising wording)"),
    "lm_fastdetect": ("the words a language model would pick itself", "word choices a model would not make"),
}
MODERATOR_CHECK = (
    "Check before acting: does this match how the member usually writes (earlier posts, other channels)? "
    "Ask them about the specifics of what they argue; look for the same points or wording from other "
    "accounts (coordination). An LLM-polished post by a real member is not astroturf; never act on this "
    "score alone."
)
EMBEDDING_PHRASE = ("overall phrasing close to LLM-written text", "overall phrasing close to human posts")


def _sigmoid(z: float) -> float:
    return float(1.0 / (1.0 + np.exp(-z)))


def length_bucket(words: np.ndarray | Sequence[int]) -> np.ndarray:
    """Return the calibration bucket of each word count (0: < 12 words ... 3: >= 40 words)."""
    return np.searchsorted(np.asarray(LENGTH_EDGES), np.asarray(words), side="right")


def calibrate_logits(z: np.ndarray, words: np.ndarray | Sequence[int], bucket_logits: Sequence[float],
                     threshold_logit: float) -> np.ndarray:
    """Shift raw log-odds so each length bucket's 1%-FPR point lands on the global threshold."""
    return np.asarray(z) - np.asarray(bucket_logits, dtype=np.float64)[length_bucket(words)] + threshold_logit


def author_logit(logits: Sequence[float], words: Sequence[int]) -> float:
    """Return an author's evidence: the mean of clipped message log-odds, short messages weighted less."""
    z = np.clip(np.asarray(logits, dtype=np.float64), -LOGIT_CLIP, LOGIT_CLIP)
    w = np.clip(np.asarray(words, dtype=np.float64) / 20.0, 0.1, 1.0)
    return float((z * w).sum() / w.sum()) if len(z) else 0.0


AiTextHead = LinearHead  # the short-post head: the same standardise-then-dot logistic head as the long path's


@dataclass(slots=True)
class AuthorRecord:
    """Bounded running evidence about one member: totals plus a window of recent messages."""

    n: int = 0
    words: int = 0
    recent: list[tuple[str, float, int]] | None = None  # (post id, log-odds, words)

    def add(self, post_id: str, logit: float, words: int) -> None:
        """Add (or replace, for an edited/rescored post) one message's evidence."""
        recent = self.recent if self.recent is not None else []
        for i, (pid, _, old_words) in enumerate(recent):
            if pid == post_id:
                recent[i] = (post_id, logit, words)
                self.words += words - old_words
                self.recent = recent
                return
        recent.append((post_id, logit, words))
        self.recent = recent[-AUTHOR_WINDOW:]
        self.n += 1
        self.words += words

    @property
    def window_messages(self) -> int:
        """Return how many messages the author score is computed over."""
        return len(self.recent or [])

    @property
    def window_words(self) -> int:
        """Return the words in the scored window."""
        return sum(w for _, _, w in self.recent or [])

    def logit(self) -> float:
        """Return the author log-odds over the window."""
        recent = self.recent or []
        return author_logit([z for _, z, _ in recent], [w for _, _, w in recent])

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-able form for storage."""
        return {"n": self.n, "words": self.words,
                "recent": [[p, round(z, 4), w] for p, z, w in self.recent or []]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuthorRecord:
        """Rebuild a record from storage, re-applying the bounds."""
        recent = [(str(p), float(z), int(w)) for p, z, w in data.get("recent", [])][-AUTHOR_WINDOW:]
        return cls(n=int(data.get("n", len(recent))), words=int(data.get("words", 0)), recent=recent)


def save_weights(folder: Path, head: Any, meta: dict[str, Any], names: Sequence[str] | None = None) -> None:
    """Write ai_text.npz (head arrays) and ai_text.json (version, thresholds, metrics)."""
    folder.mkdir(parents=True, exist_ok=True)
    names = tuple(names) if names is not None else tuple(f"emb{i}" for i in range(384)) + STYLE_NAMES
    np.savez(folder / "ai_text.npz", names=np.array(names), mean=head.mean, scale=head.scale,
             coef=head.coef, intercept=np.array([head.intercept], dtype=np.float32))
    (folder / "ai_text.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


class AiTextDetector:
    """Score posts for LLM-written text, per message and per author (PersistentDetector)."""

    name = "ai_generated"
    needs_embedding = True

    def __init__(self, head: AiTextHead, meta: dict[str, Any]) -> None:
        """Keep a loaded head and its metadata; use `load` in production."""
        self.head = head
        self.embedding_columns = sum(n.startswith("emb") for n in head.names)  # the head's leading inputs
        self.meta = meta
        self.version = str(meta.get("version", "ai_text-dev"))
        self.default_threshold = float(meta["default_threshold"])
        self.threshold_logit = float(np.log(self.default_threshold / (1.0 - self.default_threshold)))
        self.author_threshold_logit = float(meta.get("author_threshold_logit", self.threshold_logit))
        self.bucket_logits = list(meta.get("bucket_threshold_logits") or [self.threshold_logit] * 4)
        self.authors: OrderedDict[str, AuthorRecord] = OrderedDict()
        self.long: LongScorer | None = None
        self.lm: LmStage | None = None  # SmolLM2 statistics for gated long posts (if trained)
        long_meta = meta.get("long") or {}
        self.long_threshold_logit = float(long_meta.get("threshold_logit", self.threshold_logit))
        self.human_reference = np.sort(np.asarray(long_meta.get("human_reference", []), dtype=np.float64))

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> AiTextDetector:
        """Read ai_text.npz/.json from models/weights (or weights_dir)."""
        folder = weights_dir or WEIGHTS_DIR
        meta = json.loads((folder / "ai_text.json").read_text(encoding="utf-8"))
        meta.update(opts)
        with np.load(folder / "ai_text.npz") as data:
            head = AiTextHead(tuple(str(n) for n in data["names"]), data["mean"].astype(np.float32),
                              data["scale"].astype(np.float32), data["coef"].astype(np.float32),
                              float(data["intercept"][0]))
        if any(n.startswith("lm_") for n in head.names):
            raise ValueError("this head needs LM features, which the shipped detector does not compute")
        log.info("ai_text head %s loaded (threshold %.4f)", meta.get("version"), meta["default_threshold"])
        det = cls(head, meta)
        if meta.get("long"):
            det.long = LongScorer.load(folder / "ai_text_long.npz")
            if meta["long"].get("lm") and meta.get("use_lm", True):  # on unless off (models.long_form_lm)
                det.lm = LmStage.load(folder / "ai_text_long.npz", meta["long"]["lm"])
            det.version = f"{det.version}+{meta['long']['version']}"
        return det

    def status_note(self) -> str | None:
        """Say, for /govmod status, whether the SmolLM2 stage of the long-form path is on, and if not why."""
        if self.long is None or not (self.meta.get("long") or {}).get("lm"):
            return None
        if self.lm is None:
            return "SmolLM2 stage off (GOVMOD_MODELS__LONG_FORM_LM=false)"
        if self.lm.failure is not None:
            return f"SmolLM2 stage **off**: the language model could not load or run ({self.lm.failure[:300]})"
        return f"SmolLM2 stage on: {self.lm.calls} long posts read"

    # -- message scores -------------------------------------------------------------------------
    def features(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        """Return the head's input rows for normalised texts and their shared embeddings."""
        return np.hstack([embeddings.astype(np.float32), style_features(texts)])

    def message_logits(self, texts: Sequence[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (length-calibrated log-odds, per-feature contributions) for a batch."""
        return self._logits_of(self.features(texts, embeddings), [word_count(t) for t in texts])

    def _logits_of(self, features: np.ndarray, words: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        contrib = self.head.contributions(features)
        raw = contrib.sum(1) + self.head.intercept
        return calibrate_logits(raw, words, self.bucket_logits, self.threshold_logit), contrib

    def signals(self, contrib: np.ndarray, x_std: np.ndarray, *, toward_ai: bool, k: int) -> list[str]:
        """Return up to k plain-word signals pushing toward (or away from) LLM-written text."""
        n_emb = self.embedding_columns
        items: list[tuple[float, str]] = []
        sign = 1.0 if toward_ai else -1.0
        emb = float(contrib[:n_emb].sum()) * sign
        if emb > 0.3:
            items.append((emb, EMBEDDING_PHRASE[0 if toward_ai else 1]))
        for j in range(n_emb, len(self.head.names)):
            c = float(contrib[j]) * sign
            phrases = _PHRASES.get(self.head.names[j])
            if c <= 0.15 or phrases is None:
                continue
            phrase = phrases[0] if x_std[j] > 0 else phrases[1]
            if phrase:
                items.append((c, phrase))
        out: list[str] = []
        for _, phrase in sorted(items, reverse=True):
            if phrase not in out:
                out.append(phrase)
        return out[:k]

    # -- per-author state (PersistentDetector) ----------------------------------------------------
    @staticmethod
    def key(post: Post) -> str:
        """Return the state key of a post's author in its guild."""
        return f"{post.guild_id}:{post.author_id}"

    def state_keys(self, posts: Sequence[Post]) -> list[str]:
        """Return the author keys the next batch will read."""
        return list(dict.fromkeys(self.key(p) for p in posts))

    def restore(self, records: dict[str, dict[str, Any]]) -> None:
        """Load stored author records for keys not already in memory."""
        for key, data in records.items():
            if key not in self.authors:
                self._put(key, AuthorRecord.from_json(data))

    def snapshot(self, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Return JSON-able author records for keys held in memory."""
        return {k: self.authors[k].to_json() for k in keys if k in self.authors}

    def _put(self, key: str, record: AuthorRecord) -> None:
        self.authors[key] = record
        self.authors.move_to_end(key)
        while len(self.authors) > MAX_AUTHORS_IN_MEMORY:
            self.authors.popitem(last=False)

    def author_score(self, record: AuthorRecord) -> float:
        """Map author log-odds onto the message scale, so both rules meet at the default threshold."""
        return _sigmoid(record.logit() - self.author_threshold_logit + self.threshold_logit)

    def author_qualifies(self, record: AuthorRecord) -> bool:
        """Return whether the author has enough messages and words for an author-level flag."""
        return record.window_messages >= MIN_AUTHOR_MESSAGES and record.window_words >= MIN_AUTHOR_WORDS

    # -- Detector -------------------------------------------------------------------------------
    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Score each post, update its author's record in order, and explain the result."""
        if not posts:
            return []
        if ctx.embeddings is None:
            raise ValueError("ai_generated needs the shared embeddings (needs_embedding=True)")
        features = self.features(ctx.texts, ctx.embeddings)  # once per batch: the style pass is pure Python
        words = [word_count(t) for t in ctx.texts]
        logits, contrib = self._logits_of(features, words)
        x_std = (features - self.head.mean) / self.head.scale
        long = self._long_results(posts, ctx, words)
        outputs = []
        for i, post in enumerate(posts):
            res = long.get(i)
            logit = float(logits[i]) if res is None else res.logit - self.long_threshold_logit + self.threshold_logit
            outputs.append(self._one(post, ctx.texts[i], logit, contrib[i], x_std[i], res, words[i]))
        return outputs

    def _long_results(self, posts: Sequence[Post], ctx: BatchContext, words: Sequence[int]) -> dict[int, LongResult]:
        """Score the batch's long posts with the long-form path (windows embedded through ctx.encode)."""
        idx = [i for i, n in enumerate(words) if n >= LONG_PATH_WORDS]
        if self.long is None or not idx or ctx.embeddings is None:
            return {}
        results = self.long.score([ctx.texts[i] for i in idx], [posts[i].scoring_text for i in idx],
                                  ctx.embeddings[idx], ctx.encode, self.long_threshold_logit - CASCADE_MARGIN)
        if self.lm is not None:
            gated = self.lm.gated([words[i] for i in idx], results, self.long_threshold_logit)
            again = self.lm.rescore([ctx.texts[idx[j]] for j in gated], [results[j] for j in gated],
                                    self.long_threshold_logit)
            for j, res in zip(gated, again, strict=True):
                results[j] = res
        return dict(zip(idx, results, strict=True))

    def human_share_below(self, logit: float, reference: np.ndarray | None = None) -> float | None:
        """Return the share of held-out human long posts (calibration set) scoring below this log-odds."""
        reference = self.human_reference if reference is None else reference
        if not len(reference):
            return None
        raw = logit - self.threshold_logit + self.long_threshold_logit
        return float(np.searchsorted(reference, raw, side="left") / len(reference))

    def _one(self, post: Post, text: str, logit: float, contrib: np.ndarray, x_std: np.ndarray,
             long: LongResult | None = None, words: int | None = None) -> DetectorOutput:
        """Build one post's output after folding it into its author's record."""
        words = word_count(text) if words is None else words
        message_score = _sigmoid(logit)
        key = self.key(post)
        record = self.authors.get(key) or AuthorRecord()
        if not post.is_bot:
            record.add(post.id, logit, words)
            self._put(key, record)
        author_score = self.author_score(record) if record.window_messages else None
        qualifies = self.author_qualifies(record) and not post.is_bot and author_score is not None
        on_its_own = words >= LONG_FLAG_WORDS
        if on_its_own:
            score = max(message_score, author_score) if qualifies else message_score  # type: ignore[type-var]
        else:  # a shorter message is judged only through its author's record, never on its own text
            score = author_score if qualifies else message_score
        evidence: dict[str, Any] = {"message_score": round(message_score, 4), "words": words}
        if long is not None and self.long is not None:
            evidence.update(self._long_evidence(logit, long))
        else:
            evidence["path"] = "short"
            evidence["signals"] = self.signals(contrib, x_std, toward_ai=True, k=3)
            evidence["human_signals"] = self.signals(contrib, x_std, toward_ai=False, k=2)
        if author_score is not None:
            evidence["author_score"] = round(author_score, 4)
            evidence["author_messages"] = record.window_messages
            evidence["author_words"] = record.window_words
        evidence["summary"] = self._summary(message_score, words, record, author_score, qualifies, evidence)
        if score >= self.default_threshold:
            evidence["moderator_check"] = MODERATOR_CHECK
        eligible = not post.is_bot and (on_its_own or qualifies)
        return DetectorOutput(score=score, evidence=evidence, eligible=eligible)

    def _long_evidence(self, logit: float, long: LongResult) -> dict[str, Any]:
        """Return the long-form path's evidence: passage scores, reasons and how sure, in words."""
        assert self.long is not None
        out: dict[str, Any] = {
            "path": "long-form",
            "passage_scores": [round(_sigmoid(float(z)), 3) for z in long.chunk_logits],
            "signals": self.long.signals(long, toward_ai=True, k=4),
            "human_signals": self.long.signals(long, toward_ai=False, k=3),
        }
        used_lm = long.names != LONG_NAMES and self.lm is not None
        reference = self.lm.human_reference if used_lm and self.lm is not None else self.human_reference
        if used_lm:
            out["language_model"] = (f"SmolLM2 read the first {LM_TOKENS} tokens (run because the post is long and "
                                     "near the flag line): how predictable its wording is to a language model")
        share = self.human_share_below(logit, reference)
        if share is not None:
            n = len(reference)
            above = f"all {n}" if share >= 1.0 else f"{share:.0%} of {n}"
            out["how_sure"] = (f"scores above {above} held-out human long posts "
                               f"(the flag line is set so about 1 in 100 human governance posts crosses it)")
        return out

    def _summary(self, message_score: float, words: int, record: AuthorRecord, author_score: float | None,
                 qualifies: bool, evidence: dict[str, Any]) -> str:
        """Return one plain sentence a moderator can read."""
        parts = [f"message looks {message_score:.0%} LLM-like"]
        if words < LONG_FLAG_WORDS:
            parts.append(f"shorter than {LONG_FLAG_WORDS} words ({words}), so judged only with the author's history")
        if evidence.get("how_sure"):
            parts.append(evidence["how_sure"])
        if author_score is not None and record.window_messages >= MIN_AUTHOR_MESSAGES:
            status = "" if qualifies else f" (author flags need {MIN_AUTHOR_WORDS}+ words)"
            parts.append(f"author {author_score:.0%} over their last {record.window_messages} messages "
                         f"/ {record.window_words} words{status}")
        elif author_score is not None:
            parts.append(f"author history: {record.window_messages} of the {MIN_AUTHOR_MESSAGES} messages "
                         "needed for an author score")
        if message_score >= 0.5 and evidence["signals"]:
            parts.append("signals: " + ", ".join(evidence["signals"]))
        elif evidence["human_signals"]:
            parts.append("reads as human: " + ", ".join(evidence["human_signals"]))
        return "; ".join(parts)
