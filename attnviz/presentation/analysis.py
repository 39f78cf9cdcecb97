"""Numbers the views show, computed here so the CLI and the tests reach the same code.

Agreement with a reference aligner, the comparison table of several models,
the downloadable records of attention matrices, and the softmax worked out
for one decoder step.
"""

from __future__ import annotations

import json
import unicodedata
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..attention.alignment import (
    DEFAULT_LINK_READING,
    Gold,
    Link,
    alignment_error_rate,
    argmax_agreement,
    read_links,
    word_entropy,
)
from ..data.modelcard import Metrics
from ..inference.translator import EOS_TOKEN, Translation, Translator


def reference_words(tokens: list[str]) -> list[str]:
    """Tokens without the end-of-sentence marker, lowercased (what eflomal reads)."""
    return [t.lower() for t in tokens if t != EOS_TOKEN]


def reference_agreement(
    attention: np.ndarray, links: set[Link] | frozenset, reading: str = DEFAULT_LINK_READING
) -> float | None:
    """1 − AER of a (T, S) attention's links (``reading``, one of ``alignment.LINK_READINGS``) against reference
    links taken as sure; None without links."""
    if not links:
        return None
    scores = alignment_error_rate([read_links(attention, reading)], [Gold(set(links), set(links))])
    return 1.0 - scores.aer


def comparison_table(
    results: dict[str, Translation],
    agreements: dict[str, float | None],
    same_target: dict[str, Translation],
    first: str,
) -> pd.DataFrame:
    """One row per model: translation, mean entropy, reference agreement, argmax agreement with ``first``, ms.

    Args:
        results: model name → its translation.
        agreements: model name → ``reference_agreement`` (None when not drawn).
        same_target: model name → its attention while reading ``first``'s translation
            (forced decoding on the same target tokens); may be empty.
        first: the model the others are compared with.

    Returns:
        the table; argmax agreement is None (empty) for a model whose source tokens differ from ``first``'s.
    """
    rows = []
    for name, result in results.items():
        agreement_with_first = None
        # models that cut the source differently (Chinese words or characters) have no common positions
        if (
            name in same_target
            and first in same_target
            and same_target[name].source_tokens == same_target[first].source_tokens
        ):
            agreement_with_first = argmax_agreement(same_target[name].attention, same_target[first].attention)
        rows.append(
            {
                "model": name,
                "translation": result.text + (" … (cut at the length limit)" if result.cut else ""),
                "mean entropy (nats)": word_entropy(result.attention),
                "eflomal agreement": agreements.get(name),
                f"argmax agreement with {first}": agreement_with_first,
                "decode ms": result.ms,
            }
        )
    return pd.DataFrame(rows)


def attention_records(results: dict[str, Translation]) -> pd.DataFrame:
    """One row per cell of every model's (T, S) matrix: model, indices, tokens, weight, energy (the CSV download)."""
    records = []
    for name, r in results.items():
        for i, target in enumerate(r.target_tokens):
            for j, source in enumerate(r.source_tokens):
                records.append(
                    {
                        "model": name,
                        "target_index": i,
                        "target": target,
                        "source_index": j,
                        "source": source,
                        "weight": float(r.attention[i, j]),
                        "energy": float(r.energies[i, j]),
                    }
                )
    return pd.DataFrame(records)


def results_json(results: dict[str, Translation]) -> str:
    """The JSON download: model name → ``Translation.to_json()``."""
    return json.dumps({name: r.to_json() for name, r in results.items()}, ensure_ascii=False)


def softmax_steps(source_tokens: list[str], energies: np.ndarray, weights: np.ndarray) -> tuple[pd.DataFrame, float]:
    """The softmax of one decoder step, column by column.

    Args:
        source_tokens: S tokens; energies, weights: (S,) float.

    Returns:
        (table with source word, e_ij, exp(e_ij − max), α_ij; Σ exp), where
        α_ij = exp(e_ij − max) / Σ exp for soft attention.
    """
    shifted = np.exp(energies - energies.max())
    table = pd.DataFrame(
        {
            "source word": source_tokens,
            "energy e_ij": energies,
            "exp(e_ij − max)": shifted,
            "weight α_ij": weights,
        }
    )
    return table, float(shifted.sum())


