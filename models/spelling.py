"""Repair obfuscated spellings against the encoder's own vocabulary (toxicity's reading of a post).

Abuse is often spelt so that the tokenizer breaks the key word apart: two letters swapped ("idoit", "iidot") or a
space inside the word ("immig rants"). The WordPiece vocabulary of MiniLM (`vocab.txt`, ~21,700 whole English
words; no list of abusive words) says which runs of letters are words; a run is also known when it is a vocabulary
word with a plural or verb ending ("hoes", "signers"). An unknown run is repaired only when one edit makes it a
vocabulary word:

- joined with the next run across one space, when the first is not known ("immig rants"; "the rapist" stays);
- one pair of neighbouring letters swapped back, in runs of 5+ letters ("iidot" -> "idiot"); where several swaps
  fit, the vocabulary's earlier (more frequent) word wins.

A dropped letter is not put back and run-together words are not split: on real text (DynaHate, Davidson) both
turned real words the vocabulary lacks into other words ("cunt" -> "count", "rapes" -> "grapes"), hiding abuse.
Known words, names (capitalised mid-sentence, or "DeFi"), other scripts, text that is mostly not English words,
digits, mentions, links and contractions are left as written. The repaired text is what the toxicity branch
reads; every other detector reads the normalised text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[A-Za-z]+")
MIN_SWAP = 5  # shorter runs ("hoes", "arse") are one swap from too many words
MIN_JOINED = 4
ENGLISH_SHARE = 0.5  # texts of 4+ runs of 3+ letters are repaired only when half of them are known words
_ENDINGS = ("s", "es", "ed", "d", "ing", "er", "ers", "ly", "y", "n")


class SpellingRepair:
    """Repair runs of letters that one edit turns into a vocabulary word."""

    def __init__(self, words: Iterable[str]) -> None:
        """Keep the vocabulary (whole lowercase words, in the vocabulary's order: earlier = more frequent)."""
        self.rank: dict[str, int] = {}
        for w in words:
            if w.isascii() and w.isalpha() and w.islower() and w not in self.rank:
                self.rank[w] = len(self.rank)
        if not self.rank:
            raise ValueError("the vocabulary holds no whole words")

    @classmethod
    def from_vocab(cls, path: Path) -> SpellingRepair:
        """Read a WordPiece vocab.txt (one token per line; `##` pieces and `[special]` tokens are skipped)."""
        if not path.is_file():
            raise FileNotFoundError(f"vocabulary {path} not found")
        return cls(line.strip() for line in path.read_text(encoding="utf-8").splitlines())

    def known(self, word: str) -> bool:
        """Return whether a word (any case) is a vocabulary word, or one with a plural or verb ending ("hoes")."""
        w = word.lower()
        if w in self.rank:
            return True
        for end in _ENDINGS:
            stem = w[:-len(end)]
            doubled = len(stem) > 2 and stem[-1] == stem[-2] and stem[:-1] in self.rank  # "shedding"
            if w.endswith(end) and len(stem) >= 2 and (stem in self.rank or stem + "e" in self.rank or doubled):
                return True
        return False

    def word(self, token: str) -> str | None:
        """Return the repair of one run of letters (two neighbouring letters swapped back), or None."""
        w = token.lower()
        if len(w) < MIN_SWAP or self.known(w):
            return None
        found = [c for c in (w[:i] + w[i + 1] + w[i] + w[i + 2:] for i in range(len(w) - 1) if w[i] != w[i + 1])
                 if c in self.rank]
        return min(found, key=self.rank.__getitem__) if found else None

    def repair(self, text: str) -> str:
        """Return the text with its repairable spellings repaired (the same string when nothing changes)."""
        runs = list(_WORD.finditer(text))
        if not runs:
            return text
        out: list[str] = []
        pos = 0
        k = 0
        while k < len(runs):
            m = runs[k]
            out.append(text[pos:m.start()])
            nxt = runs[k + 1] if k + 1 < len(runs) else None
            if (nxt is not None and text[m.end():nxt.start()] == " " and self._joins(m.group(), nxt.group())
                    and _alone(text, m) and _alone(text, nxt)):  # the cheap look-ups first: most runs are words
                out.append((m.group() + nxt.group()).lower())
                pos = nxt.end()
                k += 2
                continue
            fixed = self.word(m.group())
            out.append(fixed if fixed is not None and _alone(text, m) else m.group())
            pos = m.end()
            k += 1
        out.append(text[pos:])
        repaired = "".join(out)
        if repaired == text or not self._english(repaired):
            return text  # nothing to repair, or mostly not English words (another language): read as written
        return repaired

    def _english(self, text: str) -> bool:
        """Return whether a (repaired) text is short or at least half known words (runs of 3+ letters)."""
        words = [w for w in _WORD.findall(text) if len(w) >= 3]
        return len(words) < 4 or sum(map(self.known, words)) >= ENGLISH_SHARE * len(words)

    def _joins(self, left: str, right: str) -> bool:
        """Return whether two runs split by one space are one word broken apart."""
        joined = (left + right).lower()
        return len(joined) >= MIN_JOINED and joined in self.rank and not self.known(left)  # "the rapist" stays


_SAFE_EDGE = set(" \t\n,.!?;\"()[]{}*~|")
_NOT_PROSE = re.compile(r"[/@#<>:=_\\0-9]|[A-Za-z]\.[A-Za-z]")


def _alone(text: str, m: re.Match[str]) -> bool:
    """Return whether a run of letters is a word of its own (not a name, link, handle, number or contraction)."""
    run = m.group()
    if not run.isupper() and (any(c.isupper() for c in run[1:])
                              or (run[0].isupper() and text[:m.start()].rstrip()[-1:] not in ("", ".", "!", "?"))):
        return False  # "DeFi", or capitalised mid-sentence: a name ("... vote on Snapshot")
    before = text[m.start() - 1] if m.start() else " "
    after = text[m.end()] if m.end() < len(text) else " "
    if before not in _SAFE_EDGE or after not in _SAFE_EDGE:
        return False
    start = max(text.rfind(c, 0, m.start()) for c in " \t\n") + 1
    ends = [i for i in (text.find(c, m.end()) for c in " \t\n") if i >= 0]
    return not _NOT_PROSE.search(text[start:min(ends, default=len(text))])


@lru_cache(maxsize=2)
def repair_for(vocab: Path) -> SpellingRepair:
    """Return the (shared) repairer of a vocabulary file."""
    return SpellingRepair.from_vocab(vocab)
