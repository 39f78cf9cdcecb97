"""Attention vs attribution: for each written word, where the model looked (attention) beside what mattered to
its output — gradient × input, integrated gradients and leave-one-out — with their rank correlation."""

ICON = ":material/troubleshoot:"
ORDER = 38
SECTION = "inside"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"at_model": ("atm", None)}

import numpy as np
import streamlit as st

from attnviz.inference.attribution import Attributions, magnitudes, rank_correlation
from attnviz.ui import common, state
from attnviz.ui.i18n import t


@st.cache_data(max_entries=64, show_spinner=False)
def attributions(name: str, sentence: str, forced: str) -> Attributions:
    """The attributions of model ``name``'s translation (or forced reading) of ``sentence``; cached across sessions."""
    return state.translator(name).attribution(common.decode(name, sentence, forced))


inputs = state.inputs()
st.subheader(t("attribution.heading"))
st.markdown(t("attribution.lesson"))
if common.checked_sentence(inputs):
    readers = [n for n in inputs.models if state.translator(n).info.maps]
    if not readers:
        st.info(t("attribution.none"))
        st.stop()
    name = common.model_picker(readers, "at_model")
    with common.model_panel(name):
        result = common.decode(name, inputs.sentence, inputs.forced)
        st.markdown("→ " + (common.plain(result.text) or "∅"))
        with st.spinner(t("attribution.computing")):
            found = attributions(name, inputs.sentence, inputs.forced)
        maps = {"attention": result.attention, **{m: magnitudes(found.of(m)) for m in found.methods}}
        titles = {
            "attention": t("attribution.attention"),
            **{
                m: t(
                    "attribution.titled",
                    method=t(f"attribution.{m}"),
                    rho=rank_correlation(result.attention, found.of(m)),
                )
                for m in found.methods
            },
        }
        kinds = list(maps)  # attention beside its norm-based reading, then the output attributions, two a row
        for row in (kinds[k : k + 2] for k in range(0, len(kinds), 2)):
            for column, kind in zip(common.columns(inputs, 2, len(result.source_tokens)), row):
                with column:
                    shown = common.with_weights(
                        result, np.asarray(maps[kind]), result.source_tokens, result.target_tokens
                    )
                    common.show_heatmap(shown, f"{name} · {titles[kind]}", inputs, f"at-{kind}")
        st.caption(t("attribution.caption"))
