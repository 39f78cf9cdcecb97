"""A Transformer that aligns (Garg et al. 2019): the explicit training pass, the alignment head read with
full target context (training, decoding's replay and the step trace agree), and guided training of one head."""

import json

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import Normalizer
from attnviz.data.tokenization import BOS, EOS, PAD
from attnviz.families.transformer import TransformerConfig, TransformerSeq2Seq
from attnviz.inference import decoding
from attnviz.inference.translator import Translator
from attnviz.measurement import guided
from attnviz.training.loop import train_model
from attnviz.training.recipes import TrainConfig, family_flags

from .test_train import tiny_corpus

SRC, TGT = [5, 6, 7, EOS], [8, 9, 10, EOS]


def aligning(full_context: bool = True, seed: int = 0) -> TransformerSeq2Seq:
    torch.manual_seed(seed)
    config = TransformerConfig(
        20,
        20,
        d_model=16,
        heads=2,
        encoder_layers=2,
        decoder_layers=2,
        ffn_size=32,
        dropout=0.0,
        alignment_layer=0,
        alignment_full_context=full_context,
    )
    return TransformerSeq2Seq(config).eval()


def test_the_config_refuses_an_alignment_layer_outside_the_decoder_and_context_without_one():
    with pytest.raises(ValueError, match="alignment_layer"):
        TransformerConfig(20, 20, d_model=16, heads=2, decoder_layers=2, alignment_layer=2)
    with pytest.raises(ValueError, match="needs an 'alignment_layer'"):
        TransformerConfig(20, 20, d_model=16, heads=2, alignment_full_context=True)
    config = TransformerSeq2Seq.make_config(5, 5, layers=3, heads=2, d_model=16, alignment_attention=True)
    assert config.alignment_layer == 1  # the penultimate


