"""Fold text into a canonical form for detection; the original is kept for display and storage."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters, by kind: the one table the normaliser strips and the injection rules count.
ZERO_WIDTH = "\u00ad\u034f\u180e\u200b\u200c\u200d\u200e\u200f\u2060-\u2064\ufeff"  # hide or split words
BIDI = "\u202a-\u202e\u2066-\u2069"  # bidirectional embeddings, overrides and isolates
FILLERS = "\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180d\u2065\u206a-\u206f\u3164\uffa0"  # blank letters, format marks
VARIATION_SELECTORS = "\ufe00-\ufe0f"  # emoji presentation selectors: invisible, and ordinary in chat
TAG_CHARACTERS = "\U000e0000-\U000e007f"  # Unicode tags: invisible twins of ASCII (tag smuggling)
_JOINERS = "\u200c\u200d"  # ZWNJ/ZWJ: part of Persian, Indic and emoji spelling; split words only in Latin
_INVISIBLE = re.compile(f"[{ZERO_WIDTH}{BIDI}{FILLERS}{VARIATION_SELECTORS}]")
_INVISIBLE_NOT_JOINERS = re.compile(f"[{ZERO_WIDTH.replace(_JOINERS, '')}{BIDI}{FILLERS}{VARIATION_SELECTORS}]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Letters from other scripts that look like Latin ones (Unicode confusables, the common subset). They
# are folded only inside a token that mixes scripts ("іdіot": Cyrillic і between Latin letters), or in a
# token made only of look-alikes inside otherwise Latin text ("уоu"); Russian or Greek text is left as written.
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b", "ы": "bi", "п": "n", "г": "r", "л": "n",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "У": "Y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I",
    "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
    # Latin letters of other languages, folded only in mixed-script tokens ("Søren", "Straße" stay)
    "ı": "i", "ø": "o", "ð": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe",
})
# Small capitals and IPA letters: no language writes words with them, so they are always folded.
_LATIN_LOOKALIKES = str.maketrans({
    "ȷ": "j", "ɑ": "a", "ɩ": "i", "ʏ": "y", "ɴ": "n", "ʀ": "r", "ꜱ": "s", "ᴀ": "a", "ɡ": "g",
    "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
})
_ALL_CONFUSABLES = {**_CONFUSABLES, **_LATIN_LOOKALIKES}
_LOOKALIKE_SCRIPTS = frozenset({"LATIN", "CYRILLIC", "GREEK"})

# Leetspeak, the one table: in text only applied inside tokens that also contain letters ("1d1ot" folds,
# "2024" does not); models.lookalike maps names and domains with it too.
LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
        "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"}
_LEET = str.maketrans(LEET)
_TOKEN = re.compile(r"[^\s]+")
_SEGMENT = re.compile(r"[A-Za-z0-9@$!|+€]+")
_INTERIOR_LEET = re.compile(r"[A-Za-z][0134578@$!|+€]+[A-Za-z]")
# A leading "@" is a mention ("@user", "@everyone"); it is leet only in "@ss..." ("@sshole").
_LEADING_AT = re.compile(r"@ss[A-Za-z]*$", re.IGNORECASE)
# Hex strings (addresses, transaction hashes, commit ids) are data, never leetspeak.
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{8,}$")
_RUN = re.compile(r"(.)\1{2,}", re.DOTALL)
_LETTER = "A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff"  # Latin, Greek, Cyrillic
_SPACED = re.compile(rf"(?<![{_LETTER}])(?:[{_LETTER}][ .\-_*]){{2,}}[{_LETTER}](?![{_LETTER}])")


def _fold_segment(match: re.Match[str]) -> str:
    """Fold one letter/leet run when a leet character sits between letters ("1d1ot", "h4te")."""
    seg = match.group(0)
    if _HEX.match(seg):
        return seg
    if _INTERIOR_LEET.search(seg) or _LEADING_AT.match(seg):
        return seg.translate(_LEET)
    return seg


def _is_protected(token: str) -> bool:
    """Return True for tokens that are data, not words: URLs, Discord mentions, hex strings."""
    return (
        token.startswith(("<", "http", "www."))
        or "://" in token
        or _HEX.match(token.strip(".,;:!?()[]")) is not None
    )


def _fold_leet(token: str) -> str:
    """Fold leetspeak in a word token, leaving mentions and plain numbers ("AIP-42", "1st") alone."""
    return _SEGMENT.sub(_fold_segment, token)


def _fold_words(words: list[str]) -> str:
    """Fold leet, letter-by-letter spelling and long runs in a stretch of unprotected tokens."""
    text = " ".join(_fold_leet(tok) for tok in words)
    text = _SPACED.sub(_join_spaced, text)
    return _RUN.sub(r"\1\1", text)


def _join_spaced(match: re.Match[str]) -> str:
    """Join words spelled out letter by letter ("i d i o t" -> "idiot")."""
    return re.sub(r"[ .\-_*]", "", match.group(0))


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-control and control characters (keeps newlines and tabs)."""
    return _CONTROL.sub("", _INVISIBLE.sub("", text))


