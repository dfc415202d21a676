"""The fused inference pass (models/fast_bert.py) computes what transformers' own BERT forward computes."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoModel, AutoTokenizer, BertConfig
from transformers.models.bert.modeling_bert import BertLayer

from models.encoder import minilm_path
from models.fast_bert import FastBert, FastLayer
from models.toxicity.branch import ToxicityBranch

pytestmark = pytest.mark.slow

TEXTS = ["gm", "vote yes on AIP-41 before the snapshot closes", "Treasury diversification " * 30, "🙏 perfect",
         "you absolute clown, every proposal you vote no"]


@pytest.fixture(scope="module")
def minilm():  # noqa: ANN201
    path = minilm_path()
    return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()


def _batch(tokenizer, texts):  # noqa: ANN001, ANN202
    enc = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    return enc["input_ids"], enc["attention_mask"]


def test_fast_pass_matches_transformers_on_real_tokens(minilm) -> None:  # noqa: ANN001
    tokenizer, model = minilm
    ids, mask = _batch(tokenizer, TEXTS)
    assert (mask == 0).any()  # the batch is padded: the mask matters
    with torch.inference_mode():
        ref = model(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids),
                    output_hidden_states=True)
        last, at = FastBert(model)(ids, mask, taps=[3, 4])
    real = mask.bool()
    assert set(at) == {3, 4}
    assert torch.allclose(last[real], ref.last_hidden_state[real], atol=1e-4)
    for tap in (3, 4):
        assert torch.allclose(at[tap][real], ref.hidden_states[tap][real], atol=1e-4)
    # and not trivially: a different mask changes the real tokens' states
    other, _ = FastBert(model)(ids, torch.ones_like(mask))
    assert not torch.allclose(other[real], last[real], atol=1e-3)


def test_toxicity_branch_fast_path_matches_its_bert_layers(minilm) -> None:  # noqa: ANN001
    tokenizer, model = minilm
    torch.manual_seed(0)
    branch = ToxicityBranch(model.config, tap=4, outputs=4).eval()
    ids, mask = _batch(tokenizer, TEXTS)
    with torch.inference_mode():
        _, at = FastBert(model)(ids, mask, taps=[4])
        slow = branch(at[4], mask)
        fast = branch.for_inference()(at[4], mask)
    assert torch.allclose(slow, fast, atol=1e-4)
    branch.train()  # training again: the fused copy would go stale, so the fast path is dropped
    assert branch._fast is None


def test_unsupported_layers_are_refused_with_a_reason() -> None:
    layer = BertLayer(BertConfig(hidden_size=64, num_attention_heads=4, intermediate_size=128, hidden_act="relu"))
    with pytest.raises(ValueError, match="only exact GELU"):
        FastLayer(layer, 4)


REAL = ["gm frens, snapshot closes friday", "I don't hate immigrants, I hate this proposal",
        "you are a worthless idiot and everyone here knows it", "Привет всем, голосуем завтра",
        "Treasury diversification: we propose selling 5% of the token reserve for stablecoins over six months. " * 4,
        "this proposal is fucking brilliant", "calling women vermin, like you just did, says more about you"]


def test_bfloat16_products_stay_close_to_float32_on_real_text() -> None:
    import numpy as np

    from models.encoder import Encoder
    from models.toxicity.detector import ToxicityDetector

    full, low = Encoder(cache_size=0, precision="float32"), Encoder(cache_size=0, precision="bfloat16")
    assert (full.precision, low.precision) == ("float32", "bfloat16")
    assert low.version.endswith("@bfloat16") and full.version == "all-MiniLM-L6-v2"
    a, b = full.encode(REAL), low.encode(REAL)
    cosine = (a * b).sum(1)
    assert cosine.min() > 0.9995
    assert np.abs(a - b).max() > 1e-5  # the products really ran in bfloat16
    tox_full, tox_low = ToxicityDetector.load(), ToxicityDetector.load()
    scores_full, scores_low = tox_full.predict_categories(full, REAL), tox_low.predict_categories(low, REAL)
    assert tox_low.encoder_branch._fast[0].dtype == torch.bfloat16  # the branch adopted the encoder's precision
    assert tox_full.encoder_branch._fast[0].dtype == torch.float32
    assert scores_full.max() > 0.5  # the insult scores high: the comparison covers a flagged post too
    assert np.abs(scores_full - scores_low).max() < 0.03


def test_auto_precision_follows_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    import models.fast_bert as fb

    monkeypatch.setattr(fb, "native_bf16", lambda: True)
    assert fb.resolve_precision("auto") == torch.bfloat16
    monkeypatch.setattr(fb, "native_bf16", lambda: False)
    assert fb.resolve_precision("auto") == torch.float32  # emulated bfloat16 would be slower than float32
    assert fb.resolve_precision("bfloat16") == torch.bfloat16
    with pytest.raises(ValueError, match="unknown precision"):
        fb.resolve_precision("fp8")


def test_bfloat16_pinned_on_a_cpu_without_bfloat16_units_says_it_will_be_slow(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    import models.fast_bert as fb
    from models.encoder import Encoder

    monkeypatch.setattr(fb, "native_bf16", lambda: False)
    with caplog.at_level("WARNING", logger="models.encoder"):
        enc = Encoder(cache_size=0, precision="bfloat16")
    assert enc.precision == "bfloat16"  # honoured: the setting is the operator's
    assert "emulated and slower than float32" in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="models.encoder"):
        assert Encoder(cache_size=0, precision="auto").precision == "float32"
    assert "emulated" not in caplog.text
