"""Obfuscated copies of training texts: the spellings people use to slip abuse past a filter.

Each copy changes one or two words of four letters or more with one of: a dropped letter, two swapped
letters, a space inside the word, leetspeak digits, Cyrillic look-alike letters, or zero-width characters.
The copy keeps the labels of its original, so the branch learns that "immig rants" and "idi0t" mean what
"immigrants" and "idiot" mean. The normaliser (models/normalize.py) undoes leetspeak, look-alikes and
invisible characters before scoring; the other edits have to be learnt. No word list is involved: which
words are edited is chosen at random.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

_WORD = re.compile(r"[^\W\d_]{4,}")
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
_HOMOGLYPH = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
_ZERO_WIDTH = ("\u200b", "\u200c", "\u200d", "\u2060")


def drop_letter(word: str, rng: random.Random) -> str:
    """Return the word without one of its inner letters."""
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1:]


def swap_letters(word: str, rng: random.Random) -> str:
    """Return the word with two different neighbouring inner letters swapped (the word itself if none differ)."""
    places = [i for i in range(1, len(word) - 2) if word[i] != word[i + 1]] or [1]
    i = rng.choice(places)
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


def inner_space(word: str, rng: random.Random) -> str:
    """Return the word split by a space at an inner position."""
    i = rng.randrange(2, len(word) - 1)
    return word[:i] + " " + word[i:]


def leet(word: str, rng: random.Random) -> str:
    """Return the word with some letters written as digits."""
    return _substitute(word, {**_LEET, **{k.upper(): v for k, v in _LEET.items()}}, rng)


def homoglyph(word: str, rng: random.Random) -> str:
    """Return the word with some Latin letters replaced by Cyrillic look-alikes."""
    return _substitute(word, _HOMOGLYPH, rng)


def _substitute(word: str, table: dict[str, str], rng: random.Random) -> str:
    """Return the word with each letter found in table replaced at 60% odds, and at least one replaced."""
    places = [i for i, c in enumerate(word) if c in table]
    if not places:
        return word
    keep = set(places) - {rng.choice(places)}
    return "".join(table[c] if i in places and (i not in keep or rng.random() < 0.6) else c
                   for i, c in enumerate(word))


def zero_width(word: str, rng: random.Random) -> str:
    """Return the word with a zero-width character between some letters."""
    i = rng.randrange(1, len(word))
    return word[:i] + rng.choice(_ZERO_WIDTH) + word[i:]


# The edits the normaliser cannot undo come twice as often: those the branch itself has to learn.
EDITS: tuple[Callable[[str, random.Random], str], ...] = (drop_letter, swap_letters, inner_space, drop_letter,
                                                          swap_letters, inner_space, leet, homoglyph, zero_width)


def obfuscate(text: str, rng: random.Random, max_words: int = 2) -> str:
    """Return text with one or two of its longer words obfuscated (the text itself if it has none)."""
    spans = [m.span() for m in _WORD.finditer(text)]
    if not spans:
        return text
    chosen = sorted(rng.sample(spans, min(len(spans), rng.randint(1, max_words))), reverse=True)
    for start, stop in chosen:  # from the end, so earlier spans keep their offsets
        text = text[:start] + rng.choice(EDITS)(text[start:stop], rng) + text[stop:]
    return text


def augment(texts: list[str], frac: float, seed: int) -> list[tuple[int, str]]:
    """Return (index of the original, obfuscated copy) for a seeded `frac` of the texts."""
    rng = random.Random(seed)
    picked = sorted(rng.sample(range(len(texts)), int(round(frac * len(texts)))))
    out = []
    for i in picked:
        copy = obfuscate(texts[i], rng)
        if copy != texts[i]:
            out.append((i, copy))
    return out
