"""Attention scorers: energies e_j = score(q, h_j) for one query against all keys.

Four scorers behind one interface (after OpenNMT-py's ``global_attention.py``):

==============  =================================  ==========================
name            energy e_j                         source
==============  =================================  ==========================
``dot``         qᵀ h_j                             Luong et al. (2015)
``scaled_dot``  qᵀ h_j / √d                        Vaswani et al. (2017)
``general``     qᵀ W h_j  (bilinear)               Luong et al. (2015)
``additive``    vᵀ tanh(W_q q + W_k h_j)  (concat) Bahdanau et al. (2015)
==============  =================================  ==========================

Every scorer splits into ``prepare_keys`` (the query-independent part, done once
per source sentence) and ``score`` (once per decoder step), so decoding does not
re-project the keys at every step. ``forward`` does both.
"""

from __future__ import annotations

import math

import torch
from torch import nn

SCORER_NAMES = ("dot", "scaled_dot", "general", "additive")


def mask_energies(energies: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Set the energies of padding positions to -inf.

    Args:
        energies: (B, S) float.
        mask: (B, S) bool, True at real source positions; None means no padding.

    Returns:
        (B, S) float, -inf where ``mask`` is False.
    """
    if mask is None:
        return energies
    return energies.masked_fill(~mask, float("-inf"))


class Scorer(nn.Module):
    """Base class: maps a query (B, d_q) and keys (B, S, d_k) to energies (B, S)."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__()
        self.query_size = query_size
        self.key_size = key_size

    def prepare_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """Query-independent work on the keys, done once per sentence.

        Args:
            keys: (B, S, d_k) encoder annotations.

        Returns:
            (B, S, d') whatever ``score`` expects; the keys themselves by default.
        """
        return keys

    def score(self, query: torch.Tensor, prepared: torch.Tensor) -> torch.Tensor:
        """Unmasked energies. query: (B, d_q); prepared: from ``prepare_keys``. Returns (B, S)."""
        raise NotImplementedError

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Energies of one query against every key.

        Args:
            query: (B, d_q) float.
            keys: (B, S, d_k) float.
            mask: (B, S) bool, True at real source positions (padding → -inf).

        Returns:
            energies: (B, S) float, -inf at padding.
        """
        return mask_energies(self.score(query, self.prepare_keys(keys)), mask)


class DotScorer(Scorer):
    """e_j = qᵀ h_j (Luong et al., 2015, "dot"). Needs d_q == d_k; no parameters."""

    def score(self, query, prepared):
        # (B, S, d) @ (B, d, 1) -> (B, S)
        return torch.bmm(prepared, query.unsqueeze(2)).squeeze(2)


class ScaledDotScorer(DotScorer):
    """e_j = qᵀ h_j / √d (Vaswani et al., 2017). Keeps softmax inputs at unit scale."""

    def score(self, query, prepared):
        return super().score(query, prepared) / math.sqrt(self.key_size)


class GeneralScorer(Scorer):
    """e_j = qᵀ W h_j, W: (d_q, d_k) (Luong et al., 2015, "general"/bilinear)."""

    def __init__(self, query_size: int, key_size: int):
        super().__init__(query_size, key_size)
        self.W = nn.Linear(key_size, query_size, bias=False)

    def prepare_keys(self, keys):
        return self.W(keys)  # (B, S, d_q): W h_j for every j

    def score(self, query, prepared):
        return torch.bmm(prepared, query.unsqueeze(2)).squeeze(2)


class AdditiveScorer(Scorer):
    """e_j = vᵀ tanh(W_q q + W_k h_j) (Bahdanau et al., 2015, "concat"/MLP).

    ``attention_size`` is the width of the hidden tanh layer.
    """

    def __init__(self, query_size: int, key_size: int, attention_size: int):
        super().__init__(query_size, key_size)
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size, bias=True)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def prepare_keys(self, keys):
        return self.W_k(keys)  # (B, S, a)

    def score(self, query, prepared):
        hidden = torch.tanh(prepared + self.W_q(query).unsqueeze(1))  # (B, S, a)
        return self.v(hidden).squeeze(2)  # (B, S)


def check_sizes(name: str, query_size: int, key_size: int) -> None:
    """Raise ValueError if scorer ``name`` cannot compare these sizes.

    Raises:
        ValueError: unknown ``name`` (the message lists the valid ones), or a
            dot-product scorer with query_size != key_size.
    """
    if name not in SCORER_NAMES:
        raise ValueError(f"unknown scorer {name!r}; choose one of {', '.join(SCORER_NAMES)}")
    if name in ("dot", "scaled_dot") and query_size != key_size:
        raise ValueError(
            f"scorer {name!r} compares query and key directly, so their sizes must match "
            f"(query {query_size}, key {key_size}); use 'general' or 'additive' otherwise"
        )


def make_scorer(name: str, query_size: int, key_size: int, attention_size: int = 256) -> Scorer:
    """Build a scorer by name.

    Args:
        name: one of ``SCORER_NAMES``.
        query_size: d_q, the decoder query size.
        key_size: d_k, the encoder annotation size.
        attention_size: hidden width of the additive scorer (ignored by the others).

    Raises:
        ValueError: see ``check_sizes``.
    """
    check_sizes(name, query_size, key_size)
    if name == "dot":
        return DotScorer(query_size, key_size)
    if name == "scaled_dot":
        return ScaledDotScorer(query_size, key_size)
    if name == "general":
        return GeneralScorer(query_size, key_size)
    return AdditiveScorer(query_size, key_size, attention_size)
