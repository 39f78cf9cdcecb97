"""About: what the models are, how well they do, and where the data comes from."""

ICON = ":material/info:"
ORDER = 90
SECTION = "beyond"

import pandas as pd
import streamlit as st

from attnviz.attention.normalizers import NORMALIZERS
from attnviz.attention.scorers import SCORERS
from attnviz.ui import common, state
from attnviz.ui.i18n import t

inputs = state.inputs()
st.subheader(t("about.heading"))
st.markdown(t("about.intro"))
st.markdown(t("about.scorers"))
for scorer in SCORERS:
    st.markdown(f"- *{scorer.display_name}* ({scorer.source}):")
    st.latex(scorer.formula)
st.markdown(t("about.normalizers"))
for kind in NORMALIZERS:
    st.markdown(f"- *{kind.display_name}* ({kind.source}):")
    st.latex(kind.formula)
st.markdown(t("about.placement"))
rows, attributions = [], set()
for name in inputs.models:
    with common.model_panel(name):
        translator = state.translator(name)
        metrics, train = translator.metrics, translator.card.get("training", {})
        attributions.add(train.get("data_attribution"))
        rows.append(
            {
                t("about.model"): name,
                t("about.attention"): translator.describe(),
                t("about.bleu_greedy"): metrics.test_bleu_greedy,
                t("about.bleu_beam"): metrics.test_bleu_beam5,
                t("about.dev_aer"): metrics.dev_aer,
                t("about.entropy"): metrics.dev_entropy,
                t("about.epochs"): train.get("epochs_run"),
                t("about.cpu_minutes"): train.get("train_cpu_minutes"),
            }
        )
if rows:
    st.markdown(t("about.quality"))
    number = st.column_config.NumberColumn
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            t("about.bleu_greedy"): number(format="%.1f"),
            t("about.bleu_beam"): number(format="%.1f"),
            t("about.dev_aer"): number(format="%.3f"),
            t("about.entropy"): number(format="%.2f"),
            t("about.cpu_minutes"): number(format="%.0f"),
        },
    )
for attribution in sorted(a for a in attributions if a):
    st.markdown(t("about.data", attribution=common.plain(attribution)))
st.markdown(t("about.gold"))
