"""Self-attention, step by step: the seed notes' parameter-free form beside a trained head, and multi-head arithmetic."""

ICON = ":material/hub:"
ORDER = 37

import numpy as np
import pandas as pd
import streamlit as st

from attnviz import self_attention as sa
from attnviz.plots import head_grid
from attnviz.ui import common, state

inputs = state.inputs()
st.subheader("Self-attention, step by step")


def worked_row(tokens: list[str], attention: sa.SelfAttention, row: int, product: str) -> pd.DataFrame:
    """The numbers of one query row: each key word, its dot product, the scaled energy and the weight."""
    d_k = attention.queries.shape[1]
    return pd.DataFrame({
        "key word j": tokens,
        product: attention.queries[row] @ attention.keys.T,
        f"÷ √{d_k} = e_ij": attention.energies[row],
        "softmax α_ij": attention.weights[row],
    })


@st.cache_data(max_entries=64, show_spinner=False)
def layer_inputs(name: str, source_ids: tuple[int, ...]) -> np.ndarray:
    """(L, S, d) what each encoder layer of model ``name`` reads."""
    return sa.encoder_inputs(state.translator(name).model, list(source_ids))


if common.checked_sentence(inputs):
    transformers = [n for n in inputs.models if "encoder_self" in state.translator(n).info.maps]
    if not transformers:
        st.info("This view needs a model with self-attention: choose a Transformer in the sidebar.")
        st.stop()
    c1, c2, c3, c4 = st.columns([3, 1, 1, 2])
    with c1:
        name = common.model_picker(transformers, "sa_model")
    model = state.translator(name).model
    source = state.translator(name).source(inputs.sentence)
    tokens, L, H = source.display, model.config.encoder_layers, model.config.heads
    state.default("sa_layer", 1, range(1, L + 1))
    state.default("sa_head", 1, range(1, H + 1))
    state.default("sa_query", 0, range(len(tokens)))
    layer = c2.selectbox("Encoder layer", list(range(1, L + 1)), key="sa_layer") - 1
    head = c3.selectbox("Head", list(range(1, H + 1)), key="sa_head") - 1
    row = c4.selectbox("Query word i", list(range(len(tokens))), key="sa_query",
                       format_func=lambda i: f"{i}: {tokens[i]}")
    X = layer_inputs(name, tuple(source.ids))[layer]
    S, d = X.shape
    d_k = d // H
    st.markdown(
        f"**X** holds the {S} vectors (d = {d}) that encoder layer {layer + 1} reads"
        + (": each word's embedding × √d plus its position, layer-normalized." if layer == 0
           else f": layer {layer}'s output, layer-normalized.")
        + f" In self-attention the queries, keys and values all come from X; row i = {row} "
          f"(**{common.plain(tokens[row])}**) is worked through below."
    )
    free, learned = sa.parameter_free(X), sa.learned_head(model, X, layer, head)
    left, right = common.columns(inputs, 2, S)
    with left:
        st.markdown("**Without parameters (the seed notes): q = k = v = x**")
        st.latex(r"Y = \mathrm{softmax}\!\left(\frac{X X^{\top}}{\sqrt{d}}\right) X")
        common.show_heatmap(common.with_weights_only(free.weights, tokens), "parameter-free", inputs, "sa_free")
        st.dataframe(worked_row(tokens, free, row, "x_i · x_j").style.format(precision=3), hide_index=True)
        st.caption("Every word is most similar to itself (x_i · x_i = ‖x_i‖² is large), so without "
                   "learned projections the weights sit on the diagonal and Y ≈ X.")
    with right:
        st.markdown(f"**Learned projections, layer {layer + 1} · head {head + 1}**")
        st.latex(rf"Q = X W_Q^{{({head + 1})}},\; K = X W_K^{{({head + 1})}},\; V = X W_V^{{({head + 1})}}"
                 rf"\qquad \mathrm{{head}}_{{{head + 1}}} = \mathrm{{softmax}}\!\left(\frac{{Q K^{{\top}}}}{{\sqrt{{{d_k}}}}}\right) V")
        common.show_heatmap(common.with_weights_only(learned.weights, tokens),
                            f"layer {layer + 1} · head {head + 1}", inputs, "sa_learned")
        st.dataframe(worked_row(tokens, learned, row, "q_i · k_j").style.format(precision=3), hide_index=True)
        st.caption(f"W_Q, W_K, W_V map d = {d} to d_k = {d_k}: the head compares what word i looks for with "
                   "what word j offers, no longer the words with themselves. These are the weights the model "
                   "uses (the Heads view shows the same map), recomputed here in float64.")

    st.markdown(f"**Multi-head: {H} heads side by side, concatenated, then W_O**")
    st.latex(r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1, \dots, \mathrm{head}_{%d})\, W_O" % H)
    combined = sa.multi_head(model, X, layer)
    st.plotly_chart(head_grid(np.stack([h.weights for h in combined.heads])[None], common.style(inputs)),
                    key="sa_heads")
    st.markdown(f"X ({S} × {d}) → {H} heads, each Q, K, V of {S} × {d_k} → {H} outputs of {S} × {d_k} → "
                f"concatenated {S} × {H * d_k} → · W_O ({d} × {d}) → {S} × {d}, added to X's residual stream.")
    per_head = pd.DataFrame(
        [h.output[row, :4] for h in combined.heads],
        index=[f"head {h + 1}: y_i, columns {h * d_k + 1}–{(h + 1) * d_k}" for h in range(H)],
        columns=[f"dim {k + 1}" for k in range(4)],
    )
    st.dataframe(per_head.style.format(precision=3))
    picks = [h * d_k + k for h in range(H) for k in range(2)]
    after = pd.DataFrame(
        [combined.concatenated[row, picks], combined.output[row, picks]],
        index=["concatenated", "· W_O + b"],
        columns=[f"col {p + 1}" for p in picks],
    )
    st.dataframe(after.style.format(precision=3))
    st.caption(f"Row i = {row}: the first numbers of each head's output, and where they land in the "
               f"concatenation (head h fills columns (h−1)·{d_k}+1 … h·{d_k}); W_O then mixes all {d} "
               "columns, so every output column draws on every head.")
