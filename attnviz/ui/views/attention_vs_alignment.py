"""Attention vs alignment: two models' attention on one sentence beside eflomal's links, the words where
they disagree, and the AER against the gold alignment of the Hansards dev pairs."""

ICON = ":material/join_inner:"
ORDER = 22

import pandas as pd
import streamlit as st

from attnviz.alignment import alignment_error_rate, argmax_links
from attnviz.analysis import alignment_disagreements, attention_mass, reference_agreement
from attnviz.translator import InputError
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("Is attention an alignment?")
st.markdown(
    "A word **alignment** says which source words a target word translates. **Attention weights** say where "
    "the decoder read while writing it — nothing in training asks them to be an alignment (Jain & Wallace 2019). "
    "They often are close, but the decoder may park weight on `</s>` or on punctuation when the next word "
    "depends on no particular source word, spread it over the neighbours a GRU has already mixed into each "
    "annotation, or give one French word to one of the several English words it translates. **Guided "
    "alignment** (Chen et al. 2016) adds a loss that pulls the attention towards a statistical aligner's links; "
    "compare a model trained with it to its twin trained without."
)

guided = state.guided_models(inputs.pair)
candidates = list(dict.fromkeys([n for n in inputs.models if state.translator(n).info.maps] + guided))
if len(candidates) < 2:
    st.info("Choose at least two models with attention in the sidebar.")
    st.stop()
second = guided[0] if guided else candidates[1]
unguided = [n for n in candidates if n != second and n not in guided] or [candidates[0]]
# the guided model's twin: the same architecture trained without guidance, when it is among the candidates
twins = [n for n in unguided if state.translator(n).model.config == state.translator(second).model.config]
first = (twins or unguided)[0]
left, right = st.columns(2)
with left:
    name_a = common.model_picker(candidates, "al_a", "Model A", candidates.index(first))
with right:
    name_b = common.model_picker(candidates, "al_b", "Model B", candidates.index(second))
if not guided:
    st.caption("No guided model in pretrained/ yet: train one with `train --guided-lambda 1` (see the README's "
               "How to retrain).")

gold = state.gold_set()
pairs = len(gold.src) if gold else 0
options = list(range(pairs + 1))
if st.session_state.get("al_gold") not in options:
    st.session_state["al_gold"] = 0
chosen_pair = st.selectbox(
    "Sentence", options, key="al_gold",
    format_func=lambda k: "the sentence typed in the sidebar" if k == 0
    else f"Hansards dev pair {k} (with a gold alignment): {gold.src[k - 1][:60]}",
)

results = {}
try:
    if chosen_pair:
        results = {n: common.read_gold_pair(n, chosen_pair - 1) for n in (name_a, name_b)}
    elif common.checked_sentence(inputs):
        written = common.decode(name_a, inputs.sentence, inputs.forced)
        results = {name_a: written,
                   name_b: common.read_tokens(name_b, inputs.sentence, tuple(written.target_tokens))}
except InputError as err:
    st.warning(f"{err}")
if not results:
    st.stop()

shown = list(dict.fromkeys(results))  # A and B may be the same model
links = dict(zip(shown, common.eflomal_links([results[n] for n in shown])))
columns = common.columns(inputs, len(shown), len(results[name_a].source_tokens))
for column, name in zip(columns, shown):
    with column:
        st.markdown(f"**{common.plain(name)}** · {common.plain(common.label(name))}"
                    + (" · *guided*" if name in guided else ""))
        st.markdown("→ " + (common.plain(results[name].text) or "∅"))
        common.show_heatmap(results[name], name, inputs, f"al-{name}", links[name])
st.caption("Circles: eflomal's links for this pair (a statistical aligner, Östling & Tiedemann 2016); both "
           "models read the same target words." + (" The sentence is tokenized as in the gold file." if chosen_pair
                                                   else " B reads A's translation."))

reference = links[name_a]
rows = []
for name in shown:
    result = results[name]
    mass = attention_mass(result)
    row = {"model": name,
           "agreement with eflomal (1 − AER)": reference_agreement(result.attention, reference),
           "mean weight on </s>": mass["eos"], "mean weight on punctuation": mass["punctuation"]}
    if chosen_pair:
        scores = alignment_error_rate([argmax_links(result.attention)], [gold.gold[chosen_pair - 1]])
        row.update({"AER vs gold": scores.aer, "precision": scores.precision, "recall": scores.recall})
    rows.append(row)
if chosen_pair:
    eflomal = alignment_error_rate([set(reference)], [gold.gold[chosen_pair - 1]])
    rows.append({"model": "eflomal (reference)", "AER vs gold": eflomal.aer, "precision": eflomal.precision,
                 "recall": eflomal.recall})
st.markdown("**How close to an alignment**")
st.table(pd.DataFrame(rows).set_index("model").style.format(precision=2, na_rep="–"))  # text, legible at the back
st.caption("Each target word is linked to its most-attended source word (argmax; a word attending `</s>` most is "
           "left unlinked), as `evaluate` does on all 37 dev pairs."
           + (" The gold alignment's sure and possible links give AER (Och & Ney 2003; lower is better)."
              if chosen_pair else " Pick a Hansards dev pair to measure against a human gold alignment."))

st.markdown("**Where attention and alignment disagree**")
disagreements = alignment_disagreements({n: results[n] for n in shown}, reference)
if disagreements.empty:
    st.success("On this pair every target word's most-attended source word is one eflomal links it to.")
else:
    st.dataframe(disagreements, hide_index=True)
    st.caption(f"{len(disagreements)} of {len(results[name_a].target_tokens) - 1} target words: the most-attended "
               "source word (✗ where eflomal links the word elsewhere, or to nothing).")
