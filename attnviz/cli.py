"""Command line: ``python -m attnviz {translate,train} …`` — the same code the app calls."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .checkpoint import CheckpointError
from .model import PLACEMENTS
from .normalizers import MODES, Normalizer
from .scorers import SCORER_NAMES
from .tokenization import MAX_TOKENS

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def _normalizer(args) -> Normalizer:
    return Normalizer(args.mode, k=args.k, temperature=args.temperature, seed=args.seed)


def cmd_translate(args) -> int:
    """stdin English lines → stdout French lines (or JSON objects), one output line per input line."""
    from .translator import InputError, Translator

    translator = Translator.load(args.model)
    normalizer = _normalizer(args)
    failures = 0
    for number, line in enumerate(sys.stdin, 1):
        try:
            result = translator.translate(line, normalizer, beam=args.beam, pretokenized=args.pretokenized)
        except InputError as err:
            print(f"line {number}: {err}", file=sys.stderr)
            print("", flush=True)
            failures += 1
            continue
        print(json.dumps(result.to_json(), ensure_ascii=False) if args.json else result.text, flush=True)
    return 1 if failures else 0


def cmd_train(args) -> int:
    """Train one model, or the whole zoo with --all."""
    from . import train

    config = train.TrainConfig(
        epochs=args.epochs, max_minutes=args.max_minutes, seed=args.seed, threads=args.threads
    )
    if args.all:
        jobs = [(Path(args.out or PRETRAINED) / name, scorer, placement) for name, scorer, placement in train.ZOO]
    elif args.scorer:
        if not args.out:
            print("train: --out DIR is required with --scorer", file=sys.stderr)
            return 2
        jobs = [(Path(args.out), args.scorer, args.placement)]
    else:
        print("train: give --scorer NAME (with --out DIR) or --all", file=sys.stderr)
        return 2
    print(f"reading and splitting {args.data} …", file=sys.stderr)
    corpus = train.prepare_corpus(args.data, config)
    for out, scorer, placement in jobs:
        card = train.train_model(
            corpus, train.zoo_model_config(corpus, scorer, placement), config, out, args.gold_dir, args.data
        )
        print(f"{out}: {json.dumps(card['metrics'])}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of ``python -m attnviz``."""
    from .data import DEFAULT_DATA
    from .train import DEFAULT_GOLD

    parser = argparse.ArgumentParser(prog="python -m attnviz", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    tr = sub.add_parser(
        "translate",
        help="translate English lines from stdin to French",
        description=f"Reads English sentences (one per line, at most {MAX_TOKENS} tokens) from stdin and "
        "writes one French translation per line; a bad line gives a message on stderr and an empty line.",
    )
    tr.add_argument("--model", type=Path, required=True, help="model directory, e.g. pretrained/en-fr-additive")
    tr.add_argument("--mode", choices=MODES, default="soft", help="attention normalizer (default soft)")
    tr.add_argument("--k", type=int, default=2, help="positions kept by --mode topk")
    tr.add_argument("--temperature", type=float, default=1.0, help="τ dividing the energies (soft, sample)")
    tr.add_argument("--seed", type=int, default=0, help="seed of --mode sample")
    tr.add_argument("--beam", type=int, default=1, help="beam size (1 = greedy)")
    tr.add_argument("--pretokenized", action="store_true", help="input is tokenized: split on spaces only")
    tr.add_argument("--json", action="store_true", help="one JSON object per line with tokens, attention, energies")
    tr.set_defaults(func=cmd_translate)

    tn = sub.add_parser("train", help="train a model (or the whole zoo with --all)")
    tn.add_argument("--scorer", choices=SCORER_NAMES)
    tn.add_argument("--placement", choices=PLACEMENTS, default="conditional")
    tn.add_argument("--all", action="store_true", help="train the five zoo models into --out (default pretrained/)")
    tn.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"corpus (default {DEFAULT_DATA})")
    tn.add_argument("--gold-dir", type=Path, default=DEFAULT_GOLD, help="WPT03 dev alignments for AER")
    tn.add_argument("--out", type=Path, help="model directory (with --all: the parent directory)")
    tn.add_argument("--epochs", type=int, default=12)
    tn.add_argument("--max-minutes", type=float, default=40.0, help="training time budget per model")
    tn.add_argument("--seed", type=int, default=1)
    tn.add_argument("--threads", type=int, default=2)
    tn.set_defaults(func=cmd_train)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit status (errors are printed, never raised as tracebacks)."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CheckpointError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
