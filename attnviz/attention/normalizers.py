"""Normalizers: attention weights α = normalize(e) from energies, over unmasked positions.

``soft`` is the softmax of Bahdanau et al. (2015). ``hard``, ``topk`` and
``sample`` are *hard* attention (Xu et al., 2015; Luong et al., 2015 discuss the
idea): a discrete choice of source positions. Each is defined once in
``NORMALIZERS`` with its display name, formula and the parameters it reads;
the CLI's ``--mode`` choices, the app's labels and the tests read the registry.

Every function takes energies (B, S) and a mask (B, S) (True = real position)
and returns weights (B, S) whose rows sum to 1 with exactly 0 at padding.
``sparsemax`` and ``entmax15`` are soft but sparse (exact zeros; Martins &
Astudillo, 2016; Peters et al., 2019). Adding a normalizer is one
``NORMALIZERS.register(...)`` here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import entmax
import torch

from .registry import Registry
from .scorers import mask_energies


def soft(energies: torch.Tensor, mask: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
    """α_j = exp(e_j/τ) / Σ_k exp(e_k/τ) over unmasked k (Bahdanau et al., 2015, eq. 6).

    Args:
        energies: (B, S) float.
        mask: (B, S) bool or None.
        temperature: τ > 0; τ → 0 approaches ``hard``, large τ flattens.

    Returns:
        weights: (B, S) float, rows sum to 1, 0 at padding.

    Raises:
        ValueError: temperature not finite or ≤ 0.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    return torch.softmax(mask_energies(energies / temperature, mask), dim=-1)


def sparse(
    energies: torch.Tensor, mask: torch.Tensor | None = None, temperature: float = 1.0, alpha: float = 2.0
) -> torch.Tensor:
    """α-entmax of e/τ over unmasked positions: sparsemax (α = 2) or 1.5-entmax (α = 1.5).

    sparsemax(z) = argmin_{p ∈ Δ} ‖p − z‖² (Martins & Astudillo, 2016) and
    1.5-entmax (Peters, Niculae & Martins, 2019) give exact zeros to low energies,
    unlike the softmax (α = 1). Computed by the ``entmax`` package (exact, sort-based).

    Args:
        energies: (B, S) float; mask: (B, S) bool or None.
        temperature: τ > 0.  alpha: 2.0 or 1.5.

    Returns:
        weights: (B, S) float, rows sum to 1, exactly 0 at padding and below the threshold.

    Raises:
        ValueError: temperature not finite or ≤ 0, or alpha not 1.5 or 2.
    """
    if not (math.isfinite(temperature) and temperature > 0):
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    function = {2.0: entmax.sparsemax, 1.5: entmax.entmax15}.get(alpha)
    if function is None:
        raise ValueError(f"alpha must be 1.5 or 2, got {alpha}")
    scaled = energies / temperature
    if mask is None:
        return function(scaled, dim=-1)
    # a finite floor instead of -inf: the sort-based threshold sums the sorted
    # energies, and -inf would turn those sums into NaN
    floor = scaled.masked_fill(~mask, float("inf")).amin(-1, keepdim=True) - 1e4
    weights = function(torch.where(mask, scaled, floor), dim=-1)
    return weights * mask


