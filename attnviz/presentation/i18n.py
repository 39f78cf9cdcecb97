"""The package's words in English and Simplified Chinese: one message catalogue per language.

Every label, help text, lesson paragraph, message and figure text the explorer shows is a key in
``messages/<language>.toml`` (sections become dotted keys: ``[compare] heading`` is
``compare.heading``), written with ``str.format`` placeholders such as ``{model}`` (a literal brace
is doubled, ``{{``). Both catalogues have the same keys and the same placeholders per key
(``tests/test_i18n.py``). The app reads them through ``ui.i18n.t``; figures through ``text``.
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
UI_LANGUAGES = {"en": "English", "zh": "中文"}  # catalogue file stem → name shown in the switch
DEFAULT_UI_LANGUAGE = "en"


def _flatten(table: dict, prefix: str = "") -> dict[str, str]:
    flat = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@cache
def catalogue(language: str) -> dict[str, str]:
    """The messages of ``language`` (a key of ``UI_LANGUAGES``) as {dotted key: text}.

    Raises:
        KeyError: ``language`` has no catalogue.
        ValueError: a message is not a string (names the key).
    """
    if language not in UI_LANGUAGES:
        raise KeyError(f"no message catalogue for {language!r}; expected one of {', '.join(UI_LANGUAGES)}")
    with open(MESSAGES_DIR / f"{language}.toml", "rb") as file:
        messages = _flatten(tomllib.load(file))
    for key, text in messages.items():
        if not isinstance(text, str):
            raise ValueError(f"{language}.toml: {key} is not a string")
    return messages


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message (``str.format`` syntax)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def text(language: str, key: str, /, **values) -> str:
    """Message ``key`` of ``language`` with ``values`` filled in.

    Raises:
        KeyError: no such language or key.
    """
    return catalogue(language)[key].format(**values)
