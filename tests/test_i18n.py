"""The message catalogues: the same keys and placeholders in every language, and every key the code uses exists."""

import ast
import re

from attnviz.presentation.i18n import UI_LANGUAGES, catalogue, placeholders

from .conftest import ROOT

CODE = [*(ROOT / "attnviz").rglob("*.py"), ROOT / "streamlit_app.py"]


def used_keys() -> set[str]:
    """Literal keys passed to ``t(...)``, a bound ``tr(...)`` or a figure's ``style.text(...)`` (f-string keys are
    checked by their prefix)."""
    keys = set()
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            if getattr(node.func, "id", None) in ("t", "tr"):
                prefix = ""
            elif getattr(node.func, "attr", None) == "text" and getattr(node.func.value, "id", None) == "style":
                prefix = "figures."  # FigureStyle.text
            else:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant):
                keys.add(prefix + first.value)
            elif isinstance(first, ast.JoinedStr) and isinstance(first.values[0], ast.Constant):
                keys.add(prefix + first.values[0].value + "*")
    return keys


def test_every_catalogue_has_the_same_keys_and_placeholders():
    english = catalogue("en")
    for language in UI_LANGUAGES:
        messages = catalogue(language)
        assert set(messages) == set(english), (language, set(messages) ^ set(english))
        for key, text in messages.items():
            assert placeholders(text) == placeholders(english[key]), (language, key)
            assert text.strip(), (language, key)


def test_every_key_the_code_uses_is_in_the_catalogues():
    english = catalogue("en")
    for key in used_keys():
        if key.endswith("*"):
            assert any(k.startswith(key[:-1]) for k in english), key
        else:
            assert key in english, key


def test_the_chinese_catalogue_is_chinese():
    """Every Chinese message that is not a name or a formula has Chinese characters (no forgotten English copy)."""
    english, chinese = catalogue("en"), catalogue("zh")
    copied = [
        k
        for k, v in chinese.items()
        if v == english[k] and re.search(r"[a-z]{4,}", v) and k != "sidebar.interface_language"
    ]
    assert not copied
