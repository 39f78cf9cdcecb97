"""Reviews: which words decide a movie review? Attention pooling of the IMDB classifiers over the running
text, and whether attention is an explanation (leave-one-out, gradient × input, deleting words)."""

ICON = ":material/reviews:"
ORDER = 65
SECTION = "beyond"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {
    "review": ("review", ""),
    # the first test review: the view opens on a real one; 20 of each label to choose from
    "review_pick": ("rpick", 1, "int", {"range": (0, 40)}),
    "review_k": ("rk", 0, "int", {"range": (0, 20)}),  # at most 20 most-attended words deleted
    "review_deleted": ("rdel", [], "list"),
    "review_model": ("rm", None),
}

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.inference.classifier import MAX_REVIEW_CHARS
from attnviz.inference.translator import InputError
from attnviz.presentation.faithfulness import importances, most_attended
from attnviz.ui import common, state
from attnviz.ui.i18n import bound, t

inputs = state.inputs()
st.subheader(t("reviews.heading"))
st.markdown(t("reviews.lesson"))
names = state.classifier_models()
if not names:
    st.info(t("reviews.no_models"))
    st.stop()

samples = state.sample_reviews()
options = list(range(len(samples) + 1))
state.default("review_pick", min(1, len(samples)), options)
pick = st.selectbox(
    t("reviews.review"),
    options,
    key="review_pick",
    format_func=lambda k, tr=bound(): (
        tr("reviews.type_or_paste")
        if k == 0
        else tr(
            "reviews.test_review",
            number=k,
            label=tr(f"reviews.label_{samples[k - 1].label}"),
            rating=samples[k - 1].rating,
            text=samples[k - 1].text[:70],
        )
    ),
)
if pick:
    text = samples[pick - 1].text
    st.caption(t("reviews.from_test", label=t(f"reviews.label_{samples[pick - 1].label}")))
else:
    text = st.text_area(
        t("reviews.yours"), key="review", max_chars=MAX_REVIEW_CHARS, height=150, placeholder=t("reviews.placeholder")
    )
if not text.strip():
    st.info(t("reviews.prompt"))
    st.stop()


verdicts = {}
for name in names:
    try:
        verdicts[name] = state.classifier(name).classify(text)
    except InputError as err:
        st.warning(f"{name}: {common.input_problem(err)}")
if not verdicts:
    st.stop()

for column, (name, verdict) in zip(st.columns(len(verdicts)), verdicts.items()):
    classifier = state.classifier(name)
    with column:
        positive = float(verdict.probabilities[-1])
        st.markdown(f"**{common.plain(name)}** · {common.plain(classifier.describe())}")
        st.metric(t("reviews.p_positive"), f"{positive:.1%}", help=t("reviews.p_positive_help"))
        common.show_pooling(name, verdict.tokens, verdict.attention, verdict.unknown, inputs, f"pool-{name}")
        if verdict.truncated:
            st.caption(t("reviews.truncated", read=len(verdict.tokens), cut=verdict.truncated))

st.markdown(t("reviews.explanation"))
st.markdown(t("reviews.explanation_lesson"))
state.default("review_model", names[0], names)
name = st.selectbox(t("reviews.classifier"), names, key="review_model") if len(names) > 1 else names[0]
if name not in verdicts:
    st.stop()
classifier, verdict = state.classifier(name), verdicts[name]
label = int(verdict.probabilities.argmax())
scores = importances(classifier, verdict, label)
rho = scores.correlations()
left, right = st.columns(2)
left.metric(t("reviews.rho_loo"), f"{rho['leave-one-out']:.2f}")
right.metric(t("reviews.rho_gradient"), f"{rho['gradient × input']:.2f}")
table = scores.table().sort_values("rank by attention").head(15)
columns = {"word": "word", "attention": "attention", "leave-one-out": "loo", "gradient × input": "gradient"}
table = table.rename(
    columns={
        **{c: t(f"reviews.column_{key}") for c, key in columns.items()},
        **{f"rank by {c}": t(f"reviews.rank_{key}") for c, key in columns.items()},
    }
)
st.dataframe(table.style.format(precision=4), hide_index=True)
st.caption(t("reviews.table_caption", label=t(f"reviews.label_{classifier.labels[label]}")))

st.markdown(t("reviews.what_if"))
most_deleted = state.bounds("review_k")[1]
state.default("review_k", 0, range(0, most_deleted + 1))
k = st.slider(t("reviews.delete_k"), 0, min(most_deleted, len(verdict.tokens) - 1), key="review_k")
positions = [str(j) for j in range(len(verdict.tokens))]
chosen = st.multiselect(
    t("reviews.or_these"),
    positions,
    key="review_deleted",
    format_func=lambda j: f"{verdict.tokens[int(j)]} ({int(j) + 1})",
)
deleted = most_attended(verdict, k) | {int(j) for j in chosen if j in positions}
if deleted:
    try:
        after = classifier.without_tokens(verdict.tokens, deleted)
    except InputError as err:
        st.warning(common.input_problem(err))
    else:
        before, now = float(verdict.probabilities[label]), float(after.probabilities[label])
        st.metric(
            t("reviews.without", label=t(f"reviews.label_{classifier.labels[label]}"), count=len(deleted)),
            f"{now:.1%}",
            delta=t("reviews.points", delta=(now - before) * 100),
        )
        st.caption(t("reviews.deleted", words=common.plain(", ".join(verdict.tokens[j] for j in sorted(deleted)))))
        if not chosen:  # the same number of words, chosen by leave-one-out instead of attention
            after_column = t("reviews.after")
            comparison = pd.DataFrame({t("reviews.deleted_column"): [t("reviews.by_attention"), t("reviews.by_loo")]})
            by_loo = set(np.argsort(-scores.leave_one_out, kind="stable")[: len(deleted)].tolist())
            comparison[after_column] = [
                now,
                float(classifier.without_tokens(verdict.tokens, by_loo).probabilities[label]),
            ]
            st.dataframe(comparison.style.format({after_column: "{:.1%}"}), hide_index=True)
