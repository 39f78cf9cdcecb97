"""Benchmark: median time of greedy decoding (+ attention) of a 20-token sentence.

Uses a model of the pretrained size (embeddings 256, encoder 128×2, decoder 256,
vocabularies 6,000/8,000) with random weights, or a real model directory with
--model. Prints one line per scorer/placement: median and quartiles in ms.

    python scripts/benchmark_decode.py [--runs 50] [--threads 1] [--model DIR ...]
"""

import argparse
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from attnviz.attention.normalizers import NORMALIZERS, Normalizer
from attnviz.attention.scorers import SCORERS
from attnviz.data.tokenization import EOS
from attnviz.families.rnn import PLACEMENTS, RNNConfig, RNNSeq2Seq
from attnviz.inference import decoding
from attnviz.inference.checkpoint import load


def time_greedy(model, src, steps, runs, mode):
    normalize = Normalizer(mode)
    decoding.greedy(model, src, normalize, max_len=steps)  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        decoding.greedy(model, src, normalize, max_len=steps)
        times.append((time.perf_counter() - start) * 1000)
    q = statistics.quantiles(times, n=4)
    return statistics.median(times), q[0], q[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--tokens", type=int, default=20, help="source and target length")
    parser.add_argument("--model", nargs="*", default=[], help="real model directories instead of random ones")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {cpu}, {args.threads} thread(s), torch {torch.__version__}, Python {platform.python_version()}")
    print(f"greedy decoding of a {args.tokens}-token sentence, forced to {args.tokens + 1} steps; {args.runs} runs")
    if args.model:
        models = [(d, load(d).model) for d in args.model]
    else:
        models = []
        for placement in PLACEMENTS:
            for scorer in SCORERS.names():
                torch.manual_seed(0)
                models.append((f"{scorer}/{placement}", RNNSeq2Seq(RNNConfig(6000, 8000, scorer, placement)).eval()))
    src = list(range(10, 10 + args.tokens)) + [EOS]
    modes = [NORMALIZERS.names()[0], *(k.name for k in NORMALIZERS.select(lambda k: k.hard and not k.parameters))]
    for name, model in models:
        for mode in modes:
            median, q1, q3 = time_greedy(model, src, args.tokens + 1, args.runs, mode)
            print(f"{name:32s} {mode:5s} median {median:6.2f} ms  (quartiles {q1:.2f}–{q3:.2f})")


if __name__ == "__main__":
    main()
