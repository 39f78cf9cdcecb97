"""Benchmark: five attention heatmaps drawn in a real browser, in three Plotly encodings, at 10×10 and 40×40.

Each variant is a standalone HTML page (Plotly's JavaScript inlined, opened from file:// in Debian's
Chromium): the time from starting ``Plotly.newPlot`` for the five figures until all have drawn, the
median of ``--repeats`` page loads, and the bytes of the five figures' JSON. Variants:

- ``heatmap``: what attnviz draws (``plots.attention_heatmap``): a Heatmap trace, float arrays as Plotly's
  typed-array encoding, hover from a ``hovertemplate`` over ``customdata`` (source, target, energy);
- ``heatmap-text``: the same with one hover string per cell (``text``) instead of the template;
- ``image``: ``go.Image`` of the colours computed on the server (no colour bar; hover gives the RGB
  value and the cell, not the words — what users would lose).

    python scripts/benchmark_figures.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sample_colorscale
from plotly.offline import get_plotlyjs

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a plain script from anywhere
from attnviz.presentation.plots import FigureStyle, attention_heatmap  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu"]


def sample(size: int, seed: int) -> tuple[np.ndarray, list[str], list[str]]:
    """A (size, size) attention matrix with rows summing to 1, and its words."""
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.full(size, 0.3), size=size)
    return weights, [f"src{j}" for j in range(size)], [f"tgt{i}" for i in range(size)]


def figure(variant: str, weights: np.ndarray, source: list[str], target: list[str]) -> go.Figure:
    """One heatmap in ``variant``'s encoding (see the module docstring)."""
    style = FigureStyle()
    if variant == "heatmap":
        return attention_heatmap(weights, source, target, weights, style=style)
    if variant == "heatmap-text":
        fig = attention_heatmap(weights, source, target, weights, style=style)
        hover = [
            [f"source: {s}<br>target: {t}<br>weight: {w:.3f}" for s, w in zip(source, row)]
            for t, row in zip(target, weights)
        ]
        fig.update_traces(customdata=None, hovertemplate=None, text=hover, hoverinfo="text")
        return fig
    colours = sample_colorscale("Viridis", weights.ravel().tolist(), colortype="tuple")
    rgb = (np.array(colours).reshape(*weights.shape, 3) * 255).astype(np.uint8)
    base = attention_heatmap(weights, source, target, style=style)  # the same axes, labels and size
    return go.Figure(go.Image(z=rgb), layout=base.layout)


def page(figures: list[go.Figure]) -> tuple[str, int]:
    """A standalone HTML page that draws ``figures`` and records the drawing time; and their JSON's bytes."""
    specs = [json.loads(pio.to_json(f)) for f in figures]
    payload = json.dumps(specs)
    divs = "".join(f'<div id="f{k}"></div>' for k in range(len(specs)))
    script = f"""
const specs = {payload};
const start = performance.now();
Promise.all(specs.map((s, k) => Plotly.newPlot("f" + k, s.data, s.layout))).then(() =>
  requestAnimationFrame(() => {{ window.drawMs = performance.now() - start; }}));
"""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><script>{get_plotlyjs()}</script></head>"
        f"<body>{divs}<script>{script}</script></body></html>"
    ), len(payload.encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"machine: {cpu}, {os.cpu_count()} cores; five heatmaps per page, median of {args.repeats} loads")
    print(f"{'variant':14} {'size':>6} {'draw ms':>8} {'JSON kB':>8}")
    with sync_playwright() as p, tempfile.TemporaryDirectory() as folder:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        for size in (10, 40):
            for variant in ("heatmap", "heatmap-text", "image"):
                figures = [figure(variant, *sample(size, seed)) for seed in range(5)]
                html, size_bytes = page(figures)
                path = Path(folder) / f"{variant}-{size}.html"
                path.write_text(html, encoding="utf-8")
                times = []
                for _ in range(args.repeats):
                    tab = browser.new_page(viewport={"width": 1280, "height": 900})
                    tab.goto(path.as_uri())
                    tab.wait_for_function("window.drawMs !== undefined", timeout=60_000)
                    times.append(tab.evaluate("window.drawMs"))
                    tab.close()
                print(
                    f"{variant:14} {size:>3}×{size:<3} {statistics.median(times):8.0f} {size_bytes / 1e3:8.1f}",
                    flush=True,
                )
        browser.close()


if __name__ == "__main__":
    main()
