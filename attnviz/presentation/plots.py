"""Plotly figures: alignment heatmaps in the style of Bahdanau et al. (2015), differences, training curves.

Cells are plotted at integer positions with the tokens as tick labels, because
Plotly merges repeated category labels ("the … the" would lose a row).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from html import escape

import numpy as np
import plotly.graph_objects as go

from ..attention.alignment import Link
from .i18n import DEFAULT_UI_LANGUAGE, text

UNKNOWN_COLOUR = "#c0392b"
LINK_COLOUR = "#ff4136"
VIRIDIS = "Viridis"
PAPER = [[0.0, "black"], [1.0, "white"]]  # Bahdanau's figures: white = weight 1
PRINTED_CELL = (40, 24)  # px (width, height): cells at least this large print their weight
COLORBAR_PX = 110  # the colour bar with its title and tick labels
LABELS_PX = 100  # target-word labels of a typical sentence, at 12 px


@dataclass(frozen=True)
class FigureStyle:
    """How a figure is drawn: colours, and sizes for a laptop or for a projector.

    Sizes assume a 1280 px wide screen: two heatmaps side by side next to the
    sidebar (560 px each), one per row (880 px), or in presentation mode one per
    row with the sidebar closed (1150 × 480 px, so it fits 1280×720 below the
    view's heading). Streamlit shrinks a wider figure to its column, so the cells
    are fitted to these widths, never wider.

    Attributes:
        paper: grayscale with white = weight 1, as in Bahdanau et al. (2015).
        present: presentation mode: 20 px labels, cells up to 144 × 72 px, weights
            printed in cells large enough to hold them.
        wide: the figure has a row to itself (see ``side_by_side``).
        language: the language of axis titles, legends and hover texts (a key of ``i18n.UI_LANGUAGES``).
    """

    paper: bool = False
    present: bool = False
    wide: bool = False
    language: str = DEFAULT_UI_LANGUAGE

    def text(self, key: str, /, **values) -> str:
        """The figure text ``figures.<key>`` in this style's language (``i18n``)."""
        return text(self.language, f"figures.{key}", **values)

    @property
    def font(self) -> int:
        """Tick-label font size (px)."""
        return 20 if self.present else 12

    @property
    def max_width(self) -> int:
        """Figure width (px) the cells are fitted into."""
        return 1150 if self.present else 880 if self.wide else 560

    @property
    def max_height(self) -> int | None:
        """Figure height (px) the rows are fitted into (None: rows as tall as the cells are wide)."""
        return 480 if self.present else None

    @property
    def cells(self) -> tuple[int, int]:
        """(smallest, largest) cell side in px. Rows never go below the smallest (the page scrolls);
        columns do when the sentence is too long for the width, and their labels are then thinned."""
        return (26, 72) if self.present else (16, 34)

    def side_by_side(self, source_length: int) -> bool:
        """Whether a heatmap over ``source_length`` tokens keeps the smallest cell in half a screen."""
        return not self.present and source_length * self.cells[0] + LABELS_PX + COLORBAR_PX <= 560


def text_width(text: str, font: int) -> float:
    """Approximate rendered width (px) of ``text`` at ``font`` px: wide (CJK) characters count 1 em, others 0.6."""
    return sum(font if unicodedata.east_asian_width(ch) in "WF" else 0.6 * font for ch in text)


def _labels(tokens: list[str], unknown: list[bool] | None, every: int = 1) -> list[str]:
    # tokens are text, not markup: "</s>" must show as itself; with every = k only each k-th is written
    unknown = unknown or [False] * len(tokens)
    return [
        "" if index % every else f"<span style='color:{UNKNOWN_COLOUR}'>{escape(t)}</span>" if u else escape(t)
        for index, (t, u) in enumerate(zip(tokens, unknown))
    ]


def _layout(fig: go.Figure, source, target, source_unknown, target_unknown, title: str, style: FigureStyle):
    """Cells as large as the style's figure size allows; source labels horizontal when they fit.

    Square cells normally (the paper figures' look); in presentation mode cells may
    be wider than tall, so a short sentence fills the screen's width with horizontal
    labels while its rows still fit the height. Source labels turn 45°, then 90° as
    columns narrow; below one line height per column only every k-th is written
    (the hover text still names every cell). Returns (figure, (cell width, cell height) px).
    """
    font = style.font
    source_px = max((text_width(t, font) for t in source), default=0)
    target_px = max((text_width(t, font) for t in target), default=0) + 12
    smallest, largest = style.cells
    S, T = max(len(source), 1), max(len(target), 1)
    title_px = 10 if style.present else 30 + font  # on a projector the heading above names the model
    cell_w = int(min((2 if style.present else 1) * largest, (style.max_width - target_px - COLORBAR_PX) / S))
    if source_px + 6 <= cell_w:
        angle, top = 0, font * 2
    elif cell_w >= 1.7 * font:
        angle, top = -45, source_px * 0.71 + font
    else:
        angle, top = -90, source_px + font
    every = max(1, math.ceil(1.1 * font / max(cell_w, 1)))
    if style.present:
        cell_h = int(max(smallest, min(largest, (style.max_height - top - title_px) / T)))
    else:
        cell_h = max(smallest, cell_w)
    # one update: each update_* call re-validates and re-dispatches the whole layout (measured: 3× slower)
    axes = {"tickmode": "array", "tickfont": {"size": font, "color": "black"}, "showgrid": False, "constrain": "domain"}
    fig.update_layout(
        title={
            "text": "" if style.present else escape(title),
            "font": {"size": font + 2},
            "y": 0.995,
            "yanchor": "top",
        },
        width=int(target_px + COLORBAR_PX + cell_w * S),
        height=int(top + title_px + cell_h * T + 10),
        margin={"l": 10, "r": 10, "t": int(title_px), "b": 10},
        plot_bgcolor="white",
        font={"size": font, "color": "black"},
        xaxis={
            **axes,
            "tickvals": list(range(len(source))),
            "ticktext": _labels(source, source_unknown, every),
            "side": "top",
            "tickangle": angle,
        },
        yaxis={
            **axes,
            "tickvals": list(range(len(target))),
            "ticktext": _labels(target, target_unknown),
            "autorange": "reversed",
            "scaleanchor": "x" if cell_w == cell_h else None,
        },  # square cells, as in the papers, when they fit
    )
    fig.update_traces(
        colorbar={
            "thickness": 24 if style.present else 12,
            "tickfont": {"size": font},
            "title": {"font": {"size": font}},
        },
        selector={"type": "heatmap"},
    )
    return fig, (cell_w, cell_h)


def attention_heatmap(
    weights: np.ndarray,
    source: list[str],
    target: list[str],
    energies: np.ndarray | None = None,
    title: str = "",
    style: FigureStyle = FigureStyle(),
    links: set[Link] | None = None,
    source_unknown: list[bool] | None = None,
    target_unknown: list[bool] | None = None,
) -> go.Figure:
    """Heatmap of attention weights: source words along x (top), target words along y.

    Args:
        weights: (T, S) float in [0, 1]; the colour scale is fixed to 0–1 so that
            figures side by side are comparable.
        source, target: S and T tokens for the axes.
        energies: (T, S) raw energies for the hover text.
        style: colours and sizes (paper style, presentation mode).
        links: (source j, target i) reference links (e.g. eflomal's), drawn as cell
            outlines: they never hide a weight's colour or printed value, nor catch the mouse.
        source_unknown, target_unknown: tokens the model saw as ``<unk>``; drawn in red
            and named in the hover text.

    Returns:
        go.Figure whose first trace is the heatmap; weights are printed in the cells
        when the cells are at least ``PRINTED_CELL`` px (in presentation mode, for short sentences).
    """
    T, S = weights.shape
    src_hover = [escape(t) + (" (&lt;unk&gt;)" if u else "") for t, u in zip(source, source_unknown or [False] * S)]
    tgt_hover = [escape(t) + (" (&lt;unk&gt;)" if u else "") for t, u in zip(target, target_unknown or [False] * T)]
    energy = energies if energies is not None else np.full((T, S), np.nan)
    custom = np.stack(
        [  # (T, S, 3): source word, target word, energy — per cell, for the hover text
            np.broadcast_to(np.array(src_hover, dtype=object)[None, :], (T, S)),
            np.broadcast_to(np.array(tgt_hover, dtype=object)[:, None], (T, S)),
            np.char.mod("%.3f", np.asarray(energy, dtype=float)).astype(object),
        ],
        axis=-1,
    )
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(S)),
            y=list(range(T)),
            zmin=0.0,
            zmax=1.0,
            colorscale=PAPER if style.paper else VIRIDIS,
            customdata=custom,
            hovertemplate=style.text("heatmap_hover"),
            colorbar={"title": {"text": "α"}},
            xgap=1 if style.paper else 0,
            ygap=1 if style.paper else 0,
        )
    )
    fig, (cell_w, cell_h) = _layout(fig, source, target, source_unknown, target_unknown, title, style)
    if cell_w >= PRINTED_CELL[0] and cell_h >= PRINTED_CELL[1]:
        fig.update_traces(
            texttemplate="%{z:.2f}", textfont={"size": max(12, style.font - 6)}, selector={"type": "heatmap"}
        )
    line = {"color": LINK_COLOUR, "width": 3 if style.present else 2}
    fig.update_layout(
        shapes=[  # one update for all links: add_shape per link costs ~2 ms each
            {
                "type": "rect",
                "x0": j - 0.5,
                "x1": j + 0.5,
                "y0": i - 0.5,
                "y1": i + 0.5,
                "line": line,
                "fillcolor": "rgba(0,0,0,0)",
            }
            for j, i in sorted(links or ())
        ]
    )
    return fig


