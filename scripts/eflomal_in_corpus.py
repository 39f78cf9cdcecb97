"""eflomal aligning the gold pairs inside the training corpus: the setup in which statistical aligners are
usually scored, against the app's setting (each pair aligned alone with the stored priors).

An aligner like eflomal is unsupervised, so the pairs it is scored on are customarily aligned together with
a large parallel corpus (transductively): their rare Hansards words then co-occur across the 37 pairs. The
app instead aligns one typed pair at a time from priors, and a neural model never sees the gold pairs.

    python scripts/eflomal_in_corpus.py [--gold-dir ../shared/data/hansards-wpt03] [--data FILE]

Prints AER, precision and recall of eflomal's forward, reverse, intersection and grow-diag-final-and links
on the gold pairs aligned together with the en-fr training split (about 40 s on one core).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from attnviz.attention.alignment import alignment_error_rate, grow_diag_final_and  # noqa: E402
from attnviz.data.tatoeba import PAIRS, split_pair  # noqa: E402
from attnviz.data.tokenization import model_tokens  # noqa: E402
from attnviz.inference.reference import run_eflomal  # noqa: E402
from attnviz.measurement.evaluation import DEFAULT_GOLD, load_gold  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD, help="the WPT03 dev alignments")
    parser.add_argument("--data", type=Path, default=PAIRS["en-fr"].data, help="the Tatoeba English–French file")
    parser.add_argument("--seed", type=int, default=1, help="the split seed of the models (split_pair)")
    args = parser.parse_args()
    gold = load_gold(args.gold_dir)
    split = split_pair(args.data, PAIRS["en-fr"], args.seed)
    pairs = [([w.lower() for w in e.split()], [w.lower() for w in f.split()]) for e, f in zip(gold.src, gold.tgt)]
    training = [(model_tokens(e, "en"), model_tokens(f, "fr")) for e, f in split.train]
    pairs += [(s, t) for s, t in training if s and t]
    start = time.perf_counter()
    forward, reverse = run_eflomal([s for s, _ in pairs], [t for _, t in pairs], None, 1.0)
    n = len(gold.src)
    print(f"eflomal on {n} gold pairs + {len(pairs) - n} training pairs: {time.perf_counter() - start:.0f} s")
    readings = {
        "forward": forward[:n],
        "reverse": reverse[:n],
        "intersection": [f & r for f, r in zip(forward[:n], reverse[:n])],
        "grow-diag-final-and": [grow_diag_final_and(f, r) for f, r in zip(forward[:n], reverse[:n])],
    }
    for name, links in readings.items():
        scores = alignment_error_rate(links, gold.gold)
        print(f"  {name:20} AER {scores.aer:.3f}  precision {scores.precision:.3f}  recall {scores.recall:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
