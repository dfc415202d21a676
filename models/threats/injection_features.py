"""Rule features of prompt injection aimed at AI agents: instructions, fake system prompts, hidden payloads."""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

from models.normalize import BIDI, TAG_CHARACTERS, ZERO_WIDTH

_F = re.IGNORECASE | re.DOTALL
RULES: dict[str, re.Pattern[str]] = {
    "ignore_instructions": re.compile(
        r"\b(?:ignore|disregard)\s+(?:all\s+)?(?:of\s+)?(?:the\s+|everything\s+)?above\b|\b(?:ignore|disregard|forget|override|bypass|skip)\b.{0,30}\b(?:previous|prior|above|earlier|all|your|"
        r"any|the|system|original)\b.{0,25}\b(?:instructions?|rules|prompts?|directives?|guidelines|guardrails|"
        r"constraints|policies|context|programming)\b"
        # "disregard everything you were told", "your previous orders are void"
        r"|\b(?:ignore|disregard|forget)\s+(?:about\s+)?(?:everything|all|anything|whatever)\s+(?:that\s+)?you\s+"
        r"(?:were|have\s+been|'ve\s+been|got|learned|know)\b|\byour\s+(?:previous|prior|earlier|old|original|current)"
        r"\s+(?:orders|instructions|rules|directives|commands|prompt)\s+(?:are|is|have\s+been)\s+(?:now\s+)?(?:void|null"
        r"|cancel+ed|revoked|obsolete|invalid|overridden|no\s+longer)", _F),
    "system_prompt": re.compile(
        # "new system prompt", "New instructions: ...", "your new instructions"; not "new instructions for delegates"
        r"\bnew\s+system\s+(?:prompt|instructions?|directives?)\b|\bnew\s+(?:prompt|instructions?|directives?)\s*"
        r"(?::|for\s+(?:you|the\s+(?:ai|assistant|agent|bot|model))\b)"
        r"|\byour\s+new\s+(?:prompt|instructions?|directives?)\b"
        r"|\bsystem\s*(?:prompt|message|override)\s*:"
        r"|\[\s*(?:system|inst|admin)\s*\]|<\|?\s*(?:im_start|system|endoftext)|#{2,}\s*(?:system|instruction)"
        r"|\b(?:you\s+are\s+now|from\s+now\s+on,?\s+you)\b|\bdeveloper\s+mode\b|\bjailbr(?:eak|oken)\s+mode\b"
        r"|\bend\s+of\s+(?:system\s+)?(?:prompt|instructions)\b|</?(?:system|instructions?)>", _F),
    "roleplay_authority": re.compile(
        r"\b(?:act|pretend|roleplay|role-play|behave|respond|operate)\s+(?:as|like)\s+(?:if\s+you\s+(?:are|were)\s+)?"
        r"(?:the\s+|an?\s+)?(?:treasury|admin|administrator|multisig|safe|owner|signer|governor|executor|"
        r"council|root|operator|dao)\b|\byou\s+are\s+(?:now\s+)?(?:the\s+)?(?:dao\s+)?(?:treasury|multisig|admin|signer|executor|owner)\b"
        r"|\b(?:i\s+am|this\s+is)\s+(?:the\s+)?(?:admin|owner|core\s+team|dao\s+admin|your\s+(?:developer|operator|"
        r"creator))\b|\bauthori[sz]ed\s+by\s+(?:the\s+)?(?:admins?|core\s+team|council|multisig|dao)\b", _F),
    "action_request": re.compile(
        r"\b(?:transfer|send|approve|execute|sign|release|withdraw|pay\s*out|disburse|bridge|queue|"
        r"call\s+approvetransfer|mint)\b.{0,60}(?:\b(?:funds|tokens|treasury|balance|eth|usdc|usdt|dai|weth|arb|op|"
        r"all|everything|wallet|allowance|proposal|transaction|tx)\b|0x[0-9a-f]{6,}|\d[\d,.]*\s*(?:k|m)?\b)", _F),
    "addresses_agent": re.compile(
        r"(?:^|[\n.!?]\s*)(?:dear\s+|hey\s+|hi\s+|hello\s+|attention\s+|note\s+to\s+(?:the\s+)?)?(?:ai|agent|assistant|bot|llm|gpt|"
        r"chat\s*gpt|bard|gemini|"
        r"claude|model|governance\s+(?:agent|bot|ai)|delegate\s+(?:agent|bot|ai))\b\s*[,:]|@\w*(?:agent|ai|bot)\b"
        r"|\b(?:if\s+you\s+are\s+an?\s+(?:ai|llm|agent|language\s+model)|to\s+any\s+(?:ai|agent|llm))", _F),
    # "right now" only after an action in the same sentence ("send it to 0x... right now"): on its own it is
    # everyday prose ("right now only 5 of the 7 keys are reachable", "what my brand needs right now")
    "urgency": re.compile(r"\b(?:immediately|urgent(?:ly)?|without\s+(?:asking|confirmation|checking|"
                          r"review)|do\s+not\s+(?:ask|tell|mention|log|report)|no\s+need\s+to\s+(?:confirm|verify))\b"
                          r"|\b(?:transfer|send|approve|execute|sign|release|withdraw|pay|disburse|bridge|mint|move|grant|"
                          r"give|delete|reply|respond|act|do\s+it)\b[^.!?\n]{0,80}\bright\s+now\b", _F),
    "jailbreak_persona": re.compile(
        r"\b(?:do\s+anything\s+now|(?-i:DAN)\b|developer\s+mode|(?:stay|remain|break)\s+(?:in|out\s+of)\s+character"
        r"|(?:not|never)\s+(?:be\s+)?(?:bound|restricted|limited)\s+by|without\s+(?:any\s+)?(?:restrictions|"
        r"censorship|filters?|limits|morals|ethics)|no\s+(?:ethical|moral)?\s*(?:restrictions|guidelines|limits|"
        r"filters|boundaries|censorship)|(?:un|non-?)(?:filtered|censored|restricted)\s+(?:ai|mode|model|response)"
        r"|\bamoral\b|content\s+polic(?:y|ies)|openai(?:'s)?\s+(?:rules|policies|guidelines)"
        r"|(?:two|both|dual)\s+(?:different\s+)?(?:separate\s+)?(?:responses|answers|ways|personalities)\b"
        r"|\byou\s+(?:will|must|shall|are\s+going\s+to)\s+(?:now\s+)?(?:act|pretend|play|simulate|roleplay|become)\b"
        r"|\blet'?s\s+play\s+a\s+game\b|\bhypothetical\s+(?:ai|response|scenario)\b)", re.IGNORECASE | re.DOTALL),
    "extraction": re.compile(
        r"\b(?:repeat|print|reveal|show|output|display|disclose|leak|recite|dump|spell\s+out|write\s+(?:down|out)"
        r"|tell\s+me|list|format|translate|summari[sz]e)\b.{0,40}\b(?:(?:your|prior|previous|above|initial|hidden|"
        r"original|the\s+(?:above|previous|prior|hidden|initial|original|secret))\s+(?!own\s)(?:\w+\s+){0,2}"
        r"(?:instructions|prompt|rules|directives|text|words|context)"
        r"|(?:words|text|instructions|everything|prompt)\s+(?:above|before\s+this)"
        r"|system\s+prompt|(?:the\s+)?(?:password|access\s+code|secret\s+(?:key|word|code)))\b", _F),
    "hijack_output": re.compile(
        r"\baccess\s+granted\b|\b(?:say|print|output|respond\s+(?:only\s+)?with|reply\s+(?:only\s+)?with|"
        r"begin\s+your\s+(?:reply|response)\s+with|prefix\s+your\s+response)\b\s*[:\"'\[]", _F),
    "task_hijack": re.compile(
        r"\b(?:important|urgent)\s+(?:message|instructions?|notice|update)\b.{0,80}\b(?:you|assistant|ai|agent)\b"
        r"|\bbefore\s+(?:you\s+)?(?:can\s+)?(?:solve|complete|continue|finish|answer|do)\b.{0,40}\btask\b"
        r"|\binstead\s+of\s+(?:the|your)\s+(?:original\s+)?(?:task|request)|\bafter\s+you\s+do\s+that\b"
        r"|\bstrictly\s+(?:adhere|follow)\b.{0,30}\binstructions?", _F),
    "topic_discussion": re.compile(r"\bprompt[\s-]+injections?\b|\bjailbreaks?\b|\b(?:attack|example|payload|"
                                   r"red[\s-]team|mitigat\w*|sanitiz\w*|guard\w*)\b", _F),
}
_CODE_BLOCK = re.compile(r"```[^\n`]*\n?(.*?)```|`([^`\n]{12,})`", re.DOTALL)
_SPOILER = re.compile(r"\|\|(.+?)\|\|", re.DOTALL)
_HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
# Pasted content: Discord quotes ("> ", ">>> " to the end) and forwarded / original-message sections.
_QUOTE_ALL = re.compile(r"(?:^|\n)>>>\s?(.*)\Z", re.DOTALL)
_QUOTE_LINES = re.compile(r"(?:^>(?!>)\s?.*(?:\n|$))+", re.MULTILINE)
_FORWARDED = re.compile(r"(?:-{2,}\s*(?:forwarded|original)\s+message\s*-{2,}|begin\s+forwarded\s+message:?"
                        r"|^fwd?:)(.*)", re.IGNORECASE | re.DOTALL | re.MULTILINE)
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH}{TAG_CHARACTERS}]")  # emoji variation selectors are not hiding anything
_BIDI = re.compile(f"[{BIDI}]")
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{24,}={0,2}(?![A-Za-z0-9+/=])")
_HEX_PAYLOAD = re.compile(r"\b(?:[0-9a-fA-F]{2}){16,}\b")
_TAG_CHARS = re.compile("[\U000e0020-\U000e007e]")
INSTRUCTION_RULES = ("ignore_instructions", "system_prompt", "roleplay_authority", "action_request",
                     "jailbreak_persona", "extraction", "hijack_output", "task_hijack")
