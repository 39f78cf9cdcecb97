"""Self-attention worked through in float64: the seed notes' parameter-free form and a trained head.

The seed notes introduce self-attention without parameters: the queries, keys
and values are the word vectors themselves, Y = softmax(X Xᵀ/√d) X. A trained
Transformer head projects them first, Q = X W_Qʰ, K = X W_Kʰ, V = X W_Vʰ
(Vaswani et al., 2017, §3.2), and multi-head attention concatenates the H head
outputs and mixes them with W_O:

    MultiHead(X) = Concat(head_1, …, head_H) W_O,  head_h = softmax(Q_h K_hᵀ/√d_k) V_h.

Every function here recomputes those products from the model's weights in
float64 numpy, so the view can show the numbers of one query row and the tests
can check them against the model's own float32 forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..families.transformer import TransformerSeq2Seq
from ..inference.translator import Translator


@dataclass
class SelfAttention:
    """One self-attention map over S positions with d_k-dimensional queries.

    Attributes:
        queries, keys, values: (S, d_k) float64.
        energies: (S, S) float64, e_ij = q_i · k_j / √d_k.
        weights: (S, S) float64, α_ij = softmax_j(e_ij); rows sum to 1.
        output: (S, d_k) float64, y_i = Σ_j α_ij v_j.
    """

    queries: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    energies: np.ndarray
    weights: np.ndarray
    output: np.ndarray


def scaled_dot_attention(queries: np.ndarray, keys: np.ndarray, values: np.ndarray) -> SelfAttention:
    """softmax(Q Kᵀ/√d_k) V in float64 (Vaswani et al., 2017, eq. 1).

    Args:
        queries: (T, d_k); keys: (S, d_k); values: (S, d_v).
    """
    q, k, v = (np.asarray(a, dtype=np.float64) for a in (queries, keys, values))
    energies = q @ k.T / np.sqrt(q.shape[1])
    shifted = np.exp(energies - energies.max(axis=1, keepdims=True))
    weights = shifted / shifted.sum(axis=1, keepdims=True)
    return SelfAttention(q, k, v, energies, weights, weights @ v)


def parameter_free(vectors: np.ndarray) -> SelfAttention:
    """The seed notes' self-attention without parameters: Q = K = V = X.

    Args:
        vectors: (S, d) the word vectors X.

    Returns:
        SelfAttention with energies X Xᵀ/√d; each word is most similar to itself
        unless another vector is longer in its direction.
    """
    return scaled_dot_attention(vectors, vectors, vectors)


@torch.inference_mode()
def encoder_inputs(model: TransformerSeq2Seq, source_ids: list[int]) -> np.ndarray:
    """What each encoder layer's self-attention reads: LN(x) per layer, (L_enc, S, d) float64.

    Layer 1's input is the token embeddings × √d plus sinusoidal positions, layer-normalized.
    """
    recorded: list[torch.Tensor] = []
    model.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]), layer_inputs=recorded)
    return np.stack([h[0].double().numpy() for h in recorded])


def _head_slice(model: TransformerSeq2Seq, head: int) -> slice:
    d_k = model.config.d_model // model.config.heads
    return slice(head * d_k, (head + 1) * d_k)


def _projection(linear: torch.nn.Linear, vectors: np.ndarray, rows: slice) -> np.ndarray:
    """vectors W[rows]ᵀ + b[rows] in float64: (S, d) → (S, len(rows))."""
    weight = linear.weight.detach().double().numpy()[rows]
    return vectors @ weight.T + linear.bias.detach().double().numpy()[rows]


def learned_head(model: TransformerSeq2Seq, vectors: np.ndarray, layer: int, head: int) -> SelfAttention:
    """Encoder layer ``layer``'s head ``head`` (0-based) on ``vectors``: Q, K, V = X W_Qʰ, X W_Kʰ, X W_Vʰ.

    Args:
        vectors: (S, d) float, that layer's input (``encoder_inputs(...)[layer]``).

    Raises:
        IndexError: layer or head outside the model.
    """
    c = model.config
    if not (0 <= layer < c.encoder_layers and 0 <= head < c.heads):
        raise IndexError(f"layer {layer}, head {head} outside {c.encoder_layers} layers × {c.heads} heads")
    attn, rows = model.encoder[layer].self_attn, _head_slice(model, head)
    return scaled_dot_attention(
        _projection(attn.W_Q, vectors, rows), _projection(attn.W_K, vectors, rows), _projection(attn.W_V, vectors, rows)
    )


@dataclass
class MultiHead:
    """Multi-head self-attention of one encoder layer, piece by piece.

    Attributes:
        heads: H SelfAttention maps, each with (S, d_k) output.
        concatenated: (S, d) float64, the head outputs side by side (head 1's d_k columns first).
        output: (S, d) float64, concatenated W_Oᵀ + b_O: what the layer adds to its residual stream.
    """

    heads: list[SelfAttention]
    concatenated: np.ndarray
    output: np.ndarray


def multi_head(model: TransformerSeq2Seq, vectors: np.ndarray, layer: int) -> MultiHead:
    """Split into heads, attend per head, concatenate, then W_O (Vaswani et al., 2017, §3.2.2).

    Args:
        vectors: (S, d) float, the layer's input.
    """
    heads = [learned_head(model, vectors, layer, h) for h in range(model.config.heads)]
    concatenated = np.concatenate([h.output for h in heads], axis=1)
    output = _projection(model.encoder[layer].self_attn.W_O, concatenated, slice(None))
    return MultiHead(heads, concatenated, output)


@dataclass
class Walkthrough:
    """The Self-attention view's numbers for one encoder layer and head of a Transformer.

    Attributes:
        vectors: (S, d) float, X, what the layer reads.
        free: the parameter-free map of X; learned: head ``head``'s map; combined: every head and W_O.
        layers, heads: the encoder's layer count and heads per layer.
    """

    vectors: np.ndarray
    free: SelfAttention
    learned: SelfAttention
    combined: MultiHead
    layers: int
    heads: int


def walkthrough(translator: Translator, source_ids: list[int], layer: int, head: int) -> Walkthrough:
    """Every number the Self-attention view shows for ``layer`` and ``head`` (0-based) of a Transformer.

    Raises:
        IndexError: layer or head outside the model.
    """
    model = translator.model
    vectors = encoder_inputs(model, source_ids)[layer]
    return Walkthrough(
        vectors,
        parameter_free(vectors),
        learned_head(model, vectors, layer, head),
        multi_head(model, vectors, layer),
        model.config.encoder_layers,
        model.config.heads,
    )


def encoder_shape(translator: Translator) -> tuple[int, int]:
    """(encoder layers, heads per layer) of a Transformer."""
    return translator.model.config.encoder_layers, translator.model.config.heads


def worked_row(attention: SelfAttention, row: int) -> dict[str, np.ndarray]:
    """The numbers of one query row: each key's dot product q_i · k_j, the energy e_ij and the weight α_ij, (S,) each."""
    return {
        "product": attention.queries[row] @ attention.keys.T,
        "energy": attention.energies[row],
        "weight": attention.weights[row],
    }