def test_the_explicit_training_pass_equals_the_fused_one_and_returns_decodings_weights():
    explicit = aligning(full_context=False)
    fused = TransformerSeq2Seq(TransformerConfig(**{**explicit.config.to_dict(), "alignment_layer": None}))
    fused.load_state_dict(explicit.state_dict())
    src, lengths, tgt_in = torch.tensor([SRC]), torch.tensor([4]), torch.tensor([[BOS] + TGT[:-1]])
    with torch.no_grad():
        logits, attention = explicit(src, lengths, tgt_in)
        fused_logits, none = fused.eval()(src, lengths, tgt_in)
    assert none is None and attention.shape == (1, 2, 2, 4, 4)
    torch.testing.assert_close(logits, fused_logits, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(attention[0], decoding.forced(explicit, SRC, TGT[:-1]).attention, atol=1e-5, rtol=1e-5)


def test_the_full_context_row_reads_later_words_and_only_that_head_changes():
    model = aligning()
    forced = decoding.forced(model, SRC, TGT[:-1])
    heads, energies = forced.attention.numpy(), forced.energies.numpy()
    completed, completed_energies = model.completed_attention(SRC, TGT, heads, energies)
    np.testing.assert_array_equal(completed[1], heads[1])  # other layers: as decoding used them
    np.testing.assert_array_equal(completed[0, 1], heads[0, 1])  # other heads of the layer too
    assert not np.allclose(completed[0, 0], heads[0, 0])  # the alignment head has read the later words
    np.testing.assert_allclose(completed[0, 0].sum(-1), 1.0, rtol=1e-5)
    # changing the last word changes the first row of the alignment head (it reads it), not the causal heads
    other, _ = model.completed_attention(SRC, [8, 9, 11, EOS], heads, energies)
    assert not np.allclose(other[0, 0, 0], completed[0, 0, 0])
    with torch.no_grad():
        _, attention = model(torch.tensor([SRC]), torch.tensor([4]), torch.tensor([[BOS] + TGT[:-1]]))
    np.testing.assert_allclose(attention[0, 0, 0].numpy(), completed[0, 0], atol=1e-6)
    np.testing.assert_array_equal(completed_energies[1], energies[1])


def test_a_padded_batch_row_equals_the_sentence_alone():
    model = aligning()
    with torch.no_grad():
        _, batch = model(
            torch.tensor([SRC, [5, 6, EOS, PAD]]),
            torch.tensor([4, 3]),
            torch.tensor([[BOS, 8, 9, 10], [BOS, 8, PAD, PAD]]),
        )
        _, alone = model(torch.tensor([[5, 6, EOS]]), torch.tensor([3]), torch.tensor([[BOS, 8]]))
    torch.testing.assert_close(batch[1, :, :, :2, :3], alone[0], atol=1e-6, rtol=1e-5)


def test_the_step_trace_of_the_alignment_head_is_its_row_and_scaled_dot_energies():
    model = aligning()
    forced = decoding.forced(model, SRC, TGT[:-1])
    completed, _ = model.completed_attention(SRC, TGT, forced.attention.numpy(), forced.energies.numpy())
    for step in range(len(TGT)):
        trace = model.trace(SRC, TGT, step, Normalizer(), head=(0, 0))
        np.testing.assert_allclose(trace.weights, completed[0, 0, step], atol=1e-6)
        q, k = trace.query.astype(np.float64), trace.keys.astype(np.float64)
        np.testing.assert_allclose(trace.energies, k @ q / np.sqrt(len(q)), atol=1e-5)


def test_a_guided_transformer_head_learns_the_links_and_reproduces_its_flags(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    corpus = tiny_corpus()
    crossing = {(0, 0), (1, 2), (2, 1), (3, 3), (4, 4), (5, 5)}  # "the black cat …" ↔ "le chat noir …"
    guided.write_links(guided.links_path(corpus.train_tokens), [crossing] * len(corpus.train_tokens))
    config = TransformerConfig(
        len(corpus.src_vocab),
        len(corpus.tgt_vocab),
        d_model=32,
        heads=2,
        encoder_layers=2,
        decoder_layers=2,
        ffn_size=64,
        dropout=0.0,
        alignment_layer=0,
        alignment_full_context=True,
    )
    recipe = TrainConfig(
        epochs=6, max_minutes=5, batch_tokens=60, lr=3e-3, warmup_steps=10, threads=1, bf16=False, guided_lambda=1.0
    )
    card = train_model(corpus, config, recipe, tmp_path / "m", gold_dir=None)
    history = json.loads((tmp_path / "m" / "history.json").read_text())
    assert history[-1]["guided_loss"] < 0.5 * history[0]["guided_loss"]
    assert card["training"]["supervision"]["supervised_map"] == [0, 0]
    assert "--alignment-attention --alignment-full-context" in " ".join(family_flags(config))
    translator = Translator.load(tmp_path / "m")
    hits = total = 0
    for src, tgt in corpus.train_tokens[:30]:
        heads = translator.force(" ".join(src), " ".join(tgt), pretokenized=True).heads
        for j, i in crossing:
            total += 1
            hits += int(np.argmax(heads[0, 0, i])) == j
    assert hits / total > 0.9


def test_the_alignment_head_goes_on_the_last_decoder_layer_on_request():
    from attnviz.families.transformer import TransformerSeq2Seq

    penultimate = TransformerSeq2Seq.make_config(20, 20, layers=3, alignment_attention=True)
    last = TransformerSeq2Seq.make_config(20, 20, layers=3, alignment_attention=True, alignment_last_layer=True)
    assert (penultimate.alignment_layer, last.alignment_layer) == (1, 2)
    assert TransformerSeq2Seq.fields_of(last)["alignment_last_layer"] is True
    assert TransformerSeq2Seq.fields_of(penultimate)["alignment_last_layer"] is False
    assert TransformerSeq2Seq.make_config(20, 20, layers=3, alignment_last_layer=True).alignment_layer is None
    assert (
        TransformerSeq2Seq.make_config(
            **{"src_vocab_size": 20, "tgt_vocab_size": 20}, **TransformerSeq2Seq.fields_of(last)
        ).alignment_layer
        == 2
    )  # a recipe round trip
