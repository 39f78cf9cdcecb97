"""Step by step: the arithmetic of one decoder step — energies, softmax, context vector, one energy term by term."""

ICON = ":material/calculate:"
ORDER = 30
SECTION = "lesson"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {
    "sbs_model": ("sbsm", None),
    "sbs_step": ("step", 0, "int"),
    "sbs_source": ("j", None, "int"),
    "sbs_head": ("sbsh", None),
}

import functools

import pandas as pd
import streamlit as st

from attnviz.attention.normalizers import NORMALIZERS
from attnviz.presentation.analysis import best_single_head, context_terms, softmax_steps
from attnviz.presentation.drawing import Panel
from attnviz.ui import common, state
from attnviz.ui.i18n import bound, t

inputs = state.inputs()
st.subheader(t("step_by_step.heading"))
if common.checked_sentence(inputs):
    traceable = [n for n in inputs.models if state.translator(n).traceable]
    if not traceable:
        st.info(t("step_by_step.none"))
        st.stop()
    name = common.model_picker(traceable, "sbs_model")
    model = state.translator(name)
    layers, heads = model.attention_shape()
    head = (0, 0)
    if heads > 1:
        options = [f"{l}.{h}" for l in range(1, layers + 1) for h in range(1, heads + 1)]
        state.default("sbs_head", best_single_head(state.translator(name).metrics, options), options)
        choice = st.selectbox(
            t("step_by_step.head"),
            options,
            key="sbs_head",
            format_func=functools.partial(state.heads_label, tr=bound()),
            help=t("step_by_step.head_help"),
        )
        head = tuple(int(n) - 1 for n in choice.split("."))
    result = common.decode(name, inputs.sentence, inputs.forced)
    if result.pieces is not None:  # one step of a model that writes subword pieces is one piece
        result = result.pieces
        st.caption(t("step_by_step.pieces"))
    T = len(result.target_tokens)
    state.default("sbs_step", 0, range(T))
    step = st.slider(t("step_by_step.step"), 0, T - 1, format="%d", key="sbs_step") if T > 1 else 0
    emitted = common.plain(result.target_tokens[step])
    previous = (
        t("step_by_step.previous", word=common.plain(result.target_tokens[step - 1]))
        if step
        else t("step_by_step.first")
    )
    st.markdown(t("step_by_step.emits", step=step, word=emitted) + previous)
    trace = model.trace(result, step, head)
    scorer = model.scorer
    left, right = st.columns([3, 2])
    with left:
        st.latex(scorer.formula)
        st.caption(t("step_by_step.scorer", name=scorer.display_name, source=scorer.source))
        st.latex(NORMALIZERS.get(model.decoding_normalizer).formula)
        st.latex(model.context_formula)
        common.show_panel(
            Panel(
                t("step_by_step.step_title", step=step, word=emitted),
                trace.weights[None],
                result.source_tokens,
                [result.target_tokens[step]],
                trace.energies[None],
                source_unknown=result.source_unknown,
            ),
            inputs,
            "bars",
        )
    with right:
        table, total = softmax_steps(result.source_tokens, trace.energies, trace.weights)
        st.dataframe(table.style.format(precision=3), hide_index=True)
        st.caption(t("step_by_step.sum", total=total))
    state.default("sbs_source", int(trace.weights.argmax()), range(len(result.source_tokens)))
    source = st.selectbox(
        t("step_by_step.plug_in"),
        list(range(len(result.source_tokens))),
        format_func=lambda j: f"{j}: {result.source_tokens[j]}",
        key="sbs_source",
    )
    breakdown = model.scorer.breakdown(trace.query, trace.keys[source])
    st.latex(breakdown.equation)
    dims = len(next(iter(breakdown.columns.values())))
    terms = pd.DataFrame({k: v[:8] for k, v in breakdown.columns.items()})
    terms.index.name = "k"
    st.dataframe(terms.style.format(precision=3))
    st.caption(t("step_by_step.terms", dims=dims, energy=breakdown.energy, decoder=trace.energies[source]))
    st.latex(
        rf"c_{{{step}}} \approx {context_terms(trace.weights, symbol='v' if heads > 1 else 'h')} \quad(\text{{top 3 of }} {len(trace.weights)}\text{{ terms}})"
    )
    st.caption(
        t("step_by_step.context", dims=len(trace.context), values=", ".join(f"{v:.3f}" for v in trace.context[:8]))
        + (t("step_by_step.context_head", head=head[1] + 1, others=heads - 1) if heads > 1 else "")
    )