def difference_heatmap(
    difference: np.ndarray, source: list[str], target: list[str], title: str = "", style: FigureStyle = FigureStyle()
) -> go.Figure:
    """Heatmap of A − B attention, diverging colours fixed to −1…1 (red: A looks more, blue: B).

    Args:
        difference: (T, S) float in [−1, 1].
        style: sizes (presentation mode); the diverging colours ignore the paper style.
    """
    fig = go.Figure(
        go.Heatmap(
            z=difference,
            x=list(range(difference.shape[1])),
            y=list(range(difference.shape[0])),
            zmin=-1.0,
            zmax=1.0,
            zmid=0.0,
            colorscale="RdBu_r",
            colorbar={"title": {"text": "A − B"}},
            hovertemplate="A − B: %{z:.3f}<extra></extra>",
        )
    )
    return _layout(fig, source, target, None, None, title, style)[0]


def training_curves(history: list[dict], title: str = "", style: FigureStyle = FigureStyle()) -> go.Figure:
    """Validation BLEU and train/validation loss per epoch, from a model's history.json (style: font sizes)."""
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=[h["train_loss"] for h in history], name=style.text("train_loss"), yaxis="y"))
    fig.add_trace(go.Scatter(x=epochs, y=[h["valid_loss"] for h in history], name=style.text("valid_loss"), yaxis="y"))
    fig.add_trace(go.Scatter(x=epochs, y=[h["valid_bleu"] for h in history], name=style.text("valid_bleu"), yaxis="y2"))
    fig.update_layout(
        title=title,
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": style.text("epoch"), "dtick": 1},
        yaxis={"title": style.text("loss")},
        yaxis2={"title": "BLEU", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.3},
        font={"size": style.font, "color": "black"},
    )
    return fig


