"""Spelling repair against the encoder's vocabulary (what the toxicity branch reads)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from bot.pipeline import Pipeline
from models.detector import BatchContext
from models.encoder import Encoded, minilm_path
from models.spelling import SpellingRepair, repair_for
from models.types import DetectorOutput, Post

VOCAB = ["the", "you", "are", "a", "idiot", "worthless", "worth", "less", "women", "hate", "immigrants", "vote",
         "to", "signer", "hold", "stupid", "rant", "therapist", "count", "##ing", "[UNK]", "Proper"]


@pytest.fixture(scope="module")
def small() -> SpellingRepair:
    return SpellingRepair(VOCAB)


@pytest.mark.parametrize(("text", "read"), [
    ("you are a worthless iidot", "you are a worthless idiot"),  # two letters swapped
    ("you are a worthless idoit!", "you are a worthless idiot!"),  # punctuation after the word stays
    ("immigarnts", "immigrants"),
    ("immig rants", "immigrants"),  # a space inside the word
    ("you wom en", "you women"),
    ("you are a worth less idiot", "you are a worth less idiot"),  # two real words are not joined
    ("lindqvist you idiot", "lindqvist you idiot"),  # no edit makes a word of it: left as written
    ("Iidot. YOU ARE A WORTHLESS IIDOT", "idiot. YOU ARE A WORTHLESS idiot"),  # sentence starts and shouting
])
def test_one_edit_repairs_a_word(small: SpellingRepair, text: str, read: str) -> None:
    assert small.repair(text) == read


@pytest.mark.parametrize("text", [
    "the rapist",  # a known first piece: not joined
    "you signers",  # a known word with an ending
    "you cunt wmen hatewomen",  # no letter is put back and no run is split: real words would change
    "you are a hoes arse",  # a swap only in runs of 5+ letters
    "votre idoit est contre nous, pourquoi",  # mostly not English words
    "see https://example.com/iidot and discord.gg/wmen",  # links
    "@iidot #wmen <@123> idoit_2 idoit9",  # handles, channels, identifiers
    "it isn't, don't, the well-known iidot-ish",  # contractions and hyphenated words
    "Привет всем, नमस्ते, Xin chào mọi người",  # other scripts
    "ur gm ok",  # runs under three letters
    "ask Hodl or DeFi Iidot about it",  # names: capitalised mid-sentence, or mixed case
    "",
])
def test_what_is_not_prose_is_left_as_written(small: SpellingRepair, text: str) -> None:
    assert small.repair(text) == text


def test_the_more_frequent_word_wins_and_the_vocabulary_must_hold_words() -> None:
    assert SpellingRepair(["hold", "hodl"]).repair("hodl") == "hodl"  # a vocabulary word is never changed
    assert SpellingRepair(["bcade", "abcde"]).word("bacde") == "bcade"  # two swaps fit: the earlier word wins
    assert SpellingRepair(["abcde", "bcade"]).word("bacde") == "abcde"
    with pytest.raises(ValueError, match="no whole words"):
        SpellingRepair(["##ing", "[UNK]", "123"])


def test_the_shipped_vocabulary_repairs_obfuscations_and_leaves_ordinary_governance_text_alone() -> None:
    repair = repair_for(minilm_path() / "vocab.txt")
    assert repair.repair("immig rants are vermin") == "immigrants are vermin"
    assert repair.repair("you are a worthless iidot") == "you are a worthless idiot"
    text = "The treasury committee approved the grant; delegates vote on Snapshot tomorrow at 14:00 UTC."
    assert repair.repair(text) == text


class _Encoder:
    """Counts texts; its branch row is the text's length, so a re-read shows in the rows."""

    version = "fake-1"

    def __init__(self) -> None:
        self.branches: dict[str, object] = {}
        self.seen: list[list[str]] = []
        self._cache: dict[str, object] = {}  # what bench clears between timed runs

    def add_branch(self, branch: _Branch) -> None:
        self.branches[branch.name] = branch

    def encode_all(self, texts: list[str]) -> Encoded:
        self.seen.append(list(texts))
        rows = np.array([[float(len(t))] for t in texts], dtype=np.float32)
        return Encoded(np.zeros((len(texts), 384), dtype=np.float32), {"reader": rows})


class _Branch:
    name = "reader"


class _Reader:
    name, version, needs_embedding, default_threshold = "reader", "r-1", True, 0.5
    encoder_branch = _Branch()

    def branch_texts(self, texts: list[str]) -> list[str]:
        return [t.replace("iidot", "idiot!!") for t in texts]

    def score(self, posts: list[Post], ctx: BatchContext) -> list[DetectorOutput]:
        return [DetectorOutput(float(r[0]) / 100) for r in ctx.branches["reader/reread"]]


def test_the_pipeline_re_encodes_only_the_posts_a_detector_reads_differently() -> None:
    enc = _Encoder()
    pipe = Pipeline(enc, [_Reader()])
    when = datetime(2025, 1, 1, tzinfo=UTC)
    posts = [Post(id=str(i), channel_id="c", author_id="a", content=t, created_at=when)
             for i, t in enumerate(["hello there", "you iidot", "fine"])]
    ctx = pipe.context(posts)
    assert enc.seen == [["hello there", "you iidot", "fine"], ["you idiot!!"]]
    assert ctx.branches["reader"][:, 0].tolist() == [11.0, 9.0, 4.0]  # the posts as written
    assert ctx.branches["reader/reread"][:, 0].tolist() == [11.0, 11.0, 4.0]  # row 1 is the re-read text's
