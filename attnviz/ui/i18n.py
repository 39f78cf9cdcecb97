"""The interface language of a session, and its words (``attnviz.presentation.i18n``'s catalogues).

Views call ``t("compare.heading")``; the language is the sidebar's choice (URL parameter ``lang``).
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from ..presentation.i18n import DEFAULT_UI_LANGUAGE, UI_LANGUAGES, catalogue, placeholders, text

__all__ = [
    "DEFAULT_UI_LANGUAGE",
    "UI_LANGUAGES",
    "bound",
    "catalogue",
    "language",
    "language_name",
    "placeholders",
    "t",
]


def language() -> str:
    """The interface language of this session: the sidebar's choice, else the URL's ``lang``, else English."""
    chosen = st.session_state.get("ui_language") or st.query_params.get("lang")
    return chosen if chosen in UI_LANGUAGES else DEFAULT_UI_LANGUAGE


def t(key: str, /, **values) -> str:
    """The message ``key`` in the session's language, with ``values`` filled in.

    Raises:
        KeyError: no such key (a bug in a view: ``tests/test_i18n.py`` checks every key the code uses).
    """
    return text(language(), key, **values)


def bound() -> Callable[..., str]:
    """``t`` fixed to this run's language, for a widget's ``format_func``: Streamlit may call that
    function after the run, where the session's language cannot be read, and its labels must stay
    those the widget was drawn with."""
    messages = catalogue(language())
    return lambda key, **values: messages[key].format(**values)


def language_name(code: str, tr: Callable[..., str] | None = None) -> str:
    """The name of ISO 639 language ``code`` in the interface language ("French"), or the code itself for a
    language the catalogues do not name (a user's Hugging Face model may translate any pair).

    Args:
        tr: ``t`` (the default) or ``bound()``.
    """
    key = f"languages.{code}"
    return (tr or t)(key) if key in catalogue(DEFAULT_UI_LANGUAGE) else code
