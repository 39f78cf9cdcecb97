"""Self-attention, step by step: the seed notes' parameter-free form beside a trained head, and multi-head arithmetic."""

ICON = ":material/hub:"
ORDER = 37
SECTION = "inside"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {
    "sa_model": ("sam", None),
    "sa_layer": ("sal", 1, "int"),
    "sa_head": ("sah", 1, "int"),
    "sa_query": ("saq", 0, "int"),
}

import numpy as np
import pandas as pd
import streamlit as st

from attnviz.presentation import self_attention as sa
from attnviz.ui import common, state
from attnviz.ui.i18n import t

inputs = state.inputs()
st.subheader(t("self_attention.heading"))


def worked_row(tokens: list[str], attention: sa.SelfAttention, row: int, product: str) -> pd.DataFrame:
    """One query row's numbers as a table: key word, dot product, scaled energy, weight."""
    numbers = sa.worked_row(attention, row)
    return pd.DataFrame(
        {
            t("self_attention.key_word"): tokens,
            product: numbers["product"],
            f"÷ √{attention.queries.shape[1]} = e_ij": numbers["energy"],
            "softmax α_ij": numbers["weight"],
        }
    )


@st.cache_data(max_entries=64, show_spinner=False)
def walkthrough(name: str, source_ids: tuple[int, ...], layer: int, head: int) -> sa.Walkthrough:
    """The numbers of ``layer`` and ``head`` of model ``name`` on a sentence (``self_attention.walkthrough``)."""
    return sa.walkthrough(state.translator(name), list(source_ids), layer, head)


if common.checked_sentence(inputs):
    transformers = common.walkable_models(inputs.models)
    if not transformers:
        st.info(t("self_attention.none"))
        st.stop()
    c1, c2, c3, c4 = st.columns([3, 1, 1, 2])
    with c1:
        name = common.model_picker(transformers, "sa_model")
    source = state.translator(name).source(inputs.sentence)
    tokens, (L, H) = source.display, sa.encoder_shape(state.translator(name))
    state.default("sa_layer", 1, range(1, L + 1))
    state.default("sa_head", 1, range(1, H + 1))
    state.default("sa_query", 0, range(len(tokens)))
    layer = c2.selectbox(t("self_attention.layer"), list(range(1, L + 1)), key="sa_layer") - 1
    head = c3.selectbox(t("self_attention.head"), list(range(1, H + 1)), key="sa_head") - 1
    row = c4.selectbox(
        t("self_attention.query"), list(range(len(tokens))), key="sa_query", format_func=lambda i: f"{i}: {tokens[i]}"
    )
    numbers = walkthrough(name, tuple(source.ids), layer, head)
    S, d = numbers.vectors.shape
    d_k = d // H
    st.markdown(
        t("self_attention.x", count=S, d=d, layer=layer + 1)
        + (t("self_attention.x_first") if layer == 0 else t("self_attention.x_later", layer=layer))
        + t("self_attention.x_row", row=row, word=common.plain(tokens[row]))
    )
    free, learned, combined = numbers.free, numbers.learned, numbers.combined
    left, right = common.columns(inputs, 2, S)
    with left:
        st.markdown(t("self_attention.free"))
        st.latex(r"Y = \mathrm{softmax}\!\left(\frac{X X^{\top}}{\sqrt{d}}\right) X")
        common.show_heatmap(
            common.with_weights_only(free.weights, tokens), t("self_attention.free_title"), inputs, "sa_free"
        )
        st.dataframe(worked_row(tokens, free, row, "x_i · x_j").style.format(precision=3), hide_index=True)
        st.caption(t("self_attention.free_caption"))
    with right:
        st.markdown(t("self_attention.learned", layer=layer + 1, head=head + 1))
        st.latex(
            rf"Q = X W_Q^{{({head + 1})}},\; K = X W_K^{{({head + 1})}},\; V = X W_V^{{({head + 1})}}"
            rf"\qquad \mathrm{{head}}_{{{head + 1}}} = \mathrm{{softmax}}\!\left(\frac{{Q K^{{\top}}}}{{\sqrt{{{d_k}}}}}\right) V"
        )
        common.show_heatmap(
            common.with_weights_only(learned.weights, tokens),
            state.heads_label(f"{layer + 1}.{head + 1}"),
            inputs,
            "sa_learned",
        )
        st.dataframe(worked_row(tokens, learned, row, "q_i · k_j").style.format(precision=3), hide_index=True)
        st.caption(t("self_attention.learned_caption", d=d, d_k=d_k))

    st.markdown(t("self_attention.multi", heads=H))
    st.latex(rf"\mathrm{{MultiHead}}(X) = \mathrm{{Concat}}(\mathrm{{head}}_1, \dots, \mathrm{{head}}_{{{H}}})\, W_O")
    common.show_head_grid(np.stack([h.weights for h in combined.heads])[None], tokens, tokens, inputs, "sa_heads")
    st.markdown(t("self_attention.shapes", S=S, d=d, H=H, d_k=d_k, concatenated=H * d_k))
    per_head = pd.DataFrame(
        [h.output[row, :4] for h in combined.heads],
        index=[t("self_attention.head_row", head=h + 1, first=h * d_k + 1, last=(h + 1) * d_k) for h in range(H)],
        columns=[t("self_attention.dim", k=k + 1) for k in range(4)],
    )
    st.dataframe(per_head.style.format(precision=3))
    picks = [h * d_k + k for h in range(H) for k in range(2)]
    after = pd.DataFrame(
        [combined.concatenated[row, picks], combined.output[row, picks]],
        index=[t("self_attention.concatenated"), "· W_O + b"],
        columns=[t("self_attention.column", k=p + 1) for p in picks],
    )
    st.dataframe(after.style.format(precision=3))
    st.caption(t("self_attention.caption", row=row, d_k=d_k, d=d))
