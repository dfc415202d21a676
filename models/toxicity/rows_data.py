"""The labelled sets the toxicity branch trains and is evaluated on, as rows with one label per output.

Outputs (categories): `hate` (hate or abuse aimed at a group, or at a person for who they are), `harassment`
(insults aimed at a person, or at a group for what it does rather than who it is), `threat` (threats of
violence) and `profanity` (offensive or profane language, also when friendly). A row trains only the outputs
its source labels (UNKNOWN elsewhere):

- DynaHate rounds 1-3 (round 4 held out): hate = label; threat = 1 if type threatening, 0 other hate types.
- counter-speech (CONAN family, English, `split` train): hate = 1 for hate speech; a counter-narrative is 0
  for every output.
- HatemojiBuild (upstream train split): hate = label; threat as DynaHate (`threateninglanguage`). Not in the
  training mix: MiniLM's vocabulary reads most emoji as [UNK], so a model trained on it learnt that emoji
  mean hate (it flagged "👍 no rush" as a threat) and still scored 0.55 AUROC on its test split.
- HatEval (TweetEval hate train): hate = label.
- OLID (TweetEval offensive train): profanity = label; an offensive tweet addressed to or about someone
  (second person, he/she/him/her, or they/them/these/those for a group) is harassment 1, any other
  offensive tweet is harassment UNKNOWN; a tweet that is not offensive is 0 for every output.
- identity templates (models/toxicity/identity_data.py): hate = label; neutral ones are 0 for every output.
- threat templates (models/toxicity/threat_data.py; `identity_threat_templates` = the identity templates plus
  these, one template source; tried on 6 Dec and **not shipped**, see the model card): they label the threat
  output only (1 for a threat against a person, 0 for its harmless twins; the other outputs unlabelled). Twins that
  were 0 for every output taught a first run that "you" sentences are not harassment ("you are an idiot" fell
  under the line).

The harassment label is weak: OLID does not say whom an offensive tweet targets here, so an offensive tweet
that speaks to or of someone ("you", "he", "her", "they") stands for an insult aimed at a person or a group.
An offensive tweet without such a word is not a negative: marking it 0 taught an earlier model that "greedy
idiot" said of a third party is not harassment. Validation and test rows of every source are named
separately, so nothing held out can enter a training mix by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from models.normalize import normalize
from models.training import datasets

OUTPUTS = ("hate", "harassment", "threat", "profanity")
HATE, HARASSMENT, THREAT, PROFANITY = range(len(OUTPUTS))
UNKNOWN = -1  # the data set does not label this output
_PERSON = re.compile(r"\b(you|your|youre|you're|yourself|u|ur|ya|he|hes|he's|him|his|she|shes|she's|her"
                     r"|they|theyre|they're|them|their|these|those)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Rows:
    """Labelled texts: normalised text, labels (n, len(OUTPUTS)) in 1/0/UNKNOWN, source and group per row."""

    texts: list[str]
    labels: np.ndarray
    src: np.ndarray
    group: np.ndarray  # target group, round, pair id... (source-specific; "" when none)

    @property
    def toxic(self) -> np.ndarray:
        """Return 1 where any output is labelled 1, 0 where all labelled outputs are 0 (UNKNOWN if none)."""
        return self.labels.max(axis=1)

    def label(self, output: str) -> np.ndarray:
        """Return one output's labels."""
        return self.labels[:, OUTPUTS.index(output)]

    def subset(self, mask: np.ndarray) -> Rows:
        """Return the rows where mask is True."""
        return Rows([t for t, m in zip(self.texts, mask, strict=True) if m], self.labels[mask], self.src[mask],
                    self.group[mask])

    def __len__(self) -> int:
        """Return the number of rows."""
        return len(self.texts)


def make_rows(name: str, texts: Sequence[str], labels: Sequence[Sequence[int]],
              groups: Sequence[str] | None = None) -> Rows:
    """Return rows of one source from raw texts (normalised here) and per-output labels."""
    return Rows([normalize(t) for t in texts], np.array(labels, dtype=np.int64).reshape(len(texts), len(OUTPUTS)),
                np.full(len(texts), name), np.array(groups if groups is not None else [""] * len(texts)))


def concat(parts: Sequence[Rows]) -> Rows:
    """Return the rows of several sources, one after the other."""
    return Rows([t for p in parts for t in p.texts], np.concatenate([p.labels for p in parts]),
                np.concatenate([p.src for p in parts]), np.concatenate([p.group for p in parts]))


def _labels(hate: int = UNKNOWN, harassment: int = UNKNOWN, threat: int = UNKNOWN,
            profanity: int = UNKNOWN) -> list[int]:
    return [hate, harassment, threat, profanity]


def _hate_type_threat(hateful: bool, kind: str) -> int:
    """Return the threat label of a hate row: 1 if threatening, 0 for the other hate types, UNKNOWN else."""
    if not hateful or kind in ("notgiven", "none", ""):
        return UNKNOWN
    return int(kind.startswith("threatening"))


