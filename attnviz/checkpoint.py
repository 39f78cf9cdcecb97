"""Model directories: config.json + model.safetensors + vocabularies.

Loading reads JSON and safetensors only, so a checkpoint can never execute code.
Weights are stored as float16 (half the size, no measurable change in output
at these sizes) and loaded back as float32.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .model import ModelConfig, Seq2Seq
from .tokenization import Vocab

CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
SRC_VOCAB_FILE = "vocab.en.json"
TGT_VOCAB_FILE = "vocab.fr.json"
MODEL_FILES = (CONFIG_FILE, WEIGHTS_FILE, SRC_VOCAB_FILE, TGT_VOCAB_FILE)
PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"
PRIORS = PRETRAINED / "eflomal-en-fr.priors.gz"


class CheckpointError(Exception):
    """A model directory is missing, incomplete, corrupt or inconsistent; the message names the file."""


def missing_files(directory: Path) -> list[str]:
    """Names of the required model files absent from ``directory`` (all if it does not exist)."""
    directory = Path(directory)
    return [name for name in MODEL_FILES if not (directory / name).is_file()]


def find_models(root: Path = PRETRAINED) -> list[Path]:
    """Model directories (those holding a config.json) under ``root``, sorted by name."""
    return sorted(p.parent for p in Path(root).glob("*/config.json"))


def save(directory: Path, model: Seq2Seq, src_vocab: Vocab, tgt_vocab: Vocab, card: dict | None = None) -> None:
    """Write a model directory.

    Args:
        directory: created if needed.
        model: its ``config`` is written to config.json at the top level
            (``scorer``, ``placement``, sizes, vocabulary sizes).
        card: extra top-level entries for config.json (training data, licence,
            split, metrics); they must not clash with the model config keys.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    config = {**(card or {}), **model.config.to_dict()}
    (directory / CONFIG_FILE).write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    weights = {name: t.detach().to(torch.float16).contiguous() for name, t in model.state_dict().items()}
    save_file(weights, str(directory / WEIGHTS_FILE))
    src_vocab.save(directory / SRC_VOCAB_FILE)
    tgt_vocab.save(directory / TGT_VOCAB_FILE)


def read_config(directory: Path) -> dict:
    """The parsed config.json of a model directory.

    Raises:
        CheckpointError: missing or not valid JSON (naming the file).
    """
    path = Path(directory) / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"missing {path}")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CheckpointError(f"corrupt {path}: {err}") from err
    if not isinstance(config, dict):
        raise CheckpointError(f"corrupt {path}: expected a JSON object")
    return config


def load(directory: Path) -> tuple[Seq2Seq, Vocab, Vocab, dict]:
    """Load a model directory written by ``save``, in eval mode.

    Returns:
        (model, source vocab, target vocab, the full config.json dict).

    Raises:
        CheckpointError: a missing file, a corrupt file, or a config/weights/vocab
            mismatch; the message names the file concerned.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"no model directory at {directory}")
    missing = missing_files(directory)
    if missing:
        raise CheckpointError(f"{directory} lacks {', '.join(missing)}")
    config = read_config(directory)
    try:
        model_config = ModelConfig.from_dict(config)
    except (TypeError, ValueError) as err:
        raise CheckpointError(f"invalid model settings in {directory / CONFIG_FILE}: {err}") from err
    vocabs = []
    for name, size in ((SRC_VOCAB_FILE, model_config.src_vocab_size), (TGT_VOCAB_FILE, model_config.tgt_vocab_size)):
        try:
            vocab = Vocab.load(directory / name)
        except (ValueError, UnicodeDecodeError) as err:
            raise CheckpointError(f"corrupt {directory / name}: {err}") from err
        if len(vocab) != size:
            raise CheckpointError(f"{directory / name} has {len(vocab)} tokens but {CONFIG_FILE} says {size}")
        vocabs.append(vocab)
    path = directory / WEIGHTS_FILE
    try:
        weights = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as err:
        raise CheckpointError(f"corrupt {path}: {err}") from err
    model = Seq2Seq(model_config)
    expected = model.state_dict()
    if set(weights) != set(expected):
        extra, lacking = sorted(set(weights) - set(expected)), sorted(set(expected) - set(weights))
        raise CheckpointError(
            f"{path} does not match {CONFIG_FILE} (scorer {model_config.scorer!r}, "
            f"placement {model_config.placement!r}): unexpected {extra[:5]}, missing {lacking[:5]}"
        )
    for name, tensor in weights.items():
        if tensor.shape != expected[name].shape:
            raise CheckpointError(
                f"{path}: {name} has shape {tuple(tensor.shape)}, but {CONFIG_FILE} implies {tuple(expected[name].shape)}"
            )
    model.load_state_dict({k: v.float() for k, v in weights.items()})
    model.eval()
    return model, vocabs[0], vocabs[1], config
