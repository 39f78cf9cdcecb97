"""The arithmetic of one decoder step, for showing attention at work.

``trace_step`` replays a translation up to step i and returns the query q_i,
the keys h_j, the energies, the weights and the context vector;
``energy_breakdown`` spells out e_ij for one source word j, term by term, as
the chosen scorer computes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from .model import BOS
from .normalizers import Normalizer
from .scorers import AdditiveScorer, DotScorer, GeneralScorer, ScaledDotScorer, Scorer

FORMULAS = {
    "dot": r"e_{ij} = q_i^\top h_j = \sum_k q_{ik}\, h_{jk}",
    "scaled_dot": r"e_{ij} = \frac{q_i^\top h_j}{\sqrt{d}}",
    "general": r"e_{ij} = q_i^\top W h_j",
    "additive": r"e_{ij} = v^\top \tanh\left(W_q\, q_i + W_k\, h_j + b\right)",
}
SOFTMAX = r"\alpha_{ij} = \frac{\exp(e_{ij})}{\sum_{k=1}^{S} \exp(e_{ik})}"
CONTEXT = r"c_i = \sum_{j=1}^{S} \alpha_{ij}\, h_j"


@dataclass
class StepTrace:
    """Decoder step i of a translation.

    Attributes:
        step: i (0-based target position).
        query: (D,) q_i.  keys: (S, 2E) annotations h_j (also the values).
        energies: (S,) e_ij.  weights: (S,) α_ij as the normalizer made them.
        context: (2E,) c_i = Σ_j α_ij h_j.
    """

    step: int
    query: np.ndarray
    keys: np.ndarray
    energies: np.ndarray
    weights: np.ndarray
    context: np.ndarray


@torch.inference_mode()
def trace_step(model, source_ids: list[int], target_ids: list[int], step: int, normalizer: Normalizer) -> StepTrace:
    """Replay decoding of ``target_ids`` (teacher forcing) up to ``step`` and expose that step.

    Args:
        model: Seq2Seq.
        source_ids: S ids ending with EOS; target_ids: the T ids of a translation.
        step: 0 ≤ step < T.
        normalizer: the one the translation was decoded with; a sampling
            normalizer is reseeded so the replay draws the same positions.

    Raises:
        IndexError: step out of range.
    """
    if not 0 <= step < len(target_ids):
        raise IndexError(f"step {step} outside 0..{len(target_ids) - 1}")
    normalizer.reseed()
    encoded = model.encode(torch.tensor([source_ids]), torch.tensor([len(source_ids)]))
    inputs = [BOS] + list(target_ids)
    state = encoded.state
    for i in range(step):
        state = model.step(torch.tensor([inputs[i]]), state, encoded, normalizer).state
    y = model.tgt_embed(torch.tensor([inputs[step]]))
    query = model.query(y, state)  # (1, D)
    energies = model.scorer.score(query, encoded.prepared)  # (1, S)
    weights = normalizer(energies, encoded.mask)  # (1, S)
    context = torch.bmm(weights.unsqueeze(1), encoded.annotations).squeeze(1)  # (1, 2E)
    return StepTrace(
        step,
        query[0].numpy(),
        encoded.annotations[0].numpy(),
        energies[0].numpy(),
        weights[0].numpy(),
        context[0].numpy(),
    )


@dataclass
class Breakdown:
    """e_ij for one source word, term by term.

    Attributes:
        columns: name → (d,) array of per-dimension values; the last column's sum is
            the energy before any final scaling.
        energy: e_ij (float).
        equation: LaTeX with the numbers plugged in.
    """

    columns: dict[str, np.ndarray]
    energy: float
    equation: str


@torch.inference_mode()
def energy_breakdown(scorer: Scorer, query: np.ndarray, key: np.ndarray) -> Breakdown:
    """Spell out the scorer's energy for query q (d_q,) and one key h_j (d_k,).

    The per-dimension products sum to the energy (dot, general, additive), or to
    √d times it (scaled_dot).
    """
    q = torch.as_tensor(query).float()
    h = torch.as_tensor(key).float()
    if isinstance(scorer, AdditiveScorer):
        wq = scorer.W_q(q)
        wk = scorer.W_k(h)
        hidden = torch.tanh(wq + wk)
        v = scorer.v.weight[0]
        products = v * hidden
        energy = float(products.sum())
        columns = {"W_q q_i": wq, "W_k h_j + b": wk, "tanh(·)": hidden, "v": v, "v · tanh(·)": products}
        equation = rf"e_{{ij}} = \sum_k v_k \tanh(\cdot)_k = {energy:.3f}"
    elif isinstance(scorer, GeneralScorer):
        wh = scorer.W(h)
        products = q * wh
        energy = float(products.sum())
        columns = {"q_i": q, "W h_j": wh, "q_i · W h_j": products}
        equation = rf"e_{{ij}} = \sum_k q_{{ik}} (W h_j)_k = {energy:.3f}"
    elif isinstance(scorer, DotScorer):
        products = q * h
        total = float(products.sum())
        columns = {"q_i": q, "h_j": h, "q_i · h_j": products}
        if isinstance(scorer, ScaledDotScorer):
            d = scorer.key_size
            energy = total / math.sqrt(d)
            equation = rf"e_{{ij}} = \frac{{{total:.3f}}}{{\sqrt{{{d}}}}} = {energy:.3f}"
        else:
            energy = total
            equation = rf"e_{{ij}} = \sum_k q_{{ik}} h_{{jk}} = {energy:.3f}"
    else:
        raise TypeError(f"no breakdown for {type(scorer).__name__}")
    return Breakdown({k: v.detach().numpy() for k, v in columns.items()}, energy, equation)
