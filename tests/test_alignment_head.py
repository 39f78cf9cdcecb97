"""The GRU's alignment head: a second attention whose query has read the word it aligns."""

import numpy as np
import pytest
import torch

from attnviz import checkpoint, guided
from attnviz.families.rnn import RNNConfig, RNNSeq2Seq
from attnviz.normalizers import Normalizer
from attnviz.tokenization import BOS, EOS, SPECIALS, Vocab
from attnviz.translator import Translator

from .conftest import EN_FR, EN_WORDS, FR_WORDS


def aligning_model(seed: int = 0) -> tuple[RNNSeq2Seq, Vocab, Vocab]:
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + EN_WORDS), Vocab(list(SPECIALS) + FR_WORDS)
    config = RNNConfig(len(src_vocab), len(tgt_vocab), embedding_size=16, encoder_size=8, decoder_size=16,
                       attention_size=12, dropout=0.0, alignment_attention=True)
    return RNNSeq2Seq(config).eval(), src_vocab, tgt_vocab


def test_it_needs_the_conditional_placement():
    with pytest.raises(ValueError, match="alignment_attention needs the conditional placement"):
        RNNConfig(10, 10, placement="previous", alignment_attention=True)


def test_training_pass_exposes_two_heads_and_the_second_aligns_the_written_word():
    model, src_vocab, tgt_vocab = aligning_model()
    src = torch.tensor([src_vocab.encode("i am cold .".split()) + [EOS]])
    written = tgt_vocab.encode("j' ai froid .".split())
    tgt_in = torch.tensor([[BOS] + written])
    with torch.no_grad():
        _, attention = model(src, torch.tensor([src.size(1)]), tgt_in)
    assert attention.shape == (1, 1, 2, 5, 5)
    torch.testing.assert_close(attention.sum(-1), torch.ones(1, 1, 2, 5))
    # row i of head 2 by hand: s_i from the teacher-forced decoder, q̃_i = GRU₁(y_i, s_i), softmax of its energies
    with torch.no_grad():
        encoded = model.encode(src, torch.tensor([src.size(1)]))
        state = encoded.state
        for i, y_prev in enumerate([BOS] + written[:-1]):
            state = model.attend(torch.tensor([y_prev]), state, encoded)[0]
            query = model.gru1(model.tgt_embed(torch.tensor([written[i]])), state)
            expected = torch.softmax(model.align_scorer.score(query, encoded.align_prepared), -1)
            torch.testing.assert_close(attention[0, 0, 1, i], expected[0])


def test_decoded_translations_carry_the_alignment_head_as_head_two():
    model, src_vocab, tgt_vocab = aligning_model()
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    result = translator.force("i am cold .", "j' ai froid .", pretokenized=True)
    assert result.heads.shape == (1, 2, 5, 5)
    with torch.no_grad():
        src = torch.tensor([result.source_ids])
        _, attention = model(src, torch.tensor([src.size(1)]), torch.tensor([[BOS] + result.target_ids[:-1]]))
    # decoding replays the alignment head exactly as the training pass forms it (the </s> row aside:
    # training has no written word after the last step)
    np.testing.assert_allclose(result.heads[0, :, :-1], attention[0, 0, :, :-1].numpy(), atol=1e-5)
    trace = model.trace(result.source_ids, result.target_ids, 2, Normalizer("soft"), head=(0, 1))
    np.testing.assert_allclose(trace.weights, result.heads[0, 1, 2], atol=1e-5)
    with pytest.raises(IndexError):
        model.trace(result.source_ids, result.target_ids, 2, Normalizer("soft"), head=(0, 2))


def test_guidance_supervises_the_alignment_head():
    model, _, _ = aligning_model()
    assert guided.supervised_map(model) == (0, 1)
    plain = RNNSeq2Seq(RNNConfig(10, 10, embedding_size=8, encoder_size=4, decoder_size=8, attention_size=8))
    assert guided.supervised_map(plain) == (0, 0)


def test_warm_start_copies_matching_weights_and_names_the_new_ones(tmp_path):
    from attnviz.training.loop import warm_start

    old, src_vocab, tgt_vocab = aligning_model(seed=3)
    plain = RNNSeq2Seq(RNNConfig(**{**old.config.to_dict(), "alignment_attention": False}))
    checkpoint.save(tmp_path / "plain", plain, EN_FR, src_vocab, tgt_vocab)

    class Vocabularies:
        pass

    corpus = Vocabularies()
    corpus.src_vocab, corpus.tgt_vocab = src_vocab, tgt_vocab
    new, _, _ = aligning_model(seed=4)
    assert warm_start(new, tmp_path / "plain", corpus) == ["align_scorer"]
    torch.testing.assert_close(new.encoder.weight_hh_l0, plain.encoder.weight_hh_l0.half().float())
    corpus.tgt_vocab = Vocab(list(SPECIALS) + FR_WORDS[::-1])
    with pytest.raises(ValueError, match="other vocabularies"):
        warm_start(new, tmp_path / "plain", corpus)
