"""The class examples: sentences a teacher picks from, per language pair; each pair's first is its default."""

from __future__ import annotations

from ..data.tatoeba import DEFAULT_PAIR

# class examples per language pair (source-target), named by their ``examples.*`` message key;
# the first one is the pair's default sentence
EXAMPLES = {
    "en-fr": {
        "adjective_noun": "The black cat is sleeping on the red chair.",
        "clitic": "I see her.",
        "clitic_two": "I gave it to him.",
        "ne_pas": "I do not like apples.",
        "ne_jamais": "He never eats meat.",
        "one_to_many": "I miss you.",
        "many_to_one": "He is going to the station.",
        "possessive": "This is my brother's car.",
        "question": "Where are you going?",
        "idiom": "I am hungry and cold.",
        "partitive": "We need some bread and some milk.",
        "long_bahdanau": "The agreement on the European economic area was signed in August 1992 by the ministers.",
    },
    "zh-en": {
        "seed_example": "欢迎来北京",
        "traditional": "歡迎來北京",
        "time_first": "我明天去上海。",
        "measure_word": "我有三本书。",
        "question_ma": "你喜欢猫吗？",
        "negation_bu": "我不喜欢咖啡。",
        "rare_place": "我住在东京。",
        "name": "汤姆是我的朋友。",
        "long": "我昨天在图书馆看见了你的老师和他的两个孩子。",
    },
}


def default_sentence(pair: str | None) -> str:
    """The sentence a language pair starts with: its first class example (the default pair's for an unknown pair)."""
    return next(iter(EXAMPLES.get(pair or DEFAULT_PAIR.name, EXAMPLES[DEFAULT_PAIR.name]).values()))
