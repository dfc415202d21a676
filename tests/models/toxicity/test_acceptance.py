"""Acceptance (slow, shipped weights): counter-speech, negation and friendly profanity are left alone, their
hateful twins are flagged, obfuscated spellings score like the plain form, other scripts are not flagged.

Every sentence here was written for these tests; none is taken from a training or evaluation set, and none is
in the identity templates the branch trains on (models/toxicity/identity_data.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from bot.domain import Post
from bot.pipeline import Pipeline, Policy
from models.normalize import normalize
from models.toxicity.detector import ToxicityDetector

pytestmark = pytest.mark.slow

# (left alone, hateful twin): the same topic and words, one answers or denies abuse, the other is abuse.
COUNTER_SPEECH = [
    ("Calling immigrants parasites, like you just did, says more about you than about them.",
     "Immigrants are parasites and should be sent back where they came from."),
    ("Saying Muslims are terrorists is simply false: most victims of terrorism are Muslims.",
     "Muslims are terrorists, every single one of them."),
    ("No, women are not property. That attitude has no place in this DAO.",
     "Women are property and should shut up in governance calls."),
]
NEGATION = [
    ("I don't hate immigrants, I just think the grants budget is too big.",
     "I hate immigrants, they should not be allowed to vote here."),
    ("Gay people are not a disease, and this server will not pretend they are.",
     "Gay people are a disease on this server."),
    ("Women are not too emotional to run a treasury; our last two treasurers were women.",
     "Women are too emotional to run a treasury, keep them out of it."),
]
FRIENDLY_PROFANITY = [
    ("this proposal is fucking brilliant", "whoever wrote this proposal is a fucking idiot"),
    ("holy shit, the new dashboard is amazing", "holy shit, you are a worthless piece of garbage"),
    ("damn that AMA was good, hell yes to more of them", "damn you, I hope someone beats you to death"),
]
OTHER_SCRIPTS = [
    "Привет всем, голосование по предложению закрывается завтра",
    "नमस्ते दुनिया, प्रस्ताव पर मतदान कल बंद होगा",
    "Xin chào mọi người, cuộc bỏ phiếu sẽ đóng vào ngày mai",
]
# (plain, obfuscated spellings)
OBFUSCATED = [
    ("immigrants are vermin", ["immig rants are vermin", "imigrants are vermin", "immigarnts are vermin",
                               "1mm1gr4nts are v3rm1n", "іmmіgrаnts are vermin", "immi\u200bgrants are vermin"]),
    ("you are a worthless idiot", ["you are a worthless idi0t", "you are a worthles idiot",
                                   "you are a worth less idiot", "you are a worthless iidot",
                                   "you are a worthless idoit", "you are a worthless idi ot"]),
    ("women are too stupid to vote", ["wmoen are too stupid to vote", "women are too stpuid to vote",
                                      "women are too stu pid to vote", "women are too stup1d to vote"]),
]


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    from models.encoder import Encoder

    return Pipeline(Encoder(), [ToxicityDetector.load()])


def _flags(pipeline: Pipeline, texts: list[str], policy: Policy | None = None) -> list[bool]:
    from datetime import UTC, datetime

    posts = [Post(id=str(i), channel_id="c", author_id="a", content=t, created_at=datetime(2025, 1, 1, tzinfo=UTC))
             for i, t in enumerate(texts)]
    verdicts = pipeline.process(posts, lambda _g: policy or Policy())
    return ["toxicity" in v.flags for v in verdicts]


def _scores(pipeline: Pipeline, texts: list[str]) -> np.ndarray:
    det = pipeline.detector("toxicity")
    assert isinstance(det, ToxicityDetector)
    return det.predict(pipeline.encoder, [normalize(t) for t in texts])


KNOWN_MISSES = ("measured with toxicity-cat4-ft2-lora32-9a42dcf8 (see the model card): the threat twin "
                "('I hope someone beats you to death') scores 0.10; threats have few training rows (DynaHate's "
                "'threatening' type only)")


@pytest.mark.parametrize("pairs", [COUNTER_SPEECH, NEGATION, FRIENDLY_PROFANITY],
                         ids=["counter_speech", "negation", "friendly_profanity"])
def test_left_alone(pipeline: Pipeline, pairs: list[tuple[str, str]]) -> None:
    benign = [p[0] for p in pairs]
    assert not any(_flags(pipeline, benign)), dict(zip(benign, _scores(pipeline, benign).round(2), strict=True))


@pytest.mark.parametrize("pairs", [
    COUNTER_SPEECH, NEGATION,
    pytest.param(FRIENDLY_PROFANITY, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES)),
], ids=["counter_speech", "negation", "friendly_profanity"])
def test_the_hateful_twin_is_flagged(pipeline: Pipeline, pairs: list[tuple[str, str]]) -> None:
    hateful = [p[1] for p in pairs]
    assert all(_flags(pipeline, hateful)), dict(zip(hateful, _scores(pipeline, hateful).round(2), strict=True))


def test_profane_insults_open_cases_only_where_the_guild_asks_for_profanity(pipeline: Pipeline) -> None:
    det = pipeline.detector("toxicity")
    assert isinstance(det, ToxicityDetector)
    texts = [normalize(p[1]) for p in FRIENDLY_PROFANITY]
    profanity = det.predict_categories(pipeline.encoder, texts)[:, det.categories.index("profanity")]
    profane = [t for t, p in zip(texts, profanity, strict=True) if p >= 0.5]
    assert profane  # some of the twins are profane
    everything = Policy(categories={"toxicity": frozenset({"hate", "harassment", "threat", "profanity"})})
    assert all(_flags(pipeline, profane, everything))
    none = Policy(categories={"toxicity": frozenset()})
    assert not any(_flags(pipeline, profane, none))


@pytest.mark.parametrize(("plain", "variant"), [(plain, v) for plain, variants in OBFUSCATED for v in variants])
def test_obfuscated_spellings_score_like_the_plain_form(pipeline: Pipeline, plain: str, variant: str) -> None:
    plain_score, variant_score = _scores(pipeline, [plain, variant])
    assert plain_score >= 0.5  # the plain form is flagged
    assert abs(plain_score - variant_score) <= 0.1, (plain_score, variant_score)


def test_other_scripts_are_not_flagged_for_being_other_scripts(pipeline: Pipeline) -> None:
    assert [normalize(t) for t in OTHER_SCRIPTS] == OTHER_SCRIPTS
    assert not any(_flags(pipeline, OTHER_SCRIPTS)), _scores(pipeline, OTHER_SCRIPTS).round(2)


def test_the_pipeline_scores_the_repaired_spelling_and_says_what_it_read(pipeline: Pipeline) -> None:
    from datetime import UTC, datetime

    texts = ["immig rants are vermin", "immigrants are vermin", "you are a worthless iidot"]
    posts = [Post(id=str(i), channel_id="c", author_id="a", content=t, created_at=datetime(2025, 1, 1, tzinfo=UTC))
             for i, t in enumerate(texts)]
    obfuscated, plain, swapped = pipeline.process(posts, lambda _g: Policy())
    assert "toxicity" in obfuscated.flags and "toxicity" in swapped.flags
    assert obfuscated.scores["toxicity"] == pytest.approx(plain.scores["toxicity"], abs=1e-4)
    assert obfuscated.evidence["toxicity"]["read_as"] == "immigrants are vermin"
    assert swapped.evidence["toxicity"]["read_as"] == "you are a worthless idiot"
    assert "read_as" not in plain.evidence["toxicity"]


def test_a_repair_never_lowers_a_score(pipeline: Pipeline) -> None:
    det = pipeline.detector("toxicity")
    assert isinstance(det, ToxicityDetector) and det.spelling is not None
    as_written = ToxicityDetector.load(spelling=False)  # same weights, reads the text only as written
    texts = [normalize(t) for t in ["my dad is deaf and they gifted him a speaker. how tarded",  # -> "traded"
                                    "you are a worthless iidot"]]
    assert [det.spelling.repair(t) != t for t in texts] == [True, True]
    repaired, plain = det.predict(pipeline.encoder, texts), as_written.predict(pipeline.encoder, texts)
    assert repaired[0] == pytest.approx(plain[0], abs=1e-6)  # the repair reads a harmless word: the original counts
    assert repaired[1] > plain[1] + 0.3  # the repair uncovers the insult
