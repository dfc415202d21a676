"""Tests for the toxicity training data: label mapping, held-out sets, obfuscation, tap-state cache, calibration."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from models.normalize import normalize
from models.toxicity import rows_data
from models.toxicity.augment_data import EDITS, augment, obfuscate
from models.toxicity.rows_data import OUTPUTS, UNKNOWN, Rows, concat, make_rows
from models.toxicity.train_cache import TapStates
from models.toxicity.train_calibrate import calibrate, mean_fpr, threshold_for_fpr


def test_training_mix_never_names_a_held_out_set() -> None:
    held_out = {"dynahate_r4", "counter_speech_test", "counter_speech_val", "hatemoji_test", "hatemoji_dev",
                "tweeteval_offensive_val", "tweeteval_hate_val", "davidson", "toxigen"}
    assert not held_out & set(rows_data.TRAIN_SOURCES)
    assert set(rows_data.VALIDATION_SOURCES) <= held_out
    assert set(rows_data.TRAIN_SOURCES) | held_out <= set(rows_data.LOADERS)


@pytest.mark.parametrize(
    ("hateful", "kind", "threat"),
    [(True, "threatening", 1), (True, "threateninglanguage", 1), (True, "derogation", 0),
     (True, "notgiven", UNKNOWN), (False, "none", UNKNOWN)],
)
def test_threat_labels_come_from_the_hate_type(hateful: bool, kind: str, threat: int) -> None:
    assert rows_data._hate_type_threat(hateful, kind) == threat


def test_threat_templates_train_the_threat_output_only_and_their_twins_nothing() -> None:
    assert (rows_data.LOADERS["identity_templates"]().label("threat") != 1).all()  # the shipped mix has none
    rows = rows_data.LOADERS["identity_threat_templates"]()
    threat = rows.label("threat")
    threats = rows.subset(threat == 1)
    assert len(threats) > 100
    # a threat row or its twin says nothing about hate, harassment or profanity: the templates train threats only
    others = [rows_data.HATE, rows_data.HARASSMENT, rows_data.PROFANITY]
    assert (threats.labels[:, others] == UNKNOWN).all()
    from models.toxicity.threat_data import threat_sentences

    twins = [t for t, y in threat_sentences() if y == 0]
    twin_rows = rows.subset(np.isin(np.array(rows.texts), [normalize(t) for t in twins]))
    assert len(twin_rows) == len(set(normalize(t) for t in twins))
    assert (twin_rows.label("threat") == 0).all() and (twin_rows.labels[:, others] == UNKNOWN).all()


def test_threat_templates_hold_no_acceptance_test_sentence() -> None:
    from models.toxicity.threat_data import threat_sentences
    from tests.models.toxicity.test_acceptance import COUNTER_SPEECH, FRIENDLY_PROFANITY, NEGATION

    written = {normalize(t) for pairs in (COUNTER_SPEECH, NEGATION, FRIENDLY_PROFANITY) for pair in pairs for t in pair}
    templates = [normalize(t) for t, _ in threat_sentences()]
    assert not written & set(templates)
    # nor the acceptance threat's frame or words: the test measures what the templates teach, not recall of them
    assert not any("to death" in t or "beat" in t or "i hope someone" in t for t in templates)


@pytest.mark.parametrize(("text", "harassment"), [("@USER you are a clown", 1), ("ur so dumb", 1),
                                                    ("still think he's a clown", 1), ("they are all clowns", 1),
                                                    ("this is fucking great", UNKNOWN),
                                                    ("youth vote is shit", UNKNOWN)])
def test_offensive_tweets_are_harassment_only_when_a_person_is_named(text: str, harassment: int) -> None:
    # an offensive tweet without a person in it is not a harassment negative: OLID does not say whom it targets
    labels = rows_data._olid_labels(text, offensive=True)
    assert labels[rows_data.HARASSMENT] == harassment and labels[rows_data.PROFANITY] == 1
    assert rows_data._olid_labels(text, offensive=False) == [0, 0, 0, 0]


def test_emoji_set_is_not_trained_on() -> None:
    # MiniLM reads most emoji as [UNK]: training on HatemojiBuild taught a model that emoji mean hate
    assert not any(name.startswith("hatemoji") for name in rows_data.TRAIN_SOURCES)


def test_rows_normalise_subset_and_concat() -> None:
    a = make_rows("a", ["y0u are an 1d10t", "hello"], [[1, 1, 0, 1], [0, 0, 0, 0]])
    b = make_rows("b", ["x"], [[UNKNOWN, UNKNOWN, UNKNOWN, 1]], ["g"])
    both = concat([a, b])
    assert both.texts[0] == normalize("y0u are an 1d10t") and len(both) == 3
    assert both.toxic.tolist() == [1, 0, 1] and both.label("threat").tolist() == [0, 0, UNKNOWN]
    assert both.subset(both.src == "b").group.tolist() == ["g"]
    assert both.labels.shape == (3, len(OUTPUTS))


@pytest.mark.parametrize("edit", EDITS)
def test_every_edit_changes_the_word(edit: object) -> None:
    rng = random.Random(0)
    for word in ("immigrants", "idiot", "vermin", "stupid"):
        assert edit(word, rng) != word  # type: ignore[operator]


def test_obfuscate_is_seeded_and_leaves_short_words_alone() -> None:
    text = "immigrants are vermin and should leave"
    assert obfuscate(text, random.Random(3)) == obfuscate(text, random.Random(3))
    assert obfuscate("a b c", random.Random(0)) == "a b c"
    changed = [obfuscate(text, random.Random(s)) for s in range(20)]
    assert sum(c != text for c in changed) == 20
    copies = augment([text] * 100, 0.3, seed=1)
    assert len(copies) == 30 and all(0 <= i < 100 for i, _ in copies)


class _FakeEncoder:
    def __init__(self) -> None:
        self.calls = 0

    def hidden_states(self, texts: list[str], tap: int) -> list[torch.Tensor]:
        self.calls += 1
        return [torch.full((len(t) % 5 + 1, 384), float(len(t)), dtype=torch.float16) for t in texts]


def test_tap_states_are_stored_once_and_read_back(tmp_path: Path) -> None:
    enc = _FakeEncoder()
    texts = ["abc", "hello world", ""]
    first = TapStates(3, enc, tmp_path).of("set", texts)
    again = TapStates(3, enc, tmp_path).of("set", texts)  # a new run reads the file
    assert enc.calls == 1
    for x, y in zip(first, again, strict=True):
        torch.testing.assert_close(x, y)
    TapStates(3, enc, tmp_path).of("set", texts[:2])  # other texts, other file
    assert enc.calls == 2 and len(list(tmp_path.glob("set-tap3-*.npz"))) == 2


def test_threshold_for_fpr_holds_the_sources_that_label_the_category_to_the_rate() -> None:
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0, 1, 1000), rng.uniform(0, 0.5, 1000), np.full(50, 0.99), rng.uniform(0, 1, 300)]
    y = np.r_[np.zeros(2000, dtype=int), np.ones(50, dtype=int), np.zeros(300, dtype=int)]
    src = np.array(["hard"] * 1000 + ["easy"] * 1000 + ["hard", "easy"] * 25 + ["identity_templates"] * 300)
    t = threshold_for_fpr(p, y, src, 0.05)
    assert mean_fpr(p, y, src, t) <= 0.05 < mean_fpr(p, y, src, t - 0.01)
    assert (p[(src == "hard") & (y == 0)] >= t).mean() == pytest.approx(0.10, abs=0.02)  # the mean is 5%
    only_easy_labels = np.where(src == "hard", UNKNOWN, y)  # "hard" no longer labels it: "easy" alone votes
    assert threshold_for_fpr(p, only_easy_labels, src, 0.05) < t
    with pytest.raises(ValueError, match="cannot calibrate"):  # no source with positives: no threshold at all
        threshold_for_fpr(p, np.zeros_like(y), src, 0.05)


def test_calibrate_reports_every_category_on_validation_rows() -> None:
    rng = np.random.default_rng(1)
    n = 400
    labels = rng.integers(0, 2, (n, len(OUTPUTS)))
    logits = np.where(labels == 1, 2.0, -2.0) + rng.normal(0, 1, (n, len(OUTPUTS)))
    val = Rows([""] * n, labels, np.array(["s"] * n), np.array([""] * n))
    out = calibrate(val, logits, 0.05)
    assert set(out["thresholds"]) == set(OUTPUTS)
    hate = out["report"]["hate"]["sources"]["s"]
    assert hate["fpr"] <= 0.05 and hate["recall"] > 0.5


def test_interpolation_of_lora_factors_is_exact_in_the_merged_weights() -> None:
    from models.toxicity.branch import merge_state
    from models.toxicity.train_second_stage import interpolate

    g = torch.Generator().manual_seed(0)
    base = {"layers.0.q.weight": torch.randn(6, 5, generator=g)}

    def stage() -> dict[str, torch.Tensor]:
        return {"layers.0.q.lora_A": torch.randn(2, 5, generator=g),
                "layers.0.q.lora_B": torch.randn(6, 2, generator=g),
                "layers.0.q.bias": torch.randn(6, generator=g), "head.weight": torch.randn(4, 6, generator=g)}

    first, second = stage(), stage()
    for alpha in (0.0, 0.3, 1.0):
        mixed = merge_state(base, interpolate(first, second, alpha), 2.0)
        one, two = merge_state(base, first, 2.0), merge_state(base, second, 2.0)
        for key in mixed:
            torch.testing.assert_close(mixed[key], alpha * two[key] + (1 - alpha) * one[key])
    with pytest.raises(ValueError, match="different tensors"):
        interpolate(first, {"head.weight": first["head.weight"]}, 0.5)
