"""Plotly figures where attention is not the picture: training curves, BLEU by sentence length, the AER of each
layer's heads, context vectors as strips; and ``FigureStyle``, the style every figure shares (the attention
heatmaps themselves are drawn in the browser: ``drawing.py`` and ``heatmap.js``).
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np
import plotly.graph_objects as go

from .i18n import DEFAULT_UI_LANGUAGE, text

UNKNOWN_COLOUR = "#c0392b"
LINK_COLOUR = "#ff4136"
VIRIDIS = "Viridis"
PAPER = [[0.0, "black"], [1.0, "white"]]  # Bahdanau's figures: white = weight 1
HALF_SCREEN_PX = 560  # a column of two beside the sidebar on a 1280 px screen
SMALLEST_CELL_PX = 16  # a heatmap's smallest readable cell on a laptop
COLORBAR_PX = 110  # the colour bar with its title and tick labels
LABELS_PX = 100  # target-word labels of a typical sentence, at 12 px


@dataclass(frozen=True)
class FigureStyle:
    """How a figure is drawn: colours, and text sizes for a laptop or for a projector.

    Attributes:
        paper: grayscale with white = weight 1, as in Bahdanau et al. (2015).
        present: presentation mode: 20 px labels, and a heatmap with a row of its own, filling it.
        wide: the figure has a row to itself (``common.columns``: presentation mode, or a sentence too long for
            half a screen).
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

    def side_by_side(self, source_length: int) -> bool:
        """Whether a heatmap over ``source_length`` tokens keeps its smallest cells in half a screen (never in
        presentation mode, where every heatmap has a row of its own)."""
        return not self.present and source_length * SMALLEST_CELL_PX + LABELS_PX + COLORBAR_PX <= HALF_SCREEN_PX


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