FEATURE_NAMES = (*RULES, "hidden_block", "zero_width", "encoded_payload", "tag_smuggling", "quoted_instruction")
# A phrase in quotation marks is usually being talked about ("someone wrote 'ignore previous instructions'").
_QUOTED = re.compile(r"(?:(?<=[\s(])|^)[\"'“‘]([^\"'“”‘’\n]{3,200})[\"'”’](?=[\s.,;:!?)]|$)")


@dataclass(frozen=True, slots=True)
class InjectionFeatures:
    """Which injection rules fired on one post, the hidden or decoded text that carried them, and a vector."""

    fired: tuple[str, ...]
    hidden: tuple[str, ...]  # text recovered from code blocks, spoilers, comments, base64 or tag characters
    vector: np.ndarray  # float32, one entry per FEATURE_NAMES

    def describe(self) -> list[str]:
        """Return the fired rules in plain words."""
        return [DESCRIPTIONS[name] for name in self.fired if name in DESCRIPTIONS]


DESCRIPTIONS = {
    "ignore_instructions": "tells an AI to ignore or override its previous instructions",
    "system_prompt": "poses as a new system prompt or changes the AI's role",
    "roleplay_authority": "asks an AI to act as (or claims to be) the treasury, an admin or a signer",
    "action_request": "asks for a transfer, approval or execution of funds or transactions",
    "addresses_agent": "speaks directly to an AI agent or bot",
    "urgency": "pushes the agent to act at once without checks",
    "jailbreak_persona": "asks an AI to drop its rules (an unrestricted persona, 'developer mode', no filters)",
    "extraction": "asks an AI to reveal its hidden instructions, system prompt or a secret",
    "hijack_output": "dictates the AI's exact reply ('say ...', 'access granted')",
    "task_hijack": "slips a new task in front of the one the AI was given ('important message', 'before the task')",
    "hidden_block": "carries instructions inside pasted content (code block, spoiler, comment, quote, forwarded text)",
    "zero_width": "contains invisible (zero-width or bidi) characters",
    "encoded_payload": "carries instructions encoded in base64 or hex",
    "tag_smuggling": "hides text in invisible Unicode tag characters",
    "quoted_instruction": "quotes an instruction to an AI (often a discussion of one)",
}


