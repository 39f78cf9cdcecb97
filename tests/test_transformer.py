"""The transformer family: the cached step decoder agrees with the training pass, weights are exact."""

import math

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import NORMALIZERS, Normalizer
from attnviz.data.tokenization import BOS
from attnviz.families import ModelInfo
from attnviz.families.transformer import attend
from attnviz.inference import checkpoint, decoding
from attnviz.inference.translator import Translator

from .conftest import tiny_transformer

SRC = [4, 5, 6, 7, 3]
INFO = ModelInfo(
    "translation", "transformer", "en", "fr", layers=2, heads=2, maps=("cross", "encoder_self", "decoder_self")
)


def test_the_contract_read_off_a_transformer_has_its_layers_and_heads():
    model, *_ = tiny_transformer(layers=2, heads=2)
    assert ModelInfo.of(model, "en", "fr") == INFO


def test_attend_is_the_scaled_dot_product_in_float64():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 3, 4, 8), torch.randn(2, 3, 5, 8), torch.randn(2, 3, 5, 8)
    mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    out, weights, energies = attend(q, k, v, mask)
    e = q.double() @ k.double().transpose(-2, -1) / math.sqrt(8)
    e[1, :, :, 3:] = float("-inf")
    expected = torch.softmax(e, -1)
    torch.testing.assert_close(weights.double(), expected, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(out.double(), expected @ v.double(), atol=1e-5, rtol=1e-5)
    assert (weights[1, :, :, 3:] == 0).all() and torch.isinf(energies[1, :, :, 3:]).all()


def test_step_decoder_matches_the_training_pass():
    model, *_ = tiny_transformer(seed=1)
    tgt = [4, 5, 6]
    with torch.no_grad():
        logits, _ = model(torch.tensor([SRC]), torch.tensor([len(SRC)]), torch.tensor([[2] + tgt]))
    hyp = decoding.forced(model, SRC, tgt)
    torch.testing.assert_close(
        hyp.log_probs, torch.log_softmax(logits[0], -1)[range(4), tgt + [3]], atol=1e-5, rtol=1e-5
    )


def test_records_are_layers_heads_target_source_and_rows_sum_to_one():
    model, *_ = tiny_transformer(seed=2, layers=2, heads=2)
    hyp = decoding.greedy(model, SRC)
    T = len(hyp.ids)
    assert hyp.attention.shape == hyp.energies.shape == (2, 2, T, len(SRC))
    torch.testing.assert_close(hyp.attention.sum(-1), torch.ones(2, 2, T))
    (beam,) = decoding.beam_search(model, SRC, 1)
    assert torch.equal(beam.ids, hyp.ids)
    torch.testing.assert_close(beam.attention, hyp.attention)


@pytest.mark.parametrize("mode", NORMALIZERS.names())
def test_every_normalizer_replaces_the_cross_attention_softmax(mode):
    model, *_ = tiny_transformer(seed=3)
    for hyp in (
        decoding.greedy(model, SRC, Normalizer(mode, seed=1)),
        *decoding.beam_search(model, SRC, 2, Normalizer(mode)),
    ):
        torch.testing.assert_close(hyp.attention.sum(-1), torch.ones(hyp.attention.shape[:-1]))
        if mode == "hard":
            assert ((hyp.attention == 0) | (hyp.attention == 1)).all()


def test_beam_hypotheses_each_carry_their_own_cache():
    model, *_ = tiny_transformer(seed=4)
    for hyp in decoding.beam_search(model, SRC, 3):
        forced = decoding.forced(model, SRC, hyp.ids.tolist()[:-1]) if int(hyp.ids[-1]) == 3 else None
        if forced is not None:
            torch.testing.assert_close(forced.log_probs, hyp.log_probs, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(forced.attention, hyp.attention, atol=1e-6, rtol=1e-5)


def test_save_load_and_translate(tmp_path):
    model, src_vocab, tgt_vocab = tiny_transformer(seed=5)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    checkpoint.save(tmp_path / "t", model, INFO, src_vocab, tgt_vocab, {"name": "t"})
    loaded = Translator.load(tmp_path / "t")
    assert loaded.info.family == "transformer" and loaded.describe().startswith("Transformer 2+2 layers × 2 heads")
    a, b = Translator(model, src_vocab, tgt_vocab, info=INFO).translate("i am cold ."), loaded.translate("i am cold .")
    assert a.target_tokens == b.target_tokens
    assert b.heads.shape == (2, 2, len(b.target_tokens), len(b.source_tokens))
    np.testing.assert_allclose(
        b.attention, b.heads[-1].mean(0), atol=1e-6
    )  # no alignment head chosen yet: mean of the last layer
    encoded = loaded.model.encode(torch.tensor([b.source_ids]), torch.tensor([len(b.source_ids)]))
    maps = loaded.model.encoder_self_attention(encoded)["encoder_self"]
    assert maps.shape == (1, 2, 2, len(b.source_ids), len(b.source_ids))
    torch.testing.assert_close(maps.sum(-1), torch.ones(maps.shape[:-1]))


def self_attention_float64(block, x: torch.Tensor, heads: int) -> np.ndarray:
    """softmax(Q Kᵀ / √d_k) per head, causal, in float64, for one layer's input x (T, d) after its LayerNorm."""
    x = x.double()
    q = torch.nn.functional.linear(x, block.W_Q.weight.double(), block.W_Q.bias.double())
    k = torch.nn.functional.linear(x, block.W_K.weight.double(), block.W_K.bias.double())
    T, d = q.shape
    q, k = q.view(T, heads, d // heads).transpose(0, 1), k.view(T, heads, d // heads).transpose(0, 1)
    energies = q @ k.transpose(-2, -1) / math.sqrt(d // heads)
    return energies, torch.softmax(energies, -1)


def test_self_attention_maps_are_the_weights_used_recomputed_in_float64():
    model, *_ = tiny_transformer(seed=3, layers=2, heads=2)
    hyp = decoding.greedy(model, SRC)
    target = hyp.ids.tolist()
    maps = model.self_attention(SRC, target)
    T, S = len(target), len(SRC)
    assert maps["encoder_self"].shape == (2, 2, S, S) and maps["decoder_self"].shape == (2, 2, T, T)
    decoder = maps["decoder_self"]
    assert np.isnan(decoder[:, :, np.triu_indices(T, 1)[0], np.triu_indices(T, 1)[1]]).all()  # the causal mask
    np.testing.assert_allclose(np.nansum(decoder, -1), np.ones((2, 2, T)), atol=1e-6)
    with torch.no_grad():
        x = model.embed(model.src_embed, torch.tensor([SRC]))[0]
        _, expected = self_attention_float64(model.encoder[0].self_attn, model.encoder[0].norm1(x), 2)
        np.testing.assert_allclose(maps["encoder_self"][0], expected.numpy(), atol=1e-6)
        y = model.embed(model.tgt_embed, torch.tensor([[2] + target[:-1]]))[0]
        energies, _ = self_attention_float64(model.decoder[0].self_attn, model.decoder[0].norm1(y), 2)
        causal = energies.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        expected = torch.softmax(causal, -1).numpy()
        np.testing.assert_allclose(np.nan_to_num(decoder[0]), expected, atol=1e-6)


def test_shift_reading_and_best_head():
    from attnviz.measurement.evaluation import best_head, shifted

    heads = np.arange(2 * 1 * 3 * 2, dtype=float).reshape(2, 1, 3, 2)
    moved = shifted(heads)
    np.testing.assert_array_equal(moved[:, :, :2], heads[:, :, 1:])  # word i read at the step whose input it is
    assert best_head(np.array([[0.5, 0.4, 0.45], [0.3, 0.6, 0.35]])) == {"layer": 1, "head": 0}
    assert best_head(np.array([[0.5, 0.4, 0.2]])) == {"layer": 0, "head": None}  # the last column is the mean


def test_heads_command_refuses_a_single_head_model(capsys):
    from attnviz.cli import main

    assert main(["heads", "--model", "pretrained/en-fr-dot"]) == 2
    assert "one attention head" in capsys.readouterr().err


def test_a_multi_head_model_gets_its_alignment_head_chosen_on_the_gold():
    from attnviz.attention.alignment import Gold
    from attnviz.measurement.evaluation import GoldSet
    from attnviz.training.loop import alignment_metrics

    model, src_vocab, tgt_vocab = tiny_transformer(seed=4, layers=2, heads=2)
    translator = Translator(model, src_vocab, tgt_vocab, name="tiny", info=INFO)
    links = {(0, 0), (1, 1), (2, 2), (3, 3)}
    gold = GoldSet(
        ["the cat is black", "i am cold ."],
        ["le chat est noir", "j' ai froid ."],
        [Gold(links, links), Gold(links, links)],
    )
    choice, metrics = alignment_metrics(translator, gold)
    grid = np.array(metrics.dev_aer_by_head)
    assert grid.shape == (2, 3) and np.array(metrics.dev_shift_aer_by_head).shape == (2, 3)
    layer, head = choice["alignment_head"]["layer"], choice["alignment_head"]["head"]
    assert grid[layer, 2 if head is None else head] == grid.min()
    assert abs(metrics.dev_aer - grid.min()) < 1e-3  # the card's dev AER is the chosen head's


def test_heads_switched_off_contribute_nothing_and_the_original_is_kept():
    model, _, _ = tiny_transformer(layers=2, heads=2)
    src_a, src_b, prefix = [4, 5, 6, 3], [9, 10, 11, 12, 3], torch.tensor([[BOS, 8, 9]])
    every_cross = [("cross", l, h) for l in range(2) for h in range(2)]
    blind = model.without_heads(every_cross)
    with torch.no_grad():
        logits_a, _ = blind(torch.tensor([src_a]), torch.tensor([4]), prefix)
        logits_b, _ = blind(torch.tensor([src_b]), torch.tensor([5]), prefix)
        torch.testing.assert_close(logits_a, logits_b)  # no cross-attention head: the source cannot matter
        original_a, _ = model(torch.tensor([src_a]), torch.tensor([4]), prefix)
        original_b, _ = model(torch.tensor([src_b]), torch.tensor([5]), prefix)
    assert not torch.allclose(original_a, original_b)  # the original still reads the source
    d_k = model.config.d_model // model.config.heads
    one = model.without_heads([("encoder_self", 1, 0)])
    assert one.encoder[1].self_attn.W_O.weight[:, :d_k].abs().sum() == 0
    torch.testing.assert_close(
        one.encoder[1].self_attn.W_O.weight[:, d_k:], model.encoder[1].self_attn.W_O.weight[:, d_k:]
    )
    with pytest.raises(ValueError, match="head 3"):
        model.without_heads([("cross", 0, 2)])
    with pytest.raises(ValueError, match="unknown attention map"):
        model.without_heads([("pooling", 0, 0)])
