"""The attention-free baseline family and sampled hard attention trained with REINFORCE."""

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import Normalizer
from attnviz.data.tokenization import BOS, EOS
from attnviz.families import ModelInfo
from attnviz.inference import checkpoint, decoding
from attnviz.inference.translator import Translator

from .conftest import tiny_bottleneck, tiny_model

SRC = [4, 5, 6, 7, EOS]


def test_the_decoder_sees_only_one_fixed_vector():
    model, src, tgt = tiny_bottleneck()
    hyp = decoding.greedy(model, SRC)
    assert hyp.attention.shape == (0, 0, len(hyp.ids), len(SRC))
    encoded = model.encode(torch.tensor([SRC]), torch.tensor([len(SRC)]))
    assert encoded.summary.shape == (1, 16)
    # the decoder reads c and nothing else of the source: another sentence's c gives that sentence's output
    other = model.encode(torch.tensor([[9, 10, EOS]]), torch.tensor([3]))
    step = model.decode_step(torch.tensor([BOS]), other.state, other)
    swapped = model.decode_step(torch.tensor([BOS]), other.state, encoded._replace(summary=other.summary))
    torch.testing.assert_close(step.logits, swapped.logits)


def test_a_saved_bottleneck_loads_and_translates_without_attention(tmp_path):
    model, src, tgt = tiny_bottleneck()
    info = ModelInfo.of(model, "en", "fr")
    assert (info.layers, info.heads, info.maps) == (0, 0, ())
    checkpoint.save(tmp_path / "bn", model, info, src, tgt, {"training": {"data": "none"}})
    translator = Translator.load(tmp_path / "bn")
    result = translator.translate("i am cold .")
    assert result.family == "bottleneck" and np.isnan(result.attention).all()
    assert "no attention" in translator.describe()


def test_zero_heads_only_for_a_model_without_attention_maps():
    config = {
        "task": "translation",
        "family": "rnn",
        "source_language": "en",
        "target_language": "fr",
        "attention": {"layers": 0, "heads": 0, "maps": ["cross"]},
    }
    with pytest.raises(ValueError, match="1..64"):
        ModelInfo.from_config(config)
    config["attention"]["maps"] = []
    assert ModelInfo.from_config(config).heads == 0


def test_sampled_hard_attention_trains_by_reinforce():
    model, _, _ = tiny_model(normalizer="sample")
    assert model.decoding_normalizer == "hard" and "REINFORCE" in model.describe()
    model.train()
    torch.manual_seed(3)
    src, lengths, tgt_in = torch.tensor([SRC, SRC]), torch.tensor([5, 5]), torch.tensor([[BOS, 8, 9], [BOS, 10, 11]])
    tgt_out = torch.tensor([[8, 9, EOS], [10, 11, EOS]])
    logits, attention = model(src, lengths, tgt_in)
    assert ((attention == 0) | (attention == 1)).all() and (attention.sum(-1) == 1).all()  # one position per step
    loss, stats = model.auxiliary_loss(logits, tgt_out)
    assert torch.isfinite(loss) and set(stats) == {"reward", "advantage_variance", "attention_entropy", "baseline"}
    assert stats["reward"] < 0 and 0 < stats["attention_entropy"] <= np.log(5) + 1e-6
    loss.backward()  # the policy gradient alone reaches the scorer, which plain backprop through one-hot cannot
    assert model.scorer.v.weight.grad.abs().sum() > 0
    assert model.auxiliary_loss(logits, tgt_out) == (None, {})  # one term per forward pass
    model.eval()
    native = decoding.forced(model, SRC, [8, 9])
    argmax = decoding.forced(model, SRC, [8, 9], Normalizer("hard"))
    assert torch.equal(native.attention, argmax.attention)


def test_a_softmax_model_has_no_auxiliary_loss():
    model, _, _ = tiny_model()
    model.train()
    logits, _ = model(torch.tensor([SRC]), torch.tensor([5]), torch.tensor([[BOS, 8]]))
    assert model.auxiliary_loss(logits, torch.tensor([[8, EOS]])) == (None, {})


def test_context_vectors_fixed_without_attention_and_moving_with_it():
    model, _, _ = tiny_bottleneck()
    fixed = model.context_vectors(SRC, np.zeros((4, len(SRC))))
    assert fixed.shape == (4, 16) and np.allclose(fixed, fixed[0])
    attentive, _, _ = tiny_model()
    weights = np.eye(len(SRC))[:3]  # step i looks only at word i
    contexts = attentive.context_vectors(SRC, weights)
    annotations = attentive.encode(torch.tensor([SRC]), torch.tensor([len(SRC)])).annotations[0].detach().numpy()
    np.testing.assert_allclose(contexts, annotations[:3], atol=1e-6)