def _strip_invisible_keep_joiners(text: str) -> str:
    """Remove invisibles like strip_invisible, but keep ZWJ/ZWNJ that sit between non-Latin characters."""
    if "\u200c" not in text and "\u200d" not in text:
        return strip_invisible(text)
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _JOINERS:
            prev, nxt = text[i - 1: i], text[i + 1: i + 2]
            if prev and nxt and not _is_latin(prev) and not _is_latin(nxt) and not prev.isspace():
                out.append(ch)
            continue
        out.append(ch)
    return _CONTROL.sub("", _INVISIBLE_NOT_JOINERS.sub("", "".join(out)))


def _is_latin(ch: str) -> bool:
    """Return True for an ASCII character or a Latin-script letter."""
    return ch.isascii() or script_of(ch) == "LATIN"


def script_of(ch: str) -> str | None:
    """Return the script of a letter from its Unicode name ("LATIN", "CYRILLIC", "DEVANAGARI"...), else None."""
    if not ch.isalpha():
        return None
    return unicodedata.name(ch, "UNKNOWN").split(" ", 1)[0]


def fold_confusables(text: str) -> str:
    """Map homoglyphs from other scripts onto the Latin letters they imitate, then drop accents (all text)."""
    text = text.translate(_ALL_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _scripts(token: str) -> set[str]:
    """Return the scripts of the letters in a token."""
    return {s for s in map(script_of, token) if s is not None}


def _strip_zalgo(token: str) -> str:
    """Drop combining marks piled on a base letter (3 or more) and marks left on Latin letters after NFC."""
    out: list[str] = []
    base = ""
    marks: list[str] = []
    for ch in unicodedata.normalize("NFC", token) + " ":
        if unicodedata.combining(ch):
            marks.append(ch)
            continue
        if base:
            keep = len(marks) < 3 and not (marks and _is_latin(base) and base.isalpha())
            out.append(base + ("".join(marks) if keep else ""))
        base, marks = ch, []
    return "".join(out)


def _fold_token(token: str, latin_context: bool) -> str:
    """Fold look-alike letters in one token when it mixes scripts (an attack), else leave its letters as written."""
    if token.isascii():
        return token
    token = _strip_zalgo(token.translate(_LATIN_LOOKALIKES))
    scripts = _scripts(token)
    lookalike = scripts & _LOOKALIKE_SCRIPTS
    mixed = len(lookalike) > 1 and scripts <= _LOOKALIKE_SCRIPTS
    disguised = (latin_context and lookalike and "LATIN" not in scripts and scripts <= _LOOKALIKE_SCRIPTS
                 and all(ord(ch) in _CONFUSABLES for ch in token if ch.isalpha()))
    if mixed or disguised:
        return fold_confusables(token)
    return token


def _latin_share(tokens: list[str]) -> float:
    """Return the share of tokens with a Latin letter among those with letters that are not look-alikes only."""
    if all(tok.isascii() for tok in tokens):
        return 1.0 if len(tokens) >= 3 else 0.0
    counted = [any(_is_latin(c) for c in tok if c.isalpha()) for tok in tokens
               if any(c.isalpha() for c in tok) and not all(ord(c) in _CONFUSABLES for c in tok if c.isalpha())]
    return sum(counted) / len(counted) if len(counted) >= 3 else 0.0  # too little text to tell


def normalize(text: str) -> str:
    """Return the canonical detection form of text: NFKC, invisibles out, mixed-script homoglyphs, leet, runs.

    Text in a single script (Russian, Hindi with its viramas, Vietnamese with its tone marks) keeps its
    letters and marks; only tokens that mix look-alike scripts, or look-alike-only tokens in Latin text,
    are folded onto Latin.
    """
    text = unicodedata.normalize("NFKC", text)
    text = _strip_invisible_keep_joiners(text)
    tokens = _TOKEN.findall(text)
    latin_context = _latin_share(tokens) >= 0.8
    parts: list[str] = []
    words: list[str] = []
    for tok in tokens:
        if _is_protected(tok):
            if words:
                parts.append(_fold_words(words))
                words = []
            parts.append(tok)
        else:
            words.append(_fold_token(tok, latin_context))
    if words:
        parts.append(_fold_words(words))
    return " ".join(parts)
