"""Load the labelled public data sets under ../shared/data (read in place, never copied)."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from models.paths import REPO_ROOT

csv.field_size_limit(10_000_000)


def data_root() -> Path:
    """Return the shared data folder: $GOVMOD_DATA_DIR, else ../shared/data beside the checkout."""
    env = os.environ.get("GOVMOD_DATA_DIR")
    if env:
        return Path(env)
    here = REPO_ROOT
    for candidate in (here.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "labelled data not found: set GOVMOD_DATA_DIR or place the shared data at ../shared/data"
    )


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text: label 1 is the positive class (toxic, AI-written, paraphrase...)."""

    text: str
    label: int
    source: str
    group: str = ""  # generator name, target group, split name...


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def tweeteval(task: str, split: str) -> list[Example]:
    """Return TweetEval `offensive` or `hate` examples for split `train` or `val`."""
    folder = data_root() / "toxicity" / f"tweeteval_{task}"
    texts = _lines(folder / f"{split}_text.txt")
    labels = _lines(folder / f"{split}_labels.txt")
    return [Example(t, int(y), f"tweeteval_{task}", split) for t, y in zip(texts, labels, strict=True)]


def davidson() -> list[Example]:
    """Return Davidson et al. tweets: hate or offensive (class 0/1) -> 1, neither (2) -> 0."""
    path = data_root() / "toxicity" / "davidson" / "labeled_data.csv"
    with path.open(encoding="utf-8") as fh:
        return [Example(r["tweet"], int(r["class"] != "2"), "davidson", r["class"]) for r in csv.DictReader(fh)]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def dynahate() -> list[dict[str, str]]:
    """Return DynaHate rows (dev + test splits of rounds 1-4) with their columns: text, label_int, round_base..."""
    return _csv_rows(data_root() / "toxicity" / "dynahate" / "dynahate.csv")


def counter_speech(lang: str | None = "en") -> list[dict[str, str]]:
    """Return CONAN-family rows (hate_speech 1 / counter_narrative 0, `split` by group), optionally one language."""
    rows = _csv_rows(data_root() / "toxicity" / "counter_speech" / "counter_speech.csv")
    return [r for r in rows if lang is None or r["lang"] == lang]


def hatemoji() -> list[dict[str, str]]:
    """Return HatemojiBuild rows (emoji-based hate, label_gold 1/0, type, upstream split)."""
    return _csv_rows(data_root() / "toxicity" / "hatemoji_build" / "hatemoji_build.csv")


def toxigen() -> list[Example]:
    """Return ToxiGen prompt sentences with `label_hate` and the target group."""
    path = data_root() / "toxicity" / "toxigen_prompts" / "toxigen_prompt_sentences.csv"
    with path.open(encoding="utf-8") as fh:
        return [Example(r["text"], int(r["label_hate"]), "toxigen", r["target_group"]) for r in csv.DictReader(fh)]


GENERATOR_ALIASES = {"Gpt-4": "GPT-4"}


def llm_tweets() -> list[Example]:
    """Return AuthorMimic LLM tweets (label 1); group is the generator (seven models)."""
    path = data_root() / "ai_text" / "authormimic" / "llm_tweets.csv"
    with path.open(encoding="utf-8") as fh:
        return [
            Example(r["text"], 1, "authormimic", GENERATOR_ALIASES.get(r["author"], r["author"]))
            for r in csv.DictReader(fh)
        ]


def tweepfake(split: str) -> list[Example]:
    """Return TweepFake `train`/`validation`/`test`: human 0, bot 1; group is the class type."""
    path = data_root() / "ai_text" / "tweepfake" / f"{split}.csv"
    with path.open(encoding="utf-8") as fh:
        return [
            Example(r["text"], int(r["account.type"] == "bot"), "tweepfake", r["class_type"])
            for r in csv.DictReader(fh, delimiter=";")
        ]


def human_ai_gpt35(language: str | None = "en") -> list[Example]:
    """Return the human/GPT-3.5 article corpus, optionally one language."""
    path = data_root() / "ai_text" / "human_ai_gpt35" / "human_ai_gpt35.csv"
    with path.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if language is None or r["language"] == language]
    return [Example(r["text"], int(r["label_ai"]), "human_ai_gpt35", r["language"]) for r in rows]


def sts(split: str) -> list[tuple[str, str, float]]:
    """Return STS Benchmark pairs (sentence1, sentence2, similarity 0-5) for train/dev/test."""
    path = data_root() / "paraphrase" / "stsbenchmark" / f"sts-{split}.csv"
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        cols = line.split("\t")
        if len(cols) >= 7:
            pairs.append((cols[5], cols[6], float(cols[4])))
    return pairs


def mrpc(split: str) -> list[tuple[str, str, int]]:
    """Return MRPC pairs (string1, string2, 1 if paraphrase) for train/test."""
    path = data_root() / "paraphrase" / "mrpc" / f"msr_paraphrase_{split}.txt"
    rows = path.read_text(encoding="utf-8-sig").splitlines()[1:]
    out = []
    for line in rows:
        cols = line.split("\t")
        if len(cols) == 5:
            out.append((cols[3], cols[4], int(cols[0])))
    return out


def sms_spam() -> list[Example]:
    """Return the UCI SMS spam collection with label 1 = spam (the file uses 0 = spam)."""
    path = data_root() / "spam" / "sms_spam" / "sms.tsv"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        text, _, label = line.rpartition("\t")
        if label.strip() in {"0", "1"}:
            out.append(Example(text.strip(), int(label.strip() == "0"), "sms_spam"))
    return out


def human_tweets() -> list[str]:
    """Return human-written tweet texts (TweepFake humans + the toxicity sets' non-toxic tweets)."""
    texts = [e.text for s in ("train", "validation", "test") for e in tweepfake(s) if e.label == 0]
    texts += [e.text for e in tweeteval("offensive", "train") if e.label == 0]
    return texts
