"""Attribution beside attention: the batched gradient × input and integrated gradients against Captum's in float64,
leave-one-out against an erased embedding row, completeness, and the app's and evaluate's use of them."""

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import Normalizer
from attnviz.inference import decoding
from attnviz.inference.attribution import IG_STEPS, attribute, magnitudes, rank_correlation, target_log_probs
from attnviz.inference.translator import Translator

from .conftest import EN_FR, ROOT, tiny_model

PRETRAINED = ROOT / "pretrained"
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
        integrated = IntegratedGradients(score).attribute(
            embedded.clone(), torch.zeros_like(embedded), n_steps=IG_STEPS + 1, method="riemann_trapezoid"
        )
        np.testing.assert_allclose(ours.gradient_x_input[i], x_grad, atol=1e-10)
        # Captum weighs its n trapezoid points by 1/n although they lie 1/(n − 1) apart (the weights sum to
        # (n − 1)/n); the trapezoid rule's are 1/(n − 1): ours are Captum's × n / (n − 1)
        n = IG_STEPS + 1
        np.testing.assert_allclose(
            ours.integrated_gradients[i], integrated[0].sum(-1).detach().numpy() * n / (n - 1), atol=1e-10
        )


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
    assert attributions.methods == ("norm_based", "gradient_x_input", "integrated_gradients", "leave_one_out")
    for method in attributions.methods:
        assert attributions.of(method).shape == result.attention.shape
    assert (attributions.norm_based >= 0).all()
    with pytest.raises(ValueError, match="no attribution 'saliency'"):
        attributions.of("saliency")


def test_the_attribution_view_draws_attention_beside_the_three_attributions():
    from .test_app import chart_weights, charts, heatmaps, start, text_of

    at = start("Attention vs attribution", s="the cat is black .")
    titles = [drawn["panels"][0]["title"] for drawn in heatmaps(at)]
    assert len(titles) == 5  # attention, norm-based attention, the three attributions
    for chart in charts(at):  # every map has attention's shape and rows that sum to 1
        weights = chart_weights(chart)
        assert weights.shape == (6, 6)
        # each of the S cells is sent rounded to 6 decimals (drawing.DECIMALS): a row's sum is 1 within S × 0.5e-6
        np.testing.assert_allclose(weights.sum(1), 1.0, atol=weights.shape[1] * 0.5e-6 + 1e-12)
    for method in ("norm-based ‖α f(x)‖", "gradient × input", "integrated gradients", "leave-one-out"):
        assert any(method in title and "ρ = " in title for title in titles), method
    assert "norm-based" in titles[1]  # beside attention, in its row
    assert "le chat est noir" in text_of(at)


def test_norm_based_attention_is_the_length_of_what_each_position_brings_by_hand():
    """Kobayashi et al. (2020), eq. 5: one head gives α_ij ‖f(x_j)‖; several heads the length of their sum."""
    from attnviz.inference.attribution import norm_based

    heads = np.array([[[[0.75, 0.25]], [[0.5, 0.5]]]])  # (L=1, H=2, T=1, S=2)
    vectors = np.array([[[[3.0, 4.0], [0.0, 2.0]], [[1.0, 0.0], [0.0, -2.0]]]])  # (1, 2, S=2, d=2)
    np.testing.assert_allclose(norm_based(heads, vectors, 0, 0), [[0.75 * 5, 0.25 * 2]])
    np.testing.assert_allclose(norm_based(heads, vectors, 0, 1), [[0.5 * 1, 0.5 * 2]])
    # both heads: j=0 → ‖0.75·(3,4) + 0.5·(1,0)‖ = ‖(2.75, 3)‖; j=1 → ‖0.25·(0,2) + 0.5·(0,−2)‖ = 0.5
    np.testing.assert_allclose(norm_based(heads, vectors, 0, None), [[np.hypot(2.75, 3.0), 0.5]])
    np.testing.assert_allclose(norm_based(heads, vectors, None, None), norm_based(heads, vectors, 0, None))
    with pytest.raises(ValueError, match="do not match"):
        norm_based(heads, vectors[:, :1], 0, 0)


def test_an_rnns_value_vectors_are_its_annotations_whose_weighted_sum_is_the_context_vector():
    model, src_vocab, tgt_vocab = tiny_model()
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    result = translator.translate("i am cold .")
    vectors = model.value_vectors(result.source_ids)
    assert vectors.shape[:3] == (1, 1, len(result.source_ids))
    np.testing.assert_allclose(result.attention @ vectors[0, 0], translator.context_vectors(result), atol=1e-5)
    np.testing.assert_allclose(
        translator.norm_attention(result), result.attention * np.linalg.norm(vectors[0, 0], axis=-1), rtol=1e-6
    )


@pytest.mark.skipif(not (PRETRAINED / "en-fr-transformer-aligned").is_dir(), reason="no aligned Transformer")
def test_a_transformer_heads_value_vectors_rebuild_its_cross_attention_output():
    """Σ_h Σ_j α^h_ij f^h(x_j) + b_O is the cross-attention block's output: the vectors are what each position brings."""
    translator = Translator.load(PRETRAINED / "en-fr-transformer-aligned")
    model = translator.model
    result = translator.translate("The black cat is sleeping.")
    src = torch.tensor([result.source_ids])
    with torch.no_grad():
        encoded = model.encode(src, torch.tensor([src.size(1)]))
        x = torch.randn(1, 3, model.config.d_model)
        output, weights, _, _ = model.decoder[1].cross_attn.explicit(
            x, encoded.keys[:, 1], encoded.values[:, 1], encoded.mask
        )
    vectors = model.value_vectors(result.source_ids)  # (L, H, S, d)
    rebuilt = (
        np.einsum("hts,hsd->td", weights[0].numpy(), vectors[1]) + model.decoder[1].cross_attn.W_O.bias.detach().numpy()
    )
    np.testing.assert_allclose(rebuilt, output[0].numpy(), atol=1e-4)
    norm = translator.norm_attention(result)  # the card's head: layer 1, head 1
    assert norm.shape == result.attention.shape and (norm >= 0).all()
    np.testing.assert_allclose(norm, result.heads[0, 0] * np.linalg.norm(vectors[0, 0], axis=-1), rtol=1e-5)
