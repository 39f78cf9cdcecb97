"""Difference: A − B heatmap of two models reading the same translation."""

ICON = ":material/difference:"
ORDER = 50

import streamlit as st

from attnviz.alignment import argmax_agreement
from attnviz.plots import difference_heatmap
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("Difference between two models")
if common.checked_sentence(inputs):
    if len(inputs.models) < 2:
        st.info("Choose at least two models in the sidebar.")
        st.stop()
    c1, c2 = st.columns(2)
    with c1:
        a = common.model_picker(inputs.models, "diff_a", "Model A", 0)
    with c2:
        b = common.model_picker(inputs.models, "diff_b", "Model B", 1)
    if inputs.forced.strip():
        ra, rb = (common.decode(m, inputs.sentence, inputs.forced, head=inputs.head) for m in (a, b))
        target, whose = inputs.forced, ""
    else:
        tokens = tuple(common.decode(a, inputs.sentence).target_tokens)
        if len(tokens) < 2:
            st.info(f"{a} produced no words for this sentence; give a French translation in the sidebar.")
            st.stop()
        ra, rb = (common.read_tokens(m, inputs.sentence, tokens, inputs.head) for m in (a, b))
        target, whose = ra.text, f" (the translation of {a})"
    st.markdown(f"Both models read: **{common.plain(target)}**{whose}")
    st.plotly_chart(
        difference_heatmap(ra.attention - rb.attention, ra.source_tokens, ra.target_tokens, f"{a} − {b}",
                           common.style(inputs, len(ra.source_tokens))),
        width="content",
        key="diff",
    )
    st.caption(f"Red: A attends more; blue: B attends more. Argmax agreement: "
               f"{argmax_agreement(ra.attention, rb.attention):.2f}.")
