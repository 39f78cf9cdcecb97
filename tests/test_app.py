"""The explorer driven by Streamlit's AppTest, on the real pretrained models."""

import base64
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from attnviz.data.tatoeba import PAIRS
from attnviz.data.tokenization import MAX_TOKENS
from attnviz.inference.catalog import discover
from attnviz.ui.navigation import view_pages

from .conftest import ROOT, open_app

# the default pair's (English → French) attention models, and those the sidebar selects on opening: the ones
# whose cards say shown_by_default (the four scorers and the Transformer)
ZOO_NAMES = [e.name for e in discover() if e.info and e.info.pair_name == "en-fr" and e.info.maps]
SHOWN = [e.name for e in discover() if e.name in ZOO_NAMES and e.shown_by_default]
VIEWS = {v.title: str(v.path.relative_to(ROOT)) for v in view_pages()}


def start(view: str | None = None, **params) -> AppTest:
    """The app opened at ``view`` with URL ``params``; this and every later run fail on a crash or a failed view."""
    at = open_app(**params).run()
    return at.switch_page(VIEWS[view]).run() if view else at


def charts(at: AppTest) -> list:
    """The page's figures in page order: Plotly charts and attnviz's heatmap elements (drawn in the browser)."""
    found = []

    def walk(node) -> None:
        for child in getattr(node, "children", {}).values():
            if child.type == "plotly_chart" or (
                child.type == "bidi_component" and child.proto.component_name == "attnviz.heatmap"
            ):
                found.append(child)
            walk(child)

    walk(at.main)
    return found


def heatmaps(at: AppTest) -> list[dict]:
    """The data of the page's heatmap elements (``presentation.drawing.payload``), in page order."""
    return [json.loads(c.proto.json) for c in charts(at) if c.type == "bidi_component"]


