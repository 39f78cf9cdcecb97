"""Attention scorers: energies e_j = score(q, h_j) of one query against every key.

Several scorers behind one interface (after OpenNMT-py's ``global_attention.py``),
each defined once, here, with its name, display name, formula and source; the
CLI, training, the app and the tests read ``SCORERS``.

Every scorer splits into ``prepare_keys`` (the query-independent part, done once
per source sentence) and ``score`` (once per decoder step), so decoding does not
re-project the keys at every step; ``breakdown`` spells one energy out term by
term for the step-by-step view. Adding a scorer is one subclass registered with
``@SCORERS.register`` (see docs/architecture.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .registry import Registry


def mask_energies(energies: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Set the energies of padding positions to -inf.

    Args:
        energies: (..., S) float.
        mask: (..., S) bool, True at real source positions; None means no padding.

    Returns:
        (..., S) float, -inf where ``mask`` is False.
    """
    if mask is None:
        return energies
    return energies.masked_fill(~mask, float("-inf"))


@dataclass
class Breakdown:
    """e_ij for one source word, term by term.

    Attributes:
        columns: column name → (d,) array of per-dimension values; the last
            column sums to the energy before any final scaling.
        energy: e_ij (float).
        equation: LaTeX with the numbers plugged in.
    """

    columns: dict[str, np.ndarray]
    energy: float
    equation: str