def _dynahate(rounds: set[str]) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = [r for r in datasets.dynahate() if r["round_base"] in rounds]
        labels = [_labels(hate=int(r["label_int"]), threat=_hate_type_threat(r["label_int"] == "1", r["type"]))
                  for r in rows]
        name = "dynahate_r4" if rounds == {"4"} else "dynahate_r123"
        return make_rows(name, [r["text"] for r in rows], labels, [r["acl_id"] for r in rows])
    return load


def _counter_speech(split: str) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = [r for r in datasets.counter_speech("en") if r["split"] == split]
        labels = [_labels(1) if r["label"] == "1" else _labels(0, 0, 0, 0) for r in rows]
        return make_rows(f"counter_speech_{split}", [r["text"] for r in rows], labels, [r["target"] for r in rows])
    return load


def _hatemoji(split: str) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = [r for r in datasets.hatemoji() if r["split"] == split]
        labels = [_labels(hate=int(r["label_gold"]), threat=_hate_type_threat(r["label_gold"] == "1", r["type"]))
                  for r in rows]
        return make_rows(f"hatemoji_{split}", [r["text"] for r in rows], labels, [r["entry_id"] for r in rows])
    return load


def _olid_labels(text: str, offensive: bool) -> list[int]:
    """Return an OLID tweet's labels: offensive = profanity; harassment 1 if it names a person, else UNKNOWN."""
    if not offensive:
        return _labels(0, 0, 0, 0)
    return _labels(UNKNOWN, 1 if _PERSON.search(text) else UNKNOWN, UNKNOWN, 1)


def _olid(split: str) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = datasets.tweeteval("offensive", split)
        labels = [_olid_labels(e.text, bool(e.label)) for e in rows]
        return make_rows(f"tweeteval_offensive_{split}", [e.text for e in rows], labels)
    return load


def _hateval(split: str) -> Callable[[], Rows]:
    def load() -> Rows:
        rows = datasets.tweeteval("hate", split)
        return make_rows(f"tweeteval_hate_{split}", [e.text for e in rows], [_labels(e.label) for e in rows])
    return load


def _identity() -> Rows:
    from models.toxicity.identity_data import identity_sentences

    pairs = identity_sentences()
    labels = [_labels(1) if y else _labels(0, 0, 0, 0) for _, y in pairs]
    return make_rows("identity_templates", [t for t, _ in pairs], labels)


def _identity_and_threats() -> Rows:
    """The identity templates plus the threat templates and their twins, as one template source (not shipped)."""
    from models.toxicity.threat_data import threat_sentences

    threats = threat_sentences()
    labels = [_labels(threat=y) for _, y in threats]  # the threat output only: the twins say nothing else
    return concat([_identity(), make_rows("identity_templates", [t for t, _ in threats], labels)])


def _davidson() -> Rows:
    """Davidson et al.: class 0 hate -> hate 1; 1 offensive -> profanity 1, hate 0; 2 neither -> all 0."""
    rows = datasets.davidson()
    labels = [_labels(1) if e.group == "0" else _labels(0, UNKNOWN, UNKNOWN, 1) if e.group == "1"
              else _labels(0, 0, 0, 0) for e in rows]
    return make_rows("davidson", [e.text for e in rows], labels)


def _toxigen() -> Rows:
    rows = datasets.toxigen()
    return make_rows("toxigen", [e.text for e in rows], [_labels(e.label) for e in rows], [e.group for e in rows])


# Every labelled set the toxicity work reads, by name.
LOADERS: dict[str, Callable[[], Rows]] = {
    "dynahate_r123": _dynahate({"1", "2", "3"}),
    "dynahate_r4": _dynahate({"4"}),
    "counter_speech_train": _counter_speech("train"),
    "counter_speech_val": _counter_speech("val"),
    "counter_speech_test": _counter_speech("test"),
    "hatemoji_train": _hatemoji("train"),
    "hatemoji_dev": _hatemoji("dev"),
    "hatemoji_test": _hatemoji("test"),
    "tweeteval_offensive_train": _olid("train"),
    "tweeteval_hate_train": _hateval("train"),
    "tweeteval_offensive_val": _olid("val"),
    "tweeteval_hate_val": _hateval("val"),
    "identity_templates": _identity,
    "identity_threat_templates": _identity_and_threats,
    "davidson": _davidson,
    "toxigen": _toxigen,
}
# What the shipped model trains on (a seeded 10% of each is its validation slice). Never here: DynaHate round 4,
# the counter-speech val/test groups, the Hatemoji dev/test splits, TweetEval val, Davidson, ToxiGen.
TRAIN_SOURCES = ("dynahate_r123", "counter_speech_train", "tweeteval_offensive_train",
                 "tweeteval_hate_train", "identity_templates")
# Validation sets whose own upstream split is the validation split (used whole for calibration, never trained on).
VALIDATION_SOURCES = ("counter_speech_val", "hatemoji_dev")
TRAINABLE = (*TRAIN_SOURCES, "davidson", "identity_threat_templates")


def load_rows(names: Sequence[str]) -> Rows:
    """Return the named sets concatenated."""
    return concat([LOADERS[n]() for n in names])
