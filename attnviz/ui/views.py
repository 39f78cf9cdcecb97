"""The explorer's views. Each takes the sidebar ``Inputs`` and draws one page section.

Computation lives in the package (translator, decoding, stepwise, alignment,
plots); these functions only lay it out.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import streamlit as st

from ..alignment import Gold, alignment_error_rate, argmax_agreement, argmax_links, word_entropy
from ..checkpoint import PRETRAINED
from ..data import ATTRIBUTION
from ..normalizers import Normalizer
from ..plots import attention_heatmap, difference_heatmap, training_curves, weights_bar
from ..stepwise import CONTEXT, FORMULAS, SOFTMAX, energy_breakdown, trace_step
from ..tokenization import MAX_TOKENS
from ..train import HISTORY_FILE
from ..translator import EOS_TOKEN, InputError, Translation, changed_tokens, language_warning
from .state import TEMPERATURES, Inputs, reference_links, translator

PLACEMENT_NAMES = {"conditional": "conditional GRU (Nematus)", "previous": "previous state (Bahdanau)"}
SCORER_NAMES = {"dot": "dot", "scaled_dot": "scaled dot", "general": "general (bilinear)", "additive": "additive (concat)"}
HARD_MODES = {"hard": "hard (argmax)", "topk": "top-k", "sample": "sampled"}


def label(name: str) -> str:
    """'additive · conditional GRU (Nematus)' for a model name."""
    config = translator(name).model.config
    return f"{SCORER_NAMES[config.scorer]} · {PLACEMENT_NAMES[config.placement]}"


@st.cache_data(max_entries=512, show_spinner=False)
def decode(
    name: str,
    sentence: str,
    forced: str = "",
    beam: int = 1,
    mode: str = "soft",
    k: int = 2,
    temperature: float = 1.0,
    seed: int = 0,
    override: tuple[tuple[int, int], ...] = (),
) -> Translation:
    """Translate (or force-decode ``forced``) with one model; cached per argument set.

    Raises:
        InputError: empty or over-long sentence or translation.
    """
    normalizer = Normalizer(mode, k=k, temperature=temperature, seed=seed)
    model = translator(name)
    if forced.strip():
        return model.force(sentence, forced, normalizer)
    return model.translate(sentence, normalizer, beam=beam, override=dict(override) or None)


def checked_sentence(inputs: Inputs) -> bool:
    """Show the prompt / error / language note for the input; True when it can be decoded."""
    if not inputs.sentence.strip():
        st.info("Type an English sentence in the sidebar, or pick one of the class examples.")
        return False
    if not inputs.models:
        st.info("Choose at least one model in the sidebar.")
        return False
    model = translator(inputs.models[0])
    try:
        tokens = model.source(inputs.sentence)
        if inputs.forced.strip():
            model.target(inputs.forced)
    except InputError as err:
        st.error(f"{str(err)[0].upper()}{str(err)[1:]}. Please shorten it (the models handle up to {MAX_TOKENS} tokens).")
        return False
    warning = language_warning(inputs.sentence, tokens)
    if warning:
        st.warning(warning)
    if any(tokens.unknown):
        unknown = [w for w, u in zip(tokens.display, tokens.unknown) if u]
        st.caption(f"Unknown to the models (read as `<unk>`, shown in red): {', '.join(unknown)}")
    return True


def words(tokens: list[str]) -> list[str]:
    """Tokens without the end-of-sentence marker, lowercased (eflomal's view)."""
    return [t.lower() for t in tokens if t != EOS_TOKEN]


def eflomal_links(results: list[Translation]) -> tuple[frozenset, ...]:
    """eflomal's links for each translation's word pair (no ``</s>``), aligned together."""
    return reference_links(tuple((tuple(words(r.source_tokens)), tuple(words(r.target_tokens))) for r in results))


def eflomal_agreement(result: Translation, links: frozenset) -> float | None:
    """1 − AER of the attention's argmax links against eflomal's links taken as sure."""
    if not links:
        return None
    scores = alignment_error_rate([argmax_links(result.attention)], [Gold(set(links), set(links))])
    return 1.0 - scores.aer


def heatmap(result: Translation, title: str, inputs: Inputs, links: frozenset | None = None):
    """The standard heatmap of a translation with the sidebar's style options."""
    return attention_heatmap(
        result.attention,
        result.source_tokens,
        result.target_tokens,
        result.energies,
        title=title,
        paper_style=inputs.paper,
        links=set(links) if links and inputs.overlay else None,
        source_unknown=result.source_unknown,
        target_unknown=result.target_unknown,
    )


def marked(tokens: list[str], flags: list[bool]) -> str:
    """Markdown of a token list with changed tokens highlighted."""
    return " ".join(f":orange-background[**{t}**]" if f else t for t, f in zip(tokens, flags) if t != EOS_TOKEN)


def chosen(result: Translation, inputs: Inputs) -> Translation:
    """The beam hypothesis the sidebar asks for (the best when it does not exist)."""
    hypotheses = [result, *result.alternatives]
    return hypotheses[min(inputs.hypothesis, len(hypotheses) - 1)]


def compare(inputs: Inputs) -> None:
    """Every chosen model on the same sentence: heatmaps side by side, then the numbers."""
    st.subheader("Where does each model look?")
    if not checked_sentence(inputs):
        return
    results = {name: decode(name, inputs.sentence, inputs.forced, inputs.beam) for name in inputs.models}
    shown = {name: chosen(r, inputs) for name, r in results.items()}
    first = inputs.models[0]
    common_target = inputs.forced or shown[first].text
    rows, columns = [], st.columns(min(len(inputs.models), 2))
    all_links = eflomal_links(list(shown.values())) if inputs.overlay else [frozenset()] * len(shown)
    for index, ((name, result), links) in enumerate(zip(shown.items(), all_links)):
        agreement = eflomal_agreement(result, links)
        with columns[index % len(columns)]:
            st.markdown(f"**{label(name)}**")
            st.markdown(f"→ {result.text or '∅ (no words)'}")
            st.plotly_chart(heatmap(result, name, inputs, links), width="content", key=f"heat-{name}")
            if agreement is not None:
                st.caption(f"Agreement with eflomal (1 − AER): {agreement:.2f}")
            if results[name].alternatives:
                hypotheses = [results[name], *results[name].alternatives]
                with st.expander("beam hypotheses"):
                    st.dataframe(
                        pd.DataFrame(
                            {
                                "rank": range(1, len(hypotheses) + 1),
                                "translation": [h.text for h in hypotheses],
                                "score (mean log p)": [h.score for h in hypotheses],
                            }
                        ),
                        hide_index=True,
                    )
        agreement_with_first = None
        if common_target.strip():  # the first model may have produced no words
            own, reference = decode(name, inputs.sentence, common_target), decode(first, inputs.sentence, common_target)
            agreement_with_first = argmax_agreement(own.attention, reference.attention)
        rows.append(
            {
                "model": name,
                "translation": result.text,
                "mean entropy (nats)": word_entropy(result.attention),
                "eflomal agreement": agreement,
                f"argmax agreement with {first}": agreement_with_first,
                "decode ms": result.ms,
            }
        )
    st.markdown("**Numbers**")
    st.caption(
        f"Entropy: mean over target words of −Σ α log α (0 = one-hot). Agreement with {first}: fraction of "
        f"target words whose most-attended source word is the same, both models reading “{common_target}”."
    )
    st.dataframe(pd.DataFrame(rows), hide_index=True)
    downloads(shown)


def downloads(results: dict[str, Translation]) -> None:
    """CSV (one row per cell) and JSON downloads of the shown matrices."""
    records = []
    for name, r in results.items():
        for i, target in enumerate(r.target_tokens):
            for j, source in enumerate(r.source_tokens):
                records.append(
                    {
                        "model": name,
                        "target_index": i,
                        "target": target,
                        "source_index": j,
                        "source": source,
                        "weight": float(r.attention[i, j]),
                        "energy": float(r.energies[i, j]),
                    }
                )
    left, right = st.columns(2)
    left.download_button(
        "Download matrices (CSV)", pd.DataFrame(records).to_csv(index=False), "attention.csv", "text/csv"
    )
    right.download_button(
        "Download matrices (JSON)",
        json.dumps({name: r.to_json() for name, r in results.items()}, ensure_ascii=False),
        "attention.json",
        "application/json",
    )


def model_picker(inputs: Inputs, key: str, text: str = "Model", index: int | None = None) -> str:
    """A selectbox over the chosen models (defaults to the additive/conditional one when present)."""
    options = inputs.models
    if index is None:
        index = options.index("en-fr-additive") if "en-fr-additive" in options else 0
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[min(index, len(options) - 1)]
    return st.selectbox(text, options, key=key, format_func=lambda n: f"{n} — {label(n)}")


def _resample():
    st.session_state["seed"] = int(st.session_state.get("seed", 0)) + 1


def soft_vs_hard(inputs: Inputs) -> None:
    """One model, soft attention next to a hard variant, each with the translation it produces."""
    st.subheader("Soft vs hard attention")
    if not checked_sentence(inputs):
        return
    name = model_picker(inputs, "sh_model")
    c1, c2, c3 = st.columns([2, 2, 3])
    if st.session_state.get("hard_mode") not in HARD_MODES:
        st.session_state["hard_mode"] = "hard"
    mode = c1.radio("Hard attention", list(HARD_MODES), key="hard_mode", format_func=HARD_MODES.get)
    if mode == "topk":
        c2.slider("k (positions kept)", 1, 6, key="k")
    if mode == "sample":
        c2.number_input("seed", 0, 10_000, key="seed")
        c2.button("Resample", on_click=_resample)
    c3.select_slider(
        "Temperature τ (energies / τ before the softmax)",
        options=TEMPERATURES,
        key="temperature",
        help="τ → 0 approaches hard attention; a large τ flattens the weights. Applies to soft and sampled.",
    )
    tau, k, seed = st.session_state["temperature"], st.session_state["k"], st.session_state["seed"]
    soft_result = decode(name, inputs.sentence, inputs.forced, 1, "soft", k, tau)
    hard_result = decode(name, inputs.sentence, inputs.forced, 1, mode, k, tau, seed)
    flags_soft, flags_hard = changed_tokens(soft_result.target_tokens, hard_result.target_tokens)
    left, right = st.columns(2)
    with left:
        st.markdown(f"**soft (softmax, τ = {tau:g})**")
        st.markdown("→ " + (marked(soft_result.target_tokens, flags_soft) or "∅"))
        st.plotly_chart(heatmap(soft_result, f"soft, τ = {tau:g}", inputs), width="content", key="soft")
    with right:
        heading = {"hard": "hard (argmax)", "topk": f"top-{k}", "sample": f"sampled (seed {seed}, τ = {tau:g})"}[mode]
        st.markdown(f"**{heading}**")
        st.markdown("→ " + (marked(hard_result.target_tokens, flags_hard) or "∅"))
        st.plotly_chart(heatmap(hard_result, HARD_MODES[mode], inputs), width="content", key="hard")
    if inputs.forced:
        st.caption("Both read the given French translation, so only the attention differs; clear it to see "
                   "how hard attention changes the translation itself.")
    elif soft_result.text == hard_result.text:
        st.caption("Same translation: the changed attention did not change the output this time.")
    else:
        st.caption("Highlighted: words where the two translations differ. The model was trained with soft "
                   "attention; hard attention feeds its decoder a context vector it never saw in training.")


def step_by_step(inputs: Inputs) -> None:
    """The arithmetic of one decoder step: energies, softmax, context vector, one energy term by term."""
    st.subheader("One decoder step, by the numbers")
    if not checked_sentence(inputs):
        return
    name = model_picker(inputs, "sbs_model")
    model = translator(name)
    result = decode(name, inputs.sentence, inputs.forced)
    T = len(result.target_tokens)
    step = st.slider("Decoder step i", 0, T - 1, 0, format="%d", key="sbs_step") if T > 1 else 0
    st.markdown(f"Step **i = {step}**: the model emits **{result.target_tokens[step]}**"
                + (f", having just emitted *{result.target_tokens[step - 1]}*." if step else " (the first word)."))
    trace = trace_step(model.model, result.source_ids, result.target_ids, step, Normalizer())
    scorer = model.model.config.scorer
    left, right = st.columns([3, 2])
    with left:
        st.latex(FORMULAS[scorer])
        st.latex(SOFTMAX)
        st.latex(CONTEXT)
        st.plotly_chart(
            weights_bar(result.source_tokens, trace.energies, trace.weights, int(trace.weights.argmax())), key="bars"
        )
    with right:
        exp = np.exp(trace.energies - trace.energies.max())
        st.dataframe(
            pd.DataFrame(
                {
                    "source word": result.source_tokens,
                    "energy e_ij": trace.energies,
                    "exp(e_ij − max)": exp,
                    "weight α_ij": trace.weights,
                }
            ).style.format(precision=3),
            hide_index=True,
        )
        st.caption(f"Σ exp = {exp.sum():.3f}; each weight is its exp divided by that sum.")
    source = st.selectbox(
        "Plug in the numbers for source word j",
        list(range(len(result.source_tokens))),
        index=int(trace.weights.argmax()),
        format_func=lambda j: f"{j}: {result.source_tokens[j]}",
        key="sbs_source",
    )
    breakdown = energy_breakdown(model.model.scorer, trace.query, trace.keys[source])
    st.latex(breakdown.equation)
    dims = len(next(iter(breakdown.columns.values())))
    table = pd.DataFrame({k: v[:8] for k, v in breakdown.columns.items()})
    table.index.name = "k"
    st.dataframe(table.style.format(precision=3))
    st.caption(f"The first 8 of {dims} dimensions; the last column summed over all {dims} gives the energy "
               f"(recomputed: {breakdown.energy:.3f}, decoder's: {trace.energies[source]:.3f}).")
    top = np.argsort(-trace.weights)[:3]
    terms = " + ".join(f"{trace.weights[j]:.2f}\\,h_{{{j}}}" for j in top)
    st.latex(rf"c_{{{step}}} \approx {terms} \quad(\text{{top 3 of }} {len(trace.weights)}\text{{ terms}})")
    st.caption("Context vector, first 8 of " + f"{len(trace.context)} dimensions: "
               + ", ".join(f"{v:.3f}" for v in trace.context[:8]))


def what_if(inputs: Inputs) -> None:
    """Force the attention at one step onto a chosen source word and re-decode from there."""
    st.subheader("What if it looked elsewhere?")
    if not checked_sentence(inputs):
        return
    name = model_picker(inputs, "wi_model")
    original = decode(name, inputs.sentence)
    T = len(original.target_tokens)
    c1, c2 = st.columns(2)
    step = c1.slider("At decoder step", 0, max(T - 1, 0), 0, key="wi_step") if T > 1 else 0
    looked_at = int(original.attention[step].argmax())
    c1.caption(f"originally emitting **{original.target_tokens[step]}**, "
               f"mostly looking at **{original.source_tokens[looked_at]}**")
    # Start on the word farthest from where the model looked, so the first view already shows a change.
    word_positions = [j for j, token in enumerate(original.source_tokens[:-1]) if any(ch.isalnum() for ch in token)]
    elsewhere = max((j for j in word_positions if j != looked_at), key=lambda j: abs(j - looked_at), default=looked_at)
    position = c2.selectbox(
        "look only at source word",
        list(range(len(original.source_tokens))),
        index=elsewhere,
        format_func=lambda j: f"{j}: {original.source_tokens[j]}",
        key="wi_source",
    )
    changed = decode(name, inputs.sentence, override=((step, position),))
    flags_a, flags_b = changed_tokens(original.target_tokens, changed.target_tokens)
    left, right = st.columns(2)
    with left:
        st.markdown("**original**")
        st.markdown("→ " + (marked(original.target_tokens, flags_a) or "∅"))
        st.plotly_chart(heatmap(original, "original", inputs), width="content", key="wi_orig")
    with right:
        st.markdown(f"**step {step} forced onto “{original.source_tokens[position]}”**")
        st.markdown("→ " + (marked(changed.target_tokens, flags_b) or "∅"))
        st.plotly_chart(heatmap(changed, "with the forced step", inputs), width="content", key="wi_changed")
    st.caption("The steps before i are unchanged; from step i on, the decoder continues greedily from the "
               "context vector of the chosen word.")


def difference(inputs: Inputs) -> None:
    """A − B heatmap of two models reading the same translation."""
    st.subheader("Difference between two models")
    if not checked_sentence(inputs):
        return
    if len(inputs.models) < 2:
        st.info("Choose at least two models in the sidebar.")
        return
    c1, c2 = st.columns(2)
    with c1:
        a = model_picker(inputs, "diff_a", "Model A", 0)
    with c2:
        b = model_picker(inputs, "diff_b", "Model B", 1)
    target = inputs.forced or decode(a, inputs.sentence).text
    if not target:
        st.info(f"{a} produced no words for this sentence; give a French translation in the sidebar.")
        return
    ra, rb = decode(a, inputs.sentence, target), decode(b, inputs.sentence, target)
    st.markdown(f"Both models read: **{target}**" + ("" if inputs.forced else f" (the translation of {a})"))
    st.plotly_chart(
        difference_heatmap(ra.attention - rb.attention, ra.source_tokens, ra.target_tokens, f"{a} − {b}"),
        width="content",
        key="diff",
    )
    st.caption(f"Red: A attends more; blue: B attends more. Argmax agreement: "
               f"{argmax_agreement(ra.attention, rb.attention):.2f}.")


@st.cache_data(show_spinner=False)
def history(name: str) -> list[dict]:
    """A model's training history (per-epoch metrics and demonstration attention), or []."""
    path = PRETRAINED / name / HISTORY_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []


def training(inputs: Inputs) -> None:
    """How each model's attention on the demonstration sentence sharpened over the epochs."""
    st.subheader("Attention during training")
    histories = {name: history(name) for name in inputs.models}
    histories = {k: v for k, v in histories.items() if v}
    if not histories:
        st.info("No training history found for the chosen models.")
        return
    demo = " ".join(next(iter(histories.values()))[0]["demo"]["source_tokens"][:-1])
    st.markdown(f"Demonstration sentence: **{demo}** — its greedy translation after each epoch.")
    longest = max(len(h) for h in histories.values())
    epoch = st.slider("Epoch", 1, longest, longest, key="epoch") if longest > 1 else 1
    columns = st.columns(min(len(histories), 2))
    for index, (name, records) in enumerate(histories.items()):
        record = records[min(epoch, len(records)) - 1]
        weights = np.array(record["demo"]["attention"])
        with columns[index % len(columns)]:
            st.markdown(f"**{label(name)}** — epoch {record['epoch']}, valid BLEU {record['valid_bleu']:.1f}")
            st.plotly_chart(
                attention_heatmap(
                    weights,
                    record["demo"]["source_tokens"],
                    record["demo"]["target_tokens"],
                    title=f"entropy {word_entropy(weights):.2f} nats",
                    paper_style=inputs.paper,
                ),
                width="content",
                key=f"train-{name}",
            )
            st.plotly_chart(training_curves(records), key=f"curve-{name}")


ABOUT = """
**attnviz** shows where small neural translation models look while they translate English into French —
the *alignment* figures of Bahdanau, Cho & Bengio (2015).

**The model.** An encoder reads the English words with a bidirectional GRU and produces one vector per word,
the *annotations* h₁…h_S (the keys and values of attention). A GRU decoder writes French one word at a time.
At step *i* it forms a *query* q_i and scores every source word: the *energies* e_ij = score(q_i, h_j).
A softmax turns the energies into *attention weights* α_ij (one row of the heatmap, summing to 1), and the
*context vector* c_i = Σ_j α_ij h_j is what the decoder reads to choose the next word.

**Scorers** — the only difference between four of the models:
- *dot*: qᵀh — no parameters; query and key sizes must match;
- *scaled dot*: qᵀh / √d — the dot product kept at unit scale (Vaswani et al., 2017);
- *general* (bilinear): qᵀWh (Luong et al., 2015);
- *additive* (concat): vᵀ tanh(W_q q + W_k h) — a small neural network (Bahdanau et al., 2015).

**Query placement.** Bahdanau's decoder queries with its previous state s_{i−1}, before it has read the word it
just wrote. The conditional GRU of Nematus (Sennrich et al., 2017) first updates its state with that word, then
queries — which makes its attention closer to a word alignment (compare the dev AER of the two additive models
below). The fifth model differs from the additive one only in this placement.

**Soft and hard attention.** Soft attention mixes all source words. *Hard* attention picks one (the argmax), *top-k*
spreads the weight equally over the k best, *sampled* draws one word from the softmax. The models were trained
with soft attention; switching at translation time shows how much the output depends on that mixing.

**Reference.** eflomal (Östling & Tiedemann, 2016) is a statistical word aligner trained on the same corpus;
its links are drawn as red circles.
"""


def about(inputs: Inputs) -> None:
    """What the models are, how well they do, and where the data comes from."""
    st.subheader("About")
    st.markdown(ABOUT)
    rows = []
    for name in inputs.models or []:
        card = translator(name).card
        metrics, train = card.get("metrics", {}), card.get("training", {})
        rows.append(
            {
                "model": name,
                "scorer": card.get("scorer"),
                "placement": card.get("placement"),
                "BLEU greedy": metrics.get("test_bleu_greedy"),
                "BLEU beam 5": metrics.get("test_bleu_beam5"),
                "dev AER": metrics.get("dev_aer"),
                "entropy (nats)": metrics.get("dev_entropy"),
                "epochs": train.get("epochs_run"),
                "CPU-minutes": train.get("train_cpu_minutes"),
            }
        )
    if rows:
        st.markdown("**Measured quality** (from each model's card: sacrebleu on held-out Tatoeba sentences, "
                    "lowercased, multi-reference; AER — lower is better — and mean attention entropy on the 37 "
                    "hand-aligned WPT03 Hansards sentences)")
        number = st.column_config.NumberColumn
        st.dataframe(
            pd.DataFrame(rows),
            hide_index=True,
            column_config={
                "BLEU greedy": number(format="%.1f"),
                "BLEU beam 5": number(format="%.1f"),
                "dev AER": number(format="%.3f"),
                "entropy (nats)": number(format="%.2f"),
                "CPU-minutes": number(format="%.0f"),
            },
        )
    st.markdown(
        f"**Data.** The models were trained on English–French sentence pairs from the {ATTRIBUTION}. "
        "Alignment quality is measured on the English–French Hansards gold alignments of the HLT-NAACL 2003 "
        "word-alignment shared task (Mihalcea & Pedersen, 2003)."
    )


VIEW_FUNCTIONS = {
    "Compare": compare,
    "Soft vs hard": soft_vs_hard,
    "Step by step": step_by_step,
    "What if": what_if,
    "Difference": difference,
    "Training": training,
    "About": about,
}
