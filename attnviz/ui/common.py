"""What the view pages share: cached decoding, the input check, heatmaps with the sidebar's style,
safe text, and a per-model panel that fails on its own.

Computation lives in the package (translator, decoding, analysis, alignment,
plots); these functions only call it and lay it out.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import numpy as np
import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from ..attention.normalizers import Normalizer
from ..data.tokenization import MAX_TOKENS
from ..inference.checkpoint import CheckpointError
from ..inference.translator import CARD_HEADS, EOS_TOKEN, InputError, Translation, language_warning
from ..presentation.analysis import attention_records, reference_words, results_json
from ..presentation.drawing import HeadChoice, Panel, head_choices, head_grid, payload
from ..presentation.export import FORMATS, heatmap_file
from ..presentation.plots import FigureStyle
from . import drawing
from .i18n import language, language_name, t
from .state import Inputs, gold_set, heads_label, model_priors, reference_links, translator

logger = logging.getLogger("attnviz.ui")
# presentation mode: less empty space above the view, 20 px body text (Streamlit's default is 16 px)
PRESENTATION_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 1rem; }
[data-testid="stMarkdownContainer"] p, [data-testid="stCaptionContainer"] p { font-size: 20px !important; }
[data-testid="stHeading"] h3 { font-size: 28px !important; padding: 0.2rem 0; }
</style>"""
# normal mode: the title is one line and the page starts just under the navigation, so at 1280×720 the first
# heatmap is above the fold
COMPACT_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; }
[data-testid="stHeading"] h1 { font-size: 1.5rem; padding: 0 0 0.25rem 0; }
</style>"""
MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$:])")


def plain(text: str) -> str:
    """``text`` with every Markdown/HTML special character escaped, for use inside st.markdown."""
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def label(name: str) -> str:
    """The model's one-line description, e.g. 'additive (concat) · conditional GRU (Nematus)'."""
    return translator(name).describe()


@st.cache_data(max_entries=512, show_spinner=False)
def decode(
    name: str,
    sentence: str,
    forced: str = "",
    beam: int = 1,
    mode: str | None = None,
    k: int = 2,
    temperature: float = 1.0,
    seed: int = 0,
    override: tuple[tuple[int, int], ...] = (),
    head: str = CARD_HEADS,
) -> Translation:
    """Translate (or force-decode ``forced``) with one model; cached per argument set, across sessions.

    ``mode`` None decodes with the normalizer the model was trained with; ``head``
    picks which of a multi-head model's attention the result shows (see ``shown_heads``).

    Raises:
        InputError: empty or over-long sentence or translation.
    """
    model = translator(name)
    normalizer = Normalizer(mode or model.decoding_normalizer, k=k, temperature=temperature, seed=seed)
    if forced.strip():
        return shown_heads(model.force(sentence, forced, normalizer), head)
    return shown_heads(model.translate(sentence, normalizer, beam=beam, override=dict(override) or None), head)


DECODE_THREADS = 2  # models decoded at once for one page: torch's kernels release the interpreter lock


def decode_together(names: list[str], sentence: str, forced: str = "", beam: int = 1, head: str = CARD_HEADS) -> None:
    """Fill ``decode``'s cache for every model of ``names`` on ``sentence``, ``DECODE_THREADS`` models at once, so a
    page of several models uses two cores; the view then reads each result with ``decode``, in its model's panel.

    Models are loaded here first, one by one (a first load shows its spinner on the page). A model whose load or
    decode fails is left out: the view's own ``decode`` call meets the same error and shows it in that panel.
    """
    loaded = []
    for name in names:
        with contextlib.suppress(CheckpointError):
            translator(name)
            loaded.append(name)
    if len(loaded) < 2:
        return
    context = get_script_run_ctx()  # the workers run ``decode`` for this session (Streamlit's cache needs it)
    with ThreadPoolExecutor(
        DECODE_THREADS, initializer=lambda: add_script_run_ctx(threading.current_thread(), context)
    ) as pool:
        for name in loaded:
            pool.submit(decode, name, sentence, forced, beam, head=head)  # a failure stays in its future: see above


