"""Attribution beside attention: the batched gradient × input and integrated gradients against Captum's in float64,
leave-one-out against an erased embedding row, completeness, and the app's and evaluate's use of them."""

import json

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import Normalizer
from attnviz.inference import decoding
from attnviz.inference.attribution import (IG_STEPS, attribute, magnitudes, rank_correlation, target_log_probs)
from attnviz.inference.translator import Translator

from .conftest import EN_FR, tiny_model
from .test_transformer import tiny_transformer

SOURCE = [4, 5, 6, 7, 3]  # four distinct words and </s>


@pytest.fixture(params=["rnn", "transformer"])
def model64(request):
    model = (tiny_model("additive", seed=2)[0] if request.param == "rnn" else tiny_transformer()[0]).double().eval()
    target = decoding.greedy(model, SOURCE).ids.tolist()
    return model, target


def test_gradient_x_input_and_integrated_gradients_are_captums_in_float64(model64):
    from captum.attr import InputXGradient, IntegratedGradients

    model, target = model64
    ours = attribute(model, SOURCE, target)
    normalizer = Normalizer(model.decoding_normalizer)
    embedded = model.source_embedding()(torch.tensor([SOURCE])).detach()
    for i in range(len(target)):
        def score(embeddings, i=i):
            return target_log_probs(model, SOURCE, target, embeddings, normalizer)[:, i]

        x_grad = InputXGradient(score).attribute(embedded.clone().requires_grad_())[0].sum(-1).detach().numpy()
        integrated = IntegratedGradients(score).attribute(embedded.clone(), torch.zeros_like(embedded),
                                                          n_steps=IG_STEPS + 1, method="riemann_trapezoid")
        np.testing.assert_allclose(ours.gradient_x_input[i], x_grad, atol=1e-10)
        # Captum weighs its n trapezoid points by 1/n although they lie 1/(n − 1) apart (the weights sum to
        # (n − 1)/n); the trapezoid rule's are 1/(n − 1): ours are Captum's × n / (n − 1)
        n = IG_STEPS + 1
        np.testing.assert_allclose(ours.integrated_gradients[i], integrated[0].sum(-1).detach().numpy() * n / (n - 1),
                                   atol=1e-10)


def test_integrated_gradients_are_complete_up_to_the_trapezoid_rule(model64):
    model, target = model64
    ours = attribute(model, SOURCE, target)
    gap = ours.integrated_gradients.sum(1) - (ours.log_probs - ours.baseline_log_probs)
    assert np.abs(gap).max() < 0.05 * max(1.0, np.abs(ours.log_probs - ours.baseline_log_probs).max())


def test_leave_one_out_is_the_drop_when_the_words_embedding_row_is_zero(model64):
    model, target = model64
    ours = attribute(model, SOURCE, target)
    read = target[:-1] if target[-1] == 3 else target  # forced decoding adds </s>; a cut translation has none
    full = decoding.forced(model, SOURCE, read).log_probs.double().numpy()[: len(target)]
    np.testing.assert_allclose(ours.log_probs, full, atol=1e-8)
    for j, word in enumerate(SOURCE[:-1]):  # each id occurs once: zeroing its row erases exactly word j
        erased = type(model)(model.config).double().eval()
        erased.load_state_dict(model.state_dict())
        with torch.no_grad():
            erased.source_embedding().weight[word] = 0
        without = decoding.forced(erased, SOURCE, read).log_probs.double().numpy()[: len(target)]
        np.testing.assert_allclose(ours.leave_one_out[:, j], full - without, atol=1e-8)


def test_magnitudes_are_rows_of_a_distribution_and_rank_correlation_reads_them():
    scores = np.array([[-2.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(magnitudes(scores), [[0.5, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]])
    attention = np.array([[0.1, 0.2, 0.7], [0.2, 0.3, 0.5]])
    assert rank_correlation(attention, np.array([[1.0, -2.0, 3.0], [0.0, 0.0, 0.0]])) == pytest.approx(1.0)
    assert rank_correlation(attention, np.array([[3.0, 2.0, -1.0], [1.0, 2.0, 3.0]])) == pytest.approx(0.0)


def test_a_translator_gives_attribution_over_its_attention_cells():
    model, src_vocab, tgt_vocab = tiny_model()
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    result = translator.translate("i am cold .")
    attributions = translator.attribution(result)
    for method in ("gradient_x_input", "integrated_gradients", "leave_one_out"):
        assert attributions.of(method).shape == result.attention.shape
    with pytest.raises(ValueError, match="unknown attribution"):
        attributions.of("saliency")


def test_the_attribution_view_draws_attention_beside_the_three_attributions():
    from .test_app import chart_weights, charts, heatmaps, start, text_of

    at = start("Attention vs attribution", s="the cat is black .")
    titles = [drawn["panels"][0]["title"] for drawn in heatmaps(at)]
    assert len(titles) == 4
    for chart in charts(at):  # every map has attention's shape and rows that sum to 1
        weights = chart_weights(chart)
        assert weights.shape == (6, 6)
        np.testing.assert_allclose(weights.sum(1), 1.0, atol=1e-6)
    for method in ("gradient × input", "integrated gradients", "leave-one-out"):
        assert any(method in title and "ρ = " in title for title in titles), method
    assert "le chat est noir" in text_of(at)
