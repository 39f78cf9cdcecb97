"""Attention vs alignment: two models' attention on one sentence beside eflomal's links, the words where
they disagree, and the AER against the gold alignment of the Hansards dev pairs."""

ICON = ":material/join_inner:"
ORDER = 22
SECTION = "comparing"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"al_a": ("ala", None), "al_b": ("alb", None), "al_gold": ("gold", 0, "int")}

import pandas as pd
import streamlit as st

from attnviz.inference.translator import InputError
from attnviz.measurement.evaluation import GOLD_PAIR
from attnviz.presentation.analysis import alignment_disagreements, closeness, lesson_pair
from attnviz.ui import common, state
from attnviz.ui.i18n import bound, t

inputs = state.inputs()
st.subheader(t("attention_vs_alignment.heading"))
st.markdown(t("attention_vs_alignment.lesson"))

guided = state.guided_models(inputs.pair)
candidates = list(dict.fromkeys([n for n in inputs.models if state.translator(n).info.maps] + guided))
if len(candidates) < 2:
    st.info(t("attention_vs_alignment.two_models"))
    st.stop()
first, second = lesson_pair(candidates, guided, state.unguided_twin)
left, right = st.columns(2)
with left:
    name_a = common.model_picker(candidates, "al_a", t("difference.model_a"), candidates.index(first))
with right:
    name_b = common.model_picker(candidates, "al_b", t("difference.model_b"), candidates.index(second))
if not guided:
    st.caption(t("attention_vs_alignment.no_guided"))

gold = state.gold_set() if inputs.pair == GOLD_PAIR else None  # the gold alignments are of one pair
pairs = len(gold.src) if gold else 0
options = list(range(pairs + 1))
if st.session_state.get("al_gold") not in options:
    st.session_state["al_gold"] = 0
chosen_pair = st.selectbox(
    t("attention_vs_alignment.sentence"),
    options,
    key="al_gold",
    format_func=lambda k, tr=bound(): (
        tr("attention_vs_alignment.typed")
        if k == 0
        else tr("attention_vs_alignment.gold_pair", number=k, text=gold.src[k - 1][:60])
    ),
)

results = {}
try:
    if chosen_pair:
        results = {n: common.read_gold_pair(n, chosen_pair - 1) for n in (name_a, name_b)}
    elif common.checked_sentence(inputs):
        written = common.decode(name_a, inputs.sentence, inputs.forced)
        results = {name_a: written, name_b: common.read_tokens(name_b, inputs.sentence, tuple(written.target_tokens))}
except InputError as err:
    st.warning(common.input_problem(err))
if not results:
    st.stop()

if not common.same_source_tokens(results):
    st.stop()
shown = list(dict.fromkeys(results))  # A and B may be the same model
links = common.eflomal_links({n: results[n] for n in shown})
columns = common.columns(inputs, len(shown), len(results[name_a].source_tokens))
for column, name in zip(columns, shown):
    with column:
        st.markdown(
            f"**{common.plain(name)}** · {common.plain(common.label(name))}"
            + (t("attention_vs_alignment.guided") if name in guided else "")
        )
        st.markdown("→ " + (common.plain(results[name].text) or "∅"))
        common.show_heatmap(results[name], name, inputs, f"al-{name}", links[name])
st.caption(
    t("attention_vs_alignment.circles")
    + (t("attention_vs_alignment.gold_tokens") if chosen_pair else t("attention_vs_alignment.b_reads_a"))
)

reference = links[name_a]
pair_gold = gold.gold[chosen_pair - 1] if chosen_pair else None
figures = {name: closeness(results[name], state.translator(name), reference, pair_gold) for name in shown}
if pair_gold is not None:
    figures[t("attention_vs_alignment.eflomal")] = closeness(None, None, reference, pair_gold)
rows = [
    {t("why_attention.model"): name, **{t(f"attention_vs_alignment.{k}"): v for k, v in row.items()}}
    for name, row in figures.items()
]
st.markdown(t("attention_vs_alignment.how_close"))
st.table(
    pd.DataFrame(rows).set_index(t("why_attention.model")).style.format(precision=2, na_rep="–")
)  # legible at the back
st.caption(
    t("attention_vs_alignment.argmax")
    + (t("attention_vs_alignment.gold_aer") if chosen_pair else t("attention_vs_alignment.pick_gold"))
)

st.markdown(t("attention_vs_alignment.disagree"))
disagreements = alignment_disagreements({n: results[n] for n in shown}, reference)
if disagreements.empty:
    st.success(t("attention_vs_alignment.all_agree"))
else:
    st.dataframe(disagreements, hide_index=True)
    st.caption(
        t(
            "attention_vs_alignment.disagree_caption",
            count=len(disagreements),
            words=len(results[name_a].target_tokens) - 1,
        )
    )
