"""Reviews: which words decide a movie review? Attention pooling of the IMDB classifiers over the running
text, and whether attention is an explanation (leave-one-out, gradient × input, deleting words)."""

ICON = ":material/reviews:"
ORDER = 65

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.classifier import MAX_REVIEW_CHARS
from attnviz.faithfulness import importances, most_attended
from attnviz.translator import InputError
from attnviz.ui import common, state

st.subheader("Which words decide a movie review?")
st.markdown(
    "A bidirectional GRU reads the review; an attention layer then pools its word states into one vector "
    "with learned weights, and the classifier reads only that vector. The weights are drawn on the text: the "
    "darker a word, the more the pooling read it. The seed notes compare one attention (self-attention "
    "pooling, scored vᵀtanh(W h_j)) with several heads in parallel (multi-head pooling)."
)
names = state.classifier_models()
if not names:
    st.info("No review classifier in pretrained/ yet: train them with `python -m attnviz train-classifier --all` "
            "(reads ../shared/data/imdb-acl).")
    st.stop()

samples = state.sample_reviews()
options = list(range(len(samples) + 1))
state.default("review_pick", 0, options)
pick = st.selectbox("Review", options, key="review_pick", format_func=lambda k: "type or paste a review" if k == 0
                    else f"test review {k} ({samples[k - 1].label}, {samples[k - 1].rating}/10): "
                         f"{samples[k - 1].text[:70]}…")
if pick:
    text = samples[pick - 1].text
    st.caption(f"From the IMDB test set (Maas et al. 2011); the reviewer's label: {samples[pick - 1].label}.")
else:
    text = st.text_area("Your review", key="review", max_chars=MAX_REVIEW_CHARS, height=150,
                        placeholder="The acting was wonderful but the plot made no sense …")
if not text.strip():
    st.info("Type or paste a review, or pick one of the test reviews.")
    st.stop()


verdicts = {}
for name in names:
    try:
        verdicts[name] = state.load_classifier(str(state.model_path(name))).classify(text)
    except InputError as err:
        st.warning(f"{name}: {err}")
if not verdicts:
    st.stop()

for column, (name, verdict) in zip(st.columns(len(verdicts)), verdicts.items()):
    classifier = state.load_classifier(str(state.model_path(name)))
    with column:
        positive = float(verdict.probabilities[-1])
        st.markdown(f"**{common.plain(name)}** · {common.plain(classifier.describe())}")
        st.metric("P(positive)", f"{positive:.1%}", help="the classifier's probability that the review is positive")
        heads = len(verdict.attention)
        weights = verdict.attention.mean(0)
        if heads > 1:
            choices = ["mean", *[str(h) for h in range(1, heads + 1)]]
            state.default("review_head", "mean", choices)
            shown = st.radio("Heads", choices, key="review_head", horizontal=True,
                             format_func=lambda c: "mean of the heads" if c == "mean" else f"head {c}")
            if shown != "mean":
                weights = verdict.attention[int(shown) - 1]
        st.html(common.highlighted_words(verdict.tokens, weights, verdict.unknown, state.presenting()))
        if verdict.truncated:
            st.caption(f"The model read the first {len(verdict.tokens)} tokens; {verdict.truncated} more were cut.")

st.markdown("**Is attention an explanation?**")
st.markdown(
    "Attention says where the pooling read, not why the classifier decided: the GRU has already mixed every "
    "word into its neighbours (Jain & Wallace 2019; Wiegreffe & Pinter 2019). Two other answers: "
    "**leave-one-out** (the change in P(predicted label) when the word is deleted) and **gradient × input** "
    "(how fast the logit moves as the word's embedding grows). If attention explained the decision, the three "
    "would rank the words alike."
)
state.default("review_model", names[0], names)
name = st.selectbox("Classifier", names, key="review_model") if len(names) > 1 else names[0]
if name not in verdicts:
    st.stop()
classifier, verdict = state.load_classifier(str(state.model_path(name))), verdicts[name]
label = int(verdict.probabilities.argmax())
scores = importances(classifier, verdict, label)
rho = scores.correlations()
left, right = st.columns(2)
left.metric("Spearman ρ, attention vs leave-one-out", f"{rho['leave-one-out']:.2f}")
right.metric("Spearman ρ, attention vs gradient × input", f"{rho['gradient × input']:.2f}")
table = scores.table().sort_values("rank by attention").head(15)
st.dataframe(table.style.format(precision=4), hide_index=True)
st.caption(f"The 15 most-attended words; importances for the predicted label ({classifier.labels[label]}); "
           "ranks by magnitude over all words of the review.")

st.markdown("**What if those words were not there?**")
state.default("review_k", 0, range(0, state.MAX_DELETED + 1))
k = st.slider("Delete the k most-attended words", 0, min(state.MAX_DELETED, len(verdict.tokens) - 1), key="review_k")
positions = [str(j) for j in range(len(verdict.tokens))]
chosen = st.multiselect("… or these words", positions, key="review_deleted",
                        format_func=lambda j: f"{verdict.tokens[int(j)]} ({int(j) + 1})")
deleted = most_attended(verdict, k) | {int(j) for j in chosen if j in positions}
if deleted:
    try:
        after = classifier.without_tokens(verdict.tokens, deleted)
    except InputError as err:
        st.warning(f"{err}")
    else:
        before, now = float(verdict.probabilities[label]), float(after.probabilities[label])
        st.metric(f"P({classifier.labels[label]}) without {len(deleted)} word(s)", f"{now:.1%}",
                  delta=f"{(now - before) * 100:+.1f} points")
        st.caption("Deleted: " + common.plain(", ".join(verdict.tokens[j] for j in sorted(deleted))))
        if not chosen:  # the same number of words, chosen by leave-one-out instead of attention
            comparison = pd.DataFrame({"deleted": ["the most-attended words", "the words leave-one-out ranks first"]})
            by_loo = set(np.argsort(-scores.leave_one_out, kind="stable")[: len(deleted)].tolist())
            comparison["P(predicted) after"] = [now, float(classifier.without_tokens(verdict.tokens, by_loo)
                                                        .probabilities[label])]
            st.dataframe(comparison.style.format({"P(predicted) after": "{:.1%}"}), hide_index=True)
