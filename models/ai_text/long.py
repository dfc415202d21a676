"""The long-form path of the `ai_generated` detector: chunked MiniLM scores plus document features.

MiniLM reads 256 tokens, so a long post is scored in overlapping word windows (the first window is the
shared pass itself, so it costs nothing extra); a chunk head scores each window and the document head
combines the mean, max, min and spread of those chunk scores with features that need length to be
reliable: sentence burstiness, structural repetition (lists, stock transitions such as "In
conclusion", evenly sized paragraphs) and the document's stylometry. Thresholds are not here: the
head's calibration lives in ai_text.json and the flag rule in `models/ai_text/detector.py` / guild policy.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.ai_text.lm_features import SENTENCE_SPLIT, STYLE_NAMES, WORD, strip_platform, style_features
from models.spelling import SpellingRepair, repair_for

CASCADE_MARGIN = 2.0  # extra windows only for posts whose first-window log-odds are within this of the line
CHUNK_WORDS = 190  # about 250 MiniLM tokens of English prose
CHUNK_STRIDE = 160  # windows overlap by about 30 words
MIN_TAIL_WORDS = 40  # a last window shorter than this is folded into the one before
MAX_CHUNKS = 6  # Discord's 4,000 characters are at most about 700 words

_WORD = WORD
_SENTENCE = SENTENCE_SPLIT
_LIST_LINE = re.compile(r"^\s*(?:[-*\u2022]|\d{1,2}[.)])\s+\S", re.MULTILINE)
_BOLD_LEAD = re.compile(r"^\s*(?:\*\*[^*\n]{2,60}\*\*|[A-Z][A-Za-z ]{2,40}:)", re.MULTILINE)
_TRANSITIONS = re.compile(
    r"\b(?:in conclusion|to conclude|in summary|to summari[sz]e|overall|ultimately|furthermore|moreover|"
    r"additionally|in addition|however|therefore|thus|consequently|firstly|secondly|lastly|finally|"
    r"on the other hand|as a result|for instance|for example)\b",
    re.IGNORECASE,
)
_CLOSERS = re.compile(r"\b(?:in conclusion|to conclude|in summary|to summari[sz]e|overall|ultimately)\b",
                      re.IGNORECASE)
_STOCK = re.compile(
    r"\b(?:crucial|essential|vital|foster(?:s|ing)?|ensur(?:e|es|ing)|delve|landscape|robust|"
    r"enhanc(?:e|es|ing)|leverag(?:e|es|ing)|navigat(?:e|es|ing)|seamless(?:ly)?|pivotal|"
    r"it is important to|plays? a (?:key|crucial|vital|significant) role|a testament to|"
    r"in today's|tapestry|holistic|stakeholders?|empower(?:s|ing)?)\b",
    re.IGNORECASE,
)
_FIRST = re.compile(rf"^\W*({WORD.pattern})")
# Orthography: slips people make and language models almost never do (case after a full stop, a
# lower-case "I", two letters swapped). Sentence boundaries after abbreviations and initials don't count.
_BOUNDARY = re.compile(r"\b([A-Za-z]+)[.!?]+\s+([A-Za-z])")
_ABBREVIATIONS = frozenset(
    "e g i ie eg etc vs approx cf al mr mrs ms dr st no nos fig figs incl esp resp min max avg est jr sr inc ltd "
    "co corp dept sec ch vol pp ed eds".split())
_LOWER_I = re.compile(r"(?<![\w'\u2019(])i(?:['\u2019](?:m|ve|d|ll))?(?![\w'\u2019)]|\.\w)")
_LOWER_RUN = re.compile(r"(?<![\w'\u2019-])[a-z]{5,}(?![\w'\u2019-])")

STRUCTURE_NAMES: tuple[str, ...] = (
    "paragraph_count",  # log1p of blank-line separated paragraphs
    "paragraph_len_cv",  # evenly sized paragraphs -> low
    "list_line_rate",  # markdown list lines per paragraph
    "heading_lead_rate",  # "**Title**" / "Benefits:" lead-ins per paragraph
    "transition_rate",  # stock transitions per sentence
    "closer_present",  # "In conclusion", "Overall", "Ultimately"...
    "stock_phrase_rate",  # LLM stock vocabulary per 100 words
    "sentence_len_mean",
    "sentence_len_sd",  # burstiness: human prose mixes short and long sentences
    "short_sentence_share",  # sentences of <= 6 words
    "opener_repeat_share",  # sentences that start with a word already used to start one
    "lowercase_sentence_share",  # sentences after a full stop that start in lower case
    "lowercase_i_rate",  # a lower-case "i" / "i'm" per 100 words
    "swapped_letters_rate",  # words with two neighbouring letters swapped ("becuase") per 100 words
)
CHUNK_AGG_NAMES: tuple[str, ...] = ("chunk_mean", "chunk_max", "chunk_min", "chunk_spread", "chunk_count")
LONG_NAMES: tuple[str, ...] = CHUNK_AGG_NAMES + tuple(f"doc_{n}" for n in STYLE_NAMES) + STRUCTURE_NAMES


def chunk_texts(text: str) -> list[str]:
    """Return the overlapping windows a long text is scored in; the first is the text itself.

    The encoder truncates the first (whole) text to its first ~256 tokens, which is exactly the shared
    pass every post already gets; later windows start every CHUNK_STRIDE words.
    """
    words = text.split()
    chunks = [text]
    start = CHUNK_STRIDE
    while start < len(words) and len(chunks) < MAX_CHUNKS:
        if len(words) - start < MIN_TAIL_WORDS and len(chunks) > 1:
            break
        chunks.append(" ".join(words[start : start + CHUNK_WORDS]))
        start += CHUNK_STRIDE
    return chunks


def _paragraphs(raw: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"\n\s*\n", raw.replace("\r\n", "\n"))]
    return [p for p in parts if _WORD.search(p)]


def _structure_row(raw: str) -> list[float]:
    """Measure one raw text (newlines kept); see STRUCTURE_NAMES for the order."""
    paragraphs = _paragraphs(raw) or [raw]
    plen = np.array([len(_WORD.findall(p)) for p in paragraphs], dtype=np.float64)
    pcv = float(plen.std() / plen.mean()) if len(plen) >= 2 and plen.mean() > 0 else 1.0
    flat = " ".join(raw.split())
    sentences = [s for s in _SENTENCE.split(flat) if _WORD.search(s)] or [flat]
    slen = np.array([len(_WORD.findall(s)) for s in sentences], dtype=np.float64)
    words = max(len(_WORD.findall(flat)), 1)
    openers = [m.group(1).lower() for s in sentences if (m := _FIRST.match(s))]
    repeats = len(openers) - len(set(openers))
    npar = len(paragraphs)
    return [
        math.log1p(npar),
        min(pcv, 3.0),
        len(_LIST_LINE.findall(raw)) / npar,
        len(_BOLD_LEAD.findall(raw)) / npar,
        len(_TRANSITIONS.findall(flat)) / len(sentences),
        float(bool(_CLOSERS.search(flat))),
        100.0 * len(_STOCK.findall(flat)) / words,
        float(slen.mean()),
        float(slen.std()),
        float((slen <= 6).mean()),
        repeats / max(len(openers), 1),
        *_orthography_row(flat, words),
    ]


def _orthography_row(flat: str, words: int) -> list[float]:
    """Return lowercase_sentence_share, lowercase_i_rate and swapped_letters_rate of a flattened text."""
    flat = strip_platform(flat)  # a link or a handle is not a spelling
    starts = [m.group(2) for m in _BOUNDARY.finditer(flat)
              if len(m.group(1)) > 1 and m.group(1).lower() not in _ABBREVIATIONS]
    lower = sum(c.islower() for c in starts) / len(starts) if starts else 0.0
    spelling = _spelling()
    swapped = sum(spelling.word(m.group()) is not None for m in _LOWER_RUN.finditer(flat))
    return [lower, 100.0 * len(_LOWER_I.findall(flat)) / words, 100.0 * swapped / words]


def _spelling() -> SpellingRepair:
    """Return the shared spelling repairer over MiniLM's vocabulary (the toxicity branch reads the same one)."""
    from models.encoder import minilm_path

    return repair_for(minilm_path() / "vocab.txt")


