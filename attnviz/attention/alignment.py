"""Word alignments from attention, the WPT03 gold format, Pharaoh links and AER.

A link is a pair (j, i): source (English) position j, target (French) position
i, both 0-based — the order of the Pharaoh format ``j-i``. An attention matrix
is (T, S): target rows × source columns, whose last row and column belong to
``</s>`` and are left out of alignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

Link = tuple[int, int]  # (source position j, target position i), 0-based

NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def grow_diag_final_and(forward: set[Link], reverse: set[Link]) -> set[Link]:
    """Symmetrize two directional alignments (Koehn et al., 2005; Moses' grow-diag-final-and).

    Start from the intersection, grow into neighbouring (incl. diagonal) union
    links that align a so far unaligned word, then add union links whose both
    words are still unaligned.

    Args:
        forward, reverse: sets of (source j, target i) links.

    Returns:
        set of (j, i) links, between the intersection and the union.
    """
    union = forward | reverse
    links = forward & reverse
    src_aligned = {j for j, _ in links}
    tgt_aligned = {i for _, i in links}
    grown = True
    while grown:
        grown = False
        for j, i in sorted(links):
            for dj, di in NEIGHBOURS:
                cand = (j + dj, i + di)
                if cand in union and cand not in links and (cand[0] not in src_aligned or cand[1] not in tgt_aligned):
                    links.add(cand)
                    src_aligned.add(cand[0])
                    tgt_aligned.add(cand[1])
                    grown = True
    for j, i in sorted(union):
        if (j, i) not in links and j not in src_aligned and i not in tgt_aligned:
            links.add((j, i))
            src_aligned.add(j)
            tgt_aligned.add(i)
    return links


def argmax_links(weights: np.ndarray, drop_eos: bool = True) -> set[Link]:
    """Link each target word to the source word it attends to most.

    Args:
        weights: (T, S) float attention (rows = target words).
        drop_eos: leave out the last row and column (``</s>``); a word whose
            argmax is the source ``</s>`` then gets no link.

    Returns:
        set of (j, i) links.
    """
    w = weights[:-1, :-1] if drop_eos else weights
    best = np.asarray(weights[: w.shape[0]]).argmax(axis=1)  # argmax over all columns, </s> included
    return {(int(j), i) for i, j in enumerate(best) if j < w.shape[1]}


def threshold_links(weights: np.ndarray, threshold: float, drop_eos: bool = True) -> set[Link]:
    """All links whose weight is ≥ ``threshold`` (several source words per target word allowed).

    Args:
        weights: (T, S) float.
        threshold: τ in [0, 1].

    Returns:
        set of (j, i) links.
    """
    w = weights[:-1, :-1] if drop_eos else weights
    rows, cols = np.nonzero(np.asarray(w) >= threshold)
    return {(int(j), int(i)) for i, j in zip(rows, cols)}


def column_argmax_links(weights: np.ndarray) -> set[Link]:
    """Link each source word to the target word whose row gives it the most weight (the other direction's
    argmax of the same matrix; ``</s>``'s row and column left out).

    Args:
        weights: (T, S) float attention (rows = target words), at least one word each way.

    Returns:
        set of (j, i) links, one per source word.
    """
    words = np.asarray(weights)[:-1, :-1]
    if words.size == 0:
        return set()
    return {(j, int(i)) for j, i in enumerate(words.argmax(axis=0))}


def intersection_links(weights: np.ndarray) -> set[Link]:
    """Links that are both a row argmax and a column argmax: where the two directions of one attention
    matrix agree (precise; a word may stay unaligned)."""
    return argmax_links(weights) & column_argmax_links(weights)


def symmetrized_links(weights: np.ndarray) -> set[Link]:
    """Row and column argmax links symmetrized with grow-diag-final-and (Koehn et al., 2005), as statistical
    aligners symmetrize their two directions."""
    return grow_diag_final_and(argmax_links(weights), column_argmax_links(weights))


# How an attention matrix is read as word links: name → function of a (T, S) matrix. A model's card may name
# its reading ("alignment_links"); without one, each target word takes its most-attended source word.
LINK_READINGS = {
    "argmax": argmax_links,
    "intersection": intersection_links,
    "grow-diag-final-and": symmetrized_links,
}
DEFAULT_LINK_READING = "argmax"


def read_links(weights: np.ndarray, reading: str = DEFAULT_LINK_READING) -> set[Link]:
    """The links of a (T, S) attention matrix under one of ``LINK_READINGS``.

    Raises:
        ValueError: an unknown reading (the message lists the known ones).
    """
    if reading not in LINK_READINGS:
        raise ValueError(f"unknown link reading {reading!r}; choose one of {', '.join(LINK_READINGS)}")
    return LINK_READINGS[reading](weights)


def to_pharaoh(links: set[Link]) -> str:
    """Links as a Pharaoh line ``j-i j-i …``, sorted by source then target position."""
    return " ".join(f"{j}-{i}" for j, i in sorted(links))


def parse_pharaoh(line: str) -> set[Link]:
    """Parse a Pharaoh line ``j-i …`` (0-based) into links.

    Raises:
        ValueError: a token is not of the form ``int-int``.
    """
    links = set()
    for item in line.split():
        try:
            j, i = item.split("-")
            links.add((int(j), int(i)))
        except ValueError as err:
            raise ValueError(f"not a Pharaoh link: {item!r}") from err
    return links


@dataclass
class Gold:
    """Gold links of one sentence pair: sure ⊆ possible, 0-based (j, i)."""

    sure: set[Link]
    possible: set[Link]


def read_wpt(path: Path, n_sentences: int | None = None) -> list[Gold]:
    """Read a WPT03/NAACL alignment file: lines ``SENT E F S|P``, 1-based.

    Every sure link is also counted as possible (Och & Ney, 2003).

    Args:
        n_sentences: number of sentences (pairs without links stay empty);
            by default the largest sentence id.

    Returns:
        list of Gold, index k for sentence id k + 1.

    Raises:
        ValueError: a malformed line (with its number).
    """
    entries = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3] not in ("S", "P")):
            raise ValueError(f"{path}:{number}: expected 'SENT E F S|P', got {line!r}")
        sent, e, f = (int(p) for p in parts[:3])
        entries.append((sent, e - 1, f - 1, parts[3] if len(parts) == 4 else "S"))
    count = n_sentences or max((s for s, *_ in entries), default=0)
    gold = [Gold(set(), set()) for _ in range(count)]
    for sent, j, i, kind in entries:
        gold[sent - 1].possible.add((j, i))
        if kind == "S":
            gold[sent - 1].sure.add((j, i))
    return gold


def write_wpt(gold: list[Gold], path: Path) -> None:
    """Write gold links in the WPT03 format read by ``read_wpt`` (1-based)."""
    lines = []
    for k, g in enumerate(gold, 1):
        for j, i in sorted(g.possible):
            lines.append(f"{k} {j + 1} {i + 1} {'S' if (j, i) in g.sure else 'P'}")
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")


@dataclass
class AlignmentScores:
    """Corpus-level alignment quality (Och & Ney, 2003).

    aer = 1 − (|A∩S| + |A∩P|) / (|A| + |S|); precision = |A∩P| / |A|; recall = |A∩S| / |S|.
    All in [0, 1]; precision is 1 and recall 0 when there are no predicted links.
    """

    aer: float
    precision: float
    recall: float


def alignment_error_rate(predicted: list[set[Link]], gold: list[Gold]) -> AlignmentScores:
    """AER, precision and recall summed over a corpus (counts pooled, not averaged per sentence).

    Raises:
        ValueError: different numbers of predicted and gold sentences.
    """
    if len(predicted) != len(gold):
        raise ValueError(f"{len(predicted)} predicted alignments for {len(gold)} gold sentences")
    a = s = a_s = a_p = 0
    for links, g in zip(predicted, gold):
        a += len(links)
        s += len(g.sure)
        a_s += len(links & g.sure)
        a_p += len(links & g.possible)
    aer = 1.0 - (a_s + a_p) / (a + s) if a + s else 0.0
    return AlignmentScores(aer, a_p / a if a else 1.0, a_s / s if s else 0.0)


def entropy(weights: np.ndarray) -> float:
    """Mean entropy of the attention rows, H = −Σ_j α_ij ln α_ij, in nats.

    Args:
        weights: (T, S) float, rows sum to 1. 0 for one-hot rows; ln S for uniform.
    """
    w = np.asarray(weights, dtype=np.float64)
    terms = np.where(w > 0, -w * np.log(np.where(w > 0, w, 1.0)), 0.0)
    return float(terms.sum(axis=1).mean())


def word_entropy(weights: np.ndarray) -> float:
    """Mean row entropy over the target words only: the last (``</s>``) row is dropped.

    Args:
        weights: (T, S) float, rows sum to 1, the last row for ``</s>``.

    Returns:
        nats; 0.0 when there is no word row (an empty translation).
    """
    return entropy(weights[:-1]) if len(weights) > 1 else 0.0


def monotonicity(weights: np.ndarray) -> float:
    """Fraction of rows i ≥ 1 whose argmax source position is ≥ that of row i − 1.

    1.0 for a purely left-to-right (monotone) alignment; rows for ``</s>`` are
    not dropped here, pass ``weights[:-1, :-1]`` for words only. Returns 1.0
    for fewer than two rows.
    """
    best = np.asarray(weights).argmax(axis=1)
    if len(best) < 2:
        return 1.0
    return float(np.mean(best[1:] >= best[:-1]))


def argmax_agreement(a: np.ndarray, b: np.ndarray) -> float:
    """Fraction of target rows whose argmax source position is the same in both matrices.

    Args:
        a, b: (T, S) float, the same pair (e.g. two scorers force-decoding one translation).

    Raises:
        ValueError: different shapes.
    """
    if a.shape != b.shape:
        raise ValueError(f"attention shapes differ: {a.shape} vs {b.shape}")
    return float(np.mean(a.argmax(axis=1) == b.argmax(axis=1)))
