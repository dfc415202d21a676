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
    assert list(model._memo) == [(h, 3, False) for h in hosts[-2:]]  # bounded: the oldest hosts go first


def test_host_embeddings_are_cached_by_the_host_list_and_appended_to_the_tokens(tmp_path, monkeypatch) -> None:
    import numpy as np
    from scipy import sparse

    from models.threats import host_embedding_data as host_embeddings
    from models.threats.train_scam_link import with_embeddings

    monkeypatch.setattr(host_embeddings, "CACHE_DIR", tmp_path)
    table = host_embeddings.HostTable(["uniswap.org", "claim-uniswap-airdrop.xyz", "uniswap.org"])
    assert table.hosts == ["claim-uniswap-airdrop.xyz", "uniswap.org"]  # distinct, sorted
    vectors = table.rows(["uniswap.org", "claim-uniswap-airdrop.xyz"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-2)
    assert not np.allclose(vectors[0], vectors[1])
    assert [p.name.endswith(".npy") and "partial" not in p.name for p in tmp_path.iterdir()] == [True]
    again = host_embeddings.HostTable(["claim-uniswap-airdrop.xyz", "uniswap.org"])  # read back from the cache
    assert np.array_equal(again.vectors, table.vectors)
    with pytest.raises(KeyError, match="not in the embedding table"):
        table.rows(["elsewhere.org"])
    tokens = sparse.csr_matrix(np.eye(2, 5, dtype=np.float32))
    assert with_embeddings(tokens, vectors, 0.0) is tokens
    both = with_embeddings(tokens, vectors, 3.0)
    assert both.shape == (2, 389) and np.allclose(both[:, 5:].toarray(), 3.0 * vectors)
    assert np.array_equal(both[:, :5].toarray(), tokens.toarray())


def _embedding_model(offset: float = -1.0):
    import numpy as np

    from models.threats.domain_model import FEATURES_VERSION, DomainModel

    embed = np.zeros(384, dtype=np.float32)
    embed[0], embed[1] = 4.0, offset  # the first embedding dimension pushes a host up; the second is typical
    meta = {"dim": 8, "features_version": FEATURES_VERSION, "threshold": 0.5, "embedding_offset": offset}
    return DomainModel(np.zeros(8, dtype=np.float32), -2.0, meta, embed)  # a host scores -2 before its embedding


class _CountingEncoder:
    """Embeds a host as a one-hot on dimension 0 if it says 'claim', else on dimension 1; counts its calls."""

    def __init__(self, fail: bool = False) -> None:
        self.calls: list[list[str]] = []
        self.fail = fail

    def __call__(self, texts: list[str]):
        import numpy as np

        self.calls.append(list(texts))
        if self.fail:
            raise RuntimeError("encoder down")
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i, 0 if "claim" in text else 1] = 1.0
        return out


def test_the_domain_model_adds_the_host_embedding_and_falls_back_to_a_typical_legitimate_share() -> None:
    model = _embedding_model(offset=-1.0)
    assert model.uses_embedding
    encode = _CountingEncoder()
    hosts = ["claim-drop.xyz", "forum.ourdao.org", "claim-drop.xyz"]
    assert model.prime(hosts, encode) == 2 and encode.calls == [["claim-drop.xyz", "forum.ourdao.org"]]
    assert model.prime(hosts, encode) == 0 and len(encode.calls) == 1  # remembered: not embedded again
    lure, plain = model.scored("claim-drop.xyz"), model.scored("forum.ourdao.org")  # no vector: the primed score
    assert abs(lure[0] - 2.0) < 1e-6 and abs(plain[0] + 3.0) < 1e-6
    assert any("read as a whole" in r for r in lure[1].reasons)  # 4 above the typical legitimate -1
    assert not any("read as a whole" in r for r in plain[1].reasons)
    never = model.scored("never-embedded.org")  # no encoder at hand: counts as a typical legitimate host
    assert abs(never[0] + 3.0) < 1e-6 and abs(model.margin("never-embedded.org") + 3.0) < 1e-6
    tokens_only = _tokens_only_model()
    assert not tokens_only.uses_embedding and tokens_only.prime(hosts, encode) == 0 and len(encode.calls) == 1


def _tokens_only_model():
    import numpy as np

    from models.threats.domain_model import FEATURES_VERSION, DomainModel

    return DomainModel(np.zeros(8, dtype=np.float32), 0.0, {"dim": 8, "features_version": FEATURES_VERSION})


