"""Scam and phishing links: a trained domain model, look-alikes, deny lists, lures, shorteners and fresh accounts."""

from __future__ import annotations

import json
import logging
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.detector import BatchContext
from models.lookalike import allowed_edits, distance, skeleton
from models.paths import WEIGHTS_DIR
from models.threats.domain_model import DomainModel
from models.threats.guild_context import GuildContexts, GuildThreatContext
from models.threats.urls import Link, extract_links
from models.types import DetectorOutput, Post

log = logging.getLogger(__name__)

WEIGHTS_DIR = WEIGHTS_DIR
BUNDLED_LIST = "govmod's bundled block list"
MODEL_RISK = 0.85  # a host the domain model flags is enough for a case on its own (threshold 0.6)
BRAND_RULE_DISCOUNT = 0.5  # a brand-name rule hit the domain model does not back needs a lure or a fresh account
SHORTENERS = frozenset({
    "bit.ly", "tinyurl.com", "t.co", "goo.gl", "is.gd", "cutt.ly", "rb.gy", "t.ly", "shorturl.at", "ow.ly",
    "buff.ly", "tiny.cc", "rebrand.ly", "s.id", "v.gd", "shorte.st", "bl.ink", "lnkd.in", "tiny.one", "qr.ae",
})
LURES: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern, re.IGNORECASE) for name, pattern in {
        "claim": r"\bclaim(?:ing|able)?\b",
        "airdrop": r"\bair\s?-?drops?\b",
        "wallet connect": r"\b(?:connect|link|sync|verify|validate|restore|rectify)\s+(?:your\s+)?wallets?\b"
                          r"|\bwallet\s?connect\b",
        "mint": r"\b(?:free\s+)?mint(?:ing)?\s+(?:is\s+)?(?:live|now|open)\b|\bfree\s+mint\b",
        "validate wallet": r"\bvalidat(?:e|ion)\b",
        "seed phrase": r"\b(?:seed|recovery|secret)\s+(?:phrase|words)\b|\bprivate\s+key\b",
        "support ticket": r"\bsupport\s+ticket\b|\bopen\s+a\s+ticket\b|\bhelp\s*desk\b",
        "urgency": r"\b(?:last\s+chance|expires?\s+(?:soon|today|in)|limited\s+time|hurry"
                   r"|only\s+\d+\s+(?:left|spots))\b",
        "reward": r"\b(?:rewards?|giveaway|bonus|eligible|allocation)\b",
        "revoke": r"\brevoke\b|\bcompromised\b|\bsecurity\s+(?:update|alert|breach)\b",
    }.items()
}
# Members warning about a scam quote the link defanged; that is not the scam itself.
WARNING = re.compile(r"\b(?:scam|phishing|phish|drainer|fake|malicious|do\s*n[o']?t\s+(?:click|connect|open)|"
                     r"beware|careful|reported|warning|heads\s+up)\b", re.IGNORECASE)


