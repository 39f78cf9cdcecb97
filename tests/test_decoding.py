"""Decoding on a tiny random model: shapes, beam 1 == greedy, forced decoding, every mode."""

import pytest
import torch

from attnviz.attention.normalizers import NORMALIZERS, Normalizer
from attnviz.attention.scorers import SCORERS
from attnviz.data.tokenization import BOS, EOS
from attnviz.families.rnn import PLACEMENTS
from attnviz.inference import decoding

from .conftest import tiny_model

SRC = [4, 5, 6, 7, EOS]  # "i am cold ." </s>


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("scorer", SCORERS.names())
def test_greedy_shapes(scorer, placement):
    model, _, _ = tiny_model(scorer, placement)
    hyp = decoding.greedy(model, SRC)
    T = len(hyp.ids)
    assert 1 <= T <= decoding.max_length(len(SRC))
    assert hyp.attention.shape == hyp.energies.shape == (1, 1, T, len(SRC))
    assert hyp.log_probs.shape == (T,)
    torch.testing.assert_close(hyp.attention[0, 0].sum(-1), torch.ones(T))
    assert (hyp.log_probs <= 0).all()


@pytest.mark.parametrize("mode", NORMALIZERS.names())
def test_every_mode_with_every_decoder(mode):
    model, _, _ = tiny_model()
    norm = Normalizer(mode, k=2, seed=1)
    greedy = decoding.greedy(model, SRC, norm)
    beams = decoding.beam_search(model, SRC, 3, norm)
    forced = decoding.forced(model, SRC, [4, 5, 6], norm)
    for hyp in [greedy, *beams, forced]:
        T = len(hyp.ids)
        assert hyp.attention.shape == (1, 1, T, len(SRC))
        torch.testing.assert_close(hyp.attention[0, 0].sum(-1), torch.ones(T))
        if mode in ("hard", "sample"):
            assert ((hyp.attention[0, 0] == 0) | (hyp.attention[0, 0] == 1)).all()
        if mode in ("topk", "topk_renorm"):
            assert ((hyp.attention[0, 0] > 0).sum(-1) == 2).all()
    assert 1 <= len(beams) <= 3


@pytest.mark.parametrize("mode", NORMALIZERS.names())
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_beam_one_equals_greedy(mode, seed):
    model, _, _ = tiny_model(seed=seed)
    greedy = decoding.greedy(model, SRC, Normalizer(mode, seed=seed))
    (beam,) = decoding.beam_search(model, SRC, 1, Normalizer(mode, seed=seed))
    assert torch.equal(greedy.ids, beam.ids)
    torch.testing.assert_close(greedy.attention[0, 0], beam.attention[0, 0])
    torch.testing.assert_close(greedy.log_probs, beam.log_probs)


def test_beam_hypotheses_are_sorted_and_each_has_its_attention():
    model, _, _ = tiny_model(seed=4)
    beams = decoding.beam_search(model, SRC, 4)
    scores = [h.score for h in beams]
    assert scores == sorted(scores, reverse=True)
    for hyp in beams:
        assert hyp.attention[0, 0].shape[0] == len(hyp.ids) == len(hyp.log_probs)


def test_forced_has_one_row_per_target_token_plus_end():
    model, _, _ = tiny_model()
    hyp = decoding.forced(model, SRC, [4, 5, 6, 7])
    assert hyp.ids.tolist() == [4, 5, 6, 7, EOS]
    assert hyp.attention.shape == (1, 1, 5, len(SRC))


def test_forced_on_greedy_output_reproduces_its_attention():
    model, _, _ = tiny_model(seed=5)
    greedy = decoding.greedy(model, SRC, max_len=6)
    ids = greedy.ids.tolist()
    if ids[-1] == EOS:
        ids = ids[:-1]
    forced = decoding.forced(model, SRC, ids)
    n = len(ids)
    torch.testing.assert_close(forced.attention[0, 0][:n], greedy.attention[0, 0][:n])
    torch.testing.assert_close(forced.log_probs[:n], greedy.log_probs[:n])


def test_override_forces_one_hot_attention_at_that_step():
    model, _, _ = tiny_model()
    hyp = decoding.greedy(model, SRC, override={0: 2}, max_len=4)
    assert hyp.attention[0, 0][0].tolist() == [0, 0, 1, 0, 0]


def test_greedy_batch_matches_single_greedy():
    model, _, _ = tiny_model(seed=6)
    sources = [SRC, [8, 9, 10, 11, EOS], [12, 13, EOS]]
    from attnviz.data.tatoeba import collate

    src, lengths, _, _ = collate([(s, []) for s in sources])
    batch = decoding.greedy_batch(model, src, lengths, max_len=8)
    for row, s in zip(batch, sources):
        single = decoding.greedy(model, s, max_len=8).ids
        assert row[: len(single)].tolist() == single.tolist()


def test_beam_size_must_be_positive():
    model, _, _ = tiny_model()
    with pytest.raises(ValueError):
        decoding.beam_search(model, SRC, 0)


def test_decoding_output_layer_matches_training_and_follows_weight_changes():
    model, _, _ = tiny_model()
    readout = torch.randn(3, model.config.embedding_size)
    with torch.no_grad():
        reference = torch.nn.functional.linear(readout, model.tgt_embed.weight, model.output_bias)
    with torch.inference_mode():
        assert torch.allclose(model.logits(readout), reference, atol=1e-6)
    with torch.no_grad():
        model.tgt_embed.weight.mul_(2.0)  # in place, as an optimizer step would
        reference = torch.nn.functional.linear(readout, model.tgt_embed.weight, model.output_bias)
    with torch.inference_mode():
        assert torch.allclose(model.logits(readout), reference, atol=1e-6)


@pytest.mark.parametrize("trained", ["sparsemax", "entmax15"])
def test_a_sparse_trained_model_decodes_with_its_own_normalizer_unless_told(trained):
    model, _, _ = tiny_model(normalizer=trained)
    assert (
        model.trained_normalizer == trained and f"trained {NORMALIZERS.get(trained).display_name}" in model.describe()
    )
    native = decoding.forced(model, SRC, [8, 9, 10])
    explicit = decoding.forced(model, SRC, [8, 9, 10], Normalizer(trained))
    softmax = decoding.forced(model, SRC, [8, 9, 10], Normalizer("soft"))
    assert torch.equal(native.attention, explicit.attention)
    assert (softmax.attention > 0).all()  # the softmax never gives an exact zero …
    # … and the training pass uses the trained normalizer too
    logits, attention = model(torch.tensor([SRC]), torch.tensor([len(SRC)]), torch.tensor([[BOS, 8, 9, 10]]))
    torch.testing.assert_close(attention[0], native.attention)


def test_a_hard_normalizer_cannot_be_trained():
    with pytest.raises(ValueError, match="hard"):
        tiny_model(normalizer="topk")
