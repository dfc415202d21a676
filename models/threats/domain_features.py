"""Lexical features of a host name for the phishing-domain model: hashed n-grams, words, brands, TLD, randomness.

Pure Python and numpy (no network, no look-up in any list of known scam domains): the same tokens are built
at training time (models/threats/train_scam_link.py) and at run time (models/threats/domain_model.py).
"""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# Free hosting and site builders where anyone gets a subdomain in a minute.
FREE_HOSTING = frozenset({
    "vercel.app", "pages.dev", "netlify.app", "github.io", "web.app", "firebaseapp.com", "herokuapp.com",
    "workers.dev", "glitch.me", "onrender.com", "repl.co", "replit.app", "surge.sh", "gitbook.io",
    "webflow.io", "wixsite.com", "weebly.com", "square.site", "blogspot.com", "000webhostapp.com",
    "ipfs.io", "fleek.co", "on.fleek.co", "azurewebsites.net", "web3.storage", "framer.website",
    "framer.app", "myshopify.com", "carrd.co", "godaddysites.com", "wordpress.com", "cloudfront.net",
    "r2.dev", "appspot.com", "ngrok.io", "ngrok-free.app", "fly.dev", "railway.app", "deno.dev",
    "gitlab.io", "bitbucket.io", "vercel.com", "netlify.com", "windows.net", "amplifyapp.com",
})
# Words of wallet-drainer and fake-airdrop sites (matched inside the host, not only as whole labels).
LURE_WORDS = (
    "airdrop", "claim", "reward", "bonus", "gift", "giveaway", "drop", "mint", "free", "wallet", "connect",
    "verify", "validat", "restore", "rectif", "sync", "secure", "support", "unlock", "revoke", "stake",
    "staking", "bridge", "migrat", "portal", "dapp", "defi", "web3", "nft", "presale", "launch", "event",
    "official", "whitelist", "allocation", "eligib", "redeem", "refund", "recover", "login", "auth",
    "token", "swap", "finance", "yield", "pool", "earn", "nitro", "steam",
)
_SPLIT = re.compile(r"[.\-_]+")
_DIGIT_RUN = re.compile(r"\d+")
_CONSONANTS = re.compile(r"[bcdfghjklmnpqrstvwxz]+")
_VOWELS = set("aeiouy")


@dataclass(frozen=True, slots=True)
class HostParts:
    """A host split into its parts (ASCII, punycode kept as xn--)."""

    host: str
    subdomain: str
    label: str  # registrable label: "uniswap" of "app.uniswap.org"
    suffix: str  # public suffix, private ones included: "org", "vercel.app"

    @property
    def registrable(self) -> str:
        """Return label.suffix."""
        return f"{self.label}.{self.suffix}" if self.suffix else self.label


@lru_cache(maxsize=1)
def _extractor() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


@lru_cache(maxsize=65536)  # pure (an offline suffix snapshot); a link's host is split several times per post
def split_host(host: str) -> HostParts:
    """Split a host into subdomain, registrable label and public suffix (offline snapshot)."""
    host = host.strip().strip(".").lower()
    if host.startswith("www."):
        host = host[4:]
    ext = _extractor()(host)
    return HostParts(host, ext.subdomain, ext.domain or host, ext.suffix)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))}


