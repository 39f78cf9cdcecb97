"""Benchmark: server-side time for all pretrained models to decode one sentence, as the app does.

Times (1) the five greedy decodes + attention for a 20-word sentence (what a
sentence change costs once models are loaded), and (2) whole AppTest reruns of
the Compare view after a sentence change (decoding, eflomal, figures, table).
Prints medians in ms.

    python scripts/benchmark_app.py [--runs 20]
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a plain script

from attnviz.inference.checkpoint import find_models
from attnviz.inference.translator import Translator

SENTENCE = "The old man who lives next to the station gave his daughter a small red book about the history of France ."


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--apptest-runs", type=int, default=5)
    args = parser.parse_args()
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"machine: {cpu}, torch threads {torch.get_num_threads()}, torch {torch.__version__}")
    models = [Translator.load(d) for d in find_models()]
    print(f"{len(models)} models; sentence of {len(SENTENCE.split())} words")
    for m in models:
        m.translate(SENTENCE)  # warm-up
    totals, per_model = [], {m.name: [] for m in models}
    for _ in range(args.runs):
        start = time.perf_counter()
        for m in models:
            t = time.perf_counter()
            m.translate(SENTENCE)
            per_model[m.name].append((time.perf_counter() - t) * 1000)
        totals.append((time.perf_counter() - start) * 1000)
    for name, times in per_model.items():
        print(f"  {name:28s} median {statistics.median(times):7.1f} ms")
    print(
        f"all {len(models)} models, greedy + attention: median {statistics.median(totals):.1f} ms "
        f"(min {min(totals):.1f}, max {max(totals):.1f})"
    )

    from streamlit.testing.v1 import AppTest

    app = str(Path(__file__).resolve().parent.parent / "streamlit_app.py")
    at = AppTest.from_file(app, default_timeout=300).run()
    times = []
    for k in range(args.apptest_runs):
        start = time.perf_counter()
        at.text_input(key="sentence").input(f"{SENTENCE[:-2]} number {k} .").run()  # a new sentence: no cache hit
        times.append((time.perf_counter() - start) * 1000)
    assert not at.exception
    print(
        f"AppTest rerun of the Compare view after a sentence change: median {statistics.median(times):.0f} ms "
        f"(min {min(times):.0f}, max {max(times):.0f})"
    )


if __name__ == "__main__":
    main()