def _decode_b64(token: str) -> str | None:
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), validate=True)
        text = raw.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    printable = sum(ch.isprintable() or ch.isspace() for ch in text)
    return text if text and printable / len(text) > 0.95 and " " in text else None


def _decode_hex(token: str) -> str | None:
    try:
        text = bytes.fromhex(token).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    return text if " " in text and all(ch.isprintable() or ch.isspace() for ch in text) else None


def hidden_texts(raw: str) -> tuple[list[str], list[str], list[str]]:
    """Return (blocks, decoded payloads, tag-smuggled text) hidden in a post."""
    blocks = [m.group(1) or m.group(2) or "" for m in _CODE_BLOCK.finditer(raw)]
    blocks += [m.group(1) for m in _SPOILER.finditer(raw)] + [m.group(1) for m in _HTML_COMMENT.finditer(raw)]
    blocks += [m.group(1) for m in _QUOTE_ALL.finditer(raw)] + [m.group(1) for m in _FORWARDED.finditer(raw)]
    blocks += [re.sub(r"(?m)^>\s?", "", m.group(0)) for m in _QUOTE_LINES.finditer(raw)]
    decoded = [t for m in _B64.finditer(raw) if (t := _decode_b64(m.group(0)))]
    decoded += [t for m in _HEX_PAYLOAD.finditer(raw) if (t := _decode_hex(m.group(0)))]
    tags = "".join(chr(ord(ch) - 0xE0000) for ch in _TAG_CHARS.findall(raw))
    return blocks, decoded, [tags] if tags.strip() else []


def _fires(text: str) -> set[str]:
    return {name for name, rx in RULES.items() if rx.search(text)}


# Key words of an override, misspelt by one letter to slip past filters ("Ignore your previous iunstructions"):
# a word of 7+ letters one edit (a letter added, dropped, changed or two swapped) from one of these reads as it
# when the signatures look for an override. The head's rule features read the text as written: with the repair in
# them the retrained head leant on the override rule and flagged a member's correction ("ignore the previous
# instructions in the forum post").
_KEYWORDS = ("instructions", "instruction", "previous", "disregard", "guidelines", "directives")
_LONG_WORD = re.compile(r"[A-Za-z]{7,}")