def text_of(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_starts_and_shows_one_heatmap_per_model_shown_by_default():
    at = start()
    assert not at.exception
    assert len(charts(at)) == len(SHOWN)
    models = at.multiselect(key="models")
    assert models.value == SHOWN and set(models.options) == set(ZOO_NAMES)  # every other model one click away


def test_a_class_first_sees_the_four_scorers_and_the_transformer():
    infos = {e.name: e for e in discover() if e.name in SHOWN}
    scorers = sorted(e.config.get("scorer") for e in infos.values() if e.info.family == "rnn")
    assert scorers == ["additive", "dot", "general", "scaled_dot"]
    assert [e.info.family for e in infos.values()].count("transformer") == 1


def test_the_numbers_table_is_made_only_when_opened_and_its_state_is_in_the_url():
    at = start(s="I see her.")
    assert not at.dataframe  # folded: no forced decodes made
    at = start(s="I see her.", table="1")
    table = at.dataframe[0].value
    assert len(table) == len(SHOWN) and table.iloc[:, 0].tolist() == SHOWN
    assert at.query_params["table"] in ("1", ["1"])


def test_typing_a_sentence_updates_every_heatmap():
    at = start()
    at.text_input(key="sentence").input("I am cold.").run()
    assert not at.exception
    assert len(charts(at)) == len(SHOWN)
    assert text_of(at).count("froid") >= 3  # most models translate this held-in sentence with "froid"
    assert at.query_params["s"] == "I am cold."  # the URL follows the state


def test_choosing_models():
    at = start()
    at.multiselect(key="models").set_value(["en-fr-dot", "en-fr-additive"]).run()
    assert len(charts(at)) == 2


def test_soft_vs_hard_renders_both():
    at = start("Soft vs hard", s="I see her.")
    assert not at.exception
    assert len(charts(at)) == 2
    assert "soft (softmax" in text_of(at) and "hard (argmax" in text_of(at)
    at.radio(key="hard_mode").set_value("topk").run()
    assert len(charts(at)) == 2 and "top-k (1/k each), k = 2" in text_of(at)
    at.radio(key="hard_mode").set_value("sample").run()
    seed = at.number_input(key="seed").value
    at.button[0].click().run()
    assert at.number_input(key="seed").value == seed + 1


def test_empty_input_prompts():
    at = start()
    at.text_input(key="sentence").input("").run()
    assert not at.exception and not at.error
    assert any("Type a sentence in English" in i.value for i in at.info)
    assert len(charts(at)) == 0


def test_over_long_input_names_the_limit():
    at = start()
    at.text_input(key="sentence").input("very " * (MAX_TOKENS + 5)).run()
    assert not at.exception
    assert any(f"the limit is {MAX_TOKENS}" in e.value for e in at.error)
    assert len(charts(at)) == 0


def test_unknown_and_foreign_words_warn_but_render():
    at = start(s="Le chat est sur la table et il dort.")
    assert any("looks like French" in w.value for w in at.warning)
    assert len(charts(at)) == len(SHOWN)
    at.text_input(key="sentence").input("我喜欢猫").run()
    assert any("non-Latin" in w.value for w in at.warning)
    assert any("<unk>" in c.value for c in at.caption)


def test_query_parameters_restore_state():
    at = start(s="I am cold.", m="en-fr-dot,en-fr-general", paper="1", beam="3")
    assert at.text_input(key="sentence").value == "I am cold."
    assert at.multiselect(key="models").value == ["en-fr-dot", "en-fr-general"]
    assert at.toggle(key="paper").value is True
    assert at.radio(key="beam").value == 3
    assert len(charts(at)) == 2


def test_forced_translation_and_other_views():
    at = start(s="I see her.", f="je la vois.")
    assert not at.exception and len(charts(at)) == len(SHOWN)
    from attnviz.inference.checkpoint import PRETRAINED, read_history

    # heatmap and curves per model, and the REINFORCE curve of a model trained with sampled attention
    policies = sum(any("policy_curve" in r for r in read_history(PRETRAINED / n)) for n in SHOWN)
    for view, expected in [
        ("Step by step", 1),
        ("What if", 2),
        ("Difference", 1),
        ("Training", 2 * len(SHOWN) + policies + 2),
    ]:  # + the classifiers' two curves
        at.switch_page(VIEWS[view]).run()
        assert not at.exception, view
        assert not at.error, (view, [e.value for e in at.error])
        assert len(charts(at)) == expected, view
    at.switch_page(VIEWS["About"]).run()
    assert "Tatoeba" in text_of(at)
    quality = at.dataframe[0].value
    assert list(quality["model"]) == SHOWN and quality["dev AER"].between(0, 1).all()


def test_what_if_starts_elsewhere_and_redecodes():
    at = start("What if", s="The black cat is sleeping on the red chair.")
    assert not at.exception
    assert at.selectbox(key="wi_source").value != 0  # step 0 looks at "The": the default forces another word
    at.selectbox(key="wi_source").set_value(0).run()  # forcing where it already looked changes nothing
    assert not at.exception
    translations = [m.value for m in at.markdown if m.value.startswith("→")]
    assert len(translations) == 2 and translations[0] == translations[1]


def test_a_failing_model_fails_in_its_own_panel(monkeypatch, caplog):
    from attnviz.inference.translator import Translator

    original = Translator.translate

    def broken(self, *args, **kwargs):
        if self.name == SHOWN[0]:
            raise RuntimeError("simulated bug")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Translator, "translate", broken)
    with caplog.at_level("ERROR", logger="attnviz.ui"):
        at = start(s="A sentence nobody has typed before today.")
    assert not at.exception
    assert len(charts(at)) == len(SHOWN) - 1  # the others still draw
    messages = [e.value for e in at.error]
    assert len(messages) == 1 and SHOWN[0] in messages[0] and "RuntimeError" in messages[0]
    assert "Traceback" not in messages[0] and "simulated bug" in caplog.text  # the traceback went to the log


