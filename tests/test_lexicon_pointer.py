"""The lexicon pointer: copying a lexicon entry through attention (pointer-generator over CC-CEDICT names)."""

import json
import subprocess
import sys

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from attnviz.data.dictionary import lexicon_entries, lexicon_table
from attnviz.data.tokenization import EOS, PAD, SPECIALS, Vocab, chinese_characters_and_names
from attnviz.families import ModelInfo
from attnviz.families.rnn import RNNConfig, RNNSeq2Seq, copy_mixture
from attnviz.inference import checkpoint, decoding
from attnviz.inference.checkpoint import CheckpointError

from .conftest import ROOT

ZH_WORDS = ["我", "想", "去", "北京", "温州", "。"]
EN_WORDS = ["i", "want", "to", "go", "beijing", "wenzhou", "."]
ZH_EN = ModelInfo("translation", "rnn", "zh", "en")


def pointer_model(seed: int = 0) -> tuple[RNNSeq2Seq, Vocab, Vocab]:
    """A tiny random model whose lexicon maps 北京 → beijing and 温州 → wenzhou."""
    torch.manual_seed(seed)
    src_vocab, tgt_vocab = Vocab(list(SPECIALS) + ZH_WORDS), Vocab(list(SPECIALS) + EN_WORDS)
    config = RNNConfig(
        len(src_vocab),
        len(tgt_vocab),
        embedding_size=16,
        encoder_size=8,
        decoder_size=16,
        attention_size=12,
        dropout=0.0,
        lexicon_pointer=True,
    )
    model = RNNSeq2Seq(config).eval()
    model.lexicon.copy_(
        lexicon_table([("北京", "beijing"), ("温州", "wenzhou"), ("上海", "shanghai")], src_vocab, tgt_vocab)
    )
    return model, src_vocab, tgt_vocab


def test_copy_mixture_by_hand():
    # α = (.5, .3, .2) over three source words; words 0 and 2 have the entry id 2, word 1 none (PAD)
    p_vocab = torch.tensor([[0.1, 0.2, 0.3, 0.4]])
    generate = torch.tensor([[0.25]])
    weights = torch.tensor([[0.5, 0.3, 0.2]])
    copies = torch.tensor([[2, PAD, 2]])
    # m = 0.7 on words with an entry, copy probability 1 − g = 0.75:
    # p = (1 − 0.75·0.7)·p_vocab + 0.75·(0, 0, 0.7, 0)
    expected = torch.tensor([[0.0475, 0.095, 0.6675, 0.19]])
    p = copy_mixture(p_vocab, generate, weights, copies)
    torch.testing.assert_close(p, expected)
    torch.testing.assert_close(p.sum(-1), torch.ones(1))


def test_copy_mixture_of_a_whole_sentence_matches_step_by_step():
    torch.manual_seed(1)
    p_vocab = torch.softmax(torch.randn(2, 3, 6, dtype=torch.float64), -1)  # (B, T, V)
    generate = torch.rand(2, 3, 1, dtype=torch.float64)
    weights = torch.softmax(torch.randn(2, 3, 4, dtype=torch.float64), -1)  # (B, T, S)
    copies = torch.tensor([[4, PAD, 5, PAD], [PAD, PAD, PAD, 1]])
    whole = copy_mixture(p_vocab, generate, weights, copies)
    for i in range(3):
        torch.testing.assert_close(whole[:, i], copy_mixture(p_vocab[:, i], generate[:, i], weights[:, i], copies))
    torch.testing.assert_close(whole.sum(-1), torch.ones(2, 3, dtype=torch.float64))


def test_training_pass_and_decoding_give_the_same_log_probabilities():
    model, src_vocab, tgt_vocab = pointer_model()
    src = src_vocab.encode(["我", "想", "去", "北京", "。"]) + [EOS]
    hypothesis = decoding.greedy(model, src, max_len=6)
    tgt_in = torch.tensor([[2] + hypothesis.ids.tolist()[:-1]])
    with torch.no_grad():
        log_probs, _ = model(torch.tensor([src]), torch.tensor([len(src)]), tgt_in)
    assert torch.allclose(log_probs.exp().sum(-1), torch.ones(1, tgt_in.size(1)), atol=1e-5)
    picked = log_probs[0].gather(-1, hypothesis.ids.clone().unsqueeze(-1)).squeeze(-1)
    torch.testing.assert_close(picked, hypothesis.log_probs, atol=1e-5, rtol=1e-5)


def test_a_gate_that_copies_writes_the_entry_of_the_attended_word():
    model, src_vocab, tgt_vocab = pointer_model()
    with torch.no_grad():
        model.copy_gate.weight.zero_()
        model.copy_gate.bias.fill_(-30.0)  # g ≈ 0: always copy
    src = src_vocab.encode(["我", "想", "去", "温州", "。"]) + [EOS]
    hypothesis = decoding.greedy(model, src, override={0: 3}, max_len=1)  # step 0 looks at 温州 only
    assert tgt_vocab.decode(hypothesis.ids.tolist()) == ["wenzhou"]
    assert float(hypothesis.log_probs[0]) > -1e-4


