"""Step-by-step arithmetic, figures and input checks used by the explorer."""

import numpy as np
import pytest

from attnviz.attention.normalizers import Normalizer
from attnviz.attention.scorers import SCORERS
from attnviz.families.rnn import PLACEMENTS
from attnviz.inference.translator import Translator, changed_tokens, language_warning
from attnviz.presentation.plots import FigureStyle, attention_heatmap, difference_heatmap, training_curves

from .conftest import tiny_model


@pytest.mark.parametrize("placement", PLACEMENTS)
@pytest.mark.parametrize("scorer", SCORERS.names())
def test_trace_and_breakdown_reproduce_the_decoder(scorer, placement):
    translator = Translator(*tiny_model(scorer, placement, seed=2))
    result = translator.translate("the cat is black .")
    for step in range(min(3, len(result.target_ids))):
        trace = translator.model.trace(result.source_ids, result.target_ids, step, Normalizer())
        np.testing.assert_allclose(trace.energies, result.energies[step], rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(trace.weights, result.attention[step], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(trace.context, trace.weights @ trace.keys, rtol=1e-5, atol=1e-6)
        for j in range(len(result.source_ids)):
            breakdown = translator.model.scorer.breakdown(trace.query, trace.keys[j])
            assert breakdown.energy == pytest.approx(float(trace.energies[j]), abs=1e-4)


def test_trace_replays_sampled_attention():
    translator = Translator(*tiny_model(seed=3))
    result = translator.translate("i am cold .", Normalizer("sample", seed=4))
    last = len(result.target_ids) - 1
    trace = translator.model.trace(result.source_ids, result.target_ids, last, Normalizer("sample", seed=4))
    np.testing.assert_array_equal(trace.weights, result.attention[last])
    with pytest.raises(IndexError):
        translator.model.trace(result.source_ids, result.target_ids, last + 1, Normalizer())


def test_heatmap_keeps_repeated_words_and_marks_unknowns():
    weights = np.eye(4)
    fig = attention_heatmap(
        weights,
        ["the", "cat", "the", "</s>"],
        ["le", "chat", "le", "</s>"],
        weights * 2,
        links={(0, 0), (1, 1)},
        source_unknown=[False, True, False, False],
    )
    heat = fig.data[0]
    assert heat.z.shape == (4, 4) and (heat.zmin, heat.zmax) == (0.0, 1.0)
    assert list(fig.layout.xaxis.tickvals) == [0, 1, 2, 3]  # "the" twice stays two columns
    assert "c0392b" in fig.layout.xaxis.ticktext[1] and "&lt;unk&gt;" in heat.customdata[0][1][0]
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.autorange == "reversed"
    assert len(fig.layout.shapes) == 2  # the eflomal links, as cell outlines
    paper = attention_heatmap(weights, list("abcd"), list("wxyz"), style=FigureStyle(paper=True))
    assert paper.data[0].colorscale[-1][1] == "white"


def test_other_figures():
    assert difference_heatmap(np.zeros((2, 3)), list("abc"), list("xy")).data[0].zmid == 0.0
    history = [{"epoch": 1, "train_loss": 3.0, "valid_loss": 2.5, "valid_bleu": 20.0}]
    assert len(training_curves(history).data) == 3


def test_language_warning():
    from attnviz.presentation.i18n import text

    translator = Translator(*tiny_model())
    assert language_warning("I am cold.", translator.source("i am cold .")) is None
    french = "je suis dans la maison et le chat est là"
    assert language_warning(french, translator.source(french)).problem == "looks_french"
    assert language_warning("我喜欢猫", translator.source("我喜欢猫")).problem == "non_latin"
    odd = "zorgle blimp fnord"
    assert language_warning(odd, translator.source(odd)) == ("unknown_words", {"unknown": 3, "words": 3})
    # a Chinese → English model expects Chinese characters; the interface words the note in its language
    note = language_warning("I am cold.", translator.source("i am cold ."), "zh", "en")
    assert text("en", f"input.{note.problem}", source="Chinese", target="English", **note.values) == (
        "This does not look like Chinese (no Chinese characters); the models translate Chinese into English."
    )
    assert text("zh", f"input.{note.problem}", source="中文", target="英文", **note.values).startswith(
        "这看起来不像中文"
    )
    chinese = language_warning("我喜欢猫", translator.source("我喜欢猫"), "zh", "en")
    assert chinese is None or chinese.problem != "not_chinese"


def test_changed_tokens():
    a, b = changed_tokens(["je", "la", "vois", "."], ["je", "vois", "la", "femme", "."])
    assert a == [False, True, False, False] or a == [False, False, True, False]
    assert sum(b) == 2 and b[-1] is False
    assert changed_tokens(["x"], ["x"]) == ([False], [False])


def test_presentation_style_fits_a_projector_and_prints_weights():
    words = "the black cat is sleeping on the red chair . </s>".split()
    weights = np.full((12, len(words)), 1 / len(words))
    fig = attention_heatmap(
        weights, words, [f"w{i}" for i in range(12)], style=FigureStyle(present=True), links={(0, 0)}
    )
    assert fig.layout.xaxis.tickfont.size >= 20 and fig.layout.yaxis.tickfont.size >= 20
    assert fig.layout.width <= 1150 and fig.layout.height <= 480
    assert fig.data[0].texttemplate == "%{z:.2f}"  # weights printed in cells this large
    assert fig.layout.shapes[0].fillcolor == "rgba(0,0,0,0)"  # a link outlines its cell, never covers it
    laptop = attention_heatmap(weights, words, [f"w{i}" for i in range(12)])
    assert laptop.data[0].texttemplate is None and laptop.layout.yaxis.scaleanchor == "x"


def test_long_sentences_keep_rows_and_thin_source_labels():
    S = T = 50
    source = [f"word{j}" for j in range(S)]
    for style in (FigureStyle(), FigureStyle(wide=True), FigureStyle(present=True)):
        fig = attention_heatmap(np.eye(T, S), source, source, style=style)
        shown = [t for t in fig.layout.xaxis.ticktext if t]
        cell = (fig.layout.width - 110 - 12 - 6 * 0.6 * style.font) / S  # what the layout gave each column
        assert cell * (S / len(shown)) >= 1.1 * style.font - 1  # written labels never overlap
        assert fig.layout.height >= T * style.cells[0]  # rows keep the minimum height; the page scrolls
    assert not FigureStyle().side_by_side(50) and FigureStyle().side_by_side(10)
