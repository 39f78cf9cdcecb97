"""The GRU's alignment head: a second attention whose query has read the word it aligns."""

import numpy as np
import pytest
import torch

from attnviz.attention.normalizers import Normalizer
from attnviz.data.tokenization import BOS, EOS, SPECIALS, Vocab
from attnviz.families.rnn import RNNConfig, RNNSeq2Seq
from attnviz.inference import checkpoint
from attnviz.inference.translator import Translator

from .conftest import EN_FR, EN_WORDS, FR_WORDS


def aligning_model(seed: int = 0, full_context: bool = False) -> tuple[RNNSeq2Seq, Vocab, Vocab]:
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + EN_WORDS), Vocab(list(SPECIALS) + FR_WORDS)
    config = RNNConfig(
        len(src_vocab),
        len(tgt_vocab),
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=12,
        dropout=0.0,
        alignment_attention=True,
        alignment_full_context=full_context,
    )
    model = RNNSeq2Seq(config).eval()
    if full_context:  # W_f starts at zero (a warm start begins with the head it extends); make it matter
        torch.nn.init.normal_(model.future_query.weight, std=0.5)
    return model, src_vocab, tgt_vocab


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
    assert model.supervised_map() == (0, 1)
    plain = RNNSeq2Seq(RNNConfig(10, 10, embedding_size=8, encoder_size=4, decoder_size=8, attention_size=8))
    assert plain.supervised_map() == (0, 0)


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


def test_full_context_needs_the_alignment_head():
    with pytest.raises(ValueError, match="alignment_full_context extends the alignment head"):
        RNNConfig(10, 10, alignment_full_context=True)


def test_full_context_query_reads_the_words_after_the_aligned_one():
    model, src_vocab, tgt_vocab = aligning_model(full_context=True)
    src = torch.tensor([src_vocab.encode("i am cold .".split()) + [EOS]])
    written = tgt_vocab.encode("j' ai froid .".split())
    with torch.no_grad():
        _, attention = model(src, torch.tensor([src.size(1)]), torch.tensor([[BOS] + written]))
        encoded = model.encode(src, torch.tensor([src.size(1)]))
        state = encoded.state
        for i, y_prev in enumerate([BOS] + written[:-1]):
            state = model.attend(torch.tensor([y_prev]), state, encoded)[0]
            # f_{i+1}: a backward GRU over y_n … y_{i+1}, by hand; zero after the last word
            after = written[i + 1 :][::-1]
            future = model.future_gru(model.tgt_embed(torch.tensor([after])))[0][0, -1] if after else torch.zeros(16)
            query = model.gru1(model.tgt_embed(torch.tensor([written[i]])), state) + model.future_query(future)
            expected = torch.softmax(model.align_scorer.score(query, encoded.align_prepared), -1)
            torch.testing.assert_close(attention[0, 0, 1, i], expected[0])
        # a padded batch row gives the same rows as the sentence alone
        short = tgt_vocab.encode("j' ai .".split())
        batch = torch.tensor([[BOS] + written, [BOS] + short + [0]])
        _, batched = model(src.repeat(2, 1), torch.tensor([src.size(1)] * 2), batch)
        _, alone = model(src, torch.tensor([src.size(1)]), torch.tensor([[BOS] + short]))
        torch.testing.assert_close(batched[1, 0, 1, :3], alone[0, 0, 1, :3])


def test_full_context_decoding_replays_the_training_pass_and_the_trace():
    model, src_vocab, tgt_vocab = aligning_model(full_context=True)
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    result = translator.force("i am cold .", "j' ai froid .", pretokenized=True)
    with torch.no_grad():
        src = torch.tensor([result.source_ids])
        _, attention = model(src, torch.tensor([src.size(1)]), torch.tensor([[BOS] + result.target_ids[:-1]]))
    np.testing.assert_allclose(result.heads[0, :, :-1], attention[0, 0, :, :-1].numpy(), atol=1e-5)
    for step in range(len(result.target_ids)):
        trace = model.trace(result.source_ids, result.target_ids, step, Normalizer("soft"), head=(0, 1))
        np.testing.assert_allclose(trace.weights, result.heads[0, 1, step], atol=1e-5)
    assert "reads the whole translation" in translator.describe()


