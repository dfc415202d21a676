"""Fold text into a canonical form for detection; the original is kept for display and storage."""

from __future__ import annotations

import re
import unicodedata

# Zero-width, bidi and other invisible format characters used to split words.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e\u200b-\u200f"
                        "\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# Letters from other scripts that look like Latin ones (Unicode confusables, the common subset).
_CONFUSABLES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p",
    "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d",
    "ɡ": "g", "һ": "h", "ԛ": "q", "ԝ": "w", "ь": "b", "ы": "bi", "п": "n", "г": "r", "л": "n",
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "Ѕ": "S", "І": "I", "Ј": "J", "У": "Y",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I",
    "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
    # Latin look-alikes and IPA
    "ı": "i", "ȷ": "j", "ɑ": "a", "ɩ": "i", "ʏ": "y", "ɴ": "n", "ʀ": "r", "ꜱ": "s", "ᴀ": "a",
    "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k",
    "ʟ": "l", "ᴍ": "m", "ᴏ": "o", "ᴘ": "p", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ᴢ": "z",
    "ø": "o", "ð": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe",
})

# Leetspeak: only applied inside tokens that also contain letters ("1d1ot" folds, "2024" does not).
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b",
                       "@": "a", "$": "s", "!": "i", "|": "l", "+": "t", "€": "e"})
_TOKEN = re.compile(r"[^\s]+")
_SEGMENT = re.compile(r"[A-Za-z0-9@$!|+€]+")
_INTERIOR_LEET = re.compile(r"[A-Za-z][0134578@$!|+€]+[A-Za-z]")
# A leading "@" is a mention ("@user", "@everyone"); it is leet only in "@ss..." ("@sshole").
_LEADING_AT = re.compile(r"@ss[A-Za-z]*$", re.IGNORECASE)
# Hex strings (addresses, transaction hashes, commit ids) are data, never leetspeak.
_HEX = re.compile(r"(?:0x)?[0-9a-fA-F]{8,}$")
_RUN = re.compile(r"(.)\1{2,}", re.DOTALL)
_SPACED = re.compile(r"\b(?:[A-Za-z][ .\-_*]){2,}[A-Za-z]\b")


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


def fold_confusables(text: str) -> str:
    """Map homoglyphs from other scripts onto the Latin letters they imitate, then drop accents."""
    text = text.translate(_CONFUSABLES)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize(text: str) -> str:
    """Return the canonical detection form of text: NFKC, invisibles out, homoglyphs, leet, runs."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_invisible(text)
    text = fold_confusables(text)
    parts: list[str] = []
    words: list[str] = []
    for tok in _TOKEN.findall(text):
        if _is_protected(tok):
            if words:
                parts.append(_fold_words(words))
                words = []
            parts.append(tok)
        else:
            words.append(tok)
    if words:
        parts.append(_fold_words(words))
    return " ".join(parts)
