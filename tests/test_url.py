"""The URL is the lecture: every control of every view is in the address, and a copied address
opened in a fresh session reproduces the page (its text, its widgets and its figures)."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from attnviz.ui import state

from .test_app import VIEWS, ZOO_NAMES, start

SENTENCE = "The black cat is sleeping on the red chair."


def fingerprint(at: AppTest) -> dict:
    """What a viewer sees: texts, widget values and the figures' data and layout."""
    widgets = {}
    for kind in ("text_input", "selectbox", "multiselect", "radio", "slider", "select_slider", "number_input",
                 "toggle", "pills"):
        for widget in at.get(kind):
            widgets[widget.key or widget.label] = widget.value
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    return {
        "markdown": [m.value for m in at.markdown],
        "latex": [m.value for m in at.latex],
        "caption": [c.value for c in at.caption],
        "widgets": widgets,
        "figures": [(f["data"], f["layout"]) for f in figures],
        "errors": [e.value for e in at.error],
    }


def set_step_by_step(at):
    at.selectbox(key="sbs_model").set_value("en-fr-dot").run()
    at.slider(key="sbs_step").set_value(3).run()
    at.selectbox(key="sbs_source").set_value(2).run()


def set_soft_vs_hard(at):
    at.selectbox(key="sh_model").set_value("en-fr-general").run()
    at.radio(key="hard_mode").set_value("topk").run()
    at.slider(key="k").set_value(3).run()
    at.select_slider(key="temperature").set_value(0.5).run()


def set_what_if(at):
    at.selectbox(key="wi_model").set_value("en-fr-additive-bahdanau").run()
    at.slider(key="wi_step").set_value(2).run()
    at.selectbox(key="wi_source").set_value(6).run()


def set_difference(at):
    at.selectbox(key="diff_a").set_value("en-fr-general").run()
    at.selectbox(key="diff_b").set_value("en-fr-dot").run()


def set_training(at):
    at.slider(key="epoch").set_value(2).run()


def set_compare(at):
    at.radio(key="beam").set_value(3).run()
    at.number_input(key="hypothesis").set_value(2).run()
    at.toggle(key="overlay").set_value(False).run()


def set_sidebar_only(at):
    at.toggle(key="paper").set_value(True).run()


def set_quiz(at):
    at.selectbox(key="quiz_model").set_value("en-fr-general").run()
    at.select_slider(key="quiz_step").set_value(2).run()
    at.pills(key="quiz_guess").set_value(1).run()
    at.button(key="quiz_reveal").click().run()


SETTERS = {
    "Quiz": set_quiz,
    "Compare": set_compare,
    "Soft vs hard": set_soft_vs_hard,
    "Step by step": set_step_by_step,
    "What if": set_what_if,
    "Difference": set_difference,
    "Training": set_training,
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_copied_address_reproduces_the_view(view):
    at = start(view, s=SENTENCE, m=",".join(ZOO_NAMES[:4]))
    SETTERS.get(view, set_sidebar_only)(at)
    at.toggle(key="present").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    params = dict(at.query_params)
    again = start(view, **params)  # a fresh session at that address (AppTest opens the first page, then the view)
    assert not again.exception
    assert fingerprint(again) == fingerprint(at)
    assert dict(again.query_params) == params  # and the address stays the same


def test_every_control_has_a_url_parameter():
    """Every keyed widget the views draw is mirrored in the URL (except one-shot pickers and buttons)."""
    transient = {"example"}  # the example picker copies a sentence into "sentence", which is in the URL
    keys = set()
    for view in VIEWS:
        at = start(view, s=SENTENCE, beam="3", m=",".join(ZOO_NAMES[:3]))
        for kind in ("text_input", "selectbox", "multiselect", "radio", "slider", "select_slider", "number_input",
                     "toggle", "pills"):
            keys |= {w.key for w in at.get(kind) if w.key}
    assert keys - transient <= set(state.PARAM), keys - transient - set(state.PARAM)


def test_a_wrong_parameter_gets_a_notice_and_the_default():
    at = start(s=SENTENCE, step="three", beam="7", t="nan", m="en-fr-dot,no-such-model")
    assert not at.exception
    notices = " ".join(w.value for w in at.warning)  # shown on the page the address opens
    assert "step='three' is not a whole number" in notices
    assert "beam=7" in notices and "t='nan'" in notices and "no-such-model" in notices
    at.switch_page(VIEWS["Step by step"]).run()
    assert not at.exception and at.slider(key="sbs_step").value == 0
    huge = start(seed=str(10**30), k="99", hard="sample")
    assert "seed=" in " ".join(w.value for w in huge.warning) and "k=99 is outside 1–6" in " ".join(
        w.value for w in huge.warning)
    huge.switch_page(VIEWS["Soft vs hard"]).run()
    assert not huge.exception and not huge.error and huge.number_input(key="seed").value == 0
    out_of_range = start("Step by step", s="I see her.", step="40", m="en-fr-dot")
    assert not out_of_range.exception and out_of_range.slider(key="sbs_step").value == 0