def classifier_curves(histories: dict[str, list[dict]], metric: str, style: FigureStyle = FigureStyle()) -> go.Figure:
    """Train and validation ``metric`` ("accuracy" or "loss") per epoch of several classifiers, one figure
    (the seed notes' §4.3 comparison); solid lines validation, dashed training."""
    fig = go.Figure()
    for name, history in histories.items():
        epochs = [h["epoch"] for h in history]
        fig.add_trace(
            go.Scatter(x=epochs, y=[h[f"valid_{metric}"] for h in history], name=style.text("valid_of", model=name))
        )
        fig.add_trace(
            go.Scatter(
                x=epochs,
                y=[h[f"train_{metric}"] for h in history],
                name=style.text("train_of", model=name),
                line={"dash": "dash"},
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        title=style.text(f"{metric}_per_epoch"),
        xaxis={"title": style.text("epoch"), "dtick": 1},
        yaxis={"title": style.text("accuracy" if metric == "accuracy" else "cross_entropy")},
        legend={"orientation": "h", "y": -0.3},
        font={"size": style.font, "color": "black"},
    )
    return fig


def head_mean(maps: np.ndarray) -> np.ndarray:
    """The mean over heads, (L, H, Q, K) → (L, Q, K), skipping NaN cells (NaN where every head is NaN)."""
    valid = ~np.isnan(maps)
    count = valid.sum(1)
    return np.where(count > 0, np.where(valid, maps, 0.0).sum(1) / np.maximum(count, 1), np.nan)


def aer_grid(
    grid: np.ndarray, title: str, chosen: tuple[int, int | None] | None = None, style: FigureStyle = FigureStyle()
) -> go.Figure:
    """AER of every layer × head (and each layer's head mean) on the gold set, values printed.

    Args:
        grid: (L, H + 1) float in [0, 1], the last column the mean over the layer's heads; lower is better.
        chosen: (layer, head) 0-based of the model's alignment attention (head None: the mean), outlined.
        style: font size.
    """
    L, columns = grid.shape
    x = [style.text("head", head=h + 1) for h in range(columns - 1)] + [style.text("mean")]
    y = [style.text("layer", layer=l + 1) for l in range(L)]
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=x,
            y=y,
            zmin=0.0,
            zmax=1.0,
            colorscale=PAPER if style.paper else VIRIDIS,
            reversescale=True,
            text=np.round(grid, 2),
            texttemplate="%{text:.2f}",
            textfont={"size": style.font},
            colorbar={"title": {"text": "AER"}},
            hovertemplate="%{y}, %{x}: AER %{z:.3f}<extra></extra>",
        )
    )
    if chosen is not None:
        layer, head = chosen
        column = columns - 1 if head is None else head
        fig.add_shape(
            type="rect",
            x0=column - 0.5,
            x1=column + 0.5,
            y0=layer - 0.5,
            y1=layer + 0.5,
            line={"color": LINK_COLOUR, "width": 4},
        )
    fig.update_yaxes(autorange="reversed", tickfont={"size": style.font})
    fig.update_xaxes(side="top", tickfont={"size": style.font})
    fig.update_layout(
        title={"text": title, "font": {"size": style.font}},
        width=120 + 90 * columns,
        height=110 + 60 * L,
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )
    return fig