@dataclass(frozen=True, slots=True)
class BrandIndex:
    """Brand names and their one-deletion neighbourhoods, for fast near-miss checks (SymSpell style)."""

    names: frozenset[str]
    near: dict[str, str]  # deletion variant -> brand
    own_domains: frozenset[str]  # registrable domains that belong to the brands themselves
    inside: re.Pattern[str] | None = None  # any brand of five or more letters, longest first

    @classmethod
    def build(cls, names: Iterable[str], own_domains: Iterable[str] = ()) -> BrandIndex:
        """Index brand names of at least four letters."""
        clean = frozenset(n.lower() for n in names if len(n) >= 4 and n.isalnum())
        near: dict[str, str] = {}
        for name in sorted(clean):
            if len(name) >= 5:
                for variant in _deletions(name) | {name}:
                    near.setdefault(variant, name)
        long = sorted((n for n in clean if len(n) >= 5), key=lambda n: (-len(n), n))
        inside = re.compile("|".join(map(re.escape, long))) if long else None
        return cls(clean, near, frozenset(d.lower() for d in own_domains), inside)

    def near_brand(self, word: str) -> str | None:
        """Return the brand a word misspells by one edit (deletion index on both sides), if any."""
        if len(word) < 5:
            return None
        for variant in _deletions(word) | {word}:
            brand = self.near.get(variant)
            if brand and abs(len(brand) - len(word)) <= 1:
                return brand
        return None

    def match(self, parts: HostParts, words: list[str]) -> tuple[str, str] | None:
        """Return (kind, brand): 'exact' label on a foreign domain, 'near' spelling, or 'contains' the name."""
        if parts.registrable in self.own_domains:
            return None
        for word in words:
            if word in self.names:
                return "exact", word
        for word in words:
            brand = self.near_brand(word)
            if brand:
                return "near", brand
        joined = parts.host.replace(".", "").replace("-", "")
        for name in self.names:
            if len(name) >= 5 and name in joined:
                return "contains", name
        return None


def _entropy(text: str) -> float:
    if not text:
        return 0.0
    counts = {ch: text.count(ch) for ch in set(text)}
    return -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values())


def host_tokens(host: str, brands: BrandIndex) -> list[str]:
    """Return the feature tokens of a host: n-grams, words, suffix, brands, lure words and shape buckets."""
    parts = split_host(host)
    body = f"{parts.subdomain}.{parts.label}" if parts.subdomain else parts.label
    tokens = [f"g:{g}" for g in _ngrams(f"<{body}>")]
    words = [w for w in _SPLIT.split(body) if w]
    alpha = [a for w in words for a in _DIGIT_RUN.split(w) if len(a) >= 2]
    tokens += [f"w:{w}" for w in alpha]
    top = parts.suffix.rsplit(".", 1)[-1] if parts.suffix else ""
    tokens += [f"t:{parts.suffix}", f"tl:{top}"]
    if parts.suffix in FREE_HOSTING or parts.registrable in FREE_HOSTING:
        tokens.append("fh:1")
        tokens.append(f"fhsub:{min(len(parts.subdomain), 40) // 8}")
    brand = brands.match(parts, alpha)
    if brand:
        tokens += [f"b:{brand[0]}", f"b:{brand[0]}:{'sub' if brand[1] in parts.subdomain else 'label'}"]
    tokens += [f"v:{w}" for w in LURE_WORDS if w in body]
    label = parts.label
    tokens += [
        f"len:{min(len(label), 30) // 3}", f"hy:{min(body.count('-'), 4)}",
        f"dg:{min(sum(ch.isdigit() for ch in body), 6)}", f"lab:{min(body.count('.') + 1, 5)}",
        f"ent:{int(_entropy(label) * 2)}",
        f"cons:{min(max((len(m) for m in _CONSONANTS.findall(label)), default=0), 7)}",
        f"vow:{int(10 * sum(ch in _VOWELS for ch in label) / max(len(label), 1))}",
        f"sublen:{min(len(parts.subdomain), 40) // 5}",
    ]
    if "xn--" in parts.host:
        tokens.append("puny:1")
    return tokens + label_tokens(parts, body) + layout_tokens(parts, body, brands)


# Endings that phishing hosts put in front of a hyphen to fake a domain: debank.com-connect-app.com
_FAKE_ENDINGS = frozenset({"com", "net", "org", "io", "fi", "xyz", "app", "finance", "exchange", "network", "co",
                           "ai", "gg", "money", "tech", "me", "so", "to", "cc", "art", "info", "pro", "one",
                           "foundation", "global", "dev"})
