"""Difference: A − B heatmap of two models reading the same translation."""

ICON = ":material/difference:"
ORDER = 50
SECTION = "comparing"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"diff_a": ("a", None), "diff_b": ("b", None)}

import streamlit as st

from attnviz.attention.alignment import argmax_agreement
from attnviz.presentation.drawing import Panel
from attnviz.ui import common, state
from attnviz.ui.i18n import language_name, t

inputs = state.inputs()
st.subheader(t("difference.heading"))
if common.checked_sentence(inputs):
    if len(inputs.models) < 2:
        st.info(t("difference.two_models"))
        st.stop()
    c1, c2 = st.columns(2)
    with c1:
        a = common.model_picker(inputs.models, "diff_a", t("difference.model_a"), 0)
    with c2:
        b = common.model_picker(inputs.models, "diff_b", t("difference.model_b"), 1)
    if inputs.forced.strip():
        ra, rb = (common.decode(m, inputs.sentence, inputs.forced, head=inputs.head) for m in (a, b))
        target, whose = inputs.forced, ""
    else:
        tokens = tuple(common.decode(a, inputs.sentence).target_tokens)
        if len(tokens) < 2:
            target_language = language_name(state.translator(a).info.target_language)
            st.info(t("difference.no_words", model=a, language=target_language))
            st.stop()
        ra, rb = (common.read_tokens(m, inputs.sentence, tokens, inputs.head) for m in (a, b))
        target, whose = ra.text, t("difference.whose", model=a)
    st.markdown(t("difference.both_read", target=common.plain(target)) + whose)
    if not common.same_source_tokens({a: ra, b: rb}):
        st.stop()
    common.show_panel(
        Panel(f"{a} − {b}", ra.attention - rb.attention, ra.source_tokens, ra.target_tokens),
        inputs,
        "diff",
        diverging=True,
    )
    st.caption(t("difference.caption", agreement=argmax_agreement(ra.attention, rb.attention)))