def test_the_lexicon_is_saved_as_integers_and_checked_on_load(tmp_path):
    model, src_vocab, tgt_vocab = pointer_model()
    checkpoint.save(tmp_path / "m", model, ZH_EN, src_vocab, tgt_vocab)
    with safe_open(str(tmp_path / "m" / checkpoint.WEIGHTS_FILE), "pt") as f:
        assert f.get_tensor("lexicon").dtype == torch.int64
    loaded = checkpoint.load(tmp_path / "m").model
    assert torch.equal(loaded.lexicon, model.lexicon)
    assert loaded.lexicon[src_vocab.index["北京"]] == tgt_vocab.index["beijing"]

    weights = load_file(str(tmp_path / "m" / checkpoint.WEIGHTS_FILE))
    weights["lexicon"][4] = len(tgt_vocab)  # one past the last target id
    save_file(weights, str(tmp_path / "m" / checkpoint.WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="lexicon holds target ids outside"):
        checkpoint.load(tmp_path / "m")
    weights["lexicon"] = weights["lexicon"].float()
    save_file(weights, str(tmp_path / "m" / checkpoint.WEIGHTS_FILE))
    with pytest.raises(CheckpointError, match="lexicon is stored as F32; expected int64"):
        checkpoint.load(tmp_path / "m")


def test_lexicon_pointer_must_be_a_boolean_in_config_json(tmp_path):
    model, src_vocab, tgt_vocab = pointer_model()
    checkpoint.save(tmp_path / "m", model, ZH_EN, src_vocab, tgt_vocab)
    config = json.loads((tmp_path / "m" / checkpoint.CONFIG_FILE).read_text())
    config["lexicon_pointer"] = "yes"
    (tmp_path / "m" / checkpoint.CONFIG_FILE).write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match="'lexicon_pointer' must be true or false"):
        checkpoint.load(tmp_path / "m")


@pytest.mark.parametrize("segmentation", ["words", "characters+names"])
def test_lexicon_entries_are_one_token_each_side(segmentation):
    entries = dict(lexicon_entries(segmentation))
    assert entries["北京"] == "beijing" and entries["温州"] == "wenzhou"
    assert len(entries) > 2000
    assert all(" " not in english and english == english.lower() for english in entries.values())


def test_characters_with_names_keep_the_longest_name_whole():
    names = frozenset({"北京", "温州", "拉姆安拉", "安拉"})
    assert chinese_characters_and_names("欢迎来北京", names) == ["欢", "迎", "来", "北京"]
    assert chinese_characters_and_names("我想去拉姆安拉。", names) == ["我", "想", "去", "拉姆安拉", "。"]
    assert chinese_characters_and_names("Tom在北京", names) == ["Tom", "在", "北京"]  # a Latin run stays whole
    assert chinese_characters_and_names("我愛你", names) == ["我", "爱", "你"]  # Traditional → Simplified first


def test_vocabulary_always_holds_the_lexicon_words():
    vocab = Vocab.build([["a", "b", "a"], ["c"]], max_size=5, always=["z", "a", "z"])
    assert vocab.tokens == [*SPECIALS, "a", "z"]


def test_train_refuses_a_lexicon_pointer_outside_chinese_words(tmp_path):
    for (flags,) in ([["--pair", "en-fr"]], [["--pair", "zh-en", "--segmentation", "characters"]]):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "attnviz",
                "train",
                "--scorer",
                "additive",
                "--lexicon-pointer",
                "--out",
                str(tmp_path / "m"),
                *flags,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert result.returncode == 2
        assert result.stderr.strip() == (
            "train: --lexicon-pointer copies CC-CEDICT's Chinese names whole; use it "
            "with --pair zh-en and --segmentation words or characters+names"
        )


@pytest.mark.parametrize("gate_bias, share", [(-30.0, 1.0), (30.0, 0.0)])
def test_copied_share_follows_the_gate(gate_bias, share):
    model, src_vocab, tgt_vocab = pointer_model()
    with torch.no_grad():
        model.copy_gate.weight.zero_()
        model.copy_gate.bias.fill_(gate_bias)
    src = src_vocab.encode(["我", "想", "去", "温州", "。"]) + [EOS]
    weights = torch.zeros(2, len(src))
    weights[:, 3] = 1.0  # both steps look at 温州 only
    wenzhou, to = tgt_vocab.index["wenzhou"], tgt_vocab.index["to"]
    shares = model.copied_share(src, [wenzhou, to], weights.numpy())
    assert shares[0] == pytest.approx(share, abs=1e-6)
    assert shares[1] == pytest.approx(0.0, abs=1e-6)  # "to" is no entry of 温州: never copied