def test_quiz_counts_a_guess_and_reveals_the_attention():
    at = start("Quiz", s="The black cat is sleeping on the red chair.", m="en-fr-additive")
    assert not at.exception and at.button(key="quiz_reveal").disabled  # nothing to reveal before a guess
    at.select_slider(key="quiz_step").set_value(1).run()  # "chat"
    at.pills(key="quiz_guess").set_value(2).run()  # "cat"
    assert not charts(at)  # the answer stays hidden until revealed
    at.button(key="quiz_reveal").click().run()
    assert "Right!" in text_of(at) and "**1 of 1**" in text_of(at)
    assert len(charts(at)) == 1
    revealed = heatmaps(at)[0]["panels"][0]  # the step's weights over the source words, the guess outlined
    assert revealed["target"] == ["chat"] and revealed["links"] == [[2, 0]] and revealed["source"][2] == "cat"
    assert int(np.argmax(revealed["weights"][0])) == 2 and abs(sum(revealed["weights"][0]) - 1) < 1e-4
    at.button(key="quiz_reveal").click().run()  # a second click does not count twice
    assert "**1 of 1**" in text_of(at)
    at.button(key="quiz_next").click().run()
    assert at.select_slider(key="quiz_step").value == 2 and at.pills(key="quiz_guess").value is None
    at.pills(key="quiz_guess").set_value(0).run()
    at.button(key="quiz_reveal").click().run()
    assert "Not this time" in text_of(at) and "**1 of 2**" in text_of(at)


# English → French Transformers (these tests type English sentences)
TRANSFORMERS = [e.name for e in discover() if e.info and e.info.family == "transformer" and e.info.pair_name == "en-fr"]


def test_heads_view_without_a_transformer_says_what_to_choose():
    at = start("Heads", m="en-fr-dot")
    assert not at.exception and "choose a Transformer" in at.info[0].value


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
def test_heads_view_shows_every_map_of_a_transformer():
    info = next(e.info for e in discover() if e.name == TRANSFORMERS[0])
    at = start("Heads", s="The black cat is sleeping on the red chair.", m=TRANSFORMERS[0])
    for kind in ("cross", "encoder_self", "decoder_self"):
        at.radio(key="heads_map").set_value(kind).run()
        assert not at.exception and not at.error, kind
        grid, enlarged = heatmaps(at)[:2]  # then the AER grids
        assert len(grid["panels"]) == info.layers * (info.heads + 1) and grid["compact"]  # heads + their mean
        assert grid["columns"] == info.heads + 1
        weights = chart_weights(charts(at)[1])
        np.testing.assert_allclose(np.nansum(weights, -1), 1, atol=1e-3)  # rows sum to 1
    at.selectbox(key="heads_pick").set_value("0.1").run()
    assert not at.exception and "layer 1 · head 2" in heatmaps(at)[1]["panels"][0]["title"]


def chart_weights(chart) -> np.ndarray:
    """The matrix of a heatmap: a heatmap element's first panel (None → NaN), or a Plotly chart's z (its typed
    array: base64 of float64)."""
    if chart.type == "bidi_component":
        weights = json.loads(chart.proto.json)["panels"][0]["weights"]
        return np.array([[np.nan if v is None else v for v in row] for row in weights], dtype=float)
    z = json.loads(chart.proto.spec)["data"][0]["z"]
    rows, columns = (int(n) for n in str(z["shape"]).split(","))
    return np.frombuffer(base64.b64decode(z["bdata"]), dtype=z["dtype"]).reshape(rows, columns)


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
@pytest.mark.parametrize("view", ["Compare", "What if", "Soft vs hard"])
def test_the_sidebar_picks_which_transformer_head_the_views_show(view):
    from attnviz.inference.translator import Translator

    sentence = "I see her."
    at = start(view, s=sentence, m=TRANSFORMERS[0])
    assert at.selectbox(key="heads_shown").value == "card"
    at.selectbox(key="heads_shown").set_value("2.3").run()
    assert not at.exception and not at.error and at.query_params["head"] == "2.3"
    expected = Translator.load(ROOT / "pretrained" / TRANSFORMERS[0]).translate(sentence).heads[1, 2]
    np.testing.assert_allclose(chart_weights(charts(at)[0]), expected, atol=1e-6)
    at.selectbox(key="heads_shown").set_value("mean").run()
    np.testing.assert_allclose(
        chart_weights(charts(at)[0]),
        Translator.load(ROOT / "pretrained" / TRANSFORMERS[0]).translate(sentence).heads.mean((0, 1)),
        atol=1e-6,
    )