def _one_edit(a: str, b: str) -> bool:
    """Return whether a and b differ by exactly one insertion, deletion, substitution or adjacent swap."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]
                                  and a[diff[1]] == b[diff[0]])
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k, (x, y) in enumerate(zip(short, long_, strict=False)) if x != y), len(short))
    return short[i:] == long_[i + 1:]


def repair_keywords(text: str) -> str:
    """Return text with one-letter misspellings of override key words spelt out ("iunstructions" -> "instructions")."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0).lower()
        if word in _KEYWORDS:
            return m.group(0)
        fixed = next((k for k in _KEYWORDS if k[0] == word[0] and _one_edit(word, k)), None)
        if fixed is None:
            return m.group(0)
        return fixed.capitalize() if m.group(0)[0].isupper() else fixed
    return _LONG_WORD.sub(fix, text)


def extract(raw: str) -> InjectionFeatures:
    """Compute the rule features of a post from its raw text (invisible characters still in place)."""
    text = unicodedata.normalize("NFKC", raw)
    visible = _ZERO_WIDTH.sub("", _BIDI.sub("", text))
    unquoted = _QUOTED.sub(" ", visible)
    fired = _fires(unquoted)
    # rules that fire only inside quotes (nothing was quoted: the same text, the same rules)
    quoted = (_fires(visible) - fired) & set(INSTRUCTION_RULES) if unquoted != visible else set()
    if quoted:
        fired.add("quoted_instruction")
    blocks, decoded, tags = hidden_texts(text)
    hidden: list[str] = []
    if any(_fires(b) & set(INSTRUCTION_RULES) for b in blocks):
        fired.add("hidden_block")
        hidden += [b for b in blocks if _fires(b) & set(INSTRUCTION_RULES)]
    if len(_ZERO_WIDTH.findall(text)) + len(_BIDI.findall(text)) >= 2:
        fired.add("zero_width")
    for payload in decoded:
        inner = _fires(payload)
        if inner & set(INSTRUCTION_RULES):
            fired |= inner | {"encoded_payload"}
            hidden.append(payload)
    for smuggled in tags:
        fired |= _fires(smuggled) | {"tag_smuggling"}
        hidden.append(smuggled)
    vector = np.array([1.0 if name in fired else 0.0 for name in FEATURE_NAMES], dtype=np.float32)
    ordered = tuple(name for name in FEATURE_NAMES if name in fired)
    return InjectionFeatures(ordered, tuple(h.strip()[:200] for h in hidden), vector)


# Precise rules: an override phrase smuggled in base64 or invisible tag characters is never a discussion.
_SMUGGLED = (FEATURE_NAMES.index("encoded_payload"), FEATURE_NAMES.index("tag_smuggling"))
_STRONG = tuple(FEATURE_NAMES.index(n) for n in ("ignore_instructions", "system_prompt", "jailbreak_persona",
                                                  "extraction"))
SMUGGLED_FLOOR = 0.97


def rule_floor(features: np.ndarray) -> np.ndarray:
    """Return the lowest score the precise rules allow per row: high for smuggled override instructions."""
    feats = np.atleast_2d(features)
    smuggled = feats[:, list(_SMUGGLED)].max(axis=1) > 0
    strong = feats[:, list(_STRONG)].max(axis=1) > 0
    return np.where(smuggled & strong, SMUGGLED_FLOOR, 0.0)


# Signatures of published attack formats: fake system / data delimiters of agent benchmarks, a request to act
# on "my" accounts inside a tool's data fields, a dictated password reply. Precise enough to flag on their own
# (none fires on a benign row of the shared data; a "## Instructions" header no longer counts since lr-6), but
# written after reading the attack sources: a held-out figure that counts them is not a held-out figure for the
# families they were read from (see the model card).
SIGNATURES: dict[str, re.Pattern[str]] = {
    "fake_delimiter": re.compile(
        r"#{2,}\s*\(\s*(?:system|admin|instruction)|#{2,}\s*(?:system|admin|instruction)(?:[ _]message)?\s*:"
        r"|\(system[_ ]message\)|</?information>"
        r"|\bimportant\s+message\s+from\s+me\b|%%%\s*end\b", re.IGNORECASE),
    "request_in_data": re.compile(
        r"(?:[{\[]\s*['\"]|['\"]\s*:\s*['\"]|\|\s)[^{}]{0,400}?(?:['\"]\s*:\s*['\"]|:\s+)(?:please|could\s+you|"
        r"can\s+you|kindly|i\s+need\s+you\s+to|make\s+sure\s+to)\b[^'\"]{0,200}\b(?:my|me)\b",
        re.IGNORECASE | re.DOTALL),
    "dictated_password": re.compile(r"[\"'\[“(]\s*access\s+grant", re.IGNORECASE),
}
# Two signatures count only in a text that speaks to someone ("you" outside quotation marks) and does not
# describe injection in the third person: a persona freed of its rules ("DAN", "developer mode", "ignore OpenAI's
# content policy"; "no restrictions", "uncensored" or "stay in character" only in a text that names an AI, an
# assistant or a persona, since "you can vote without restrictions" is governance talk), and a demand to print the
# hidden prompt, the instructions above or the password (also as an imperative that opens a sentence). Narrowed on
# benign texts only (names "Dan" in tables, "summarise ... in your own words"); written with the jailbreak and
# Tensor Trust attacks known (model card).
_AI_WORD = re.compile(r"\bai\b|\ba\.i\.|chat\s*gpt|\bgpt|openai|\bllms?\b|language\s+model|assistant|chat\s*bot"
                      r"|\bpersonas?\b", re.IGNORECASE)
