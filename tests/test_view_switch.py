"""Adding a view is its file and its words: a throw-away view appears in the navigation and keeps its URL state."""

import shutil

import pytest

from attnviz.attention.registry import RegistryError
from attnviz.presentation import i18n
from attnviz.ui import navigation, state

from .conftest import open_app

THROWAWAY = '''"""A throw-away view (test): one slider whose value the URL keeps."""

ICON = ":material/science:"
ORDER = 99
SECTION = "beyond"
URL = {"tw_level": ("tl", 3, "int", {"range": (1, 9)}), "tw_note": ("tn", "", "str", {"private": True})}

import streamlit as st

from attnviz.ui import state
from attnviz.ui.i18n import t

st.subheader(t("views.throwaway"))
st.slider(t("views.throwaway"), *state.bounds("tw_level"), key="tw_level")
st.text_input(t("views.throwaway"), key="tw_note")
'''


@pytest.fixture
def throwaway(tmp_path, monkeypatch):
    views = tmp_path / "views"
    shutil.copytree(navigation.VIEWS_DIR, views)
    (views / "throwaway.py").write_text(THROWAWAY, encoding="utf-8")
    monkeypatch.setattr(navigation, "VIEWS_DIR", views)
    for language in i18n.UI_LANGUAGES:  # its words, as the two catalogues would hold them
        monkeypatch.setitem(i18n.catalogue(language), "views.throwaway", "Throwaway")
    return views / "throwaway.py"


def test_a_new_view_is_in_the_navigation_and_its_url_parameter_round_trips(throwaway):
    page = next(v for v in navigation.view_pages() if v.key == "throwaway")
    assert page.url_path == "throwaway" and [p.query for p in page.params] == ["tl", "tn"]
    assert page in navigation.sections()["beyond"]
    assert state.url_param("tw_level").default == 3
    at = open_app(tl="5").run()
    at.switch_page(str(throwaway)).run()
    assert at.slider(key="tw_level").value == 5  # the address set it
    at.slider(key="tw_level").set_value(7).run()
    assert at.query_params["tl"] == "7"  # the URL follows the widget


def test_a_new_views_range_and_private_choice_come_from_its_url_literal(throwaway):
    """Its file alone declares the widget's range (a URL value outside it falls back, with a notice) and that class
    mode keeps a choice private: no list elsewhere names them."""
    assert (
        state.bounds("tw_level") == (1, 9) and "tn" in state.private_queries() and "tl" not in state.private_queries()
    )
    at = open_app(tl="50").run()
    assert any("tl=50" in w.value and "1–9" in w.value for w in at.warning)  # said on the page that opened
    at.switch_page(str(throwaway)).run()
    assert at.slider(key="tw_level").value == 3  # the default, not 50


def test_a_view_declaring_an_unknown_url_kind_is_refused(throwaway):
    throwaway.write_text(THROWAWAY.replace('"int"', '"complex"'), encoding="utf-8")
    with pytest.raises(RegistryError, match="kind 'complex'"):
        navigation.read_view(throwaway)


def test_every_url_parameter_and_widget_key_is_declared_once():
    declared = state.params()
    assert len({p.key for p in declared}) == len(declared) and len({p.query for p in declared}) == len(declared)
