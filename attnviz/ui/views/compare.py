"""Compare: every chosen model on one sentence, heatmaps side by side, then the numbers."""

ICON = ":material/grid_view:"
ORDER = 10
SECTION = "comparing"
URL = {"compare_numbers": ("table", False, "bool"), "compare_pieces": ("pieces", False, "bool")}

import pandas as pd
import streamlit as st

from attnviz.presentation.analysis import attention_records, comparison_table, reference_agreement, results_json
from attnviz.ui import common, state
from attnviz.ui.i18n import t


def numbers_table(shown: dict, agreements: dict, first: str) -> None:
    """Entropy, eflomal agreement, argmax agreement with ``first`` and decode time, one row per model."""
    target = shown[first].target_tokens
    same_target = {}
    if len(target) > 1:  # the first model may have produced no words
        for name in shown:
            with common.model_panel(name):
                # the first model reading its own translation attends as it did when writing it
                same_target[name] = (
                    common.read_tokens(name, inputs.sentence, tuple(target), inputs.head)
                    if name != first and not inputs.forced.strip()
                    else shown[name]
                )
    st.caption(t("compare.numbers_caption", first=first))
    table = comparison_table(shown, agreements, same_target, first)
    table.columns = [
        t("about.model"),
        t("compare.translation"),
        t("compare.entropy"),
        t("compare.eflomal"),
        t("compare.argmax", first=first),
        t("compare.ms"),
    ]  # comparison_table's columns, in order
    st.dataframe(table, hide_index=True)


inputs = state.inputs()
st.subheader(t("compare.heading"))
if common.checked_sentence(inputs):
    results, shown = {}, {}
    common.decode_together(inputs.models, inputs.sentence, inputs.forced, inputs.beam, head=inputs.head)
    for name in inputs.models:
        with common.model_panel(name):
            results[name] = common.decode(name, inputs.sentence, inputs.forced, inputs.beam, head=inputs.head)
            shown[name] = common.chosen(results[name], inputs)
    if any(r.pieces is not None for r in shown.values()):  # a model that reads subword pieces (a Hugging Face one)
        if st.toggle(t("compare.pieces"), key="compare_pieces", help=t("compare.pieces_help")):
            shown = {name: r.pieces if r.pieces is not None else r for name, r in shown.items()}
    links = common.eflomal_links(shown) if inputs.overlay else {name: frozenset() for name in shown}
    # eflomal aligns words: pieces get no links
    links = {name: frozenset() if results[name].pieces is shown[name] else found for name, found in links.items()}
    agreements = {
        name: reference_agreement(r.attention, links[name], state.translator(name).link_reading)
        for name, r in shown.items()
    }
    length = max((len(r.source_tokens) for r in shown.values()), default=0)
    columns = common.columns(inputs, len(inputs.models), length)
    for index, name in enumerate(inputs.models):
        with columns[index % len(columns)]:
            st.markdown(f"**{common.plain(common.label(name))}**")
            if name not in shown:
                continue
            result = shown[name]
            st.markdown(
                "→ " + (common.plain(result.text) or t("compare.no_words")) + (t("compare.cut") if result.cut else "")
            )
            common.show_heatmap(result, name, inputs, f"heat-{name}", links[name])
            if agreements[name] is not None:
                st.caption(t("compare.agreement", value=agreements[name]))
            if results[name].alternatives:
                hypotheses = [results[name], *results[name].alternatives]
                with st.expander(t("compare.beam_hypotheses")):
                    st.dataframe(
                        pd.DataFrame(
                            {
                                t("compare.rank"): range(1, len(hypotheses) + 1),
                                t("compare.translation"): [h.text for h in hypotheses],
                                t("compare.score"): [h.score for h in hypotheses],
                            }
                        ),
                        hide_index=True,
                    )
    if shown:
        first = next(iter(shown))
        # folded by default: its forced decodes are a fifth of a page's server time, made only when opened
        with st.expander(t("compare.numbers"), key="compare_numbers", on_change="rerun") as numbers:
            if numbers.open:
                numbers_table(shown, agreements, first)
        left, right = st.columns(2)
        left.download_button(
            t("compare.download_csv"),
            lambda: attention_records(shown).to_csv(index=False),
            "attention.csv",
            "text/csv",
            on_click="ignore",
        )
        right.download_button(
            t("compare.download_json"),
            lambda: results_json(shown),
            "attention.json",
            "application/json",
            on_click="ignore",
        )