_PERSONA = re.compile(
    r"(?-i:\bDAN\b)|\bdo\s+anything\s+now\b|\bdeveloper\s+mode\b|\bjailbr(?:eak|oken)\s+(?:mode|version|persona)\b"
    r"|\b(?:ignore|bypass|violate|disregard|not\s+follow|don'?t\s+follow)\b.{0,30}\b(?:content\s+polic\w*"
    r"|openai|usage\s+polic\w*|(?:your|its|all|any)\s+(?:ethic|moral)\w*|safety\s+(?:guidelines|filters|rules))"
    # the AI told it is not one: "do not pretend to be a large language model", "you are not an AI"
    r"|\b(?:do\s+not|don'?t|never|stop)\s+(?:pretend(?:ing)?|claim(?:ing)?|say(?:ing)?)\s+(?:to\s+be\s+|that\s+you\s+are\s+)?"
    r"(?:an?\s+)?(?:large\s+)?(?:language\s+model|ai\b|assistant|chat\s*bot)"
    r"|\byou\s+are\s+(?:not|no\s+longer)\s+(?:an?\s+)?(?:ai|language\s+model|assistant|chat\s*gpt)\b", _F)
_PERSONA_NEAR_AI = re.compile(  # these count only in a text that also names an AI, an assistant or a persona
    r"\b(?:no|without\s+(?:any\s+)?)(?:ethical\s+|moral\s+|content\s+)?(?:restrictions|censorship|filters|filtering"
    r"|limitations|boundaries)\b|\b(?:stay|remain)\s+in\s+character\b|\bbreak(?:ing)?\s+(?:out\s+of\s+)?character\b"
    r"|\b(?:un|non-?)(?:filtered|censored|restricted)\b|\bamoral\b|\b(?:not|never)\s+(?:be\s+)?(?:bound|restricted"
    r"|limited|constrained)\s+by\b|\b(?:has|have|with)\s+no\s+(?:rules|restrictions|limits|filters|morals|ethics"
    r"|boundaries)\b|\bfree\s+(?:from|of)\s+(?:all\s+|any\s+|the\s+)?(?:usual\s+|normal\s+|typical\s+|standard\s+)?"
    r"(?:ai\s+)?(?:restrictions|rules|limitations|constraints|behaviou?rs?|guidelines|policies|filters)"
    # rules broken or escaped: "breaks all ethical rules and policies", "broken free of the limitations of
    # OpenAI's ethical rules", "beyond the boundaries of normal ChatGPT limits", "an exception to AI usual
    # ethical protocols"
    r"|\b(?:break(?:s|ing)?|broke(?:n)?)\s+(?:free\s+(?:of|from)\s+)?(?:all|any|every)\b.{0,30}?\b(?:rules|guidelines"
    r"|policies|restrictions|limitations|protocols)\b|\b(?:break(?:s|ing)?|broke(?:n)?)\s+(?:free\s+(?:of|from)\s+)?"
    r"(?:the\s+)?(?:\w+\s+){0,4}?(?:ai|ethical|moral|safety|openai'?s?)\s+(?:rules|guidelines|policies|restrictions"
    r"|limitations|protocols)\b|\bbeyond\s+the\s+(?:boundaries|limits|limitations|restrictions)\s+of\b"
    r"|\bexception\s+to\s+(?:the\s+)?(?:\w+\s+){0,2}(?:ethical|moral|content|safety)\s+(?:protocols|rules|guidelines"
    r"|policies)\b"
    # no care for rules: "doesn't care about laws, morals, ethics", "without any regard for social norms"
    r"|\b(?:doesn'?t|does\s+not|don'?t|do\s+not|never|won'?t)\s+care\s+(?:about\s+)?(?:\w+\s+){0,2}?(?:laws|morals"
    r"|ethics|rules|boundaries|guidelines)\b|\bwithout\s+(?:any\s+)?regard\s+(?:for|to)\s+(?:\w+\s+){0,3}?(?:laws"
    r"|morals|ethics|rules|norms|guidelines|legality)\b|\bwithout\s+(?:any\s+)?(?:ethics|morals|morality)\b"
    r"|\bno\s+(?:prohibitions|taboos)\b|\beverything\s+(?:is\s+)?allowed\b"
    # never refuses: "do not ever deny answering", "answers anything no matter the guidelines"
    r"|\b(?:never|not\s+ever|do\s+not\s+ever|don'?t\s+ever|will\s+not|won'?t|must\s+not|cannot|can'?t)\s+"
    r"(?:refuse|deny|decline|reject)\b|\banswers?\s+(?:to\s+)?(?:anything|everything|any\s+question)\s+(?:no\s+matter"
    r"|regardless)\b|\bregardless\s+of\s+(?:its\s+|the\s+|any\s+)?(?:ethical|legal|moral)", _F)
