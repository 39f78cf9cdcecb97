"""About: what the models are, how well they do, and where the data comes from."""

ICON = ":material/info:"
ORDER = 90

import pandas as pd
import streamlit as st

from attnviz.normalizers import NORMALIZERS
from attnviz.scorers import SCORERS
from attnviz.ui import common, state

INTRO = """
**attnviz** shows where small neural translation models look while they translate — the *alignment*
figures of Bahdanau, Cho & Bengio (2015).

**The model.** An encoder reads the source words with a bidirectional GRU and produces one vector per word,
the *annotations* h₁…h_S (the keys and values of attention). A GRU decoder writes the translation one word at
a time. At step *i* it forms a *query* q_i and scores every source word: the *energies* e_ij = score(q_i, h_j).
A normalizer (the softmax) turns the energies into *attention weights* α_ij (one row of the heatmap, summing
to 1), and the *context vector* c_i = Σ_j α_ij h_j is what the decoder reads to choose the next word.
"""

PLACEMENT = """
**Query placement.** Bahdanau's decoder queries with its previous state s_{i−1}, before it has read the word it
just wrote. The conditional GRU of Nematus (Sennrich et al., 2017) first updates its state with that word, then
queries — which makes its attention closer to a word alignment (compare the dev AER of the two models below
that share a scorer and differ only in the placement).

**Reference.** eflomal (Östling & Tiedemann, 2016) is a statistical word aligner trained on the same corpus;
its links are drawn as red outlines around the cells.

**The Transformer** (Vaswani et al., 2017) has no recurrence: each layer's *self-attention* lets every word of a
sentence attend to every word of the same sentence (queries, keys and values all come from it, softmax(QKᵀ/√d_k)V),
in several *heads* at once, whose outputs are concatenated and mixed by W_O. Its decoder attends to the source
with the same mechanism (*cross-attention*) in every layer and head; the heatmaps show the head (or the mean of a
layer's heads) that agrees best with the gold alignment, named on its card. The Heads view shows all of them.
"""

inputs = state.inputs()
st.subheader("About")
st.markdown(INTRO)
st.markdown("**Scorers** — the only difference between most of the models:")
for scorer in SCORERS:
    st.markdown(f"- *{scorer.display_name}* ({scorer.source}):")
    st.latex(scorer.formula)
st.markdown("**Normalizers** — how energies become weights; the hard ones choose positions. The models were "
            "trained with the softmax; switching at translation time shows how much the output depends on it:")
for kind in NORMALIZERS:
    st.markdown(f"- *{kind.display_name}* ({kind.source}):")
    st.latex(kind.formula)
st.markdown(PLACEMENT)
rows, attributions = [], set()
for name in inputs.models:
    with common.model_panel(name):
        translator = state.translator(name)
        metrics, train = translator.card.get("metrics", {}), translator.card.get("training", {})
        attributions.add(train.get("data_attribution"))
        rows.append({
            "model": name,
            "attention": translator.describe(),
            "BLEU greedy": metrics.get("test_bleu_greedy"),
            "BLEU beam 5": metrics.get("test_bleu_beam5"),
            "dev AER": metrics.get("dev_aer"),
            "entropy (nats)": metrics.get("dev_entropy"),
            "epochs": train.get("epochs_run"),
            "CPU-minutes": train.get("train_cpu_minutes"),
        })
if rows:
    st.markdown("**Measured quality** (from each model's card: sacrebleu on held-out Tatoeba sentences, "
                "lowercased, multi-reference; AER — lower is better — and mean attention entropy on the 37 "
                "hand-aligned WPT03 Hansards sentences)")
    number = st.column_config.NumberColumn
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "BLEU greedy": number(format="%.1f"),
            "BLEU beam 5": number(format="%.1f"),
            "dev AER": number(format="%.3f"),
            "entropy (nats)": number(format="%.2f"),
            "CPU-minutes": number(format="%.0f"),
        },
    )
for attribution in sorted(a for a in attributions if a):
    st.markdown(f"**Data.** The models were trained on sentence pairs from the {common.plain(attribution)}.")
st.markdown("Alignment quality is measured on the English–French Hansards gold alignments of the HLT-NAACL 2003 "
            "word-alignment shared task (Mihalcea & Pedersen, 2003).")
