"""What if: force the attention at one step onto a chosen source word and re-decode from there."""

ICON = ":material/alt_route:"
ORDER = 40

import streamlit as st

from attnviz.translator import changed_tokens
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("What if it looked elsewhere?")
if common.checked_sentence(inputs):
    name = common.model_picker(inputs.models, "wi_model")
    original = common.decode(name, inputs.sentence, head=inputs.head)
    T = len(original.target_tokens)
    c1, c2 = st.columns(2)
    state.default("wi_step", 0, range(T))
    step = c1.slider("At decoder step", 0, max(T - 1, 0), key="wi_step") if T > 1 else 0
    looked_at = int(original.attention[step].argmax())
    c1.caption(f"originally emitting **{common.plain(original.target_tokens[step])}**, "
               f"mostly looking at **{common.plain(original.source_tokens[looked_at])}**")
    # Start on the word farthest from where the model looked, so the first view already shows a change.
    word_positions = [j for j, token in enumerate(original.source_tokens[:-1]) if any(ch.isalnum() for ch in token)]
    elsewhere = max((j for j in word_positions if j != looked_at), key=lambda j: abs(j - looked_at), default=looked_at)
    state.default("wi_source", elsewhere, range(len(original.source_tokens)))
    position = c2.selectbox(
        "look only at source word",
        list(range(len(original.source_tokens))),
        format_func=lambda j: f"{j}: {original.source_tokens[j]}",
        key="wi_source",
    )
    changed = common.decode(name, inputs.sentence, override=((step, position),), head=inputs.head)
    flags_a, flags_b = changed_tokens(original.target_tokens, changed.target_tokens)
    left, right = common.columns(inputs, 2, len(original.source_tokens))
    with left:
        st.markdown("**original**")
        st.markdown("→ " + (common.marked(original.target_tokens, flags_a) or "∅"))
        common.show_heatmap(original, "original", inputs, "wi_orig")
    with right:
        st.markdown(f"**step {step} forced onto “{common.plain(original.source_tokens[position])}”**")
        st.markdown("→ " + (common.marked(changed.target_tokens, flags_b) or "∅"))
        common.show_heatmap(changed, "with the forced step", inputs, "wi_changed")
    st.caption("The steps before i are unchanged; from step i on, the decoder continues greedily from the "
               "context vector of the chosen word."
               + (" In a Transformer, every layer's and head's cross-attention of step i is put on that word."
                  if original.heads is not None and original.heads.shape[1] > 1 else ""))