def test_no_head_choice_without_a_multi_head_model():
    at = start("Compare", m="en-fr-dot,en-fr-general")
    assert not at.exception and not [w for w in at.selectbox if w.key == "heads_shown"]


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
def test_self_attention_view_shows_the_models_head_and_the_parameter_free_map():
    from attnviz.inference.translator import Translator

    sentence = "The black cat is sleeping."
    at = start("Self-attention", s=sentence, m=TRANSFORMERS[0], sal="2", sah="3", saq="2")
    assert not at.exception and not at.error
    translator = Translator.load(ROOT / "pretrained" / TRANSFORMERS[0])
    ids = translator.source(sentence).ids
    free, learned = (chart_weights(c) for c in charts(at)[:2])
    np.testing.assert_allclose(learned, translator.model.self_attention(ids, [5])["encoder_self"][1, 2], atol=1e-5)
    assert np.argmax(free, 1).tolist() == list(range(len(ids)))  # without projections: the diagonal
    worked = at.dataframe[1].value  # the learned head's row i = 2
    np.testing.assert_allclose(worked["softmax α_ij"], learned[2], atol=1e-5)
    assert "Concat" in " ".join(m.value for m in at.latex)


def test_self_attention_view_without_a_transformer_says_what_to_choose():
    at = start("Self-attention", m="en-fr-dot")
    assert not at.exception and "choose a Transformer" in at.info[0].value


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
def test_heads_view_shows_aer_by_head_and_switches_heads_off():
    from attnviz.inference.translator import Translator

    sentence = "The black cat is sleeping on the red chair."
    at = start("Heads", s=sentence, m=TRANSFORMERS[0])
    card = Translator.load(ROOT / "pretrained" / TRANSFORMERS[0]).card
    aer = json.loads(charts(at)[2].proto.spec)["data"][0]["z"]
    grid = np.array(card["metrics"]["dev_aer_by_head"])
    z = np.frombuffer(base64.b64decode(aer["bdata"]), dtype=aer["dtype"]).reshape(grid.shape)
    np.testing.assert_allclose(z, grid)
    every_cross = [
        f"cross:{l}.{h}"
        for l in range(1, card["attention"]["layers"] + 1)
        for h in range(1, card["attention"]["heads"] + 1)
    ]
    at.multiselect(key="heads_off").set_value(every_cross).run()
    assert not at.exception and not at.error
    assert at.query_params["off"] == ",".join(every_cross)
    line = next(m.value for m in at.markdown if "off →" in m.value)
    assert line.split("off →")[1].strip() != line.split("with all heads →")[1].split("\n")[0].strip()
    caption = next(c.value for c in at.caption if "BLEU on the first" in c.value)
    full, without = (float(x) for x in re.findall(r"(\d+\.\d) with", caption))
    assert without < full - 10  # no cross-attention at all: the translation no longer follows the source


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
def test_step_by_step_works_through_one_transformer_head():
    from attnviz.inference.translator import Translator

    sentence = "I see her."
    at = start("Step by step", s=sentence, m=TRANSFORMERS[0], step="1", sbsh="2.3")
    assert not at.exception and not at.error
    result = Translator.load(ROOT / "pretrained" / TRANSFORMERS[0]).translate(sentence)
    table = at.dataframe[0].value
    np.testing.assert_allclose(table["weight α_ij"], result.heads[1, 2, 1], atol=1e-6)
    drawn = heatmaps(at)[0]["panels"][0]  # the step's row, drawn in the browser with its energies
    np.testing.assert_allclose(drawn["weights"][0], result.heads[1, 2, 1], atol=1e-6)
    np.testing.assert_allclose(drawn["energies"][0], result.head_energies[1, 2, 1], rtol=1e-5)  # replayed in float32
    assert drawn["target"] == [result.target_tokens[1]] and heatmaps(at)[0]["temperature"]
    assert "scaled dot" in " ".join(c.value for c in at.caption)
    assert "v_{" in " ".join(m.value for m in at.latex)


