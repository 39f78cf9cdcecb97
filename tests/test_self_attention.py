"""The self-attention view's arithmetic: hand-computed parameter-free attention, and a trained
head and multi-head block recomputed in float64 against the model's own forward pass."""

import math

import numpy as np
import pytest
import torch

from attnviz.families.transformer import attend
from attnviz.presentation import self_attention as sa

from .conftest import tiny_transformer

SOURCE = [4, 5, 6, 7, 3]  # "i am cold ." </s>


def test_parameter_free_by_hand():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    result = sa.parameter_free(X)
    # XXᵀ/√2 = [[1, 0], [0, 4]]/√2
    np.testing.assert_allclose(result.energies, np.array([[1, 0], [0, 4]]) / math.sqrt(2))
    e = math.exp(1 / math.sqrt(2))
    np.testing.assert_allclose(result.weights[0], [e / (e + 1), 1 / (e + 1)])
    np.testing.assert_allclose(result.output[0], result.weights[0] @ X)
    np.testing.assert_allclose(result.weights.sum(1), 1)


@pytest.fixture(scope="module")
def model():
    return tiny_transformer(layers=2, heads=2)[0]


def test_encoder_inputs_are_what_each_layer_reads(model):
    X = sa.encoder_inputs(model, SOURCE)
    assert X.shape == (2, len(SOURCE), model.config.d_model)
    with torch.no_grad():
        first = model.encoder[0].norm1(model.embed(model.src_embed, torch.tensor([SOURCE])))[0]
    np.testing.assert_allclose(X[0], first.double().numpy(), atol=1e-6)


@pytest.mark.parametrize("layer,head", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_a_learned_head_is_the_models_encoder_self_attention(model, layer, head):
    X = sa.encoder_inputs(model, SOURCE)[layer]
    maps = model.self_attention(SOURCE, [8, 9])["encoder_self"]  # (L, H, S, S) from the model's own code
    np.testing.assert_allclose(sa.learned_head(model, X, layer, head).weights, maps[layer, head], atol=1e-6)
    with pytest.raises(IndexError):
        sa.learned_head(model, X, layer, 2)


def test_multi_head_is_split_attend_concatenate_then_W_O(model):
    X = sa.encoder_inputs(model, SOURCE)[1]
    combined = sa.multi_head(model, X, 1)
    attn = model.encoder[1].self_attn
    with torch.no_grad():
        h = torch.tensor(X, dtype=torch.float32)[None]
        out, _, _ = attend(attn.split(attn.W_Q(h)), *attn.keys_values(h))
        expected_concat = attn.merge(out)[0]
        expected = attn.W_O(attn.merge(out))[0]
    np.testing.assert_allclose(combined.concatenated, expected_concat.double().numpy(), atol=1e-5)
    np.testing.assert_allclose(combined.output, expected.double().numpy(), atol=1e-5)
    d_k = model.config.d_model // model.config.heads
    np.testing.assert_allclose(combined.concatenated[:, d_k:], combined.heads[1].output)  # head 2's columns