def structure_features(raw_texts: Sequence[str]) -> np.ndarray:
    """Return (n, len(STRUCTURE_NAMES)) float32 document-structure features of raw texts."""
    rows = [_structure_row(t) for t in raw_texts]
    return np.asarray(rows, dtype=np.float32).reshape(len(raw_texts), len(STRUCTURE_NAMES))


def chunk_aggregates(chunk_logits: Sequence[np.ndarray]) -> np.ndarray:
    """Return (n, 5) mean / max / min / spread / log count of each document's chunk log-odds."""
    out = np.zeros((len(chunk_logits), len(CHUNK_AGG_NAMES)), dtype=np.float32)
    for i, z in enumerate(chunk_logits):
        z = np.asarray(z, dtype=np.float64)
        out[i] = (z.mean(), z.max(), z.min(), z.std(), math.log(len(z)))
    return out


def long_features(chunk_logits: Sequence[np.ndarray], texts: Sequence[str], raw_texts: Sequence[str]) -> np.ndarray:
    """Return the document head's input rows (see LONG_NAMES) for normalised and raw texts."""
    return np.hstack([chunk_aggregates(chunk_logits), style_features(texts), structure_features(raw_texts)])


@dataclass(frozen=True, slots=True)
class LinearHead:
    """Standardise-then-dot logistic head; `names` says which feature each column is."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float

    def contributions(self, x: np.ndarray) -> np.ndarray:
        """Return per-feature contributions to the log-odds, shape like x."""
        return (x - self.mean) / self.scale * self.coef

    def logit(self, x: np.ndarray) -> np.ndarray:
        """Return the log-odds of rows of x."""
        return self.contributions(x).sum(-1) + self.intercept


# feature -> (phrase if high, phrase if low). Sentence-length spread and short-sentence share have no phrase:
# they move with doc_sentence_len_cv (the one burstiness wording), and their signs alone would read as contradictions.
_NO_SLIPS = "no slips of case or spelling (people make a few)"
LONG_PHRASES: dict[str, tuple[str | None, str | None]] = {
    "chunk_mean": ("phrasing close to LLM-written long text throughout", "phrasing close to human long posts"),
    "chunk_max": ("at least one passage reads strongly LLM-written", None),
    "chunk_min": ("no passage reads human", "some passages read clearly human"),
    "chunk_spread": ("uneven: some passages read LLM-written, others human", "uniform style from start to end"),
    "doc_sentence_len_cv": ("uneven sentence lengths", "uniform sentence rhythm (low burstiness)"),
    "doc_first_person_rate": ("personal voice (I, me, my)", "impersonal voice (few first-person words)"),
    "doc_casual_rate": ("casual markers (slang, abbreviations)", "no casual markers"),
    "doc_mean_word_len": ("long, polished words", "short everyday words"),
    "doc_type_token_ratio": ("varied vocabulary", "repetitive wording"),
    "doc_question_rate": ("rhetorical questions", None),
    "doc_digit_rate": ("concrete numbers and figures", "few concrete numbers"),
    "paragraph_len_cv": ("paragraphs of uneven size", "evenly balanced paragraphs"),
    "list_line_rate": ("bulleted or numbered lists", None),
    "heading_lead_rate": ("bold or 'Topic:' lead-ins on paragraphs", None),
    "transition_rate": ("many stock transitions (however, furthermore, moreover)", "few stock transitions"),
    "closer_present": ("a stock wrap-up ('In conclusion', 'Overall', 'Ultimately')", None),
    "stock_phrase_rate": ("LLM stock vocabulary (crucial, foster, ensure, landscape...)", None),
    "opener_repeat_share": ("sentences start the same way", None),
    "lowercase_sentence_share": ("sentences that start in lower case", _NO_SLIPS),
    "lowercase_i_rate": ('a lower-case "i"', _NO_SLIPS),
    "swapped_letters_rate": ("typos (swapped letters)", _NO_SLIPS),
    "lm_logp": ("wording a small language model finds very predictable", "surprising wording"),
    "lm_logrank": ("surprising wording", "the words a language model would rank first"),
    "lm_entropy": (None, "low-entropy, predictable continuation"),
    "lm_fastdetect": ("word choices a language model would make itself (Fast-DetectGPT)",
                      "word choices a language model would not make"),
    "lm_logp_sd": ("a mix of very predictable and surprising words", "evenly predictable wording throughout"),
    "lm_top1_share": ("many words a language model would have guessed first",
                      "few words a language model would guess first"),
    "lm_top10_share": ("almost every word among a language model's top ten guesses",
                       "many words outside a language model's top guesses"),
}


@dataclass(frozen=True, slots=True)
class LongResult:
    """The long-form path's output for one post."""

    logit: float  # raw document log-odds (calibrated by the caller)
    chunk_logits: np.ndarray
    contributions: np.ndarray  # per column of `names`
    x_std: np.ndarray  # standardised inputs, to word the signals
    x: np.ndarray  # raw inputs (the LM stage adds its columns to these)
    names: tuple[str, ...] = LONG_NAMES  # LONG_NAMES, or with the LM columns after the LM stage


