"""Model directories: save → load round trip, and clear errors for broken ones."""

import json
import shutil

import pytest
import torch

from attnviz.data.tokenization import EOS
from attnviz.inference import checkpoint, decoding
from attnviz.inference.checkpoint import CheckpointError

from .conftest import EN_FR, tiny_model

MODEL_FILES = checkpoint.model_files(EN_FR.to_dict())  # config.json, model.safetensors, vocab.en.json, vocab.fr.json


def test_save_load_gives_identical_outputs(tmp_path):
    model, src_vocab, tgt_vocab = tiny_model("general", "previous", seed=7)
    # float16 on disk: compare against the model rounded the same way
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.half().float())
    checkpoint.save(tmp_path / "m", model, EN_FR, src_vocab, tgt_vocab, {"metrics": {"dev_aer": 0.5}})
    result = checkpoint.load(tmp_path / "m")
    loaded, card = result.model, result.config
    assert card["scorer"] == "general" and card["placement"] == "previous" and card["metrics"] == {"dev_aer": 0.5}
    assert (card["task"], card["family"], card["source_language"], card["target_language"]) == (
        "translation",
        "rnn",
        "en",
        "fr",
    )
    assert result.info == EN_FR
    assert result.src_vocab.tokens == src_vocab.tokens and result.tgt_vocab.tokens == tgt_vocab.tokens
    src = [4, 5, 6, EOS]
    a, b = decoding.greedy(model, src), decoding.greedy(loaded, src)
    assert torch.equal(a.ids, b.ids)
    torch.testing.assert_close(a.attention, b.attention)
    torch.testing.assert_close(a.energies, b.energies)


def test_weights_are_float16_safetensors(tiny_dir):
    from safetensors import safe_open

    with safe_open(str(tiny_dir / checkpoint.WEIGHTS_FILE), "pt") as f:
        assert all(f.get_tensor(k).dtype == torch.float16 for k in f.keys())


def copy(tiny_dir, tmp_path):
    target = tmp_path / "copy"
    shutil.copytree(tiny_dir, target)
    return target


@pytest.mark.parametrize("name", MODEL_FILES)
def test_missing_file_is_named(tiny_dir, tmp_path, name):
    target = copy(tiny_dir, tmp_path)
    (target / name).unlink()
    with pytest.raises(CheckpointError, match=name):
        checkpoint.load(target)


def test_missing_directory(tmp_path):
    with pytest.raises(CheckpointError, match="no model directory"):
        checkpoint.load(tmp_path / "nowhere")


@pytest.mark.parametrize("name", MODEL_FILES)
def test_corrupt_file_is_named(tiny_dir, tmp_path, name):
    target = copy(tiny_dir, tmp_path)
    (target / name).write_bytes(b"\x00garbage{")
    with pytest.raises(CheckpointError, match=name):
        checkpoint.load(target)


def test_truncated_weights(tiny_dir, tmp_path):
    target = copy(tiny_dir, tmp_path)
    data = (target / checkpoint.WEIGHTS_FILE).read_bytes()
    (target / checkpoint.WEIGHTS_FILE).write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        checkpoint.load(target)


@pytest.mark.parametrize(
    "change", [{"scorer": "dot"}, {"placement": "previous"}, {"decoder_size": 32}, {"src_vocab_size": 99}]
)
def test_config_weights_mismatch(tiny_dir, tmp_path, change):
    target = copy(tiny_dir, tmp_path)
    config = json.loads((target / "config.json").read_text())
    config.update(change)
    if change.get("scorer") == "dot":
        config["decoder_size"] = 16  # sizes valid for dot, but weights are additive's
    (target / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json|vocab"):
        checkpoint.load(target)
