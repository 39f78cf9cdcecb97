"""Guided alignment training: attention supervised with statistical word alignments.

Chen et al. (2016), "Guided Alignment Training for Topic-Aware Neural Machine
Translation", add to the translation loss a cross-entropy between the attention
weights and an alignment from a statistical aligner; Garg et al. (2019) do the
same for one Transformer head. Here the alignment is eflomal's symmetrized links
(``alignment.grow_diag_final_and``) on the training pairs, computed once and
cached, and the loss is

    L_align = −(1/N) Σ_b Σ_i Σ_j A_bij · log α_bij

where A_bi· is target word i's links spread uniformly over its linked source
words, α_bi· the attention row of the step that predicts word i, and N the number
of target words with at least one link (words without a link, and the end-of-
sentence step, are left out). The training loss is cross-entropy + λ · L_align.
With ``TrainConfig.guided_columns`` the same links also supervise the columns
(``column_alignment_loss``: each source word's weights normalized over the target
words), so that the matrix can be read in both directions (``alignment.LINK_READINGS``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import torch

from ..attention.alignment import Link, grow_diag_final_and, parse_pharaoh
from ..data.files import atomic_write_bytes
from ..data.modelcard import Metrics
from ..families import family_config
from ..inference import checkpoint
from ..inference.catalog import discover
from ..inference.reference import run_eflomal

# attention weights are clamped here before the log: sparse normalizers give exact zeros
LOG_FLOOR = 1e-9


def cache_dir() -> Path:
    """Where training links are cached: $XDG_CACHE_HOME/attnviz (default ~/.cache/attnviz)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "attnviz"


def corpus_digest(pairs: list[tuple[list[str], list[str]]]) -> str:
    """SHA-256 (hex) of tokenized sentence pairs: the cache key of their links."""
    digest = hashlib.sha256()
    for src, tgt in pairs:
        digest.update((" ".join(src) + "\t" + " ".join(tgt) + "\n").encode("utf-8"))
    return digest.hexdigest()


def training_links(pairs: list[tuple[list[str], list[str]]], cache: Path | None = None) -> list[set[Link]]:
    """eflomal's grow-diag-final-and links for each training pair, from the cache or computed once.

    eflomal (Östling & Tiedemann, 2016) aligns the whole list in both directions in one
    run (about two minutes for 160,000 Tatoeba pairs on one core); the links are written
    atomically to ``cache/links-<digest>.txt.gz``, one Pharaoh line per pair.

    Args:
        pairs: (source tokens, target tokens), as the model sees them; none empty.
        cache: the cache directory (default ``cache_dir()``).

    Returns:
        one set of (source j, target i) links per pair, 0-based.

    Raises:
        ValueError: an empty sentence, or a cached file with another number of lines.
    """
    if any(not s or not t for s, t in pairs):
        raise ValueError("guided training needs non-empty sentence pairs")
    path = links_path(pairs, cache)
    if path.is_file():
        lines = gzip.decompress(path.read_bytes()).decode("utf-8").split("\n")[:-1]
        if len(lines) != len(pairs):
            raise ValueError(f"{path} has {len(lines)} lines for {len(pairs)} pairs; delete it to recompute")
        return [parse_pharaoh(line) for line in lines]
    forward, reverse = run_eflomal([s for s, _ in pairs], [t for _, t in pairs], None, 1.0)
    links = [grow_diag_final_and(f, r) for f, r in zip(forward, reverse)]
    write_links(path, links)
    return links


def corpus_links(corpus) -> list[set[Link]]:
    """The guided links of every pair in ``corpus.train``: eflomal's (``training_links``) for its sentence pairs,
    and for a concatenated pair (``Corpus.joined``) the links of its parts, each shifted by the tokens before it
    (so the joined pairs need no second alignment, and no link crosses from one sentence into another).

    Returns:
        one set of (source j, target i) links per pair of ``corpus.train``, 0-based.
    """
    links = training_links(corpus.train_tokens)
    for parts in corpus.joined:
        shifted, source, target = set(), 0, 0
        for i in parts:
            shifted |= {(j + source, k + target) for j, k in links[i]}
            source, target = source + len(corpus.train_tokens[i][0]), target + len(corpus.train_tokens[i][1])
        links.append(shifted)
    return links


def links_path(pairs: list[tuple[list[str], list[str]]], cache: Path | None = None) -> Path:
    """Where ``training_links`` caches the links of these pairs: ``cache/links-<digest>.txt.gz``."""
    return Path(cache or cache_dir()) / f"links-{corpus_digest(pairs)[:16]}.txt.gz"


def write_links(path: Path, links: list[set[Link]]) -> None:
    """Write links as gzip'd Pharaoh lines ("j-i …", one pair per line), atomically."""
    text = "".join(" ".join(f"{j}-{i}" for j, i in sorted(pair)) + "\n" for pair in links)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(Path(path), gzip.compress(text.encode("utf-8")))


