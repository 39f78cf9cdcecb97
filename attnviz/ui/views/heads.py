"""Heads: every layer's and head's attention of a Transformer — cross, encoder self and decoder self — one enlarged."""

ICON = ":material/view_module:"
ORDER = 35

import numpy as np
import streamlit as st

from attnviz.evaluation import bleu, test_split
from attnviz.plots import aer_grid, head_grid, head_mean
from attnviz.translator import EOS_TOKEN, Translator
from attnviz.ui import common, state

MAPS = {
    "cross": "cross-attention (target → source)",
    "encoder_self": "encoder self-attention (source → source)",
    "decoder_self": "decoder self-attention (causal)",
}

MAP_SHORT = {"cross": "cross", "encoder_self": "encoder", "decoder_self": "decoder"}
BLEU_SENTENCES = 100  # the fixed set for BLEU with heads switched off: the first of the model's test split


def head_label(code: str) -> str:
    """'cross:2.3' → 'cross-attention · layer 2 · head 3'."""
    kind, _, position = code.partition(":")
    layer, head = position.split(".")
    return f"{MAP_SHORT[kind]} · layer {layer} · head {head}"


@st.cache_resource(max_entries=8, show_spinner="Switching heads off …")
def masked_translator(name: str, off: tuple[str, ...]) -> Translator:
    """Model ``name`` with the heads ``off`` ('cross:2.3', 1-based) switched off (a copy; the original is kept)."""
    original = state.translator(name)
    triples = []
    for code in off:
        kind, _, position = code.partition(":")
        layer, head = (int(n) - 1 for n in position.split("."))
        triples.append((kind, layer, head))
    return Translator(original.model.without_heads(triples), original.src_vocab, original.tgt_vocab,
                      original.card, original.name, original.info)


@st.cache_data(max_entries=32, show_spinner="BLEU on the fixed test sentences …")
def fixed_set_bleu(name: str, off: tuple[str, ...]) -> float | None:
    """Greedy BLEU on the first BLEU_SENTENCES sentences of the model's test split; None without the corpus."""
    try:
        test = test_split(state.translator(name).card)
    except FileNotFoundError:
        return None
    model = masked_translator(name, off) if off else state.translator(name)
    return bleu(model, dict(list(test.items())[:BLEU_SENTENCES]))


inputs = state.inputs()
st.subheader("Layers and heads")
if common.checked_sentence(inputs):
    multi = [n for n in inputs.models if "encoder_self" in state.translator(n).info.maps]
    if not multi:
        st.info("None of the chosen models has self-attention layers and heads: choose a Transformer in the sidebar.")
        st.stop()
    name = common.model_picker(multi, "heads_model")
    result = common.decode(name, inputs.sentence, inputs.forced)
    maps = common.self_attention(name, tuple(result.source_ids), tuple(result.target_ids))
    state.default("heads_map", "cross", MAPS)
    kind = st.radio("Attention", list(MAPS), key="heads_map", format_func=MAPS.get, horizontal=True)
    source, target = result.source_tokens, result.target_tokens
    inputs_side = ["<s>", *target[:-1]]  # the decoder's input at each step: the word written before
    records, keys, queries = {
        "cross": (result.heads, source, target),
        "encoder_self": (maps["encoder_self"], source, source),
        "decoder_self": (maps["decoder_self"], inputs_side, inputs_side),
    }[kind]
    layers, heads = records.shape[:2]
    st.markdown("→ " + common.plain(result.text) + f"  ·  {layers} layers × {heads} heads; the last column is "
                "the mean over the layer's heads.")
    st.plotly_chart(head_grid(records, common.style(inputs)), key="grid")
    options = [f"{l}.{h}" for l in range(layers) for h in [*range(heads), "mean"]]
    state.default("heads_pick", f"{layers - 1}.mean", options)
    pick = st.selectbox("Enlarge", options, key="heads_pick", format_func=lambda o: "layer {} · {}".format(
        int(o.split(".")[0]) + 1, "mean over heads" if o.endswith("mean") else f"head {int(o.split('.')[1]) + 1}"))
    layer, head = pick.split(".")
    weights = head_mean(records)[int(layer)] if head == "mean" else records[int(layer), int(head)]
    if kind == "decoder_self":
        st.caption("Row i is decoding step i, whose input is the word written before it (<s> first); "
                   "the blank cells are the causal mask: a step cannot attend to words not yet written.")
    elif kind == "encoder_self":
        st.caption("Each source word (row) attends to every source word (column) of the same sentence: "
                   "queries, keys and values all come from it.")
    common.show_heatmap(
        common.with_weights(result, weights, keys, queries), f"{name} · {MAPS[kind]} · layer {int(layer) + 1}, "
        + ("mean" if head == "mean" else f"head {int(head) + 1}"), inputs, "heads_big",
    )
    if kind == "cross" and EOS_TOKEN not in target:
        st.caption("The translation was cut at the length limit.")

    metrics = state.translator(name).card.get("metrics", {})
    if "dev_aer_by_head" in metrics:
        st.markdown("**Which head aligns?** AER of each cross-attention head against the gold alignments "
                    "(37 English–French sentence pairs of WPT03); lower is better.")
        choice = state.translator(name).card.get("alignment_head", {})
        chosen = (choice["layer"], choice["head"]) if choice else None
        left, right = st.columns(2)
        left.plotly_chart(aer_grid(np.array(metrics["dev_aer_by_head"]), "AER, attention at the word's step",
                                   chosen, common.style(inputs)), key="aer_plain")
        right.plotly_chart(aer_grid(np.array(metrics["dev_shift_aer_by_head"]),
                                    "AER, shifted one step (Shift-Att)", None, common.style(inputs)),
                           key="aer_shift")
        st.caption("Outlined: the model's alignment attention, chosen on these pairs and named on its card; the "
                   "views and `align` use it. Shift-Att (Chen et al. 2020) reads the attention of the step whose "
                   "input is the word, i.e. one step later.")

    st.markdown("**Switch heads off** and decode again: each chosen head's output is removed before W_O "
                "(Michel, Levy & Neubig 2019: many heads can go with little loss).")
    L_dec, L_enc = state.translator(name).model.config.decoder_layers, state.translator(name).model.config.encoder_layers
    options = [f"{k}:{l}.{h}" for k, count in (("encoder_self", L_enc), ("decoder_self", L_dec), ("cross", L_dec))
               for l in range(1, count + 1) for h in range(1, heads + 1)]
    st.session_state["heads_off"] = [o for o in st.session_state.get("heads_off") or [] if o in options]
    off = tuple(st.multiselect("Heads switched off", options, key="heads_off", format_func=head_label))
    if off:
        changed = masked_translator(name, off).translate(inputs.sentence)
        st.markdown("with all heads → " + common.plain(result.text) + "  \n"
                    + f"with {len(off)} off → " + (common.plain(changed.text) or "∅"))
    scores = fixed_set_bleu(name, ()), fixed_set_bleu(name, off) if off else None
    if scores[0] is None:
        st.caption("BLEU on the fixed test sentences needs the English–French corpus "
                   "(../shared/data/tatoeba-fra-eng/fra.txt); only the typed sentence is shown.")
    else:
        st.caption(f"BLEU on the first {BLEU_SENTENCES} sentences of the model's test split: "
                   f"{scores[0]:.1f} with every head" + (f", {scores[1]:.1f} with these off." if off else "."))
