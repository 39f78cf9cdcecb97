"""Normalizers: soft, sparsemax, 1.5-entmax, hard, top-k, sampled — all respecting the source mask."""

import math

import pytest
import torch

from attnviz.attention.normalizers import Normalizer, hard, sample, soft, sparse, topk

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


def test_sparsemax_by_hand():
    # row 0 without the padded 9.0: sorted 2.0, 1.5, 0.5, -1.0; support {2.0, 1.5}
    # (1 + 2·1.5 > 3.5 but 1 + 3·0.5 ≤ 4.0), threshold τ = (3.5 − 1)/2 = 1.25
    weights = Normalizer("sparsemax")(ENERGIES, MASK)
    torch.testing.assert_close(weights[0], torch.tensor([0.0, 0.75, 0.0, 0.25, 0.0]))
    assert (weights[0] == 0).sum() == 3  # exact zeros, not small numbers


def entmax15_float64(z: list[float]) -> list[float]:
    """1.5-entmax by bisection on τ in float64: α_j = max(0, z_j/2 − τ)², Σ α_j = 1."""
    low, high = max(z) / 2 - 1, max(z) / 2
    for _ in range(200):
        tau = (low + high) / 2
        total = sum(max(0.0, x / 2 - tau) ** 2 for x in z)
        low, high = (tau, high) if total > 1 else (low, tau)
    return [max(0.0, x / 2 - tau) ** 2 for x in z]


def test_entmax15_matches_a_float64_bisection_and_is_sparse():
    weights = Normalizer("entmax15")(ENERGIES, MASK)
    for row, mask in zip(range(2), MASK):
        real = ENERGIES[row][mask].tolist()
        expected = torch.tensor(entmax15_float64(real), dtype=torch.float32)
        torch.testing.assert_close(weights[row][mask], expected, atol=1e-6, rtol=1e-5)
    assert weights[0, 4] == 0.0 and (weights == 0).sum() > 1  # padding, and at least one low energy


@pytest.mark.parametrize("alpha", [2.0, 1.5])
def test_sparse_padding_never_changes_the_real_positions_and_has_gradients(alpha):
    energies = ENERGIES.clone().requires_grad_(True)
    weights = sparse(energies, MASK, alpha=alpha)
    torch.testing.assert_close(weights[0, :4], sparse(ENERGIES[:1, :4], alpha=alpha)[0])
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))
    (weights * torch.arange(5.0)).sum().backward()
    assert torch.isfinite(energies.grad).all() and energies.grad[0, 4] == 0
    with pytest.raises(ValueError, match="alpha"):
        sparse(ENERGIES, MASK, alpha=3.0)


def test_hard_is_one_hot_at_soft_argmax_ignoring_padding():
    weights = hard(ENERGIES, MASK)
    assert weights.tolist() == [[0, 1, 0, 0, 0], [1, 0, 0, 0, 0]]  # padding's 9.0 is ignored
    assert torch.equal(weights.argmax(-1), soft(ENERGIES, MASK).argmax(-1))


def test_topk_has_k_equal_nonzeros():
    weights = topk(ENERGIES, MASK, k=2)
    assert (weights > 0).sum(-1).tolist() == [2, 2]
    assert weights[0].tolist() == [0, 0.5, 0, 0.5, 0]  # 2.0 and 1.5; not the padding
    assert weights[1].tolist() == [0.5, 0, 0.5, 0, 0]


def test_topk_renormalized_by_hand():
    # row 0: the two largest real energies are 2.0 and 1.5 → softmax over them: 1/(1+e^-0.5), e^-0.5/(1+e^-0.5)
    weights = Normalizer("topk_renorm", k=2)(ENERGIES, MASK)
    top = 1 / (1 + math.exp(-0.5))
    torch.testing.assert_close(weights[0], torch.tensor([0.0, top, 0.0, 1 - top, 0.0]))
    assert torch.equal(weights > 0, topk(ENERGIES, MASK, 2) > 0)  # the same positions as top-k


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
    with pytest.raises(ValueError, match="soft, sparsemax, entmax15, hard, topk, topk_renorm, sample"):
        Normalizer("gumbel")
