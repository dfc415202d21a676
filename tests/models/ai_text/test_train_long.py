"""Tests for the long-form path's calibration: governance prose is scored with its repository held out."""

from __future__ import annotations

import numpy as np
import pytest

import models.ai_text.train_long as tl
from models.ai_text.longform_data import LongRow


def _row(source: str, domain: str, label: int, split: str, i: int, words: int = 200) -> LongRow:
    return LongRow("text", "text", label, "gpt-4" if label else "human", "gpt-4" if label else "human", domain,
                   domain, source, split, f"{source}{i}", words)


def _data() -> tl.LongData:
    rows = [_row(repo, "dao_governance_proposal", 0, split, i)
            for repo in ("org/a", "org/b", "org/c") for i, split in enumerate(("train", "train", "val", "test"))]
    rows += [_row("org/a", "dao_governance_proposal", 0, "train", 9, words=120)]  # too short to flag: not in the pool
    rows += [_row("story", "story", 0, "val", i) for i in range(3)] + [_row("essays", "student_essay", 1, "train", 0)]
    n = len(rows)
    return tl.LongData(rows, [np.zeros((1, 384), np.float32)] * n, np.zeros((n, 3), np.float32))


def test_each_governance_text_is_scored_by_heads_that_never_saw_its_repository(
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = _data()
    n = len(data.rows)
    fitted: list[np.ndarray] = []

    def fake_fit(_data: tl.LongData, train: np.ndarray) -> int:
        fitted.append(train.copy())
        return len(fitted) - 1  # the "model" is the index of its training mask

    monkeypatch.setattr(tl, "fit_long", fake_fit)
    monkeypatch.setattr(tl, "score_long", lambda model, _d, idx: np.full(len(idx), float(model)))
    monkeypatch.setattr(tl, "score_long_lm", lambda model, d: np.full(len(d.rows), float(model) + 10.0))
    split = data.column("split")
    pool = tl.governance_pool(data, split != "test")
    assert pool.sum() == 9  # three repositories x (train, train, val); the test split and the short text stay out
    z, z_lm = tl.repo_held_out_scores(data, split == "train", pool)
    src = data.column("source")
    assert len(fitted) == 3  # one fit per repository
    for i in np.flatnonzero(pool):
        trained_on = fitted[int(z[i])]
        assert not trained_on[src == src[i]].any()  # never its own repository...
        assert trained_on[(src != src[i]) & (split == "train")].all()  # ...but every other training row
        assert z_lm[i] == z[i] + 10.0
    assert np.isnan(z[~pool]).all() and np.isnan(z_lm[~pool]).all()

    line = tl.long_threshold(np.full(n, -5.0), data, split == "val", z)
    assert line["governance_calibration"] == "each repository held out" and line["n_governance"] == 9
    assert line["governance_point"] == pytest.approx(np.nanmax(z) + 1e-6)  # 9 texts: at most 1% = none above
    assert line["n_other"] == 3 and line["threshold_logit"] == max(line["governance_point"], line["other_point"])
    own = tl.long_threshold(np.full(n, -5.0), data, split == "val")  # without held-out scores: validation rows
    assert own["governance_calibration"] == "validation split" and own["n_governance"] == 3


def test_repo_safe_point_is_the_plain_point_when_repositories_look_alike() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(size=2000)
    repos = np.array([f"org/{i % 10}" for i in range(2000)])  # ten repositories drawn from one distribution
    line, share = tl.repo_safe_point(z, repos, 0.01)
    plain = tl.threshold_at_fpr(z, 0.01)
    assert share >= 0.008 and line <= plain + 0.1  # at most a little stricter: no repository stands out


def test_repo_safe_point_is_stricter_when_one_repository_scores_high() -> None:
    rng = np.random.default_rng(0)
    z = np.concatenate([rng.normal(size=1800), rng.normal(loc=1.5, size=200)])  # one repository in its own register
    repos = np.array([f"org/{i % 9}" for i in range(1800)] + ["org/odd"] * 200)
    line, share = tl.repo_safe_point(z, repos, 0.01)
    plain = tl.threshold_at_fpr(z, 0.01)
    assert share < 0.01 and line > plain
    # the point is what it claims: leave each repository out, set the line on the rest at `share`, and the
    # repositories left out are flagged at <= 1% in all
    flagged = sum(int((z[repos == r] >= tl.threshold_at_fpr(z[repos != r], share)).sum()) for r in set(repos))
    assert flagged <= 0.01 * len(z)
    # and at the plain 1% share the same check flags more than 1%: the plain point would not have been safe
    plain_flagged = sum(int((z[repos == r] >= tl.threshold_at_fpr(z[repos != r], 0.01)).sum()) for r in set(repos))
    assert plain_flagged > 0.01 * len(z)


def test_repo_safe_point_with_one_repository_is_the_plain_point() -> None:
    z = np.linspace(-3.0, 3.0, 500)
    line, share = tl.repo_safe_point(z, np.array(["org/a"] * 500), 0.01)
    assert share == 0.01 and line == tl.threshold_at_fpr(z, 0.01)


def test_a_context_length_study_reads_its_own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    from models.ai_text import longform_data as ld
    from models.ai_text.lm_features import LM_CACHE_TAG, LM_NAMES
    from models.training.feature_cache import text_key

    monkeypatch.setattr(ld, "CACHE_DIR", tmp_path)
    monkeypatch.setattr(ld, "LM_TOKENS", ld.LM_TOKENS)  # restored after the test
    row = np.arange(len(LM_NAMES), dtype=np.float32)
    np.savez(tmp_path / f"{LM_CACHE_TAG}_384.npz", keys=np.array([text_key("a long post")]), rows=row[None])
    _, present = ld.cached_lm_features(["a long post"])
    assert not present.any()  # the shipped context length has no statistics in this folder
    ld.use_lm_tokens(384)
    stats, present = ld.cached_lm_features(["a long post", "another post"])
    assert present.tolist() == [True, False]
    np.testing.assert_array_equal(stats[0], row)
    with pytest.raises(ValueError, match="at least 8"):
        ld.use_lm_tokens(0)
