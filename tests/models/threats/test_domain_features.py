"""Host tokens of the phishing-domain model: faked domain endings, word positions, folded brand look-alikes."""

from __future__ import annotations

import pytest

from models.threats.domain_features import BrandIndex, host_tokens, layout_tokens, split_host

BRANDS = BrandIndex.build(["uniswap", "pancakeswap", "debank", "metamask"], ["uniswap.org", "debank.com"])


def _layout(host: str) -> set[str]:
    parts = split_host(host)
    body = f"{parts.subdomain}.{parts.label}" if parts.subdomain else parts.label
    return set(layout_tokens(parts, body, BRANDS))


def test_a_domain_faked_before_a_hyphen_is_a_token() -> None:
    tokens = _layout("debank.com-connect-app.com")
    assert {"emb:1", "emb:com", "emb:dot"} <= tokens
    assert not {t for t in _layout("connect-app.com") if t.startswith("emb:")}


def test_first_and_last_words_of_label_and_subdomain() -> None:
    assert {"pf:claim", "pl:rewards", "sf:app"} <= _layout("app.claim-uni-rewards.xyz")
    assert "p1:uniswap" in _layout("uniswap.org")


@pytest.mark.parametrize(("host", "expected"), [
    ("un1swap-claim.xyz", {"fb:near", "fb:lure", "fb:oddtld"}),  # 1 folded to l, then one edit from uniswap
    ("metarnask.io", {"fb:exact"}),  # rn folded to m: the brand itself on a foreign domain
    ("pancakeswapfinance.live", {"fb:affix", "fb:affixlure", "fb:lure", "fb:oddtld"}),
])
def test_folded_brand_look_alikes(host: str, expected: set[str]) -> None:
    assert {t for t in _layout(host) if t.startswith("fb:")} == expected


def test_a_brand_on_its_own_domain_is_not_a_look_alike() -> None:
    assert not {t for t in _layout("uniswap.org") if t.startswith("fb:")}
    assert not {t for t in _layout("harvard.edu") if t.startswith("fb:")}


def test_layout_tokens_are_part_of_the_host_tokens() -> None:
    assert _layout("debank.com-connect-app.com") <= set(host_tokens("debank.com-connect-app.com", BRANDS))


def test_tuning_rebuilds_the_previous_features_and_reads_recall_at_a_false_positive_rate() -> None:
    import numpy as np

    from models.threats.tune_scam_domain import LAYOUT_PREFIXES, recall_at, tokens_of

    v2, v3 = tokens_of("debank.com-connect-app.com", BRANDS, 2), tokens_of("debank.com-connect-app.com", BRANDS, 3)
    assert not [t for t in v2 if t.startswith(LAYOUT_PREFIXES)] and set(v2) < set(v3)
    neg = np.linspace(0.0, 0.99, 200)  # at 1% of 200, the line is the third-highest legitimate score, 0.980
    assert recall_at(np.array([0.999, 0.985, 0.975, 0.1]), neg, 0.01) == 0.5


@pytest.mark.parametrize(("p", "soft", "flag"), [
    (0.85, 0.80, True),  # below the model's line (0.9) but above its soft threshold: a bare link reaches a case
    (0.75, 0.80, False),  # below the soft threshold: it does not
    (0.85, None, False),  # without a soft threshold the old fade applies: 0.85 x exp(margin) stays under 0.6
])
def test_soft_threshold_decides_where_a_bare_link_below_the_line_reaches_a_case(p: float, soft, flag: bool) -> None:
    import math
    from datetime import UTC, datetime, timedelta

    import numpy as np

    from models.detector import BatchContext
    from models.threats.domain_model import FEATURES_VERSION, DomainModel
    from models.threats.scam_link import ScamLinkDetector
    from models.types import Post

    meta = {"dim": 8, "features_version": FEATURES_VERSION, "threshold": 0.9, "soft_threshold": soft}
    model = DomainModel(np.zeros(8, dtype=np.float32), math.log(p / (1 - p)), meta)  # every host scores p
    det = ScamLinkDetector({"default_threshold": 0.6}, frozenset(), frozenset(), frozenset(), model)
    when = datetime(2026, 1, 1, tzinfo=UTC)
    post = Post(id="1", channel_id="c", author_id="9", content="have a look https://plainsite.org/", created_at=when,
                guild_id="g", author_created_at=when - timedelta(days=400))
    out = det.score([post], BatchContext([post.content], None))[0]
    assert (out.score >= 0.6) is flag, out


def test_the_shipped_domain_model_remembers_hosts_without_changing_their_scores() -> None:
    from models.threats.domain_model import DomainModel
    from models.threats.scam_link import WEIGHTS_DIR

    model = DomainModel.load(WEIGHTS_DIR)
    assert model is not None
    hosts = ["claim-arbitrum-airdrop.xyz", "uniswap.org", "app.uniswap.org", "metamask-wallet-restore.vercel.app"]
    fresh = [(model.margin(h), model.probability(h)) for h in hosts]  # computed from the tokens, no memo
    first = [model.scored(h) for h in hosts]
    again = [model.scored(h) for h in hosts]
    assert first == again and len(model._memo) == len(hosts)
    for (margin, prob), (memo_margin, score) in zip(fresh, first, strict=True):
        assert abs(margin - memo_margin) < 1e-6 and abs(prob - score.probability) < 1e-6
    assert first[0][1].probability > 0.9 > first[1][1].probability  # a lure host and a real one, told apart
    model.MEMO_SIZE = 2
    model._memo.clear()
    for host in hosts:
        model.scored(host)
    assert list(model._memo) == [(h, 3) for h in hosts[-2:]]  # bounded: the oldest hosts go first


def test_tuning_can_append_host_embeddings_cached_by_the_host_list(tmp_path, monkeypatch) -> None:
    import numpy as np
    from scipy import sparse

    from models.threats import tune_scam_domain as tune

    monkeypatch.setattr(tune, "CACHE_DIR", tmp_path)
    hosts = ["uniswap.org", "claim-uniswap-airdrop.xyz"]
    vectors = tune.host_embeddings(hosts)
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)
    assert len(list(tmp_path.glob("host-embeddings-*.npy"))) == 1
    assert np.array_equal(tune.host_embeddings(hosts), vectors)  # read back from the cache
    tokens = sparse.csr_matrix(np.eye(2, 5, dtype=np.float32))
    assert tune.with_embeddings(tokens, vectors, 0.0) is tokens
    both = tune.with_embeddings(tokens, vectors, 3.0)
    assert both.shape == (2, 389) and np.allclose(both[:, 5:].toarray(), 3.0 * vectors)
    assert np.array_equal(both[:, :5].toarray(), tokens.toarray())
