"""Measuring models: BLEU on held-out Tatoeba sentences, attention against gold word alignments.

Shared by ``train`` (model cards), ``python -m attnviz evaluate`` (the README
table) and the app.
"""

from __future__ import annotations

import functools
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import sacrebleu
import torch

from ..attention.alignment import (
    Gold,
    Link,
    alignment_error_rate,
    monotonicity,
    read_wpt,
    threshold_links,
    word_entropy,
)
from ..attention.normalizers import Normalizer
from ..data.modelcard import Metrics
from ..data.reviews import LABELS, encode_token_lists, pad_batch, read_reviews, review_tokens
from ..data.tatoeba import DEFAULT_PAIR, MAX_TRAIN_TOKENS, PAIRS, REPO, collate, make_batches, split_pair
from ..data.tokenization import EOS
from ..inference import decoding
from ..inference.attribution import magnitudes
from ..inference.classifier import Classifier
from ..inference.reference import ReferenceAligner
from ..inference.translator import Translator

DEFAULT_GOLD = REPO.parent / "shared" / "data" / "hansards-wpt03"
GOLD_PAIR = "en-fr"  # the language pair of those gold alignments: only its models get an AER


def reference_streams(groups: dict[str, list[str]]) -> tuple[list[str], list[list[str | None]]]:
    """Sources and sacrebleu reference streams (None where a sentence has fewer references).

    Args:
        groups: English sentence → its French translations.
    """
    sources = list(groups)
    depth = max(len(r) for r in groups.values())
    streams = [[groups[s][k] if k < len(groups[s]) else None for s in sources] for k in range(depth)]
    return sources, streams


def translate_batch(
    translator: Translator, sources: list[str], batch_size: int = 200, normalizer: Normalizer | None = None
) -> list[str]:
    """Greedy translations of many sentences, batched; detokenized French.

    Sentences are cut to 2 × MAX_TRAIN_TOKENS tokens (longer ones are out of the models' range).
    ``normalizer`` None decodes with the model's own (``decoding_normalizer``).
    """
    encoded = [
        translator.src_vocab.encode(translator.source_model_tokens(s)[: 2 * MAX_TRAIN_TOKENS]) + [EOS] for s in sources
    ]
    order = sorted(range(len(sources)), key=lambda i: len(encoded[i]))
    results: dict[int, str] = {}
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        src, lengths, _, _ = collate([(encoded[i], []) for i in idx])
        ids = decoding.greedy_batch(translator.model, src, lengths, decoding.max_length(int(lengths.max())), normalizer)
        for row, i in zip(ids.tolist(), idx):
            results[i] = translator.text_of(row)
    return [results[i] for i in range(len(sources))]


def test_split(card: dict, data: Path | None = None) -> dict[str, list[str]]:
    """A model's own test split, as its card describes it: source sentence → its references.

    Read once per corpus file and split (about 5 s for the English–French corpus).

    Args:
        card: the model's config.json (``language_pair``, ``training.recipe`` and ``training.split``).
        data: the corpus file; None: the language pair's default.

    Raises:
        FileNotFoundError: the corpus is missing (the message names the --data flag).
    """

    training = card.get("training", {})
    split, recipe = training.get("split", {}), training.get("recipe", {})
    # the recipe holds the English sentences asked for (the split's sizes count source sentences);
    # recipes written before those fields existed held out the split's sizes
    key = tuple(
        recipe.get(name, split.get(fallback, default))
        for name, fallback, default in (
            ("split_seed", "seed", 1),
            ("valid_sentences", "valid_sentences", 2000),
            ("test_sentences", "test_sentences", 2000),
        )
    )
    pair = PAIRS.get(card.get("language_pair"), DEFAULT_PAIR)
    return _split_of(Path(data or pair.data), pair.name, *key).test


@functools.lru_cache(maxsize=4)
def _split_of(path: Path, pair_name: str, seed: int, n_valid: int, n_test: int):

    return split_pair(path, PAIRS[pair_name], seed, n_valid, n_test)


# source-length buckets (Moses tokens) of BLEU by length (Bahdanau et al., 2015, Fig. 2); the
# Tatoeba test sentences are short (median 7 tokens), so the last bucket starts at 15
LENGTH_BUCKETS = ((1, 5), (6, 7), (8, 9), (10, 11), (12, 14), (15, None))


