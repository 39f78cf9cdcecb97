"""Training: how each model's attention on the demonstration sentence sharpened, epoch by epoch."""

ICON = ":material/timeline:"
ORDER = 60
SECTION = "inside"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {"epoch": ("epoch", None, "int")}

import numpy as np
import streamlit as st

from attnviz.attention.alignment import word_entropy
from attnviz.presentation.drawing import Panel
from attnviz.presentation.plots import classifier_curves, policy_curve, training_curves
from attnviz.ui import common, state
from attnviz.ui.i18n import t

inputs = state.inputs()
st.subheader(t("training.heading"))
classifiers = {name: state.history(name) for name in state.classifier_models()}
classifiers = {name: history for name, history in classifiers.items() if history}
if classifiers:
    st.markdown(t("training.classifiers"))
    left, right = st.columns(2)
    left.plotly_chart(classifier_curves(classifiers, "accuracy", common.style(inputs)), key="clf-accuracy")
    right.plotly_chart(classifier_curves(classifiers, "loss", common.style(inputs)), key="clf-loss")
histories = {}
for name in inputs.models:
    with common.model_panel(name):
        histories[name] = state.history(name)
histories = {k: v for k, v in histories.items() if v}
if not histories:
    st.info(t("training.no_history"))
    st.stop()
demo = " ".join(next(iter(histories.values()))[0]["demo"]["source_tokens"][:-1])
st.markdown(t("training.demo", sentence=common.plain(demo)))
longest = max(len(h) for h in histories.values())
state.default("epoch", longest, range(1, longest + 1))
epoch = st.slider(t("training.epoch"), 1, longest, key="epoch") if longest > 1 else 1
length = len(next(iter(histories.values()))[0]["demo"]["source_tokens"])
columns = common.columns(inputs, len(histories), length)
for index, (name, records) in enumerate(histories.items()):
    record = records[min(epoch, len(records)) - 1]
    weights = np.array(record["demo"]["attention"])
    with columns[index % len(columns)]:
        st.markdown(
            t(
                "training.model_epoch",
                model=common.plain(common.label(name)),
                epoch=record["epoch"],
                bleu=record["valid_bleu"],
            )
        )
        common.show_panel(
            Panel(
                t("training.entropy", entropy=word_entropy(weights)),
                weights,
                record["demo"]["source_tokens"],
                record["demo"]["target_tokens"],
            ),
            inputs,
            f"train-{name}",
        )
        st.plotly_chart(training_curves(records, style=common.style(inputs)), key=f"curve-{name}")
        if any("policy_curve" in r for r in records):
            st.markdown(t("training.reinforce"))
            st.plotly_chart(policy_curve(records, style=common.style(inputs)), key=f"policy-{name}")