def shown_heads(result: Translation, head: str) -> Translation:
    """``result`` showing the sidebar's head choice; a choice this model does not have shows its card's."""
    try:
        return result.showing(head)
    except ValueError:
        return result


@st.cache_data(max_entries=256, show_spinner=False)
def self_attention(name: str, source_ids: tuple[int, ...], target_ids: tuple[int, ...]) -> dict[str, np.ndarray]:
    """A Transformer's encoder and decoder self-attention while writing ``target_ids`` (see the family)."""
    return translator(name).self_attention(list(source_ids), list(target_ids))


def with_weights(result: Translation, weights: np.ndarray, keys: list[str], queries: list[str]) -> Translation:
    """A copy of ``result`` that shows ``weights`` (Q, K) between ``queries`` (rows) and ``keys`` (columns),
    for drawing any attention map with the standard heatmap; energies are not shown (NaN)."""
    Q, K = weights.shape
    return replace(
        result,
        attention=weights,
        energies=np.full((Q, K), np.nan),
        source_tokens=list(keys),
        target_tokens=list(queries),
        source_unknown=[False] * K,
        target_unknown=[False] * Q,
    )


def with_weights_only(weights: np.ndarray, tokens: list[str]) -> Translation:
    """A Translation that draws a self-attention map ``weights`` (S, S) over ``tokens`` with the standard heatmap."""
    S = len(tokens)
    empty = Translation(
        list(tokens), [False] * S, list(tokens), [False] * S, weights, np.full((S, S), np.nan), np.zeros(S)
    )
    return with_weights(empty, weights, tokens, tokens)


@st.cache_data(max_entries=512, show_spinner=False)
def read_tokens(name: str, sentence: str, target_tokens: tuple[str, ...], head: str = CARD_HEADS) -> Translation:
    """Model ``name``'s attention while it reads another model's target tokens (never re-tokenized)."""
    return shown_heads(translator(name).force_tokens(sentence, list(target_tokens)), head)


@st.cache_data(max_entries=256, show_spinner=False)
def read_gold_pair(name: str, index: int) -> Translation:
    """Model ``name``'s attention while reading Hansards dev pair ``index`` (0-based), pretokenized as
    ``evaluate`` reads it; the card's head choice for a Transformer.

    Raises:
        InputError: a pair too long for the model.
    """
    gold = gold_set()
    return translator(name).force(gold.src[index], gold.tgt[index], pretokenized=True)


def checked_sentence(inputs: Inputs) -> bool:
    """Show the prompt / error / language note for the input; True when it can be decoded."""
    if not inputs.models:
        st.info(t("input.choose_model"))
        return False
    model = translator(inputs.models[0])
    if not inputs.sentence.strip():
        st.info(t("input.type_sentence", language=language_name(model.info.source_language)))
        return False
    try:
        tokens = model.source(inputs.sentence)
        if inputs.forced.strip():
            model.target(inputs.forced)
    except InputError as err:
        problem = input_problem(err)
        st.error(t("input.too_long", problem=problem[:1].upper() + problem[1:], limit=MAX_TOKENS))
        return False
    note = language_warning(inputs.sentence, tokens, model.info.source_language, model.info.target_language)
    if note:
        source, target = language_name(model.info.source_language), language_name(model.info.target_language)
        st.warning(t(f"input.{note.problem}", source=source, target=target, **note.values))
    if any(tokens.unknown):
        unknown = [w for w, u in zip(tokens.display, tokens.unknown) if u]
        st.caption(t("input.unknown", words=plain(", ".join(unknown))))
    return True


def input_problem(err: InputError) -> str:
    """An InputError's message in the interface language (its ``problem`` key, subject and numbers)."""
    return t(f"errors.{err.problem}", subject=t(f"errors.{err.subject}"), **err.values)


def same_source_tokens(results: dict[str, Translation]) -> bool:
    """Whether the models cut the source into the same tokens, so their attention can be compared cell by
    cell; if not (Chinese words against characters), say so and return False."""
    cuts = {tuple(r.source_tokens) for r in results.values()}
    if len(cuts) > 1:
        st.info(t("input.different_tokens", models=", ".join(results)))
    return len(cuts) <= 1


