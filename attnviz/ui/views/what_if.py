"""What if: force the attention at one step onto a chosen source word and re-decode from there."""

ICON = ":material/alt_route:"
ORDER = 40
SECTION = "comparing"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"wi_model": ("wim", None), "wi_step": ("wstep", 0, "int"), "wi_source": ("wj", None, "int")}

import streamlit as st

from attnviz.inference.translator import changed_tokens
from attnviz.ui import common, state
from attnviz.ui.i18n import t

inputs = state.inputs()
st.subheader(t("what_if.heading"))
if common.checked_sentence(inputs):
    name = common.model_picker(common.steerable_models(inputs.models), "wi_model")
    original = common.decode(name, inputs.sentence, head=inputs.head)
    T = len(original.target_tokens)
    c1, c2 = st.columns(2)
    state.default("wi_step", 0, range(T))
    step = c1.slider(t("what_if.step"), 0, max(T - 1, 0), key="wi_step") if T > 1 else 0
    looked_at = int(original.attention[step].argmax())
    c1.caption(
        t(
            "what_if.originally",
            word=common.plain(original.target_tokens[step]),
            source=common.plain(original.source_tokens[looked_at]),
        )
    )
    # Start on the word farthest from where the model looked, so the first view already shows a change.
    word_positions = [j for j, token in enumerate(original.source_tokens[:-1]) if any(ch.isalnum() for ch in token)]
    elsewhere = max((j for j in word_positions if j != looked_at), key=lambda j: abs(j - looked_at), default=looked_at)
    state.default("wi_source", elsewhere, range(len(original.source_tokens)))
    position = c2.selectbox(
        t("what_if.look_only"),
        list(range(len(original.source_tokens))),
        format_func=lambda j: f"{j}: {original.source_tokens[j]}",
        key="wi_source",
    )
    changed = common.decode(name, inputs.sentence, override=((step, position),), head=inputs.head)
    flags_a, flags_b = changed_tokens(original.target_tokens, changed.target_tokens)
    left, right = common.columns(inputs, 2, len(original.source_tokens))
    with left:
        st.markdown(f"**{t('what_if.original')}**")
        st.markdown("→ " + (common.marked(original.target_tokens, flags_a) or "∅"))
        common.show_heatmap(original, t("what_if.original"), inputs, "wi_orig")
    with right:
        st.markdown(t("what_if.forced_onto", step=step, word=common.plain(original.source_tokens[position])))
        st.markdown("→ " + (common.marked(changed.target_tokens, flags_b) or "∅"))
        common.show_heatmap(changed, t("what_if.with_forced"), inputs, "wi_changed")
    st.caption(
        t("what_if.caption")
        + (t("what_if.caption_transformer") if original.heads is not None and original.heads.shape[1] > 1 else "")
    )