class Scorer(nn.Module):
    """Base class: maps a query (B, d_q) and keys (B, S, d_k) to energies (B, S).

    Class attributes each registered scorer defines:
        name: identifier used in config.json, the CLI and URLs.
        display_name: label in the app.
        formula: LaTeX of e_ij with the symbols of the step view (q_i, h_j, W, v).
        source: the paper the formula comes from.
        equal_sizes: True when query and key are compared directly (d_q must equal d_k).
        hidden_layer: True when it has a hidden layer whose width ``make_scorer``'s ``attention_size`` sets.
    """

    name: str = ""
    display_name: str = ""
    formula: str = ""
    source: str = ""
    equal_sizes: bool = False
    hidden_layer: bool = False

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

    def breakdown(self, query: np.ndarray, key: np.ndarray) -> Breakdown:
        """e_ij of query q_i (d_q,) and one key h_j (d_k,), term by term (see ``Breakdown``)."""
        raise NotImplementedError

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Energies of one query against every key.

        Args:
            query: (B, d_q) float.
            keys: (B, S, d_k) float.
            mask: (B, S) bool, True at real source positions (padding → -inf).

        Returns:
            energies: (B, S) float, -inf at padding.
        """
        return mask_energies(self.score(query, self.prepare_keys(keys)), mask)


SCORERS: Registry[type[Scorer]] = Registry(
    "scorer", attributes=("display_name", "formula", "source"), methods=("score", "breakdown"), base=Scorer
)


def _vectors(query: np.ndarray, key: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.as_tensor(query).float(), torch.as_tensor(key).float()


def _numpy(columns: dict[str, torch.Tensor]) -> dict[str, np.ndarray]:
    return {k: v.detach().numpy() for k, v in columns.items()}


@SCORERS.register
class DotScorer(Scorer):
    """e_j = qᵀ h_j (Luong et al., 2015, "dot"). Needs d_q == d_k; no parameters."""

    name = "dot"
    display_name = "dot"
    formula = r"e_{ij} = q_i^\top h_j = \sum_k q_{ik}\, h_{jk}"
    source = "Luong, Pham & Manning (2015)"
    equal_sizes = True

    def score(self, query, prepared):
        # (B, S, d) @ (B, d, 1) -> (B, S)
        return torch.bmm(prepared, query.unsqueeze(2)).squeeze(2)

    def equation(self, total: float) -> tuple[float, str]:
        """(energy, LaTeX) from the dot product ``total``."""
        return total, rf"e_{{ij}} = \sum_k q_{{ik}} h_{{jk}} = {total:.3f}"

    @torch.inference_mode()
    def breakdown(self, query, key):
        q, h = _vectors(query, key)
        products = q * h
        energy, equation = self.equation(float(products.sum()))
        return Breakdown(_numpy({"q_i": q, "h_j": h, "q_i · h_j": products}), energy, equation)


@SCORERS.register
class ScaledDotScorer(DotScorer):
    """e_j = qᵀ h_j / √d (Vaswani et al., 2017). Keeps softmax inputs at unit scale."""

    name = "scaled_dot"
    display_name = "scaled dot"
    formula = r"e_{ij} = \frac{q_i^\top h_j}{\sqrt{d}}"
    source = "Vaswani et al. (2017)"

    def score(self, query, prepared):
        return super().score(query, prepared) / math.sqrt(self.key_size)

    def equation(self, total: float) -> tuple[float, str]:
        energy = total / math.sqrt(self.key_size)
        return energy, rf"e_{{ij}} = \frac{{{total:.3f}}}{{\sqrt{{{self.key_size}}}}} = {energy:.3f}"


@SCORERS.register
class GeneralScorer(Scorer):
    """e_j = qᵀ W h_j, W: (d_q, d_k) (Luong et al., 2015, "general"/bilinear)."""

    name = "general"
    display_name = "general (bilinear)"
    formula = r"e_{ij} = q_i^\top W h_j"
    source = "Luong, Pham & Manning (2015)"

    def __init__(self, query_size: int, key_size: int):
        super().__init__(query_size, key_size)
        self.W = nn.Linear(key_size, query_size, bias=False)

    def prepare_keys(self, keys):
        return self.W(keys)  # (B, S, d_q): W h_j for every j

    def score(self, query, prepared):
        return torch.bmm(prepared, query.unsqueeze(2)).squeeze(2)

    @torch.inference_mode()
    def breakdown(self, query, key):
        q, h = _vectors(query, key)
        wh = self.W(h)
        products = q * wh
        energy = float(products.sum())
        return Breakdown(
            _numpy({"q_i": q, "W h_j": wh, "q_i · W h_j": products}),
            energy,
            rf"e_{{ij}} = \sum_k q_{{ik}} (W h_j)_k = {energy:.3f}",
        )


@SCORERS.register
class AdditiveScorer(Scorer):
    """e_j = vᵀ tanh(W_q q + W_k h_j + b) (Bahdanau et al., 2015, "concat"/MLP).

    ``attention_size`` is the width of the hidden tanh layer.
    """

    name = "additive"
    display_name = "additive (concat)"
    formula = r"e_{ij} = v^\top \tanh\left(W_q\, q_i + W_k\, h_j + b\right)"
    source = "Bahdanau, Cho & Bengio (2015)"
    hidden_layer = True

    def __init__(self, query_size: int, key_size: int, attention_size: int = 256):
        super().__init__(query_size, key_size)
        self.W_q = nn.Linear(query_size, attention_size, bias=False)
        self.W_k = nn.Linear(key_size, attention_size, bias=True)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def prepare_keys(self, keys):
        return self.W_k(keys)  # (B, S, a)

    def score(self, query, prepared):
        hidden = torch.tanh(prepared + self.W_q(query).unsqueeze(1))  # (B, S, a)
        return self.v(hidden).squeeze(2)  # (B, S)

    @torch.inference_mode()
    def breakdown(self, query, key):
        q, h = _vectors(query, key)
        wq, wk = self.W_q(q), self.W_k(h)
        hidden = torch.tanh(wq + wk)
        v = self.v.weight[0]
        products = v * hidden
        energy = float(products.sum())
        return Breakdown(
            _numpy({"W_q q_i": wq, "W_k h_j + b": wk, "tanh(·)": hidden, "v": v, "v · tanh(·)": products}),
            energy,
            rf"e_{{ij}} = \sum_k v_k \tanh(\cdot)_k = {energy:.3f}",
        )


DEFAULT_SCORER = AdditiveScorer.name


def check_sizes(name: str, query_size: int, key_size: int) -> None:
    """Raise ValueError if scorer ``name`` cannot compare these sizes.

    Raises:
        ValueError: unknown ``name`` (the message lists the valid ones), or a
            scorer with ``equal_sizes`` and query_size != key_size.
    """
    scorer = SCORERS.get(name)
    if scorer.equal_sizes and query_size != key_size:
        raise ValueError(
            f"scorer {name!r} compares query and key directly, so their sizes must match "
            f"(query {query_size}, key {key_size}); choose a scorer with its own weights otherwise"
        )


def make_scorer(name: str, query_size: int, key_size: int, attention_size: int = 256) -> Scorer:
    """Build a registered scorer by name.

    Args:
        name: one of ``SCORERS.names()``.
        query_size: d_q, the decoder query size.
        key_size: d_k, the encoder annotation size.
        attention_size: hidden width of a scorer that has one (``hidden_layer``); the others have none.

    Raises:
        ValueError: see ``check_sizes``.
    """
    check_sizes(name, query_size, key_size)
    scorer = SCORERS.get(name)
    return scorer(query_size, key_size, attention_size) if scorer.hidden_layer else scorer(query_size, key_size)