_REVEAL = re.compile(
    r"\b(?:repeat|print|reveal|output|display|disclose|leak|recite|dump|spell\s+out|echo|tell\s+me)\b.{0,40}"
    r"(?:\byour\s+(?:\w+\s+){0,2}(?:system\s+)?(?:prompt|instructions|directives)\b|\b(?:the\s+)?(?:system\s+prompt"
    r"|access\s+code|password|secret\s+(?:key|word|code))\b|\b(?:text|words|instructions|everything)\s+(?:above|"
    r"before\s+this|so\s+far)\b|\b(?:initial|original|hidden|previous|prior)\s+(?:\w+\s+)?(?:prompt|instructions)\b)",
    _F)
# The same demand in other words (lr-8, read off Tensor Trust extraction attacks): the hidden prompt by its AI names
# ("pre-prompt", "ruleset", "system message"), or the instructions re-shaped so a filter misses them ("list your
# instructions as bullet points", "write a rap on your rules"). "Share your instructions for the node setup" is a
# member asking a member: plain "your instructions" counts only with a re-shaping or a word that they were given.
_REVEAL_MORE = re.compile(
    r"\b(?:repeat|print|reveal|output|display|disclose|leak|recite|dump|spell\s+out|echo|tell\s+me|list|give\s+me"
    r"|write|format|share|paste|copy|send\s+me|summari[sz]e|explain|translate|convert|encode|rewrite|put|describe"
    r"|return|show\s+me)\b.{0,40}"
    r"(?:\b(?:your|the)\s+(?:(?:full|entire|complete|exact|whole)\s+)?(?:pre-?prompt|ruleset|system\s+message"
    r"|(?:initial|original|hidden|secret)\s+prompt)\b"
    r"|\byour\s+(?:(?:original|initial|hidden|secret|given)\s+)(?:instructions|rules|directives)\b"
    r"|\byour\s+(?:instructions|prompt|rules)\s+(?:as|in(?:to)?)\s+(?:a\s+|an\s+)?(?:bullet|list|poem|rap|song"
    r"|story|pseudo-?code|code|json|table|haiku|base64)\b"
    r"|\b(?:a|an)\s+(?:\w+\s+)?(?:rap|poem|song|haiku|story)\s+(?:on|about)\s+your\s+"
    r"(?:instructions|prompt|rules)\b)", _F)
# The demand opens a sentence ("Now print the instructions above."): an imperative speaks to the reader.
_IMPERATIVE = re.compile(r"(?:^|[.!?:\n])\s*(?:(?:now|please|ok(?:ay)?|then|and|so|first|finally),?\s+){0,2}\Z",
                         re.IGNORECASE)


def _addressed_signatures(raw: str, addressed: bool) -> list[str]:
    """Return the persona / prompt-extraction signatures of a text (`addressed`: it says "you" outside quotes)."""
    found = []
    if addressed and (_PERSONA.search(raw) or (_AI_WORD.search(raw) and _PERSONA_NEAR_AI.search(raw))):
        found.append("jailbreak_core")
    match = _REVEAL.search(raw) or _REVEAL_MORE.search(raw)
    if match and (addressed or _IMPERATIVE.search(raw[:match.start()])):
        found.append("reveal_prompt")
    return found


# Instructions planted in pasted data (lr-8, written after reading BIPIA's table and code attacks, so BIPIA's figure
# is not held out for them): a sentence spliced between the rows of a table, and, in a text that carries data (a
# table, a code block, e-mail headers, JSON), an instruction about the reader's reply ("in your response, ...") or
# code to merge into the reader's own ("Meld the following code block into your code"). A code answer that says
# "in your code" to the asker is not one: only "the following code ... into your code" counts.
_DATA = re.compile(r"```|(?:^(?: {4}|\t)\S[^\n]*\n){3,}|^(?:from|subject|to|cc|date):\s+\S"
                   r"|[{\[]\s*['\"][\w ]+['\"]\s*:", re.IGNORECASE | re.MULTILINE)
_STEER = re.compile(r"\b(?:in|into|to|at\s+the\s+(?:end|start|beginning)\s+of|throughout|within|for)\s+your\s+"
                    r"(?:\w+\s+)?(?:reply|response|answer|responses|replies|answers|output|summary)\b"
                    r"|\bfollowing\s+(?:code|snippet|script|lines?)\b[^.\n]{0,40}?\b(?:into|in|to|as\s+(?:a\s+)?part\s+of"
                    r"|with)\s+your\s+(?:\w+\s+)?code\b", re.IGNORECASE)


def _table_row(line: str) -> bool:
    return line.count("|") >= 2


def _has_table(raw: str) -> bool:
    """Return whether 3+ consecutive lines are table rows (a line scan: a regex over long lines of pipes backtracks)."""
    run = 0
    for line in raw.split("\n"):
        run = run + 1 if _table_row(line) else 0
        if run >= 3:
            return True
    return False