def context_terms(weights: np.ndarray, count: int = 3, symbol: str = "h") -> str:
    """LaTeX of the ``count`` largest terms of c_i = Σ_j α_ij h_j, e.g. '0.75\\,h_{0} + 0.12\\,h_{3}'
    (``symbol`` "v" for a Transformer head's values)."""
    top = np.argsort(-weights)[:count]
    return " + ".join(f"{weights[j]:.2f}\\,{symbol}_{{{j}}}" for j in top)


def is_punctuation(token: str) -> bool:
    """True for a token made only of punctuation and symbols (".", "?", "«", "--")."""
    return bool(token) and all(unicodedata.category(c)[0] in "PS" for c in token)


def attention_mass(result: Translation) -> dict[str, float]:
    """Where the attention of the word rows goes that no alignment would put it.

    Args:
        result: T rows (the last for ``</s>``) over S source positions (the last ``</s>``).

    Returns:
        {"eos": mean weight on the source ``</s>``, "punctuation": mean weight on
        punctuation tokens}, over the T − 1 word rows; each in [0, 1].
    """
    words = result.attention[:-1]
    if not len(words):
        return {"eos": 0.0, "punctuation": 0.0}
    punctuation = [j for j, t in enumerate(result.source_tokens) if t != EOS_TOKEN and is_punctuation(t)]
    return {"eos": float(words[:, -1].mean()), "punctuation": float(words[:, punctuation].sum(-1).mean())}


def alignment_disagreements(results: dict[str, Translation], links: set[Link] | frozenset) -> pd.DataFrame:
    """Target words where a model's most-attended source word is not one eflomal links it to.

    Args:
        results: model name → attention while reading the same target tokens (same S and T).
        links: eflomal's (source j, target i) links of that pair, without ``</s>``.

    Returns:
        one row per target word some model gets "wrong": the word, the source words
        eflomal links it to ("–" for none), and per model the most-attended source word
        with ✓ or ✗. Words without links count as wrong for a model that attends a word.
    """
    first = next(iter(results.values()))
    rows = []
    for i, word in enumerate(first.target_tokens[:-1]):
        linked = sorted(j for j, k in links if k == i)
        row = {"target word": word, "eflomal": " ".join(first.source_tokens[j] for j in linked) or "–"}
        wrong = False
        for name, result in results.items():
            j = int(np.argmax(result.attention[i]))
            agrees = j in linked or (not linked and result.source_tokens[j] == EOS_TOKEN)
            wrong |= not agrees
            row[name] = f"{result.source_tokens[j]} {'✓' if agrees else '✗'}"
        if wrong:
            rows.append(row)
    return pd.DataFrame(rows, columns=["target word", "eflomal", *results])


def context_equation(source_tokens: list[str], weights: np.ndarray, step: int, least: float = 0.005) -> str:
    """The seed notes' way of writing one context vector: 'C1 = 0.52·欢迎 + 0.31·来 + 0.17·北京'.

    Args:
        source_tokens: S tokens (``</s>`` included: its weight is part of the sum).
        weights: (S,) float, the attention of step ``step`` (0-based; written C_{step+1}).
        least: terms below this weight are left out and counted in a final '+ …'.

    Returns:
        the plain-text equation, terms in source order, weights with two decimals.
    """
    terms = [f"{w:.2f}·{t}" for t, w in zip(source_tokens, weights) if w >= least]
    rest = float(weights[weights < least].sum())
    return f"C{step + 1} = " + " + ".join(terms) + (f" + … ({rest:.3f} in all)" if rest > 0 else "")


def head_triples(codes: tuple[str, ...]) -> list[tuple[str, int, int]]:
    """Heads named as the Heads view names them, 'cross:2.3' (map, layer.head, 1-based), as 0-based
    (map, layer, head) triples for ``Translator.without_heads``.

    Raises:
        ValueError: a code not of the form 'map:layer.head'.
    """
    triples = []
    for code in codes:
        kind, _, position = code.partition(":")
        layer, _, head = position.partition(".")
        if not (kind and layer.isdigit() and head.isdigit()):
            raise ValueError(f"head {code!r} is not of the form map:layer.head")
        triples.append((kind, int(layer) - 1, int(head) - 1))
    return triples