@contextlib.contextmanager
def model_panel(name: str):
    """Run one model's part of a view; if it fails, say so in one line there and let the others draw.

    Expected failures (bad input for this model, a broken model file) show their
    message; anything else is logged with its traceback to the server log.
    """
    try:
        yield
    except InputError as err:
        st.warning(f"{name}: {input_problem(err)}")
    except CheckpointError as err:
        st.warning(f"{name}: {err}")
    except Exception as err:  # logged with the traceback; the page shows one line
        logger.exception("model %s failed in a view", name)
        st.error(t("input.model_failed", name=name, error=type(err).__name__))


def eflomal_links(results: dict[str, Translation]) -> dict[str, frozenset]:
    """eflomal's links for each model's translation (no ``</s>``), those of one language pair aligned together
    with that pair's priors; no links where the pair has no priors.

    Args:
        results: model name → its translation.
    """
    by_priors: dict = {}
    for name in results:
        by_priors.setdefault(model_priors(name), []).append(name)
    links = {}
    for priors, names in by_priors.items():
        pairs = tuple(
            (tuple(reference_words(results[n].source_tokens)), tuple(reference_words(results[n].target_tokens)))
            for n in names
        )
        links.update(zip(names, reference_links(pairs, priors)))
    return {name: links[name] for name in results}


def style(inputs: Inputs, source_length: int = 0) -> FigureStyle:
    """The figure style the sidebar asks for (paper style, presentation mode), for a sentence
    of ``source_length`` tokens (a long one gets a row to itself)."""
    figure = FigureStyle(paper=inputs.paper, present=inputs.present, language=language())
    return replace(figure, wide=not figure.side_by_side(source_length))


def columns(inputs: Inputs, count: int, source_length: int = 0) -> list:
    """Places for ``count`` figures over ``source_length`` source tokens: two columns side by
    side, or one container per figure, stacked, in presentation mode (one large heatmap per
    screen) and for sentences too long for half a screen."""
    if count > 1 and style(inputs, source_length).wide:
        return [st.container() for _ in range(count)]
    return st.columns(min(count, 2))


def file_stem(title: str) -> str:
    """A figure's file name without extension: ``attention-`` and its title in safe characters."""
    return "attention-" + re.sub(r"[^A-Za-z0-9_.-]+", "-", title).strip("-")


def show_panel(shown: Panel, inputs: Inputs, key: str, diverging: bool = False) -> None:
    """One heatmap element of ``shown`` in the sidebar's style (a diverging −1…1 scale for differences)."""
    drawing.heatmap(
        payload(
            [shown],
            style(inputs, len(shown.source)),
            outlines=inputs.overlay,
            diverging=diverging,
            name=file_stem(shown.title),
        ),
        key,
    )


def show_head_grid(maps: np.ndarray, keys: list[str], queries: list[str], inputs: Inputs, key: str) -> None:
    """Every layer's and head's (L, H, Q, K) attention as one grid element in the browser (``drawing.head_grid``)."""
    drawing.heatmap(head_grid(maps, keys, queries, style(inputs), name=f"heads-{key}"), key)


def show_heatmap(result: Translation, title: str, inputs: Inputs, key: str, links: frozenset | None = None) -> None:
    """Draw a translation's heatmap in the browser (PNG from its toolbar), with a Download menu: SVG in the current
    style, CSV and JSON. The files are made only when their button is clicked.
    """
    show_panel(
        Panel(
            title,
            result.attention,
            result.source_tokens,
            result.target_tokens,
            result.energies,
            links or None,
            result.source_unknown,
            result.target_unknown,
            head_choices(result, inputs.head, heads_label),
        ),
        inputs,
        key,
    )
    stem = file_stem(title)
    drawn_links = set(links) if links and inputs.overlay else None
    with st.popover(t("download.menu"), icon=":material/download:"):
        st.download_button(  # the PNG is the browser's own, from the canvas (the heatmap's toolbar)
            t("download.figure", format="SVG"),
            data=functools.partial(
                heatmap_file,
                result.attention,
                result.source_tokens,
                result.target_tokens,
                "svg",
                style(inputs, len(result.source_tokens)),
                title,
                drawn_links,
                result.source_unknown,
                result.target_unknown,
            ),
            file_name=f"{stem}.svg",
            mime=FORMATS["svg"],
            on_click="ignore",
            key=f"{key}-svg",
        )
        st.download_button(
            t("download.csv"),
            data=lambda: attention_records({title: result}).to_csv(index=False),
            file_name=f"{stem}.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"{key}-csv",
        )
        st.download_button(
            t("download.json"),
            data=lambda: results_json({title: result}),
            file_name=f"{stem}.json",
            mime="application/json",
            on_click="ignore",
            key=f"{key}-json",
        )


