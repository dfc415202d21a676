"""The detector registry: each detector is named once here, with what the application needs to know about it.

Settings (which detectors run), the loader, slash-command choices, alert titles, report labels and sections,
and how cases group posts all derive from this table; adding a detector is one entry plus its own package.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Grouping(enum.StrEnum):
    """What one case gathers for a detector."""

    POST = "post"  # one case per flagged post
    AUTHOR = "author"  # one case per author (their posts together are the evidence)
    CLUSTER = "cluster"  # one case per campaign: the detector names a cluster across accounts


class Section(enum.StrEnum):
    """Where the weekly report shows a detector."""

    MANIPULATION = "manipulation"  # the main figures, charts and examples
    THREATS = "threats"  # the "Threat signals" section


@dataclass(frozen=True, slots=True)
class DetectorSpec:
    """Everything outside a detector's own package needs to know about it."""

    name: str  # the key in scores, flags, thresholds and settings
    module: str  # runtime module; its `cls` has `load(weights_dir)`
    cls: str
    label: str  # short readable name (reports, status)
    title: str  # alert card title
    grouping: Grouping
    section: Section
    what: str  # one line for the report: what the detector looks for
    judges_profiles: bool = False  # also judges joins and name changes (not only posts)
    colour: str | None = None  # chart colour in the report
    tool: str | None = None  # its name in `govmod train/eval NAME` (default: the package's name)
    trainer: str | None = None  # module whose main(argv) trains it (`govmod train`), never imported at run time
    evaluator: str | None = None  # module whose main(argv) evaluates it (`govmod eval`)

    @property
    def tool_name(self) -> str:
        """Return the detector's name on the `govmod train` / `govmod eval` command line."""
        return self.tool or self.name


REGISTRY: tuple[DetectorSpec, ...] = (
    DetectorSpec("toxicity", "models.toxicity.detector", "ToxicityDetector", "Toxicity", "Toxic or abusive language",
                 Grouping.POST, Section.MANIPULATION, "abusive, hateful or threatening posts", colour="#c92a2a",
                 trainer="models.toxicity.train", evaluator="models.toxicity.eval"),
    DetectorSpec("ai_generated", "models.ai_text.detector", "AiTextDetector", "AI-generated",
                 "Likely AI-generated text",
                 Grouping.AUTHOR, Section.MANIPULATION, "posts and authors whose writing reads as LLM-generated",
                 colour="#7b61ff", tool="ai_text", trainer="models.ai_text.train", evaluator="models.ai_text.eval"),
    DetectorSpec("coordination", "models.coordination.detector", "CoordinationDetector", "Coordination",
                 "Coordinated posting (possible campaign)", Grouping.CLUSTER, Section.MANIPULATION,
                 "many accounts pushing one talking point, join raids and reaction brigades", colour="#e8590c",
                 trainer="models.coordination.train", evaluator="models.coordination.eval"),
    DetectorSpec("scam_link", "models.threats.scam_link", "ScamLinkDetector", "Scam links", "Scam or phishing link",
                 Grouping.POST, Section.THREATS,
                 "phishing-like, look-alike or deny-listed domains, lures, shorteners, fresh accounts posting links",
                 trainer="models.threats.train_scam_link", evaluator="models.threats.eval_scam_link"),
    DetectorSpec("impersonation", "models.threats.impersonation", "ImpersonationDetector", "Impersonation",
                 "Possible staff impersonation", Grouping.AUTHOR, Section.THREATS,
                 "names that copy a moderator, admin or bot, or claim a staff role on a new account",
                 judges_profiles=True, evaluator="models.threats.eval_impersonation"),
    DetectorSpec("prompt_injection", "models.threats.prompt_injection", "PromptInjectionDetector", "Prompt injection",
                 "Prompt injection aimed at an AI agent", Grouping.POST, Section.THREATS,
                 "posts that address an AI agent with instructions (override, role-play, transfers, hidden payloads)",
                 trainer="models.threats.train_prompt_injection", evaluator="models.threats.eval_prompt_injection"),
)
NAMES: tuple[str, ...] = tuple(spec.name for spec in REGISTRY)
_BY_NAME = {spec.name: spec for spec in REGISTRY}


def spec(name: str) -> DetectorSpec | None:
    """Return a detector's registry entry, or None for a name govmod does not know (e.g. a test's fake)."""
    return _BY_NAME.get(name)


def grouping(name: str) -> Grouping:
    """Return how a detector's cases group posts (one per post for an unknown detector)."""
    entry = _BY_NAME.get(name)
    return entry.grouping if entry else Grouping.POST


def label(name: str) -> str:
    """Return a detector's readable name (the name itself, tidied, for an unknown one)."""
    entry = _BY_NAME.get(name)
    return entry.label if entry else name.replace("_", " ").capitalize()


def in_section(section: Section) -> tuple[str, ...]:
    """Return the names of the detectors a report section shows, in registry order."""
    return tuple(s.name for s in REGISTRY if s.section is section)


def tools(kind: str) -> dict[str, str]:
    """Return `govmod train` (kind "trainer") or `govmod eval` (kind "evaluator") names and their modules."""
    return {s.tool_name: module for s in REGISTRY if (module := getattr(s, kind))}
