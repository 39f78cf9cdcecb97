"""Training: how each model's attention on the demonstration sentence sharpened, epoch by epoch."""

ICON = ":material/timeline:"
ORDER = 60

import numpy as np
import streamlit as st

from attnviz.alignment import word_entropy
from attnviz.plots import attention_heatmap, classifier_curves, policy_curve, training_curves
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("Attention during training")
classifiers = {name: state.history(name) for name in state.classifier_models()}
classifiers = {name: history for name, history in classifiers.items() if history}
if classifiers:
    st.markdown("**Review classifiers** — self-attention pooling against multi-head pooling, epoch by epoch "
                "(IMDB, Maas et al. 2011).")
    left, right = st.columns(2)
    left.plotly_chart(classifier_curves(classifiers, "accuracy", common.style(inputs)), key="clf-accuracy")
    right.plotly_chart(classifier_curves(classifiers, "loss", common.style(inputs)), key="clf-loss")
histories = {}
for name in inputs.models:
    with common.model_panel(name):
        histories[name] = state.history(name)
histories = {k: v for k, v in histories.items() if v}
if not histories:
    st.info("No training history found for the chosen models.")
    st.stop()
demo = " ".join(next(iter(histories.values()))[0]["demo"]["source_tokens"][:-1])
st.markdown(f"Demonstration sentence: **{common.plain(demo)}** — its greedy translation after each epoch.")
longest = max(len(h) for h in histories.values())
state.default("epoch", longest, range(1, longest + 1))
epoch = st.slider("Epoch", 1, longest, key="epoch") if longest > 1 else 1
length = len(next(iter(histories.values()))[0]["demo"]["source_tokens"])
columns = common.columns(inputs, len(histories), length)
for index, (name, records) in enumerate(histories.items()):
    record = records[min(epoch, len(records)) - 1]
    weights = np.array(record["demo"]["attention"])
    with columns[index % len(columns)]:
        st.markdown(f"**{common.plain(common.label(name))}** — epoch {record['epoch']}, "
                    f"valid BLEU {record['valid_bleu']:.1f}")
        st.plotly_chart(
            attention_heatmap(
                weights,
                record["demo"]["source_tokens"],
                record["demo"]["target_tokens"],
                title=f"entropy {word_entropy(weights):.2f} nats",
                style=common.style(inputs, length),
            ),
            width="content",
            key=f"train-{name}",
        )
        st.plotly_chart(training_curves(records, style=common.style(inputs)), key=f"curve-{name}")
        if any("policy_curve" in r for r in records):
            st.markdown("Hard attention trained with REINFORCE: the reward, the variance of the advantages "
                        "and the entropy of the attention it samples from.")
            st.plotly_chart(policy_curve(records, style=common.style(inputs)), key=f"policy-{name}")