def marked(tokens: list[str], flags: list[bool]) -> str:
    """Markdown of a token list with changed tokens highlighted (tokens escaped)."""
    return " ".join(
        f":orange-background[**{plain(t)}**]" if f else plain(t) for t, f in zip(tokens, flags) if t != EOS_TOKEN
    )


def chosen(result: Translation, inputs: Inputs) -> Translation:
    """The beam hypothesis the sidebar asks for (the best when it does not exist)."""
    hypotheses = [result, *result.alternatives]
    return hypotheses[min(inputs.hypothesis, len(hypotheses) - 1)]


def best_model(names: list[str]) -> str:
    """The model whose card reports the highest greedy test BLEU (the first one without cards)."""

    def bleu(name: str) -> float:
        bleu = translator(name).metrics.test_bleu_greedy
        return float("-inf") if bleu is None else bleu

    return max(names, key=bleu)


def steerable_models(names: list[str]) -> list[str]:
    """The models among ``names`` whose attention decoding can change (``Translator.steerable``); the others are
    named in one line, or, when none is left, the line is all the view shows (it stops there)."""
    kept = [n for n in names if translator(n).steerable]
    left_out = [n for n in names if n not in kept]
    if left_out:
        (st.info if not kept else st.caption)(t("input.not_steerable", models=", ".join(left_out)))
    if not kept:
        st.stop()
    return kept


def walkable_models(names: list[str]) -> list[str]:
    """The models among ``names`` whose encoder layers' inputs the Self-attention view can replay
    (``TranslationModel.replays_layers``); one among the others that has encoder self-attention but cannot replay
    it (a Hugging Face model) is named in one line (a GRU without self-attention needs no excuse)."""
    kept = [n for n in names if translator(n).replays_layers]
    foreign = [n for n in names if n not in kept and "encoder_self" in translator(n).info.maps]
    if foreign:
        st.caption(t("input.no_layer_inputs", models=", ".join(foreign)))
    return kept


def model_picker(options: list[str], key: str, text: str | None = None, index: int | None = None) -> str:
    """A selectbox over model names (defaults to the one with the best BLEU on its card, or to ``index``);
    ``text`` is its label (default: "Model" in the interface language)."""
    default = options[min(index, len(options) - 1)] if index is not None else best_model(options)
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
    return st.selectbox(text or t("common.model"), options, key=key, format_func=lambda n: f"{n} — {label(n)}")


def show_pooling(
    title: str, tokens: list[str], heads: np.ndarray, unknown: list[bool], inputs: Inputs, key: str
) -> None:
    """A classifier's attention pooling as running text in the browser (``payload(flow=True)``): each word on a
    background as dark as its weight (relative to the largest); the element's head choice switches between the
    mean of the heads and each head, without a server run.

    Args:
        tokens: S words; heads: (H, S) float ≥ 0, each row sums to 1; unknown: (S,) bool, drawn in red.
    """
    figure = style(inputs)
    row = [title]
    choices = ()
    if len(heads) > 1:
        nan = np.full((1, len(tokens)), np.nan)
        choices = (
            HeadChoice("mean", figure.text("mean"), heads.mean(0)[None], nan),
            *(HeadChoice(str(h + 1), figure.text("head", head=h + 1), heads[h][None], nan) for h in range(len(heads))),
        )
    shown = Panel(title, heads.mean(0)[None], list(tokens), row, source_unknown=list(unknown), choices=choices)
    drawing.heatmap(payload([shown], figure, flow=True, name=file_stem(title)), key)
