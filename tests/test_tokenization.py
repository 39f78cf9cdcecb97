"""Tokenization and vocabularies."""

import pytest

from attnviz.data.tokenization import SPECIALS, UNK, Vocab, detokenize, tokenize


def test_moses_english_keeps_original_case():
    assert tokenize("I'm cold, Tom.", "en") == ["I", "'m", "cold", ",", "Tom", "."]


def test_moses_french_elision():
    assert tokenize("J'ai froid.", "fr") == ["J'", "ai", "froid", "."]


def test_pretokenized_keeps_token_count():
    text = "je poursuis la lecture de les recommandations de les commissaires : "
    assert len(tokenize(text, "fr", pretokenized=True)) == len(text.split())
    assert tokenize("can't stop", "en", pretokenized=True) == ["can't", "stop"]


def test_detokenize_french():
    assert detokenize(["j'", "ai", "froid", "."], "fr") == "j'ai froid."


def test_vocab_specials_unknown_and_round_trip(tmp_path):
    vocab = Vocab.build([["a", "b", "a"], ["c", "a", "b"]], max_size=6)
    assert vocab.tokens == list(SPECIALS) + ["a", "b"]
    assert vocab.encode(["a", "zzz"]) == [4, UNK]
    assert vocab.decode([2, 4, 5, 3, 4]) == ["a", "b"]
    vocab.save(tmp_path / "v.json")
    assert Vocab.load(tmp_path / "v.json").tokens == vocab.tokens


def test_vocab_requires_specials():
    with pytest.raises(ValueError):
        Vocab(["a", "b"])


def test_chinese_is_made_simplified_and_segmented_into_words():
    from attnviz.data.tokenization import tokenize

    assert tokenize("欢迎来北京", "zh") == ["欢迎", "来", "北京"]  # the seed notes' example, word by word
    assert tokenize("歡迎來北京", "zh") == ["欢迎", "来", "北京"]  # Traditional script gives the same words
    assert tokenize(" 汤姆 挺受欢迎。 ", "zh") == ["汤姆", "挺", "受欢迎", "。"]
    assert tokenize("欢迎 来", "zh", pretokenized=True) == ["欢迎", "来"]


def test_chinese_characters_keep_latin_words_whole_and_the_model_info_records_the_choice():
    from attnviz.families import ModelInfo

    assert tokenize("歡迎來 北京 iPhone 5。", "zh", segmentation="characters") == [
        "欢",
        "迎",
        "来",
        "北",
        "京",
        "iPhone",
        "5",
        "。",
    ]
    assert tokenize("Hello there", "en", segmentation="characters") == ["Hello", "there"]  # Chinese only
    config = {"task": "translation", "family": "rnn", "source_language": "zh", "target_language": "en"}
    assert ModelInfo.from_config(config).segmentation == "words"  # configs written before the field
    info = ModelInfo.from_config({**config, "segmentation": "characters"})
    assert (
        info.to_dict()["segmentation"] == "characters" and "segmentation" not in ModelInfo.from_config(config).to_dict()
    )
    with pytest.raises(ValueError, match="field 'segmentation' is 'syllables'"):
        ModelInfo.from_config({**config, "segmentation": "syllables"})
