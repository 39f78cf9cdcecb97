"""What the browser's attention heatmap draws (``heatmap.js`` beside this module): JSON payloads.

One payload is one element on the page: one heatmap, or a grid of them (layers × heads). The browser does the
drawing — cells, words on both axes, the colour bar, outlines, hover — so a payload holds only the numbers and
the words, rounded to 6 decimals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..attention.alignment import Link
from ..inference.translator import CARD_HEADS, Translation, head_choice_keys, parse_heads, select_heads
from .plots import FigureStyle, head_mean

HEATMAP_JS = Path(__file__).with_name("heatmap.js")  # the element's ES module: the app's and the lecture file's
DECIMALS = 6  # weights and energies as sent to the browser (the tests compare to 1e-6)


def _matrix(values: np.ndarray | None) -> list[list[float | None]] | None:
    """(T, S) floats as nested lists, NaN and ±inf as None (JSON has no NaN)."""
    if values is None:
        return None
    rounded = np.round(np.asarray(values, dtype=float), DECIMALS)
    return [[float(v) if np.isfinite(v) else None for v in row] for row in rounded]


def is_softmax_of(weights: np.ndarray, energies: np.ndarray | None, tolerance: float = 1e-4) -> bool:
    """Whether (T, S) ``weights`` are softmax over each row's finite ``energies`` (to ``tolerance``), so that a
    display temperature softmax(e / τ) redraws the same attention at τ = 1 (not so for sparsemax, hard or
    top-k weights, a mean over heads, or weights decoded at another temperature)."""
    if energies is None:
        return False
    energies = np.asarray(energies, dtype=float)
    finite = np.isfinite(energies)
    if not finite.any(axis=1).all():
        return False
    shifted = np.where(finite, energies - np.where(finite, energies, -np.inf).max(axis=1, keepdims=True), -np.inf)
    softmax = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    return bool(np.allclose(softmax, np.asarray(weights, dtype=float), atol=tolerance))


@dataclass(frozen=True)
class HeadChoice:
    """One head (or mean of heads) of a multi-head record the browser can show instead of a panel's weights.

    Attributes:
        key: ``Translation.showing``'s choice ("card", "mean", "2", "2.3").
        label: the choice in words.
        weights: (T, S) float in [0, 1]; energies: (T, S) float (NaN for a mean over heads).
    """

    key: str
    label: str
    weights: np.ndarray
    energies: np.ndarray

    def to_json(self) -> dict:
        """The choice as the browser reads it."""
        return {
            "key": self.key,
            "label": self.label,
            "weights": _matrix(self.weights),
            "energies": _matrix(self.energies),
            "tempered": is_softmax_of(self.weights, self.energies),
        }


def head_choices(result: Translation, shown: str, label: Callable[[str], str]) -> tuple[HeadChoice, ...]:
    """The heads a browser may switch ``result``'s heatmap to: first the one it shows (choice ``shown``), then
    the other choices of its record (``translator.head_choice_keys``).

    Args:
        result: a translation whose ``heads``/``head_energies`` are (L, H, T, S); ``attention`` shows ``shown``.
        label: a choice key in words (the interface's ``heads_label``).

    Returns:
        Nothing for a record of one head (an RNN).
    """
    if result.heads is None or result.heads.shape[:2] == (1, 1):
        return ()
    layers, heads = result.heads.shape[:2]
    try:  # a choice this model lacks was shown as its card's (``Translation.showing``)
        parse_heads(shown, layers, heads)
    except ValueError:
        shown = CARD_HEADS
    choices = [HeadChoice(shown, label(shown), result.attention, result.energies)]
    for key in head_choice_keys(layers, heads):
        if key not in (shown, CARD_HEADS):
            weights, energies = select_heads(result.heads, result.head_energies, *parse_heads(key, layers, heads))
            choices.append(HeadChoice(key, label(key), weights, energies))
    return tuple(choices)


@dataclass(frozen=True)
class Panel:
    """One heatmap of a payload.

    Attributes:
        title: shown above it (and in its text alternative).
        weights: (T, S) float — attention weights in [0, 1], or differences in [−1, 1]; NaN: no value.
        source, target: S and T words for the axes.
        energies: (T, S) raw energies for the hover text, or None.
        links: (source j, target i) links drawn as outlines (eflomal's, or a gold alignment).
        source_unknown, target_unknown: words the model read as ``<unk>`` (drawn in red).
        choices: other heads of the same record the browser may show instead (``head_choices``).
    """

    title: str
    weights: np.ndarray
    source: list[str]
    target: list[str]
    energies: np.ndarray | None = None
    links: frozenset[Link] | set[Link] | None = None
    source_unknown: list[bool] | None = None
    target_unknown: list[bool] | None = None
    choices: tuple[HeadChoice, ...] = ()

    def to_json(self) -> dict:
        """The panel as the browser reads it.

        Raises:
            ValueError: weights whose shape is not (len(target), len(source)).
        """
        weights = np.asarray(self.weights, dtype=float)
        if weights.shape != (len(self.target), len(self.source)):
            raise ValueError(
                f"weights of shape {weights.shape} for {len(self.target)} target and {len(self.source)} source words"
            )
        return {
            "title": self.title,
            "weights": _matrix(weights),
            "source": [str(w) for w in self.source],
            "target": [str(w) for w in self.target],
            "energies": _matrix(self.energies),
            "links": sorted([int(j), int(i)] for j, i in (self.links or ())),
            "source_unknown": list(self.source_unknown or []),
            "target_unknown": list(self.target_unknown or []),
            "choices": [c.to_json() for c in self.choices] or None,
            "tempered": is_softmax_of(weights, self.energies),
        }


def payload(
    panels: list[Panel],
    style: FigureStyle,
    *,
    outlines: bool = True,
    diverging: bool = False,
    columns: int = 1,
    compact: bool = False,
    flow: bool = False,
    name: str = "attention",
) -> dict:
    """The data of one heatmap element.

    Args:
        panels: the heatmaps it draws, ``columns`` a row (a layers × heads grid: H + 1 columns).
        style: paper style, presentation sizes, a row of its own, the language of its texts.
        outlines: draw the panels' links (the browser's toolbar can turn them off and on).
        diverging: a −1…1 scale (red: positive) for differences; else the 0–1 attention scale.
        compact: small cells without axis labels (a grid of many heads); the hover still names the words.
        flow: one row of weights drawn as running text (a review's attention pooling), the words wrapped.
        name: the PNG's file name, without extension.

    The browser offers a head choice when a panel has ``choices``, and a display temperature (softmax(e / τ) of
    the energies sent) when some panel's or choice's weights are the softmax of its energies
    (``is_softmax_of``: its ``tempered``); it re-tempers those only.

    Returns:
        A JSON-ready dict (``heatmap.js`` documents its fields).
    """
    drawn = [p.to_json() for p in panels]
    words = "; ".join(
        style.text("heatmap_aria", title=p["title"], source=" ".join(p["source"]), target=" ".join(p["target"]))
        for p in drawn
    )
    tempered = not diverging and any(p["tempered"] or any(c["tempered"] for c in p["choices"] or ()) for p in drawn)
    return {
        "panels": drawn,
        "columns": columns,
        "compact": compact,
        "flow": flow,
        "scale": "diverging" if diverging else "sequential",
        "paper": style.paper,
        "outlines": outlines,
        "values": None,
        "present": style.present,
        "wide": style.wide,
        "name": name,
        "temperature": tempered,
        "head": next((p.choices[0].key for p in panels if p.choices), None),
        "text": {
            "colour_title": "A − B" if diverging else "α",
            "hover": style.text("heatmap_hover_text"),
            "energy": style.text("energy_short"),
            "paper": style.text("toolbar_paper"),
            "outlines": style.text("toolbar_outlines"),
            "values": style.text("toolbar_values"),
            "png": style.text("toolbar_png"),
            "numbers": style.text("toolbar_numbers"),
            "head": style.text("toolbar_head"),
            "temperature": style.text("toolbar_temperature"),
            "aria": words,
        },
    }


def head_grid(maps: np.ndarray, keys: list[str], queries: list[str], style: FigureStyle, name: str = "heads") -> dict:
    """Every layer's and head's attention as one grid element: rows = layers, columns = heads, then their mean.

    Args:
        maps: (L, H, Q, K) float in [0, 1]; NaN cells (a causal mask) are left blank.
        keys, queries: the K and Q words (hover and text alternative; the grid's cells carry no labels).
        style: paper style, sizes, language.

    Returns:
        A ``payload`` of L × (H + 1) compact panels titled "layer l · head h" (1-based) and "layer l · mean".
    """
    L, H = maps.shape[:2]
    means = head_mean(maps)
    panels = [
        Panel(
            style.text("layer_head", layer=l + 1, head=h + 1) if h < H else style.text("layer_mean", layer=l + 1),
            maps[l, h] if h < H else means[l],
            keys,
            queries,
        )
        for l in range(L)
        for h in range(H + 1)
    ]
    return payload(panels, style, columns=H + 1, compact=True, name=name)