def test_wrongly_shaped_embedding_weights_are_refused_with_a_clear_message() -> None:
    import numpy as np

    from models.threats.domain_model import FEATURES_VERSION, DomainModel

    with pytest.raises(ValueError, match="embedding weights have shape"):
        DomainModel(np.zeros(8, np.float32), 0.0, {"dim": 8, "features_version": FEATURES_VERSION}, np.zeros(10))


def test_the_detector_embeds_a_batch_of_untrusted_hosts_in_one_call_and_survives_a_failing_encoder() -> None:
    from datetime import UTC, datetime, timedelta

    from models.detector import BatchContext
    from models.threats.scam_link import ScamLinkDetector
    from models.types import Post

    when = datetime(2026, 1, 1, tzinfo=UTC)

    def post(i: int, text: str) -> Post:
        return Post(id=str(i), channel_id="c", author_id="9", content=text, created_at=when, guild_id="g",
                    author_created_at=when - timedelta(days=400))

    posts = [post(0, "https://claim-drop.xyz/ and https://uniswap.org/"), post(1, "see https://claim-drop.xyz/"),
             post(2, "notes at https://notes.ourdao.org/"), post(3, "no link here")]
    texts = [p.content for p in posts]
    known = frozenset({"uniswap.org"})
    det = ScamLinkDetector({"default_threshold": 0.6}, frozenset(), known, frozenset(), _embedding_model())
    assert det.uses_encoder
    encode = _CountingEncoder()
    with_encoder = det.score(posts, BatchContext(texts, None, encode=encode))
    assert encode.calls == [["claim-drop.xyz", "notes.ourdao.org"]]  # one call; the known site is not embedded
    assert with_encoder[0].score >= 0.6 > with_encoder[2].score and not with_encoder[3].eligible
    cold = ScamLinkDetector({"default_threshold": 0.6}, frozenset(), known, frozenset(), _embedding_model())
    broken = _CountingEncoder(fail=True)
    fallback = cold.score(posts, BatchContext(texts, None, encode=broken))  # logged, scored from tokens
    assert len(broken.calls) == 1 and len(fallback) == 4 and fallback[0].score < with_encoder[0].score
    assert cold.score(posts, BatchContext(texts, None))[1].score == fallback[1].score  # no encoder: the same


def test_the_pipeline_hands_its_encoder_to_a_detector_that_embeds_hosts_only() -> None:
    from datetime import UTC, datetime

    from bot.pipeline import Pipeline
    from models.threats.scam_link import ScamLinkDetector
    from models.types import Post

    class Encoder:
        version = "fake"

        def __init__(self) -> None:
            self.embed_only = _CountingEncoder()

    det = ScamLinkDetector({"default_threshold": 0.6}, frozenset(), frozenset(), frozenset(), _embedding_model())
    assert not det.needs_embedding  # it needs no post embeddings, only the encoder for hosts
    encoder = Encoder()
    pipe = Pipeline(encoder, [det])
    ctx = pipe.context([])
    assert ctx.encode is None
    when = datetime(2026, 1, 1, tzinfo=UTC)
    posts = [Post(id="1", channel_id="c", author_id="9", content="https://claim-drop.xyz/", created_at=when,
                  guild_id="g")]
    ctx = pipe.context(posts)
    assert ctx.embeddings is None and ctx.encode is encoder.embed_only
    assert det.score(posts, ctx)[0].score > 0 and encoder.embed_only.calls == [["claim-drop.xyz"]]


@pytest.mark.slow
def test_the_shipped_domain_model_reads_hosts_through_the_real_encoder() -> None:
    from models.encoder import Encoder
    from models.threats.domain_model import DomainModel
    from models.threats.scam_link import WEIGHTS_DIR

    model = DomainModel.load(WEIGHTS_DIR)
    assert model is not None and model.uses_embedding
    encode = Encoder(cache_size=0, precision="float32").embed_only
    lures = ["zksync-claim-airdrop.vercel.app", "pancakfswap.finance", "metamask-wallet-restore.vercel.app"]
    plain = ["harvard.edu", "vote.ourdao.org", "docs.python.org", "app.uniswap.org"]
    assert model.prime(lures + plain, encode) == len(lures + plain)
    vectors = encode(lures + plain)
    for host, vector in zip(lures + plain, vectors, strict=True):
        embedded = model.scored(host)
        assert abs(embedded[0] - model.margin(host, vector)) < 1e-4  # the remembered score is the embedded one
        assert abs(embedded[0] - model.margin(host)) > 1e-3  # and the embedding moved it off the fallback
        assert (embedded[1].probability >= model.threshold) is (host in lures), (host, embedded)
