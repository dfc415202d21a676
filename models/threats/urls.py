"""Find links in a post, also defanged or hidden ones, and parse them to a registrable domain (offline)."""

from __future__ import annotations

import ipaddress
import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from models.normalize import strip_invisible

log = logging.getLogger(__name__)

# Defanging: hxxps://, [.], (dot), {.}, [:], " . " between domain labels.
_HXXP = re.compile(r"\bh(?:xx|XX|\*\*|tt)p(s?)(\[?:\]?|\s*:\s*)//", re.IGNORECASE)
_BRACKET_DOT = re.compile(r"\s*(?:\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)|\{dot\}|\[d0t\])\s*", re.IGNORECASE)
_WORD_DOT = re.compile(r"(?<=[\w-])\s+dot\s+(?=[a-z]{2,}\b)", re.IGNORECASE)
_BRACKET_COLON = re.compile(r"\[:\]|\(:\)")
_SPACED_DOT = re.compile(r"(?<=[\w-]) +\. *(?=[A-Za-z]{2,}\b)|(?<=[\w-])\. +(?=(?:com|org|net|io|xyz|app|fi|gg|"
                         r"finance|co|me|site|online|top|live|claims?|dev|info|club|vip|pro)\b)")
_MARKDOWN = re.compile(r"\[([^\]\n]{1,200})\]\(\s*<?([^)\s>]+)>?\s*\)")
_URL = re.compile(
    r"(?<![@\w.-])((?:https?://)?(?:[\w-]+\.)+[^\W\d_][\w-]*\.?(?::\d{2,5})?(?:[/?#][^\s<>()\[\]\"'`]*)?)",
    re.IGNORECASE,
)
_IP_URL = re.compile(r"\bhttps?://\d{1,3}(?:\.\d{1,3}){3}(?::\d{2,5})?(?:[/?#][^\s<>()\[\]\"'`]*)?", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Suffixes that are more often file names than links when written without a scheme ("setup.py", "notes.md").
_FILE_LIKE = frozenset({"py", "md", "sh", "rs", "pl", "zip", "mov", "txt", "json", "yaml", "yml", "toml", "sol",
                        "ts", "js", "rb", "cfg", "ini", "log", "csv", "png", "jpg", "gif", "pdf", "exe", "lock"})


@dataclass(frozen=True, slots=True)
class Link:
    """One link found in a post, parsed."""

    raw: str  # as written (after defanging was undone)
    host: str  # lower-case host, punycode decoded to Unicode
    registrable: str  # public-suffix-aware registrable domain (e.g. "uniswap.org", "claim-x.vercel.app")
    label: str  # the registrable domain without its suffix ("uniswap")
    suffix: str
    subdomain: str
    obfuscated: bool = False  # written defanged (hxxps, [.], (dot), spaced dots)
    punycode: bool = False  # host had xn-- labels
    shown_as: str | None = None  # markdown link text, when it names a different domain
    is_ip: bool = False
    has_scheme: bool = False


@lru_cache(maxsize=1)
def _extractor() -> Any:
    """Return a tldextract extractor that uses only its bundled public-suffix snapshot (no network)."""
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True)


def _decode_label(label: str) -> tuple[str, bool]:
    if not label.startswith("xn--"):
        return label, False
    try:
        return label[4:].encode("ascii").decode("punycode"), True
    except (UnicodeError, ValueError):
        return label, True


def decode_host(host: str) -> tuple[str, bool]:
    """Return the host in Unicode (xn-- labels decoded) and whether any label was punycode."""
    labels = [_decode_label(lab) for lab in host.lower().strip(".").split(".")]
    return ".".join(lab for lab, _ in labels), any(p for _, p in labels)


def deobfuscate(text: str) -> tuple[str, bool]:
    """Undo common link defanging; return the text and whether anything was changed."""
    text = strip_invisible(unicodedata.normalize("NFKC", text))
    out = _HXXP.sub(lambda m: f"http{m.group(1)}://", text)
    out = _BRACKET_DOT.sub(".", out)
    out = _WORD_DOT.sub(".", out)
    out = _BRACKET_COLON.sub(":", out)
    out = _SPACED_DOT.sub(".", out)
    return out, out != text


def parse(url: str, *, obfuscated: bool = False, shown_as: str | None = None) -> Link | None:
    """Parse one URL or bare domain; None if it has no known public suffix (not a link)."""
    has_scheme = bool(_SCHEME.match(url))
    rest = _SCHEME.sub("", url, count=1)
    host = re.split(r"[/?#]", rest, maxsplit=1)[0].rsplit("@", 1)[-1]
    host = re.sub(r":\d+$", "", host).strip(".").lower()
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
        return Link(url, host, host, host, "", "", obfuscated, False, shown_as, True, has_scheme)
    except ValueError:
        pass
    unicode_host, puny = decode_host(host)
    try:
        ascii_host = unicode_host.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_host = host
    ext = _extractor()(ascii_host)
    if not ext.suffix or not ext.domain:
        return None
    if not has_scheme and not obfuscated and ext.suffix in _FILE_LIKE and not ext.subdomain:
        return None
    label, _ = _decode_label(ext.domain)
    suffix = ".".join(_decode_label(s)[0] for s in ext.suffix.split("."))
    sub = ".".join(_decode_label(s)[0] for s in ext.subdomain.split(".")) if ext.subdomain else ""
    return Link(url, unicode_host, f"{label}.{suffix}", label, suffix, sub, obfuscated, puny or _non_ascii(label),
                shown_as, False, has_scheme)


def _non_ascii(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


def _shown_domain(text: str) -> str | None:
    """Return the registrable domain a markdown link's text displays, if it displays one."""
    found = _URL.search(text.strip())
    if not found:
        return None
    link = parse(found.group(1), obfuscated=True)
    return link.registrable if link else None


def extract_links(text: str) -> list[Link]:
    """Return the distinct links of a post: plain, defanged and markdown ones (text vs target checked)."""
    clean, changed = deobfuscate(text)
    links: dict[str, Link] = {}
    for m in _MARKDOWN.finditer(clean):
        target = parse(m.group(2), obfuscated=changed)
        if target is None:
            continue
        shown = _shown_domain(m.group(1))
        mismatch = shown if shown and shown != target.registrable else None
        links[target.raw] = Link(**{**_fields(target), "shown_as": mismatch})
    rest = _MARKDOWN.sub(" ", clean)
    for m in [*_IP_URL.finditer(rest), *_URL.finditer(rest)]:
        raw = m.group(m.lastindex or 0).rstrip(".,;:!?")
        was_defanged = changed and raw not in text
        link = parse(raw, obfuscated=was_defanged)
        if link is not None and link.raw not in links:
            links[link.raw] = link
    return list(links.values())


def _fields(link: Link) -> dict[str, Any]:
    return {name: getattr(link, name) for name in Link.__slots__}