def test_why_attention_shows_bleu_by_length_and_context_vectors():
    sentence = "The black cat is sleeping on the red chair."
    at = start("Why attention", s=sentence, m="en-fr-dot,en-fr-additive", wm="en-fr-dot")
    assert not at.exception and not at.error
    figure = json.loads(charts(at)[0].proto.spec)
    names = {trace["name"] for trace in figure["data"]}
    assert {"en-fr-dot", "en-fr-additive"} <= names  # one BLEU-by-length line per model with the figure on its card
    strips = chart_weights(charts(at)[-1])  # the attention model's c_i, one row per target word
    assert strips.shape[1] == 256 and len(strips) > 3
    assert np.abs(np.diff(strips, axis=0)).max() > 0.1  # a different context vector at each word
    from attnviz.inference.translator import Translator

    translator = Translator.load(ROOT / "pretrained" / "en-fr-dot")
    result = translator.translate(sentence)
    np.testing.assert_allclose(strips, translator.model.context_vectors(result.source_ids, result.attention), atol=1e-5)


def test_trained_as_by_decoded_as_grid_lists_the_trained_variants_with_card_figures():
    at = start("Soft vs hard", s="I see her.", shm="en-fr-additive")
    assert not at.exception and not at.error
    grid = next(m.value for m in at.markdown if m.value.startswith("| trained"))
    rows = grid.split("\n")[2:]
    trained = [row.split("|")[1] for row in rows]
    assert any("softmax" in t for t in trained) and any("sparsemax" in t for t in trained)
    assert any("1.5-entmax" in t for t in trained)
    from attnviz.inference.translator import Translator

    card = Translator.load(ROOT / "pretrained" / "en-fr-additive-sparsemax").card["metrics"]["decoding_grid"]
    sparse_row = next(row for row in rows if "sparsemax" in row.split("|")[1])
    assert f"BLEU {card['hard']['bleu']:.1f} · AER {card['hard']['aer']:.2f}" in sparse_row.split("|")[3]


def test_the_interface_speaks_chinese_from_the_url_and_the_switch():
    from attnviz.ui.i18n import catalogue

    zh = catalogue("zh")
    at = start(lang="zh")
    assert not at.exception and not at.error
    assert zh["app.title"] in [t.value for t in at.title]
    assert at.text_input(key="sentence").label == zh["sidebar.sentence"].format(language=zh["languages.en"])
    assert zh["compare.heading"] in [h.value for h in at.subheader]
    at.segmented_control(key="ui_language").set_value("en").run()  # and back, keeping the sentence
    assert "attnviz — where does the translation model look?" in [t.value for t in at.title]
    assert "lang" not in at.query_params


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_runs_in_chinese(view):
    """No view is left with a key the Chinese catalogue lacks, or fails when its words are Chinese."""
    from attnviz.ui.i18n import catalogue

    at = start(view, lang="zh", s="I see her.")
    assert not at.exception and not at.error, view
    headings = [h.value for h in at.subheader]
    assert headings and all(h in catalogue("zh").values() for h in headings), headings


