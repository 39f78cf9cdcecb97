"""Normalizers: soft, hard, top-k, sampled — all respecting the source mask."""

import math

import pytest
import torch

from attnviz.normalizers import Normalizer, hard, sample, soft, topk

ENERGIES = torch.tensor([[0.5, 2.0, -1.0, 1.5, 9.0], [3.0, 0.0, 1.0, -2.0, 0.5]])
MASK = torch.tensor([[True, True, True, True, False], [True, True, True, True, True]])


def test_soft_by_hand():
    weights = soft(torch.tensor([[0.0, math.log(2.0)]]))
    torch.testing.assert_close(weights, torch.tensor([[1 / 3, 2 / 3]]))


def test_soft_rows_sum_to_one_and_padding_is_zero():
    weights = soft(ENERGIES, MASK)
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    assert weights[0, 4] == 0.0


def test_temperature_divides_energies():
    torch.testing.assert_close(soft(ENERGIES, MASK, 0.5), soft(ENERGIES * 2, MASK))
    with pytest.raises(ValueError):
        soft(ENERGIES, MASK, 0.0)


def test_hard_is_one_hot_at_soft_argmax_ignoring_padding():
    weights = hard(ENERGIES, MASK)
    assert weights.tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]  # padding's 9.0 is ignored
    assert torch.equal(weights.argmax(-1), soft(ENERGIES, MASK).argmax(-1))


def test_topk_has_k_equal_nonzeros():
    weights = topk(ENERGIES, MASK, k=2)
    assert (weights > 0).sum(-1).tolist() == [2, 2]
    assert weights[0].tolist() == [0, 0.5, 0, 0.5, 0]  # 2.0 and 1.5; not the padding
    assert weights[1].tolist() == [0.5, 0, 0.5, 0, 0]


def test_topk_clips_k_to_length():
    weights = topk(ENERGIES, MASK, k=10)
    assert (weights > 0).sum(-1).tolist() == [4, 5]
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    assert weights[0, 4] == 0


def test_sample_reproducible_and_never_padding():
    first = Normalizer("sample", seed=3)
    second = Normalizer("sample", seed=3)
    energies = torch.zeros(200, 5)  # uniform: every unmasked position is likely
    mask = torch.tensor([[True, True, True, False, False]]).expand(200, 5)
    a, b = first(energies, mask), second(energies, mask)
    assert torch.equal(a, b)
    assert a[:, 3:].sum() == 0
    assert torch.equal(a.sum(-1), torch.ones(200))
    assert set(a.argmax(-1).tolist()) == {0, 1, 2}


def test_sample_follows_softmax():
    energies = torch.tensor([[0.0, math.log(3.0)]]).expand(4000, 2)
    draws = sample(energies, generator=torch.Generator().manual_seed(0))
    assert abs(draws[:, 1].mean().item() - 0.75) < 0.03


def test_normalizer_rejects_unknown_mode():
    with pytest.raises(ValueError, match="soft, hard, topk, sample"):
        Normalizer("sparsemax")