def hard(energies: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """One-hot at argmax_j e_j over unmasked positions (ties: the first). Returns (B, S)."""
    best = mask_energies(energies, mask).argmax(dim=-1)  # (B,)
    return torch.nn.functional.one_hot(best, energies.size(-1)).to(energies.dtype)


def topk(energies: torch.Tensor, mask: torch.Tensor | None = None, k: int = 2) -> torch.Tensor:
    """Weight 1/k on each of the k highest-energy unmasked positions, 0 elsewhere.

    k is clipped per row to the number of unmasked positions.

    Args:
        energies: (B, S) float.
        mask: (B, S) bool or None.
        k: ≥ 1.

    Returns:
        weights: (B, S) float, exactly min(k, length) non-zeros per row.

    Raises:
        ValueError: k < 1.
    """
    if k < 1:
        raise ValueError(f"k must be ≥ 1, got {k}")
    B, S = energies.shape
    lengths = mask.sum(-1) if mask is not None else torch.full((B,), S, device=energies.device)
    k_row = lengths.clamp(max=k)  # (B,)
    order = mask_energies(energies, mask).argsort(dim=-1, descending=True)  # (B, S)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(S, device=energies.device).expand(B, S))
    chosen = rank < k_row.unsqueeze(1)  # (B, S): among the k_row best
    return chosen.to(energies.dtype) / k_row.unsqueeze(1).to(energies.dtype)


def topk_renormalized(energies: torch.Tensor, mask: torch.Tensor | None = None, k: int = 2) -> torch.Tensor:
    """The softmax over the k highest-energy unmasked positions only, 0 elsewhere.

    Unlike ``topk`` (1/k each) the kept positions keep their relative weights.

    Args:
        energies: (B, S) float; mask: (B, S) bool or None; k ≥ 1 (clipped per row to the length).

    Returns:
        weights: (B, S) float, rows sum to 1, min(k, length) non-zeros per row.

    Raises:
        ValueError: k < 1.
    """
    kept = topk(energies, mask, k) > 0  # (B, S) the same positions as ``topk``
    return torch.softmax(energies.masked_fill(~kept, float("-inf")), dim=-1)


def sample(
    energies: torch.Tensor,
    mask: torch.Tensor | None = None,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """One-hot at a position drawn from softmax(e/τ) (stochastic hard attention, Xu et al., 2015).

    Args:
        energies: (B, S) float.
        mask: (B, S) bool or None; masked positions have probability 0.
        temperature: τ > 0.
        generator: torch.Generator for reproducible draws.

    Returns:
        weights: (B, S) float, one-hot rows.
    """
    probs = soft(energies, mask, temperature)
    drawn = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (B,)
    return torch.nn.functional.one_hot(drawn, energies.size(-1)).to(energies.dtype)


PARAMETERS = ("temperature", "k", "seed")  # every parameter a normalizer may read from ``Normalizer``


@dataclass(frozen=True)
class NormalizerKind:
    """One registered normalizer.

    Attributes:
        name: identifier (CLI ``--mode``, URLs).
        display_name: label in the app.
        formula: LaTeX of α_ij from the energies e_ij.
        source: paper of the method.
        hard: True when the weights are a discrete choice of positions.
        parameters: which of ``PARAMETERS`` it reads.
        function: (energies (B, S), mask (B, S), normalizer: Normalizer) → weights (B, S).
    """

    name: str
    display_name: str
    formula: str
    source: str
    hard: bool
    parameters: tuple[str, ...]
    function: Callable


NORMALIZERS: Registry[NormalizerKind] = Registry(
    "normalizer", attributes=("display_name", "formula", "source"), methods=("function",)
)
NORMALIZERS.register(
    NormalizerKind(
        "soft",
        "soft (softmax)",
        r"\alpha_{ij} = \frac{\exp(e_{ij}/\tau)}{\sum_{k=1}^{S} \exp(e_{ik}/\tau)}",
        "Bahdanau, Cho & Bengio (2015)",
        False,
        ("temperature",),
        lambda e, m, n: soft(e, m, n.temperature),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "sparsemax",
        "sparsemax",
        r"\alpha_{i} = \arg\min_{p \in \Delta^{S}} \lVert p - e_{i}/\tau \rVert^2",
        "Martins & Astudillo (2016)",
        False,
        ("temperature",),
        lambda e, m, n: sparse(e, m, n.temperature, 2.0),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "entmax15",
        "1.5-entmax",
        r"\alpha_{ij} = \left[\tfrac{1}{2}\,e_{ij}/\tau - \theta_i\right]_+^{2},\ \textstyle\sum_j \alpha_{ij} = 1",
        "Peters, Niculae & Martins (2019)",
        False,
        ("temperature",),
        lambda e, m, n: sparse(e, m, n.temperature, 1.5),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "hard",
        "hard (argmax)",
        r"\alpha_{ij} = [\,j = \arg\max_k e_{ik}\,]",
        "Luong, Pham & Manning (2015); Xu et al. (2015)",
        True,
        (),
        lambda e, m, n: hard(e, m),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "topk",
        "top-k (1/k each)",
        r"\alpha_{ij} = \tfrac{1}{k}\,[\,e_{ij} \text{ among the } k \text{ largest}\,]",
        "hard attention over k positions; the seed notes give each kept position weight 1, "
        "which is k times these weights (the same positions, a context k times longer)",
        True,
        ("k",),
        lambda e, m, n: topk(e, m, n.k),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "topk_renorm",
        "top-k (renormalized)",
        r"\alpha_{ij} = \frac{\exp e_{ij}}{\sum_{k' \in \mathrm{top}_k} \exp e_{ik'}}\,[\,j \in \mathrm{top}_k\,]",
        "hard choice of k positions, softmax weights among them",
        True,
        ("k",),
        lambda e, m, n: topk_renormalized(e, m, n.k),
    )
)
NORMALIZERS.register(
    NormalizerKind(
        "sample",
        "sampled",
        r"\alpha_{ij} = [\,j = J_i\,],\; J_i \sim \mathrm{softmax}(e_i/\tau)",
        "Xu et al. (2015), stochastic hard attention",
        True,
        ("temperature", "seed"),
        lambda e, m, n: sample(e, m, n.temperature, n.generator),
    )
)
DEFAULT_NORMALIZER = "soft"


@dataclass
class Normalizer:
    """A registered normalizer chosen by name, with its parameters; call it like a function.

    Attributes:
        mode: one of ``NORMALIZERS.names()``.
        k: positions kept by ``topk``.
        temperature: τ for ``soft`` and ``sample``.
        seed: seed of the generator used by ``sample`` (draws are reproducible
            from the moment the Normalizer is made; ``reseed`` restarts them).

    Raises:
        ValueError: unknown mode (lists the valid ones), k < 1, or a temperature
            that is not a finite number > 0.
    """

    mode: str = DEFAULT_NORMALIZER
    k: int = 2
    temperature: float = 1.0
    seed: int = 0
    generator: torch.Generator = field(init=False, repr=False)

    def __post_init__(self):
        self.kind = NORMALIZERS.get(self.mode)
        if self.k < 1:
            raise ValueError(f"k must be ≥ 1, got {self.k}")
        if not (math.isfinite(self.temperature) and self.temperature > 0):
            raise ValueError(f"temperature must be a finite number > 0, got {self.temperature}")
        self.reseed()

    def reseed(self) -> None:
        """Restart the ``sample`` generator from ``seed``."""
        self.generator = torch.Generator().manual_seed(self.seed)

    def __call__(self, energies: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Weights (B, S) from energies (B, S) and mask (B, S)."""
        return self.kind.function(energies, mask, self)