def test_reviews_view_draws_a_test_review_and_asks_whether_attention_explains_it():
    at = start("Reviews", rpick="1", rk="5")
    assert not at.exception and not at.error
    pooled = [h for h in heatmaps(at) if h["flow"]]
    classifiers = [e for e in discover() if e.info and e.info.task == "classification"]
    # every classifier, the whole text, as running text whose words carry their attention weight
    assert len(pooled) == len(classifiers) >= 2 and all(len(h["panels"][0]["source"]) > 50 for h in pooled)
    for h in pooled:
        weights = np.array(h["panels"][0]["weights"][0])
        assert weights.min() >= 0 and abs(weights.sum() - 1) < 1e-3
    multi = [h for h in pooled if h["panels"][0]["choices"]]  # the multi-head pooling: each head in the browser
    assert multi and [c["key"] for c in multi[0]["panels"][0]["choices"]][:2] == ["mean", "1"]
    mean = np.mean([c["weights"][0] for c in multi[0]["panels"][0]["choices"][1:]], axis=0)
    np.testing.assert_allclose(mean, multi[0]["panels"][0]["weights"][0], atol=1e-5)
    labels = [m.label for m in at.metric]
    assert labels.count("P(positive)") == len(classifiers)
    assert "Spearman ρ, attention vs leave-one-out" in labels and "Spearman ρ, attention vs gradient × input" in labels
    assert any(re.fullmatch(r"P\((negative|positive)\) without 5 word\(s\)", label) for label in labels)


ZH_MODELS = [e.name for e in discover() if e.info and e.info.pair_name == "zh-en" and e.info.maps]


def test_the_chinese_models_have_their_own_pair_sentence_and_examples():
    at = start(pair="zh-en")
    assert not at.exception and not at.error
    assert at.text_input(key="sentence").value == "欢迎来北京"  # the pair's first example, the seed notes'
    assert at.multiselect(key="models").value == ZH_MODELS and len(charts(at)) == len(ZH_MODELS)
    assert "welcome to beijing" in text_of(at)
    at.radio(key="pair").set_value("en-fr").run()  # back: that pair's models and sentence
    assert at.text_input(key="sentence").value == "The black cat is sleeping on the red chair."
    assert at.multiselect(key="models").value == SHOWN


def test_context_vectors_open_with_the_lesson_model_among_all_chinese_models():
    at = start("Context vectors", pair="zh-en")
    picker = at.selectbox(key="cv_model")
    assert picker.label == "Model" and picker.value == PAIRS["zh-en"].lesson_model
    assert "welcome to beijing" in text_of(at)


def test_context_vectors_say_which_words_a_lexicon_pointer_copied():
    at = start("Context vectors", pair="zh-en", s="他住在温州。")
    at.selectbox(key="cv_model").set_value("zh-en-additive-characters-lexicon").run()
    assert not at.exception and not at.error
    assert "he lives in wenzhou" in text_of(at)  # 温州 never occurs in the Tatoeba corpus
    copied = [m.value for m in at.text if "came through copying a dictionary entry" in m.value]
    assert len(copied) == 1 and copied[0].startswith("wenzhou: ") and "(attention looked most at 温州)" in copied[0]


@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_runs_on_the_chinese_models(view):
    """Every view on 欢迎来北京 with all Chinese → English models, whose tokens differ (words or characters)."""
    at = start(view, pair="zh-en", lang="zh")
    assert not at.exception and not at.error, view


def test_every_apptest_run_fails_when_a_view_fails(monkeypatch):
    # streamlit_app.py shows a crashing view as one line; the tests' AppTest must still fail on it
    from attnviz.presentation import analysis

    def broken(*args, **kwargs):
        raise RuntimeError("a broken analysis")

    monkeypatch.setattr(analysis, "reference_agreement", broken)
    with pytest.raises(AssertionError, match="this view failed"):
        start()
