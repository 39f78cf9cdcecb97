"""Why attention: BLEU by source length with and without attention, and one fixed vector against a context vector per word."""

ICON = ":material/lightbulb:"
ORDER = 5
SECTION = "lesson"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"why_model": ("wm", None)}

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.presentation.plots import bleu_by_length_figure, context_strips
from attnviz.ui import common, state
from attnviz.ui.i18n import t

inputs = state.inputs()
st.subheader(t("why_attention.heading"))
st.markdown(t("why_attention.lesson"))
baselines = state.baseline_models(inputs.pair)
names = baselines + inputs.models
scores = {n: by_length for n in names if (by_length := state.translator(n).metrics.test_bleu_by_length)}
if scores:
    st.plotly_chart(bleu_by_length_figure(scores, common.style(inputs)), key="bleu_length")
    first = next(iter(scores.values()))
    buckets = [k for k in first if k != "all"]
    table = pd.DataFrame(
        [
            {
                t("why_attention.model"): n,
                t("why_attention.all"): s["all"]["bleu"],
                **{k: s[k]["bleu"] for k in buckets if k in s},
            }
            for n, s in scores.items()
        ]
    )
    st.dataframe(table.style.format(precision=1), hide_index=True)
    st.caption(t("why_attention.caption", buckets=", ".join(f"{k}: {first[k]['sentences']}" for k in buckets)))
else:
    st.info(t("why_attention.no_cards"))
if not baselines:
    st.info(t("why_attention.no_baseline", pair=inputs.pair))

if common.checked_sentence(inputs):
    readers = [n for n in inputs.models if state.translator(n).info.heads == 1]  # one context vector per step
    if not readers:
        st.info(t("why_attention.choose_gru"))
        st.stop()
    attentive = common.model_picker(readers, "why_model", t("why_attention.model_with_attention"))
    shown = ([baselines[0]] if baselines else []) + [attentive]
    results = {n: common.decode(n, inputs.sentence) for n in shown}
    vectors = {n: state.translator(n).context_vectors(r) for n, r in results.items()}
    limit = max(float(np.abs(v).max()) for v in vectors.values())
    for column, name in zip(common.columns(inputs, len(shown), 0), shown):
        with column:
            result = results[name]
            st.markdown(f"**{common.plain(common.label(name))}**")
            st.markdown("→ " + (common.plain(result.text) or "∅"))
            kind = t("why_attention.fixed") if name in baselines else t("why_attention.per_word")
            st.plotly_chart(
                context_strips(vectors[name], result.target_tokens, kind, common.style(inputs), limit),
                key=f"strips-{name}",
            )
    st.caption(t("why_attention.strips_caption", size=vectors[attentive].shape[1]))
