"""Heads: every layer's and head's attention of a Transformer — cross, encoder self and decoder self — one enlarged."""

TITLE = "Heads"
ICON = ":material/view_module:"
ORDER = 35

import streamlit as st

from attnviz.plots import head_grid, head_mean
from attnviz.translator import EOS_TOKEN
from attnviz.ui import common, state

MAPS = {
    "cross": "cross-attention (target → source)",
    "encoder_self": "encoder self-attention (source → source)",
    "decoder_self": "decoder self-attention (causal)",
}

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
