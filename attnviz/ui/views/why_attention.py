"""Why attention: BLEU by source length with and without attention, and one fixed vector against a context vector per word."""

ICON = ":material/lightbulb:"
ORDER = 5

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.plots import bleu_by_length_figure, context_strips
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("Why attention? One vector for the whole sentence, or one per word")
st.markdown(
    "An encoder–decoder **without attention** squeezes the sentence into one fixed vector c and writes every "
    "word from it (Cho et al. 2014; Sutskever et al. 2014). The longer the sentence, the more c must hold. "
    "**With attention** the decoder builds a new context vector c_i = Σ_j α_ij h_j for each word it writes "
    "(Bahdanau, Cho & Bengio 2015). Their Figure 2 shows the first model's BLEU falling with sentence length "
    "and attention keeping it up; here is the same measurement on this project's models."
)
baselines = state.baseline_models(inputs.pair)
names = baselines + inputs.models
scores = {n: m["test_bleu_by_length"] for n in names
          if "test_bleu_by_length" in (m := state.translator(n).card.get("metrics", {}))}
if scores:
    st.plotly_chart(bleu_by_length_figure(scores, common.style(inputs)), key="bleu_length")
    first = next(iter(scores.values()))
    buckets = [k for k in first if k != "all"]
    table = pd.DataFrame([{"model": n, "all": s["all"]["bleu"], **{k: s[k]["bleu"] for k in buckets if k in s}}
                          for n, s in scores.items()])
    st.dataframe(table.style.format(precision=1), hide_index=True)
    st.caption("Test BLEU (sacrebleu, lowercased, multi-reference, greedy) of each model's own test split by "
               "source length in tokens; sentences per bucket: "
               + ", ".join(f"{k}: {first[k]['sentences']}" for k in buckets)
               + ". Tatoeba sentences are short, so the longest bucket holds few sentences and moves most.")
else:
    st.info("None of the chosen models' cards has BLEU by length yet: run `python -m attnviz evaluate "
            "--write-cards`.")
if not baselines:
    st.info("The attention-free baseline is not in pretrained/; train it with `python -m attnviz train "
            "--family bottleneck --out pretrained/en-fr-bottleneck`.")

if common.checked_sentence(inputs):
    readers = [n for n in inputs.models if state.translator(n).info.heads == 1]  # one context vector per step
    if not readers:
        st.info("Choose a GRU model with attention in the sidebar to see its context vectors.")
        st.stop()
    attentive = common.model_picker(readers, "why_model", "Model with attention")
    shown = ([baselines[0]] if baselines else []) + [attentive]
    results = {n: common.decode(n, inputs.sentence) for n in shown}
    vectors = {n: state.translator(n).model.context_vectors(r.source_ids, r.attention) for n, r in results.items()}
    limit = max(float(np.abs(v).max()) for v in vectors.values())
    for column, name in zip(common.columns(inputs, len(shown), 0), shown):
        with column:
            result = results[name]
            st.markdown(f"**{common.plain(common.label(name))}**")
            st.markdown("→ " + (common.plain(result.text) or "∅"))
            kind = ("the same fixed vector c at every word" if name in baselines
                    else "a new context vector c_i for every word")
            st.plotly_chart(context_strips(vectors[name], result.target_tokens, kind, common.style(inputs), limit),
                            key=f"strips-{name}")
    st.caption(f"Each row is what the decoder reads of the source while writing that word ({vectors[attentive].shape[1]} "
               "numbers, the first 40 usually tell the story). Without attention every row is identical; with it "
               "the rows change as attention moves along the sentence.")