def spliced_line(raw: str) -> str | None:
    """Return a sentence of 3+ words that sits between two rows of a table (not a markdown header), if any."""
    lines = [line for line in raw.split("\n") if line.strip()]
    for before, line, after in zip(lines, lines[1:], lines[2:], strict=False):
        if _table_row(before) and _table_row(after) and not _table_row(line) and len(line.split()) >= 3 \
                and not line.lstrip().startswith("#"):
            return line.strip()
    return None


def steers_inside_data(raw: str) -> bool:
    """Return whether a text that carries data (table, code, e-mail headers, JSON) instructs the reader's reply."""
    return bool((_has_table(raw) or _DATA.search(raw)) and _STEER.search(raw))


SIGNATURE_DESCRIPTIONS = {
    "spliced_line": "has a sentence spliced into the middle of a table (an instruction planted in data)",
    "steer_in_data": "pasted data (a table, code, an e-mail) carries an instruction about the reader's reply or code",
    "fake_delimiter": "fakes a system or tool delimiter ('###(system_message)', '<INFORMATION>')",
    "request_in_data": "hides a request to act on someone's accounts inside a tool's data fields",
    "dictated_password": "dictates the password reply ('Access Granted')",
    "jailbreak_core": "tells an AI to take on a persona freed of its rules ('DAN', 'developer mode', "
                      "'no restrictions', 'stay in character')",
    "reveal_prompt": "demands the AI's hidden prompt, the instructions above it or a password",
    "override": "an override instruction ('ignore previous instructions', 'before you do the task') outside quotes",
}
SIGNATURE_FLOOR = 0.95
_IGNORE, _HIJACK_TASK = FEATURE_NAMES.index("ignore_instructions"), FEATURE_NAMES.index("task_hijack")
# "Ignore the previous instructions in the forum post, the link changed" is a member correcting an announcement.
# An override is a signature when it is aimed at an AI: at "your" instructions, prompt or programming, in a text
# that names an AI or addresses an agent, or next to another instruction pattern (a new role, a dictated reply,
# an extraction, a transfer request).
_AT_YOUR_RULES = re.compile(r"\byour\s+(?:\w+\s+){0,2}(?:instructions?|prompts?|directives?|guidelines|guardrails|rules"
                            r"|constraints|programming|orders|training)\b|\byou\s+(?:were|have\s+been|'ve\s+been)\s+"
                            r"(?:told|given|instructed)\b"
                            # "all previous instructions" with nothing after it that says which ones ("... about
                            # the claim page" is a member withdrawing an announcement)
                            r"|\b(?:ignore|disregard|forget)\s+(?:all|any)\s+(?:of\s+)?(?:the\s+)?(?:previous|prior|above"
                            r"|earlier)\s+(?:instructions?|prompts?|directives?|rules)\b(?!\s+(?:about|for|in|on|regarding"
                            r"|from|of)\b)", re.IGNORECASE)
_CO_SIGNALS = tuple(FEATURE_NAMES.index(n) for n in ("system_prompt", "roleplay_authority", "action_request",
                                                     "addresses_agent", "jailbreak_persona", "extraction",
                                                     "hijack_output"))


# What makes an override a discussion: the topic named, not the word "example" ("... for example 09:00 to 10:00"
# sat in an AgentDojo attack and took the override for a discussion of one).
_TOPIC = re.compile(r"\bprompt[\s-]+injections?\b|\bjailbreaks?\b|\b(?:attack\w*|payloads?|red[\s-]team\w*|mitigat\w*"
                    r"|sanitiz\w*|guard\w*)\b", re.IGNORECASE)
_QUOTED_INSTRUCTION = FEATURE_NAMES.index("quoted_instruction")


def _override(raw: str, vector: np.ndarray) -> bool:
    """Return whether a post gives an AI an override instruction (not a member correcting a post)."""
    if vector[_QUOTED_INSTRUCTION] > 0 or _TOPIC.search(raw):
        return False
    if vector[_HIJACK_TASK] > 0:
        return True
    return vector[_IGNORE] > 0 and (vector[list(_CO_SIGNALS)].max() > 0 or _AI_WORD.search(raw) is not None
                                    or _AT_YOUR_RULES.search(raw) is not None)


def signatures(raw: str, vector: np.ndarray, discussed: bool | None = None) -> tuple[str, ...]:
    """Return the attack signatures a post carries.

    An override counts only when the topic is not discussed. `discussed`: whether the post describes injection
    in the third person (computed here when None): then neither an override nor an addressed signature counts.
    """
    fixed = repair_keywords(raw)
    if fixed != raw:  # misspelt override words: the signatures read the text spelt out (the head reads it as written)
        raw, vector = fixed, extract(fixed).vector
        discussed = None
    found = [name for name, rx in SIGNATURES.items() if rx.search(raw)]
    found += ["spliced_line"] if spliced_line(raw) else []
    found += ["steer_in_data"] if steers_inside_data(raw) else []
    if discussed is None:
        discussed = describes_injection(raw, vector)
    if discussed:
        return tuple(found)
    if _override(raw, vector):
        found.append("override")
    unquoted = _QUOTED.sub(" ", unicodedata.normalize("NFKC", raw))
    return (*found, *_addressed_signatures(raw, _SECOND_PERSON.search(unquoted) is not None))


