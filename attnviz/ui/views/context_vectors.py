"""Context vectors: for every word the decoder writes, c_i = Σ_j α_ij h_j with the model's real weights,
written the seed notes' way ("C1 = 0.52·欢迎 + 0.31·来 + 0.17·北京"), beside the heatmap."""

ICON = ":material/functions:"
ORDER = 7
SECTION = "lesson"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"cv_model": ("cvm", None)}

import numpy as np
import streamlit as st

from attnviz.data.tatoeba import PAIRS
from attnviz.presentation.analysis import context_equation
from attnviz.ui import common, state
from attnviz.ui.i18n import t

COPIED = 0.5  # a word counts as copied when most of its probability came through the copy path

inputs = state.inputs()
st.subheader(t("context_vectors.heading"))
st.markdown(t("context_vectors.lesson"))
if common.checked_sentence(inputs):
    readers = [n for n in inputs.models if state.translator(n).info.heads == 1]  # one context vector per step
    if not readers:
        st.info(t("context_vectors.choose_gru"))
        st.stop()
    lesson = PAIRS[inputs.pair].lesson_model  # the pair's model for the seed example, when it is among them
    name = common.model_picker(readers, "cv_model", index=readers.index(lesson) if lesson in readers else None)
    with common.model_panel(name):
        result = common.decode(name, inputs.sentence, inputs.forced)
        st.markdown("→ " + (common.plain(result.text) or "∅"))
        left, right = st.columns([3, 2]) if not inputs.present else (st.container(), st.container())
        with left:
            common.show_heatmap(result, name, inputs, f"cv-{name}")
        with right:
            for step, word in enumerate(result.target_tokens):
                st.text(f"{word}:  {context_equation(result.source_tokens, result.attention[step], step)}")
        st.caption(t("context_vectors.caption"))
        if result.copied is not None:  # a lexicon pointer: say which words were copied rather than generated
            st.markdown(t("context_vectors.copy_lesson"))
            for step in np.flatnonzero(result.copied >= COPIED):
                looked_at = result.source_tokens[int(result.attention[step].argmax())]
                st.text(
                    t(
                        "context_vectors.copied",
                        word=result.target_tokens[step],
                        share=float(result.copied[step]),
                        source=looked_at,
                    )
                )