def alignment_targets(batch_links: list[set[Link]], T: int, S: int) -> torch.Tensor:
    """The supervision of a batch: each target word's links as a distribution over source words.

    Args:
        batch_links: per pair, (source j, target i) links; j < S, i < T.
        T, S: the padded target steps and source positions of the batch.

    Returns:
        (B, T, S) float: row i of pair b sums to 1 over the source words linked to
        target word i, or is all zero where word i has no link.

    Raises:
        ValueError: a link outside T × S.
    """
    targets = torch.zeros(len(batch_links), T, S)
    for b, links in enumerate(batch_links):
        for j, i in links:
            if not (0 <= j < S and 0 <= i < T):
                raise ValueError(f"link {j}-{i} outside {S} source × {T} target positions")
            targets[b, i, j] = 1.0
    row_sums = targets.sum(-1, keepdim=True)
    return targets / row_sums.clamp(min=1.0)


def guided_alignment_loss(attention: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Cross-entropy between alignment targets and attention rows (Chen et al., 2016, eq. 5).

    Args:
        attention: (B, T, S) float, rows sum to 1 over unmasked source positions.
        targets: (B, T, S) from ``alignment_targets`` (all-zero rows are not supervised).

    Returns:
        scalar: −Σ A·log α over supervised rows, divided by their number (0 when none).
    """
    supervised = (targets.sum(-1) > 0).sum().clamp(min=1)
    attention = attention.to(torch.promote_types(attention.dtype, torch.float32))  # bf16 autocast → fp32
    return -(targets.to(attention.dtype) * attention.clamp(min=LOG_FLOOR).log()).sum() / supervised


def column_alignment_loss(attention: torch.Tensor, targets: torch.Tensor, words: torch.Tensor) -> torch.Tensor:
    """The other direction of the same links: each source word's column of the attention, normalized over
    the target words, against that source word's links (an English → French reading of the French → English
    rows; symmetrizing two directions is what makes statistical alignments precise, Och & Ney 2003).

        P_ij = α_ij / Σ_{i' word} α_i'j,   L_col = −(1/M) Σ_b Σ_j Σ_i B_bij · log P_bij

    where B_b·j is source word j's links spread uniformly over its linked target words and M the number of
    source words with at least one link.

    Args:
        attention: (B, T, S) float, rows sum to 1.
        targets: (B, T, S) from ``alignment_targets`` (only where it is non-zero matters).
        words: (B, T) bool, the rows that are target words (not padding, not the </s> step).

    Returns:
        scalar (0 when no source word has a link).
    """
    attention = attention.to(torch.promote_types(attention.dtype, torch.float32)) * words.unsqueeze(-1)
    columns = attention / attention.sum(1, keepdim=True).clamp(min=LOG_FLOOR)  # (B, T, S), columns sum to 1
    linked = (targets > 0).to(columns.dtype) * words.unsqueeze(-1)
    spread = linked / linked.sum(1, keepdim=True).clamp(min=1.0)
    supervised = (linked.sum(1) > 0).sum().clamp(min=1)
    return -(spread * columns.clamp(min=LOG_FLOOR).log()).sum() / supervised


# fields a guided model may change without changing what is compared: the GRU's alignment head, the
# Transformer's alignment layer, and the vocabulary sizes (a warm start may grow them, ``training.loop.warm_start``)
NOT_COMPARED = ("alignment_attention", "alignment_full_context", "alignment_layer", "src_vocab_size", "tgt_vocab_size")


def compared_architecture(model_config) -> dict:
    """A family config as a dict without the fields a guided model may add or grow (``NOT_COMPARED``)."""
    return {k: v for k, v in model_config.to_dict().items() if k not in NOT_COMPARED}


def unguided_twin(
    model_config, language_pair: str, root: Path | None = None, segmentation: str = "words"
) -> dict | None:
    """The shipped model with the same architecture (vocabulary sizes aside), language pair and segmentation
    trained without guidance,
    as {"name", "metrics": its test BLEU greedy and dev AER (``Metrics``)}, for a guided model's card; None if there is none.

    Args:
        model_config: the guided model's family config (compared field by field).
        language_pair: e.g. "en-fr".
        root: where to look (default pretrained/).
        segmentation: how the guided model cuts Chinese text (``tokenization.SEGMENTATIONS``).
    """

    for entry in discover(root or checkpoint.PRETRAINED):
        training = entry.config.get("training")
        if entry.problem or not isinstance(training, dict) or "supervision" in training:
            continue
        if entry.config.get("language_pair") != language_pair or entry.info.segmentation != segmentation:
            continue
        try:
            _, config, _ = family_config(entry.config)
        except ValueError:
            continue
        # the twin has the same architecture, apart from an alignment head and vocabulary sizes
        if type(config) is type(model_config) and compared_architecture(config) == compared_architecture(model_config):
            metrics = Metrics.from_card(entry.config)
            return {
                "name": entry.name,
                "metrics": Metrics(test_bleu_greedy=metrics.test_bleu_greedy, dev_aer=metrics.dev_aer).to_dict(),
            }
    return None