def policy_curve(history: list[dict], style: FigureStyle = FigureStyle()) -> go.Figure:
    """REINFORCE during training of sampled hard attention: mean reward log p(y_i), the advantages'
    variance (before scaling) and the attention entropy, every 50 batches, from a history.json.

    Args:
        history: per-epoch records; those with a "policy_curve" list contribute its points in order.
    """
    points = [p for record in history for p in record.get("policy_curve", [])]
    x = list(range(1, len(points) + 1))
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=x, y=[p["reward"] for p in points], name=style.text("reward"), yaxis="y"))
    fig.add_trace(
        go.Scatter(x=x, y=[p["attention_entropy"] for p in points], name=style.text("attention_entropy"), yaxis="y")
    )
    fig.add_trace(
        go.Scatter(x=x, y=[p["advantage_variance"] for p in points], name=style.text("advantage_variance"), yaxis="y2")
    )
    fig.update_layout(
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": style.text("training_time")},
        yaxis={"title": style.text("nats")},
        yaxis2={"title": style.text("variance"), "overlaying": "y", "side": "right", "type": "log"},
        legend={"orientation": "h", "y": -0.3},
        font={"size": style.font, "color": "black"},
    )
    return fig


def bleu_by_length_figure(scores: dict[str, dict[str, dict]], style: FigureStyle = FigureStyle()) -> go.Figure:
    """BLEU per source-length bucket, one line per model (Bahdanau et al., 2015, Fig. 2).

    Args:
        scores: model name → its card's ``test_bleu_by_length`` ({"all": …, "1–5": {"sentences", "bleu"}, …}).
    """
    fig = go.Figure()
    for name, buckets in scores.items():
        labels = [k for k in buckets if k != "all"]
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=[buckets[k]["bleu"] for k in labels],
                name=name,
                mode="lines+markers",
                customdata=[buckets[k]["sentences"] for k in labels],
                hovertemplate=style.text("length_hover") + "<extra>" + escape(name) + "</extra>",
            )
        )
    fig.update_layout(
        height=380,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"title": style.text("source_length"), "type": "category"},
        yaxis={"title": style.text("test_bleu")},
        legend={"orientation": "h", "y": -0.35},
        font={"size": style.font, "color": "black"},
    )
    return fig


def context_strips(
    vectors: np.ndarray, rows: list[str], title: str, style: FigureStyle = FigureStyle(), limit: float | None = None
) -> go.Figure:
    """Context vectors as coloured strips, one row per target word: (T, d) values on a diverging scale.

    Args:
        vectors: (T, d) float; for a model without attention every row is the same fixed vector.
        rows: T labels (the target words).
        limit: the colour scale's ± bound (shared by figures that are compared); max |value| by default.
    """
    bound = limit or float(np.abs(vectors).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=vectors,
            y=list(range(len(rows))),
            zmin=-bound,
            zmax=bound,
            colorscale="RdBu",
            reversescale=True,
            colorbar={"title": {"text": style.text("value")}},
            hovertemplate=style.text("strip_hover"),
        )
    )
    fig.update_yaxes(
        autorange="reversed",
        tickmode="array",
        tickvals=list(range(len(rows))),
        ticktext=rows,
        tickfont={"size": style.font},
    )
    fig.update_xaxes(title={"text": style.text("dimension")}, tickfont={"size": style.font})
    fig.update_layout(
        title={"text": title, "font": {"size": style.font}},
        height=90 + 26 * len(rows),
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
    )
    return fig