def test_warm_start_from_an_alignment_head_adds_only_the_future_reader(tmp_path):
    from attnviz.training.loop import warm_start

    old, src_vocab, tgt_vocab = aligning_model(seed=3)
    checkpoint.save(tmp_path / "head", old, EN_FR, src_vocab, tgt_vocab)

    class Vocabularies:
        pass

    corpus = Vocabularies()
    corpus.src_vocab, corpus.tgt_vocab = src_vocab, tgt_vocab
    torch.manual_seed(5)
    new = RNNSeq2Seq(RNNConfig(**{**old.config.to_dict(), "alignment_full_context": True})).eval()
    assert warm_start(new, tmp_path / "head", corpus) == ["future_gru", "future_query"]
    # W_f = 0: the extended head starts as the head it extends (up to the float16 of the saved weights)
    saved = Translator.load(tmp_path / "head").force("i am cold .", "j' ai froid .", pretokenized=True)
    extended = Translator(new, src_vocab, tgt_vocab, info=EN_FR).force(
        "i am cold .", "j' ai froid .", pretokenized=True
    )
    np.testing.assert_allclose(extended.heads, saved.heads, atol=1e-6)


def test_a_model_guided_both_ways_reads_its_links_by_the_lowest_dev_aer(tmp_path):
    from attnviz.attention.alignment import LINK_READINGS, Gold, read_links
    from attnviz.measurement.evaluation import GoldSet, dev_alignment
    from attnviz.training.loop import alignment_metrics

    model, src_vocab, tgt_vocab = aligning_model(full_context=True)
    translator = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    diagonal = Gold({(0, 0), (1, 1), (2, 2), (3, 3)}, {(0, 0), (1, 1), (2, 2), (3, 3)})
    gold = GoldSet(["i am cold .", "i am cold ."], ["j' ai froid .", "j' ai froid ."], [diagonal, diagonal])
    choice, metrics = alignment_metrics(translator, gold, choose_reading=True)
    by_reading = metrics.dev_aer_by_links
    assert set(by_reading) == set(LINK_READINGS)
    assert choice["alignment_links"] == translator.link_reading == min(by_reading, key=by_reading.get)
    assert metrics.dev_aer == pytest.approx(by_reading[translator.link_reading], abs=1e-4)
    result = translator.force("i am cold .", "j' ai froid .", pretokenized=True)
    assert translator.links(result.attention) == read_links(result.attention, choice["alignment_links"])
    # without the choice the model keeps the argmax reading
    plain = Translator(model, src_vocab, tgt_vocab, info=EN_FR)
    assert "alignment_links" not in alignment_metrics(plain, gold)[0]
    assert plain.link_reading == "argmax"
    assert dev_alignment(plain, gold)["aer"] == pytest.approx(by_reading["argmax"], abs=1e-4)


def test_a_card_naming_an_unknown_link_reading_is_refused(tmp_path):
    import json

    model, src_vocab, tgt_vocab = aligning_model()
    checkpoint.save(tmp_path / "m", model, EN_FR, src_vocab, tgt_vocab)
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "alignment_links": "rows"}))
    with pytest.raises(checkpoint.CheckpointError, match="unknown alignment_links 'rows'; choose one of argmax"):
        Translator.load(tmp_path / "m")
    (tmp_path / "m" / "config.json").write_text(json.dumps({**config, "alignment_links": "intersection"}))
    assert Translator.load(tmp_path / "m").link_reading == "intersection"


def test_warm_start_grows_the_vocabularies_keeping_the_old_rows(tmp_path):
    from attnviz.training.loop import warm_start

    old, src_vocab, tgt_vocab = aligning_model(seed=3)
    checkpoint.save(tmp_path / "small", old, EN_FR, src_vocab, tgt_vocab)

    class Vocabularies:
        pass

    corpus = Vocabularies()  # a larger vocabulary of the same ranking: the old one is its prefix
    corpus.src_vocab, corpus.tgt_vocab = src_vocab, Vocab([*tgt_vocab.tokens, "parlement", "députés"])
    torch.manual_seed(6)
    new = RNNSeq2Seq(RNNConfig(**{**old.config.to_dict(), "tgt_vocab_size": len(corpus.tgt_vocab)})).eval()
    fresh = new.tgt_embed.weight[-2:].clone()
    assert warm_start(new, tmp_path / "small", corpus) == [
        f"output_bias: {len(tgt_vocab)} → {len(tgt_vocab) + 2} rows",
        f"tgt_embed.weight: {len(tgt_vocab)} → {len(tgt_vocab) + 2} rows",
    ]
    saved = checkpoint.load(tmp_path / "small").model
    torch.testing.assert_close(new.tgt_embed.weight[: len(tgt_vocab)], saved.tgt_embed.weight)
    torch.testing.assert_close(new.tgt_embed.weight[-2:], fresh)  # the new words keep their initialisation
    torch.testing.assert_close(new.src_embed.weight, saved.src_embed.weight)
    corpus.tgt_vocab = Vocab([*SPECIALS, "parlement", *tgt_vocab.tokens[len(SPECIALS) :]])  # not an extension
    with pytest.raises(ValueError, match="same or larger vocabulary sizes"):
        warm_start(new, tmp_path / "small", corpus)
