"""Decoding, written once for every translation family: greedy, beam search, forced, batched greedy.

Each drives a family's step interface (``families.TranslationModel``:
``encode`` → ``initial_state`` → ``decode_step``) and returns ``Hypothesis``
objects holding the attention the model actually used (whatever the normalizer:
soft, hard, top-k, sampled) as (layers, heads, T, S) records, the raw energies
and the log-probability of every emitted token. ``translator.py`` wraps these
with tokenization for text in, text out.

Decoding stops at ``max_length(S)`` = 2S + 10 tokens; a hypothesis that did
not emit EOS by then is marked ``cut``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from ..data.tokenization import BOS, EOS

# A normalizer maps energies (B, S) and mask (B, S) to weights (B, S).
NormalizeFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@dataclass
class Hypothesis:
    """One decoded target sentence.

    Attributes:
        ids: (T,) long target ids, ending with EOS when the sentence was finished.
        attention: (L, H, T, S) float, the cross-attention used at each step.
        energies: (L, H, T, S) float, raw energies (-inf at padding, none here).
        log_probs: (T,) float, log p(y_i | y_<i, x) of each emitted id.
    """

    ids: torch.Tensor
    attention: torch.Tensor
    energies: torch.Tensor
    log_probs: torch.Tensor

    @property
    def score(self) -> float:
        """Length-normalised log-probability Σ log p / T (the beam-search ranking)."""
        return float(self.log_probs.sum() / max(len(self.log_probs), 1))

    @property
    def cut(self) -> bool:
        """True when decoding hit the length limit before EOS."""
        return len(self.ids) == 0 or int(self.ids[-1]) != EOS


def max_length(source_length: int) -> int:
    """Longest target we decode for a source of ``source_length`` tokens: 2S + 10."""
    return 2 * source_length + 10


def one_hot_at(position: int) -> NormalizeFn:
    """A normalizer that puts all attention on source ``position`` (for "what if" decoding)."""

    def normalize(energies: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        weights = torch.zeros_like(energies)
        weights[:, position] = 1.0
        return weights

    return normalize


def select(tree: Any, index: torch.Tensor) -> Any:
    """Rows ``index`` of every batch-first tensor in a (nested) tuple/list/NamedTuple; None stays None."""
    if tree is None:
        return None
    if isinstance(tree, torch.Tensor):
        return tree.index_select(0, index)
    if hasattr(tree, "_fields"):  # NamedTuple
        return type(tree)(*(select(t, index) for t in tree))
    return type(tree)(select(t, index) for t in tree)


def _encode_one(model, src_ids: list[int]):
    device = model.device
    src = torch.tensor([src_ids], dtype=torch.long, device=device)
    return model.encode(src, torch.tensor([len(src_ids)], device=device))


def _stack(records: list[torch.Tensor]) -> torch.Tensor:
    """Per-step (L, H, S) records → (L, H, T, S)."""
    return torch.stack(records, dim=2)


@torch.inference_mode()
def greedy(
    model,
    src_ids: list[int],
    normalize: NormalizeFn | None = None,
    max_len: int | None = None,
    override: dict[int, int] | None = None,
) -> Hypothesis:
    """Greedy decoding: y_i = argmax p(y | y_<i, x) until EOS or ``max_len``.

    Args:
        model: a translation family in eval mode.
        src_ids: S source ids, ending with EOS.
        normalize: attention normalizer (see ``normalizers``); None: the one the model was trained with.
        max_len: step limit; ``max_length(S)`` by default.
        override: {step i: source position j} forces α_i one-hot at j at those
            steps ("what if it looked elsewhere?"); other steps use ``normalize``.

    Returns:
        Hypothesis with T ≤ max_len steps.
    """
    encoded = _encode_one(model, src_ids)
    max_len = min(max_len or max_length(len(src_ids)), model.longest_target)
    override = override or {}
    state, y = model.initial_state(encoded), torch.tensor([BOS], device=model.device)
    ids, attention, energies, log_probs = [], [], [], []
    for i in range(max_len):
        out = model.decode_step(y, state, encoded, one_hot_at(override[i]) if i in override else normalize)
        logp = torch.log_softmax(out.logits, dim=-1)  # (1, V)
        y = logp.argmax(-1)  # (1,)
        state = out.state
        ids.append(y)
        attention.append(out.attention[0])
        energies.append(out.energies[0])
        log_probs.append(logp[0, y])
        if y.item() == EOS:
            break
    return Hypothesis(torch.cat(ids), _stack(attention), _stack(energies), torch.cat(log_probs))


@torch.inference_mode()
def forced(model, src_ids: list[int], tgt_ids: list[int], normalize: NormalizeFn | None = None) -> Hypothesis:
    """Forced decoding: read a given translation and record the attention.

    The decoder is fed ``tgt_ids`` (teacher forcing) and scores each of them
    followed by EOS; the weights show where the model looks while reading that
    translation — the basis of attention-derived word alignment.

    Args:
        src_ids: S source ids ending with EOS.
        tgt_ids: target ids without EOS.

    Returns:
        Hypothesis with T = len(tgt_ids) + 1 rows (the last one for EOS).
    """
    device = model.device
    encoded = _encode_one(model, src_ids)
    target = torch.tensor(tgt_ids + [EOS], dtype=torch.long, device=device)
    inputs = torch.cat([torch.tensor([BOS], device=device), target[:-1]])
    state, attention, energies, log_probs = model.initial_state(encoded), [], [], []
    for i in range(len(target)):
        out = model.decode_step(inputs[i : i + 1], state, encoded, normalize)
        logp = torch.log_softmax(out.logits, dim=-1)
        state = out.state
        attention.append(out.attention[0])
        energies.append(out.energies[0])
        log_probs.append(logp[0, target[i : i + 1]])
    return Hypothesis(target, _stack(attention), _stack(energies), torch.cat(log_probs))


@torch.inference_mode()
def beam_search(
    model,
    src_ids: list[int],
    beam_size: int = 5,
    normalize: NormalizeFn | None = None,
    max_len: int | None = None,
) -> list[Hypothesis]:
    """Beam search ranked by length-normalised log-probability (Σ log p / T).

    Keeps ``beam_size`` unfinished hypotheses; a hypothesis that emits EOS is
    set aside; the search stops when ``beam_size`` are finished or after
    ``max_len`` steps. The family's decoder state is reordered with ``select``.
    With beam_size = 1 it returns exactly the greedy result.

    Args:
        beam_size: K ≥ 1.

    Returns:
        Up to K hypotheses, best first, each with its own attention history.

    Raises:
        ValueError: beam_size < 1.
    """
    if beam_size < 1:
        raise ValueError(f"beam size must be ≥ 1, got {beam_size}")
    device = model.device
    encoded = _encode_one(model, src_ids)
    max_len = min(max_len or max_length(len(src_ids)), model.longest_target)
    state, y = model.initial_state(encoded), torch.tensor([BOS], device=device)
    totals = torch.zeros(1, device=device)  # (n,) summed log-probs of the alive hypotheses
    ids = torch.zeros(1, 0, dtype=torch.long, device=device)  # (n, t)
    attention: torch.Tensor | None = None  # (n, L, H, t, S)
    energies: torch.Tensor | None = None
    log_probs = torch.zeros(1, 0, device=device)
    finished: list[Hypothesis] = []

    def grown(history, parents, step_records):
        new = step_records[parents].unsqueeze(3)  # (n, L, H, 1, S)
        return new if history is None else torch.cat([history[parents], new], 3)

    for _ in range(max_len):
        n = len(totals)
        out = model.decode_step(y, state, select(encoded, torch.zeros(n, dtype=torch.long, device=device)), normalize)
        logp = torch.log_softmax(out.logits, dim=-1)  # (n, V)
        V = logp.size(1)
        candidates = (totals.unsqueeze(1) + logp).view(-1)
        best = candidates.topk(min(2 * beam_size, candidates.numel())).indices
        parents, words = best // V, best % V
        alive = []
        for k in range(len(best)):
            if words[k].item() == EOS:
                p = parents[k : k + 1]
                finished.append(
                    Hypothesis(
                        torch.cat([ids[p[0]], words[k].view(1)]),
                        grown(attention, p, out.attention)[0],
                        grown(energies, p, out.energies)[0],
                        torch.cat([log_probs[p[0]], logp[p[0], words[k]].view(1)]),
                    )
                )
            else:
                alive.append(k)
            if len(alive) == beam_size:
                break
        if len(finished) >= beam_size or not alive:
            break
        keep = torch.tensor(alive, device=device)
        kept = parents[keep]
        ids = torch.cat([ids[kept], words[keep].unsqueeze(1)], 1)
        attention, energies = grown(attention, kept, out.attention), grown(energies, kept, out.energies)
        log_probs = torch.cat([log_probs[kept], logp[kept, words[keep]].unsqueeze(1)], 1)
        totals = candidates[best[keep]]
        state, y = select(out.state, kept), words[keep]
    else:
        finished.extend(Hypothesis(ids[k], attention[k], energies[k], log_probs[k]) for k in range(len(totals)))
    return sorted(finished, key=lambda h: h.score, reverse=True)[:beam_size]


@torch.inference_mode()
def greedy_batch(
    model, src: torch.Tensor, lengths: torch.Tensor, max_len: int, normalize: NormalizeFn | None = None
) -> torch.Tensor:
    """Greedy decoding of a whole batch (fast evaluation).

    Args:
        src: (B, S) long, padded; lengths: (B,) long.
        max_len: step limit.
        normalize: attention normalizer; None: the model's own (see ``decoding_normalizer``).

    Returns:
        (B, T) long ids, T ≤ max_len; rows continue with arbitrary ids after EOS.
    """
    device = model.device
    max_len = min(max_len, model.longest_target)
    encoded = model.encode(src.to(device), lengths.to(device))
    state, y = model.initial_state(encoded), torch.full((src.size(0),), BOS, dtype=torch.long, device=device)
    done = torch.zeros(src.size(0), dtype=torch.bool, device=device)
    out_ids = []
    for _ in range(max_len):
        out = model.decode_step(y, state, encoded, normalize)
        y = out.logits.argmax(-1)
        state = out.state
        out_ids.append(y)
        done |= y == EOS
        if done.all():
            break
    return torch.stack(out_ids, 1).cpu()
