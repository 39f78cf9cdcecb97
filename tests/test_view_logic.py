"""The computations the views used to do themselves, now functions of the analysis layer and the Translator."""

import numpy as np
import pytest

from attnviz.attention.normalizers import NORMALIZERS
from attnviz.data.modelcard import Metrics
from attnviz.inference.translator import Translator
from attnviz.presentation import self_attention as sa
from attnviz.presentation.analysis import best_single_head, head_triples, trained_variants

from .conftest import EN_FR, tiny_model, tiny_transformer


def test_head_codes_become_zero_based_triples_and_a_bad_code_is_named():
    assert head_triples(("cross:2.3", "encoder_self:1.1")) == [("cross", 1, 2), ("encoder_self", 0, 0)]
    with pytest.raises(ValueError, match="'cross:x' is not of the form"):
        head_triples(("cross:x",))


def test_the_best_single_head_skips_the_mean_column():
    metrics = Metrics(dev_aer_by_head=[[0.5, 0.4, 0.1], [0.3, 0.6, 0.2]])  # last column: the head mean
    assert best_single_head(metrics, ["1.1"]) == "2.1"
    assert best_single_head(Metrics(), ["1.1", "1.2"]) == "1.1"


def test_trained_variants_differ_only_in_the_normalizer():
    soft, *vocabs = tiny_model(normalizer="soft")
    sparse, *_ = tiny_model(normalizer="sparsemax")
    dot, *_ = tiny_model(scorer="dot")
    translators = {
        name: Translator(model, *vocabs, info=EN_FR, name=name)
        for name, model in (("sparse", sparse), ("soft", soft), ("dot", dot))
    }
    assert trained_variants("soft", translators, list(NORMALIZERS.names())) == ["soft", "sparse"]


def test_the_translator_answers_what_views_asked_of_the_module():
    model, src, tgt = tiny_transformer(layers=2, heads=2)
    translator = Translator(model, src, tgt, info=EN_FR.__class__.of(model, "en", "fr"))
    assert translator.layer_counts() == {"cross": 2, "encoder_self": 2, "decoder_self": 2}
    result = translator.translate("the cat is black .")
    trace = translator.trace(result, 0, (1, 1))
    np.testing.assert_allclose(trace.weights, result.heads[1, 1, 0], atol=1e-6)
    off = translator.without_heads([("cross", 0, 0)])
    assert off is not translator and off.model is not model


def test_the_walkthrough_is_the_models_own_self_attention():
    model, src, tgt = tiny_transformer(layers=2, heads=2)
    translator = Translator(model, src, tgt, info=EN_FR.__class__.of(model, "en", "fr"))
    result = translator.translate("the cat is black .")
    maps = translator.self_attention(result.source_ids, result.target_ids)["encoder_self"]
    numbers = sa.walkthrough(translator, result.source_ids, 1, 0)
    np.testing.assert_allclose(numbers.learned.weights, maps[1, 0], atol=1e-6)
    row = sa.worked_row(numbers.learned, 2)
    np.testing.assert_allclose(row["product"] / np.sqrt(numbers.learned.queries.shape[1]), row["energy"])
    assert (numbers.layers, numbers.heads) == (2, 2)


def test_the_quiz_score_reads_its_url_text_and_counts_one_answer():
    from attnviz.presentation.analysis import QuizScore

    assert QuizScore.parse("3,2,1") == (3, 2, 1) and QuizScore.parse("x,1") == (0, 0, 0) == QuizScore.parse("-1,0,0")
    assert str(QuizScore.parse("3,2,1").counted(4, 4, [1, 2])) == "4,3,1"
    assert str(QuizScore().counted(2, 4, [1, 2])) == "1,0,1"


def test_the_lesson_opens_on_the_twin_of_the_best_guided_model():
    from attnviz.presentation.analysis import lesson_pair

    twins = {"guided-a": "plain", "guided-b": "other"}
    assert lesson_pair(["x", "plain", "guided-a", "guided-b"], ["guided-a", "guided-b"], twins.get) == (
        "plain",
        "guided-a",
    )
    assert lesson_pair(["x", "y"], [], twins.get) == ("x", "y")  # no guided model: the first two


def test_closeness_of_eflomal_to_the_gold_is_its_aer():
    from attnviz.attention.alignment import Gold
    from attnviz.presentation.analysis import closeness

    gold = Gold({(0, 0), (1, 1)}, {(0, 0), (1, 1)})
    row = closeness(None, None, frozenset({(0, 0), (1, 0)}), gold)
    assert row == {"aer": 0.5, "precision": 0.5, "recall": 0.5}  # 1 − (1 + 1) / (2 + 2)


def test_models_decoded_together_give_what_each_decodes_alone():
    """Compare decodes its models two at a time into ``decode``'s cache; each result is the model's own."""
    from attnviz.ui import common
    from attnviz.ui.state import model_path

    names = ["en-fr-additive", "en-fr-dot", "en-fr-transformer-aligned"]
    sentence = "The old farmer is waiting near the bridge today."
    common.decode.clear()
    common.decode_together(names, sentence)
    for name in names:
        alone = Translator.load(model_path(name)).translate(sentence)
        together = common.decode(name, sentence)  # from the cache the threads filled
        assert together.target_tokens == alone.target_tokens
        np.testing.assert_allclose(together.attention, alone.attention, atol=1e-6)
    common.decode_together(["en-fr-additive", "no-such-model"], sentence)  # a model that fails is left to its panel
