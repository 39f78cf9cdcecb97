"""The URL is the lecture: every control of every view is in the address, and a copied address
opened in a fresh session reproduces the page (its text, its widgets and its figures)."""

import json

import pytest
from streamlit.testing.v1 import AppTest

from attnviz.ui import state

from .test_app import TRANSFORMERS, VIEWS, charts, start

SENTENCE = "The black cat is sleeping on the red chair."
# three GRUs and the Transformers, so the views for heads draw their controls too
MODELS = ",".join(["en-fr-additive-bahdanau", "en-fr-dot", "en-fr-general", *TRANSFORMERS])


def fingerprint(at: AppTest) -> dict:
    """What a viewer sees: texts, widget values and the figures' data and layout."""
    widgets = {}
    for kind in (
        "text_input",
        "selectbox",
        "multiselect",
        "radio",
        "slider",
        "select_slider",
        "number_input",
        "toggle",
        "pills",
    ):
        for widget in at.get(kind):
            widgets[widget.key or widget.label] = widget.value
    figures = [
        json.loads(chart.proto.spec if chart.type == "plotly_chart" else chart.proto.json) for chart in charts(at)
    ]
    return {
        "markdown": [m.value for m in at.markdown],
        "latex": [m.value for m in at.latex],
        "caption": [c.value for c in at.caption],
        "widgets": widgets,
        "figures": [(f["data"], f["layout"]) if "layout" in f else f for f in figures],
        "errors": [e.value for e in at.error],
    }


# per view, the controls a teacher might change: (widget kind, key, value); a button is clicked
SETTINGS = {
    "Compare": [
        ("radio", "beam", 3),
        ("number_input", "hypothesis", 2),
        ("toggle", "overlay", False),
        ("selectbox", "heads_shown", "2.3"),
    ],
    "Soft vs hard": [
        ("selectbox", "sh_model", "en-fr-general"),
        ("radio", "hard_mode", "topk"),
        ("slider", "k", 3),
        ("select_slider", "temperature", 0.5),
    ],
    "Step by step": [
        ("selectbox", "sbs_model", "en-fr-dot"),
        ("slider", "sbs_step", 3),
        ("selectbox", "sbs_source", 2),
    ],
    "What if": [
        ("selectbox", "wi_model", "en-fr-additive-bahdanau"),
        ("slider", "wi_step", 2),
        ("selectbox", "wi_source", 6),
    ],
    "Quiz": [
        ("selectbox", "quiz_model", "en-fr-general"),
        ("select_slider", "quiz_step", 2),
        ("pills", "quiz_guess", 1),
        ("button", "quiz_reveal", None),
    ],
    "Difference": [("selectbox", "diff_a", "en-fr-general"), ("selectbox", "diff_b", "en-fr-dot")],
    "Training": [("slider", "epoch", 2)],
    "Why attention": [("selectbox", "why_model", "en-fr-dot")],
    "Context vectors": [("selectbox", "cv_model", "en-fr-general")],
    "Attention vs alignment": [
        ("selectbox", "al_a", "en-fr-general"),
        ("selectbox", "al_b", "en-fr-dot"),
        ("selectbox", "al_gold", 3),
    ],
    "Heads": [
        ("radio", "heads_map", "encoder_self"),
        ("selectbox", "heads_pick", "1.2"),
        ("multiselect", "heads_off", ["cross:2.1", "encoder_self:1.3"]),
    ],
    "Self-attention": [("selectbox", "sa_layer", 2), ("selectbox", "sa_head", 3), ("selectbox", "sa_query", 4)],
    "Attention vs attribution": [("selectbox", "at_model", "en-fr-dot")],
}


def change(at: AppTest, view: str) -> None:
    """Set the view's controls as SETTINGS lists them (the paper style for a view without controls)."""
    for kind, key, value in SETTINGS.get(view, [("toggle", "paper", True)]):
        widget = getattr(at, kind)(key=key)
        (widget.click() if kind == "button" else widget.set_value(value)).run()


@pytest.mark.parametrize("view", list(VIEWS))
def test_a_copied_address_reproduces_the_view(view):
    at = start(view, s=SENTENCE, m=MODELS)
    change(at, view)
    at.toggle(key="present").set_value(True).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    params = dict(at.query_params)
    again = start(view, **params)  # a fresh session at that address (AppTest opens the first page, then the view)
    assert not again.exception
    assert fingerprint(again) == fingerprint(at)
    assert dict(again.query_params) == params  # and the address stays the same


def test_every_control_has_a_url_parameter():
    """Every keyed widget the views draw is mirrored in the URL (except one-shot pickers and buttons)."""
    # the example picker copies a sentence into "sentence", which is in the URL; the Class view's start and join
    # forms act once (the class joined is in the URL as class=)
    transient = {"example", "class_lecture", "class_join_code"}
    keys = set()
    for view in VIEWS:
        at = start(view, s=SENTENCE, beam="3", m=MODELS)
        for kind in (
            "text_input",
            "selectbox",
            "multiselect",
            "radio",
            "slider",
            "select_slider",
            "number_input",
            "toggle",
            "pills",
        ):
            keys |= {w.key for w in at.get(kind) if w.key}
    declared = {p.key for p in state.params()}
    assert keys - transient <= declared, keys - transient - declared


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
        w.value for w in huge.warning
    )
    huge.switch_page(VIEWS["Soft vs hard"]).run()
    assert not huge.exception and not huge.error and huge.number_input(key="seed").value == 0
    out_of_range = start("Step by step", s="I see her.", step="40", m="en-fr-dot")
    assert not out_of_range.exception and out_of_range.slider(key="sbs_step").value == 0