def bucket_label(low: int, high: int | None) -> str:
    """'1–5', '15+'."""
    return f"{low}+" if high is None else f"{low}–{high}"


def bleu_by_length(translator: Translator, groups: dict[str, list[str]]) -> dict[str, dict]:
    """Greedy BLEU of the whole set and of each source-length bucket, from one batched translation.

    Args:
        groups: English sentence → its French references.

    Returns:
        {"all": {"sentences": n, "bleu": x}, "1–5": {...}, …} in ``LENGTH_BUCKETS`` order; buckets
        without sentences are left out. BLEU is sacrebleu -lc, multi-reference (as ``bleu``).
    """
    sources, streams = reference_streams(groups)
    hyps = translate_batch(translator, sources)
    lengths = [len(translator.source_model_tokens(s)) for s in sources]
    result = {"all": {"sentences": len(sources), "bleu": sacrebleu.corpus_bleu(hyps, streams, lowercase=True).score}}
    for low, high in LENGTH_BUCKETS:
        chosen = [i for i, n in enumerate(lengths) if n >= low and (high is None or n <= high)]
        if chosen:
            picked = [[stream[i] for i in chosen] for stream in streams]
            result[bucket_label(low, high)] = {
                "sentences": len(chosen),
                "bleu": sacrebleu.corpus_bleu([hyps[i] for i in chosen], picked, lowercase=True).score,
            }
    return result


# how the trained-as × decoded-as grid decodes every model: the normalizer and its parameters
DECODINGS = {"soft": {}, "hard": {}, "topk": {"k": 2}, "topk_renorm": {"k": 2}, "sample": {"seed": 0}}


def decoding_grid(translator: Translator, groups: dict[str, list[str]], gold: GoldSet) -> dict[str, dict]:
    """Test BLEU (greedy) and dev AER of one model decoded with each of ``DECODINGS``.

    Returns:
        {normalizer name: {"bleu": x, "aer": y}}; sampling is seeded (seed 0), so it is reproducible.
    """
    sources, streams = reference_streams(groups)
    grid = {}
    for mode, parameters in DECODINGS.items():
        hyps = translate_batch(translator, sources, normalizer=Normalizer(mode, **parameters))
        aer = dev_alignment(translator, gold, Normalizer(mode, **parameters))["aer"]
        grid[mode] = {
            "bleu": round(sacrebleu.corpus_bleu(hyps, streams, lowercase=True).score, 4),
            "aer": round(aer, 4),
        }
    return grid


def bleu(translator: Translator, groups: dict[str, list[str]], beam: int = 1) -> float:
    """Case-insensitive multi-reference sacrebleu BLEU (``-lc``), detokenized, greedy or beam.

    Args:
        groups: English sentence → its French references.
        beam: 1 = batched greedy; > 1 = beam search, one sentence at a time.
    """
    sources, streams = reference_streams(groups)
    if beam == 1:
        hyps = translate_batch(translator, sources)
    else:
        hyps = [translator.translate(s, beam=beam).text for s in sources]
    return sacrebleu.corpus_bleu(hyps, streams, lowercase=True).score


@dataclass
class GoldSet:
    """Sentence pairs (pretokenized lines) with their gold links."""

    src: list[str]
    tgt: list[str]
    gold: list[Gold]


def load_gold(gold_dir: Path) -> GoldSet:
    """Read ``dev.e``, ``dev.f`` and ``dev.wa.nonullalign`` from a WPT03 directory.

    Raises:
        FileNotFoundError: a file is missing (names it); ValueError: different line counts.
    """
    gold_dir = Path(gold_dir)
    for name in ("dev.e", "dev.f", "dev.wa.nonullalign"):
        if not (gold_dir / name).is_file():
            raise FileNotFoundError(f"no {name} in {gold_dir}; point --gold-dir at the WPT03 data")
    src = (gold_dir / "dev.e").read_text(encoding="utf-8").splitlines()
    tgt = (gold_dir / "dev.f").read_text(encoding="utf-8").splitlines()
    if len(src) != len(tgt):
        raise ValueError(f"{gold_dir}: {len(src)} English but {len(tgt)} French lines")
    return GoldSet(src, tgt, read_wpt(gold_dir / "dev.wa.nonullalign", len(src)))


