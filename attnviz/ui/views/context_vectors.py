"""Context vectors: for every word the decoder writes, c_i = Σ_j α_ij h_j with the model's real weights,
written the seed notes' way ("C1 = 0.52·欢迎 + 0.31·来 + 0.17·北京"), beside the heatmap."""

ICON = ":material/functions:"
ORDER = 7

import streamlit as st

from attnviz.analysis import context_equation
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("A new context vector for every word")
st.markdown(
    "The seed notes explain attention with one example: translating 欢迎来北京 (\"welcome to Beijing\"), the "
    "decoder reads the source through a different mix of its words at each step — C1 = 0.5·欢迎 + 0.3·来 + "
    "0.2·北京 for the first English word, C2 = 0.3·欢迎 + 0.6·来 + 0.1·北京 for the second, and so on, where "
    "each source word stands for its annotation h_j. Here are those sums with a trained model's real weights "
    "for the typed sentence; each row of the heatmap is one of them."
)
if common.checked_sentence(inputs):
    readers = [n for n in inputs.models if state.translator(n).info.heads == 1]  # one context vector per step
    if not readers:
        st.info("Choose a GRU model in the sidebar: its decoder reads one context vector per word.")
        st.stop()
    name = common.model_picker(readers, "cv_model", "Model")
    with common.model_panel(name):
        result = common.decode(name, inputs.sentence, inputs.forced)
        st.markdown("→ " + (common.plain(result.text) or "∅"))
        left, right = st.columns([3, 2]) if not inputs.present else (st.container(), st.container())
        with left:
            common.show_heatmap(result, name, inputs, f"cv-{name}")
        with right:
            for step, word in enumerate(result.target_tokens):
                st.text(f"{word}:  {context_equation(result.source_tokens, result.attention[step], step)}")
        st.caption("Each source word stands for its annotation h_j (the encoder's state there); weights below "
                   "0.005 are summed at the end. The weights of a row add up to 1, so every C_i is a weighted "
                   "average of the annotations, a different one for each word.")
