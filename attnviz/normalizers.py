"""Normalizers: attention weights α = normalize(e) from energies, over unmasked positions.

``soft`` is the softmax of Bahdanau et al. (2015). The others are *hard*
attention (Xu et al., 2015; Luong et al., 2015 discuss the idea): a discrete
choice of source positions, not differentiable, applied here at inference time
to models trained with soft attention so a class can see what changes.

Every function takes energies (B, S) and a mask (B, S) (True = real position)
and returns weights (B, S) whose rows sum to 1 with exactly 0 at padding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .scorers import mask_energies

MODES = ("soft", "hard", "topk", "sample")


def soft(energies: torch.Tensor, mask: torch.Tensor | None = None, temperature: float = 1.0) -> torch.Tensor:
    """α_j = exp(e_j/τ) / Σ_k exp(e_k/τ) over unmasked k (Bahdanau et al., 2015, eq. 6).

    Args:
        energies: (B, S) float.
        mask: (B, S) bool or None.
        temperature: τ > 0; τ → 0 approaches ``hard``, large τ flattens.

    Returns:
        weights: (B, S) float, rows sum to 1, 0 at padding.

    Raises:
        ValueError: temperature ≤ 0.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    return torch.softmax(mask_energies(energies / temperature, mask), dim=-1)


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


@dataclass
class Normalizer:
    """A normalizer chosen by name, with its parameters; call it like a function.

    Attributes:
        mode: one of ``MODES``.
        k: positions kept by ``topk``.
        temperature: τ for ``soft`` and ``sample``.
        seed: seed of the generator used by ``sample`` (draws are reproducible
            from the moment the Normalizer is made; ``reseed`` restarts them).

    Raises:
        ValueError: unknown mode (lists the valid ones), k < 1 or temperature ≤ 0.
    """

    mode: str = "soft"
    k: int = 2
    temperature: float = 1.0
    seed: int = 0
    generator: torch.Generator = field(init=False, repr=False)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown mode {self.mode!r}; choose one of {', '.join(MODES)}")
        if self.k < 1:
            raise ValueError(f"k must be ≥ 1, got {self.k}")
        if self.temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {self.temperature}")
        self.reseed()

    def reseed(self) -> None:
        """Restart the ``sample`` generator from ``seed``."""
        self.generator = torch.Generator().manual_seed(self.seed)

    def __call__(self, energies: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        """Weights (B, S) from energies (B, S) and mask (B, S)."""
        if self.mode == "soft":
            return soft(energies, mask, self.temperature)
        if self.mode == "hard":
            return hard(energies, mask)
        if self.mode == "topk":
            return topk(energies, mask, self.k)
        return sample(energies, mask, self.temperature, self.generator)