def attention_links(translator: Translator, attention: np.ndarray, threshold: float | None = None) -> set[Link]:
    """A model's links of a (T, S) matrix (its ``link_reading``), or all links with weight ≥ threshold;
    ``</s>`` left out."""
    return translator.links(attention) if threshold is None else threshold_links(attention, threshold)


AER_LENGTH_BUCKETS = ((1, 14), (15, 20), (21, None))  # English words of a gold pair: a third of the 37 dev pairs each


def aer_by_length(predicted: list[set[Link]], gold: GoldSet) -> dict[str, float | None]:
    """AER of each ``AER_LENGTH_BUCKETS`` bucket of the gold pairs, by the English sentence's words:
    {"1–14": aer, "15–20": …, "21+": …}; None for an empty bucket (Och & Ney 2003's AER over the bucket's links).

    Args:
        predicted: one link set per gold pair, in the gold's order.
    """
    lengths = [len(line.split()) for line in gold.src]
    by_length = {}
    for low, high in AER_LENGTH_BUCKETS:
        kept = [k for k, n in enumerate(lengths) if low <= n and (high is None or n <= high)]
        by_length[bucket_label(low, high)] = (
            alignment_error_rate([predicted[k] for k in kept], [gold.gold[k] for k in kept]).aer if kept else None
        )
    return by_length


def dev_alignment(translator: Translator, gold: GoldSet, normalizer: Normalizer | None = None) -> dict:
    """Forced-align the gold pairs (pretokenized) and measure the attention.

    Returns:
        {"aer", "precision", "recall"} of the model's links (``Translator.links``: argmax unless its
        card names another reading) against the gold;
        "entropy": mean row entropy (nats) over target words; "monotonicity":
        fraction of word rows whose argmax is ≥ the previous row's;
        "zeros": share of the attention weights (all rows, real positions) that are exactly 0
        (sparsemax, entmax and hard attention make them; the softmax never does);
        "ms": median forced-decoding time per pair (ms);
        "aer_by_length": ``aer_by_length`` (long sentences are where an attention's alignment drifts).
    """
    predicted, entropies, monotone, times, zeros, cells = [], [], [], [], 0, 0
    for e, f in zip(gold.src, gold.tgt):
        result = translator.force(e, f, normalizer, pretokenized=True)
        predicted.append(translator.links(result.attention))
        words = result.attention[:-1, :-1]  # target words × source words
        entropies.append(word_entropy(result.attention))
        monotone.append(monotonicity(words))
        times.append(result.ms)
        zeros += int((result.attention == 0).sum())
        cells += result.attention.size
    scores = alignment_error_rate(predicted, gold.gold)
    return {
        **asdict(scores),
        "entropy": float(np.mean(entropies)),
        "monotonicity": float(np.mean(monotone)),
        "zeros": zeros / max(cells, 1),
        "ms": statistics.median(times),
        "aer_by_length": aer_by_length(predicted, gold),
    }


ATTRIBUTION_COLUMNS = {
    "norm_based": "norm",
    "gradient_x_input": "grad×input",
    "integrated_gradients": "IG",
    "leave_one_out": "LOO",
}


def attribution_alignment(translator: Translator, gold: GoldSet) -> dict[str, float]:
    """AER of the links read from each attribution (``Translator.attribution``: norm-based attention, gradient ×
    input, integrated gradients, leave-one-out) of the forced gold pairs, as the model reads its attention (``Translator.links`` of the
    row-normalized magnitudes, ``attribution.magnitudes``) — Ding et al. (2019) measured saliency's AER this way.

    Returns:
        {method: AER} for each of ``attribution.METHODS`` the model has (no norm-based reading without values).
    """
    predicted: dict[str, list] = {}
    for e, f in zip(gold.src, gold.tgt):
        result = translator.force(e, f, pretokenized=True)
        attributions = translator.attribution(result)
        for method in attributions.methods:
            predicted.setdefault(method, []).append(translator.links(magnitudes(attributions.of(method))))
    return {method: alignment_error_rate(links, gold.gold).aer for method, links in predicted.items()}


