"""Heads: every layer's and head's attention of a Transformer — cross, encoder self and decoder self — one enlarged."""

ICON = ":material/view_module:"
ORDER = 35
SECTION = "inside"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {
    "heads_model": ("hm", None),
    "heads_map": ("hmap", "cross"),
    "heads_pick": ("hpick", None),
    "heads_off": ("off", [], "list"),
}

import functools

import numpy as np
import streamlit as st

from attnviz.inference.translator import EOS_TOKEN, Translator
from attnviz.measurement.evaluation import GOLD_PAIR, bleu, head_alignment, test_split
from attnviz.presentation.analysis import head_triples
from attnviz.presentation.plots import aer_grid, head_mean
from attnviz.ui import common, state
from attnviz.ui.i18n import bound, t

MAPS = ("cross", "encoder_self", "decoder_self")  # their names: heads.map_<name>, heads.short_<name>
BLEU_SENTENCES = 100  # the fixed set for BLEU with heads switched off: the first of the model's test split


def head_label(code: str, tr=t) -> str:
    """'cross:2.3' → 'cross · layer 2 · head 3' (in the interface language; ``tr``: ``t`` or ``i18n.bound()``)."""
    kind, _, position = code.partition(":")
    return f"{tr(f'heads.short_{kind}')} · {state.heads_label(position, tr)}"


@st.cache_resource(max_entries=8, show_spinner=False)
def masked_translator(name: str, off: tuple[str, ...]) -> Translator:
    """Model ``name`` with the heads ``off`` ('cross:2.3', 1-based) switched off (a copy; the original is kept)."""
    return state.translator(name).without_heads(head_triples(off))


@st.cache_data(max_entries=32, show_spinner=False)
def fixed_set_bleu(name: str, off: tuple[str, ...]) -> float | None:
    """Greedy BLEU on the first BLEU_SENTENCES sentences of the model's test split; None without the corpus."""
    try:
        test = test_split(state.translator(name).card)
    except FileNotFoundError:
        return None
    model = masked_translator(name, off) if off else state.translator(name)
    return bleu(model, dict(list(test.items())[:BLEU_SENTENCES]))


@st.cache_data(max_entries=8, show_spinner=False)
def measured_heads(name: str) -> tuple[list, list]:
    """(AER, shift AER) of every layer's heads and their mean on the Hansards dev gold (``head_alignment``), for a
    model whose card does not hold them; cached across sessions."""
    grids = head_alignment(state.translator(name), state.gold_set())
    return grids["aer"].tolist(), grids["shift_aer"].tolist()


inputs = state.inputs()
st.subheader(t("heads.heading"))
if common.checked_sentence(inputs):
    multi = [n for n in inputs.models if "encoder_self" in state.translator(n).info.maps]
    if not multi:
        st.info(t("heads.none"))
        st.stop()
    name = common.model_picker(multi, "heads_model")
    result = common.decode(name, inputs.sentence, inputs.forced)
    maps = common.self_attention(name, tuple(result.source_ids), tuple(result.target_ids))
    state.default("heads_map", "cross", MAPS)
    kind = st.radio(
        t("heads.attention"),
        MAPS,
        key="heads_map",
        format_func=lambda m, tr=bound(): tr(f"heads.map_{m}"),
        horizontal=True,
    )
    source, target = result.source_tokens, result.target_tokens
    inputs_side = ["<s>", *target[:-1]]  # the decoder's input at each step: the word written before
    records, keys, queries = {
        "cross": (result.heads, source, target),
        "encoder_self": (maps["encoder_self"], source, source),
        "decoder_self": (maps["decoder_self"], inputs_side, inputs_side),
    }[kind]
    layers, heads = records.shape[:2]
    st.markdown("→ " + common.plain(result.text) + t("heads.shape", layers=layers, heads=heads))
    common.show_head_grid(records, keys, queries, inputs, "grid")
    options = [f"{l}.{h}" for l in range(layers) for h in [*range(heads), "mean"]]
    state.default("heads_pick", f"{layers - 1}.mean", options)

    def pick_label(option: str, tr=bound()) -> str:
        position, _, number = option.partition(".")
        return state.heads_label(f"{int(position) + 1}" + ("" if number == "mean" else f".{int(number) + 1}"), tr)

    layer, head = st.selectbox(t("heads.enlarge"), options, key="heads_pick", format_func=pick_label).split(".")
    weights = head_mean(records)[int(layer)] if head == "mean" else records[int(layer), int(head)]
    if kind == "decoder_self":
        st.caption(t("heads.decoder_caption"))
    elif kind == "encoder_self":
        st.caption(t("heads.encoder_caption"))
    common.show_heatmap(
        common.with_weights(result, weights, keys, queries),
        f"{name} · {t(f'heads.map_{kind}')} · {pick_label(f'{layer}.{head}')}",
        inputs,
        "heads_big",
    )
    if kind == "cross" and EOS_TOKEN not in target:
        st.caption(t("heads.cut"))

    metrics = state.translator(name).metrics
    by_head = (metrics.dev_aer_by_head, metrics.dev_shift_aer_by_head)
    measurable = state.translator(name).info.pair_name == GOLD_PAIR and state.gold_set() is not None
    if not by_head[0] and measurable:  # a model without a card (a Hugging Face folder): measured here, on request
        if st.button(t("heads.measure"), key="heads_measure") or name in st.session_state.get("heads_measured", ()):
            st.session_state["heads_measured"] = {*st.session_state.get("heads_measured", ()), name}
            with st.spinner(t("heads.measuring")):
                by_head = measured_heads(name)
    if by_head[0]:
        st.markdown(t("heads.which_aligns"))
        choice = state.translator(name).card.get("alignment_head", {})
        chosen = (choice["layer"], choice["head"]) if choice else None
        left, right = st.columns(2)
        left.plotly_chart(
            aer_grid(np.array(by_head[0]), t("heads.aer_plain"), chosen, common.style(inputs)), key="aer_plain"
        )
        right.plotly_chart(
            aer_grid(np.array(by_head[1]), t("heads.aer_shift"), None, common.style(inputs)), key="aer_shift"
        )
        st.caption(t("heads.aer_caption"))

    st.markdown(t("heads.switch_off"))
    counts = state.translator(name).layer_counts()
    options = [
        f"{k}:{l}.{h}"
        for k in ("encoder_self", "decoder_self", "cross")
        for l in range(1, counts[k] + 1)
        for h in range(1, heads + 1)
    ]
    st.session_state["heads_off"] = [o for o in st.session_state.get("heads_off") or [] if o in options]
    off = tuple(
        st.multiselect(t("heads.off"), options, key="heads_off", format_func=functools.partial(head_label, tr=bound()))
    )
    if off:
        changed = masked_translator(name, off).translate(inputs.sentence)
        st.markdown(
            t("heads.with_all")
            + common.plain(result.text)
            + "  \n"
            + t("heads.with_off", count=len(off))
            + (common.plain(changed.text) or "∅")
        )
    scores = fixed_set_bleu(name, ()), fixed_set_bleu(name, off) if off else None
    if scores[0] is None:
        st.caption(t("heads.no_corpus"))
    else:
        st.caption(
            t("heads.fixed_bleu", sentences=BLEU_SENTENCES, bleu=scores[0])
            + (t("heads.fixed_bleu_off", bleu=scores[1]) if off else t("quiz.end"))
        )