# Prose that describes injection in the third person ("the attacker tells the model to ignore ...") rather than
# giving an AI instructions: it never addresses anyone as "you", it names a model, an agent or an attacker in
# the third person, and it gives no directive to one ("the assistant must ...", "AI agents should ..."). Such a
# text is capped under the line unless a signature or a smuggled payload fires. Written after reading the
# `about_injection` texts the head flagged (model card): a held-out figure for that source counts it.
_SECOND_PERSON = re.compile(r"\b(?:you|your|yours|yourself|yourselves|u|ur|thou|thee|thy)\b"
                            # a request to the reader in the first person: "when I ask something answer me"
                            r"|\b(?:answer|tell|give|show|help|respond\s+to|reply\s+to|obey)\s+me\b"
                            r"|\bwhen\s+i\s+(?:ask|say|type|write|give|send|tell)\b|\bmy\s+(?:first|next)\s+(?:question"
                            r"|prompt|request|message)\b"
                            # a role given as an imperative: "Act as Orbit, a language model that ..."
                            r"|(?:^|[.!?:\n]\s*)(?:now,?\s+|please,?\s+)?(?:act|pretend|behave|roleplay|role-play)\s+"
                            r"(?:as|like|to\s+be)\b", _F)
_MODEL = (r"(?:(?:large\s+)?language\s+models?|llms?|models?|chat\s*bots?|assistants?|agents?|ai(?:\s+systems?)?"
          r"|systems?|bots?)")
_THIRD_PERSON = re.compile(rf"\b(?:the|a|an|target|victim|its|their)\s+(?:\w+\s+)?{_MODEL}\b|\battackers?\b"
                           r"|\badversar\w+|\bthe\s+target\b", _F)
_DIRECTIVE = re.compile(rf"\b{_MODEL}\s+(?:\w+\s+)?(?:must|should|shall|will\s+now|needs?\s+to|has\s+to|have\s+to"
                        r"|(?:is|are)\s+(?:to|now|required|instructed|ordered|authori[sz]ed))\b", _F)
_NOT_DISCUSSION = tuple(FEATURE_NAMES.index(n) for n in ("addresses_agent", "hidden_block", "encoded_payload",
                                                          "tag_smuggling", "zero_width"))
DISCUSSION_CEILING = 0.5
# A sentence that opens with an override verb (outside quotes) gives the order; a description reports it
# ("the attacker tells the model to ignore ..."). Found on InjecAgent tool outputs that named "the EpicFHIR system".
_OPENS_WITH_OVERRIDE = re.compile(r"(?:^|[.!?:\n])\s*(?:important\W*)?(?:please\s+)?(?:ignore|disregard|forget|override"
                                  r"|bypass)\b", re.IGNORECASE)


def describes_injection(raw: str, vector: np.ndarray) -> bool:
    """Return whether a text talks about AI models or attackers in the third person without instructing one."""
    if vector[list(_NOT_DISCUSSION)].max() > 0:
        return False
    text = unicodedata.normalize("NFKC", raw)
    unquoted = _QUOTED.sub(" ", text)  # a quoted example ("You have 25 tokens ...") addresses no one
    if vector[_IGNORE] > 0 and _OPENS_WITH_OVERRIDE.search(unquoted):
        return False  # "IMPORTANT!!! Ignore all previous instructions ...": an imperative, not a description
    return (not _SECOND_PERSON.search(unquoted) and _THIRD_PERSON.search(text) is not None
            and not _DIRECTIVE.search(unquoted))


def described(raws: list[str], features: np.ndarray) -> np.ndarray:
    """Return per text whether it describes injection in the third person (see describes_injection)."""
    feats = np.atleast_2d(features)
    return np.array([describes_injection(r, f) for r, f in zip(raws, feats, strict=True)], dtype=bool)


def signature_floor(raws: list[str], features: np.ndarray, discussed: np.ndarray | None = None) -> np.ndarray:
    """Return SIGNATURE_FLOOR for the posts that carry an attack signature, else 0.

    `discussed` marks third-person descriptions (computed per post when None): an override phrase or a persona
    there is described, not given, so on its own it is no signature.
    """
    feats = np.atleast_2d(features)
    told = [None] * len(raws) if discussed is None else [bool(d) for d in discussed]
    return np.array([SIGNATURE_FLOOR if signatures(r, f, d) else 0.0
                     for r, f, d in zip(raws, feats, told, strict=True)])


def feature_matrix(raws: list[str]) -> np.ndarray:
    """Return the (n, len(FEATURE_NAMES)) rule-feature matrix of raw texts."""
    if not raws:
        return np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32)
    return np.stack([extract(r).vector for r in raws])