def shifted(heads: np.ndarray) -> np.ndarray:
    """The "shift" reading of cross-attention (Chen et al. 2020, Shift-Att): target word i is aligned
    by the step whose decoder *input* is word i, i.e. row i + 1. (L, H, T, S) → (L, H, T, S); the
    last row (``</s>``, which no step reads) is repeated and dropped by ``argmax_links`` anyway."""
    return np.concatenate([heads[:, :, 1:], heads[:, :, -1:]], axis=2)


def head_alignment(translator: Translator, gold: GoldSet) -> dict[str, np.ndarray]:
    """AER of every layer's heads, and of their mean, on the gold pairs (forced decoding, the model's links).

    Returns:
        {"aer": (L, H + 1), "shift_aer": (L, H + 1)} float arrays; column h < H is head h,
        column H the mean over the layer's heads; "shift_aer" reads the attention shifted by
        one step (``shifted``).
    """
    readings = {"aer": lambda h: h, "shift_aer": shifted}
    predicted: dict[tuple[str, int, int], list] = {}
    for e, f in zip(gold.src, gold.tgt):
        heads = translator.force(e, f, pretokenized=True).heads  # (L, H, T, S)
        L, H = heads.shape[:2]
        for name, read in readings.items():
            maps = read(heads)
            for layer in range(L):
                for head in range(H + 1):
                    weights = maps[layer, head] if head < H else maps[layer].mean(0)
                    predicted.setdefault((name, layer, head), []).append(translator.links(weights))
    return {
        name: np.array(
            [
                [alignment_error_rate(predicted[name, layer, head], gold.gold).aer for head in range(H + 1)]
                for layer in range(L)
            ]
        )
        for name in readings
    }


def best_head(aer: np.ndarray) -> dict:
    """The lowest-AER entry of a ``head_alignment`` grid as {"layer": l, "head": h or None (the mean)}."""
    layer, head = np.unravel_index(int(np.argmin(aer)), aer.shape)
    return {"layer": int(layer), "head": None if head == aer.shape[1] - 1 else int(head)}


def translate_ms(translator: Translator, sentences: list[str], pretokenized: bool = True) -> float:
    """Median greedy-decoding time per sentence (ms, tokenization excluded); ``sentences`` are tokenized
    (space-separated) unless ``pretokenized`` is False."""
    return statistics.median(translator.translate(s, pretokenized=pretokenized).ms for s in sentences)


def eflomal_dev_alignment(aligner, gold: GoldSet) -> dict:
    """Align each gold pair on its own with the eflomal reference aligner (as the app does).

    Args:
        aligner: ``reference.ReferenceAligner``.

    Returns:
        {"aer", "precision", "recall", "ms"}: scores against the gold; ms is the
        median time to align one pair.
    """
    predicted, times = [], []
    for e, f in zip(gold.src, gold.tgt):
        start = time.perf_counter()
        predicted.append(aligner.align([w.lower() for w in e.split()], [w.lower() for w in f.split()]))
        times.append((time.perf_counter() - start) * 1000)
    return {**asdict(alignment_error_rate(predicted, gold.gold)), "ms": statistics.median(times)}


@dataclass
class ModelEvaluation:
    """One model's figures for ``evaluate``.

    Attributes:
        path: the model directory.
        translator: the loaded model.
        by_length: ``bleu_by_length`` of its test split ("all" first).
        dev: ``dev_alignment`` on the gold set ({} for a model without attention).
        ms: median greedy decoding time per gold sentence (ms).
        grid: ``decoding_grid`` (when asked for; {} otherwise or without attention).
        attribution: ``attribution_alignment`` on the gold set (when asked for; {} otherwise).
    """

    path: Path
    translator: Translator
    by_length: dict[str, dict]
    dev: dict
    ms: float
    grid: dict = field(default_factory=dict)
    attribution: dict = field(default_factory=dict)

    def row(self) -> dict:
        """Its row of the evaluation table (see ``evaluation_table``)."""
        t, dev = self.translator, self.dev
        return {
            "model": t.name,
            "family": t.info.family,
            "attention": t.describe(),
            "BLEU": self.by_length["all"]["bleu"],
            "AER": dev.get("aer"),
            "links": t.link_reading if dev else None,
            "precision": dev.get("precision"),
            "recall": dev.get("recall"),
            "entropy": dev.get("entropy"),
            "monotone": dev.get("monotonicity"),
            "zeros": dev.get("zeros"),
            "ms/sentence": self.ms,
            **{f"AER {ATTRIBUTION_COLUMNS[m]}": aer for m, aer in self.attribution.items()},
            **{f"AER {label}": aer for label, aer in dev.get("aer_by_length", {}).items()},
            **{f"BLEU {label}": v["bleu"] for label, v in self.by_length.items() if label != "all"},
        }

    def card_metrics(self) -> Metrics:
        """The figures ``evaluate --write-cards`` stores on the model's card."""
        return Metrics(
            test_bleu_by_length=rounded_by_length(self.by_length),
            dev_zeros=self.dev.get("zeros"),
            decoding_grid=self.grid or None,
        )


