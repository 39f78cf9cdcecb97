"""Scorers against energies computed by hand."""

import math

import pytest
import torch

from attnviz.attention.scorers import SCORERS, make_scorer
from attnviz.families.rnn import RNNConfig

QUERY = torch.tensor([[1.0, 2.0]])  # (B=1, d=2)
KEYS = torch.tensor([[[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]])  # (1, S=3, 2)


def test_dot_by_hand():
    energies = make_scorer("dot", 2, 2)(QUERY, KEYS)
    assert energies.tolist() == [[1.0, 2.0, 3.0]]  # qᵀh_j = 1, 2, 3


def test_scaled_dot_is_dot_over_sqrt_d():
    dot = make_scorer("dot", 2, 2)(QUERY, KEYS)
    scaled = make_scorer("scaled_dot", 2, 2)(QUERY, KEYS)
    torch.testing.assert_close(scaled, dot / math.sqrt(2))
    torch.testing.assert_close(scaled, torch.tensor([[1 / math.sqrt(2), 2 / math.sqrt(2), 3 / math.sqrt(2)]]))


def test_general_bilinear_by_hand():
    scorer = make_scorer("general", 2, 2)
    with torch.no_grad():
        scorer.W.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0]]))  # W h = (h1, 2 h2)
    # qᵀ W h_j with q = (1, 2): h1 = (1,0) -> 1; h2 = (0,1) -> 4; h3 = (1,1) -> 5
    assert scorer(QUERY, KEYS).tolist() == [[1.0, 4.0, 5.0]]


def test_general_allows_different_sizes():
    scorer = make_scorer("general", 3, 2)
    assert scorer(torch.ones(4, 3), torch.ones(4, 5, 2)).shape == (4, 5)


def test_additive_by_hand():
    scorer = make_scorer("additive", 2, 2, attention_size=2)
    with torch.no_grad():
        scorer.W_q.weight.copy_(torch.eye(2))
        scorer.W_k.weight.copy_(torch.eye(2))
        scorer.W_k.bias.copy_(torch.tensor([0.0, -1.0]))
        scorer.v.weight.copy_(torch.tensor([[1.0, -1.0]]))
    # e_j = v·tanh(q + h_j + b) = tanh(1 + h_j1) - tanh(2 + h_j2 - 1)
    expected = [math.tanh(2) - math.tanh(1), math.tanh(1) - math.tanh(2), math.tanh(2) - math.tanh(2)]
    torch.testing.assert_close(scorer(QUERY, KEYS), torch.tensor([expected]))


@pytest.mark.parametrize("name", SCORERS.names())
def test_mask_gives_minus_inf(name):
    scorer = make_scorer(name, 2, 2, attention_size=3)
    mask = torch.tensor([[True, True, False]])
    energies = scorer(QUERY, KEYS, mask)
    assert energies.shape == (1, 3)
    assert energies[0, 2] == float("-inf") and torch.isfinite(energies[0, :2]).all()


def test_unknown_scorer_lists_valid_names():
    with pytest.raises(ValueError, match="dot, scaled_dot, general, additive"):
        make_scorer("cosine", 2, 2)


@pytest.mark.parametrize("name", [s.name for s in SCORERS if s.equal_sizes])
def test_config_rejects_size_mismatch_for_dot(name):
    with pytest.raises(ValueError, match="sizes must match"):
        RNNConfig(10, 10, scorer=name, encoder_size=128, decoder_size=200)


def test_config_rejects_unknown_placement():
    with pytest.raises(ValueError, match="conditional, previous"):
        RNNConfig(10, 10, placement="after")
