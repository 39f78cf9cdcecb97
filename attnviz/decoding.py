"""Decoding: greedy, beam search and forced (teacher-forced) decoding, on token ids.

Each returns ``Hypothesis`` objects holding the attention weights the model
actually used (whatever the normalizer: soft, hard, top-k, sampled), the raw
energies and the log-probability of every emitted token. ``translator.py``
wraps these with tokenization for text in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .model import BOS, EOS, Encoded, NormalizeFn, Seq2Seq
from .normalizers import soft


@dataclass
class Hypothesis:
    """One decoded target sentence.

    Attributes:
        ids: (T,) long target ids, ending with EOS when the sentence was finished.
        weights: (T, S) float, the attention weights used at each step (row i is α_i).
        energies: (T, S) float, raw energies e_ij (-inf at padding, none here).
        log_probs: (T,) float, log p(y_i | y_<i, x) of each emitted id.
    """

    ids: torch.Tensor
    weights: torch.Tensor
    energies: torch.Tensor
    log_probs: torch.Tensor

    @property
    def score(self) -> float:
        """Length-normalised log-probability Σ log p / T (the beam-search ranking)."""
        return float(self.log_probs.sum() / max(len(self.log_probs), 1))


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


def _encode_one(model: Seq2Seq, src_ids: list[int]) -> Encoded:
    src = torch.tensor([src_ids], dtype=torch.long)
    return model.encode(src, torch.tensor([len(src_ids)]))


@torch.inference_mode()
def greedy(
    model: Seq2Seq,
    src_ids: list[int],
    normalize: NormalizeFn = soft,
    max_len: int | None = None,
    override: dict[int, int] | None = None,
) -> Hypothesis:
    """Greedy decoding: y_i = argmax p(y | y_<i, x) until EOS or ``max_len``.

    Args:
        model: in eval mode.
        src_ids: S source ids, ending with EOS.
        normalize: attention normalizer (see ``normalizers``).
        max_len: step limit; ``max_length(S)`` by default.
        override: {step i: source position j} forces α_i one-hot at j at those
            steps ("what if it looked elsewhere?"); other steps use ``normalize``.

    Returns:
        Hypothesis with T ≤ max_len steps.
    """
    encoded = _encode_one(model, src_ids)
    max_len = max_len or max_length(len(src_ids))
    override = override or {}
    state, y = encoded.state, torch.tensor([BOS])
    ids, weights, energies, log_probs = [], [], [], []
    for i in range(max_len):
        out = model.step(y, state, encoded, one_hot_at(override[i]) if i in override else normalize)
        logp = torch.log_softmax(model.logits(out.readout), dim=-1)  # (1, V)
        y = logp.argmax(-1)  # (1,)
        state = out.state
        ids.append(y)
        weights.append(out.weights)
        energies.append(out.energies)
        log_probs.append(logp[0, y])
        if y.item() == EOS:
            break
    return Hypothesis(torch.cat(ids), torch.cat(weights), torch.cat(energies), torch.cat(log_probs))


@torch.inference_mode()
def forced(model: Seq2Seq, src_ids: list[int], tgt_ids: list[int], normalize: NormalizeFn = soft) -> Hypothesis:
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
    encoded = _encode_one(model, src_ids)
    target = torch.tensor(tgt_ids + [EOS], dtype=torch.long)
    inputs = torch.cat([torch.tensor([BOS]), target[:-1]])
    state, weights, energies, log_probs = encoded.state, [], [], []
    for i in range(len(target)):
        out = model.step(inputs[i : i + 1], state, encoded, normalize)
        logp = torch.log_softmax(model.logits(out.readout), dim=-1)
        state = out.state
        weights.append(out.weights)
        energies.append(out.energies)
        log_probs.append(logp[0, target[i : i + 1]])
    return Hypothesis(target, torch.cat(weights), torch.cat(energies), torch.cat(log_probs))


def _expand(encoded: Encoded, index: torch.Tensor) -> Encoded:
    return Encoded(*(t.index_select(0, index) for t in encoded))


@torch.inference_mode()
def beam_search(
    model: Seq2Seq,
    src_ids: list[int],
    beam_size: int = 5,
    normalize: NormalizeFn = soft,
    max_len: int | None = None,
) -> list[Hypothesis]:
    """Beam search ranked by length-normalised log-probability (Σ log p / T).

    Keeps ``beam_size`` unfinished hypotheses; a hypothesis that emits EOS is
    set aside; the search stops when ``beam_size`` are finished or after
    ``max_len`` steps. With beam_size = 1 it returns exactly the greedy result.

    Args:
        beam_size: K ≥ 1.

    Returns:
        Up to K hypotheses, best first, each with its own attention history.

    Raises:
        ValueError: beam_size < 1.
    """
    if beam_size < 1:
        raise ValueError(f"beam size must be ≥ 1, got {beam_size}")
    encoded = _encode_one(model, src_ids)
    max_len = max_len or max_length(len(src_ids))
    S = len(src_ids)
    state, y = encoded.state, torch.tensor([BOS])
    totals = torch.zeros(1)  # (n,) summed log-probs of the alive hypotheses
    ids = torch.zeros(1, 0, dtype=torch.long)  # (n, t)
    weights = torch.zeros(1, 0, S)  # (n, t, S)
    energies = torch.zeros(1, 0, S)
    log_probs = torch.zeros(1, 0)
    finished: list[Hypothesis] = []
    for _ in range(max_len):
        n = len(totals)
        out = model.step(y, state, _expand(encoded, torch.zeros(n, dtype=torch.long)), normalize)
        logp = torch.log_softmax(model.logits(out.readout), dim=-1)  # (n, V)
        V = logp.size(1)
        candidates = (totals.unsqueeze(1) + logp).view(-1)
        best = candidates.topk(min(2 * beam_size, candidates.numel())).indices
        parents, words = best // V, best % V

        def extend(k):
            p, w = parents[k], words[k]
            return (
                torch.cat([ids[p], w.view(1)]),
                torch.cat([weights[p], out.weights[p].unsqueeze(0)]),
                torch.cat([energies[p], out.energies[p].unsqueeze(0)]),
                torch.cat([log_probs[p], logp[p, w].view(1)]),
            )

        alive = []
        for k in range(len(best)):
            if words[k].item() == EOS:
                finished.append(Hypothesis(*extend(k)))
            else:
                alive.append(k)
            if len(alive) == beam_size:
                break
        if len(finished) >= beam_size or not alive:
            break
        keep = torch.tensor(alive)
        parents_kept = parents[keep]
        ids = torch.cat([ids[parents_kept], words[keep].unsqueeze(1)], 1)
        weights = torch.cat([weights[parents_kept], out.weights[parents_kept].unsqueeze(1)], 1)
        energies = torch.cat([energies[parents_kept], out.energies[parents_kept].unsqueeze(1)], 1)
        log_probs = torch.cat([log_probs[parents_kept], logp[parents_kept, words[keep]].unsqueeze(1)], 1)
        totals = candidates[best[keep]]
        state, y = out.state[parents_kept], words[keep]
    else:
        finished.extend(Hypothesis(ids[k], weights[k], energies[k], log_probs[k]) for k in range(len(totals)))
    return sorted(finished, key=lambda h: h.score, reverse=True)[:beam_size]


@torch.inference_mode()
def greedy_batch(model: Seq2Seq, src: torch.Tensor, lengths: torch.Tensor, max_len: int) -> torch.Tensor:
    """Greedy decoding of a whole batch with soft attention (fast evaluation).

    Args:
        src: (B, S) long, padded; lengths: (B,) long.
        max_len: step limit.

    Returns:
        (B, T) long ids, T ≤ max_len; rows continue with arbitrary ids after EOS.
    """
    encoded = model.encode(src, lengths)
    state, y = encoded.state, torch.full((src.size(0),), BOS, dtype=torch.long)
    done = torch.zeros(src.size(0), dtype=torch.bool)
    out_ids = []
    for _ in range(max_len):
        out = model.step(y, state, encoded)
        y = model.logits(out.readout).argmax(-1)
        state = out.state
        out_ids.append(y)
        done |= y == EOS
        if done.all():
            break
    return torch.stack(out_ids, 1)
