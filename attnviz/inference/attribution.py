"""Attribution beside attention: how much each source word matters to each target word, measured on the output.

For a translation (x, y) and target step i, the importance of source word j for log p(y_i | y_<i, x), with
e_j the word's source embedding (the output of the family's ``source_embedding`` module, (S, d)):

- **gradient × input** (Shrikumar et al. 2017; Ding et al. 2019 align words with it):
  a_ij = Σ_k e_jk · ∂ log p(y_i) / ∂e_jk (as Captum's ``InputXGradient``);
- **integrated gradients** (Sundararajan et al. 2017): a_ij = Σ_k e_jk · ∫₀¹ ∂ log p(y_i)(α e) / ∂e_jk dα, from the
  all-zero embedding, by the trapezoid rule over ``IG_STEPS`` intervals (as Captum's ``IntegratedGradients``);
  the a_ij of a row sum to log p(y_i | x) − log p(y_i | 0) (completeness), up to that rule's error;
- **leave-one-out** (representation erasure, Li, Monroe & Jurafsky 2016): a_ij = log p(y_i | x) − log p(y_i | x
  with e_j set to 0), every position kept, so the rows stay aligned.

Beside them, **norm-based attention** (Kobayashi et al. 2020, "Attention is not only a weight: analyzing
transformers with vector norms", eq. 5) reads the model's own attention, not the output: ‖α_ij f(x_j)‖, the
length of what source word j brings to the attention's output at step i (f(x_j): an RNN's annotation h_j, a
Transformer head's value through its slice of W_O; ``TranslationModel.value_vectors``); over several heads the
length of their sum, ‖Σ_h α^h_ij f^h(x_j)‖. It is (T, S) and non-negative.

Each of the three is (T, S) float and signed (a word can make y_i less likely). For links and for drawing beside attention,
``magnitudes`` turns a matrix into |a_ij| normalized per row (rows sum to 1). Forced decoding runs with the
model's own decoding normalizer and gradients enabled; the embedding module's output is replaced through a
forward hook only while the encoder runs, so a source embedding shared with the decoder (MarianMT's) is
perturbed on the source side only.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from ..attention.normalizers import Normalizer
from ..data.tokenization import BOS

# names in the CLI, the table, the app; the norm-based reading first: it is attention's nearest neighbour
METHODS = ("norm_based", "gradient_x_input", "integrated_gradients", "leave_one_out")
METHOD_NAMES = {
    "norm_based": "norm-based attention ‖α f(x)‖",
    "gradient_x_input": "gradient × input",
    "integrated_gradients": "integrated gradients",
    "leave_one_out": "leave-one-out",
}
IG_STEPS = 32  # trapezoid intervals of integrated gradients (the completeness gap is printed by the test)


@dataclass
class Attributions:
    """The attributions of one translation, each (T, S) float over the model's own tokens.

    Attributes:
        gradient_x_input, integrated_gradients, leave_one_out: a_ij as in the module docstring, signed.
        log_probs: (T,) log p(y_i | y_<i, x) of the forced pass (nats).
        baseline_log_probs: (T,) log p(y_i | y_<i, 0), from the all-zero source embedding.
        norm_based: ‖α_ij f(x_j)‖ of the attention shown (≥ 0), or None for a family without value vectors.
    """

    gradient_x_input: np.ndarray
    integrated_gradients: np.ndarray
    leave_one_out: np.ndarray
    log_probs: np.ndarray
    baseline_log_probs: np.ndarray
    norm_based: np.ndarray | None = None

    @property
    def methods(self) -> tuple[str, ...]:
        """The names of ``METHODS`` this translation has, in that order."""
        return tuple(m for m in METHODS if getattr(self, m) is not None)

    def of(self, method: str) -> np.ndarray:
        """The (T, S) matrix of ``method`` (a name in ``methods``).

        Raises:
            ValueError: an unknown method, or one this family lacks.
        """
        if method not in self.methods:
            raise ValueError(f"no attribution {method!r} here; choose one of {', '.join(self.methods)}")
        return getattr(self, method)


def norm_based(heads: np.ndarray, vectors: np.ndarray, layer: int | None, head: int | None) -> np.ndarray:
    """Norm-based attention ‖Σ_h α^h_ij f^h(x_j)‖ over the heads ``translator.select_heads`` averages for
    (layer, head) — one head: α_ij ‖f(x_j)‖ (Kobayashi et al. 2020, eq. 5); a layer (head None) or every layer
    (layer None): the length of the heads' vectors summed, as their outputs are.

    Args:
        heads: (L, H, T, S) attention weights; vectors: (L, H, S, d) ``TranslationModel.value_vectors``.
        layer, head: 0-based, None for all (as ``translator.parse_heads`` returns them).

    Returns:
        (T, S) float ≥ 0, in the units of f (not normalized; ``magnitudes`` makes rows sum to 1).

    Raises:
        ValueError: heads and vectors of different (L, H, S).
    """
    heads, vectors = np.asarray(heads, dtype=np.float64), np.asarray(vectors, dtype=np.float64)
    if heads.shape[:2] != vectors.shape[:2] or heads.shape[3] != vectors.shape[2]:
        raise ValueError(f"attention {heads.shape} and value vectors {vectors.shape} do not match")
    layers = range(heads.shape[0]) if layer is None else [layer]
    chosen = [(l, h) for l in layers for h in (range(heads.shape[1]) if head is None else [head])]
    if len(chosen) == 1:  # one head: α_ij ‖f(x_j)‖, no (T, S, d) tensor needed
        l, h = chosen[0]
        return heads[l, h] * np.linalg.norm(vectors[l, h], axis=-1)[None, :]
    summed = sum(heads[l, h][:, :, None] * vectors[l, h][None, :, :] for l, h in chosen)  # (T, S, d)
    return np.linalg.norm(summed, axis=-1)


def magnitudes(scores: np.ndarray) -> np.ndarray:
    """|a_ij| normalized per row: (T, S) float, each row sums to 1 (a row of zeros becomes uniform)."""
    absolute = np.abs(np.asarray(scores, dtype=np.float64))
    totals = absolute.sum(-1, keepdims=True)
    uniform = np.full_like(absolute, 1.0 / absolute.shape[-1])
    return np.where(totals > 0, absolute / np.where(totals > 0, totals, 1.0), uniform)


def target_log_probs(
    model, source_ids: list[int], target_ids: list[int], embeddings: torch.Tensor, normalizer: Normalizer
) -> torch.Tensor:
    """log p(y_i | y_<i, x) of every target token when the encoder reads ``embeddings`` instead of its own.

    Args:
        model: a translation family's module (``TranslationModel``), eval mode.
        source_ids: S ids ending with EOS; target_ids: the T ids read (teacher forcing, ending with EOS).
        embeddings: (B, S, d) float, replacing the output of ``model.source_embedding()`` for B copies.
        normalizer: the attention normalizer of decoding.

    Returns:
        (B, T) float log-probabilities, differentiable with respect to ``embeddings``.
    """
    B = embeddings.size(0)
    src = torch.tensor([source_ids], device=embeddings.device).expand(B, -1)
    lengths = torch.full((B,), len(source_ids), dtype=torch.long, device=embeddings.device)
    # the module is shared by every session of a server: only this thread's call is replaced (another session
    # decoding with the same model meanwhile must read its own embeddings)
    owner = threading.get_ident()
    handle = model.source_embedding().register_forward_hook(
        lambda module, inputs, output: embeddings if threading.get_ident() == owner else None
    )
    try:
        encoded = model.encode(src, lengths)
    finally:
        handle.remove()
    targets = torch.tensor([target_ids], device=embeddings.device).expand(B, -1)
    tgt_in = torch.cat([torch.full((B, 1), BOS, dtype=torch.long, device=embeddings.device), targets[:, :-1]], 1)
    log_probs = F.log_softmax(model.forced_logits(encoded, tgt_in, normalizer), -1)  # (B, T, V)
    return log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)


def attribute(
    model, source_ids: list[int], target_ids: list[int], normalizer: Normalizer | None = None
) -> Attributions:
    """Gradient × input, integrated gradients and leave-one-out of a translation (see the module docstring).

    One batched forced pass computes every row's log-probabilities at the ``IG_STEPS`` + 1 points of the
    integrated-gradients path (the last is the sentence itself), another without gradients those of the S
    erasures; each target step then takes one backward pass through the first (T in all) — the numbers of Captum's ``InputXGradient`` and ``IntegratedGradients`` (whose
    trapezoid weights sum to n/(n + 1) instead of 1, a factor ``tests/test_attribution.py`` takes out before
    comparing in float64), with T × (IG_STEPS + 2) times fewer forward passes than calling those per target.

    Args:
        model: a translation family's module in eval mode; source_ids: S ids ending with EOS;
            target_ids: T ids (ending with EOS for a finished translation).
        normalizer: decoding's attention normalizer (default: the model's ``decoding_normalizer``).

    Returns:
        ``Attributions``, each (T, S).
    """
    normalizer = normalizer or Normalizer(model.decoding_normalizer)
    T, S, m = len(target_ids), len(source_ids), IG_STEPS
    with torch.no_grad():
        embedded = model.source_embedding()(torch.tensor([source_ids]))[0]  # (S, d)
    alphas = torch.linspace(0, 1, m + 1, dtype=embedded.dtype)  # the path's points, 0 (the baseline) … 1
    path = (alphas[:, None, None] * embedded[None]).detach().requires_grad_()  # (m + 1, S, d)
    erased = embedded.repeat(S, 1, 1)
    erased[torch.arange(S), torch.arange(S)] = 0  # row j: word j erased
    with torch.no_grad():
        erasures = target_log_probs(model, source_ids, target_ids, erased, normalizer)  # (S, T)
    with torch.enable_grad():
        log_probs = target_log_probs(model, source_ids, target_ids, path, normalizer)  # (m + 1, T)
        weights = torch.full((m + 1,), 1.0 / m, dtype=embedded.dtype)
        weights[0] = weights[-1] = 0.5 / m  # the trapezoid rule over [0, 1]
        gradient_x_input, integrated = np.zeros((T, S)), np.zeros((T, S))
        for i in range(T):
            (gradients,) = torch.autograd.grad(log_probs[: m + 1, i].sum(), path, retain_graph=i < T - 1)
            gradient_x_input[i] = (gradients[-1] * embedded).sum(-1).double().numpy()
            integrated[i] = ((weights[:, None, None] * gradients).sum(0) * embedded).sum(-1).double().numpy()
    values = log_probs.detach().double().numpy()
    leave_one_out = (values[m][None, :] - erasures.double().numpy()).T  # (T, S)
    return Attributions(gradient_x_input, integrated, leave_one_out, values[m], values[0])


def rank_correlation(attention: np.ndarray, scores: np.ndarray) -> float:
    """Mean over target rows of Spearman's ρ between a row of attention weights and the magnitudes of an
    attribution's row (rows with fewer than 3 source positions, or constant, are left out); NaN if none is left.

    Args:
        attention, scores: (T, S) float.
    """
    from scipy.stats import spearmanr  # deferred: SciPy's stats take ~0.5 s to import

    values = []
    for weights, row in zip(np.asarray(attention), magnitudes(scores)):
        if len(weights) >= 3 and np.ptp(weights) > 0 and np.ptp(row) > 0:
            values.append(spearmanr(weights, row).statistic)
    return float(np.mean(values)) if values else float("nan")
