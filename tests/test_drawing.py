"""The browser heatmap's payloads (``presentation.drawing``): what the page is sent to draw and redraw."""

import numpy as np
import pytest

from attnviz.inference.translator import Translator
from attnviz.presentation.drawing import Panel, head_choices, is_softmax_of, payload
from attnviz.presentation.plots import FigureStyle
from attnviz.ui.state import heads_label
from tests.test_app import ROOT, TRANSFORMERS


def softmax(energies: np.ndarray) -> np.ndarray:
    shifted = np.exp(energies - energies.max(-1, keepdims=True))
    return shifted / shifted.sum(-1, keepdims=True)


def test_a_display_temperature_is_offered_only_for_softmax_weights():
    energies = np.array([[1.0, 2.0, -np.inf], [0.5, 0.0, 3.0]])
    weights = softmax(energies)
    assert is_softmax_of(weights, energies)  # −inf (padding) counts as no position
    sparse = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])  # sparsemax / hard weights of the same energies
    assert not is_softmax_of(sparse, energies) and not is_softmax_of(weights, None)
    assert not is_softmax_of(softmax(energies / 2), energies)  # decoded at another temperature
    panel = Panel("soft", weights, ["a", "b", "c"], ["x", "y"], energies)
    assert payload([panel], FigureStyle())["temperature"] and payload([panel], FigureStyle())["panels"][0]["tempered"]
    assert not payload([Panel("hard", sparse, ["a", "b", "c"], ["x", "y"], energies)], FigureStyle())["temperature"]
    assert payload([panel], FigureStyle())["panels"][0]["energies"][0][2] is None  # JSON has no −inf


def test_an_rnn_has_no_head_choices():
    result = Translator.load(ROOT / "pretrained" / "en-fr-additive").translate("I see her.")
    assert head_choices(result, "card", heads_label) == ()


@pytest.mark.skipif(not TRANSFORMERS, reason="no Transformer in pretrained/")
def test_head_choices_are_the_heads_the_sidebar_offers_with_the_shown_one_first():
    result = Translator.load(ROOT / "pretrained" / TRANSFORMERS[0]).translate("The black cat is sleeping.")
    layers, heads = result.heads.shape[:2]
    choices = head_choices(result, "card", heads_label)
    keys = [c.key for c in choices]
    assert keys[:2] == ["card", "mean"] and len(keys) == 2 + layers * (heads + 1) and len(set(keys)) == len(keys)
    by_key = {c.key: c for c in choices}
    np.testing.assert_allclose(by_key["2.3"].weights, result.heads[1, 2])
    np.testing.assert_allclose(by_key["2.3"].energies, result.head_energies[1, 2])
    np.testing.assert_allclose(by_key["1"].weights, result.heads[0].mean(0))
    assert by_key["2.3"].label == "layer 2 · head 3" and by_key["mean"].label == "mean of all layers and heads"
    # a single head's weights are the softmax of its energies: the browser may re-temper it
    assert is_softmax_of(by_key["2.3"].weights, by_key["2.3"].energies)
    shown = head_choices(result.showing("2.3"), "2.3", heads_label)
    assert shown[0].key == "2.3" and "card" not in [c.key for c in shown]
    sent = payload(
        [Panel("t", result.attention, result.source_tokens, result.target_tokens, result.energies, choices=choices)],
        FigureStyle(),
    )
    assert sent["head"] == "card" and [c["key"] for c in sent["panels"][0]["choices"]] == keys


def test_a_panel_keeps_repeated_words_marks_unknowns_and_carries_the_style():
    weights = np.eye(4)
    panel = Panel(
        "t",
        weights,
        ["the", "cat", "the", "</s>"],
        ["le", "chat", "le", "</s>"],
        weights * 2,
        links={(0, 0), (1, 1)},
        source_unknown=[False, True, False, False],
    )
    sent = payload([panel], FigureStyle(paper=True, present=True), diverging=False)
    drawn = sent["panels"][0]
    assert drawn["source"] == ["the", "cat", "the", "</s>"]  # "the" twice stays two columns; "</s>" is text
    assert drawn["weights"] == weights.tolist() and drawn["links"] == [[0, 0], [1, 1]]
    assert drawn["source_unknown"] == [False, True, False, False] and drawn["target_unknown"] == []
    assert (sent["paper"], sent["present"], sent["scale"]) == (True, True, "sequential")
    assert payload([panel], FigureStyle(), diverging=True)["scale"] == "diverging"
    assert not FigureStyle().side_by_side(50) and FigureStyle().side_by_side(10)  # a long sentence: a row of its own
    assert not FigureStyle(present=True).side_by_side(3)
    with pytest.raises(ValueError, match="weights of shape"):
        Panel("t", np.eye(3), ["a"], ["b"]).to_json()
