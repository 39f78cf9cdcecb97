"""Plotly figures: alignment heatmaps in the style of Bahdanau et al. (2015), differences, training curves.

Cells are plotted at integer positions with the tokens as tick labels, because
Plotly merges repeated category labels ("the … the" would lose a row).
"""

from __future__ import annotations

from html import escape

import numpy as np
import plotly.graph_objects as go

from .alignment import Link

UNKNOWN_COLOUR = "#c0392b"
VIRIDIS = "Viridis"
PAPER = [[0.0, "black"], [1.0, "white"]]  # Bahdanau's figures: white = weight 1


MAX_WIDTH = 560  # px: two heatmaps side by side fit a lecture-hall projector


def _labels(tokens: list[str], unknown: list[bool] | None) -> list[str]:
    # tokens are text, not markup: "</s>" must show as itself
    unknown = unknown or [False] * len(tokens)
    return [f"<span style='color:{UNKNOWN_COLOUR}'>{escape(t)}</span>" if u else escape(t) for t, u in zip(tokens, unknown)]


def _layout(fig: go.Figure, source: list[str], target: list[str], source_unknown, target_unknown, title: str):
    # square cells as large as fit MAX_WIDTH (labels and colour bar take about 170 px)
    cell = int(min(34, max(14, (MAX_WIDTH - 170) / max(len(source), 1))))
    fig.update_layout(
        title={"text": escape(title), "font": {"size": 14}, "y": 0.99, "yanchor": "top"},
        width=170 + cell * len(source),
        height=140 + cell * len(target),
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        plot_bgcolor="white",
    )
    fig.update_xaxes(
        tickmode="array",
        tickvals=list(range(len(source))),
        ticktext=_labels(source, source_unknown),
        side="top",
        tickangle=-60,
        showgrid=False,
        constrain="domain",
    )
    fig.update_yaxes(
        tickmode="array",
        tickvals=list(range(len(target))),
        ticktext=_labels(target, target_unknown),
        autorange="reversed",
        scaleanchor="x",  # square cells
        showgrid=False,
        constrain="domain",
    )
    return fig


def attention_heatmap(
    weights: np.ndarray,
    source: list[str],
    target: list[str],
    energies: np.ndarray | None = None,
    title: str = "",
    paper_style: bool = False,
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
        paper_style: grayscale with white = 1, as in the original figures.
        links: (source j, target i) reference links drawn as markers (e.g. eflomal's).
        source_unknown, target_unknown: tokens the model saw as ``<unk>``; drawn in red
            and named in the hover text.

    Returns:
        go.Figure whose first trace is the heatmap.
    """
    T, S = weights.shape
    src_hover = [escape(t) + (" (&lt;unk&gt;)" if u else "") for t, u in zip(source, source_unknown or [False] * S)]
    tgt_hover = [escape(t) + (" (&lt;unk&gt;)" if u else "") for t, u in zip(target, target_unknown or [False] * T)]
    energy = energies if energies is not None else np.full((T, S), np.nan)
    custom = np.empty((T, S, 3), dtype=object)
    for i in range(T):
        for j in range(S):
            custom[i, j] = (src_hover[j], tgt_hover[i], f"{energy[i, j]:.3f}")
    fig = go.Figure(
        go.Heatmap(
            z=weights,
            x=list(range(S)),
            y=list(range(T)),
            zmin=0.0,
            zmax=1.0,
            colorscale=PAPER if paper_style else VIRIDIS,
            customdata=custom,
            hovertemplate="source: %{customdata[0]}<br>target: %{customdata[1]}"
            "<br>weight: %{z:.3f}<br>energy: %{customdata[2]}<extra></extra>",
            colorbar={"title": "α", "thickness": 12},
            xgap=1 if paper_style else 0,
            ygap=1 if paper_style else 0,
        )
    )
    if links:
        fig.add_trace(
            go.Scatter(
                x=[j for j, _ in sorted(links)],
                y=[i for _, i in sorted(links)],
                mode="markers",
                marker={"symbol": "circle-open", "size": 16, "color": "#ff4136", "line": {"width": 2}},
                name="eflomal",
                hovertemplate="eflomal link<extra></extra>",
                showlegend=False,
            )
        )
    return _layout(fig, source, target, source_unknown, target_unknown, title)


def difference_heatmap(
    difference: np.ndarray, source: list[str], target: list[str], title: str = ""
) -> go.Figure:
    """Heatmap of A − B attention, diverging colours fixed to −1…1 (red: A looks more, blue: B).

    Args:
        difference: (T, S) float in [−1, 1].
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
            colorbar={"title": "A − B", "thickness": 12},
            hovertemplate="A − B: %{z:.3f}<extra></extra>",
        )
    )
    return _layout(fig, source, target, None, None, title)


def weights_bar(source: list[str], energies: np.ndarray, weights: np.ndarray, highlight: int | None = None) -> go.Figure:
    """Energies e_ij (top panel) and weights α_ij (bottom, 0–1) over the source words of one decoder step.

    Args:
        energies, weights: (S,) float.
        highlight: a source position drawn in orange.
    """
    from plotly.subplots import make_subplots

    x = list(range(len(source)))
    colours = ["#ff851b" if j == highlight else "#0074d9" for j in x]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08)
    fig.add_trace(go.Bar(x=x, y=energies, marker_color="#888888", name="energy e_ij",
                         hovertemplate="e = %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=x, y=weights, marker_color=colours, name="weight α_ij",
                         hovertemplate="α = %{y:.3f}<extra></extra>"), row=2, col=1)
    fig.update_yaxes(title_text="energy e", row=1, col=1)
    fig.update_yaxes(title_text="weight α", range=[0, 1], row=2, col=1)
    fig.update_xaxes(tickmode="array", tickvals=x, ticktext=[escape(t) for t in source], tickangle=-45, row=2, col=1)
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 10, "b": 10}, showlegend=False)
    return fig


def training_curves(history: list[dict], title: str = "") -> go.Figure:
    """Validation BLEU and train/validation loss per epoch, from a model's history.json."""
    epochs = [h["epoch"] for h in history]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=epochs, y=[h["train_loss"] for h in history], name="train loss", yaxis="y"))
    fig.add_trace(go.Scatter(x=epochs, y=[h["valid_loss"] for h in history], name="valid loss", yaxis="y"))
    fig.add_trace(go.Scatter(x=epochs, y=[h["valid_bleu"] for h in history], name="valid BLEU", yaxis="y2"))
    fig.update_layout(
        title=title,
        height=300,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        xaxis={"title": "epoch", "dtick": 1},
        yaxis={"title": "loss (nats)"},
        yaxis2={"title": "BLEU", "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.3},
    )
    return fig