def read_list(path: Path) -> frozenset[str]:
    """Read a one-domain-per-line file ('#' comments, blank lines ignored), lower-cased."""
    if not path.exists():
        return frozenset()
    lines = (line.split("#", 1)[0].strip().lower() for line in path.read_text(encoding="utf-8").splitlines())
    return frozenset(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class LinkRisk:
    """Why one link is risky: a probability-like weight and reasons in plain words."""

    link: Link
    risk: float
    reasons: tuple[str, ...]
    trusted: bool = False


def _brand_label(domain: str) -> str:
    return domain.split(".", 1)[0]


def lookalike(link: Link, protected: Iterable[str]) -> tuple[float, str] | None:
    """Return (weight, reason) if the link's registrable domain imitates a protected domain."""
    best: tuple[float, str] | None = None
    own = skeleton(link.label)
    hyphen_tokens = set(re.split(r"[-_.]", link.label.lower()))
    for domain in protected:
        if domain in (link.registrable, link.host):
            return None
        name = _brand_label(domain)
        target = skeleton(name)
        if len(target) < 3:
            continue
        found: tuple[float, str] | None = None
        if own == target:
            how = "with look-alike characters" if link.punycode or link.label != name else "on another domain"
            found = (0.9, f"{link.registrable} imitates {domain} ({how})")
        elif len(target) >= 5 and 0 < distance(own, target, 2) <= allowed_edits(len(target)):
            found = (0.8, f"{link.registrable} is one or two letters away from {domain}")
        elif (len(target) >= 6 and target in own) or (len(target) >= 3 and name in hyphen_tokens):
            found = (0.8, f"{link.registrable} uses the name {name!r} of {domain} with extra words")
        elif link.subdomain and name in set(link.subdomain.split(".")) and len(target) >= 4:
            found = (0.8, f"{link.host} puts {name!r} in front of an unrelated domain {link.registrable}")
        if found and (best is None or found[0] > best[0]):
            best = found
    return best



class ScamLinkDetector:
    """Score posts for wallet-drainer, fake-airdrop and phishing links; no network look-ups."""

    name = "scam_link"
    needs_embedding = False

    def __init__(self, meta: dict[str, Any], brands: frozenset[str], known: frozenset[str],
                 blocklist: frozenset[str], domain_model: DomainModel | None = None) -> None:
        """Keep the metadata, the bundled domain lists and the trained domain model (None: rules only)."""
        self.meta = dict(meta)
        self.default_threshold = float(meta.get("default_threshold", 0.6))
        self.fresh_days = float(meta.get("fresh_account_days", 7))
        self.brands = brands
        self.known = known | brands
        self.blocklist = blocklist
        self.domain_model = domain_model
        self.version = str(meta.get("version", "scam_link-unknown")) + (f"+{domain_model.version}" if domain_model
                                                                          else "")
        self.feed_block: dict[str, str] = {}
        self.feed_allow: dict[str, str] = {}
        self.guilds = GuildContexts()
        self._brand_memo: OrderedDict[tuple[Any, ...], tuple[float, str] | None] = OrderedDict()

    BRAND_MEMO_SIZE = 8192

    @property
    def uses_encoder(self) -> bool:
        """True if the domain model embeds linked hosts with the shared encoder (BatchContext.encode)."""
        return self.domain_model is not None and self.domain_model.uses_embedding

    def forget_memos(self) -> None:
        """Empty the per-address memos (the bench times stages cold)."""
        self._brand_memo.clear()
        if self.domain_model is not None:
            self.domain_model._memo.clear()

    def brand_lookalike(self, link: Link) -> tuple[float, str] | None:
        """Return `lookalike(link, self.brands)`, remembered per address (the bundled brands never change)."""
        key = (link.host, link.registrable, link.label, link.subdomain, link.punycode)
        if key in self._brand_memo:
            self._brand_memo.move_to_end(key)
            return self._brand_memo[key]
        found = self._brand_memo[key] = lookalike(link, self.brands)
        if len(self._brand_memo) > self.BRAND_MEMO_SIZE:
            self._brand_memo.popitem(last=False)
        return found

    @classmethod
    def load(cls, weights_dir: Path | None = None, **opts: Any) -> ScamLinkDetector:
        """Load metadata, the brand, known-site and block lists and the domain model from models/weights/."""
        folder = weights_dir or WEIGHTS_DIR
        meta_path = folder / "scam_link.json"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        if "threshold" in opts:
            meta["default_threshold"] = float(opts["threshold"])
        lists = [read_list(folder / f) or read_list(WEIGHTS_DIR / f)
                 for f in ("crypto_brands.txt", "known_domains.txt", "scam_blocklist.txt")]
        model = DomainModel.load(folder) or DomainModel.load(WEIGHTS_DIR)
        det = cls(meta, *lists, domain_model=model)
        log.info("scam_link %s: %d brands, %d blocked domains", det.version, len(det.brands), len(det.blocklist))
        return det

    def configure(self, guild_id: str, context: GuildThreatContext) -> None:
        """Take a guild's allow and block lists."""
        self.guilds.set(guild_id, context)

    def set_lists(self, block: Mapping[str, str], allow: Mapping[str, str]) -> None:
        """Replace the imported server-wide lists: domain -> the list's name (named in the evidence)."""
        self.feed_block = dict(block)
        self.feed_allow = dict(allow)

    def _block_hit(self, link: Link, guild: GuildThreatContext) -> str | None:
        """Return the name of the block list that holds the link's host or a parent domain, if any."""
        for name in _parents(link):
            if name in guild.block_domains:
                return guild.list_names.get(name, "this server's block list")
            if name in self.feed_block:
                return self.feed_block[name]
            if name in self.blocklist:
                return BUNDLED_LIST
        return None

    def _allowed(self, link: Link, guild: GuildThreatContext) -> bool:
        names = set(_parents(link))
        return bool(names & (self.known | guild.allow_domains)) or any(n in self.feed_allow for n in names)

    def model_risk(self, link: Link) -> tuple[float, tuple[str, ...]] | None:
        """Return the domain model's risk weight and reasons for a link's host (None without a model)."""
        if self.domain_model is None or link.is_ip:
            return None
        host = _ascii(link.host)
        margin, scored = self.domain_model.scored(host)
        margin -= _logit(self.domain_model.threshold)
        soft = self.domain_model.soft_threshold
        if margin < 0 and soft is not None and soft < self.domain_model.threshold:
            # below the line, the risk fades so that a bare link reaches the post threshold exactly at the
            # model's soft threshold (a false-positive rate chosen at training time), whatever the model's scale
            margin *= np.log(MODEL_RISK / self.default_threshold) / (_logit(self.domain_model.threshold) - _logit(soft))
        risk = MODEL_RISK if margin >= 0 else MODEL_RISK * float(np.exp(margin))
        if risk < 0.05:
            return None
        lead = "the domain model flags" if margin >= 0 else "the domain model finds some signs of phishing in"
        return risk, (f"{lead} {host}: " + "; ".join(scored.reasons or ("its overall letter patterns",)),)

    def link_risk(self, link: Link, guild: GuildThreatContext) -> LinkRisk:
        """Return how risky one link is on its own."""
        listed = self._block_hit(link, guild)
        if listed:
            return LinkRisk(link, 0.98, (f"{link.host} is on the deny list: {listed}",))
        reasons: list[str] = []
        weights: list[float] = []
        if link.shown_as:
            weights.append(0.75)
            reasons.append(f"the link text shows {link.shown_as} but it opens {link.registrable}")
        trusted = self._allowed(link, guild)
        if trusted and not link.shown_as:
            return LinkRisk(link, 0.0, (), trusted=True)
        modelled = self.model_risk(link)
        imitation = lookalike(link, guild.allow_domains)
        brand = None if imitation else self.brand_lookalike(link)
        if brand and self.domain_model is not None and (modelled is None or modelled[0] < MODEL_RISK):
            # the trained model knows brand imitation and found too little: the name rule alone counts half
            brand = (brand[0] * BRAND_RULE_DISCOUNT, brand[1])
        imitation = imitation or brand
        if imitation:
            weights.append(imitation[0])
            reasons.append(imitation[1])
        if modelled:
            weights.append(modelled[0])
            reasons.extend(modelled[1])
        if link.registrable in SHORTENERS:
            weights.append(0.3)
            reasons.append(f"{link.registrable} is a link shortener that hides where it goes")
        if link.is_ip:
            weights.append(0.4)
            reasons.append("the link points at a bare IP address")
        if link.punycode and not imitation:
            weights.append(0.3)
            reasons.append(f"{link.host} uses non-Latin or encoded (xn--) characters")
        if not weights:
            weights.append(0.1)
            reasons.append(f"{link.registrable} is not on this server's allow list")
        order = sorted(range(len(weights)), key=lambda i: -weights[i])
        return LinkRisk(link, noisy_or(weights), tuple(reasons[i] for i in order))

    def score_one(self, post: Post, text: str, links: list[Link] | None = None) -> DetectorOutput:
        """Score one post from its raw text (links, extracted here unless given) and account age."""
        guild = self.guilds.get(post.guild_id)
        links = extract_links(post.scoring_text) if links is None else links
        if not links:
            return DetectorOutput(0.0, eligible=False)
        risks = sorted((self.link_risk(link, guild) for link in links), key=lambda r: -r.risk)
        untrusted = [r for r in risks if not r.trusted]
        if not untrusted:
            return DetectorOutput(0.0, {"links": [r.link.registrable for r in risks]})
        top = untrusted[0]
        weights = [top.risk]
        reasons = list(top.reasons)
        lures = [name for name, rx in LURES.items() if rx.search(text) or rx.search(post.scoring_text)]
        if lures:
            weights.append(0.25 if len(lures) == 1 else 0.45)
            reasons.append("lure words: " + ", ".join(lures))
        age = post.account_age_days
        if age is not None and age < self.fresh_days:
            weights.append(0.35 if age < 2 else 0.2)
            reasons.append(f"posted by an account {max(age, 0):.1f} days old")
        score = noisy_or(weights)
        defanged = any(r.link.obfuscated for r in untrusted)
        if defanged and top.risk < 0.98:
            if WARNING.search(post.scoring_text):
                score *= 0.4
                reasons.append("written defanged next to warning words (likely a member warning others)")
            else:
                score = noisy_or([score, 0.2])
                reasons.append("the link is written defanged to slip past filters")
        evidence: dict[str, Any] = {
            "summary": reasons[0],
            "signals": reasons[1:],
            "links": [r.link.host for r in untrusted][:5],
        }
        return DetectorOutput(round(min(score, 1.0), 4), evidence)

    def score(self, posts: Sequence[Post], ctx: BatchContext) -> list[DetectorOutput]:
        """Return one output per post; posts without links score 0 and are not eligible."""
        links = [extract_links(post.scoring_text) for post in posts]
        self.embed_hosts(posts, links, ctx)
        return [self.score_one(post, text, found) for post, text, found in zip(posts, ctx.texts, links, strict=True)]

    def embed_hosts(self, posts: Sequence[Post], links: Sequence[list[Link]], ctx: BatchContext) -> int:
        """Embed the batch's untrusted hosts in one encoder call, for a domain model that reads embeddings.

        Return how many hosts were embedded. Without an encoder, or if it fails, the model scores hosts from
        their tokens alone (logged, nothing lost).
        """
        model = self.domain_model
        if model is None or not self.uses_encoder or ctx.encode is None:
            return 0
        hosts = [_ascii(link.host) for post, found in zip(posts, links, strict=True) for link in found
                 if not link.is_ip and (link.shown_as or not self._allowed(link, self.guilds.get(post.guild_id)))]
        if not hosts:
            return 0
        try:
            return model.prime(hosts, ctx.encode)
        except Exception:  # noqa: BLE001 - a failed embedding must not lose the post's score
            log.warning("scam_link: could not embed %d hosts; scoring them from their tokens", len(hosts),
                        exc_info=True)
            return 0


def noisy_or(weights: Iterable[float]) -> float:
    """Combine independent signal weights: 1 - prod(1 - w)."""
    out = 1.0
    for w in weights:
        out *= 1.0 - max(0.0, min(1.0, w))
    return 1.0 - out



def _parents(link: Link) -> list[str]:
    """Return the link's host and its parent domains down to the registrable domain (ASCII and Unicode forms)."""
    labels = link.host.split(".")
    floor = max(1, len(link.registrable.split(".")))
    names = [".".join(labels[i:]) for i in range(0, max(len(labels) - floor + 1, 1))]
    return list(dict.fromkeys([*names, *(_ascii(n) for n in names), link.registrable]))


def _ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return float(np.log(p / (1 - p)))
