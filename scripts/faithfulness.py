"""Is attention an explanation? The Reviews view's comparison over many test reviews, per classifier.

For each of the first ``--reviews`` test reviews (half negative, half positive, as the view offers them):
Spearman ρ between the pooling attention and |leave-one-out|, and between attention and |gradient × input|
(``faithfulness.importances``); then the drop in P(predicted label) when the k most-attended words are
deleted, against deleting the k words leave-one-out ranks first and k words drawn at random.

    python scripts/faithfulness.py [--reviews 100] [--k 5] [--models imdb-self-attention imdb-multihead]

Prints medians (ρ) and means (probability drops, in points), and how often the verdict flips.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.data.reviews import IMDB_DIR, LABELS, read_reviews  # noqa: E402
from attnviz.inference.checkpoint import PRETRAINED  # noqa: E402
from attnviz.inference.classifier import Classifier  # noqa: E402
from attnviz.presentation.faithfulness import importances, most_attended  # noqa: E402


def balanced(reviews, count: int):
    """The first count // 2 negative and positive reviews, alternating (the view's sample)."""
    by_label = [[r for r in reviews if r.label == label][: count // 2] for label in LABELS]
    return [r for pair in zip(*by_label) for r in pair]


def measure(classifier: Classifier, reviews, k: int, seed: int) -> dict[str, list[float]]:
    """Per review: the two rank correlations and the probability drops of the three deletions."""
    rng = random.Random(seed)
    rows: dict[str, list[float]] = {
        key: []
        for key in (
            "rho_loo",
            "rho_gradient",
            "drop_attention",
            "drop_loo",
            "drop_random",
            "flip_attention",
            "flip_loo",
            "flip_random",
        )
    }
    for review in reviews:
        verdict = classifier.classify(review.text)
        label = int(verdict.probabilities.argmax())
        scores = importances(classifier, verdict, label)
        rho = scores.correlations()
        rows["rho_loo"].append(rho["leave-one-out"])
        rows["rho_gradient"].append(rho["gradient × input"])
        before = float(verdict.probabilities[label])
        chosen = {
            "attention": most_attended(verdict, k),
            "loo": set(np.argsort(-scores.leave_one_out, kind="stable")[:k].tolist()),
            "random": set(rng.sample(range(len(verdict.tokens)), min(k, len(verdict.tokens) - 1))),
        }
        for name, positions in chosen.items():
            after = classifier.without_tokens(verdict.tokens, positions).probabilities
            rows[f"drop_{name}"].append(100 * (before - float(after[label])))
            rows[f"flip_{name}"].append(float(int(after.argmax()) != label))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reviews", type=int, default=100)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", nargs="*", default=["imdb-self-attention", "imdb-multihead"])
    parser.add_argument("--imdb-dir", type=Path, default=IMDB_DIR)
    args = parser.parse_args()
    reviews = balanced(read_reviews(args.imdb_dir / "test.tsv.gz"), args.reviews)
    print(f"{len(reviews)} IMDB test reviews (Maas et al. 2011), k = {args.k}")
    for name in args.models:
        rows = measure(Classifier.load(PRETRAINED / name), reviews, args.k, args.seed)
        print(
            f"{name}: median Spearman ρ attention vs |leave-one-out| {np.nanmedian(rows['rho_loo']):.2f}, "
            f"vs |gradient × input| {np.nanmedian(rows['rho_gradient']):.2f}"
        )
        for how in ("attention", "loo", "random"):
            print(
                f"  delete the {args.k} words chosen by {how:9}: P(predicted) {-np.mean(rows[f'drop_{how}']):+.1f} "
                f"points on average, verdict flips in {np.mean(rows[f'flip_{how}']):.0%}"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
