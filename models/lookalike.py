"""Look-alike matching shared by the threat detectors: name skeletons, edit distance, name tokens."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from models.normalize import LEET, fold_confusables, strip_invisible

# Characters scammers swap for letters in names and domains ("0penSea", "un1swap", "rn" for "m"): the text
# normaliser's leet table, plus "9" for "g", which names and domains use ("9oogle") and prose does not.
_LEET = str.maketrans({**LEET, "9": "g"})
_MULTI = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def fold_name(text: str) -> str:
    """Return a name folded for comparison: NFKC, no invisibles, homoglyphs mapped, lower case, no accents."""
    text = unicodedata.normalize("NFKC", text)
    return fold_confusables(strip_invisible(text)).lower()


@lru_cache(maxsize=65536)  # pure; the same brand and allow-list names are compared with every link
def skeleton(text: str) -> str:
    """Return the compact look-alike form: folded, leet mapped, i/l merged, separators and repeats removed."""
    folded = fold_name(text).translate(_LEET)
    compact = _NON_ALNUM.sub("", folded)
    for pair, single in _MULTI:
        compact = compact.replace(pair, single)
    compact = compact.replace("i", "l")
    return re.sub(r"(.)\1+", r"\1", compact)


def name_tokens(text: str) -> list[str]:
    """Split a display name into lower-case word tokens ("SupportTeam_Uni" -> support, team, uni)."""
    spaced = _CAMEL.sub(" ", unicodedata.normalize("NFKC", strip_invisible(text)))
    folded = fold_confusables(spaced).lower().translate(_LEET)
    return [t for t in _NON_ALNUM.split(folded) if t]


def distance(a: str, b: str, limit: int = 3) -> int:
    """Return the Damerau-Levenshtein (optimal string alignment) distance, capped at limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return min(prev[-1], limit + 1)


def allowed_edits(length: int) -> int:
    """Return how many edits still count as a look-alike for a name of this length (0: exact only)."""
    return 0 if length < 5 else 1 if length < 9 else 2


@dataclass(frozen=True, slots=True)
class NameMatch:
    """How a candidate name resembles a protected one."""

    target: str  # the protected name, as written
    kind: str  # "same" | "homoglyph" | "near" | "contains"
    edits: int = 0


def match_name(candidate: str, targets: Iterable[str], *, min_len: int = 3) -> NameMatch | None:
    """Return the strongest resemblance of candidate to any target name, or None."""
    cand = skeleton(candidate)
    if len(cand) < min_len:
        return None
    best: NameMatch | None = None
    rank = {"homoglyph": 4, "same": 3, "near": 2, "contains": 1}
    for target in targets:
        tgt = skeleton(target)
        if len(tgt) < min_len:
            continue
        found: NameMatch | None = None
        if cand == tgt:
            plain = _NON_ALNUM.sub("", candidate.lower()) == _NON_ALNUM.sub("", target.lower())
            kind = "same" if plain else "homoglyph"
            found = NameMatch(target, kind)
        else:
            edits = distance(cand, tgt, 2)
            if 0 < edits <= allowed_edits(len(tgt)):
                found = NameMatch(target, "near", edits)
            elif len(tgt) >= 4 and tgt in cand:
                found = NameMatch(target, "contains")
        if found and (best is None or rank[found.kind] > rank[best.kind]):
            best = found
    return best