def rounded_by_length(by_length: dict) -> dict:
    """``bleu_by_length``'s figures as a card stores them: {bucket: {"sentences", "bleu" rounded}}."""
    return {k: {"sentences": v["sentences"], "bleu": round(v["bleu"], 4)} for k, v in by_length.items()}


def dev_metrics(dev: dict) -> Metrics:
    """``dev_alignment``'s figures as card metrics."""
    return Metrics(
        dev_aer=dev["aer"],
        dev_precision=dev["precision"],
        dev_recall=dev["recall"],
        dev_entropy=dev["entropy"],
        dev_monotonicity=dev["monotonicity"],
        dev_ms=dev["ms"],
        dev_zeros=dev["zeros"],
    )


def evaluate_models(
    models: list[Path],
    gold_dir: Path = DEFAULT_GOLD,
    data: Path | None = None,
    bleu_sentences: int | None = None,
    grid: bool = False,
    attribution: bool = False,
) -> list[ModelEvaluation]:
    """BLEU (overall and by source length) on each model's own test split, and its attention on the gold set;
    with ``grid``, also BLEU and AER decoded with each of ``DECODINGS`` (``decoding_grid``); with ``attribution``,
    the AER of each attribution's links beside attention's (``attribution_alignment``).

    Raises:
        CheckpointError, FileNotFoundError: a model, the corpus or the gold set is missing.
    """
    gold = load_gold(gold_dir)
    evaluations = []
    for directory in models:
        translator = Translator.load(directory)
        test = test_split(translator.card, data)
        test = dict(list(test.items())[:bleu_sentences]) if bleu_sentences else test
        # a model of another pair than the gold's gets no AER, and is timed on as many of its own test sentences
        gold_pair = translator.info.pair_name == GOLD_PAIR
        aligns = bool(translator.info.maps) and gold_pair
        dev = dev_alignment(translator, gold) if aligns else {}
        timed = (
            translate_ms(translator, gold.src)
            if gold_pair
            else translate_ms(translator, list(test)[: len(gold.src)], pretokenized=False)
        )
        evaluations.append(
            ModelEvaluation(
                Path(directory),
                translator,
                bleu_by_length(translator, test),
                dev,
                timed,
                decoding_grid(translator, test, gold) if grid and aligns else {},
                attribution_alignment(translator, gold) if attribution and gold_pair else {},
            )
        )
    return evaluations


def evaluation_table(
    evaluations: list[ModelEvaluation],
    gold_dir: Path = DEFAULT_GOLD,
    priors: Path | None = None,
) -> pd.DataFrame:
    """One row per evaluated model (and one for eflomal when ``priors`` exists): the README table.

    Columns: model, family, attention (the family's description: scorer and
    placement for an RNN), BLEU (greedy, the model's own test split,
    sacrebleu -lc, multi-reference), AER (the model's links, argmax unless its card says otherwise, of
    forced attention on the gold set), links (that reading), precision, recall, entropy (mean over target words, nats),
    monotone (fraction of word rows whose argmax does not move left), zeros
    (share of exactly-zero weights), ms/sentence (median greedy decoding of a
    gold-set sentence), "AER 1–14" … one column per ``AER_LENGTH_BUCKETS`` bucket of the gold pairs, then
    "BLEU 1–5" … one column per ``LENGTH_BUCKETS`` bucket. A model without attention has no alignment figures.

    Raises:
        FileNotFoundError: the gold set is missing (for the eflomal row).
    """
    rows = [e.row() for e in evaluations]
    if priors is not None and Path(priors).is_file():
        ref = eflomal_dev_alignment(ReferenceAligner(priors), load_gold(gold_dir))
        rows.append(
            {
                "model": "eflomal (reference)",
                "family": "-",
                "attention": "statistical aligner",
                "AER": ref["aer"],
                "links": "grow-diag-final-and",  # of its two directions (reference.ReferenceAligner)
                "precision": ref["precision"],
                "recall": ref["recall"],
                "ms/sentence": ref["ms"],
            }
        )
    return pd.DataFrame(rows)


