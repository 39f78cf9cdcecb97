"""Soft vs hard: one model with soft attention next to a hard variant, each with the translation it produces."""

ICON = ":material/compare:"
ORDER = 20

import streamlit as st

from attnviz.evaluation import DECODINGS
from attnviz.normalizers import DEFAULT_NORMALIZER, NORMALIZERS
from attnviz.translator import changed_tokens
from attnviz.ui import common, state

HARD = {kind.name: kind for kind in NORMALIZERS.select(lambda kind: kind.hard)}


def trained_variants(name: str) -> list[str]:
    """``name`` and the loaded models that differ from it only in the normalizer they were trained with."""
    def without_normalizer(n: str) -> dict:
        config = state.translator(n).model.config.to_dict()
        config.pop("normalizer", None)
        return {"family": state.translator(n).info.family, **config}

    reference = without_normalizer(name)
    models = state.available_models()[0].get(state.translator(name).info.pair_name, [])
    variants = [n for n in models if without_normalizer(n) == reference]
    return sorted(variants, key=lambda n: list(NORMALIZERS.names()).index(state.translator(n).model.trained_normalizer))


def grid_cell(name: str, mode: str) -> str:
    """Markdown of one grid cell: the typed sentence decoded with ``mode``, then the card's BLEU and AER."""
    result = common.decode(name, inputs.sentence, "", 1, mode, head=inputs.head, **DECODINGS[mode])
    figures = state.translator(name).card.get("metrics", {}).get("decoding_grid", {}).get(mode)
    numbers = f"<br>BLEU {figures['bleu']:.1f} · AER {figures['aer']:.2f}" if figures else "<br>(not on its card)"
    return (common.plain(result.text) or "∅") + numbers


def resample():
    st.session_state["seed"] = (int(st.session_state.get("seed", 0)) + 1) % (state.SEED_MAX + 1)


inputs = state.inputs()
st.subheader("Soft vs hard attention")
if common.checked_sentence(inputs):
    name = common.model_picker(inputs.models, "sh_model")
    c1, c2, c3 = st.columns([2, 2, 3])
    if st.session_state.get("hard_mode") not in HARD:
        st.session_state["hard_mode"] = next(iter(HARD))
    mode = c1.radio("Hard attention", list(HARD), key="hard_mode", format_func=lambda m: HARD[m].display_name)
    kind = HARD[mode]
    if "k" in kind.parameters:
        c2.slider("k (positions kept)", 1, 6, key="k")
    if "seed" in kind.parameters:
        c2.number_input("seed", 0, state.SEED_MAX, key="seed")
        c2.button("Resample", on_click=resample)
    c3.select_slider(
        "Temperature τ (energies / τ before the softmax)",
        options=state.TEMPERATURES,
        key="temperature",
        help="τ → 0 approaches hard attention; a large τ flattens the weights. Applies to soft and sampled.",
    )
    tau, k, seed = st.session_state["temperature"], st.session_state["k"], st.session_state["seed"]
    soft_result = common.decode(name, inputs.sentence, inputs.forced, 1, DEFAULT_NORMALIZER, k, tau, head=inputs.head)
    hard_result = common.decode(name, inputs.sentence, inputs.forced, 1, mode, k, tau, seed, head=inputs.head)
    flags_soft, flags_hard = changed_tokens(soft_result.target_tokens, hard_result.target_tokens)
    settings = {"k": f"k = {k}", "seed": f"seed {seed}", "temperature": f"τ = {tau:g}"}
    heading = kind.display_name + "".join(f", {settings[p]}" for p in kind.parameters)
    left, right = common.columns(inputs, 2, len(soft_result.source_tokens))
    with left:
        st.markdown(f"**soft (softmax, τ = {tau:g})**")
        st.markdown("→ " + (common.marked(soft_result.target_tokens, flags_soft) or "∅"))
        common.show_heatmap(soft_result, f"soft, τ = {tau:g}", inputs, "soft")
    with right:
        st.markdown(f"**{heading}**")
        st.latex(kind.formula)
        st.markdown("→ " + (common.marked(hard_result.target_tokens, flags_hard) or "∅"))
        common.show_heatmap(hard_result, kind.display_name, inputs, "hard")
    if inputs.forced:
        st.caption("Both read the given French translation, so only the attention differs; clear it to see "
                   "how hard attention changes the translation itself.")
    elif soft_result.text == hard_result.text:
        st.caption("Same translation: the changed attention did not change the output this time.")
    else:
        st.caption("Highlighted: words where the two translations differ. The model was trained with soft "
                   "attention; hard attention feeds its decoder a context vector it never saw in training.")

    st.markdown("**Trained as × decoded as.** Rows: how the attention was trained; columns: how it is decoded "
                "(k = 2, sampling seed 0). Each cell: the typed sentence, then test BLEU and dev AER from the card.")
    variants = trained_variants(name)
    header = "| trained \\ decoded | " + " | ".join(NORMALIZERS.get(m).display_name for m in DECODINGS) + " |"
    rule = "|---" * (len(DECODINGS) + 1) + "|"
    rows = [f"| **{NORMALIZERS.get(state.translator(v).model.trained_normalizer).display_name}**"
            + ("<br>(hard, REINFORCE)" if state.translator(v).model.trained_normalizer == "sample" else "")
            + " | " + " | ".join(grid_cell(v, m) for m in DECODINGS) + " |" for v in variants]
    st.markdown("\n".join([header, rule, *rows]), unsafe_allow_html=True)
    st.caption("A model decoded the way it was trained is on the diagonal of its training; elsewhere its decoder "
               "reads context vectors it never saw in training. Top-k gives each kept word 1/k (the seed notes' "
               "weight 1 is k times that: the same words, a context k times longer) or renormalizes their "
               "softmax weights. "
               + ("Only this model is trained this way: the other rows appear when models trained with sparsemax, "
                  "1.5-entmax or sampled hard attention with the same scorer are in pretrained/."
                  if len(variants) == 1 else ""))
