"""Step-by-step arithmetic, figures and input checks used by the explorer."""

import numpy as np
import pytest

from attnviz.attention.normalizers import Normalizer
from attnviz.attention.scorers import SCORERS
from attnviz.families.rnn import PLACEMENTS
from attnviz.inference.translator import Translator, changed_tokens, language_warning
from attnviz.presentation.plots import training_curves

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


def test_other_figures():
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