class LongScorer:
    """Score long posts: chunk head over MiniLM windows, document head over aggregates and features."""

    def __init__(self, chunk: LinearHead, doc: LinearHead) -> None:
        """Keep the two loaded heads; use `load` in production."""
        self.chunk = chunk
        self.doc = doc

    @classmethod
    def load(cls, path: Path) -> LongScorer:
        """Read ai_text_long.npz."""
        with np.load(path) as d:
            chunk = LinearHead(tuple(f"emb{i}" for i in range(len(d["chunk_coef"]))), d["chunk_mean"],
                               d["chunk_scale"], d["chunk_coef"], float(d["chunk_intercept"][0]))
            doc = LinearHead(tuple(str(n) for n in d["doc_names"]), d["doc_mean"], d["doc_scale"], d["doc_coef"],
                             float(d["doc_intercept"][0]))
        if doc.names != LONG_NAMES:
            raise ValueError(f"{path.name} was trained on other features; retrain with `govmod train ai_text`")
        return cls(chunk, doc)

    def score(self, texts: Sequence[str], raw_texts: Sequence[str], first_emb: np.ndarray,
              encode: Callable[[list[str]], np.ndarray] | None, gate_logit: float | None = None) -> list[LongResult]:
        """Score long posts: normalised texts, raw texts (newlines kept), their shared-pass embeddings.

        `encode` embeds the extra windows (without it, only the first window is read). With `gate_logit`,
        the extra windows are read only for posts whose first-window score reaches it (a cascade: the
        windows cost a MiniLM pass each, and a post far below the flag line does not need them).
        """
        if encode is None or gate_logit is None:
            return self._score(texts, raw_texts, first_emb, encode)
        first = self._score(texts, raw_texts, first_emb, None)
        again = [i for i, r in enumerate(first) if r.logit >= gate_logit and len(texts[i].split()) > CHUNK_STRIDE]
        if again:
            full = self._score([texts[i] for i in again], [raw_texts[i] for i in again], first_emb[again], encode)
            for i, r in zip(again, full, strict=True):
                first[i] = r
        return first

    def _score(self, texts: Sequence[str], raw_texts: Sequence[str], first_emb: np.ndarray,
               encode: Callable[[list[str]], np.ndarray] | None) -> list[LongResult]:
        """Score long posts reading every window (or the first only, without `encode`)."""
        windows = [chunk_texts(t)[1:] if encode is not None else [] for t in texts]
        flat = [w for ws in windows for w in ws]
        extra = encode(flat) if flat and encode is not None else np.zeros((0, first_emb.shape[1]), np.float32)
        chunk_logits, pos = [], 0
        for i, ws in enumerate(windows):
            emb = np.vstack([first_emb[i : i + 1], extra[pos : pos + len(ws)]])
            pos += len(ws)
            chunk_logits.append(self.chunk.logit(emb))
        x = long_features(chunk_logits, texts, raw_texts)
        contrib = self.doc.contributions(x)
        x_std = (x - self.doc.mean) / self.doc.scale
        return [LongResult(float(contrib[i].sum() + self.doc.intercept), chunk_logits[i], contrib[i], x_std[i], x[i])
                for i in range(len(texts))]

    def signals(self, result: LongResult, *, toward_ai: bool, k: int) -> list[str]:
        """Return up to k plain-word reasons pushing toward (or away from) LLM-written text."""
        sign = 1.0 if toward_ai else -1.0
        items = []
        for j, name in enumerate(result.names):
            c = float(result.contributions[j]) * sign
            phrases = LONG_PHRASES.get(name)
            if c > 0.2 and phrases is not None:
                phrase = phrases[0] if result.x_std[j] > 0 else phrases[1]
                if phrase:
                    items.append((c, phrase))
        out: list[str] = []
        for _, phrase in sorted(items, reverse=True):
            if phrase not in out:
                out.append(phrase)
        return out[:k]