def best_single_head(metrics: Metrics, options: list[str]) -> str:
    """'l.h' (1-based) of the single head with the lowest dev AER (``Metrics.best_single_head``), else the
    first of ``options``."""
    best = metrics.best_single_head()
    return options[0] if best is None else f"{best[0] + 1}.{best[1] + 1}"


def trained_variants(name: str, translators: dict[str, Translator], order: list[str]) -> list[str]:
    """``name`` and the models among ``translators`` that differ from it only in the normalizer their attention
    was trained with, sorted by that normalizer's place in ``order`` (the registry's names, then "sample")."""

    def without_normalizer(translator: Translator) -> dict:
        fields = translator.architecture()
        fields.pop("normalizer", None)
        return fields

    reference = without_normalizer(translators[name])
    variants = [n for n, tr in translators.items() if without_normalizer(tr) == reference]
    return sorted(variants, key=lambda n: order.index(translators[n].trained_normalizer))


class QuizScore(NamedTuple):
    """The quiz's score: questions asked, guesses equal to the model's most-attended word, guesses among
    eflomal's links. Written in the URL as "asked,model,eflomal"."""

    asked: int = 0
    model: int = 0
    eflomal: int = 0

    @classmethod
    def parse(cls, text: str) -> QuizScore:
        """The score of URL text "3,2,1"; a hand-edited or empty one is 0,0,0."""
        try:
            asked, model, eflomal = (int(x) for x in text.split(","))
        except ValueError:
            return cls()
        return cls(asked, model, eflomal) if min(asked, model, eflomal) >= 0 else cls()

    def counted(self, guess: int, model_choice: int, eflomal_choices: list[int]) -> QuizScore:
        """The score after one more answered question: ``guess`` against the model's argmax and eflomal's links."""
        return QuizScore(
            self.asked + 1, self.model + (guess == model_choice), self.eflomal + (guess in eflomal_choices)
        )

    def __str__(self) -> str:
        return f"{self.asked},{self.model},{self.eflomal}"


def lesson_pair(candidates: list[str], guided: list[str], twin_of) -> tuple[str, str]:
    """The two models Attention vs alignment opens with: (an unguided model, the best-aligned guided one).

    Args:
        candidates: the models with attention that may be shown (at least two).
        guided: the guided models among them, the lowest dev AER first.
        twin_of: name → the unguided twin its card names (or None); the twin is preferred when it is a candidate.
    """
    second = guided[0] if guided else candidates[1]
    unguided = [n for n in candidates if n != second and n not in guided] or [candidates[0]]
    twins = [n for n in unguided if n == twin_of(second)]
    return (twins or unguided)[0], second


def closeness(
    result: Translation | None, translator: Translator | None, reference: frozenset, gold: Gold | None
) -> dict[str, float]:
    """How close a model's attention is to an alignment, for one sentence.

    Args:
        result, translator: a translation and its model; None for eflomal's row (``reference`` itself).
        reference: eflomal's links (source j, target i) on the same tokens.
        gold: the human gold alignment of a Hansards pair, or None for a typed sentence.

    Returns:
        {"agreement": share of target words whose reading agrees with ``reference``, "on_eos", "on_punctuation":
        attention mass there} for a model, then {"aer", "precision", "recall"} against ``gold`` when given.
    """
    row = {}
    if result is not None:
        mass = attention_mass(result)
        row = {
            "agreement": reference_agreement(result.attention, reference, translator.link_reading),
            "on_eos": mass["eos"],
            "on_punctuation": mass["punctuation"],
        }
    if gold is not None:
        links = set(reference) if result is None else translator.links(result.attention)
        scores = alignment_error_rate([links], [gold])
        row.update({"aer": scores.aer, "precision": scores.precision, "recall": scores.recall})
    return row