def classifier_table(models: list[Path], data_dir: Path) -> pd.DataFrame:
    """Accuracy of each classifier on the whole test file (``data_dir/test.tsv.gz``), with its card's validation
    accuracy, the mean milliseconds per review of the batched pass, and (last) the test accuracy its card states.

    Raises:
        CheckpointError: a directory that is not a loadable classifier; FileNotFoundError: no test file.
    """

    reviews = read_reviews(Path(data_dir) / "test.tsv.gz")
    tokens = [review_tokens(r.text) for r in reviews]  # tokenized once for every model
    labels = [LABELS.index(r.label) for r in reviews]
    rows = []
    for path in models:
        classifier = Classifier.load(path)
        ids = encode_token_lists(tokens, classifier.vocab, classifier.model.config.max_tokens)
        start = time.perf_counter()
        scores = evaluate_classifier(classifier.model, ids, labels)
        rows.append(
            {
                "model": classifier.name,
                "attention": classifier.describe(),
                "test accuracy": scores["accuracy"],
                "test loss": scores["loss"],
                "valid accuracy": classifier.metrics.valid_accuracy,
                "reviews": len(ids),
                "ms/review": (time.perf_counter() - start) * 1000 / len(ids),
                "card test accuracy": classifier.metrics.test_accuracy,
            }
        )
    return pd.DataFrame(rows)


def card_differences(evaluations: list[ModelEvaluation], accuracy: pd.DataFrame | None = None) -> dict[str, list[str]]:
    """Where a measured figure differs from the one on the model's card, at the card's 4 decimals: test BLEU
    (greedy) and dev AER of each translation model, test accuracy of each classifier (``accuracy``:
    ``classifier_table``'s rows).

    Returns:
        {model name: one line per figure that differs, naming it and both values}; a model that reproduces has
        an empty list. A model without measured figures on its card (a Hugging Face folder) is not listed.
    """
    differences = {}
    for evaluation in evaluations:
        if "metrics" not in evaluation.translator.card:
            continue
        differences[evaluation.path.name] = _differing(
            evaluation.path.name,
            evaluation.translator.metrics,
            {"test_bleu_greedy": evaluation.by_length["all"]["bleu"], "dev_aer": evaluation.dev.get("aer")},
        )
    for row in [] if accuracy is None else accuracy.to_dict("records"):
        differences[row["model"]] = _differing(
            row["model"], Metrics(test_accuracy=row["card test accuracy"]), {"test_accuracy": row["test accuracy"]}
        )
    return differences


def _differing(name: str, card: Metrics, measured: dict[str, float | None]) -> list[str]:
    """A line for each measured figure (None: not measured) that the card does not state at 4 decimals."""
    lines = []
    for figure, value in measured.items():
        written = getattr(card, figure)
        if value is not None and (written is None or round(value, 4) != round(written, 4)):
            lines.append(f"{name}: {figure} measured {value:.4f}, card {written}")
    return lines


@torch.inference_mode()
def evaluate_classifier(model, ids: list[list[int]], labels: list[int]) -> dict:
    """{"accuracy", "loss" (mean cross-entropy, nats)} of a model on encoded reviews."""
    model.eval()
    correct, loss = 0, 0.0
    for batch in make_batches([(x, []) for x in ids], 40000):
        src, lengths = pad_batch([ids[i] for i in batch])
        target = torch.tensor([labels[i] for i in batch])
        logits, _ = model(src.to(model.device), lengths)
        loss += torch.nn.functional.cross_entropy(logits.float(), target, reduction="sum").item()
        correct += int((logits.argmax(-1).cpu() == target).sum())
    return {"accuracy": correct / len(ids), "loss": loss / len(ids)}
