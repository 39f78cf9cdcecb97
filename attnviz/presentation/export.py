"""Figures for papers and slides: an attention heatmap as PNG or SVG, drawn on the server with matplotlib.

The browser's Plotly figure is for exploring; these files are for printing, in
the same style (Viridis, or the grayscale of Bahdanau et al. 2015 with white = 1),
with the eflomal links as cell outlines. No browser is needed to make them.
"""

from __future__ import annotations

import functools
import io

import numpy as np

from ..attention.alignment import Link
from .plots import LINK_COLOUR, UNKNOWN_COLOUR, FigureStyle

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}


@functools.cache
def fonts() -> list[str]:
    """Latin text in DejaVu Sans; Chinese falls back to Noto Sans CJK (Debian fonts-noto-cjk) when installed."""
    from matplotlib import font_manager  # deferred: matplotlib costs half a second of a cold server's start

    cjk = {f.name for f in font_manager.fontManager.ttflist if f.name.startswith("Noto Sans CJK")}
    return ["DejaVu Sans", *sorted(cjk)[:1]]


def heatmap_file(
    weights: np.ndarray,
    source: list[str],
    target: list[str],
    fmt: str,
    style: FigureStyle = FigureStyle(),
    title: str = "",
    links: set[Link] | frozenset | None = None,
    source_unknown: list[bool] | None = None,
    target_unknown: list[bool] | None = None,
) -> bytes:
    """The attention heatmap as a PNG (200 dpi) or SVG file.

    Args:
        weights: (T, S) float in [0, 1]; the colour scale is fixed to 0–1.
        source, target: S and T tokens (text, drawn as is); unknown ones in red.
        fmt: "png" or "svg".
        style: paper (grayscale, white = 1) and presentation (larger text) as on screen.
        links: (source j, target i) reference links, outlined.

    Returns:
        The file's bytes.

    Raises:
        ValueError: an unknown format, or token lists that do not match the weights' shape.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    T, S = weights.shape
    if (len(target), len(source)) != (T, S):
        raise ValueError(f"{len(target)}×{len(source)} tokens for a {T}×{S} weight matrix")
    import matplotlib  # deferred: matplotlib costs half a second of a cold server's start; files only, never a window

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # deferred with matplotlib above
    from matplotlib.patches import Rectangle  # deferred with matplotlib above

    font = 14 if style.present else 10
    cell = 0.45 if style.present else 0.32  # inches
    with plt.rc_context({"font.family": fonts(), "font.size": font, "svg.fonttype": "none"}):
        fig, ax = plt.subplots(figsize=(1.6 + cell * S, 1.4 + cell * T), layout="constrained")
        image = ax.imshow(
            weights,
            cmap="gray" if style.paper else "viridis",
            vmin=0.0,
            vmax=1.0,
            aspect="equal",
            interpolation="nearest",
        )
        ax.set_xticks(range(S), source, rotation=60, ha="left", rotation_mode="anchor")
        ax.set_yticks(range(T), target)
        ax.xaxis.tick_top()
        for labels, unknown in ((ax.get_xticklabels(), source_unknown), (ax.get_yticklabels(), target_unknown)):
            for label, flag in zip(labels, unknown or []):
                if flag:
                    label.set_color(UNKNOWN_COLOUR)
        for j, i in sorted(links or ()):
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor=LINK_COLOUR, linewidth=1.5))
        if title:
            ax.set_title(title, pad=12)
        fig.colorbar(image, ax=ax, shrink=0.8, label="α")
        buffer = io.BytesIO()
        fig.savefig(buffer, format=fmt, dpi=200)
        plt.close(fig)
    return buffer.getvalue()
