"""Soft vs hard: one model with soft attention next to a hard variant, each with the translation it produces."""

ICON = ":material/compare:"
ORDER = 20
SECTION = "comparing"
# widget key → (URL parameter, default, kind): a copied address reproduces the view
URL = {
    "sh_model": ("shm", None),
    "hard_mode": ("hard", "hard"),
    "k": ("k", 2, "int", {"range": (1, 6)}),
    "temperature": ("t", 1.0, "float"),
    "seed": ("seed", 0, "int", {"range": (0, 10_000)}),
}

import streamlit as st

from attnviz.attention.normalizers import DEFAULT_NORMALIZER, NORMALIZERS
from attnviz.inference.translator import changed_tokens
from attnviz.measurement.evaluation import DECODINGS
from attnviz.presentation.analysis import trained_variants
from attnviz.ui import common, state
from attnviz.ui.i18n import t

HARD = {kind.name: kind for kind in NORMALIZERS.select(lambda kind: kind.hard)}


def grid_cell(name: str, mode: str) -> str:
    """Markdown of one grid cell: the typed sentence decoded with ``mode``, then the card's BLEU and AER."""
    result = common.decode(name, inputs.sentence, "", 1, mode, head=inputs.head, **DECODINGS[mode])
    figures = (state.translator(name).metrics.decoding_grid or {}).get(mode)
    numbers = (
        f"<br>BLEU {figures['bleu']:.1f} · AER {figures['aer']:.2f}"
        if figures
        else f"<br>{t('soft_vs_hard.not_on_card')}"
    )
    return (common.plain(result.text) or "∅") + numbers


def resample():
    st.session_state["seed"] = (int(st.session_state.get("seed", 0)) + 1) % (state.bounds("seed")[1] + 1)


inputs = state.inputs()
st.subheader(t("soft_vs_hard.heading"))
if common.checked_sentence(inputs):
    name = common.model_picker(common.steerable_models(inputs.models), "sh_model")
    c1, c2, c3 = st.columns([2, 2, 3])
    if st.session_state.get("hard_mode") not in HARD:
        st.session_state["hard_mode"] = next(iter(HARD))
    mode = c1.radio(t("soft_vs_hard.hard"), list(HARD), key="hard_mode", format_func=lambda m: HARD[m].display_name)
    kind = HARD[mode]
    if "k" in kind.parameters:
        c2.slider(t("soft_vs_hard.k"), *state.bounds("k"), key="k")
    if "seed" in kind.parameters:
        c2.number_input(t("soft_vs_hard.seed"), *state.bounds("seed"), key="seed")
        c2.button(t("soft_vs_hard.resample"), on_click=resample)
    c3.select_slider(
        t("soft_vs_hard.temperature"),
        options=state.TEMPERATURES,
        key="temperature",
        help=t("soft_vs_hard.temperature_help"),
    )
    tau, k, seed = st.session_state["temperature"], st.session_state["k"], st.session_state["seed"]
    soft_result = common.decode(name, inputs.sentence, inputs.forced, 1, DEFAULT_NORMALIZER, k, tau, head=inputs.head)
    hard_result = common.decode(name, inputs.sentence, inputs.forced, 1, mode, k, tau, seed, head=inputs.head)
    flags_soft, flags_hard = changed_tokens(soft_result.target_tokens, hard_result.target_tokens)
    settings = {"k": f"k = {k}", "seed": t("soft_vs_hard.seed_value", seed=seed), "temperature": f"τ = {tau:g}"}
    heading = kind.display_name + "".join(f", {settings[p]}" for p in kind.parameters)
    left, right = common.columns(inputs, 2, len(soft_result.source_tokens))
    with left:
        st.markdown(t("soft_vs_hard.soft_heading", tau=f"{tau:g}"))
        st.markdown("→ " + (common.marked(soft_result.target_tokens, flags_soft) or "∅"))
        common.show_heatmap(soft_result, t("soft_vs_hard.soft_title", tau=f"{tau:g}"), inputs, "soft")
    with right:
        st.markdown(f"**{heading}**")
        st.latex(kind.formula)
        st.markdown("→ " + (common.marked(hard_result.target_tokens, flags_hard) or "∅"))
        common.show_heatmap(hard_result, kind.display_name, inputs, "hard")
    if inputs.forced:
        st.caption(t("soft_vs_hard.both_read"))
    elif soft_result.text == hard_result.text:
        st.caption(t("soft_vs_hard.same"))
    else:
        st.caption(t("soft_vs_hard.differ"))

    st.markdown(t("soft_vs_hard.grid"))
    pair_models = state.available_models()[0].get(state.translator(name).info.pair_name, [])
    variants = trained_variants(name, {n: state.translator(n) for n in pair_models}, list(NORMALIZERS.names()))
    header = (
        f"| {t('soft_vs_hard.trained_decoded')} | "
        + " | ".join(NORMALIZERS.get(m).display_name for m in DECODINGS)
        + " |"
    )
    rule = "|---" * (len(DECODINGS) + 1) + "|"
    rows = [
        f"| **{NORMALIZERS.get(state.translator(v).trained_normalizer).display_name}**"
        + (f"<br>{t('soft_vs_hard.reinforce')}" if state.translator(v).trained_normalizer == "sample" else "")
        + " | "
        + " | ".join(grid_cell(v, m) for m in DECODINGS)
        + " |"
        for v in variants
    ]
    st.markdown("\n".join([header, rule, *rows]), unsafe_allow_html=True)
    st.caption(t("soft_vs_hard.grid_caption") + (t("soft_vs_hard.one_row") if len(variants) == 1 else ""))