_FAKE_DOMAIN = re.compile(r"\.(?:com|io|fi|org|net|xyz|finance|app)-")
# Look-alike digits and letter pairs, folded before brands are looked up (0 -> o, rn -> m, vv -> w)
_FOLD = str.maketrans({"0": "o", "1": "l", "3": "e", "4": "a", "5": "s", "7": "t", "$": "s"})


def layout_tokens(parts: HostParts, body: str, brands: BrandIndex) -> list[str]:
    """Return where the words sit (first / last word of label and subdomain), a faked domain ending before a
    hyphen, and brand look-alikes after folding look-alike characters (a brand misspelt, or a brand glued to
    other letters, alone or with a lure word)."""
    words = [w for w in re.split(r"[-_]+", parts.label) if w]
    tokens = [f"pf:{words[0]}", f"pl:{words[-1]}"] if len(words) > 1 else [f"p1:{words[0]}"] if words else []
    sub = [w for w in _SPLIT.split(parts.subdomain) if w]
    if sub:
        tokens += [f"sf:{sub[0]}", f"sl:{sub[-1]}"]
    if parts.subdomain and words and words[0] in _FAKE_ENDINGS and "-" in parts.label:
        tokens += ["emb:1", f"emb:{words[0]}"]
    if _FAKE_DOMAIN.search(parts.host):
        tokens.append("emb:dot")
    return tokens + _folded_brand_tokens(parts, body, brands)


def _folded_brand_tokens(parts: HostParts, body: str, brands: BrandIndex) -> list[str]:
    folded = body.translate(_FOLD).replace("rn", "m").replace("vv", "w")
    found: set[str] = set()
    for word in (w for w in _SPLIT.split(folded) if len(w) >= 4):
        if word in brands.names:
            if parts.registrable not in brands.own_domains:
                found.add("fb:exact")
        elif brands.near_brand(word):
            found.add("fb:near")
        elif brands.inside is not None and (m := brands.inside.search(word)) and len(word) > len(m.group(0)):
            found.add("fb:affix")
            rest = word[:m.start()] + word[m.end():]
            if any(lure in rest for lure in LURE_WORDS):
                found.add("fb:affixlure")
    tokens = sorted(found)
    if tokens and any(lure in body for lure in LURE_WORDS):
        tokens.append("fb:lure")
    if tokens and parts.suffix.rsplit(".", 1)[-1] not in ("com", "org", "io", "net"):
        tokens.append("fb:oddtld")
    return tokens


def label_tokens(parts: HostParts, body: str) -> list[str]:
    """Return n-grams of the registrable label alone and crosses of the ending with the name's shape.

    The body n-grams mix subdomain and label; these say where a pattern sits, and the crosses let the
    linear model weigh a hyphenated or lure-bearing name differently on .com and on .xyz.
    """
    label = f"<{parts.label}>"
    tokens = [f"lg:{label[i:i + n]}" for n in (3, 4, 5) for i in range(len(label) - n + 1)]
    top = parts.suffix.rsplit(".", 1)[-1] if parts.suffix else ""
    hyphens, lure = min(body.count("-"), 3), int(any(w in body for w in LURE_WORDS))
    size = min(len(parts.label), 24) // 4
    return tokens + [f"x:tlhy:{top}:{hyphens}", f"x:tllure:{top}:{lure}", f"x:tllen:{top}:{size}",
                     f"x:tlsub:{top}:{int(bool(parts.subdomain))}", f"x:hylure:{hyphens}:{lure}"]


def _ngrams(text: str, sizes: tuple[int, ...] = (3, 4, 5)) -> list[str]:
    return [text[i:i + n] for n in sizes for i in range(len(text) - n + 1)]


def hash_index(token: str, dim: int) -> int:
    """Return the bucket of a token (crc32, stable across runs and platforms)."""
    return zlib.crc32(token.encode("utf-8")) % dim


def token_indices(tokens: Iterable[str], dim: int) -> list[int]:
    """Return the distinct buckets of tokens."""
    return sorted({hash_index(t, dim) for t in tokens})
